"""The fake ExoFOP's data: stars, files and summary tables rendered in ExoFOP's documented formats.

Table headers are the real ones from ``shared/samples`` (reference §2): the 2025 TOI header, the real
``download_spect``/``download_tseries`` pipe headers, the rendered imaging and obsnotes columns, and the
documented file-list columns. Where ExoFOP's header is unknown (stellar, planet, uploads) a plausible header is
used and marked as such. The ``target.php?json`` overview has the real shape (reference §7: rzellem/EXOTIC
``exotic/api/tic-all.json``): its 18 top-level keys, ``star_names`` as one ", "-separated string, ``tois[].toi``
as ``TOI 1262.01``, ``files[]`` rows with their 12 keys and dates with a time.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

FILELIST_COLUMNS = (
    "Type",
    "File Name",
    "File ID",
    "TIC",
    "TOI",
    "Date",
    "User",
    "Group",
    "Tag",
    "Description",
)
TOI_COLUMNS = (
    "TIC ID", "TOI", "Previous CTOI", "Master", "SG1A", "SG1B", "SG2", "SG3", "SG4", "SG5", "ESM", "TSM",
    "Predicted Mass (M_Earth)", "Predicted RV Semi-amplitude (m/s)", "Time Series Observations",
    "Spectroscopy Observations", "Imaging Observations", "TESS Disposition", "TFOPWG Disposition", "TESS Mag",
    "TESS Mag err", "Planet Name", "Pipeline Signal ID", "Source", "Detection", "RA", "Dec", "PM RA (mas/yr)",
    "PM RA err (mas/yr)", "PM Dec (mas/yr)", "PM Dec err (mas/yr)", "Epoch (BJD)", "Epoch (BJD) err",
    "Period (days)", "Period (days) err", "Duration (hours)", "Duration (hours) err", "Depth (mmag)",
    "Depth (mmag) err", "Depth (ppm)", "Depth (ppm) err", "Planet Radius (R_Earth)", "Planet Radius (R_Earth) err",
    "Planet Insolation (Earth Flux)", "Planet Equil Temp (K)", "Planet SNR", "Stellar Distance (pc)",
    "Stellar Distance (pc) err", "Stellar Eff Temp (K)", "Stellar Eff Temp (K) err", "Stellar log(g) (cm/s^2)",
    "Stellar log(g) (cm/s^2) err", "Stellar Radius (R_Sun)", "Stellar Radius (R_Sun) err", "Stellar Metallicity",
    "Stellar Metallicity err", "Stellar Mass (M_Sun)", "Stellar Mass (M_Sun) err", "Sectors",
    "Date TOI Alerted (UTC)", "Date TOI Updated (UTC)", "Date Modified", "Comments",
)  # fmt: skip
SUMMARY_COLUMNS: dict[str, tuple[str, ...]] = {
    "spect": ("TIC ID", "TIC", "TOI", "Telescope", "Instrument", "Spectral resolution", "Wavelength coverage",
              "SNR/resolution", "SNR wavelength", "Appropriate to PRV", "Obs Date", "User", "Group", "Tag",
              "Notes"),
    "imaging": ("TIC ID", "TIC", "TOI", "Telescope", "Instrument", "Filter", "Image Type", "Pixel Scale", "PSF",
                "Contrast", "Obs Date", "User", "Group", "Tag", "Notes"),
    "tseries": ("TIC ID", "TIC", "TOI", "Telescope", "Camera", "Filter", "Pixel Scale", "PSF",
                "Phot Aperture Rad", "Obs Date", "Obs Duration", "Num Obs", "Obs Type", "Transit Coverage",
                "Delta Mag", "User", "Group", "Tag", "Notes"),
    "obsnotes": ("ID", "TIC ID", "Username", "Groupname", "TAG ID", "Lastmod", "notes"),
    # Headers below are not public (reference §2: "Full headers unknown"); plausible stand-ins.
    "stellar": ("Table", "TIC ID", "Teff (K)", "Teff (K) err", "log(g)", "log(g) err", "Radius (R_Sun)",
                "Radius (R_Sun) err", "Mass (M_Sun)", "Mass (M_Sun) err", "Density (g/cm^3)", "User", "Date"),
    "planet": ("Table", "TIC ID", "TOI", "Epoch (BJD)", "Period (days)", "Duration (hours)", "Depth (ppm)",
               "Rad_p/Rad_s", "a/Rad_s", "Impact Parameter b", "User", "Date"),
    "uploads": ("TIC ID", "Time Series", "Spectroscopy", "Imaging", "Files", "Notes", "Stellar",
                "Stellar Companions", "Planet"),
    # Nearby stars: the real column order (etta's rendered output, reference §7); the target is row one.
    "nearby": ("TIC ID", "TOI", "RA", "Dec", "TESS Mag", "GAIA DR2", "GAIA Mag", "Distance(pc)",
               "Distance Err (pc)", "PM RA (mas/yr)", "PM RA Err (mas/yr)", "PM Dec (mas/yr)",
               "PM Dec Err (mas/yr)", "Separation (arcsec)", "Position Angle (deg E. of N.)"),
    # Stellar companions: no public header; the fields of target.php's stellar_companions[] rows (sep, pa,
    # filt, dmag, odate, notes, user, group, tag) under plausible names, as a stand-in.
    "companions": ("TIC ID", "TOI", "Separation (arcsec)", "Separation err", "Position Angle (deg)",
                   "Position Angle err", "Filter", "Delta Mag", "Delta Mag err", "Obs Date", "Notes",
                   "User", "Group", "Tag", "Date"),
}  # fmt: skip
# The CTOI table's first columns as clients use them (research: benskamps/windowsill-lab, orionlee), then
# the ones exofop reads by name.
CTOI_COLUMNS = (
    "TIC ID", "CTOI", "Promoted to TOI", "Discovery Data Source", "Candidate Name", "MASTER", "SG1A", "SG1B",
    "SG2", "SG3", "SG4", "SG5", "User Disposition", "TFOPWG Disposition", "TESS Mag", "TESS Mag err", "RA",
    "Dec", "Transit Epoch (BJD)", "Period (days)", "Depth ppm", "Duration (hrs)", "Notes", "User",
    "CTOI lastmod",
)  # fmt: skip
_BLOCK = 1 << 20


@functools.lru_cache(maxsize=64)
def _block(seed: int) -> bytes:
    # Generated once per file: making 1 MiB of random bytes per request would make the fake server, not
    # the client under test, the bottleneck of the benchmarks.
    return random.Random(seed).randbytes(_BLOCK)


@dataclass
class FakeFile:
    """One uploaded file; ``content`` is served as is, else ``size`` deterministic pseudo-random bytes."""

    file_id: int
    filename: str
    type: str = "Image"
    content: bytes | None = None
    size: int = 1024
    tag: int | None = None
    date: str = "2024-01-01"
    description: str = ""
    user: str = "observer"
    group: str = "tfopwg"
    toi: str | None = None
    proprietary: bool = False
    # The name get_file.php puts in Content-Disposition: None = the listed name, "" = no such header.
    disposition_name: str | None = None

    @property
    def length(self) -> int:
        """Size in bytes of the body."""
        return len(self.content) if self.content is not None else self.size

    def chunks(self, chunk_size: int = _BLOCK) -> Iterator[bytes]:
        """The body, in chunks (generated bodies never sit in memory whole)."""
        if self.content is not None:
            for start in range(0, len(self.content), chunk_size):
                yield self.content[start : start + chunk_size]
            return
        block = _block(self.file_id)
        left = self.size
        while left > 0:
            piece = block[: min(left, _BLOCK)]
            left -= len(piece)
            for start in range(0, len(piece), chunk_size):
                yield piece[start : start + chunk_size]

    def body(self) -> bytes:
        """The whole body (small files only)."""
        return b"".join(self.chunks())

    def sha256(self) -> str:
        """sha256 of the body."""
        digest = hashlib.sha256()
        for chunk in self.chunks():
            digest.update(chunk)
        return digest.hexdigest()


@dataclass
class FakeTarget:
    """A star on the fake ExoFOP."""

    tic_id: int
    tois: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    files: list[FakeFile] = field(default_factory=list)
    # kind -> rows (dicts by column name); tables render in the format the request asks for.
    summary_rows: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    # kind -> raw body, served verbatim whatever output= says (for real samples and hostile bodies).
    summary_raw: dict[str, bytes] = field(default_factory=dict)
    # The file list's raw body, served verbatim (a huge list for the memory benchmark, see huge_filelist).
    filelist_raw: bytes | None = None
    period: float = 3.0
    epoch: float = 2459000.5
    tfopwg_disposition: str = "PC"
    tess_disposition: str = "PC"
    sectors: str = "14,15"
    # Community TOIs ("<TIC>.<nn>") with their TFOPWG and user dispositions.
    ctois: list[tuple[str, str, str]] = field(default_factory=list)


def render_table(
    columns: tuple[str, ...], rows: list[dict[str, str]], output: str, *, omit_header: str | None = None
) -> bytes:
    """A table as ExoFOP prints it: pipe (no quoting, blank lines at the end) or CSV (quoted when needed).

    ``omit_header`` leaves one name out of the header line while rows keep its value: the real nearby-target
    CSV of 2020 lacked its "Distance Err" header (reference §7, ramjet).
    """
    header = [c for c in columns if c != omit_header]
    if output == "pipe":
        lines = ["|".join(header)] + ["|".join(str(row.get(c, "")) for c in columns) for row in rows]
        return ("\n".join(lines) + "\n\n\n").encode()
    import csv

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in columns])
    return buf.getvalue().encode()


def _with_time(date: str) -> str:
    """``2020-08-15`` → ``2020-08-15 12:01:18``: real ``fdate`` values always carry a time (reference §7)."""
    return date if " " in date else f"{date} 12:01:18"


def filelist_rows(
    target: FakeTarget, *, include_proprietary: bool, real_shapes: bool = False
) -> list[dict[str, str]]:
    """File-list rows of a star (proprietary rows only for a logged-in session).

    ``real_shapes``: cells as the real ``target.php`` JSON writes the same fields (``TOI 1262.01``, the TIC as
    ``TIC 365938305.01``, dates with a time); otherwise the documented bare forms.
    """
    rows = []
    for f in target.files:
        if f.proprietary and not include_proprietary:
            continue
        toi, tic, date = f.toi or "", str(target.tic_id), f.date
        if real_shapes:
            toi = f"TOI {toi}" if toi else ""
            tic = f"TIC {target.tic_id}.{toi.rsplit('.', 1)[-1]}" if toi else f"TIC {target.tic_id}"
            date = _with_time(date)
        rows.append(
            {
                "Type": f.type,
                "File Name": f.filename,
                "File ID": str(f.file_id),
                "TIC": tic,
                "TOI": toi,
                "Date": date,
                "User": f.user,
                "Group": f.group,
                "Tag": "" if f.tag is None else str(f.tag),
                "Description": f.description,
            }
        )
    return rows


def toi_rows(target: FakeTarget) -> list[dict[str, str]]:
    """TOI-table rows of a star."""
    return [
        {
            "TIC ID": str(target.tic_id),
            "TOI": toi,
            "TESS Disposition": target.tess_disposition,
            "TFOPWG Disposition": target.tfopwg_disposition,
            "Period (days)": f"{target.period}",
            "Epoch (BJD)": f"{target.epoch}",
            "Planet Name": "",
            "Sectors": target.sectors,
            "Comments": f"fake TOI {toi}, {target.tfopwg_disposition}",
        }
        for toi in target.tois
    ]


def ctoi_rows(target: FakeTarget) -> list[dict[str, str]]:
    """CTOI-table rows of a star."""
    return [
        {
            "TIC ID": str(target.tic_id),
            "CTOI": ctoi,
            "Promoted to TOI": "",
            "User Disposition": user_disp,
            "TFOPWG Disposition": tfop_disp,
            "Period (days)": f"{target.period}",
            "Transit Epoch (BJD)": f"{target.epoch}",
            "Depth ppm": "1200",
            "Notes": "community candidate, from a fake PHT search",
            "User": "pht",
        }
        for ctoi, tfop_disp, user_disp in target.ctois
    ]


def overview_json(target: FakeTarget) -> dict[str, object]:
    """``target.php?json`` body with the real shape (reference §7): every top-level key, string values."""
    return {
        "basic_info": {
            "tic_id": str(target.tic_id),
            "star_names": ", ".join(target.names),  # ONE string, ", "-separated
            "confirmed_planets": "",
            "k2_campaign": "",
            "tic_contamination_ratio": "0.033642",
        },
        "coordinates": {"ra": "97.636644999811907", "dec": "+29.672266247041001", "pm_ra": "-1.57989"},
        "tois": [
            {
                "toi": f"TOI {toi}",
                "ctoi": f"TIC {target.tic_id}.{toi.rsplit('.', 1)[-1]}",
                "disp_tess": "PC",
                "disp_tfop": "PC",
                "editdisp": toi,
                "sector": "14,15",
                "notes": "",
                "date": "2022-12-14 12:09:24",
            }
            for toi in target.tois
        ],
        "ctois": [],
        "planet_units": {"per": "days"},
        "planet_parameters": [],
        "stellar_units": {},
        "stellar_parameters": [],
        "stellar_companions_units": {},
        "stellar_companions": [],
        "magnitudes": [{"band": "TESS", "value": "10.1", "value_e": "0.0126", "mtabname": "tmag"}],
        "imaging_units": {},
        "imaging": [],
        "spectroscopy_units": {},
        "spectroscopy": [],
        "time_series_units": {"tsdate": "UT"},
        "time_series": [],
        "files": [
            {
                "ftype": f.type,
                "fname": f.filename,
                "fctoi": f"TIC {target.tic_id}.{f.toi.rsplit('.', 1)[-1]}" if f.toi else "",
                "ftoi": f"TOI {f.toi}" if f.toi else "",
                "fdesc": f.description,
                "fdate": _with_time(f.date),
                "fuser": f.user,
                "fgroup": f.group,
                "ftag": "" if f.tag is None else str(f.tag),
                "fobid": "7",
                "fid": str(f.file_id),
                "fext": f.filename.rsplit(".", 1)[-1] if "." in f.filename else "",
            }
            for f in target.files
        ],
    }
