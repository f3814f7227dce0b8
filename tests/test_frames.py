"""Tables for analysis: typed columns, pandas and astropy conversions, imported only when asked.

Every table the library returns converts: ``Table``/``CatalogTable`` (summaries, TOI, CTOI), the row lists of
``file_list``/``obs_notes`` (``RowList``) and ``list_files``' ``FileListing``.
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest

from exofop_cli import ExoFopClient, ExoFopFileRow, InvalidInputError
from exofop_cli.frames import RowList, row_kinds, typed_columns
from exofop_cli.ops.results import FileListing
from exofop_cli.remote.tables import parse_table
from exofop_cli.rows import ExoFopObsNoteRow
from exofop_cli.testing import DEMO_TIC, FakeExoFop
from exofop_cli.testing.data import FakeFile, FakeTarget

BODY = (
    b"TIC ID|GAIA DR2|TESS Mag|Notes|Sectors\n"
    b"365938305|5375123456789012345|9.82|first|1,27\n"
    b"365938306||.386554||\n"
)


def test_typed_columns_keep_big_integers_exact() -> None:
    table = parse_table(BODY)
    typed = typed_columns(table.columns, table.rows)
    assert typed["TIC ID"] == ("int", [365938305, 365938306])
    assert typed["GAIA DR2"] == ("int", [5375123456789012345, None])  # 19 digits, no float rounding
    assert typed["TESS Mag"] == ("float", [9.82, 0.386554])
    assert typed["Notes"] == ("str", ["first", None])
    assert typed["Sectors"] == ("str", ["1,27", None])


def test_to_pandas() -> None:
    pytest.importorskip("pandas")
    frame = parse_table(BODY).to_pandas()
    assert list(frame.columns) == ["TIC ID", "GAIA DR2", "TESS Mag", "Notes", "Sectors"]
    assert str(frame["GAIA DR2"].dtype) == "Int64" and int(frame["GAIA DR2"][0]) == 5375123456789012345
    assert frame["GAIA DR2"].isna().tolist() == [False, True]
    assert math.isclose(float(frame["TESS Mag"][1]), 0.386554)


def test_to_astropy() -> None:
    pytest.importorskip("astropy")
    table = parse_table(BODY).to_astropy()
    assert table.colnames == ["TIC ID", "GAIA DR2", "TESS Mag", "Notes", "Sectors"]
    assert int(table["GAIA DR2"][0]) == 5375123456789012345 and bool(table["GAIA DR2"].mask[1])
    assert table["Notes"][0] == "first" and bool(table["Notes"].mask[1])


def test_toi_columns_stay_text() -> None:
    """TOI/CTOI numbers are names: 500.10 must not become the float 500.1 (nor 1262.01 a rounded float)."""
    pytest.importorskip("pandas")
    body = b"TOI,CTOI,Promoted to TOI,TIC ID,Period (days)\n500.10,777.10,500.10,1,1.50\n1262.01,,,2,2\n"
    frame = parse_table(body).to_pandas()
    assert frame["TOI"].tolist() == ["500.10", "1262.01"] and str(frame["TOI"].dtype) == "string"
    assert frame["CTOI"][0] == "777.10" and frame["Promoted to TOI"][0] == "500.10"
    assert str(frame["TIC ID"].dtype) == "Int64" and str(frame["Period (days)"].dtype) == "Float64"


def test_a_missing_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    real = importlib.import_module

    def without_pandas(name: str, package: str | None = None) -> object:
        if name.split(".", maxsplit=1)[0] in ("pandas", "astropy"):
            raise ImportError(f"No module named {name!r}")
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", without_pandas)
    with pytest.raises(InvalidInputError) as info:
        parse_table(BODY).to_pandas()
    assert info.value.hint is not None and "exofop-cli[pandas]" in info.value.hint
    with pytest.raises(InvalidInputError, match="astropy"):
        parse_table(BODY).to_astropy()
    rows = RowList([_file_row()], row_type=ExoFopFileRow)
    listing = FileListing(tic_id=2, rows=(_file_row(),), cached={})
    for convert in (rows.to_pandas, listing.to_pandas):
        with pytest.raises(InvalidInputError) as info:
            convert()
        assert info.value.hint is not None and "exofop-cli[pandas]" in info.value.hint
    for convert in (rows.to_astropy, listing.to_astropy):
        with pytest.raises(InvalidInputError, match="astropy"):
            convert()


def test_exofop_never_imports_pandas_or_astropy_by_itself() -> None:
    probe = (
        "import sys, exofop_cli\n"
        "from exofop_cli.remote.tables import parse_table\n"
        "from exofop_cli.ops import catalogs\n"
        "from exofop_cli.frames import RowList, row_kinds\n"
        "from exofop_cli.models import ExoFopFileRow\n"
        "from exofop_cli.ops.results import FileListing\n"
        "parse_table(b'a|b\\n1|2\\n')\n"
        "RowList([], row_type=ExoFopFileRow), row_kinds(ExoFopFileRow), FileListing(1, (), {}).to_rows()\n"
        "print(sorted(m for m in ('pandas', 'astropy', 'numpy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# -- the rows of file_list, obs_notes and list_files --------------------------------------------------------
FILE_COLUMNS = [
    "file_id",
    "tic_id",
    "toi",
    "filename",
    "type",
    "date_utc",
    "tag",
    "description",
    "user",
    "group",
]
NOTE_COLUMNS = ["tic_id", "author", "date_utc", "data_tag", "text", "note_id", "group", "raw"]
ODD_TIC = 900000001  # a star whose TOI has a trailing zero, which a float would lose


def _file_row(toi: str | None = "1262.10") -> ExoFopFileRow:
    return ExoFopFileRow(5001, 2, toi, "a.fits", "Spectrum", "2020-08-15", 30001, "desc", "bieryla", "tfopwg")


def _odd_star(fake: FakeExoFop) -> None:
    files = [
        FakeFile(5001, "TOI1262.10_a.fits", "Spectrum", tag=30001, toi="1262.10", date="2020-08-15"),
        FakeFile(5002, "b.fits", "Image", date="2021-01-02", description=""),
    ]
    fake.add_target(FakeTarget(ODD_TIC, tois=["1262.10"], files=files))


def test_row_kinds_come_from_the_annotations_and_match_to_dict() -> None:
    kinds = row_kinds(ExoFopFileRow)
    assert list(kinds) == FILE_COLUMNS == list(_file_row().to_dict())
    assert (kinds["file_id"], kinds["toi"], kinds["tag"]) == ("int", "str", "auto")  # ``int | None`` is int
    typed = typed_columns(["tag"], [{"tag": 30001}, {"tag": None}], {"tag": kinds["tag"]})
    assert typed["tag"] == ("int", [30001, None])  # ``str | int | None``: the values decide
    note = ExoFopObsNoteRow(1, "latham", None, "1573", "text", 7, None, {"notes": "<p>text</p>"})
    assert list(row_kinds(ExoFopObsNoteRow)) == NOTE_COLUMNS == list(note.to_dict())
    assert (row_kinds(ExoFopObsNoteRow)["data_tag"], row_kinds(ExoFopObsNoteRow)["raw"]) == ("str", "object")


def test_a_declared_kind_wins_over_inference_and_falls_back_when_values_do_not_fit() -> None:
    rows = [{"toi": "1262.10", "n": "7"}, {"toi": "1262.01", "n": "x"}]
    assert typed_columns(["toi"], rows) == {"toi": ("float", [1262.1, 1262.01])}  # what inference makes of it
    typed = typed_columns(["toi", "n"], rows, {"toi": "str", "n": "int"})
    assert typed == {"toi": ("str", ["1262.10", "1262.01"]), "n": ("str", ["7", "x"])}


def test_file_list_is_still_a_list(client: ExoFopClient, fake: FakeExoFop) -> None:
    _odd_star(fake)
    rows = client.file_list(tic_id=ODD_TIC)
    assert isinstance(rows, list) and isinstance(rows, RowList)
    assert rows == list(rows) and list(rows) == rows  # equal to a plain list of the same rows, both ways
    assert [r.file_id for r in rows] == [5001, 5002] and rows[0].toi == "1262.10"
    listed, _ = client.file_list_with_warnings(tic_id=ODD_TIC)
    assert isinstance(listed, RowList) and listed == rows


def test_file_list_to_pandas(client: ExoFopClient, fake: FakeExoFop) -> None:
    pytest.importorskip("pandas")
    _odd_star(fake)
    frame = client.file_list(tic_id=ODD_TIC).to_pandas()
    assert list(frame.columns) == FILE_COLUMNS
    assert str(frame["file_id"].dtype) == "Int64" and frame["file_id"].tolist() == [5001, 5002]
    assert str(frame["toi"].dtype) == "string" and frame["toi"][0] == "1262.10"  # text, never 1262.1
    assert str(frame["tag"].dtype) == "Int64" and frame["tag"].isna().tolist() == [False, True]
    assert int(frame["tag"][0]) == 30001


def test_file_list_to_astropy(client: ExoFopClient, fake: FakeExoFop) -> None:
    pytest.importorskip("astropy")
    _odd_star(fake)
    table = client.file_list(tic_id=ODD_TIC).to_astropy()
    assert table.colnames == FILE_COLUMNS
    assert table["file_id"].dtype.kind == "i" and list(table["file_id"]) == [5001, 5002]
    assert table["toi"].dtype.kind == "U" and table["toi"][0] == "1262.10"
    assert bool(table["toi"].mask[1]) and bool(table["tag"].mask[1]) and int(table["tag"][0]) == 30001


def test_an_empty_row_list_keeps_its_columns() -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("astropy")
    for row_type, columns in ((ExoFopFileRow, FILE_COLUMNS), (ExoFopObsNoteRow, NOTE_COLUMNS)):
        empty = RowList([], row_type=row_type)
        assert empty == [] and isinstance(empty, list)
        frame = empty.to_pandas()
        assert isinstance(frame, pd.DataFrame) and len(frame) == 0 and list(frame.columns) == columns
        table = empty.to_astropy()
        assert len(table) == 0 and table.colnames == columns
    assert str(RowList([], row_type=ExoFopFileRow).to_pandas()["file_id"].dtype) == "Int64"
    assert RowList([], row_type=ExoFopFileRow).to_astropy()["file_id"].dtype.kind == "i"


def test_obs_notes_convert(client: ExoFopClient) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("astropy")
    notes = client.obs_notes(tic_id=DEMO_TIC)
    assert isinstance(notes, list) and notes == list(notes)
    frame = notes.to_pandas()
    assert list(frame.columns) == NOTE_COLUMNS and frame["author"].tolist() == ["mlund", "latham"]
    assert str(frame["tic_id"].dtype) == "Int64" and set(frame["tic_id"]) == {DEMO_TIC}
    assert str(frame["data_tag"].dtype) == "string"  # a tag as sent, declared text
    assert frame["text"][1] == "4 RV epochs, 162 m/s scatter\nSB1? depth <1 ppt"
    assert isinstance(frame["raw"][1], dict) and "&nbsp;" in frame["raw"][1]["notes"]  # HTML as sent
    table = notes.to_astropy()
    assert table.colnames == NOTE_COLUMNS and list(table["author"]) == ["mlund", "latham"]
    assert table["tic_id"].dtype.kind == "i" and isinstance(table["raw"][0], dict)


def test_obs_notes_of_a_star_without_notes_keep_their_columns(client: ExoFopClient, fake: FakeExoFop) -> None:
    pytest.importorskip("pandas")
    fake.add_target(FakeTarget(ODD_TIC, files=[FakeFile(5001, "a.fits")]))
    notes = client.obs_notes(tic_id=ODD_TIC)
    assert notes == [] and list(notes.to_pandas().columns) == NOTE_COLUMNS


def test_list_files_converts_with_cached_and_path(client: ExoFopClient, fake: FakeExoFop) -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("astropy")
    _odd_star(fake)
    client.fetch(target=ODD_TIC, archive="off", include_summaries=False)
    fake.targets[ODD_TIC].files.append(FakeFile(5003, "c.fits", "Image", date="2022-01-01"))
    listing = client.list_files(ODD_TIC, refresh=True)  # 5003 is listed, not downloaded
    columns = [*FILE_COLUMNS, "cached", "path"]
    assert list(listing.to_rows()[0]) == columns
    frame = listing.to_pandas()
    assert list(frame.columns) == columns and frame["file_id"].tolist() == [5001, 5002, 5003]
    assert str(frame["file_id"].dtype) == "Int64" and frame["toi"][0] == "1262.10"
    assert str(frame["cached"].dtype) == "boolean" and frame["cached"].tolist() == [True, True, False]
    assert Path(frame["path"][0]).is_file() and frame["path"].isna().tolist() == [False, False, True]
    table = listing.to_astropy()
    assert table.colnames == columns and table["cached"].dtype.kind == "b"
    assert list(table["cached"]) == [True, True, False] and table["toi"][0] == "1262.10"
    assert bool(table["path"].mask[2]) and table["file_id"].dtype.kind == "i"


def test_an_empty_listing_keeps_its_columns() -> None:
    pytest.importorskip("pandas")
    pytest.importorskip("astropy")
    listing = FileListing(tic_id=2, rows=(), cached={})
    columns = [*FILE_COLUMNS, "cached", "path"]
    frame = listing.to_pandas()
    assert len(frame) == 0 and list(frame.columns) == columns and str(frame["cached"].dtype) == "boolean"
    table = listing.to_astropy()
    assert len(table) == 0 and table.colnames == columns and table["file_id"].dtype.kind == "i"
