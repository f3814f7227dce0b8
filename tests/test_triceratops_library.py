"""``ExoFopClient.contrast_curves`` and ``ExoFopClient.lightcurves`` end to end against the fake ExoFOP.

The demo star carries two real contrast-curve samples (Gemini 562 nm speckle, PHARO Br-gamma AO) and a
synthetic AstroImageJ light curve with a transit at the demo ephemeris: fetch it, then ask the client.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exofop_cli import ExoFopClient, collect_contrast_curves, collect_lightcurves
from exofop_cli.errors import InvalidInputError
from exofop_cli.testing import DEMO_TIC, FakeExoFop, FakeFile

from .conftest import make_client

# The demo light curve's ephemeris (testing/scenarios.py builds its transit there).
PERIOD, EPOCH = 8.15, 2458958.7332
GEMINI_562, PHARO = 1004, 1005


@pytest.fixture
def fetched(fake: FakeExoFop, cache_dir: Path) -> ExoFopClient:
    """A client whose cache holds the demo star, fetched from the fake (then closed: no more requests)."""
    # A PDF uploaded under a contrast curve's name: a file with a problem, beside the two curves.
    fake.targets[DEMO_TIC].files.append(
        FakeFile(1011, "TOI1262I-ab20240101-832_sensitivity.dat", "Image", content=b"%PDF-1.4\n", tag=30007)
    )
    with make_client(fake, cache_dir) as online:
        online.fetch(target=DEMO_TIC)
    return make_client(fake, cache_dir, offline=True)


def test_never_fetched_targets_are_refused_with_the_fetch_to_run(client: ExoFopClient) -> None:
    with pytest.raises(InvalidInputError, match="has not been fetched") as contrast:
        client.contrast_curves(DEMO_TIC)
    assert contrast.value.hint == f"run `exofop fetch {DEMO_TIC}` first"
    with pytest.raises(InvalidInputError, match="has not been fetched"):
        client.lightcurves(DEMO_TIC, period=PERIOD, epoch=EPOCH)


def test_contrast_curves_are_the_manifest_reports_with_the_recommended_curve(fetched: ExoFopClient) -> None:
    result = fetched.contrast_curves(DEMO_TIC)
    manifest = fetched.manifest_path_for(DEMO_TIC)
    assert list(result.reports) == collect_contrast_curves(manifest)
    assert [(r.file_id, r.status, r.rank) for r in result.reports] == [
        (GEMINI_562, "converted", 2),
        (PHARO, "converted", 1),
        (1011, "skipped", None),
    ]
    assert result.recommended is not None and result.recommended.file_id == PHARO
    assert [r.file_id for r in result.converted] == [GEMINI_562, PHARO]
    assert result.failed == () and result.exported == () and result.export_dir is None
    assert [row["file_id"] for row in result.to_rows()] == [GEMINI_562, PHARO, 1011]


@pytest.mark.parametrize(
    ("value", "band", "filt"),
    [
        ("K", None, "K"),  # a TRICERATOPS filt is taken as such...
        ("TESS", None, "TESS"),
        ("Brgamma", "Brgamma", "K"),  # ...anything else is a band label, mapped by the band table
        ("832nm", "832nm", "TESS"),
    ],
)
def test_one_filter_string_is_a_filt_or_a_band(
    fetched: ExoFopClient, value: str, band: str | None, filt: str
) -> None:
    result = fetched.contrast_curves(DEMO_TIC, filter=value)
    curves = [r.curve for r in result.converted]
    assert len(curves) == 2 and all(c is not None and c.triceratops_filter == filt for c in curves)
    if band is not None:
        assert all(c is not None and c.band == band for c in curves)
    else:  # the file's own band stays; only the filt is the caller's
        assert [c.band for c in curves if c is not None] == ["562nm", "Brgamma"]


def test_bad_filters_raise_before_anything_is_read(fetched: ExoFopClient) -> None:
    with pytest.raises(InvalidInputError, match="maps to no TRICERATOPS filter"):
        fetched.contrast_curves(DEMO_TIC, filter="L'")
    with pytest.raises(InvalidInputError, match="not a contrast curve of this target"):
        fetched.contrast_curves(DEMO_TIC, file_filters={1007: "K"})


def test_a_file_filter_wins_over_the_common_filter(fetched: ExoFopClient) -> None:
    result = fetched.contrast_curves(DEMO_TIC, filter="K", file_filters={GEMINI_562: "Vis"}, envelope="none")
    filts = {r.file_id: r.curve.triceratops_filter for r in result.converted if r.curve is not None}
    assert filts == {GEMINI_562: "Vis", PHARO: "K"}
    assert all(r.curve is not None and r.curve.envelope == "none" for r in result.converted)


def test_best_only_keeps_the_recommended_curve_and_the_problems(
    fetched: ExoFopClient, tmp_path: Path
) -> None:
    out = tmp_path / "tricera"
    result = fetched.contrast_curves(DEMO_TIC, best_only=True, export_dir=out)
    assert [(r.file_id, r.status) for r in result.reports] == [(PHARO, "converted"), (1011, "skipped")]
    assert result.recommended is result.reports[0] and result.exported == (result.reports[0],)
    assert result.export_dir == out
    exported = result.reports[0].exported
    assert exported is not None and sorted(p.name for p in out.iterdir()) == [
        exported.name,
        exported.with_suffix(".json").name,
    ]
    assert json.loads(exported.with_suffix(".json").read_text())["recommended"] is True


def test_every_loaded_curve_is_exported_best_first(fetched: ExoFopClient, tmp_path: Path) -> None:
    result = fetched.contrast_curves(DEMO_TIC, export_dir=tmp_path / "all")
    assert [r.file_id for r in result.exported] == [PHARO, GEMINI_562]
    assert all(r.exported is not None and r.exported.is_file() for r in result.exported)


def test_lightcurves_are_the_manifest_reports_kept_and_exported(
    fetched: ExoFopClient, tmp_path: Path
) -> None:
    out = tmp_path / "lc"
    result = fetched.lightcurves(DEMO_TIC, period=PERIOD, epoch=EPOCH, duration_hours=3.0, export_dir=out)
    (report,) = result.reports
    assert (report.file_id, report.status, report.rank, report.keep) == (1007, "converted", 1, True)
    assert report.lightcurve is not None and report.lightcurve.filter == "i"
    assert report.lightcurve.normalization == "out_of_transit_median"  # the default with a duration
    assert result.converted == result.ranked == result.kept == (report,)
    assert result.failed == result.left_out == () and result.export_dir == out
    assert report.exported is not None and report.exported.parent == out and report.exported.is_file()
    plain = collect_lightcurves(fetched.manifest_path_for(DEMO_TIC), period=PERIOD, epoch=EPOCH)
    again = fetched.lightcurves(DEMO_TIC, period=PERIOD, epoch=EPOCH)
    assert list(again.reports) == plain and again.export_dir is None
    assert [row["file_id"] for row in again.to_rows()] == [1007]


def test_lightcurve_arguments_reach_the_converter(fetched: ExoFopClient) -> None:
    result = fetched.lightcurves(
        DEMO_TIC,
        period=PERIOD,
        epoch=EPOCH,
        band="z",
        duration_hours=3.0,
        normalize="median",
        detrend="linear",
    )
    curve = result.reports[0].lightcurve
    assert curve is not None and curve.filter == "z" and curve.normalization == "median_of_all"
    assert curve.detrending is not None and curve.detrending.method == "linear"
    with pytest.raises(InvalidInputError, match="period"):
        fetched.lightcurves(DEMO_TIC, period=-1.0, epoch=EPOCH)
    with pytest.raises(InvalidInputError):
        fetched.lightcurves(DEMO_TIC, period=PERIOD, epoch=EPOCH, band="Brgamma")
