"""External light curves for TRICERATOPS+: AstroImageJ tables, simpler tables, filters, manifest discovery.

The real AstroImageJ sample (tests/data/lightcurves/*HEAD4.tbl) holds only the header and 3 of 77 rows.
``synthetic_aij`` keeps its real 254-column header and first row as a template and writes a full night with
a 2 % transit, so normalisation and phase folding are checked against known numbers.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import statistics
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from exofop_cli.errors import InvalidInputError
from exofop_cli.ops.lightcurves import (
    KEEP_RULE,
    ExternalLightCurve,
    band_from_filename,
    collect_lightcurves,
    find_lightcurves,
    load_sg1_lightcurve,
    triceratops_plus_filter_for,
)

DATA = Path(__file__).parent.parent / "data" / "lightcurves"
AIJ_HEAD = DATA / "TIC120916706-01_20181213_LCO-SAAO-1m_ip_measurements.HEAD4.tbl"
TPLUS_J = DATA / "TRICERATOPSplus_TOI4155_01_J_lightcurve.HEAD12.txt"
TPLUS_I = DATA / "TRICERATOPSplus_TOI4155_01_i_lightcurve.HEAD12.txt"
GEMINI = Path(__file__).parent.parent / "data" / "contrast" / "TOI5997I-cc20240523-562_sensitivity.dat"

# Synthetic transit (TOI-263.01-like period); times in BJD_TDB.
PERIOD = 0.5570385
T_MID = 2458466.3800
DEPTH = 0.02
DURATION_H = 1.0
BASE_FLUX = 0.0870
ERR = 0.000476
N_ROWS = 120
CADENCE = 0.00165
BJD_START = 2458466.283384  # the first real BJD_TDB of the sample
NAME = "TIC120916706-01_20181213_LCO-SAAO-1m_ip_measurements.tbl"


def model(dt: float) -> float:
    """Trapezoid transit: 1 out of transit, 1 - DEPTH at the bottom, 10-minute ingress/egress."""
    half = DURATION_H / 48.0
    ramp = 10.0 / 1440.0
    x = abs(dt)
    if x >= half:
        return 1.0
    if x <= half - ramp:
        return 1.0 - DEPTH
    return 1.0 - DEPTH * (half - x) / ramp


def synthetic_aij(
    path: Path,
    *,
    n_rows: int = N_ROWS,
    extra_rows: list[dict[str, str]] | None = None,
    drop: tuple[str, ...] = (),
    nan: tuple[str, ...] = (),
    sigma: float = 0.0002,
    start: float = BJD_START,
    airmass: Callable[[float], float] = lambda dt: 1.0296,  # the sample's first AIRMASS
    trend: Callable[[float, float], float] = lambda dt, x: 1.0,  # systematics factor of (dt, airmass)
    seed: int = 263,
) -> list[float]:
    """Write an AstroImageJ table from the real header; return the BJD_TDB of each written row."""
    lines = AIJ_HEAD.read_text().splitlines()
    header = lines[0].split("\t")
    template = lines[1].split("\t")
    keep = [i for i, name in enumerate(header) if name not in drop]
    index = {name: i for i, name in enumerate(header)}
    noise = random.Random(seed)
    rows: list[dict[str, str]] = []
    for k in range(n_rows):
        bjd = start + k * CADENCE
        jd_utc = bjd - 0.003291  # the sample's BJD_TDB - JD_UTC
        x = airmass(bjd - T_MID)
        flux = BASE_FLUX * model(bjd - T_MID) * trend(bjd - T_MID, x) + noise.gauss(0.0, sigma)
        rows.append(
            {
                " ": str(k + 1),
                "Label": f"cpt1m010-fa16-20181213-{62 + k:04d}-e91.fits",
                "slice": f"{k + 1:.6f}",
                "J.D.-2400000": f"{jd_utc - 2400000:.6f}",
                "JD_UTC": f"{jd_utc:.6f}",
                "BJD_TDB": f"{bjd:.6f}",
                "rel_flux_T1": f"{flux:.6f}",
                "rel_flux_err_T1": f"{ERR:.6f}",
                "AIRMASS": f"{x:.6f}",
            }
        )
    rows += extra_rows or []
    out = ["\t".join(header[i] for i in keep)]
    for values in rows:
        fields = list(template)
        for name, value in values.items():
            fields[index[name]] = value
        for name in nan:
            fields[index[name]] = "NaN"
        out.append("\t".join(fields[i] for i in keep))
    path.write_bytes(("\r\n".join(out) + "\r\n").encode())  # CRLF like the real file
    return [float(r["BJD_TDB"]) for r in rows]


NO_DURATION = "transit duration unknown"


def other_warnings(lc: ExternalLightCurve) -> tuple[str, ...]:
    """The warnings except the one every light curve loaded without a transit duration carries."""
    return tuple(w for w in lc.warnings if not w.startswith(NO_DURATION))


def read_triceratops_file(path: Path) -> list[tuple[float, float, float]]:
    """What TRICERATOPS+ reads: whitespace-separated, no header, exactly 3 floats a row."""
    rows = []
    for line in path.read_text(encoding="ascii").splitlines():
        fields = line.split()
        assert len(fields) == 3, line
        rows.append((float(fields[0]), float(fields[1]), float(fields[2])))
    return rows


@pytest.fixture
def aij(tmp_path: Path) -> Path:
    path = tmp_path / NAME
    synthetic_aij(path)
    return path


# ------------------------------------------------------------------------------------------------
# AstroImageJ measurements


def test_synthetic_table_keeps_the_real_header(aij: Path) -> None:
    header = aij.read_text().splitlines()[0].split("\t")
    assert header == AIJ_HEAD.read_text().splitlines()[0].split("\t")
    assert len(header) == 254 and header[0] == " "


def test_aij_fold_and_out_of_transit_normalisation(aij: Path) -> None:
    epoch = T_MID - 30 * PERIOD  # 30 cycles earlier: folding must bring it back
    lc = load_sg1_lightcurve(aij, period=PERIOD, epoch=epoch, duration_hours=DURATION_H)
    assert (lc.filter, lc.band) == ("i", "ip")  # from the file name
    assert lc.normalization == "out_of_transit_median"
    assert lc.warnings == ()
    times = lc.time_from_midtransit_days
    assert len(times) == N_ROWS
    assert times[0] == pytest.approx(BJD_START - T_MID, abs=1e-6)
    assert times[-1] == pytest.approx(BJD_START + (N_ROWS - 1) * CADENCE - T_MID, abs=1e-6)
    assert all(b > a for a, b in pairwise(times))
    outside = [f for t, f in zip(times, lc.flux, strict=True) if abs(t) > 0.6 * DURATION_H / 24]
    assert statistics.median(outside) == pytest.approx(1.0, abs=1e-12)
    bottom = [f for t, f in zip(times, lc.flux, strict=True) if abs(t) < 0.01]
    assert statistics.mean(bottom) == pytest.approx(1 - DEPTH, abs=0.002)
    deepest = min(range(len(times)), key=lambda i: lc.flux[i])
    assert abs(times[deepest]) < DURATION_H / 48
    assert lc.flux_err[0] == pytest.approx(ERR / (BASE_FLUX * (1 + 0.0)), rel=0.01)


def test_btjd_epoch_gives_the_same_fold_with_a_warning(aij: Path) -> None:
    bjd = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID)
    btjd = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID - 2457000.0)
    assert btjd.time_from_midtransit_days == pytest.approx(bjd.time_from_midtransit_days, abs=1e-8)
    assert any("BTJD" in w and "2458466.380000" in w for w in btjd.warnings)
    assert not any("BTJD" in w for w in bjd.warnings)


def test_without_duration_the_median_of_all_points_is_used(aij: Path) -> None:
    lc = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID)
    assert lc.normalization == "median_of_all"
    assert statistics.median(lc.flux) == pytest.approx(1.0, abs=1e-12)
    (warning,) = lc.warnings  # said, because the out-of-transit level then sits above 1
    assert warning.startswith(NO_DURATION) and "--duration" in warning


def test_duration_too_long_for_the_data_falls_back(aij: Path) -> None:
    lc = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, duration_hours=8.0)
    assert lc.normalization == "median_of_all"
    assert any("out-of-transit median" in w for w in lc.warnings)


def test_an_epoch_that_puts_every_point_out_of_transit_is_warned_about(aij: Path) -> None:
    lc = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID + 2.0, duration_hours=DURATION_H)
    assert any("no point lies inside the transit" in w and "--epoch" in w for w in lc.warnings)
    right = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H)
    assert not any("inside the transit" in w for w in right.warnings)


def test_bad_rows_duplicates_and_order(tmp_path: Path) -> None:
    path = tmp_path / NAME
    extra = [
        {"BJD_TDB": f"{BJD_START + 5 * CADENCE:.6f}", "rel_flux_T1": "0.5", "rel_flux_err_T1": "0.0005"},
        {"BJD_TDB": f"{BJD_START - CADENCE:.6f}", "rel_flux_T1": "NaN", "rel_flux_err_T1": "0.0005"},
        {"BJD_TDB": f"{BJD_START - 2 * CADENCE:.6f}", "rel_flux_T1": "0.087", "rel_flux_err_T1": "0"},
        {"BJD_TDB": f"{BJD_START - 3 * CADENCE:.6f}", "rel_flux_T1": "0.087", "rel_flux_err_T1": "0.0005"},
    ]
    synthetic_aij(path, extra_rows=extra)
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID)
    assert len(lc.time_from_midtransit_days) == N_ROWS + 1  # only the earliest extra row survives
    assert lc.time_from_midtransit_days[0] == pytest.approx(BJD_START - 3 * CADENCE - T_MID, abs=1e-6)
    assert 0.5 / BASE_FLUX not in lc.flux  # the duplicate time kept the first (in-file) row
    text = " | ".join(lc.warnings)
    assert "dropped 1 row(s) with missing or non-finite" in text
    assert "dropped 1 row(s) with a zero or negative flux error" in text
    assert "sorted the rows" in text
    assert "dropped 1 row(s) with a duplicate time" in text


@pytest.mark.parametrize("how", ["dropped", "nan"])
def test_jd_utc_when_bjd_is_missing_or_empty(tmp_path: Path, how: str) -> None:
    path = tmp_path / NAME
    if how == "dropped":
        synthetic_aij(path, drop=("BJD_TDB",))
    else:
        synthetic_aij(path, nan=("BJD_TDB",))
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID)
    # HJD_UTC would come first but is all NaN in the real file (and so here); J.D.-2400000 and JD_UTC
    # are the same clock, JD_UTC is named first in the rules.
    assert lc.time_from_midtransit_days[0] == pytest.approx(BJD_START - 0.003291 - T_MID, abs=1e-6)
    (warning,) = other_warnings(lc)
    assert "'JD_UTC'" in warning and "barycentric" in warning


def test_folding_two_transits_warns(tmp_path: Path) -> None:
    path = tmp_path / "TIC1-01_20200101_Obs_zs_measurements.csv"
    # Night 0 at whole 0.01 d offsets, night 3 in between: folded, they interleave.
    rows = [f"{T_MID + k * 0.01:.6f},1.0,0.001" for k in range(-4, 5)]
    rows += [f"{T_MID + 3 * PERIOD + k * 0.01 + 0.005:.6f},0.99,0.001" for k in range(-4, 5)]
    path.write_text("BJD_TDB,rel_flux,rel_flux_err\n" + "\n".join(rows) + "\n")
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID)
    assert lc.filter == "z"
    assert any("2 different transits (cycles 0 to 3)" in w for w in lc.warnings)
    assert any("sorted the rows" in w for w in lc.warnings)
    assert len(lc.time_from_midtransit_days) == 18
    assert lc.time_from_midtransit_days[:2] == pytest.approx([-0.04, -0.035], abs=1e-6)
    assert lc.flux[:2] == pytest.approx([1.0 / 0.995, 0.99 / 0.995])  # median of all = 0.995


def test_times_equal_at_the_written_precision_are_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "x_ip_measurements.csv"
    rows = [f"{k * 0.01:.3f},1.0,0.001" for k in range(-3, 4)] + ["0.000000000001,5.0,0.001"]
    path.write_text("time,flux,flux_err\n" + "\n".join(rows) + "\n")
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID)
    assert len(lc.flux) == 7 and 5.0 not in lc.flux
    assert any("dropped 1 row(s) with a duplicate time" in w for w in lc.warnings)
    assert (
        len({ln.split()[0] for ln in lc.to_triceratops_file(tmp_path / "o.txt").read_text().splitlines()})
        == 7
    )


# ------------------------------------------------------------------------------------------------
# Simpler tables and the TRICERATOPS+ samples


@pytest.mark.parametrize(
    ("header", "sep"),
    [("BJD_TDB, rel_flux, rel_flux_err", ", "), ("time flux flux_err", " "), ("# BJD_TDB flux err", " ")],
)
def test_named_columns(tmp_path: Path, header: str, sep: str) -> None:
    path = tmp_path / "TIC1-01_20200101_Obs_gp_lightcurve.txt"
    rows = [
        sep.join([f"{T_MID + k * 0.005:.6f}", f"{2.0 * (1 + 0.001 * k):.6f}", "0.002"]) for k in range(-6, 7)
    ]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID)
    assert lc.filter == "g"
    assert lc.time_from_midtransit_days[0] == pytest.approx(-0.03, abs=1e-6)
    assert lc.flux[6] == pytest.approx(1.0)
    assert lc.flux_err[0] == pytest.approx(0.001)
    if header.startswith("time"):
        assert any("taken as BJD_TDB" in w for w in lc.warnings)
    else:
        assert other_warnings(lc) == ()


def test_offset_in_the_column_name(tmp_path: Path) -> None:
    path = tmp_path / "x_i_measurements.csv"
    rows = [f"{T_MID - 2457000 + k * 0.005:.6f},1.0,0.001" for k in range(6)]
    path.write_text("BJD_TDB-2457000,rel_flux,rel_flux_err\n" + "\n".join(rows) + "\n")
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID)
    assert lc.time_from_midtransit_days[0] == pytest.approx(0.0, abs=1e-6)
    assert other_warnings(lc) == ()


def test_headerless_bjd(tmp_path: Path) -> None:
    path = tmp_path / "lc.txt"
    path.write_text("".join(f"{T_MID + k * 0.005:.6f} 1.0 0.001\n" for k in range(6)))
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID, band="r'")
    assert lc.filter == "r" and lc.band == "r'"
    assert lc.time_from_midtransit_days[-1] == pytest.approx(0.025, abs=1e-6)
    assert any("taken as BJD_TDB" in w for w in lc.warnings)


@pytest.mark.parametrize(
    ("path", "filt", "first"), [(TPLUS_J, "J", -0.02086218), (TPLUS_I, "i", -0.116532493)]
)
def test_triceratops_plus_samples_are_relative_times(path: Path, filt: str, first: float) -> None:
    lc = load_sg1_lightcurve(path, period=3.0, epoch=2459000.0)
    assert lc.filter == filt
    assert len(lc.time_from_midtransit_days) == 12
    assert lc.time_from_midtransit_days[0] == first  # untouched: already days from mid-transit
    assert statistics.median(lc.flux) == pytest.approx(1.0, abs=1e-12)
    assert any("days from mid-transit" in w for w in lc.warnings)


def test_relative_times_beyond_half_a_period_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "lc_i_lightcurve.txt"
    path.write_text("".join(f"{1466.3 + k * 0.005:.4f} 1.0 0.001\n" for k in range(6)))  # BTJD, unnamed
    with pytest.raises(InvalidInputError, match="half the period"):
        load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID)


def test_real_head_sample_is_too_short() -> None:
    with pytest.raises(InvalidInputError, match="3 usable row"):
        load_sg1_lightcurve(AIJ_HEAD, period=PERIOD, epoch=T_MID)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "x_i_measurements.tbl",
            "\tLabel\tAIRMASS\n1\ta.fits\t1.0\n",
            "header has no time column and no flux and flux-error columns",
        ),
        ("x_i_measurements.tbl", "\tLabel\trel_flux_T1\trel_flux_err_T1\n1\ta\t1\t1\n", "no time column \\("),
        ("x_i_measurements.tbl", "BJD_TDB\tAIRMASS\n2458466.3\t1.0\n", "flux and flux-error"),
        ("x_i_lc.txt", "".join(f"{k * 0.01} 1.0\n" for k in range(8)), "fewer than 3 columns"),
        ("x_i_lc.pdf", "%PDF-1.4\n", "PDF"),
        ("x_i_lc.txt", "", "no data rows"),
    ],
)
def test_not_a_light_curve(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InvalidInputError, match=message):
        load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID)


def test_export_round_trip(aij: Path, tmp_path: Path) -> None:
    lc = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H)
    out = lc.to_triceratops_file(tmp_path / "out" / "ip.txt")
    rows = read_triceratops_file(out)
    assert len(rows) == N_ROWS
    times = [r[0] for r in rows]
    assert all(b > a for a, b in pairwise(times))
    for (t, f, e), t0, f0, e0 in zip(rows, lc.time_from_midtransit_days, lc.flux, lc.flux_err, strict=True):
        assert t == pytest.approx(t0, abs=1e-8)
        assert f == pytest.approx(f0, rel=1e-9)
        assert e == pytest.approx(e0, rel=1e-9)
    data = json.loads(json.dumps(lc.to_dict()))
    assert data["filter"] == "i" and data["normalization"] == "out_of_transit_median"
    assert data["source_path"] == str(aij)


def test_dataclass_invariants() -> None:
    base: dict[str, Any] = {"band": None, "source_path": Path("x")}
    five = tuple(float(i) for i in range(5))
    ExternalLightCurve(five, five, five, "K", **base)
    with pytest.raises(InvalidInputError, match="sorted and unique"):
        ExternalLightCurve((0.0, 0.0, 1.0, 2.0, 3.0), five, five, "K", **base)
    with pytest.raises(InvalidInputError, match="not one of"):
        ExternalLightCurve(five, five, five, "Rc", **base)


# ------------------------------------------------------------------------------------------------
# Inputs: period, epoch, filters


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": 0.0, "epoch": T_MID}, "period must be a positive"),
        ({"period": -1.0, "epoch": T_MID}, "period must be a positive"),
        ({"period": float("nan"), "epoch": T_MID}, "period must be a positive"),
        ({"period": PERIOD, "epoch": 58466.38}, "neither BJD_TDB"),
        ({"period": PERIOD, "epoch": float("inf")}, "epoch must be a number"),
        ({"period": PERIOD, "epoch": T_MID, "duration_hours": -2.0}, "duration must be a positive"),
    ],
)
def test_bad_numbers(aij: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        load_sg1_lightcurve(aij, **kwargs)


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("ip", "i"),
        ("i'", "i"),
        ("i", "i"),
        ("sdss_i", "i"),
        ("SDSS i'", "i"),
        ("I", "i"),
        ("gp", "g"),
        ("g'", "g"),
        ("rp", "r"),
        ("r'", "r"),
        ("zs", "z"),
        ("z'", "z"),
        ("zp", "z"),
        ("z_s", "z"),
        ("Z", "z"),
        ("J", "J"),
        ("H", "H"),
        ("K", "K"),
        ("Ks", "K"),
        ("Rc", None),
        ("R", None),
        ("V", None),
        ("B", None),
        ("TESS", None),
        ("clear", None),
    ],
)
def test_filter_mapping(band: str, expected: str | None) -> None:
    assert triceratops_plus_filter_for(band) == expected


@pytest.mark.parametrize(
    ("name", "band"),
    [
        ("TIC120916706-01_20181213_LCO-SAAO-1m_ip_measurements.tbl", "ip"),
        ("7_TIC254113311-02_20200330_PEST_Rc_measurements.xls", "Rc"),
        ("TRICERATOPSplus_TOI4155_01_J_lightcurve.HEAD12.txt", "J"),
        ("TIC1-01_20200101_LCO-SSO-1m0_20200101_measurements.tbl", None),  # the token is not a band
        ("TIC1_notes.txt", None),
    ],
)
def test_band_from_filename(name: str, band: str | None) -> None:
    assert band_from_filename(name) == band


def test_unsupported_band_from_the_name(tmp_path: Path) -> None:
    path = tmp_path / "TIC254113311-02_20200330_PEST_Rc_measurements.tbl"
    synthetic_aij(path)
    with pytest.raises(
        InvalidInputError, match=r"'Rc' \(from the file name .*allowed: g, r, i, z, J, H, K"
    ) as info:
        load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID)
    assert info.value.hint is not None and "--filter" in info.value.hint
    # The argument wins over the name.
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID, band="i")
    assert (lc.filter, lc.band) == ("i", "i")


def test_band_from_the_tseries_row_and_missing_band(tmp_path: Path) -> None:
    path = tmp_path / "photometry.tbl"
    synthetic_aij(path)
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID, tseries_row={"Filter": "zs", "Tag": "5"})
    assert (lc.filter, lc.band) == ("z", "zs")
    with pytest.raises(InvalidInputError, match="no band") as info:
        load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID, tseries_row={"Filter": None})
    assert info.value.hint is not None and "--filter" in info.value.hint


# ------------------------------------------------------------------------------------------------
# Manifest discovery and collection

TSERIES_HEADER = (
    "TIC ID|TIC|TOI|Telescope|Camera|Filter|Pixel Scale|PSF|Phot Aperture Rad|Obs Date|Obs Duration|Num Obs|"
    "Obs Type|Transit Coverage|Delta Mag|User|Group|Tag|Notes"
)


def _tseries_row(tag: int, filt: str) -> str:
    return (
        f"120916706||TOI 263.01|LCO-SAAO-1m0 (1.0 m)|Sinistro|{filt}|0.389|1.8|9.0|2018-12-13|200.0|120|"
        f"Continuous|Full||someone|tfopwg|{tag}|"
    )


def make_cache(root: Path, specs: list[tuple[int, Path | bytes | None, str, str, int | None]]) -> Path:
    (root / "files").mkdir(parents=True)
    (root / "summaries").mkdir()
    (root / "summaries" / "tseries.pipe").write_text(
        "\n".join([TSERIES_HEADER, _tseries_row(200, "ip"), _tseries_row(201, "zs"), _tseries_row(201, "gp")])
        + "\n\n\n"
    )
    entries = []
    for file_id, source, filename, type_, tag in specs:
        rel = f"files/{file_id}_{filename}"
        if isinstance(source, Path):
            shutil.copyfile(source, root / rel)
        elif isinstance(source, bytes):
            (root / rel).write_bytes(source)
        entries.append({"file_id": file_id, "filename": filename, "type": type_, "path": rel, "tag": tag})
    manifest = {
        "schema_version": 1,
        "target": {"tic_id": 120916706, "toi": ["263.01"], "aliases": []},
        "summaries": {"tseries": "summaries/tseries.pipe"},
        "files": entries,
        "warnings": [],
        "errors": [],
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root / "manifest.json"


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    sources = tmp_path / "sources"
    sources.mkdir()
    named = sources / "named.tbl"
    synthetic_aij(named)
    unnamed = sources / "unnamed.xls"
    synthetic_aij(unnamed)
    specs: list[tuple[int, Path | bytes | None, str, str, int | None]] = [
        (30, named, "TIC120916706-01_20181213_LCO-SAAO-1m_ip_measurements.tbl", "Light_Curve", 200),
        (
            31,
            b"\x89PNG\r\n\x1a\n\x00",
            "TIC120916706-01_20181213_LCO-SAAO-1m_ip_lightcurve.png",
            "Light_Curve",
            200,
        ),
        (32, named, "TIC120916706-01_20181213_LCO-SAAO-1m_Rc_measurements.tbl", "Light_Curve", 200),
        (33, unnamed, "TIC120916706-01_20181214_MuSCAT2.xls", "Light_Curve", 201),  # header says AIJ
        (34, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "TIC120916706-01_measurements.xls", "Light_Curve", 200),
        (35, TPLUS_J, TPLUS_J.name, "Light_Curve", None),
        (
            36,
            b"Observed in good seeing.\nTransit detected on target.\n",
            "TIC120916706_notes.txt",
            "Light_Curve",
            200,
        ),
        (37, GEMINI, GEMINI.name, "Image", 100),
        (38, None, "TIC120916706-01_20181215_LCO_ip_measurements.tbl", "Light_Curve", 200),  # not on disk
        (12, named, "TIC120916706-01_20181212_LCO-SAAO-1m_gp_measurements.tbl", "Light_Curve", None),
    ]
    return make_cache(tmp_path / "tic_120916706", specs)


def test_find_lightcurves(cache: Path) -> None:
    files = cache.parent / "files"
    assert find_lightcurves(cache) == [
        files / "12_TIC120916706-01_20181212_LCO-SAAO-1m_gp_measurements.tbl",
        files / "30_TIC120916706-01_20181213_LCO-SAAO-1m_ip_measurements.tbl",
        files / "32_TIC120916706-01_20181213_LCO-SAAO-1m_Rc_measurements.tbl",
        files / "33_TIC120916706-01_20181214_MuSCAT2.xls",
        files / f"35_{TPLUS_J.name}",
    ]


def test_collect_lightcurves(cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    reports = collect_lightcurves(
        cache, period=PERIOD, epoch=T_MID, export_dir=out, duration_hours=DURATION_H
    )
    assert [r.file_id for r in reports] == [12, 30, 32, 33, 34, 35]
    by_id = {r.file_id: r for r in reports}
    assert by_id[12].lightcurve is not None and by_id[12].lightcurve.filter == "g"
    assert by_id[30].lightcurve is not None and by_id[30].lightcurve.filter == "i"
    rc = by_id[32]
    assert rc.lightcurve is None and rc.exported is None
    assert rc.error is not None and "'Rc'" in rc.error
    # Tag 201 has two rows (zs and gp): they disagree, so the file gets no band and reports it.
    muscat = by_id[33]
    assert muscat.lightcurve is None and muscat.error is not None and "no band" in muscat.error
    assert by_id[35].lightcurve is not None and by_id[35].lightcurve.filter == "J"
    exported = by_id[30].exported
    assert exported == out / "30_TIC120916706-01_20181213_LCO-SAAO-1m_ip_measurements_triceratops.txt"
    assert len(read_triceratops_file(exported)) == N_ROWS
    # A real Excel file named like a measurements table is not read, and says why (no silent skip).
    excel = by_id[34]
    assert excel.lightcurve is None and excel.error is None and excel.status == "skipped"
    assert excel.skipped is not None and "an Excel/OLE document, not a text table" in excel.skipped
    assert sorted(p.name for p in out.iterdir()) == sorted(
        name
        for r in reports
        if r.exported is not None
        for name in (r.exported.name, r.exported.with_suffix(".json").name)
    )
    data = json.loads(json.dumps([r.to_dict() for r in reports]))
    assert data[2]["lightcurve"] is None and data[1]["exported"] == str(exported)
    assert data[1]["filename"] == "TIC120916706-01_20181213_LCO-SAAO-1m_ip_measurements.tbl"
    assert (data[1]["filter"], data[1]["band"], data[1]["points"]) == ("i", "ip", N_ROWS)
    assert data[1]["normalization"] == "out_of_transit_median"
    assert data[2]["filter"] is None and "'Rc'" in data[2]["error"]


def test_collect_with_a_band_override(cache: Path) -> None:
    reports = collect_lightcurves(cache, period=PERIOD, epoch=T_MID, band="zs")
    assert [r.file_id for r in reports if r.lightcurve is None] == [34]  # the binary Excel file
    assert all(r.lightcurve.filter == "z" for r in reports if r.lightcurve is not None)
    assert all(r.exported is None for r in reports)


def test_collect_rejects_bad_inputs_up_front(cache: Path) -> None:
    with pytest.raises(InvalidInputError, match="period"):
        collect_lightcurves(cache, period=0, epoch=T_MID)
    with pytest.raises(InvalidInputError, match="'V'"):
        collect_lightcurves(cache, period=PERIOD, epoch=T_MID, band="V")


def test_more_than_seven_light_curves(tmp_path: Path) -> None:
    source = tmp_path / "one.tbl"
    synthetic_aij(source)
    specs: list[tuple[int, Path | bytes | None, str, str, int | None]] = [
        (i, source, f"TIC1-01_2018121{i}_LCO_ip_measurements.tbl", "Light_Curve", None) for i in range(1, 10)
    ]
    reports = collect_lightcurves(make_cache(tmp_path / "tic_1", specs), period=PERIOD, epoch=T_MID)
    assert len(reports) == 9
    flagged = [
        r.file_id for r in reports if r.lightcurve and any("at most 7" in w for w in r.lightcurve.warnings)
    ]
    assert flagged == [8, 9]
    last = reports[-1].lightcurve
    assert last is not None and any("ranks 9 of 9" in w and "leave it out" in w for w in last.warnings)
    assert [r.keep for r in reports] == [True] * 7 + [False] * 2


# ------------------------------------------------------------------------------------------------
# Normalisation, detrending, the out-of-transit check (issue 15, 5)


def oot_median(lc: ExternalLightCurve, edge: float = 0.6 * DURATION_H / 24) -> float:
    return statistics.median(
        f for t, f in zip(lc.time_from_midtransit_days, lc.flux, strict=True) if abs(t) > edge
    )


def test_normalize_modes(aij: Path) -> None:
    oot = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H)
    assert oot.normalization == "out_of_transit_median" and oot_median(oot) == pytest.approx(1.0, abs=1e-12)
    assert oot.out_of_transit is not None and oot.out_of_transit.level == pytest.approx(1.0, abs=1e-12)
    assert oot.warnings == ()
    # The median of all points lies inside the transit's pull: the baseline ends up above 1, and is said.
    median = load_sg1_lightcurve(
        aij, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H, normalize="median"
    )
    assert median.normalization == "median_of_all"
    assert median.out_of_transit is not None
    shift = median.out_of_transit.level - 1
    assert shift > median.out_of_transit.level_error > 0  # 560 ppm against 290 ppm
    (warning,) = median.warnings
    assert (
        warning.startswith("the out-of-transit level after processing is 1.00")
        and "--normalize oot" in warning
    )
    # none: the file's own numbers, untouched.
    none = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H, normalize="none")
    assert none.normalization == "as_given"
    assert none.flux == pytest.approx([f * BASE_FLUX for f in oot.flux], rel=0.01)
    assert none.flux_err[0] == ERR
    assert any("out-of-transit level after processing is 0.08" in w for w in none.warnings)


def test_the_level_warning_does_not_advise_the_normalisation_that_was_used(aij: Path) -> None:
    """--normalize oot that fell back to the median (too few points out of transit) was told to use
    --normalize oot; the advice is now about the baseline it lacks."""
    lc = load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, duration_hours=3.6)  # 11 of 120 points out
    assert lc.normalization == "median_of_all"
    (level,) = [w for w in lc.warnings if w.startswith("the out-of-transit level after processing")]
    assert "use --normalize oot" not in level
    assert "too few points out of transit" in level and "--duration" in level


def test_normalize_defaults_to_oot_only_when_the_duration_is_known(aij: Path) -> None:
    assert load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID).normalization == "median_of_all"
    with pytest.raises(InvalidInputError, match="--normalize oot needs the transit duration") as info:
        load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, normalize="oot")
    assert info.value.hint is not None and "--duration" in info.value.hint
    with pytest.raises(InvalidInputError, match="normalize must be one of oot, median, none"):
        load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, normalize="mean")


def test_triceratops_plus_sample_kept_as_given_with_normalize_none() -> None:
    # The TRICERATOPS+ J example is already normalised: the median of its points is not its baseline.
    given = load_sg1_lightcurve(TPLUS_J, period=3.0, epoch=2459000.0, normalize="none")
    assert given.flux == tuple(float(line.split()[1]) for line in TPLUS_J.read_text().splitlines())
    rescaled = load_sg1_lightcurve(TPLUS_J, period=3.0, epoch=2459000.0)
    assert rescaled.flux != given.flux


def _airmass_night(dt: float) -> float:
    return 1.05 + 4.0 * (dt + 0.1) ** 2 + 1.5 * (dt + 0.1)  # rising through the night: 1.05 -> ~1.35


def test_airmass_detrend_removes_an_airmass_trend(tmp_path: Path) -> None:
    path = tmp_path / NAME
    synthetic_aij(path, airmass=_airmass_night, trend=lambda dt, x: 1.0 - 0.04 * (x - 1.0), sigma=0.00005)
    plain = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H)
    assert any("a trend remains; try --detrend airmass or --detrend linear" in w for w in plain.warnings)
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H, detrend="airmass")
    assert lc.detrending is not None and lc.detrending.method == "airmass"
    assert lc.detrending.to_dict()["fractional_slope"] == pytest.approx(-0.04, abs=0.004)
    assert not any("trend" in w for w in lc.warnings), lc.warnings
    assert oot_median(lc) == pytest.approx(1.0, abs=1e-12)
    bottom = [f for t, f in zip(lc.time_from_midtransit_days, lc.flux, strict=True) if abs(t) < 0.01]
    assert statistics.mean(bottom) == pytest.approx(1 - DEPTH, abs=0.001)
    assert lc.out_of_transit is not None
    assert lc.to_dict()["detrending"]["fit_points"] == lc.out_of_transit.points == 90


def test_linear_detrend_in_time(tmp_path: Path) -> None:
    path = tmp_path / NAME
    synthetic_aij(path, trend=lambda dt, x: 1.0 + 0.05 * dt, sigma=0.00005)
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H, detrend="linear")
    assert lc.detrending is not None
    assert lc.detrending.to_dict()["fractional_slope"] == pytest.approx(0.05, abs=0.005)
    assert not any("trend" in w for w in lc.warnings)
    # Out-of-transit points on one side only: the baseline is extrapolated, and that is said.
    one_side = tmp_path / "one_side_ip_measurements.tbl"
    synthetic_aij(one_side, n_rows=70, trend=lambda dt, x: 1.0 + 0.05 * dt, sigma=0.00005)
    lc = load_sg1_lightcurve(
        one_side, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H, detrend="linear"
    )
    assert any("only before the transit: the linear baseline is extrapolated" in w for w in lc.warnings)


def test_detrend_errors(tmp_path: Path, aij: Path) -> None:
    with pytest.raises(InvalidInputError, match="--detrend airmass needs the transit duration"):
        load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, detrend="airmass")
    with pytest.raises(InvalidInputError, match="detrend must be one of none, airmass, linear"):
        load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H, detrend="poly")
    path = tmp_path / "x_ip_measurements.tbl"
    synthetic_aij(path, drop=("AIRMASS",))
    with pytest.raises(InvalidInputError, match="no AIRMASS column") as info:
        load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H, detrend="airmass")
    assert info.value.hint == "use --detrend linear instead"
    with pytest.raises(InvalidInputError, match="too few to fit"):
        load_sg1_lightcurve(aij, period=PERIOD, epoch=T_MID, duration_hours=8.0, detrend="linear")


def test_a_lone_short_time_step_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / NAME
    extra = [
        {
            "BJD_TDB": f"{BJD_START + 10 * CADENCE + 0.0001:.6f}",
            "rel_flux_T1": "0.087",
            "rel_flux_err_T1": "0.0005",
        }
    ]
    synthetic_aij(path, extra_rows=extra)
    lc = load_sg1_lightcurve(path, period=PERIOD, epoch=T_MID, duration_hours=DURATION_H)
    assert any("smallest time step (8.6 s) is under half the typical cadence" in w for w in lc.warnings)


def test_light_curve_sidecar(cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "export"
    reports = collect_lightcurves(
        cache, period=PERIOD, epoch=T_MID, export_dir=out, duration_hours=DURATION_H, detrend="linear"
    )
    report = next(r for r in reports if r.file_id == 30)
    assert report.exported is not None and report.sidecar == report.exported.with_suffix(".json")
    sidecar = json.loads(report.sidecar.read_text())
    assert sidecar["triceratops_plus"] == {"external_lc_files": [report.exported.name], "filt_lcs": ["i"]}
    assert sidecar["normalization"] == "out_of_transit_median" and sidecar["detrending"]["method"] == "linear"
    assert sidecar["source"]["file_id"] == 30 and sidecar["keep_for_triceratops_plus"] is True
    assert (sidecar["period_days"], sidecar["epoch_bjd_tdb"], sidecar["duration_hours"]) == (
        PERIOD,
        T_MID,
        DURATION_H,
    )
    assert sidecar["out_of_transit"]["level"] == pytest.approx(1.0)
    assert "flux" not in sidecar and len(read_triceratops_file(report.exported)) == N_ROWS


# ------------------------------------------------------------------------------------------------
# Which 7 to keep (issue 15, 7)


def test_the_keep_rule_takes_one_curve_per_filter_first(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    sources.mkdir()
    specs: list[tuple[int, Path | bytes | None, str, str, int | None]] = []
    for i in range(1, 9):  # eight i-band curves, noisier with the file id
        source = sources / f"ip{i}.tbl"
        synthetic_aij(source, sigma=0.0002 * i, seed=i)
        specs.append((i, source, f"TIC1-01_2018121{i}_LCO_ip_measurements.tbl", "Light_Curve", None))
    noisy_z = sources / "zs.tbl"
    synthetic_aij(noisy_z, sigma=0.004, seed=20)
    specs.append((20, noisy_z, "TIC1-01_20181220_LCO_zs_measurements.tbl", "Light_Curve", None))
    off_transit = sources / "off.tbl"
    synthetic_aij(off_transit, start=BJD_START + 0.25, seed=21)  # no point in transit
    specs.append((21, off_transit, "TIC1-01_20181221_LCO_gp_measurements.tbl", "Light_Curve", None))
    reports = collect_lightcurves(
        make_cache(tmp_path / "tic_1", specs), period=PERIOD, epoch=T_MID, duration_hours=DURATION_H
    )
    rank = {r.file_id: r.rank for r in reports}
    # The i-band leader, then the z-band one (the only z, however noisy), then the other i by precision;
    # the g-band curve with no point in transit measures no depth: last, though it is a filter of its own.
    assert rank == {1: 1, 20: 2, 2: 3, 3: 4, 4: 5, 5: 6, 6: 7, 7: 8, 8: 9, 21: 10}
    kept = sorted(r.file_id for r in reports if r.keep)
    assert kept == [1, 2, 3, 4, 5, 6, 20]
    last = next(r.lightcurve for r in reports if r.file_id == 21)
    assert last is not None
    (dropped,) = [w for w in last.warnings if "at most 7" in w]
    assert "ranks 10 of 10" in dropped and KEEP_RULE in dropped


def test_a_curve_without_an_out_of_transit_baseline_ranks_after_complete_ones(tmp_path: Path) -> None:
    """With the duration known, a curve with (almost) no point out of transit measures no depth.

    It was ranked by its mean error over sqrt(points), as if the duration were unknown, so a curve that
    covers only the transit (normalised by its own median: the transit is gone) came before the noisier but
    complete one, and took the leader's place of its filter.
    """
    sources = tmp_path / "sources"
    sources.mkdir()
    complete = sources / "complete.tbl"
    synthetic_aij(complete, sigma=0.001, seed=1)
    inside = sources / "inside.tbl"
    synthetic_aij(inside, n_rows=25, start=T_MID - 12 * CADENCE, seed=2)  # the transit only
    specs: list[tuple[int, Path | bytes | None, str, str, int | None]] = [
        (1, complete, "TIC1-01_20181211_LCO_ip_measurements.tbl", "Light_Curve", None),
        (2, inside, "TIC1-01_20181212_LCO_ip_measurements.tbl", "Light_Curve", None),
        (3, inside, "TIC1-01_20181213_LCO_zs_measurements.tbl", "Light_Curve", None),
    ]
    reports = collect_lightcurves(
        make_cache(tmp_path / "tic_1", specs), period=PERIOD, epoch=T_MID, duration_hours=DURATION_H
    )
    assert {r.file_id: r.rank for r in reports} == {1: 1, 2: 2, 3: 3}
    transit_only = next(r.lightcurve for r in reports if r.file_id == 2)
    assert transit_only is not None and transit_only.out_of_transit is None
    assert transit_only.depth_uncertainty() == math.inf
    assert transit_only.to_dict()["depth_uncertainty"] is None
    # Without a duration nothing is known about the transit: the mean error still ranks the curves.
    unknown = collect_lightcurves(make_cache(tmp_path / "tic_2", specs), period=PERIOD, epoch=T_MID)
    assert all(r.lightcurve and math.isfinite(r.lightcurve.depth_uncertainty()) for r in unknown)


def test_cli_lightcurves_keep_list_skips_and_exit_codes(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from exofop_cli.cli import app

    source = tmp_path / "one.tbl"
    synthetic_aij(source)
    specs: list[tuple[int, Path | bytes | None, str, str, int | None]] = [
        (i, source, f"TIC1-01_2018121{i}_LCO_ip_measurements.tbl", "Light_Curve", None) for i in range(1, 10)
    ]
    specs.append(
        (40, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "TIC1-01_measurements.xls", "Light_Curve", None)
    )
    make_cache(tmp_path / "exofop" / "tic_1", specs)
    out = tmp_path / "out"
    args = ["--cache-dir", str(tmp_path), "--offline", "lightcurves", "1", "--period", str(PERIOD)]
    args += ["--epoch", str(T_MID), "--duration", str(DURATION_H)]
    result = CliRunner().invoke(app, [*args, "--export", str(out)])
    assert result.exit_code == 0, result.stderr  # one skip beside converted curves: a warning only
    assert result.stderr.splitlines()[0] == "9 light curves, 1 skipped"  # a message: stdout is the TSV
    assert "warning: TIC1-01_measurements.xls: skipped: it is an Excel/OLE document" in result.stderr
    assert (
        "TRICERATOPS+ accepts at most 7 external light curves and 9 loaded: keep file ids 1, 2, 3, 4, 5, 6, 7; "
        "leave out 8, 9 (rule: " in result.stderr
    )
    (line,) = [ln for ln in result.stderr.splitlines() if ln.startswith("TRICERATOPS+: external_lc_files=")]
    assert line.count("_triceratops.txt") == 7 and line.endswith(
        "filt_lcs=['i', 'i', 'i', 'i', 'i', 'i', 'i']"
    )
    # Nothing convertible at all: exit 3, and said.
    only_bad = tmp_path / "bad"
    make_cache(only_bad / "exofop" / "tic_1", [specs[-1]])
    bad = CliRunner().invoke(app, ["--cache-dir", str(only_bad), *args[2:]])
    assert bad.exit_code == 3
    assert "skipped: it is an Excel/OLE document" in bad.stderr and "nothing could be converted" in bad.stderr
    usage = CliRunner().invoke(app, [*args[:-2], "--detrend", "airmass"])
    assert usage.exit_code == 2 and "--detrend airmass needs the transit duration" in usage.stderr
