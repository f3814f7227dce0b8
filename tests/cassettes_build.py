#!/usr/bin/env python
"""Build the hand-made vcrpy cassettes in ``cassettes/`` (deterministic; no network; no /work/shared).

    python tests/cassettes_build.py           # (re)write cassettes/*.yaml
    python tests/cassettes_build.py --check   # exit 1 if a committed cassette differs from what this builds

Every response body comes from one of three places, and each cassette says which in its header comment and
in ``cassettes/README.md``:

* REAL      a public sample copied byte for byte into ``cassettes/sources/`` (sha256 pinned below);
* RENDERED  real values re-typed from a pandas/astropy rendering in ``cassettes/sources/`` (every re-typed
            cell is checked to occur in that rendering);
* DOC/CODE  built from ExoFOP's documented format (or what several public clients rely on), with constructed
            ids and values; GUESS where even the format is unknown (the header of stellar/planet/uploads, the
            login pages, archive member layout).

URLs are the real base URL plus exactly the query strings ``exofop_cli/endpoints.py`` sends, in its order.
"""

from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import io
import json
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CASSETTE_DIR = ROOT / "cassettes"
SOURCE_DIR = CASSETTE_DIR / "sources"
BASE_URL = "https://exofop.ipac.caltech.edu/tess/"

# The copied samples (origins in cassettes/README.md and shared/samples/README.md). Pinned so an edit of a
# "REAL" file cannot go unnoticed.
SOURCE_SHA256 = {
    "download_toi_toi-127.pipe": "5bdba8703f95d4eb41b4e500c8ae1c9f6a3df1e7a25d822b6d595ffc7299f5eb",
    "download_tag_spect_tag-1494.pipe": "b6dbb3542de4b8781e0872a86bc258b218deb24e4b0c927bca1fe69ce78e6529",
    "download_toi_2025-10_head6.pandas.csv": "fdd714e0f5c9e7e23122ab581bdb67a103aab7c6dbc3264eb25518fea3af05bd",
    "download_tseries_tic254113311.rendered.txt": (
        "591f09d2a56c1ea0623ae1e4510eacaf74e9df6de8f2641f004a3f8134538b39"
    ),
    "imaging_obsnotes_nearbytarget.rendered.txt": (
        "82d0b85db2bf0efb62b67de2b7ca7532126ba5e0cc8577d687d80f53f4d5cd02"
    ),
    "TOI678I-ef20201228-832_sensitivity.dat": "196b41801d8ce3975a60fb19be5518b8e42ae4b4c39046ab06618975163222c4",
}

# -- identifiers used across cassettes --------------------------------------------------------------------
TIC_TOI127 = 234523599  # REAL: download_toi_toi-127.pipe (TOI 127.01, comment "HATS-71 b")
TIC_TOI101 = 231663901  # REAL: download_toi_2025-10_head6.pandas.csv (TOI 101.01, comment "WASP-46 b")
TIC_TOI1130 = 254113311  # REAL: download_tseries_tic254113311.rendered.txt (TOI 1130.02)
TIC_TOI1395 = 468472950  # REAL: imaging rendering (TOI 1395)
TIC_OBSNOTES = 138968089  # REAL: obsnotes rendering (tag 3059, note on TOI1429.01)
TIC_SPECT = 305048087  # REAL: download_tag_spect_tag-1494.pipe (row "Observed at high air mass")
# TOI-678's TIC as given by samsonmaximus/tess-three-candidates scripts/common.py @ a60c9e53 (the repository the
# 832 nm sensitivity file comes from); not checked against ExoFOP.
TIC_TOI678 = 294395926
UNKNOWN_TIC = 9999999999  # above every TIC id: target.php answers "No TIC object found"
UNKNOWN_TOI = 99999
UNKNOWN_NAME = "Not A Real Star"

# Constructed file ids / tags (no public file list exists). 9000xx cannot be mistaken for real ids in tests.
FID_TOI678_832 = 900001
FID_TOI678_PROPRIETARY = 900002
TAG_TOI678_SPECKLE = 900101
PROPRIETARY_NAME = "TOI678_CHIRON_20250930_spectrum.fits"
ZIP_FOLDER = f"TIC{TIC_TOI678}"  # GUESS: "one top-level folder" (a real per-tag zip had one)

FAKE_SESSION_BEFORE = "fake-session-id-before-login-not-a-secret"
FAKE_SESSION_AFTER = "fake-session-id-after-login-not-a-secret"

TEXT = "text/plain; charset=UTF-8"
HTML = "text/html; charset=UTF-8"
OCTET = "application/octet-stream"


def cells(line: str) -> list[str]:
    """One table line written the way ExoFOP's pipe output looks (``a|b||c``) → its cells."""
    return line.split("|")


# Real headers (reference §2 / samples), in the order ExoFOP sends them.
SPECT_COLUMNS = cells(
    "TIC ID|TIC|TOI|Telescope|Instrument|Spectral resolution|Wavelength coverage|SNR/resolution|SNR wavelength"
    "|Appropriate to PRV|Obs Date|User|Group|Tag|Notes"
)
IMAGING_COLUMNS = cells(
    "TIC ID|TIC|TOI|Telescope|Instrument|Filter|Image Type|Pixel Scale|PSF|Contrast|Obs Date|User|Group|Tag|Notes"
)
OBSNOTES_COLUMNS = cells("ID|TIC ID|Username|Groupname|TAG ID|Lastmod|notes")
TSERIES_COLUMNS = cells(
    "TIC ID|TIC|TOI|Telescope|Camera|Filter|Pixel Scale|PSF|Phot Aperture Rad|Obs Date|Obs Duration|Num Obs"
    "|Obs Type|Transit Coverage|Delta Mag|User|Group|Tag|Notes"
)
FILELIST_COLUMNS = cells("Type|File Name|File ID|TIC|TOI|Date|User|Group|Tag|Description")  # [DOC]
# GUESS headers: ExoFOP does not document them (reference §2, "Full headers unknown"); `Table` is [DOC/CODE].
STELLAR_COLUMNS = cells(
    "Table|TIC ID|Teff (K)|Teff (K) err|log(g)|log(g) err|Radius (R_Sun)|Radius (R_Sun) err|Mass (M_Sun)"
    "|Mass (M_Sun) err|Metallicity|Metallicity err|User|Date"
)
PLANET_COLUMNS = cells(
    "Table|TIC ID|TOI|Epoch (BJD)|Period (days)|Duration (hours)|Depth (ppm)|Rad_p/Rad_s|Impact Parameter b"
    "|User|Date"
)
# The nearby-target columns in the real order (jennywwww/etta tutorial, rendered, reference §2/§7; a real CSV
# once lacked "Distance Err (pc)": ramjet, see cassettes/README.md).
NEARBY_COLUMNS = cells(
    "TIC ID|TOI|RA|Dec|TESS Mag|GAIA DR2|GAIA Mag|Distance(pc)|Distance Err (pc)|PM RA (mas/yr)|PM RA Err (mas/yr)"
    "|PM Dec (mas/yr)|PM Dec Err (mas/yr)|Separation (arcsec)|Position Angle (deg E. of N.)"
)
# GUESS: no stellar-companion header is public; the fields of target.php's stellar_companions[] rows (REAL
# keys: sep, sep_e, pa, pa_e, filt, dmag, dmag_e, odate, scnotes, scdate, scuser, scgroup, sctag) named plainly.
COMPANIONS_COLUMNS = cells(
    "TIC ID|TOI|Separation (arcsec)|Separation err|Position Angle (deg)|Position Angle err|Filter|Delta Mag"
    "|Delta Mag err|Obs Date|Notes|User|Group|Tag|Date"
)
UPLOADS_COLUMNS = cells(
    "TIC ID|Time Series|Spectroscopy|Imaging|Files|Observing Notes|Stellar Parameters|Planet Parameters"
)


@dataclass(frozen=True)
class Interaction:
    """One request and its response."""

    url: str  # relative to BASE_URL, exactly as the client sends it
    body: bytes
    source: str  # provenance label shown in the cassette comment and the README
    status: int = 200
    reason: str = "OK"
    content_type: str | None = TEXT
    extra_headers: tuple[tuple[str, str], ...] = ()
    method: str = "GET"
    request_body: str | None = None
    content_length: bool = True


@dataclass(frozen=True)
class Cassette:
    """One scenario: a file ``cassettes/<name>.yaml``."""

    name: str
    title: str
    provenance: str  # README column: REAL / RENDERED / DOC / GUESS mix, short
    live: bool  # True when re-recording it from the real site is meaningful
    interactions: tuple[Interaction, ...]

    @property
    def filename(self) -> str:
        return f"{self.name}.yaml"


# -- sources ------------------------------------------------------------------------------------------------
def source_bytes(name: str) -> bytes:
    """A copied sample, refusing one whose bytes changed since it was copied."""
    data = (SOURCE_DIR / name).read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256[name]:
        raise SystemExit(f"cassettes/sources/{name} changed (sha256 {digest}); it must stay byte-identical")
    return data


def source_text(name: str) -> str:
    return source_bytes(name).decode("utf-8")


def check_rendered(cells: Iterable[str], source: str) -> None:
    """Every re-typed non-empty cell must occur verbatim in the rendering it was typed from."""
    text = source_text(source)
    missing = [c for c in cells if c and c not in text]
    if missing:
        raise SystemExit(f"re-typed values not found in {source}: {missing}")


# -- table writers ------------------------------------------------------------------------------------------
def pipe_table(
    columns: Sequence[str], rows: Iterable[Sequence[str]], *, trailing_blank_lines: int = 0
) -> bytes:
    """ExoFOP pipe output: header, rows, ``|``, no quoting, optional trailing blank lines (seen for real)."""
    lines = ["|".join(columns), *("|".join(r) for r in rows)]
    return ("\n".join(lines) + "\n" + "\n" * trailing_blank_lines).encode()


def csv_table(
    columns: Sequence[str], rows: Iterable[Sequence[str]], *, bom: bool = False, trailing_blank_lines: int = 0
) -> bytes:
    """ExoFOP CSV output: fields quoted only when needed (``"1,27,67"``), ``\\n`` line ends."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(columns)
    writer.writerows(rows)
    text = ("\ufeff" if bom else "") + buf.getvalue() + "\n" * trailing_blank_lines
    return text.encode()


def json_body(data: object) -> bytes:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()


# -- REAL and RENDERED bodies -------------------------------------------------------------------------------
def toi_2025_header_and_row(toi: str) -> tuple[list[str], list[str]]:
    """The 2025 TOI header (63 ExoFOP columns) and one row, from the pandas round-trip sample."""
    rows = list(csv.reader(io.StringIO(source_text("download_toi_2025-10_head6.pandas.csv"))))
    header = rows[0][:-5]  # the last 5 columns were added by the repository, not by ExoFOP
    assert header[-1] == "Comments", header[-1]
    for row in rows[1:]:
        if row[1] == toi:
            return header, row[: len(header)]
    raise SystemExit(f"TOI {toi} not in the 2025 sample")


def tseries_rows() -> tuple[list[str], list[list[str]]]:
    """The rendered tseries table: header, astropy dtype row dropped, ``--`` → empty."""
    lines = source_text("download_tseries_tic254113311.rendered.txt").splitlines()
    header = lines[0].split("|")
    assert lines[1].startswith("int64|"), "row 2 of the rendering is the dtype row"
    rows = [["" if cell == "--" else cell for cell in line.split("|")] for line in lines[2:] if line.strip()]
    return header, rows


# Re-typed from imaging_obsnotes_nearbytarget.rendered.txt (pandas display): NaN → empty; cells pandas cut
# short are kept as displayed, "..." included, because the rest was never shown.
IMAGING_TOI1395_ROWS = [
    cells(
        "468472950||TOI 1395|Gemini (8 m)|NIRI|Brgamma|AO|0.0219|||2019-11-13|matthews|tfopwg|7652"
        "|2 visual companions: sep=0.250arcsec, pa=194.9..."
    ),
    cells(
        "468472950||TOI 1395|Gemini (8 m)|NIRI|K|AO|0.0200|||2019-11-14|crossfield||7518"
        "|Quicklook: close double, 0.25arcsec SSW"
    ),
]
OBSNOTES_TIC138968089_ROWS = [
    cells(
        "2747|138968089|mlund|tfopwg|3059|2021-07-22 12:01:34|TOI1429.01:[P=0.641256] KOI-272; [T0 updated f..."
    ),
]

# Constructed: free text typed into a web form can hold a line break; CSV quotes it (RFC 4180, PHP fputcsv).
MULTILINE_NOTE = "Zorro 832 nm.\nSeeing 0.6, no companion within 1.2 arcsec"
MULTILINE_NOTE_ROW = [
    *cells(f"{TIC_TOI678}||TOI 678.01|Gemini (8 m)|Zorro|832: 832 (40) nm|Speckle|||"),
    *cells(f"2020-12-28|exofop_user_a|tfopwg|{TAG_TOI678_SPECKLE}"),
    MULTILINE_NOTE,
]


def spect_row_for(tic: int) -> list[str]:
    """One TIC's row of the real tag-1494 spectroscopy table."""
    lines = source_text("download_tag_spect_tag-1494.pipe").splitlines()
    for line in lines[1:]:
        if line.startswith(f"{tic}|"):
            return line.split("|")
    raise SystemExit(f"TIC {tic} not in the spect sample")


# -- constructed bodies -------------------------------------------------------------------------------------
def overview(
    tic: int, *, star_names: str, tois: Sequence[str], ra: str = "", dec: str = "", **extra: object
) -> bytes:
    """``target.php?id=<tic>&json`` [CODE]: the top-level keys public clients use; values mostly strings."""
    data: dict[str, object] = {
        "basic_info": {"tic_id": str(tic), "star_names": star_names},
        "coordinates": {"ra": ra, "dec": dec},
        "magnitudes": [],
        "planet_parameters": [],
        "stellar_parameters": [],
        "tois": [{"toi": t, "tic_id": str(tic)} for t in tois],
        "ctois": [],
        "imaging": [],
        "spectroscopy": [],
        "time_series": [],
        "stellar_companions": [],
        "files": [],
    }
    data.update(extra)
    return json_body(data)


LOGIN_FORM = """<!DOCTYPE html>
<html>
<head><title>ExoFOP Login</title></head>
<body>
{message}<form action="password_check.php" method="post">
  <input type="text" name="username">
  <input type="password" name="password">
  <input type="hidden" name="ref" value="login_user">
  <input type="hidden" name="ref_page" value="/tess/">
  <input type="submit" value="Login">
</form>
</body>
</html>
"""
LOGIN_PAGE = LOGIN_FORM.format(message="").encode()
INVALID_LOGIN_PAGE = LOGIN_FORM.format(message="<p>Invalid username or password.</p>\n").encode()
HOME_PAGE = b"""<!DOCTYPE html>
<html>
<head><title>ExoFOP-TESS</title></head>
<body>
<div class="menu"><a href="/tess/">Home</a> | <a href="/tess/logout.php">Logout</a></div>
<p>Logged in.</p>
</body>
</html>
"""


def session_cookie(value: str) -> tuple[str, str]:
    # PHP's session cookie with a 7-day lifetime [CODE]; the value is an obvious fake.
    return (
        "Set-Cookie",
        f"PHPSESSID={value}; expires=Thu, 01 Jan 2099 00:00:00 GMT; Max-Age=604800; path=/; secure; HttpOnly",
    )


def toi678_filelist() -> bytes:
    """[DOC columns, constructed rows] with the quirks one client saw: a BOM, quoted commas, blank tail lines."""
    rows = [
        cells(
            f"Image|TOI678I-ef20201228-832_sensitivity.dat|{FID_TOI678_832}|{TIC_TOI678}|678.01|2021-01-04"
            f"|exofop_user_a|tfopwg|{TAG_TOI678_SPECKLE}|Zorro speckle, 832 nm, 5-sigma contrast curve"
        ),
        cells(
            f"Spectrum|{PROPRIETARY_NAME}|{FID_TOI678_PROPRIETARY}|{TIC_TOI678}|678.01|2025-09-30|exofop_user_b"
            '|tfopwg||CHIRON spectrum "proprietary", 12-month period'
        ),
    ]
    return csv_table(FILELIST_COLUMNS, rows, bom=True, trailing_blank_lines=3)


# The nine summary requests exofop makes for a star (endpoints.py), and where each TOI-678 body comes from.
TOI678_SUMMARY_URLS = {
    "spect": (
        f"download_spect.php?target={TIC_TOI678}&output=csv",
        "REAL header as CSV; GUESS: an empty result is the bare header",
    ),
    "imaging": (
        f"download_imaging.php?target={TIC_TOI678}&output=csv",
        "REAL columns; rows derived from the real 832 nm file header (Gemini South, Zorro, 2020-12-28)",
    ),
    "tseries": (
        f"download_tseries.php?target={TIC_TOI678}&output=csv",
        "REAL header; REAL (KevinArce/ExoNotes WORKLOG): no rows is the bare header, an empty body is throttling",
    ),
    "obsnotes": (f"download_obsnotes.php?tid={TIC_TOI678}&output=csv", "REAL columns; header only"),
    "stellar": (f"download_stellar.php?id={TIC_TOI678}&output=pipe", "GUESS header and values"),
    "planet": (
        f"download_planet.php?id={TIC_TOI678}&output=pipe",
        "GUESS header; TOI-678.01 ephemeris from tess-three-candidates scripts/common.py",
    ),
    "uploads": (f"download_uploads.php?target={TIC_TOI678}&output=csv", "GUESS header and values"),
    "nearby": (
        f"download_nearbytarget.php?id={TIC_TOI678}&output=csv",
        "REAL column order; the target's own row first (its TIC and TOI; other values not public, left empty)",
    ),
    "companions": (f"download_stellarcomp.php?target={TIC_TOI678}&output=pipe", "GUESS header; header only"),
}


def toi678_summaries() -> dict[str, bytes]:
    """The nine summary tables of TOI-678 (constructed; imaging derived from the real 832 nm file header)."""
    dat = source_text("TOI678I-ef20201228-832_sensitivity.dat")
    assert "# Telescope: Gemini South" in dat and "# Date of obs.: 2020-12-28" in dat and "832nm" in dat
    tic, tag = TIC_TOI678, TAG_TOI678_SPECKLE
    imaging = [
        # Gemini records both speckle channels under one Tag; the 562 nm curve is not among our samples.
        cells(
            f"{tic}||TOI 678.01|Gemini (8 m)|Zorro|562: 562 (54) nm|Speckle||||2020-12-28|exofop_user_a|tfopwg"
            f"|{tag}|562 nm channel"
        ),
        cells(
            f"{tic}||TOI 678.01|Gemini (8 m)|Zorro|832: 832 (40) nm|Speckle|||\u03946.17 mag @ 0.5 arcsec"
            f'|2020-12-28|exofop_user_a|tfopwg|{tag}|no companion detected, "5-sigma"'
        ),
    ]
    stellar = [
        cells(f"TIC|{tic}|5300|120|4.5|0.08|0.84|0.05|0.92|0.11||||2019-03-01"),
        cells(f"user uploads|{tic}|5345|50|4.52|0.10|||||0.05|0.08|exofop_user_c|2021-02-10"),
    ]
    # TOI-678.01 ephemeris from tess-three-candidates scripts/common.py (T0 in BTJD + 2457000).
    planet = [cells(f"TOI|{tic}|678.01|2458493.024505|11.3298459|4.475|||||2019-02-01")]
    return {
        "spect": csv_table(SPECT_COLUMNS, []),  # GUESS: an empty result as a bare header
        "imaging": csv_table(IMAGING_COLUMNS, imaging),
        # An empty result is the bare header (ExoNotes measured 51 bytes for a star without notes); an empty
        # body is ExoFOP throttling, never "no rows" (reference §7).
        "tseries": csv_table(TSERIES_COLUMNS, []),
        "obsnotes": csv_table(OBSNOTES_COLUMNS, []),
        "stellar": pipe_table(STELLAR_COLUMNS, stellar),
        "planet": pipe_table(PLANET_COLUMNS, planet),
        "uploads": csv_table(UPLOADS_COLUMNS, [cells(f"{tic}|0|0|2|2|0|1|0")]),
        "nearby": csv_table(NEARBY_COLUMNS, [cells(f"{tic}|678||||||||||||0.00|")]),
        "companions": pipe_table(COMPANIONS_COLUMNS, []),
    }


def stored_zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A deterministic zip (stored, fixed dates and modes) with one top-level folder."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        folder = zipfile.ZipInfo(f"{ZIP_FOLDER}/", date_time=(2025, 10, 1, 0, 0, 0))
        folder.create_system = 3
        folder.external_attr = (0o40755 << 16) | 0x10
        zf.writestr(folder, b"")
        for name, data in members:
            info = zipfile.ZipInfo(f"{ZIP_FOLDER}/{name}", date_time=(2021, 1, 4, 0, 0, 0))
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, data)
    return buf.getvalue()


def plain_tar(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A deterministic uncompressed ustar archive with the same single top-level folder."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tf:
        folder = tarfile.TarInfo(ZIP_FOLDER)
        folder.type, folder.mode, folder.mtime = tarfile.DIRTYPE, 0o755, 1759276800
        tf.addfile(folder)
        for name, data in members:
            info = tarfile.TarInfo(f"{ZIP_FOLDER}/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, 1609718400
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# -- real shapes (reference §7) ------------------------------------------------------------------------------
# target.php?id=86396382&json as captured in rzellem/EXOTIC exotic/api/tic-all.json @ 146598d7 (branch
# issue_1250, 2024-04): every top-level key in the real order, the real values of basic_info, coordinates,
# tois[0] and the units, and a few real rows of each list (the capture holds 31 files and 25 time-series rows).
EXOTIC_CAPTURE = "rzellem/EXOTIC exotic/api/tic-all.json @ 146598d781066a9e8c7dc5da5c251916250dd681"
TIC_WASP12 = 86396382
WASP12_STAR_NAMES = (
    "TIC 86396382, 1SWASP J063032.79+294020.4, 2MASS J06303279+2940202, APASS 47765762, "
    "Gaia DR2 3435282862461427072, TOI-1725, TYC 1891-01178-1, TYC 1891-1178-1, UCAC4 599-033160, WASP-12, "
    "WASP-12 A, WISE J063032.78+294020.2"
)
WASP12_FILES: list[dict[str, str]] = [
    {"ftype": "Light_Curve", "fname": "TIC86396382-01_20221225_MLO-Lewin-0m4_R_WCS.fits",
     "fctoi": "TIC 86396382.01", "ftoi": "TOI 1725.01", "fdesc": "Plate Solved Representative FITS Image",
     "fdate": "2022-12-31 12:01:18", "fuser": "lewin", "fgroup": "tfopwg", "ftag": "423692", "fobid": "1061",
     "fid": "898418", "fext": "fits"},
    {"ftype": "Light_Curve", "fname": "TIC86396382-01_20221225_MLO-Lewin-0m4_R_seeing-profile.png",
     "fctoi": "TIC 86396382.01", "ftoi": "TOI 1725.01", "fdesc": "Seeing Profile",
     "fdate": "2022-12-31 12:01:17", "fuser": "lewin", "fgroup": "tfopwg", "ftag": "423692", "fobid": "1061",
     "fid": "898417", "fext": "png"},
    {"ftype": "Spectrum", "fname": "TIC0086396382S-ab20200921.fits", "fctoi": "", "ftoi": "",
     "fdesc": "TRES extracted spectra", "fdate": "2020-09-21 10:07:44", "fuser": "bieryla", "fgroup": "",
     "ftag": "35938", "fobid": "7", "fid": "83292", "fext": "fits"},
    {"ftype": "Other", "fname": "TOI1725.01O-cbTEC-SPOC-S20-S20-PN1.pdf", "fctoi": "TIC 86396382.01",
     "ftoi": "TOI 1725.01", "fdesc": "TEC Ames Vetting Doc Sector 20", "fdate": "2020-03-12 17:35:24",
     "fuser": "burke", "fgroup": "", "ftag": "18075", "fobid": "496", "fid": "57058", "fext": "pdf"},
]  # fmt: skip


def wasp12_overview() -> bytes:
    """The real ``target.php`` JSON shape of TIC 86396382 (values from the capture; lists cut to a few rows)."""
    data = {
        "basic_info": {
            "tic_id": "86396382",
            "star_names": WASP12_STAR_NAMES,
            "confirmed_planets": "WASP-12 b",
            "k2_campaign": "",
            "tic_contamination_ratio": "0.033642",
        },
        "coordinates": {
            "ra": "97.636644999811907", "dec": "+29.672266247041001", "galactic_long": "184.0831",
            "galactic_lat": "8.9364", "ecliptic_long": "96.67232", "ecliptic_lat": "6.409723",
            "pm_ra": "-1.57989", "pm_ra_error": ".0675524", "pm_dec": "-6.95773", "pm_dec_error": ".0577792",
        },
        "tois": [
            {"toi": "TOI 1725.01", "ctoi": "TIC 86396382.01", "pri_m": "5", "pri_1a": "5", "pri_1b": "5",
             "pri_2": "5", "pri_3": "5", "pri_4": "5", "pri_5": "5", "editpri": "1725.01", "esm": "243.1",
             "tsm": "336.9", "predicted_mass": "317", "disp_tess": "KP", "disp_tfop": "KP", "editdisp": "1725.01",
             "signal": "1", "source": "qlp-s45-tois", "sector": "20,43,44,45", "notes": "WASP-12 b",
             "date": "2022-12-14 12:09:24", "toidate1": "2020-02-19", "toidate2": "2022-03-10"},
        ],
        "ctois": [],
        "planet_units": {"epoch": "BJD", "per": "days", "dep_m": "mmag", "dep_p": "ppm", "dur": "hrs"},
        "planet_parameters": [
            {"prov": "confirmed", "prov_title": "Confirmed Planets (Exoplanet Archive)", "prov_num": "1"},
        ],
        "stellar_units": {"teff": "K", "logg": "", "srad": "R_Sun"},
        "stellar_parameters": [
            {"prov": "tic", "prov_title": "TESS Input Catalog Stellar Parameters", "prov_num": "1"},
        ],
        "stellar_companions_units": {"sep": "arcsec", "pa": "E of N (deg)", "filt": "", "dmag": "", "odate": "UT"},
        "stellar_companions": [],
        "magnitudes": [
            {"band": "TESS", "value": "11.0967", "value_e": "0.0126", "mnotes": "TIC v8.2", "mdate": "2019-04-15",
             "muser": "TESS project", "mgroup": "", "mtag": "", "mtabname": "tmag"},
        ],
        "imaging_units": {"itel": "", "iinst": "", "ifilt": "", "itype": "", "ipix": "arcsec", "ipsf": "arcsec",
                          "icont": "", "idate": "UT"},
        "imaging": [],
        "spectroscopy_units": {"stel": "", "sinst": "", "ssres": "R", "swave": "", "ssnr1": "", "ssnr2": "",
                               "sapp": "", "sdate": "UT"},
        "spectroscopy": [
            {"stic": "", "stoi": "", "stel": "FLWO (1.5 m)", "sinst": "TRES", "ssres": "44000",
             "swave": "3850 to 9096 Angstroms", "ssnr1": "30.7", "ssnr2": "5110 Angstroms", "sapp": "No",
             "sdate": "2020-09-21 11:08:24", "snotes": "", "specuser": "bieryla", "sgroup": "", "stag": "35938",
             "specobid": "7", "spid": "6367"},
        ],
        "time_series_units": {"tstel": "", "tscam": "", "tsfilt": "", "tspix": "arcsec", "tspsf": "arcsec",
                              "tspar": "pixel", "tstcov": "", "tsmag": "", "tsdate": "UT", "tsdur": "m", "tsnum": "",
                              "tstype": ""},
        "time_series": [
            {"tstic": "TIC 86396382.01", "tstoi": "TOI 1725.01", "tstel": "MLO-Lewin-0m4 (0.4 m)",
             "tscam": "ZWO ASI1600Pro", "tsfilt": "R", "tspix": "0.606", "tspsf": "4.65", "tspar": "18.0",
             "tstcov": "Full", "tsmag": None, "tsdate": "2022-12-25", "tsdur": "247", "tsnum": "48",
             "tstype": "Continuous", "tsnotes": "", "tsuser": "lewin", "tsgroup": "tfopwg", "tstag": "423692",
             "tsobid": "1061", "tsid": "16284"},
        ],
        "files": WASP12_FILES,
    }  # fmt: skip
    return json.dumps(data, indent=4, ensure_ascii=False).encode()  # the capture is indented by 4, too


def wasp12_filelist() -> bytes:
    """INFERENCE: ``download_filelist.php`` rows holding what the real ``files[]`` rows hold, cell for cell
    (``fctoi`` in the TIC column, ``ftoi`` in TOI, ``fdate`` with its time). No raw file list is public."""
    rows = [
        [f["ftype"], f["fname"], f["fid"], f["fctoi"], f["ftoi"], f["fdate"], f["fuser"], f["fgroup"], f["ftag"],
         f["fdesc"]]
        for f in WASP12_FILES
    ]  # fmt: skip
    return csv_table(FILELIST_COLUMNS, rows)


# The real nearby-target CSV of 2020 lacked its "Distance Err (pc)" header and spelled "Distance(pc)"
# (golmschenk/ramjet ramjet/photometric_database/tess_target.py @ 2a9f17de, test comment "As of 2020-10-5, they
# incorrectly leave out the header for distance error"); the other names in the order of etta's 2021 rendering.
NEARBY_HEADER_SHORT = cells(
    "TIC ID|TOI|RA|Dec|TESS Mag|GAIA DR2|GAIA Mag|Distance(pc)|PM RA (mas/yr)|PM RA Err (mas/yr)|PM Dec (mas/yr)"
    "|PM Dec Err (mas/yr)|Separation (arcsec)|Position Angle (deg E. of N.)"
)
# TIC 231663902's PM RA 25.0485, separation 18.1 and distance error 54 are ramjet's test values; the other
# cells are made up (the neighbours 1989124451 and 1989124456 are the ones ramjet's test expects).
NEARBY_ROWS = [
    cells("231663901|101|21:14:56.88|-55:52:18.44|11.885|6479124653912345678|12.43|378.2|2.1|-3.32|0.03|-8.1|0.03|0|0"),
    cells("231663902||21:14:58.61|-55:52:21.09|15.13|6479124653912345679|15.9|980|54|25.0485|0.05|-2.2|0.04|18.1|96"),
    cells("1989124451||21:14:55.01|-55:52:40.2|18.7|6479124653912345680|19.2|2100|610|-1.1|0.4|-0.7|0.4|26.3|210"),
    cells("1989124456||21:14:54.2|-55:51:59.9|19.1|6479124653912345681|19.6|1700|520|0.6|0.5|-1.9|0.5|28.9|318"),
]  # fmt: skip
# ExoNotes (KevinArce/ExoNotes WORKLOG @ 00f7e8eb, REAL, measured on the wire): a star with no notes answers the
# bare header, exactly 51 bytes as pipe; under load the same request gets an empty 200 (480 / 0 / 480 bytes).
OBSNOTES_HEADER_ONLY_PIPE = b"ID|TIC ID|Username|Groupname|TAG ID|Lastmod|notes\n\n"
TIC_NO_NOTES = 14956304
INVALID_TOI = 99998
INVALID_TOI_PAGE = b"""<!DOCTYPE html>
<html>
<head><title>ExoFOP-TESS</title></head>
<body>
<div class="menu"><a href="/tess/">Home</a> | <a href="/tess/login.php?ref=/tess/">Login</a></div>
<h3>Sorry, entered TOI is invalid</h3>
</body>
</html>
"""
REFUSAL_TEXT = b"Sorry, you do not have permission to access this file."


# -- the cassettes ------------------------------------------------------------------------------------------
def _toi678_common() -> tuple[Interaction, Interaction]:
    return (
        Interaction(
            f"target.php?id={TIC_TOI678}&json",
            overview(
                TIC_TOI678,
                star_names="TOI-678",
                tois=["678.01"],
                files=[
                    {
                        "ftype": "Image",
                        "fname": "TOI678I-ef20201228-832_sensitivity.dat",
                        "fid": str(FID_TOI678_832),
                    },
                ],
            ),
            "CODE keys, constructed values",
            content_type=HTML,
        ),
        Interaction(
            f"download_filelist.php?id={TIC_TOI678}&output=csv",
            toi678_filelist(),
            "DOC columns, constructed rows; BOM [ONE], quoted commas [REAL format], 3 trailing blank lines",
        ),
    )


def _get_file_832() -> Interaction:
    return Interaction(
        f"get_file.php?id={FID_TOI678_832}",
        source_bytes("TOI678I-ef20201228-832_sensitivity.dat"),
        "REAL body (samsonmaximus/tess-three-candidates data/imaging/ @ f2310271); headers GUESS [ONE]",
        content_type=OCTET,
        extra_headers=(
            ("Content-Disposition", 'attachment; filename="TOI678I-ef20201228-832_sensitivity.dat"'),
        ),
    )


def _get_file_proprietary() -> Interaction:
    return Interaction(
        f"get_file.php?id={FID_TOI678_PROPRIETARY}",
        LOGIN_PAGE,
        "GUESS: anonymous request for a proprietary file answers 200 + the HTML login page",
        content_type=HTML,
        content_length=False,
    )


def build_cassettes() -> list[Cassette]:
    """Every hand-made scenario, in README order."""
    toi127_overview = Interaction(
        f"target.php?id={TIC_TOI127}&json",
        overview(
            TIC_TOI127, star_names="HATS-71, TOI-127", tois=["127.01"], ra="01:02:12.45", dec="-61:45:22.08"
        ),
        "CODE keys; values from the real TOI-127 row (HATS-71 b, RA/Dec)",
        content_type=HTML,
    )
    toi_header_2025, toi101_row = toi_2025_header_and_row("101.01")
    spect_row = spect_row_for(TIC_SPECT)
    ts_header, ts_rows = tseries_rows()
    check_rendered((c for r in IMAGING_TOI1395_ROWS for c in r), "imaging_obsnotes_nearbytarget.rendered.txt")
    check_rendered(
        (c for r in OBSNOTES_TIC138968089_ROWS for c in r), "imaging_obsnotes_nearbytarget.rendered.txt"
    )
    tseries_csv = csv_table(ts_header, ts_rows)
    toi678 = _toi678_common()
    summaries = toi678_summaries()
    # No TIC column [ONE]. Row 1: the last (free-text) column holds an unquoted comma, so the row is ragged
    # [ONE]; row 2: a properly quoted comma. Tags and users are those of the real tseries rows; ids constructed.
    toi1130_filelist = (
        "Type,File Name,File ID,TOI,Date,User,Group,Tag,Description\n"
        "Light_Curve,TIC254113311-02_20200330_PEST_Rc_measurements.tbl,900201,1130.02,2020-03-31,tan,tfopwg,"
        "18493,PEST Rc, full transit\n"
        "Light_Curve,TIC254113311-02_20200330_LCO-SSO-1m0_zs_measurements.tbl,900202,1130.02,2020-03-31,"
        'stockdale,tfopwg,18598,"LCO-SSO 1m, zs, full transit"\n'
        "Image,TIC254113311-02_20200607_LCO-SAAO-1m0_zs_lightcurve.png,900203,1130.02,2020-06-08,collins,"
        "tfopwg,19442,nominal .02 with overlapping .01\n"
    )
    return [
        Cassette(
            "resolve_toi_127",
            "resolve `TOI-127` → TIC 234523599 (2021 TOI header, leading-space column, `.386554`)",
            "REAL TOI table + CODE overview",
            True,
            (
                Interaction(
                    "download_toi.php?toi=127&output=pipe",
                    source_bytes("download_toi_toi-127.pipe"),
                    "REAL (jennywwww/etta docs/source/getting-started @ fe3673e6; fetched as ?output=pipe&toi=127)",
                ),
                toi127_overview,
            ),
        ),
        Cassette(
            "resolve_toi_101_2025_header",
            "resolve `TOI-101.01` → TIC 231663901 (2025 TOI header, quoted `Sectors` in pipe output)",
            "SEMI-RAW TOI row + CODE overview",
            True,
            (
                Interaction(
                    "download_toi.php?toi=101&output=pipe",
                    pipe_table(toi_header_2025, [toi101_row]),
                    "SEMI-RAW: tess-atlas/exofop_data data/exofop_data.csv @ 12f968a7 (pandas round trip) as pipe",
                ),
                Interaction(
                    f"target.php?id={TIC_TOI101}&json",
                    overview(TIC_TOI101, star_names="WASP-46, TOI-101", tois=["101.01"]),
                    "CODE keys; names from the real row's comment (WASP-46 b)",
                    content_type=HTML,
                ),
            ),
        ),
        Cassette(
            "resolve_toi_unknown",
            "`TOI-99999`: empty TOI table, then gototicid ERROR → not found",
            "GUESS empty table + DOC error JSON",
            True,
            (
                Interaction(
                    f"download_toi.php?toi={UNKNOWN_TOI}&output=pipe",
                    pipe_table(toi_header_2025, []),
                    "GUESS: an empty result as the bare (REAL 2025) header",
                ),
                Interaction(
                    f"gototicid.php?target=TOI{UNKNOWN_TOI}&json",
                    json_body({"status": "ERROR", "message": "No object found."}),
                    "DOC shape",
                    content_type=HTML,
                ),
            ),
        ),
        Cassette(
            "resolve_name_hats71",
            "resolve the name `HATS-71` → TIC 234523599 via gototicid (TIC as a string)",
            "DOC JSON + CODE overview",
            True,
            (
                Interaction(
                    "gototicid.php?target=HATS-71&json",
                    json_body({"status": "OK", "num": 1, "TIC": str(TIC_TOI127)}),
                    "DOC shape; TIC from the real TOI-127 row",
                    content_type=HTML,
                ),
                toi127_overview,
            ),
        ),
        Cassette(
            "resolve_name_hats71_bom",
            "the HATS-71 resolution with a UTF-8 BOM before both JSON bodies (constructed)",
            "DOC JSON + GUESS BOM",
            False,
            (
                Interaction(
                    "gototicid.php?target=HATS-71&json",
                    b"\xef\xbb\xbf" + json_body({"status": "OK", "num": 1, "TIC": str(TIC_TOI127)}),
                    "DOC shape with a BOM (GUESS: a BOM seen on ExoFOP CSV [ONE] would prefix every PHP output)",
                    content_type=HTML,
                ),
                Interaction(
                    f"target.php?id={TIC_TOI127}&json",
                    b"\xef\xbb\xbf"
                    + overview(
                        TIC_TOI127,
                        star_names="HATS-71, TOI-127",
                        tois=["127.01"],
                        ra="01:02:12.45",
                        dec="-61:45:22.08",
                    ),
                    "CODE keys with a BOM (GUESS)",
                    content_type=HTML,
                ),
            ),
        ),
        Cassette(
            "resolve_name_unknown",
            "an unknown name (spaces sent as `+`) → gototicid ERROR → not found",
            "DOC JSON",
            True,
            (
                Interaction(
                    "gototicid.php?target=" + UNKNOWN_NAME.replace(" ", "+") + "&json",
                    json_body({"status": "ERROR", "message": "No object found."}),
                    "DOC shape",
                    content_type=HTML,
                ),
            ),
        ),
        Cassette(
            "overview_unknown_tic",
            "`target.php` for a TIC that does not exist: 200, not JSON, `No TIC object found`",
            "CODE substring, GUESS page",
            True,
            (
                Interaction(
                    f"target.php?id={UNKNOWN_TIC}&json",
                    b"No TIC object found.\n",
                    "CODE: clients test for the substring 'No TIC object found'; the rest of the body is a GUESS",
                    content_type=HTML,
                ),
            ),
        ),
        Cassette(
            "fetch_tic294395926",
            "full `fetch` of TOI-678: overview, file list, 7 summaries, one public file, one proprietary file",
            "REAL file body; DOC file list; GUESS stellar/planet/uploads",
            False,
            (
                *toi678,
                *(
                    Interaction(url, summaries[kind], label)
                    for kind, (url, label) in TOI678_SUMMARY_URLS.items()
                ),
                _get_file_832(),
                _get_file_proprietary(),
            ),
        ),
        Cassette(
            "fetch_contrast_curve_tic294395926",
            "`fetch` of one file chosen by name (no summaries): the real 832 nm Zorro sensitivity curve",
            "REAL file body; DOC file list",
            True,
            (*toi678, _get_file_832()),
        ),
        Cassette(
            "archive_zip_tic294395926",
            "`fetch --archive zip` of TOI-678: the whole-star zip (one top-level folder), the rest by id",
            "REAL member bytes; GUESS zip layout",
            False,
            (
                *toi678,
                Interaction(
                    f"download_files_zip.php?id={TIC_TOI678}",
                    stored_zip(
                        [
                            (
                                "TOI678I-ef20201228-832_sensitivity.dat",
                                source_bytes("TOI678I-ef20201228-832_sensitivity.dat"),
                            )
                        ]
                    ),
                    "GUESS layout (one top-level folder [CODE for tag zips]); member = REAL 832 nm file",
                    content_type="application/zip",
                    extra_headers=(("Content-Disposition", f'attachment; filename="{ZIP_FOLDER}.zip"'),),
                ),
                _get_file_proprietary(),
            ),
        ),
        Cassette(
            "archive_tar_tic294395926",
            "the whole-star tar (`download_files.php`), no Content-Length",
            "REAL member bytes; GUESS tar layout",
            False,
            (
                Interaction(
                    f"download_files.php?id={TIC_TOI678}",
                    plain_tar(
                        [
                            (
                                "TOI678I-ef20201228-832_sensitivity.dat",
                                source_bytes("TOI678I-ef20201228-832_sensitivity.dat"),
                            )
                        ]
                    ),
                    "GUESS: uncompressed tar, same folder layout as the zip; sent without Content-Length",
                    content_type="application/x-tar",
                    content_length=False,
                ),
            ),
        ),
        Cassette(
            "filelist_tic254113311_no_tic_column",
            "file list without a `TIC` column and with a ragged free-text row; select files by telescope/"
            "instrument through the real tseries table",
            "DOC file list variant + RENDERED tseries",
            False,
            (
                Interaction(
                    f"download_filelist.php?id={TIC_TOI1130}&output=csv",
                    toi1130_filelist.encode(),
                    "DOC columns minus TIC [ONE]; constructed rows tied to the real tseries tags/users",
                ),
                Interaction(
                    f"download_imaging.php?target={TIC_TOI1130}&output=csv",
                    csv_table(IMAGING_COLUMNS, []),
                    "REAL columns; GUESS empty = header only",
                ),
                Interaction(
                    f"download_spect.php?target={TIC_TOI1130}&output=csv",
                    csv_table(SPECT_COLUMNS, []),
                    "REAL columns; GUESS empty = header only",
                ),
                Interaction(
                    f"download_tseries.php?target={TIC_TOI1130}&output=csv",
                    tseries_csv,
                    "RENDERED (dgegen/exofop gh-pages notebook @ c16a7400) re-typed as CSV",
                ),
            ),
        ),
        Cassette(
            "summary_tseries_tic254113311",
            "time-series table of TOI-1130 as CSV (what exofop asks for) and as pipe (what the sample was)",
            "RENDERED",
            True,
            (
                Interaction(
                    f"download_tseries.php?target={TIC_TOI1130}&output=csv",
                    tseries_csv,
                    "RENDERED re-typed as CSV (`Sinistro, 1.0m` gets quoted)",
                ),
                Interaction(
                    f"download_tseries.php?target={TIC_TOI1130}&output=pipe",
                    pipe_table(ts_header, ts_rows),
                    "RENDERED re-typed as pipe (dtype row dropped, `--` → empty)",
                ),
            ),
        ),
        Cassette(
            "summary_spect",
            "spectroscopy: the real tag-1494 pipe table (6 trailing blank lines) and one star's rows as CSV",
            "REAL",
            True,
            (
                Interaction(
                    "download_tag_spect.php?tag=1494&output=pipe",
                    source_bytes("download_tag_spect_tag-1494.pipe"),
                    "REAL (jennywwww/etta docs/source/getting-started/tag-spect-example @ fe3673e6)",
                ),
                Interaction(
                    f"download_spect.php?target={TIC_SPECT}&output=csv",
                    csv_table(SPECT_COLUMNS, [spect_row]),
                    "REAL row of TIC 305048087 from the tag-1494 table, written as CSV",
                ),
            ),
        ),
        Cassette(
            "summary_imaging_tic468472950",
            "imaging table of TOI-1395 (quoted commas in Notes, empty TIC/PSF/Contrast)",
            "RENDERED",
            True,
            (
                Interaction(
                    f"download_imaging.php?target={TIC_TOI1395}&output=csv",
                    csv_table(IMAGING_COLUMNS, IMAGING_TOI1395_ROWS),
                    "RENDERED (jennywwww/etta tutorial.ipynb @ fe3673e6) re-typed as CSV; truncated notes kept",
                ),
            ),
        ),
        Cassette(
            "summary_imaging_multiline_note",
            "imaging table whose quoted Notes cell holds a line break (allowed by CSV; constructed)",
            "DOC/CSV format, constructed row",
            False,
            (
                Interaction(
                    f"download_imaging.php?target={TIC_TOI678}&output=csv",
                    csv_table(IMAGING_COLUMNS, [MULTILINE_NOTE_ROW]),
                    "REAL columns; constructed row whose Notes has an embedded newline (RFC 4180 / fputcsv)",
                ),
            ),
        ),
        Cassette(
            "summary_obsnotes_tic138968089",
            "observing notes of one star (CSV, lower-case `notes` column)",
            "RENDERED",
            True,
            (
                Interaction(
                    f"download_obsnotes.php?tid={TIC_OBSNOTES}&output=csv",
                    csv_table(OBSNOTES_COLUMNS, OBSNOTES_TIC138968089_ROWS),
                    "RENDERED (jennywwww/etta tutorial.ipynb @ fe3673e6) re-typed as CSV; truncated note kept",
                ),
            ),
        ),
        Cassette(
            "login_invalid_password",
            "`exofop auth login` with a wrong password: 200 page saying `Invalid username or password`",
            "DOC form + CODE message, GUESS markup",
            True,
            (
                Interaction(
                    "login.php?ref=%2Ftess%2F",
                    LOGIN_PAGE,
                    "DOC form fields; GUESS markup; fake PHPSESSID",
                    content_type=HTML,
                    extra_headers=(session_cookie(FAKE_SESSION_BEFORE),),
                ),
                Interaction(
                    "password_check.php",
                    INVALID_LOGIN_PAGE,
                    "CODE: a failed login is a 200 page containing 'Invalid username or password'",
                    content_type=HTML,
                    method="POST",
                    request_body="username=USERNAME&password=PASSWORD&ref=login_user&ref_page=%2Ftess%2F",
                ),
            ),
        ),
        Cassette(
            "login_success",
            "`exofop auth login` that works: PHPSESSID set (fake value), redirect to /tess/index.php",
            "DOC form, GUESS redirect; fake cookie",
            False,
            (
                Interaction(
                    "login.php?ref=%2Ftess%2F",
                    LOGIN_PAGE,
                    "DOC form fields; GUESS markup; fake PHPSESSID",
                    content_type=HTML,
                    extra_headers=(session_cookie(FAKE_SESSION_BEFORE),),
                ),
                Interaction(
                    "password_check.php",
                    b"",
                    "CODE: a good login redirects to tess/index.php (dgegen/exofop src/exofop/download/"
                    "authenticator.py @ 4251229c); GUESS: with a regenerated (fake) PHPSESSID",
                    status=302,
                    reason="Found",
                    content_type=HTML,
                    extra_headers=(session_cookie(FAKE_SESSION_AFTER), ("Location", "/tess/index.php")),
                    method="POST",
                    request_body="username=USERNAME&password=PASSWORD&ref=login_user&ref_page=%2Ftess%2F",
                ),
                Interaction("index.php", HOME_PAGE, "GUESS home page with a Logout link", content_type=HTML),
            ),
        ),
        *real_shape_cassettes(),
    ]


def real_shape_cassettes() -> list[Cassette]:
    """Scenarios built from the real shapes of reference §7 (issue 11): each body says what is REAL in it."""
    toi678_overview, toi678_filelist = _toi678_common()
    return [
        Cassette(
            "overview_tic86396382_real_shape",
            "`target.php?id=86396382&json` in its real shape: 18 keys, `star_names` as one string, `TOI 1725.01`",
            "REAL shape and values (a few rows of each list)",
            True,
            (Interaction(f"target.php?id={TIC_WASP12}&json", wasp12_overview(), f"REAL: {EXOTIC_CAPTURE}",
                         content_type=HTML),),
        ),
        Cassette(
            "filelist_tic86396382_real_cells",
            "file list of TIC 86396382 with the real cells of `files[]`: `TIC 86396382.01`, `TOI 1725.01`, dates "
            "with a time",
            "REAL values, INFERENCE layout",
            False,
            (
                Interaction(
                    f"download_filelist.php?id={TIC_WASP12}&output=csv",
                    wasp12_filelist(),
                    f"INFERENCE: DOC columns holding the REAL files[] cells of {EXOTIC_CAPTURE}",
                ),
            ),
        ),
        Cassette(
            "summary_obsnotes_throttled_tic138968089",
            "observing notes under load: an empty 200 first, the rows on the second try (never 'no notes')",
            "REAL pattern (480 / 0 / 480 bytes) + RENDERED rows",
            False,
            (
                Interaction(
                    f"download_obsnotes.php?tid={TIC_OBSNOTES}&output=csv",
                    b"",
                    "REAL pattern: ExoFOP throttles with an empty 200 (KevinArce/ExoNotes WORKLOG @ 00f7e8eb)",
                    content_type=HTML,
                ),
                Interaction(
                    f"download_obsnotes.php?tid={TIC_OBSNOTES}&output=csv",
                    csv_table(OBSNOTES_COLUMNS, OBSNOTES_TIC138968089_ROWS),
                    "RENDERED (jennywwww/etta tutorial.ipynb @ fe3673e6) re-typed as CSV",
                ),
            ),
        ),
        Cassette(
            "summary_obsnotes_no_notes_tic14956304",
            "a star without notes: the bare header, 51 bytes as pipe (a valid empty table, not throttling)",
            "REAL bytes",
            True,
            (
                Interaction(
                    f"download_obsnotes.php?tid={TIC_NO_NOTES}&output=pipe",
                    OBSNOTES_HEADER_ONLY_PIPE,
                    "REAL: 51 bytes on three tries (KevinArce/ExoNotes WORKLOG @ 00f7e8eb)",
                ),
            ),
        ),
        Cassette(
            "resolve_toi_invalid",
            "`TOI-99998`: 'Sorry, entered TOI is invalid' inside a page, then gototicid ERROR → not found",
            "REAL text, GUESS markup + DOC error JSON",
            False,
            (
                Interaction(
                    f"download_toi.php?toi={INVALID_TOI}&output=pipe",
                    INVALID_TOI_PAGE,
                    "REAL text (bittr-ai/tess-vetter platform/catalogs/exofop_toi_table.py @ 148851a3); GUESS markup",
                    content_type=HTML,
                ),
                Interaction(
                    f"gototicid.php?target=TOI{INVALID_TOI}&json",
                    json_body({"status": "ERROR", "message": "No object found."}),
                    "DOC shape",
                    content_type=HTML,
                ),
            ),
        ),
        Cassette(
            "fetch_refused_plain_text_tic294395926",
            "a file refused with a short `text/plain` message: classified auth_required, never saved",
            "GUESS refusal (what an anonymous request for a proprietary file gets is unknown)",
            False,
            (
                toi678_overview,
                toi678_filelist,
                Interaction(
                    f"get_file.php?id={FID_TOI678_PROPRIETARY}",
                    REFUSAL_TEXT,
                    "GUESS: a plain-text refusal, one of the plausible answers of reference §7",
                ),
            ),
        ),
        Cassette(
            "nearby_target_short_header_tic231663901",
            "nearby targets of TIC 231663901 with the header short by `Distance Err (pc)`, as in 2020",
            "REAL header bug (ramjet) + REAL values of one row, other cells made up",
            True,
            (
                Interaction(
                    f"download_nearbytarget.php?id={TIC_TOI101}&output=csv",
                    csv_table(NEARBY_HEADER_SHORT, NEARBY_ROWS),
                    "REAL: golmschenk/ramjet tess_target.py @ 2a9f17de (header short by one name); TIC 231663902's "
                    "PM RA, separation and distance error from its test; other cells made up",
                ),
            ),
        ),
    ]  # fmt: skip


# -- YAML ---------------------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    """Readable cassettes: multi-line text as literal blocks, bytes that are not UTF-8 as ``!!binary``."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_str)


def _body(data: bytes) -> str | bytes:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def interaction_dict(item: Interaction) -> dict[str, object]:
    headers: dict[str, list[str]] = {}
    if item.content_type is not None:
        headers["Content-Type"] = [item.content_type]
    if item.content_length:
        headers["Content-Length"] = [str(len(item.body))]
    for name, value in item.extra_headers:
        headers.setdefault(name, []).append(value)
    request_headers: dict[str, list[str]] = {}
    if item.method == "POST":
        request_headers["Content-Type"] = ["application/x-www-form-urlencoded"]
    return {
        "request": {
            "body": item.request_body,
            "headers": request_headers,
            "method": item.method,
            "uri": BASE_URL + item.url,
        },
        "response": {
            "body": {"string": _body(item.body)},
            "headers": dict(sorted(headers.items())),
            "status": {"code": item.status, "message": item.reason},
        },
    }


def render(cassette: Cassette) -> str:
    """The YAML text of one cassette (a comment header, then vcrpy's format version 1)."""
    lines = [
        f"# {cassette.name}: {cassette.title}",
        "# Hand-made by tests/cassettes_build.py -- do not edit; see cassettes/README.md.",
        "# Interactions and where each response comes from:",
    ]
    for item in cassette.interactions:
        lines.append(f"#   {item.method} {item.url or '(base URL)'}")
        lines.append(f"#     {item.source}")
    data = {"interactions": [interaction_dict(i) for i in cassette.interactions], "version": 1}
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096)
    return "\n".join(lines) + "\n" + text


def build_all() -> dict[str, str]:
    """``{filename: yaml text}`` for every hand-made cassette."""
    cassettes = build_cassettes()
    names = [c.name for c in cassettes]
    assert len(set(names)) == len(names), "duplicate cassette names"
    return {c.filename: render(c) for c in cassettes}


def check(out_dir: Path = CASSETTE_DIR) -> list[str]:
    """Problems: cassettes that differ from the builder's output, are missing, or are not built by it."""
    problems = []
    built = build_all()
    for name, text in built.items():
        path = out_dir / name
        if not path.is_file():
            problems.append(f"{name}: missing (run python tests/cassettes_build.py)")
            continue
        current = path.read_text(encoding="utf-8")
        if current != text:
            diff = difflib.unified_diff(
                current.splitlines(),
                text.splitlines(),
                f"committed/{name}",
                f"built/{name}",
                lineterm="",
                n=1,
            )
            problems.append(f"{name}: differs from the builder output\n" + "\n".join(list(diff)[:40]))
    for path in sorted(out_dir.glob("*.yaml")):
        if path.name not in built:
            problems.append(f"{path.name}: not produced by the builder (stale or hand-edited)")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 on any difference")
    args = parser.parse_args(argv)
    if args.check:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        return 1 if problems else 0
    for name, text in build_all().items():
        path = CASSETTE_DIR / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8", newline="\n")
            print(f"wrote cassettes/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
