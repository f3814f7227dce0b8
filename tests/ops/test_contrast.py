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
    ContrastCurve,
    collect_contrast_curves,
    find_contrast_curves,
    load_exofop_contrast_curve_dat,
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


@pytest.mark.parametrize("path", [GEMINI_562, GEMINI_832, PHARO])
def test_export_round_trips_through_a_loadtxt_equivalent(path: Path, tmp_path: Path) -> None:
    curve = load_exofop_contrast_curve_dat(path)
    out = curve.to_triceratops_csv(tmp_path / "sub" / "curve.csv")
    assert out == tmp_path / "sub" / "curve.csv"
    text = out.read_text(encoding="ascii")
    lines = text.splitlines()
    first_data = next(i for i, ln in enumerate(lines) if not ln.startswith("#"))
    assert all(not ln.startswith("#") for ln in lines[first_data:])  # comments only on top
    assert lines[first_data:] and all("," in ln for ln in lines[first_data:])
    rows = loadtxt_comma(out)
    assert [s for s, _ in rows] == list(curve.separation_arcsec)
    assert [d for _, d in rows] == list(curve.delta_mag)
    assert f'filt="{curve.triceratops_filter}"' in text
    assert not list(tmp_path.joinpath("sub").glob(".*.part"))  # atomic: no temp file left


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
        ("LP600", None),
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
        f"{i}_{p.stem}_triceratops.csv"
        for i, p in [(12, GEMINI_562), (13, PHARO), (16, TOI4155), (40, GEMINI_832)]
    )
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
