"""plan: the download decision table, file selection, the Tag join, and selector validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from exofop_cli.errors import InvalidInputError
from exofop_cli.models import ExoFopFileRow, ExoFopSelectors
from exofop_cli.ops.plan import download_action, observation_index, select_rows
from exofop_cli.remote.tables import parse_table
from exofop_cli.store.records import RecordState

DATA = Path(__file__).parent.parent / "data" / "tables"

# -- download_action ---------------------------------------------------------------------------------------
SAME = RecordState(record_size=10, record_mtime_ns=5, disk_size=10, disk_mtime_ns=5)


@pytest.mark.parametrize(
    ("state", "force", "verify", "action"),
    [
        (SAME, False, False, "skip"),
        (SAME, False, True, "rehash"),
        (SAME, True, False, "download"),
        (SAME, True, True, "download"),
        (RecordState(None, None, 10, 5), False, False, "download"),  # no record
        (RecordState(None, None, 10, 5), False, True, "download"),
        (RecordState(10, 5, None, None), False, False, "download"),  # file gone
        (RecordState(None, None, None, None), False, False, "download"),
        (RecordState(10, 5, 11, 5), False, False, "download"),  # size changed
        (RecordState(10, 5, 9, 6), False, True, "download"),
        (RecordState(10, 5, 10, 6), False, False, "rehash"),  # mtime only
        (RecordState(10, 5, 10, 6), True, False, "download"),
        (RecordState(10, 5, 10, 4), False, False, "rehash"),  # mtime moved back (restored backup)
        (RecordState(0, 5, 0, 5), False, False, "skip"),  # an empty file is still a file
    ],
)
def test_download_action(state: RecordState, force: bool, verify: bool, action: str) -> None:
    assert download_action(state, force=force, verify=verify) == action


# -- select_rows ---------------------------------------------------------------------------------------
def _row(
    file_id: int, name: str, type_: str = "Image", date: str | None = None, tag: int | None = None
) -> ExoFopFileRow:
    return ExoFopFileRow(
        file_id=file_id, tic_id=1, toi=None, filename=name, type=type_, date_utc=date, tag=tag
    )


ROWS = [
    _row(1, "TOI678I-ef20201228-832_sensitivity.dat", "Image", "2021-01-05", 7652),
    _row(2, "TOI678I-ef20201228-832_reconstructed.png", "Image", "2021-01-05", 7652),
    _row(3, "TIC1-01_20200330_PEST_Rc_measurements.tbl", "Light_Curve", "2020-04-02", 18493),
    _row(4, "TIC1-01_20200514_LCO-SSO_zs_lightcurve.png", "Light Curve", "2020-05-20", 19121),
    _row(5, "FIRE_spectrum.fits", "Spectrum", "2018-12-30", 1494),
    _row(6, "notes.txt", "Notes", None, None),
    _row(7, "notes.txt", "Notes", "2022-02-02", None),
]


def _ids(rows: list[ExoFopFileRow]) -> list[int]:
    return [r.file_id for r in rows]


def test_no_selectors_keeps_everything_in_order() -> None:
    assert select_rows(ROWS, None) == ROWS
    assert select_rows(ROWS, ExoFopSelectors()) == ROWS
    assert select_rows([], ExoFopSelectors(max_files=3)) == []


@pytest.mark.parametrize("spelling", ["Light Curve", "Light_Curve", "light-curve", " LIGHT  CURVE "])
def test_types_are_normalised(spelling: str) -> None:
    assert _ids(select_rows(ROWS, ExoFopSelectors(types=(spelling,)))) == [3, 4]


def test_several_types_are_or() -> None:
    assert _ids(select_rows(ROWS, ExoFopSelectors(types=("spectrum", "image")))) == [1, 2, 5]


def test_regex_is_searched_not_matched() -> None:
    assert _ids(select_rows(ROWS, ExoFopSelectors(filename_regex=r"sensitivity"))) == [1]
    assert _ids(select_rows(ROWS, ExoFopSelectors(filename_regex=r"^notes\.txt$"))) == [6, 7]
    assert _ids(select_rows(ROWS, ExoFopSelectors(filename_regex=r"\.PNG$"))) == []  # case-sensitive


def test_tags() -> None:
    assert _ids(select_rows(ROWS, ExoFopSelectors(tag_ids=(7652, 1494)))) == [1, 2, 5]
    assert _ids(select_rows(ROWS, ExoFopSelectors(tag_ids=(999,)))) == []


def test_criteria_are_and() -> None:
    sel = ExoFopSelectors(types=("Image",), filename_regex=r"\.png$", tag_ids=(7652, 19121))
    assert _ids(select_rows(ROWS, sel)) == [2]


def test_max_files_keeps_the_newest_by_date_then_id() -> None:
    assert _ids(select_rows(ROWS, ExoFopSelectors(max_files=1))) == [7]
    # 2021-01-05 is shared by 1 and 2: the higher id wins the tie. Result keeps listing order.
    assert _ids(select_rows(ROWS, ExoFopSelectors(max_files=2))) == [2, 7]
    assert _ids(select_rows(ROWS, ExoFopSelectors(max_files=3))) == [1, 2, 7]
    # Rows without a date are the oldest.
    assert _ids(select_rows(ROWS, ExoFopSelectors(max_files=6))) == [1, 2, 3, 4, 5, 7]
    assert _ids(select_rows(ROWS, ExoFopSelectors(max_files=0))) == []
    assert _ids(select_rows(ROWS, ExoFopSelectors(max_files=100))) == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("12/29/2020", "01/05/2021"),  # US order: as text, 12/29 would sort after 01/05
        ("2020-12-29", "2021-01-05"),
        ("2021-01-05 09:00:00", "2021-01-05 17:30:00"),
        ("2021/01/05", "2021-01-06T00:00:00Z"),
        ("not a date", "2019-01-01"),  # unreadable sorts oldest
    ],
)
def test_max_files_compares_dates_not_text(older: str, newer: str) -> None:
    rows = [
        ExoFopFileRow(file_id=2, tic_id=1, toi=None, filename="a.txt", type="Image", date_utc=older),
        ExoFopFileRow(file_id=1, tic_id=1, toi=None, filename="b.txt", type="Image", date_utc=newer),
    ]
    assert _ids(select_rows(rows, ExoFopSelectors(max_files=1))) == [1]


def test_max_files_applies_after_the_other_criteria() -> None:
    assert _ids(select_rows(ROWS, ExoFopSelectors(types=("Light_Curve",), max_files=1))) == [4]


# -- the Tag join with the summary tables ------------------------------------------------------------------
IMAGING_PIPE = (
    b"TIC ID|TIC|TOI|Telescope|Instrument|Filter|Image Type|Pixel Scale|PSF|Contrast|Obs Date|User|Group|Tag|Notes\n"
    b"468472950||TOI 1395|Gemini (8 m)|NIRI|Brgamma|AO|0.0219|||2019-11-13|matthews|tfopwg|7652|"
    b"2 visual companions\n"
    b"468472950||TOI 1395|Gemini (8 m)|'Alopeke|562: 562 (54) nm|Speckle|||||x|tfopwg|7000.0|\n"
    b"468472950||TOI 1395|Palomar (5 m)|PHARO|Brgamma|AO|||||x|tfopwg|not-a-tag|\n"
)
TSERIES_PIPE = (
    b"TIC ID|TIC|TOI|Telescope|Camera|Filter|Pixel Scale|PSF|Phot Aperture Rad|Obs Date|Obs Duration|Num Obs"
    b"|Obs Type|Transit Coverage|Delta Mag|User|Group|Tag|Notes\n"
    b"254113311||TOI 1130.02|PEST (0.305 m)|ST-8XME|Rc|1.23|4.48|7.0|2020-03-30|230.0|184|Continuous|Full|8.3"
    b"|tan|tfopwg|18493|\n"
    b"254113311||TOI 1130.02|LCO-SSO (1.0 m)|Sinistro|zs|0.39|2.44|13.0|2020-05-14|205.0|192|Continuous|Full"
    b"|7.36|schwarz|tfopwg|19121|\n"
)


def _tables() -> dict[str, object]:
    return {
        "imaging": parse_table(IMAGING_PIPE),
        "tseries": parse_table(TSERIES_PIPE),
        "spect": parse_table((DATA / "download_tag_spect_tag-1494.pipe").read_bytes()),
        # Not an observation table: ignored even though it has a Tag-like column.
        "obsnotes": parse_table(b"ID|TIC ID|Username|Groupname|TAG ID|Lastmod|notes\n1|1|u|g|5|x|y\n"),
    }


def test_observation_index_from_real_and_rendered_tables() -> None:
    index = observation_index(_tables())  # type: ignore[arg-type]
    assert index == {
        7652: ({"NIRI"}, {"Gemini (8 m)"}),
        7000: ({"'Alopeke"}, {"Gemini (8 m)"}),
        18493: ({"ST-8XME"}, {"PEST (0.305 m)"}),
        19121: ({"Sinistro"}, {"LCO-SSO (1.0 m)"}),
        1494: ({"FIRE"}, {"Magellan (Baade) (6.5 m)"}),
    }


def test_observation_index_skips_tables_without_tag_and_missing_kinds() -> None:
    assert observation_index({}) == {}
    assert observation_index({"imaging": parse_table(b"Telescope|Instrument\nGemini|NIRI\n")}) == {}


def test_observation_index_merges_kinds_sharing_a_tag() -> None:
    index = observation_index(
        {
            "imaging": parse_table(b"Telescope|Instrument|Tag\nGemini (8 m)|NIRI|5\n"),
            "spect": parse_table(b"Telescope|Instrument|Tag\nSMARTS (1.5 m)|CHIRON|5\n"),
        }
    )
    assert index == {5: ({"NIRI", "CHIRON"}, {"Gemini (8 m)", "SMARTS (1.5 m)"})}


@pytest.mark.parametrize(
    ("selectors", "ids"),
    [
        (ExoFopSelectors(instruments=("niri",)), [1, 2]),
        (ExoFopSelectors(instruments=("fire",)), [5]),
        (ExoFopSelectors(instruments=("SINISTRO",)), [4]),  # Camera column of the time-series table
        (ExoFopSelectors(instruments=("sinis", "st-8")), [3, 4]),  # substring, OR within one selector
        (ExoFopSelectors(telescopes=("magellan",)), [5]),
        (ExoFopSelectors(telescopes=("gemini",)), [1, 2]),
        (ExoFopSelectors(telescopes=("(1.0 m)",)), [4]),
        (ExoFopSelectors(instruments=("niri",), telescopes=("magellan",)), []),  # AND across selectors
        (ExoFopSelectors(instruments=("fire",), telescopes=("baade",)), [5]),
        (ExoFopSelectors(instruments=("niri",), types=("Light_Curve",)), []),
        (ExoFopSelectors(instruments=("zorro",)), []),
    ],
)
def test_instrument_and_telescope_join_by_tag(selectors: ExoFopSelectors, ids: list[int]) -> None:
    obs = observation_index(_tables())  # type: ignore[arg-type]
    assert _ids(select_rows(ROWS, selectors, observations=obs)) == ids


def test_files_without_a_tag_never_match_instrument_selectors() -> None:
    obs = {0: ({"notes"}, {"notes"})}
    untagged = [_row(6, "notes.txt", "Notes", None, None)]
    assert select_rows(untagged, ExoFopSelectors(instruments=("notes",)), observations=obs) == []
    assert select_rows(untagged, ExoFopSelectors(telescopes=("",)), observations=obs) == []


def test_instrument_selectors_without_observations_match_nothing() -> None:
    assert select_rows(ROWS, ExoFopSelectors(instruments=("niri",))) == []
    assert select_rows(ROWS, ExoFopSelectors(instruments=("niri",)), observations={}) == []


def test_max_files_applies_after_the_join() -> None:
    obs = observation_index(_tables())  # type: ignore[arg-type]
    sel = ExoFopSelectors(telescopes=("gemini", "lco"), max_files=2)
    assert _ids(select_rows(ROWS, sel, observations=obs)) == [1, 2]


# -- ExoFopSelectors validation and shape --------------------------------------------------------------
def test_bad_regex_is_invalid_input_with_a_hint() -> None:
    with pytest.raises(InvalidInputError, match=r"invalid --regex '\(unclosed'") as info:
        ExoFopSelectors(filename_regex="(unclosed")
    assert info.value.hint


def test_negative_max_files_and_tags_are_invalid_input() -> None:
    with pytest.raises(InvalidInputError, match="--max-files must be >= 0, got -1"):
        ExoFopSelectors(max_files=-1)
    with pytest.raises(InvalidInputError, match="tags must be non-negative"):
        ExoFopSelectors(tag_ids=(5, -2))


def test_needs_summaries() -> None:
    assert not ExoFopSelectors(types=("Image",), tag_ids=(1,)).needs_summaries
    assert ExoFopSelectors(instruments=("NIRI",)).needs_summaries
    assert ExoFopSelectors(telescopes=("Gemini",)).needs_summaries


def test_selectors_to_dict_and_equality() -> None:
    sel = ExoFopSelectors(
        types=("Image",),
        filename_regex=r"\.dat$",
        tag_ids=(7652,),
        max_files=2,
        instruments=("NIRI",),
        telescopes=("Gemini",),
    )
    assert sel.to_dict() == {
        "types": ["Image"],
        "filename_regex": r"\.dat$",
        "tag_ids": [7652],
        "max_files": 2,
        "instruments": ["NIRI"],
        "telescopes": ["Gemini"],
    }
    assert ExoFopSelectors().to_dict() == {
        "types": [],
        "filename_regex": None,
        "tag_ids": [],
        "max_files": None,
        "instruments": [],
        "telescopes": [],
    }
    assert sel == ExoFopSelectors(
        types=("Image",),
        filename_regex=r"\.dat$",
        tag_ids=(7652,),
        max_files=2,
        instruments=("NIRI",),
        telescopes=("Gemini",),
    )
    assert hash(ExoFopSelectors(types=("a",))) == hash(ExoFopSelectors(types=("a",)))


def test_a_lone_string_or_int_is_one_selector_value() -> None:
    assert ExoFopSelectors(types="Image") == ExoFopSelectors(types=("Image",))
    assert ExoFopSelectors(tag_ids=7652, instruments="NIRI", telescopes="Gemini") == ExoFopSelectors(
        tag_ids=(7652,), instruments=("NIRI",), telescopes=("Gemini",)
    )
    assert ExoFopSelectors(types=["Image", "Spectrum"]).types == {"Image", "Spectrum"}
    assert (
        _ids(select_rows(ROWS, ExoFopSelectors(types="Image")))
        == _ids(select_rows(ROWS, ExoFopSelectors(types=("Image",))))
        != []
    )


def test_selectors_take_the_specs_sets_none_and_any_iterable() -> None:
    """The spec types ``types``/``tag_ids`` as ``set | None``: a set reads back equal, None means no filter."""
    sel = ExoFopSelectors(types={"Spectrum"}, tag_ids={30001})
    assert sel.types == {"Spectrum"} and sel.tag_ids == {30001}
    assert ExoFopSelectors(types=None, tag_ids=None) == ExoFopSelectors()
    assert ExoFopSelectors(types=(t for t in ["Image"])).types == {"Image"}
    assert ExoFopSelectors(tag_ids=["7652"]).tag_ids == {7652}
    # to_dict is sorted: a frozenset's order varies between processes, the warm-run key must not.
    assert ExoFopSelectors(types={"Spectrum", "Image", "Light_Curve"}).to_dict()["types"] == [
        "Image",
        "Light_Curve",
        "Spectrum",
    ]
    with pytest.raises(InvalidInputError):
        ExoFopSelectors(tag_ids=["x"])


# -- a selection that matches nothing says what the star has (issue 14, 1) --------------------------------------
def test_an_empty_selection_names_what_the_star_has() -> None:
    from exofop_cli.ops.plan import empty_selection_note

    note = empty_selection_note(ROWS, ExoFopSelectors(types="Spectra"))
    assert note is not None and note.startswith(f"no file of the {len(ROWS)} listed matches --types Spectra")
    assert "Image (" in note and "did you mean" in note
    assert empty_selection_note(ROWS, ExoFopSelectors(types="Image")) is None  # it matched: nothing to say
    assert empty_selection_note([], ExoFopSelectors(types="Spectra")) is None  # no files at all: not a typo
    assert empty_selection_note(ROWS, None) is None


def test_the_criterion_that_matches_nothing_is_the_one_named() -> None:
    from exofop_cli.ops.plan import empty_selection_note

    note = empty_selection_note(ROWS, ExoFopSelectors(types="Image", filename_regex="no-such-name"))
    assert note is not None and "--regex no-such-name" in note and "--types" not in note
    together = empty_selection_note(ROWS, ExoFopSelectors(types="Light_Curve", filename_regex="832"))
    assert together is not None and together.endswith("together (each alone matches some)")
    obs = observation_index(_tables())  # type: ignore[arg-type]
    by_instrument = empty_selection_note(ROWS, ExoFopSelectors(instruments="Zorrro"), observations=obs)
    assert by_instrument is not None and "this star's instruments:" in by_instrument
