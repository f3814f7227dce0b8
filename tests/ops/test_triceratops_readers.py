"""exofop's exports read by TRICERATOPS's own code (skipped unless ``triceratops`` is installed).

CI stays light: the whole module is skipped when ``import triceratops`` fails. Locally:
``pip install triceratops`` (1.1.0 on PyPI; it brings numpy and pandas) and run this file. What it
checks, with TRICERATOPS's functions rather than imitations of them:

* ``funcs.file_to_contrast_curve`` (``np.loadtxt(path, delimiter=',')``) gives back exactly the exported
  floats, for every real sample and both envelopes; ``pd.read_csv(path, header=None)`` (the tutorials'
  read) gives the same table (to 1e-13 with pandas' fast parser; exactly with round_trip);
* ``funcs.flux_relation`` accepts every ``filt`` exofop can suggest (any other value raises
  UnboundLocalError deep inside ``calc_probs``);
* ``separation_at_contrast`` on a conservative export is non-decreasing in delta-mag, and 1.1.0's
  ``parse_contrast_curves`` / ``limiting_separation`` take the lists exofop prints for several curves;
* light-curve exports load with ``np.loadtxt`` (TRICERATOPS+'s reader; TRICERATOPS+ itself is not on
  PyPI) as three columns with strictly increasing times.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("triceratops")
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
funcs = pytest.importorskip("triceratops.funcs")

from exofop_cli.ops.contrast import (  # noqa: E402 (after the skips: nothing to import without triceratops)
    TRICERATOPS_FILTERS,
    ContrastCurve,
    band_table,
    collect_contrast_curves,
    load_exofop_contrast_curve_dat,
)
from exofop_cli.ops.lightcurves import collect_lightcurves  # noqa: E402

from .test_lightcurves import DURATION_H, PERIOD, T_MID, synthetic_aij  # noqa: E402

DATA = Path(__file__).parent.parent / "data" / "contrast"
SAMPLES: list[tuple[str, dict[str, str] | None]] = [
    ("TOI5997I-cc20240523-562_sensitivity.dat", None),
    ("TOI678I-ef20201228-832_sensitivity.dat", None),
    ("TOI5997I-dc20230606-Brgamma_plot.tbl", None),
    ("TRICERATOPSplus_TOI4155_01_contrast_curve.csv", {"Filter": "832: 832 (40) nm"}),
    ("triceratops_TOI1228_cc_SOAR.tbl", {"Filter": "I: 879 (289) nm"}),
    ("triceratops_TOI465_01_contrastcurve_Ks.csv", {"Filter": "Ks"}),
]


def _export(name: str, row: dict[str, str] | None, envelope: str, folder: Path) -> tuple[ContrastCurve, Path]:
    curve = load_exofop_contrast_curve_dat(DATA / name, imaging_row=row, envelope=envelope)
    return curve, curve.to_triceratops_csv(folder / f"{Path(name).stem}_{envelope}.csv")


@pytest.mark.parametrize("envelope", ["conservative", "none"])
@pytest.mark.parametrize(("name", "row"), SAMPLES)
def test_file_to_contrast_curve_reads_the_export_exactly(
    name: str, row: dict[str, str] | None, envelope: str, tmp_path: Path
) -> None:
    curve, path = _export(name, row, envelope, tmp_path)
    separations, contrasts = funcs.file_to_contrast_curve(str(path))
    assert separations.tolist() == list(curve.separation_arcsec)  # bit for bit: repr round-trips
    assert contrasts.tolist() == list(curve.delta_mag)
    # The tutorials' read. pandas' default (fast) float parser is not exact: 0.1332333 reads as
    # 0.13323330000000003, 17-digit 0.012205882352941178 as 0.0122058823529411 (6e-15 relative);
    # float_precision="round_trip" is exact, as is np.loadtxt, which TRICERATOPS uses.
    table = pd.read_csv(path, header=None)
    assert table.shape == (len(curve.separation_arcsec), 2)
    assert np.allclose(table.to_numpy(), np.column_stack([separations, contrasts]), rtol=1e-13, atol=0)
    exact = pd.read_csv(path, header=None, float_precision="round_trip")
    assert exact[0].tolist() == list(curve.separation_arcsec) and exact[1].tolist() == list(curve.delta_mag)


@pytest.mark.parametrize(("name", "row"), SAMPLES)
def test_separation_at_contrast_is_monotonic_on_conservative_exports(
    name: str, row: dict[str, str] | None, tmp_path: Path
) -> None:
    _curve, path = _export(name, row, "conservative", tmp_path)
    separations, contrasts = funcs.file_to_contrast_curve(str(path))
    dmags = np.linspace(0.0, 12.0, 241)
    seps = funcs.separation_at_contrast(dmags, separations, contrasts)
    assert np.all(np.diff(seps) >= 0)
    assert seps[-1] == separations[-1]  # deeper than the curve: clamped to its outermost point


def test_flux_relation_accepts_every_filt_exofop_suggests() -> None:
    suggested = {m.triceratops_filter for m, _ in band_table() if m.triceratops_filter is not None}
    assert suggested == set(TRICERATOPS_FILTERS)
    masses = np.array([0.1, 0.3, 0.6, 1.0])
    for filt in TRICERATOPS_FILTERS:
        fluxes = funcs.flux_relation(masses, filt)
        assert np.all(np.isfinite(fluxes)) and np.all(np.diff(fluxes) > 0), filt
    with pytest.raises(UnboundLocalError):  # what exofop's refusal of "Ks" saves users from
        funcs.flux_relation(masses, "Ks")


def _cache(root: Path, files: list[tuple[int, Path, str, str]]) -> Path:
    (root / "files").mkdir(parents=True)
    entries: list[dict[str, Any]] = []
    for file_id, source, filename, type_ in files:
        rel = f"files/{file_id}_{filename}"
        shutil.copyfile(source, root / rel)
        entries.append({"file_id": file_id, "filename": filename, "type": type_, "path": rel, "tag": None})
    (root / "manifest.json").write_text(json.dumps({"schema_version": 1, "files": entries}))
    return root / "manifest.json"


def test_triceratops_1_1_takes_the_lists_exofop_prints(tmp_path: Path) -> None:
    manifest = _cache(
        tmp_path / "tic_1",
        [
            (1, DATA / SAMPLES[0][0], SAMPLES[0][0], "Image"),
            (2, DATA / SAMPLES[1][0], SAMPLES[1][0], "Image"),
            (3, DATA / SAMPLES[2][0], SAMPLES[2][0], "Image"),
        ],
    )
    reports = sorted(
        (r for r in collect_contrast_curves(manifest, export_dir=tmp_path / "out") if r.exported),
        key=lambda r: r.rank or 0,
    )
    files = [str(r.exported) for r in reports]
    filts = [r.curve.triceratops_filter for r in reports if r.curve]
    assert filts == ["K", "TESS", "Vis"]
    parsed_files, parsed_filts = funcs.parse_contrast_curves(files, filts)
    assert list(parsed_files) == files and list(parsed_filts) == filts
    dmags = [np.array([2.0, 5.0, 7.0, 9.0])] * len(files)
    seps = funcs.limiting_separation(dmags, files)
    assert seps.shape == (4,) and np.all(np.isfinite(seps))


def test_light_curve_exports_load_with_np_loadtxt(tmp_path: Path) -> None:
    source = tmp_path / "src.tbl"
    synthetic_aij(source)
    manifest = _cache(
        tmp_path / "tic_1",
        [(7, source, "TIC1-01_20181213_LCO_ip_measurements.tbl", "Light_Curve")],
    )
    for detrend in ("none", "linear"):
        (report,) = collect_lightcurves(
            manifest,
            period=PERIOD,
            epoch=T_MID,
            duration_hours=DURATION_H,
            detrend=detrend,
            export_dir=tmp_path / detrend,
        )
        assert report.exported is not None and report.lightcurve is not None
        data = np.loadtxt(report.exported)  # TRICERATOPS+: external_lc = np.loadtxt(lc_file)
        assert data.shape == (len(report.lightcurve.flux), 3)
        assert np.min(np.diff(data[:, 0])) > 0  # its exptime_p = np.min(np.diff(time_p))
        assert np.allclose(data[:, 1], report.lightcurve.flux, rtol=1e-9)
        assert abs(np.median(data[np.abs(data[:, 0]) > 0.6 * DURATION_H / 24, 1]) - 1.0) < 1e-9
