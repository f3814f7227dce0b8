"""Contrast curves: the six real samples in tests/data/contrast, cleaning, export, manifest discovery.

The three TRICERATOPS-form samples carry no band at all (not in the file, not in an ExoFOP-style name):
loading them alone must raise ``InvalidInputError``; with an imaging-summary row (faked here, as the real
row would come from ``download_imaging``) they load.
"""

from __future__ import annotations

import json
import shutil
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from exofop_cli.errors import InvalidInputError
from exofop_cli.ops.contrast import (
    EXOFOP_FILTER_EXAMPLES,
    RANKING_RULE,
    TRICERATOPS_FILTERS,
    ContrastCurve,
    band_table,
    best_contrast_curve,
    collect_contrast_curves,
    explain_band,
    find_contrast_curves,
    load_exofop_contrast_curve_dat,
    rank_contrast_curves,
    triceratops_filter_for,
)

DATA = Path(__file__).parent.parent / "data" / "contrast"
LC_DATA = Path(__file__).parent.parent / "data" / "lightcurves"
GEMINI_562 = DATA / "TOI5997I-cc20240523-562_sensitivity.dat"
GEMINI_832 = DATA / "TOI678I-ef20201228-832_sensitivity.dat"
PHARO = DATA / "TOI5997I-dc20230606-Brgamma_plot.tbl"
TOI4155 = DATA / "TRICERATOPSplus_TOI4155_01_contrast_curve.csv"
TOI1228 = DATA / "triceratops_TOI1228_cc_SOAR.tbl"
TOI465 = DATA / "triceratops_TOI465_01_contrastcurve_Ks.csv"
AIJ_HEAD = LC_DATA / "TIC120916706-01_20181213_LCO-SAAO-1m_ip_measurements.HEAD4.tbl"
TPLUS_LC = LC_DATA / "TRICERATOPSplus_TOI4155_01_J_lightcurve.HEAD12.txt"

IMAGING_HEADER = (
    "TIC ID,TIC,TOI,Telescope,Instrument,Filter,Image Type,Pixel Scale,PSF,Contrast,Obs Date,User,Group,"
    "Tag,Notes"
)


def loadtxt_comma(path: Path) -> list[tuple[float, float]]:
    """What ``np.loadtxt(path, delimiter=',')`` accepts: '#' comments, exactly 2 float fields a row."""
    rows = []
    for raw in path.read_text(encoding="ascii").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split(",")
        assert len(fields) == 2, line
        rows.append((float(fields[0]), float(fields[1])))
    return rows


def assert_clean(curve: ContrastCurve) -> None:
    seps, dmags = curve.separation_arcsec, curve.delta_mag
    assert len(seps) == len(dmags) >= 3
    assert all(b > a for a, b in pairwise(seps))
    assert all(b >= a for a, b in pairwise(dmags))
    assert all(d >= 0 for d in dmags)


def raw_pairs(path: Path, first_data_line: int) -> list[tuple[float, float]]:
    lines = path.read_text().splitlines()[first_data_line:]
    pairs = []
    for line in lines:
        fields = line.replace(",", " ").split()
        if len(fields) >= 2:
            pairs.append((float(fields[0]), float(fields[1])))
    return pairs


# ------------------------------------------------------------------------------------------------
# The real samples


def test_gemini_alopeke_562_uses_only_the_fit_block() -> None:
    curve = load_exofop_contrast_curve_dat(GEMINI_562)
    assert curve.band == "562nm"
    assert curve.triceratops_filter == "Vis"
    assert curve.telescope == "Gemini North"
    assert curve.instrument == "'Alopeke"  # inferred: camera b at Gemini North
    assert_clean(curve)
    # 120 fit rows with 0.10 listed twice; the 22 annulus rows (centres 0.1, 0.175, ...) are not used.
    assert len(curve.separation_arcsec) == 119
    assert 0.175 not in curve.separation_arcsec
    assert (curve.separation_arcsec[0], curve.delta_mag[0]) == (0.0, 0.0)
    assert (curve.separation_arcsec[-1], curve.delta_mag[-1]) == (1.17, 7.147455)
    dmag = dict(zip(curve.separation_arcsec, curve.delta_mag, strict=True))
    # The fit dips 4.924966 (0.25") -> 4.923932 (0.26"): inner points lowered, outer ones untouched.
    assert dmag[0.24] == dmag[0.25] == dmag[0.26] == 4.923932
    assert dmag[0.27] == 4.925891
    assert dmag[0.1] == 4.347154
    assert any("merged 1 duplicate separation" in w for w in curve.warnings)
    assert any("not monotonic" in w and "lowered 10 of 119" in w for w in curve.warnings)


def test_gemini_zorro_832() -> None:
    curve = load_exofop_contrast_curve_dat(GEMINI_832)
    assert (curve.band, curve.triceratops_filter) == ("832nm", "TESS")
    assert (curve.telescope, curve.instrument) == ("Gemini South", "Zorro")
    assert_clean(curve)
    assert len(curve.separation_arcsec) == 119
    assert curve.separation_arcsec[3] == 0.025848
    assert (curve.separation_arcsec[-1], curve.delta_mag[-1]) == (1.17, 6.701007)
    # 1.13 (6.710893) and outward decrease: the envelope brings 1.12-1.16 down to 6.701007.
    assert curve.delta_mag[-2] == 6.701007


def test_pharo_brgamma_plot_tbl() -> None:
    curve = load_exofop_contrast_curve_dat(PHARO)
    assert (curve.band, curve.triceratops_filter) == ("Brgamma", "K")
    assert (curve.instrument, curve.telescope) == ("PHARO", "Palomar-5m")
    assert_clean(curve)
    assert len(curve.separation_arcsec) == 104
    assert curve.separation_arcsec[:3] == (0.0, 0.111, 0.198)
    assert curve.delta_mag[:3] == (0.0, 2.067, 3.11)
    assert (curve.separation_arcsec[-1], curve.delta_mag[-1]) == (9.87, 8.32)
    # Never deeper than measured, point by point.
    raw = dict(raw_pairs(PHARO, 9))
    assert all(d <= raw[s] for s, d in zip(curve.separation_arcsec, curve.delta_mag, strict=True))


def test_triceratops_plus_toi4155_is_made_monotonic() -> None:
    raw = raw_pairs(TOI4155, 0)
    assert any(b[1] < a[1] for a, b in pairwise(raw))  # the sample really dips
    row = {"Filter": "832: 832 (40) nm", "Telescope": "Gemini (8 m)", "Instrument": "Zorro"}
    curve = load_exofop_contrast_curve_dat(TOI4155, imaging_row=row)
    assert (curve.band, curve.triceratops_filter) == ("832: 832 (40) nm", "TESS")
    assert (curve.instrument, curve.telescope) == ("Zorro", "Gemini (8 m)")
    assert_clean(curve)
    assert curve.separation_arcsec == tuple(s for s, _ in raw)
    dmag = dict(zip(curve.separation_arcsec, curve.delta_mag, strict=True))
    assert dmag[0.7749264705882353] == 4.4765625  # was 5.140625: the dip at 0.834" caps it
    assert dmag[0.4022058823529412] == 4.1875  # the deepest inner dip is kept as measured
    assert dmag[0.21746323529411768] == 4.1875  # was 4.4296875
    assert dmag[0.9610661764705881] == 5.1171875  # was 5.1953125
    assert curve.delta_mag[-1] == 5.1171875  # the outermost point never changes
    assert all(d <= r for d, (_, r) in zip(curve.delta_mag, raw, strict=True))
    (warning,) = [w for w in curve.warnings if "monotonic" in w]
    assert "lowered 10 of 17" in warning
    assert "largest change 0.664 mag at 0.774926 arcsec" in warning


@pytest.mark.parametrize("path", [TOI4155, TOI1228, TOI465])
def test_triceratops_form_without_band_is_refused(path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no band/filter"):
        load_exofop_contrast_curve_dat(path)


def test_triceratops_soar_tbl_with_trailing_blank_lines() -> None:
    curve = load_exofop_contrast_curve_dat(TOI1228, imaging_row={"Filter": "I", "Telescope": "SOAR (4.1 m)"})
    assert curve.triceratops_filter == "TESS"
    assert curve.separation_arcsec == (0.0, 0.07, 0.2, 0.25, 2.2)
    assert curve.delta_mag == (0.0, 1.0, 4.5, 5.5, 6.5)
    assert curve.warnings == ()
    assert curve.instrument is None and curve.telescope == "SOAR (4.1 m)"


def test_triceratops_ks_csv() -> None:
    curve = load_exofop_contrast_curve_dat(TOI465, imaging_row={"Filter": "Ks"})
    assert (curve.band, curve.triceratops_filter) == ("Ks", "K")
    assert_clean(curve)
    assert len(curve.separation_arcsec) == 100
    assert (curve.separation_arcsec[0], curve.delta_mag[0]) == (0.0333333, 0.0)
    assert (curve.separation_arcsec[-1], curve.delta_mag[-1]) == (3.3300333, 8.982787210363137)


# ------------------------------------------------------------------------------------------------
# Export


def read_csv_header_none(path: Path) -> list[list[float]]:
    """What ``pd.read_csv(path, header=None)`` needs to give numbers: every line, the first included, is a
    comma-separated row of floats (pandas has no comment character by default, so a '#' line breaks it)."""
    import csv

    with open(path, newline="", encoding="ascii") as fh:
        return [[float(cell) for cell in row] for row in csv.reader(fh) if row]


@pytest.mark.parametrize("path", [GEMINI_562, GEMINI_832, PHARO])
def test_export_is_bare_rows_with_a_sidecar(path: Path, tmp_path: Path) -> None:
    curve = load_exofop_contrast_curve_dat(path)
    out = curve.to_triceratops_csv(tmp_path / "sub" / "curve.csv")
    assert out == tmp_path / "sub" / "curve.csv"
    text = out.read_text(encoding="ascii")
    assert "#" not in text and text.endswith("\n")  # no comment line at all: the tutorials' read works
    rows = read_csv_header_none(out)
    assert rows == [[s, d] for s, d in zip(curve.separation_arcsec, curve.delta_mag, strict=True)]
    assert loadtxt_comma(out) == [tuple(r) for r in rows]
    sidecar = json.loads((tmp_path / "sub" / "curve.json").read_text())
    assert sidecar["triceratops"] == {"contrast_curve_file": "curve.csv", "filt": curve.triceratops_filter}
    assert sidecar["source_path"] == str(path) and sidecar["band"] == curve.band
    assert sidecar["points"] == len(rows) and sidecar["envelope"] == "conservative"
    assert sidecar["warnings"] == list(curve.warnings) and sidecar["exofop_version"]
    assert "separation_arcsec" not in sidecar  # the numbers live in the CSV only
    assert not list(tmp_path.joinpath("sub").glob(".*.part"))  # atomic: no temp file left


def test_export_without_sidecar(tmp_path: Path) -> None:
    load_exofop_contrast_curve_dat(PHARO).to_triceratops_csv(tmp_path / "c.csv", sidecar=False)
    assert [p.name for p in tmp_path.iterdir()] == ["c.csv"]


def test_to_dict_is_json_ready() -> None:
    curve = load_exofop_contrast_curve_dat(PHARO)
    data = json.loads(json.dumps(curve.to_dict()))
    assert data["source_path"] == str(PHARO)
    assert data["triceratops_filter"] == "K"
    assert data["separation_arcsec"][1] == 0.111
    assert data["warnings"] == list(curve.warnings)


def test_the_dataclass_enforces_its_invariants() -> None:
    base: dict[str, Any] = {
        "band": "J",
        "triceratops_filter": "J",
        "instrument": None,
        "telescope": None,
        "source_path": Path("x"),
    }
    ContrastCurve(separation_arcsec=(0.0, 0.1, 0.2), delta_mag=(0.0, 1.0, 1.0), **base)
    with pytest.raises(InvalidInputError, match="strictly increasing"):
        ContrastCurve(separation_arcsec=(0.0, 0.1, 0.1), delta_mag=(0.0, 1.0, 2.0), **base)
    with pytest.raises(InvalidInputError, match="non-decreasing"):
        ContrastCurve(separation_arcsec=(0.0, 0.1, 0.2), delta_mag=(0.0, 2.0, 1.0), **base)
    with pytest.raises(InvalidInputError, match="not one of"):
        ContrastCurve(
            separation_arcsec=(0.0, 0.1, 0.2),
            delta_mag=(0.0, 1.0, 2.0),
            **{**base, "triceratops_filter": "Ks"},
        )


# ------------------------------------------------------------------------------------------------
# Cleaning and band mapping details


def test_duplicates_nan_negative_and_order(tmp_path: Path) -> None:
    path = tmp_path / "TOI1I-ab20240101-Kcont_plot.tbl"
    path.write_text(
        "Filter = Kcont\n"
        "arcsec, dmag, dmrms\n"
        "0.2, 3.0, 0.1\n"
        "0.0, 0.0, 0.0\n"
        "0.1, 2.5, 0.1\n"
        "0.1, 2.0, 0.1\n"
        "0.3, nan, 0.1\n"
        "0.4, 4.0, 0.1\n"
        "0.5, 4.5, 0.1\n"
        "0.6, 5.0, 0.1\n"
        "0.7, 5.5, 0.1\n"
    )
    curve = load_exofop_contrast_curve_dat(path)
    assert curve.separation_arcsec == (0.0, 0.1, 0.2, 0.4, 0.5, 0.6, 0.7)
    assert curve.delta_mag == (0.0, 2.0, 3.0, 4.0, 4.5, 5.0, 5.5)  # duplicate 0.1: the shallower 2.0 kept
    text = " | ".join(curve.warnings)
    assert "dropped 1 row(s) with NaN or negative values" in text
    assert "sorted" in text
    assert "merged 1 duplicate separation row(s)" in text and "0.500 mag at 0.1 arcsec" in text
    assert "monotonic" not in text


def test_mostly_negative_rows_are_not_a_curve(tmp_path: Path) -> None:
    path = tmp_path / "contrast.csv"
    path.write_text("".join(f"{-0.1 + 0.02 * i:.2f},{1 + 0.001 * i}\n" for i in range(10)))
    with pytest.raises(InvalidInputError, match="does not look like a contrast curve"):
        load_exofop_contrast_curve_dat(path, imaging_row={"Filter": "J"})


@pytest.mark.parametrize(
    ("band", "expected"),
    [
        ("562: 562 (54) nm", "Vis"),
        ("832: 832 (40) nm", "TESS"),
        ("562nm", "Vis"),
        ("0.832 um", "TESS"),
        ("Brgamma", "K"),
        ("Br-gamma", "K"),
        ("Kcont", "K"),
        ("Ks", "K"),
        ("K'", "K"),
        ("K", "K"),
        ("Hcont", "H"),
        ("H", "H"),
        ("Jcont", "J"),
        ("J", "J"),
        ("2.2um", "K"),
        ("1.6", "H"),
        ("I", "TESS"),
        ("V", "Vis"),
        ("clear", None),
        ("LP600", "TESS"),
        ("350nm", None),
        ("1050 nm", None),
    ],
)
def test_band_mapping(band: str, expected: str | None) -> None:
    assert triceratops_filter_for(band) == expected


def test_unmappable_band_names_itself(tmp_path: Path) -> None:
    path = tmp_path / "x_plot.tbl"
    path.write_text("Filter = clear\narcsec, dmag, dmrms\n0,0,0\n0.1,1,0\n0.2,2,0\n")
    with pytest.raises(InvalidInputError, match=r"'clear'.*TESS, Vis, J, H, K"):
        load_exofop_contrast_curve_dat(path)


def test_file_band_wins_over_a_disagreeing_summary_row() -> None:
    curve = load_exofop_contrast_curve_dat(GEMINI_562, imaging_row={"Filter": "832: 832 (40) nm"})
    assert curve.triceratops_filter == "Vis"
    assert any("imaging summary row says band '832: 832 (40) nm' (TESS)" in w for w in curve.warnings)


def test_file_name_band_wins_over_a_disagreeing_summary_row(tmp_path: Path) -> None:
    """The name is the file's own; the imaging row is the observation's, and can be the other channel.

    research/triceratops.md 3.1: TOI1738I-ef20211022-832_sensitivity.dat sits next to the imaging row
    '562: 562 (54) nm'. The row used to win over the name, giving an 832 nm curve Vis.
    """
    path = tmp_path / "7_TOI1738I-ef20211022-832_sensitivity.dat"
    path.write_text("0.1 3.0\n0.5 5.0\n1.0 6.0\n")  # no metadata in the file itself
    curve = load_exofop_contrast_curve_dat(path, imaging_row={"Filter": "562: 562 (54) nm"})
    assert (curve.band, curve.triceratops_filter) == ("832", "TESS")
    assert any("imaging summary row says band '562: 562 (54) nm' (Vis)" in w for w in curve.warnings)
    # A name token that is no band at all does not hide the row's band.
    other = tmp_path / "8_TOI1738I-ef20211022-speckle_contrast.csv"
    other.write_text("0.1,3.0\n0.5,5.0\n1.0,6.0\n")
    curve = load_exofop_contrast_curve_dat(other, imaging_row={"Filter": "562: 562 (54) nm"})
    assert (curve.band, curve.triceratops_filter) == ("562: 562 (54) nm", "Vis")
    assert curve.warnings == ()


def test_band_from_the_exofop_file_name(tmp_path: Path) -> None:
    path = tmp_path / "12_TOI100I-xy20220101-Hcont_plot.tbl"
    path.write_text("arcsec, dmag, dmrms\n0,0,0\n0.1,1,0\n0.2,2,0\n")
    curve = load_exofop_contrast_curve_dat(path)
    assert (curve.band, curve.triceratops_filter) == ("Hcont", "H")


# ------------------------------------------------------------------------------------------------
# Things that are not contrast curves


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("plot.pdf", b"%PDF-1.4\n%binary", "PDF"),
        ("TOI1I-ab20240101-562_plot.png", b"\x89PNG\r\n\x1a\n\x00\x00", "PNG"),
        ("image.fits", b"SIMPLE  =                    T" + b" " * 50, "FITS"),
        ("login.dat", b"<!DOCTYPE html><html><body>log in</body></html>", "HTML"),
        ("short.csv", b"0.0, 0.0\n0.1, 2.0\n", "needs at least 3"),
        ("wide.dat", b"0.05 0.15 0.10 3.9\n0.15 0.20 0.175 5.0\n0.2 0.25 0.225 4.8\n", "rows of 4 numbers"),
        ("bjd.csv", b"2458466.28,1.0\n2458466.29,0.99\n2458466.30,1.0\n", "not a contrast"),
    ],
)
def test_not_a_curve(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InvalidInputError, match=message):
        load_exofop_contrast_curve_dat(path, imaging_row={"Filter": "J"})


@pytest.mark.parametrize("path", [AIJ_HEAD, TPLUS_LC])
def test_light_curves_are_not_curves(path: Path) -> None:
    with pytest.raises(InvalidInputError):
        load_exofop_contrast_curve_dat(path, imaging_row={"Filter": "J"})


def test_missing_file() -> None:
    with pytest.raises(InvalidInputError, match="cannot read"):
        load_exofop_contrast_curve_dat(DATA / "nope.dat")


# ------------------------------------------------------------------------------------------------
# Manifest discovery and collection


def _entry(file_id: int, source: Path | None, filename: str, type_: str, tag: int | None) -> dict[str, Any]:
    return {
        "file_id": file_id,
        "filename": filename,
        "type": type_,
        "path": f"files/{file_id}_{filename}",
        "sha256": "0" * 64,
        "bytes": source.stat().st_size if source else 0,
        "tag": tag,
        "description": "",
        "date": "2024-05-23",
        "toi": "5997.01",
        "user": "someone",
        "group": "tfopwg",
        "source_url": f"https://exofop.ipac.caltech.edu/tess/get_file.php?id={file_id}",
    }


def make_cache(root: Path, imaging_csv: str | None) -> Path:
    """A target folder with a manifest, the files it lists (one missing) and an imaging summary."""
    files = root / "files"
    files.mkdir(parents=True)
    entries = []
    specs: list[tuple[int, Path | bytes | None, str, str, int | None]] = [
        (40, GEMINI_832, GEMINI_832.name, "Image", 300),
        (12, GEMINI_562, GEMINI_562.name, "Image", 100),
        (13, PHARO, PHARO.name, "Image", 101),
        (14, b"\x89PNG\r\n\x1a\n\x00", "TOI5997I-dc20230606-Brgamma_plot.png", "Image", 101),
        (15, b"%PDF-1.4\n", "TOI5997I-cc20240523-562_contrast.pdf", "Image", 100),
        (16, TOI4155, TOI4155.name, "Image", 102),
        (17, TOI1228, TOI1228.name, "Image", None),
        (18, AIJ_HEAD, AIJ_HEAD.name, "Light_Curve", 200),
        (19, TPLUS_LC, TPLUS_LC.name, "Light_Curve", 200),
        (20, None, "TOI5997I-cc20240523-832_sensitivity.dat", "Image", 100),  # listed, not on disk
        (21, b"Seeing 1.2 arcsec, clear sky\nnothing to see\n", "TOI5997_cc_notes.txt", "Image", 100),
    ]
    for file_id, source, filename, type_, tag in specs:
        entry = _entry(file_id, source if isinstance(source, Path) else None, filename, type_, tag)
        entries.append(entry)
        target = root / entry["path"]
        if isinstance(source, Path):
            shutil.copyfile(source, target)
        elif isinstance(source, bytes):
            target.write_bytes(source)
    summaries = {}
    if imaging_csv is not None:
        (root / "summaries").mkdir()
        (root / "summaries" / "imaging.csv").write_text(imaging_csv)
        summaries["imaging"] = "summaries/imaging.csv"
    manifest = {
        "schema_version": 1,
        "target": {"tic_id": 1, "toi": ["5997.01"], "aliases": []},
        "summaries": summaries,
        "files": entries,
        "warnings": [],
        "errors": [],
    }
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root / "manifest.json"


IMAGING_CSV = "\n".join(
    [
        IMAGING_HEADER,
        # Tag 100 covers both Gemini channels: the joined row must not hand 832 to the 562 file.
        '1,,TOI 5997.01,Gemini (8 m),Alopeke,562: 562 (54) nm,Speckle,0.01,0.02,"5 mag, 0.5""",2024-05-23,'
        "u,tfopwg,100,",
        "1,,TOI 5997.01,Gemini (8 m),Alopeke,832: 832 (40) nm,Speckle,0.01,0.02,,2024-05-23,u,tfopwg,100,",
        "1,,TOI 5997.01,Palomar (5 m),PHARO,Brgamma,AO,0.025,0.1,,2023-06-06,u,tfopwg,101,",
        "1,,TOI 4155.01,Gemini (8 m),Zorro,832: 832 (40) nm,Speckle,0.01,0.02,,2021-01-01,u,tfopwg,102,"
        "note, with comma",
    ]
)


def test_find_contrast_curves(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", IMAGING_CSV)
    found = find_contrast_curves(manifest)
    files = tmp_path / "tic_1" / "files"
    assert found == [
        files / f"12_{GEMINI_562.name}",
        files / f"13_{PHARO.name}",
        files / f"16_{TOI4155.name}",
        files / f"17_{TOI1228.name}",
        files / f"40_{GEMINI_832.name}",
    ]
    assert all(p.is_absolute() for p in found)


def test_find_accepts_a_relative_manifest_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_cache(tmp_path / "tic_1", None)
    monkeypatch.chdir(tmp_path)
    found = find_contrast_curves(Path("tic_1") / "manifest.json")
    assert found[0] == tmp_path / "tic_1" / "files" / f"12_{GEMINI_562.name}"


def test_collect_contrast_curves_joins_imaging_rows_and_exports(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", IMAGING_CSV)
    out = tmp_path / "export"
    reports = collect_contrast_curves(manifest, export_dir=out)
    assert [r.file_id for r in reports] == [12, 13, 16, 17, 40]
    by_id = {r.file_id: r for r in reports}

    gemini = by_id[12]
    assert gemini.error is None and gemini.curve is not None
    assert gemini.curve.triceratops_filter == "Vis"  # file's 562 nm; the tag's two rows disagree on Filter
    assert gemini.curve.instrument == "Alopeke"  # both rows of tag 100 agree on the instrument
    assert gemini.exported == out / f"12_{GEMINI_562.stem}_triceratops.csv"
    assert loadtxt_comma(gemini.exported)[-1] == (1.17, 7.147455)

    toi4155 = by_id[16]
    assert toi4155.curve is not None and toi4155.curve.triceratops_filter == "TESS"  # from the row
    assert toi4155.curve.instrument == "Zorro"
    assert any("monotonic" in w for w in toi4155.curve.warnings)

    soar = by_id[17]  # no tag, no band anywhere: a report, not an exception
    assert soar.curve is None and soar.exported is None
    assert soar.error is not None and "no band/filter" in soar.error

    assert by_id[40].curve is not None and by_id[40].curve.triceratops_filter == "TESS"
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{i}_{p.stem}_triceratops.{ext}"
        for i, p in [(12, GEMINI_562), (13, PHARO), (16, TOI4155), (40, GEMINI_832)]
        for ext in ("csv", "json")
    )
    sidecar = json.loads(gemini.exported.with_suffix(".json").read_text())
    assert sidecar["source"]["file_id"] == 12 and sidecar["source"]["sha256"] == "0" * 64
    assert sidecar["source"]["filename"] == GEMINI_562.name and sidecar["rank"] == gemini.rank
    data = json.loads(json.dumps([r.to_dict() for r in reports]))
    assert data[0]["exported"] == str(gemini.exported)
    # Flat keys for the CLI table, the full curve nested.
    assert data[0]["filename"] == GEMINI_562.name  # the upload's name, without the cache's id prefix
    assert (data[0]["band"], data[0]["triceratops_filter"], data[0]["points"]) == ("562nm", "Vis", 119)
    assert data[0]["curve"]["delta_mag"][-1] == 7.147455
    assert data[3]["curve"] is None and data[3]["points"] is None and "no band" in data[3]["error"]


def test_export_failure_is_a_report(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", IMAGING_CSV)
    blocker = tmp_path / "export"
    blocker.write_text("a file where the export folder should be")
    reports = collect_contrast_curves(manifest, export_dir=blocker)
    gemini = next(r for r in reports if r.file_id == 12)
    assert gemini.curve is not None and gemini.exported is None
    assert gemini.error is not None and gemini.error.startswith("export failed: cannot write ")
    assert "cache folder" not in gemini.error  # an export folder is not the cache


def test_collect_without_summary_and_without_export(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", None)
    reports = collect_contrast_curves(manifest)
    by_id = {r.file_id: r for r in reports}
    assert by_id[16].curve is None and by_id[16].error is not None  # TOI4155 now has no band source
    assert by_id[12].curve is not None and by_id[12].exported is None
    assert by_id[12].curve.instrument == "'Alopeke"


def test_an_unusable_summary_is_a_warning(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", "<html><body>oops</body></html>")
    reports = collect_contrast_curves(manifest)
    curve = next(r.curve for r in reports if r.file_id == 12)
    assert curve is not None
    assert any("imaging summary" in w and "unusable" in w for w in curve.warnings)


def test_not_a_manifest(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no manifest"):
        find_contrast_curves(tmp_path / "manifest.json")
    (tmp_path / "manifest.json").write_text('{"schema_version": 99}')
    with pytest.raises(InvalidInputError, match="not an exofop manifest"):
        collect_contrast_curves(tmp_path / "manifest.json")


def test_manifest_paths_cannot_escape_the_folder(tmp_path: Path) -> None:
    root = tmp_path / "tic_1"
    root.mkdir()
    shutil.copyfile(GEMINI_562, tmp_path / "outside_sensitivity.dat")
    entry = _entry(1, GEMINI_562, "outside_sensitivity.dat", "Image", None)
    entry["path"] = "../outside_sensitivity.dat"
    (root / "manifest.json").write_text(json.dumps({"schema_version": 1, "files": [entry]}))
    assert find_contrast_curves(root / "manifest.json") == []


def test_a_curve_that_exists_only_as_a_plot_is_reported(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", IMAGING_CSV)
    data = json.loads(manifest.read_text())
    files = tmp_path / "tic_1" / "files"
    for file_id, name, type_, tag in [
        (50, "TOI5997_SOAR_I_20240601.pdf", "Image", 500),  # SOAR: a plot and nothing else for tag 500
        (51, "TOI5997I-cc20240523-832_contrast.png", "Image", 100),  # tag 100 has a loadable curve
        (52, "TOI5997_finder_chart.png", "Image", 501),  # not a contrast curve at all
        (53, "TIC77-01_20240601_SOAR_ip_lightcurve.png", "Light_Curve", 502),  # SOAR, but a light curve
        (54, "TOI5997I-cc20240601-562_image.png", "Image", 503),  # "cc": an observer's initials
        (55, "TOI5997_soarsky.png", "Image", 504),  # "soar" inside a word
        (56, "TOI5997I-at20200101_SOARspeckle.png", "Image", 505),  # joined words, told apart by case
        (57, "TIC123_ContrastCurve.png", "Image", 506),
    ]:
        (files / f"{file_id}_{name}").write_bytes(b"%PDF-1.4\n")
        data["files"].append(_entry(file_id, None, name, type_, tag))
    manifest.write_text(json.dumps(data))
    reports = collect_contrast_curves(manifest)
    assert [r.file_id for r in reports] == [12, 13, 16, 17, 40, 50, 56, 57]
    soar = reports[-3]
    assert soar.curve is None and soar.error is None and soar.filename == "TOI5997_SOAR_I_20240601.pdf"
    assert soar.to_dict()["warnings"] == [
        "only a plot (PDF) of a contrast curve: no numbers to load for this observation"
    ]
    assert find_contrast_curves(manifest) == [r.source_path for r in reports[:-3]]


def test_cli_contrast_shows_what_was_done_to_each_curve(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from exofop_cli.cli import app

    make_cache(tmp_path / "exofop" / "tic_1", IMAGING_CSV)
    result = CliRunner().invoke(app, ["--cache-dir", str(tmp_path), "--offline", "contrast", "1"])
    assert result.exit_code == 3, result.stderr  # TOI1228 has no band: one curve could not be loaded
    assert GEMINI_562.name in result.stdout and "no band" not in result.stdout.split("\n")[0]
    assert f"{TOI4155.name}: delta-mag was not monotonic" in result.stderr  # a warning without --json
    assert f"{TOI1228.name}: " in result.stderr and "no band/filter" in result.stderr
    as_json = CliRunner().invoke(app, ["--cache-dir", str(tmp_path), "--offline", "contrast", "1", "--json"])
    assert "monotonic" not in as_json.stderr  # JSON carries the warnings itself
    assert any("monotonic" in w for r in json.loads(as_json.stdout) for w in r["warnings"])


def test_cli_shows_a_plot_only_curve_as_such_even_when_quiet(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from exofop_cli.cli import app

    manifest = make_cache(tmp_path / "exofop" / "tic_1", IMAGING_CSV)
    data = json.loads(manifest.read_text())
    (tmp_path / "exofop" / "tic_1" / "files" / "50_TOI5997_SOAR_I.pdf").write_bytes(b"%PDF-1.4\n")
    data["files"].append(_entry(50, None, "TOI5997_SOAR_I.pdf", "Image", 500))
    manifest.write_text(json.dumps(data))
    result = CliRunner().invoke(app, ["--cache-dir", str(tmp_path), "--offline", "-q", "contrast", "1"])
    _header, *rows = result.stdout.splitlines()  # stdout is a plain TSV, the count a message on stderr
    assert rows[-1].endswith("only a plot (PDF) of a contrast curve: no numbers to load for this observation")
    loud = CliRunner().invoke(app, ["--cache-dir", str(tmp_path), "--offline", "contrast", "1"])
    assert loud.stderr.splitlines()[0] == "5 contrast curves, 1 plot without numbers"


# ------------------------------------------------------------------------------------------------
# Band table and overrides (issue 15, 1)


@pytest.mark.parametrize(
    ("band", "expected", "rule"),
    [
        # Spellings seen on ExoFOP
        ("562: 562 (54) nm", "Vis", "wavelength"),
        ("562: 562 (44) nm", "Vis", "wavelength"),
        ("832: 832 (40) nm", "TESS", "wavelength"),
        ("I: 879 (289) nm", "TESS", "wavelength"),
        ("J: 1.238 (0.271) microns", "J", "wavelength"),  # was refused: the name comes before the number
        ("Brgamma", "K", "name"),
        ("Kcont", "K", "name"),
        ("Hcont", "H", "name"),
        # Instrument filter names
        ("Br-gamma (2.17)", "K", "name"),
        ("H2 (2.12)", "K", "name"),  # the "2" of H2 is not a wavelength
        ("CH4s", "H", "name"),
        ("Jcont", "J", "name"),
        ("LP600", "TESS", "long-pass"),
        ("880 nm", "TESS", "wavelength"),
        ("692 nm", "TESS", "wavelength"),
        ("716 nm", "TESS", "wavelength"),
        ("i'", "TESS", "name"),
        ("Sloan z'", "TESS", "name"),
        ("Cousins I", "TESS", "name"),
        ("Br\u03b3", "K", "name"),
        ("H\u03b1", "TESS", "name"),  # H-alpha, not H
        ("L'", None, "name"),
        ("Y", None, "name"),
        ("banana", None, "unknown"),
    ],
)
def test_band_table_rules(band: str, expected: str | None, rule: str) -> None:
    mapping = explain_band(band)
    assert (mapping.triceratops_filter, mapping.rule) == (expected, rule)
    assert mapping.reason and "\n" not in mapping.reason and len(mapping.reason) < 200


def test_every_filter_seen_on_exofop_maps_and_every_row_has_a_reason() -> None:
    rows = band_table()
    assert [m.band for m, _ in rows] == [band for band, _ in EXOFOP_FILTER_EXAMPLES]
    for mapping, where in rows:
        assert mapping.reason, mapping.band
        if where.startswith("seen"):
            assert mapping.triceratops_filter in TRICERATOPS_FILTERS, mapping.band
    # Vis is only ever suggested with the warning that it is evaluated with TESS-band fluxes.
    assert all("TESS-band fluxes" in m.reason for m, _ in rows if m.triceratops_filter == "Vis")


def test_one_letter_names_keep_their_case() -> None:
    assert explain_band("I").wavelength_nm == 800.0  # Cousins I
    assert explain_band("i").wavelength_nm == 763.0  # Sloan i'
    assert explain_band("k").triceratops_filter == "K"  # no lower-case k filter: falls back to K
    assert explain_band("K'").reason.startswith("K' (2.12 um)")
    assert explain_band("K").reason.startswith("K (2.2 um)")


def _plot_tbl(tmp_path: Path, band: str) -> Path:
    path = tmp_path / "x_plot.tbl"
    path.write_text(f"Filter = {band}\narcsec, dmag, dmrms\n0,0,0\n0.2,3,0\n0.5,5,0\n1.0,6,0\n")
    return path


def test_an_unmappable_band_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"band \"L'\" .*beyond K") as info:
        load_exofop_contrast_curve_dat(_plot_tbl(tmp_path, "L'"))
    assert info.value.hint is not None and "--filter FILE_ID=FILT" in info.value.hint


def test_triceratops_filter_override(tmp_path: Path) -> None:
    curve = load_exofop_contrast_curve_dat(_plot_tbl(tmp_path, "L'"), triceratops_filter="K")
    assert (curve.band, curve.triceratops_filter) == ("L'", "K")
    assert curve.band_reason == "filt K given by the caller"
    assert any('the file says band "L\'" (no filter)' in w for w in curve.warnings)
    # An override on a file whose band maps fine is said too.
    brg = load_exofop_contrast_curve_dat(PHARO, triceratops_filter="TESS")
    assert brg.triceratops_filter == "TESS" and any("says band 'Brgamma' (K)" in w for w in brg.warnings)
    with pytest.raises(InvalidInputError, match="not one of TESS, Vis, J, H, K"):
        load_exofop_contrast_curve_dat(PHARO, triceratops_filter="Ks")  # TRICERATOPS would crash on it


def test_band_override(tmp_path: Path) -> None:
    curve = load_exofop_contrast_curve_dat(_plot_tbl(tmp_path, "clear"), band="Ks")
    assert (curve.band, curve.triceratops_filter, curve.wavelength_nm) == ("Ks", "K", 2146.0)
    assert curve.band_reason is not None and curve.band_reason.startswith("band 'Ks' given by the caller")
    # A band-less TRICERATOPS-form file loads with only a band given.
    assert load_exofop_contrast_curve_dat(TOI1228, band="I: 879 (289) nm").triceratops_filter == "TESS"
    with pytest.raises(InvalidInputError, match="'banana'"):
        load_exofop_contrast_curve_dat(PHARO, band="banana")


def test_collect_with_per_file_and_common_filters(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", IMAGING_CSV)
    reports = collect_contrast_curves(manifest, file_filters={17: "I", 13: "J"})
    by_id = {r.file_id: r for r in reports}
    assert by_id[17].curve is not None and by_id[17].curve.triceratops_filter == "TESS"  # had no band
    assert by_id[13].curve is not None and by_id[13].curve.triceratops_filter == "J"
    assert by_id[12].curve is not None and by_id[12].curve.triceratops_filter == "Vis"  # untouched
    everything = collect_contrast_curves(manifest, triceratops_filter="K", file_filters={12: "Vis"})
    assert {r.file_id: r.curve.triceratops_filter for r in everything if r.curve} == {
        12: "Vis",
        13: "K",
        16: "K",
        17: "K",
        40: "K",
    }


def test_collect_refuses_bad_overrides_up_front(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", IMAGING_CSV)
    with pytest.raises(InvalidInputError, match=r"file id\(s\) 999: .*file ids: 12, 13, 16, 17, 40"):
        collect_contrast_curves(manifest, file_filters={999: "K"})
    with pytest.raises(InvalidInputError, match='filter "L\'" maps to no'):
        collect_contrast_curves(manifest, file_filters={13: "L'"})
    with pytest.raises(InvalidInputError, match="'clear'"):
        collect_contrast_curves(manifest, band="clear")
    with pytest.raises(InvalidInputError, match="envelope"):
        collect_contrast_curves(manifest, envelope="loose")


def test_collect_error_names_the_file_id_to_override(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", IMAGING_CSV)
    soar = next(r for r in collect_contrast_curves(manifest) if r.file_id == 17)
    assert soar.error is not None and "--filter 17=FILT" in soar.error


# ------------------------------------------------------------------------------------------------
# Envelope (issue 15, 3)


def test_envelope_none_keeps_every_measured_point() -> None:
    raw = raw_pairs(PHARO, 9)
    curve = load_exofop_contrast_curve_dat(PHARO, envelope="none")
    assert curve.envelope == "none"
    assert list(zip(curve.separation_arcsec, curve.delta_mag, strict=True)) == raw  # sorted, no duplicates
    effect = curve.envelope_effect
    assert not effect.applied and effect.dips == 41 and effect.summary() == "off (41 dip(s))"
    (warning,) = [w for w in curve.warnings if "np.interp" in w]
    assert "kept as measured" in warning and "would lower 86 of 104 point(s)" in warning
    # Duplicates are still merged (to the shallower value) and rows still sorted.
    gemini = load_exofop_contrast_curve_dat(GEMINI_562, envelope="none")
    assert len(gemini.separation_arcsec) == 119 and gemini.delta_mag[-1] == 7.147455
    assert gemini.delta_mag != load_exofop_contrast_curve_dat(GEMINI_562).delta_mag


def test_the_envelope_reports_its_largest_change() -> None:
    effect = load_exofop_contrast_curve_dat(PHARO).envelope_effect
    assert effect.applied and effect.points_lowered == 86
    assert (round(effect.largest_dmag_change, 6), effect.largest_dmag_change_at) == (0.122, 7.188)
    # The delta-mag 8.306 is first reached at 1.821"; the envelope reaches it only at the last point, 9.87".
    assert (round(effect.largest_separation_shift, 6), effect.separation_shift_at_dmag) == (8.049, 8.306)
    assert effect.summary() == '-0.122 mag at 7.188"; sep +8.05" at 8.31 mag'


def test_envelope_shift_on_a_small_curve(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("0.1,2\n0.2,5\n0.3,4\n0.4,6\n")  # the 5 at 0.2" is undone by the 4 at 0.3"
    curve = load_exofop_contrast_curve_dat(path, band="K")
    assert curve.delta_mag == (2.0, 4.0, 4.0, 6.0)
    effect = curve.envelope_effect
    assert (effect.points_lowered, effect.largest_dmag_change, effect.largest_dmag_change_at) == (1, 1.0, 0.2)
    # Delta-mag 5 was reached at 0.2"; on the envelope only at 0.4".
    assert (effect.largest_separation_shift, effect.separation_shift_at_dmag) == (pytest.approx(0.2), 5.0)
    none = load_exofop_contrast_curve_dat(path, band="K", envelope="none")
    assert none.delta_mag == (2.0, 5.0, 4.0, 6.0) and none.envelope_effect.dips == 1


# ------------------------------------------------------------------------------------------------
# Ranking (issue 15, 4)


def _curve(tmp_path: Path, name: str, band: str, rows: str) -> ContrastCurve:
    path = tmp_path / name
    path.write_text(rows)
    return load_exofop_contrast_curve_dat(path, band=band)


def test_ranking_rule(tmp_path: Path) -> None:
    vis_deep = _curve(tmp_path, "a.csv", "562nm", "0.1,3\n0.5,7.5\n1.0,8\n")
    k = _curve(tmp_path, "b.csv", "Brgamma", "0.1,3\n0.5,6.0\n1.0,7\n")
    i_band = _curve(tmp_path, "c.csv", "832nm", "0.1,3\n0.5,6.5\n1.0,7\n")
    i_same = _curve(tmp_path, "d.csv", "880nm", "0.1,3\n0.5,6.5\n1.0,9\n")
    j_tie = _curve(tmp_path, "e.csv", "J", "0.1,3\n0.5,6.5\n1.0,9\n")
    short = _curve(tmp_path, "f.csv", "K", "0.05,3\n0.2,6\n0.4,9\n")  # never reaches 0.5"
    ranked = rank_contrast_curves([vis_deep, k, short, j_tie, i_band, i_same])
    # Vis last whatever its depth; 6.5 mag beats 6.0; at equal depth the band closest to TESS (832 nm
    # before 880 nm before J); a curve that does not reach 0.5" after those that do.
    assert ranked == [i_band, i_same, j_tie, k, short, vis_deep]
    assert "0.5 arcsec" in RANKING_RULE and "Vis" in RANKING_RULE
    assert k.delta_mag_at(0.75) == pytest.approx(6.5) and short.delta_mag_at(0.5) is None


def test_collect_ranks_and_exports_only_the_best(tmp_path: Path) -> None:
    manifest = make_cache(tmp_path / "tic_1", IMAGING_CSV)
    reports = collect_contrast_curves(manifest)
    ranks = {r.file_id: r.rank for r in reports}
    # PHARO K 6.96 mag at 0.5", Zorro 832 nm 6.17, TOI-4155 4.48; the 562 nm (Vis) curve last.
    assert ranks == {12: 4, 13: 1, 16: 3, 17: None, 40: 2}
    best = best_contrast_curve(reports)
    assert best is not None and best.file_id == 13 and best.to_dict()["recommended"] is True
    out = tmp_path / "best"
    only = collect_contrast_curves(manifest, export_dir=out, best_only=True)
    assert [r.file_id for r in only if r.exported] == [13]
    assert sorted(p.name for p in out.iterdir()) == [
        f"13_{PHARO.stem}_triceratops.csv",
        f"13_{PHARO.stem}_triceratops.json",
    ]
    assert json.loads((out / f"13_{PHARO.stem}_triceratops.json").read_text())["recommended"] is True


# ------------------------------------------------------------------------------------------------
# No silent skips (issue 15, 6)


def _cache_with(tmp_path: Path, files: list[tuple[int, bytes, str]]) -> Path:
    manifest = make_cache(tmp_path / "exofop" / "tic_1", IMAGING_CSV)
    data = json.loads(manifest.read_text())
    data["files"] = []
    folder = tmp_path / "exofop" / "tic_1" / "files"
    for file_id, content, name in files:
        (folder / f"{file_id}_{name}").write_bytes(content)
        data["files"].append(_entry(file_id, None, name, "Image", 100))
    manifest.write_text(json.dumps(data))
    return manifest


def test_a_file_named_like_a_curve_that_is_not_one_is_reported(tmp_path: Path) -> None:
    manifest = _cache_with(
        tmp_path,
        [
            (60, b"<!DOCTYPE html><html>login</html>", "TOI1I-ab20240101-832_sensitivity.dat"),
            (61, b"Seeing was poor\nno curve here\n", "TOI1_contrast_notes.txt"),
            (62, GEMINI_562.read_bytes(), GEMINI_562.name),
        ],
    )
    reports = collect_contrast_curves(manifest)
    assert [(r.file_id, r.status) for r in reports] == [(60, "skipped"), (61, "skipped"), (62, "converted")]
    assert reports[0].skipped == "not a contrast curve: it is an HTML page, not a text table"
    assert reports[1].skipped is not None and "usable (separation, delta-mag)" in reports[1].skipped
    assert find_contrast_curves(manifest) == [reports[2].source_path]


def test_cli_warns_per_skipped_file_and_exits_3_when_nothing_converted(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from exofop_cli.cli import app

    _cache_with(tmp_path, [(60, b"%PDF-1.4\n", "TOI1I-ab20240101-832_sensitivity.dat")])
    result = CliRunner().invoke(app, ["--cache-dir", str(tmp_path), "--offline", "contrast", "1"])
    assert result.exit_code == 3
    assert result.stderr.splitlines()[0] == "0 contrast curves, 1 skipped"  # a message: stdout is the TSV
    assert "warning: TOI1I-ab20240101-832_sensitivity.dat: skipped: not a contrast curve: it is a PDF" in (
        result.stderr
    )
    assert "error: nothing could be converted" in result.stderr
    # With one curve converted beside it, the skip is a warning and the exit code 0.
    tmp_path = tmp_path / "second"
    _cache_with(
        tmp_path,
        [
            (60, b"%PDF-1.4\n", "TOI1I-ab20240101-832_sensitivity.dat"),
            (62, GEMINI_562.read_bytes(), "x_sensitivity.dat"),
        ],
    )
    again = CliRunner().invoke(app, ["--cache-dir", str(tmp_path), "--offline", "contrast", "1", "--json"])
    assert again.exit_code == 0, again.stderr
    assert "skipped: not a contrast curve" in again.stderr  # JSON or not
    assert [r["status"] for r in json.loads(again.stdout)] == ["skipped", "converted"]


# ------------------------------------------------------------------------------------------------
# The command line


def _invoke(tmp_path: Path, *args: str) -> Any:
    from typer.testing import CliRunner

    from exofop_cli.cli import app

    return CliRunner().invoke(app, ["--cache-dir", str(tmp_path), "--offline", "contrast", *args])


def test_cli_filter_envelope_best_and_calc_probs_arguments(tmp_path: Path) -> None:
    make_cache(tmp_path / "exofop" / "tic_1", IMAGING_CSV)
    out = tmp_path / "out"
    result = _invoke(
        tmp_path, "1", "--filter", "17=I", "--filter", "K", "--envelope", "none", "--export", str(out)
    )
    assert result.exit_code == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()[1:]]
    assert {r[0]: r[3] for r in rows} == {"12": "K", "13": "K", "16": "K", "17": "TESS", "40": "K"}
    assert {r[0]: r[8] for r in rows}["13"] == "off (41 dip(s))"
    assert "recommended curve" in result.stderr and RANKING_RULE in result.stderr
    assert "TRICERATOPS+ / TRICERATOPS 1.0.x: contrast_curve_file='" in result.stderr
    assert "TRICERATOPS 1.1.0 (several curves): contrast_curve_file=[" in result.stderr
    best = _invoke(tmp_path, "1", "--best", "--json", "--filter", "17=TESS")
    assert best.exit_code == 0, best.stderr
    (row,) = json.loads(best.stdout)
    assert (row["file_id"], row["rank"], row["recommended"]) == (13, 1, True)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["1", "--filter", "x=K"], "expected FILT or FILE_ID=FILT"),
        (["1", "--filter", "K", "--filter", "J"], "two filters for every curve"),
        (["1", "--filter", "13=K", "--filter", "13=J"], "two filters for file 13"),
        (["1", "--filter", "17=L'"], "maps to no TRICERATOPS filter"),
        (["1", "--envelope", "loose"], "loose"),
        ([], "give a TARGET"),
    ],
)
def test_cli_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    make_cache(tmp_path / "exofop" / "tic_1", IMAGING_CSV)
    result = _invoke(tmp_path, *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_cli_bands(tmp_path: Path) -> None:
    result = _invoke(tmp_path, "--bands")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Band\tfilt\tReason\tWhere"
    table = {line.split("\t")[0]: line.split("\t")[1:] for line in lines[1:]}
    assert table["LP600"][0] == "TESS" and table["Br-gamma (2.17)"][0] == "K"
    assert table["clear"][0] == "refused" and table["any other centre 400-600 nm"][0] == "Vis"
    as_json = json.loads(_invoke(tmp_path, "--bands", "--json").stdout)
    assert {"band", "triceratops_filter", "reason", "rule", "seen"} <= set(as_json[0])


def test_band_rows_are_the_band_table_then_the_wavelength_rules() -> None:
    from exofop_cli.ops.contrast import EXOFOP_FILTER_EXAMPLES, WAVELENGTH_RULES, band_rows

    rows = band_rows()
    assert [r["band"] for r in rows[: len(EXOFOP_FILTER_EXAMPLES)]] == [b for b, _ in EXOFOP_FILTER_EXAMPLES]
    assert len(rows) == len(EXOFOP_FILTER_EXAMPLES) + len(WAVELENGTH_RULES)
    assert rows[-1] == {
        "band": "any other centre 2450-inf nm",
        "triceratops_filter": "refused",
        "rule": "wavelength",
        "reason": "redder than K (2.45 um)",
        "seen": "",
    }
    by_band = {r["band"]: r for r in rows}
    assert by_band["clear"]["triceratops_filter"] == "refused"  # None is written out for the table
    assert (by_band["Ks"]["triceratops_filter"], by_band["Ks"]["seen"]) == (
        "K",
        "filter of Keck NIRC2, VLT NaCo",
    )
