"""Turn ExoFOP SG1 ground-based photometry into TRICERATOPS+ external light curves (reference §4).

TRICERATOPS+ (``external_lc_files=[...]``, ``filt_lcs=[...]``) wants, per file, three whitespace-separated
columns without a header: days from mid-transit, normalised flux, flux error; times sorted and unique; a
filter among ``g, r, i, z, J, H, K``; at most 7 files.

Inputs understood, most common first:

* AstroImageJ ``*_measurements.tbl`` (also saved as ``.xls``/``.txt``/``.csv``): tab-separated, the first
  header cell blank, ~250 columns. Time is ``BJD_TDB``, else ``BJD_TDB_MOBS``, else another BJD, HJD or
  JD column such as ``JD_UTC`` (with a warning: JD_UTC lacks the barycentric correction, up to ±8.3 min);
  a column without values (AstroImageJ writes all-NaN ``HJD_UTC``/``JD_SOBS``) is passed over.
  Flux is ``rel_flux_T1`` and its error ``rel_flux_err_T1`` (another ``rel_flux_T<n>`` with a warning).
* Any 3+ column whitespace/comma/tab table whose header names the columns (``BJD_TDB, rel_flux,
  rel_flux_err``, ``time flux flux_err``...). Column offsets written in the name (``BJD-2457000``,
  ``J.D.-2400000``, ``BTJD``) are added back.
* Header-less numeric files: the first three columns are time, flux, error. Times above 2,400,000 are
  taken as BJD_TDB, smaller ones as days from mid-transit (both with a warning); days from mid-transit
  beyond half a period are rejected rather than guessed at (they are probably BTJD).

Processing: rows with a non-numeric/non-finite value or a non-positive error are dropped (counted in a
warning); absolute times are folded to the nearest transit, ``t - epoch - round((t - epoch) / period) *
period``, with the epoch in BJD_TDB (an epoch below 10,000 is taken as BTJD = BJD_TDB - 2457000, with a
warning); rows are sorted by that time and duplicate times dropped (first kept). Flux and error are then
divided by the median out-of-transit flux when the transit duration is known (points further than 0.6 x
duration from mid-transit: half the duration plus a margin for ephemeris drift, and only if at least 10
points / 10 % of the light curve are left), else by the median of all points. ``ExternalLightCurve
.normalization`` says which was used.

Filter: from the ``band`` argument, else the file name (``TIC<tic>-<pp>_<date>_<observatory>_<band>_<kind>``:
the token before ``measurements``/``lightcurve``...), else the time-series summary row's ``Filter``. Sloan
and Pan-STARRS spellings map to ``g r i z`` (``ip``, ``i'``, ``zs``, ``z_s``...; ``I`` → i and ``Z`` → z as
observers use them); ``J H K Ks`` to ``J H K``. Anything else (Rc, V, B, TESS, clear...) is refused with
``InvalidInputError``: TRICERATOPS+ has no such filter and substituting one would bias its fit.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from ..errors import ExoFopError, InvalidInputError
from ..remote.tables import normalize_name
from ..store.atomic import write_export
from .cached_files import (
    ManifestFile,
    binary_kind,
    load_manifest_files,
    read_head,
    read_text_file,
    row_for_tag,
    row_value,
    summary_rows_by_tag,
    write_sidecar,
)

__all__ = [
    "DETRENDS",
    "KEEP_RULE",
    "MAX_TRICERATOPS_PLUS_FILES",
    "NORMALIZATIONS",
    "TRICERATOPS_PLUS_FILTERS",
    "Detrending",
    "ExternalLightCurve",
    "LightCurveReport",
    "OutOfTransit",
    "collect_lightcurves",
    "find_lightcurves",
    "load_sg1_lightcurve",
    "triceratops_plus_filter_for",
]

TRICERATOPS_PLUS_FILTERS = ("g", "r", "i", "z", "J", "H", "K")
MAX_TRICERATOPS_PLUS_FILES = 7
NORMALIZATIONS = ("oot", "median", "none")
DETRENDS = ("none", "airmass", "linear")
MIN_POINTS = 5
_TIME_DECIMALS = 8  # days: 1e-8 d is under a millisecond
_JD_FLOOR = 2400000.0  # any Julian date of a modern observation is above this
_BTJD_OFFSET = 2457000.0
_BTJD_EPOCH_LIMIT = 10000.0
_OOT_EDGE_IN_DURATIONS = 0.6
_MIN_OOT_POINTS = 10
_MIN_OOT_FRACTION = 0.1
_MIN_CHECK_POINTS = 5  # fewer out-of-transit points give no usable level or scatter
_FILTER_HINT = "pass --filter with one of g, r, i, z, J, H, K if the band is equivalent to one of them"

_EXACT_FILTERS: dict[str, str] = {
    **dict.fromkeys(("g", "gp", "g'"), "g"),
    **dict.fromkeys(("r", "rp", "r'"), "r"),
    **dict.fromkeys(("i", "ip", "i'", "I"), "i"),
    **dict.fromkeys(("z", "zs", "z'", "zp", "z_s", "Z"), "z"),
}
_NIR_FILTERS = {"j": "J", "h": "H", "k": "K", "ks": "K", "k_s": "K"}
_SLOAN_RE = re.compile(r"(?:sdss|sloan|ps1?|pan-?starrs)[\s_-]*([griz])(?:'|p|_s|s)?", re.IGNORECASE)
_KIND_WORDS = frozenset(
    {"measurements", "measurement", "lightcurve", "lightcurves", "lc", "photometry", "phot", "detrended"}
)
_NAME_BAND_RE = re.compile(r"^[A-Za-z][A-Za-z'+-]{0,7}$")
_OFFSET_RE = re.compile(r"[-\u2212]\s*(\d{4,7}(?:\.\d+)?)\s*\)?\s*$")
_SPLIT_RE = re.compile(r"[\s,]+")
_LC_EXTENSIONS = frozenset({".tbl", ".txt", ".csv", ".dat", ".xls"})
_LC_NAME_RE = re.compile(r"light_?curve|(?<![a-z])lc(?![a-z])", re.IGNORECASE)
# The other files of an SG1 upload (research/triceratops.md §4): never light curves, so never "skipped".
_NOT_LC_RE = re.compile(
    r"(?<![a-z])(?:notes?|neb(?:check)?|apertures?|plotcfg|readme|wcs|fieldchart|finder|seeing)(?![a-z])",
    re.IGNORECASE,
)

_FLUX_NAMES = (
    "relfluxt1",
    "relflux",
    "flux",
    "normflux",
    "normalizedflux",
    "normalisedflux",
    "relativeflux",
    "detrendedflux",
    "fluxnorm",
)
_ERR_NAMES = (
    "relfluxerrt1",
    "relfluxerr",
    "fluxerr",
    "fluxerror",
    "fluxunc",
    "normfluxerr",
    "normalizedfluxerr",
    "normalisedfluxerr",
    "relativefluxerr",
    "detrendedfluxerr",
    "err",
    "error",
    "eflux",
    "errflux",
    "ferr",
    "sigma",
    "e",
)
_JD_WARNING = (
    "; a geocentric JD lacks the barycentric correction (up to ±8.3 min) and TT-UTC (~69 s), so the fold "
    "may be off by minutes"
)
_GENERIC_TIME_NAMES = frozenset({"time", "t", "times", "timedays", "timed"})

TimeKind = Literal["bjd_tdb", "absolute", "generic"]
Splitter = Callable[[str], list[str]]


KEEP_RULE = (
    "first one light curve per filter (a multi-band test needs every band), the one with the smallest "
    "transit-depth uncertainty, robust out-of-transit scatter x sqrt(1/n_in + 1/n_out); then the others by "
    "that uncertainty; a curve with no point in transit, or too few out of it, last; ties by file id"
)


@dataclass(frozen=True)
class ExternalLightCurve:
    """A phase-folded, normalised light curve ready for TRICERATOPS+ (``filter`` in g r i z J H K)."""

    time_from_midtransit_days: tuple[float, ...]
    flux: tuple[float, ...]
    flux_err: tuple[float, ...]
    filter: str
    band: str | None
    source_path: Path
    warnings: tuple[str, ...] = ()
    # "out_of_transit_median", "median_of_all" or "as_given" (see the module docstring).
    normalization: str = "as_given"
    detrending: Detrending | None = None
    out_of_transit: OutOfTransit | None = None  # measured after processing, when the duration is known
    ephemeris: tuple[float, float, float | None] | None = None  # period (d), epoch (BJD_TDB), duration (h)

    def __post_init__(self) -> None:
        times = self.time_from_midtransit_days
        if not len(times) == len(self.flux) == len(self.flux_err) or len(times) < MIN_POINTS:
            raise InvalidInputError(f"a light curve needs at least {MIN_POINTS} (time, flux, error) rows")
        if any(b <= a for a, b in pairwise(times)):
            raise InvalidInputError("light-curve times must be sorted and unique")
        if self.filter not in TRICERATOPS_PLUS_FILTERS:
            raise InvalidInputError(
                f"filter {self.filter!r} is not one of {', '.join(TRICERATOPS_PLUS_FILTERS)}"
            )

    def depth_uncertainty(self) -> float:
        """How well the curve measures a transit depth: scatter x sqrt(1/n_in + 1/n_out).

        The robust out-of-transit scatter when the duration is known (infinite without a point in
        transit, or with too few out of it to measure a level), else the mean error over sqrt(points). Used
        to choose which curves to keep (``KEEP_RULE``).
        """
        mean_err = sum(self.flux_err) / len(self.flux_err)
        oot = self.out_of_transit
        duration_known = self.ephemeris is not None and self.ephemeris[2] is not None
        if oot is None and duration_known:
            # No baseline to measure a depth against (a curve of the transit alone, normalised by its own
            # median, has lost the transit): never ahead of a curve that has one.
            return math.inf
        if oot is None:
            return mean_err / math.sqrt(len(self.flux))
        if oot.in_transit == 0:
            return math.inf
        return (oot.scatter or mean_err) * math.sqrt(1 / oot.in_transit + 1 / oot.points)

    def to_triceratops_file(
        self,
        path: str | os.PathLike[str],
        *,
        provenance: Mapping[str, Any] | None = None,
        sidecar: bool = True,
    ) -> Path:
        """Write ``days flux error`` rows (whitespace, no header) atomically, and ``<name>.json`` beside."""
        target = Path(path)
        lines = [
            f"{t:.{_TIME_DECIMALS}f} {f:.10g} {e:.10g}"
            for t, f, e in zip(self.time_from_midtransit_days, self.flux, self.flux_err, strict=True)
        ]
        write_export(target, ("\n".join(lines) + "\n").encode("ascii"))
        if sidecar:
            data = self.to_dict()
            for key in ("time_from_midtransit_days", "flux", "flux_err"):
                del data[key]
            data |= {
                "file": target.name,
                "format": "rows 'days_from_midtransit flux flux_err', whitespace, no header: np.loadtxt(path)",
                "points": len(self.flux),
                "time_range_days": [self.time_from_midtransit_days[0], self.time_from_midtransit_days[-1]],
                "triceratops_plus": {"external_lc_files": [target.name], "filt_lcs": [self.filter]},
            }
            write_sidecar(target, {**data, **(provenance or {})})
        return target

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings)."""
        period, epoch, duration = self.ephemeris or (None, None, None)
        uncertainty = self.depth_uncertainty()
        return {
            "time_from_midtransit_days": list(self.time_from_midtransit_days),
            "flux": list(self.flux),
            "flux_err": list(self.flux_err),
            "filter": self.filter,
            "band": self.band,
            "source_path": str(self.source_path),
            "warnings": list(self.warnings),
            "normalization": self.normalization,
            "detrending": self.detrending.to_dict() if self.detrending else None,
            "out_of_transit": self.out_of_transit.to_dict() if self.out_of_transit else None,
            "depth_uncertainty": uncertainty if math.isfinite(uncertainty) else None,
            "period_days": period,
            "epoch_bjd_tdb": epoch,
            "duration_hours": duration,
        }


@dataclass(frozen=True)
class LightCurveReport:
    """Outcome of loading (and optionally exporting) one light curve found in a manifest.

    ``lightcurve`` is None when ``error`` says why, or ``skipped`` (a file that looked like a light curve
    but cannot be read as one). ``rank`` orders the loaded curves by ``KEEP_RULE``; ``keep`` says whether
    it is among the 7 TRICERATOPS+ accepts.
    """

    source_path: Path
    file_id: int | None
    lightcurve: ExternalLightCurve | None
    error: str | None
    exported: Path | None
    filename: str | None = None  # the upload's name on ExoFOP (the cached file has an id prefix)
    skipped: str | None = None
    rank: int | None = None
    sidecar: Path | None = None

    @property
    def keep(self) -> bool | None:
        """True for the curves to pass to TRICERATOPS+ (at most 7); None when not loaded."""
        return None if self.rank is None else self.rank <= MAX_TRICERATOPS_PLUS_FILES

    @property
    def status(self) -> str:
        """``converted``, ``failed`` or ``skipped``."""
        if self.error:
            return "failed"
        return "skipped" if self.skipped else "converted"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings): a flat summary for tables plus the full ``lightcurve``."""
        lc = self.lightcurve
        oot = lc.out_of_transit if lc else None
        return {
            "source_path": str(self.source_path),
            "file_id": self.file_id,
            "filename": self.filename or self.source_path.name,
            "status": self.status,
            "filter": lc.filter if lc else None,
            "band": lc.band if lc else None,
            "points": len(lc.flux) if lc else None,
            "normalization": lc.normalization if lc else None,
            "detrend": (lc.detrending.method if lc.detrending else "none") if lc else None,
            "oot_level": round(oot.level, 6) if oot else None,
            "oot_level_error": round(oot.level_error, 6) if oot else None,
            "rank": self.rank,
            "keep": self.keep,
            "warnings": list(lc.warnings) if lc else [],
            "lightcurve": lc.to_dict() if lc else None,
            "error": self.error,
            "skipped": self.skipped,
            "exported": str(self.exported) if self.exported is not None else None,
            "sidecar": str(self.sidecar) if self.sidecar is not None else None,
        }


# --------------------------------------------------------------------------------------------------------
# Filters


def triceratops_plus_filter_for(band: str) -> str | None:
    """TRICERATOPS+ filter (g r i z J H K) for a band label (``ip``, ``i'``, ``zs``, ``Ks``), or None."""
    label = band.strip().replace("\u2019", "'").replace("\u2032", "'")  # typographic quote, prime
    exact = _EXACT_FILTERS.get(label)
    if exact is not None:
        return exact
    nir = _NIR_FILTERS.get(label.casefold())
    if nir is not None:
        return nir
    sloan = _SLOAN_RE.fullmatch(label)
    return sloan.group(1).casefold() if sloan else None


def band_from_filename(name: str) -> str | None:
    """The band token of ``TIC<tic>-<pp>_<date>_<observatory>_<band>_<kind>.<ext>``, loosely, or None."""
    tokens = name.split(".", maxsplit=1)[0].split("_")
    kind_at = next((i for i in range(len(tokens) - 1, 0, -1) if tokens[i].casefold() in _KIND_WORDS), None)
    if kind_at is None:
        return None
    candidate = tokens[kind_at - 1]
    return candidate if _NAME_BAND_RE.match(candidate) else None


def _resolve_filter(
    band: str | None, name: str, tseries_row: Mapping[str, str | None] | None
) -> tuple[str, str]:
    """``(TRICERATOPS+ filter, raw band)`` from the argument, else the file name, else the summary row."""
    if band is not None and band.strip():
        raw, source = band.strip(), "the filter argument"
    elif (from_name := band_from_filename(name)) is not None:
        raw, source = from_name, f"the file name {name}"
    elif (from_row := row_value(tseries_row, "Filter")) is not None:
        raw, source = from_row, "the time-series summary row"
    else:
        raise InvalidInputError(
            f"no band for {name}: none given, none in the file name, no time-series summary row",
            hint=_FILTER_HINT,
        )
    filt = triceratops_plus_filter_for(raw)
    if filt is None:
        raise InvalidInputError(
            f"band {raw!r} (from {source}) is not a TRICERATOPS+ filter; allowed: "
            f"{', '.join(TRICERATOPS_PLUS_FILTERS)}",
            hint=_FILTER_HINT,
        )
    return filt, raw


# --------------------------------------------------------------------------------------------------------
# Parsing a photometry table


@dataclass(frozen=True)
class _TimeColumn:
    index: int
    name: str
    offset: float
    kind: TimeKind
    warning: str | None = None


@dataclass
class _Photometry:
    time: list[float] = field(default_factory=list)
    flux: list[float] = field(default_factory=list)
    err: list[float] = field(default_factory=list)
    airmass: list[float] = field(default_factory=list)  # NaN where missing; empty without an AIRMASS column
    time_column: _TimeColumn = field(default_factory=lambda: _TimeColumn(0, "column 1", 0.0, "generic"))
    warnings: list[str] = field(default_factory=list)


def _name_offset(name: str, default: float = 0.0) -> float:
    match = _OFFSET_RE.search(name)
    return float(match.group(1)) if match else default


# Preference order. HJD comes before JD_UTC although the reference lists only BJD_TDB > BJD_TDB_MOBS >
# JD_UTC: HJD_UTC is within about a minute of BJD_TDB, JD_UTC up to 8 minutes off. AstroImageJ often leaves
# HJD_UTC (and BJD_TDB when it lacks coordinates) all NaN, so a column is used only if it has values.
_TIME_RULES: tuple[tuple[Callable[[str], bool], TimeKind, float, str], ...] = (
    # (matches the normalised column name, kind, default offset, warning suffix)
    (lambda n: n == "bjdtdb", "bjd_tdb", 0.0, ""),
    (lambda n: n == "bjdtdbmobs", "absolute", 0.0, ""),
    (lambda n: n == "btjd", "bjd_tdb", _BTJD_OFFSET, ""),
    (lambda n: n.startswith("bjdtdb") and n[6:].isdigit(), "bjd_tdb", 0.0, ""),
    (lambda n: n.startswith("bjd"), "absolute", 0.0, "; taken as BJD_TDB"),
    (lambda n: n.startswith("hjd"), "absolute", 0.0, "; HJD_UTC differs from BJD_TDB by about a minute"),
    (lambda n: n == "jdutc", "absolute", 0.0, _JD_WARNING),
    (lambda n: n.startswith(("jd", "mjd")), "absolute", 0.0, _JD_WARNING),
    (lambda n: n in _GENERIC_TIME_NAMES, "generic", 0.0, ""),
)


def _time_columns(header: Sequence[str]) -> list[_TimeColumn]:
    """Every usable-looking time column, best first (see ``_TIME_RULES``)."""
    norm = [normalize_name(h) for h in header]
    found: list[_TimeColumn] = []
    for matches, kind, default_offset, suffix in _TIME_RULES:
        for index, n in enumerate(norm):
            if not matches(n) or any(c.index == index for c in found):
                continue
            name = header[index]
            offset = _name_offset(name, 2400000.5 if n.startswith("mjd") else default_offset)
            warning = (
                f"time column {name!r} used (no usable BJD_TDB column){suffix}"
                if kind == "absolute"
                else None
            )
            found.append(_TimeColumn(index, name, offset, kind, warning))
    return found


def _pick_time_column(candidates: Sequence[_TimeColumn], rows: Sequence[list[str]]) -> _TimeColumn:
    """The first candidate with values in at least half of the rows (else the first, to fail clearly)."""
    for column in candidates:
        values = (_float(r[column.index]) if column.index < len(r) else None for r in rows)
        finite = sum(1 for v in values if v is not None and math.isfinite(v))
        if finite and 2 * finite >= len(rows):
            return column
    return candidates[0]


def _flux_columns(header: Sequence[str]) -> tuple[int, int, str | None] | None:
    """``(flux index, error index, warning)``: rel_flux_T1 first, then other names, then rel_flux_T<n>."""
    norm = [normalize_name(h) for h in header]
    for flux_name in _FLUX_NAMES:
        if flux_name in norm:
            flux_index = norm.index(flux_name)
            err_index = next((norm.index(e) for e in _ERR_NAMES if e in norm), None)
            if err_index is None:
                return None
            return flux_index, err_index, None
    for i, n in enumerate(norm):
        match = re.fullmatch(r"relfluxt(\d+)", n)
        if match and f"relfluxerrt{match.group(1)}" in norm:
            warning = f"no rel_flux_T1 column; used {header[i]!r} as the target flux"
            return i, norm.index(f"relfluxerrt{match.group(1)}"), warning
    return None


def _splitter(line: str) -> Splitter:
    """Field splitter for a table whose first line is ``line``: tab, else comma, else whitespace."""
    delimiter = "\t" if "\t" in line else "," if "," in line else None
    if delimiter is None:
        return lambda text: text.split()
    # Split the raw line, not a stripped one: AstroImageJ's blank first cell must keep its place.
    return lambda text: text.rstrip("\r\n").split(delimiter)


def _float(text: str) -> float | None:
    text = text.strip()
    if not text or "_" in text:  # float() accepts "1_000"; no data file means that
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _locate_header(lines: Sequence[str], name: str) -> tuple[list[str] | None, int, Splitter]:
    """``(header or None when header-less, index of the first data line, field splitter)``."""
    last_comment: str | None = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            last_comment = stripped.lstrip("#").strip()
            continue
        split = _splitter(line)
        fields = [f.strip() for f in split(line)]
        if any(_float(f) is None for f in fields if f):
            return fields, i + 1, split
        # A numeric first row; the header may still be the last comment line (``# time flux err``).
        if last_comment:
            header = [f.strip() for f in _splitter(last_comment)(last_comment)]
            if _time_columns(header):
                return header, i, split
        return None, i, split
    raise InvalidInputError(f"{name} has no data rows")


def _parse_photometry(text: str, name: str) -> _Photometry:
    """Time, flux and error columns of a photometry table (header or header-less), invalid rows dropped."""
    lines = text.splitlines()
    header, start, split = _locate_header(lines, name)
    rows = [split(ln) for ln in lines[start:] if ln.strip() and not ln.lstrip().startswith("#")]
    phot = _Photometry()
    airmass_index: int | None = None
    if header is None:
        if len(rows[0]) < 3:
            raise InvalidInputError(f"{name} has fewer than 3 columns (time, flux, flux error)")
        t_index, f_index, e_index = 0, 1, 2
    else:
        candidates = _time_columns(header)
        columns = _flux_columns(header)
        if not candidates or columns is None:
            missing = "flux and flux-error columns" if candidates else "a time column"
            raise InvalidInputError(
                f"{name} is not a light curve: its header has no {missing} (expected e.g. BJD_TDB, "
                "rel_flux_T1, rel_flux_err_T1)"
            )
        phot.time_column = _pick_time_column(candidates, rows)
        f_index, e_index, flux_warning = columns
        t_index = phot.time_column.index
        if flux_warning:
            phot.warnings.append(flux_warning)
        airmass_index = next((i for i, h in enumerate(header) if normalize_name(h) == "airmass"), None)
    invalid = nonpositive = 0
    for fields in rows:
        values = [_float(fields[i]) if i < len(fields) else None for i in (t_index, f_index, e_index)]
        t, f, e = values
        if t is None or f is None or e is None or not all(math.isfinite(v) for v in (t, f, e)):
            invalid += 1
            continue
        if e <= 0:
            nonpositive += 1
            continue
        phot.time.append(t + phot.time_column.offset)
        phot.flux.append(f)
        phot.err.append(e)
        if airmass_index is not None:
            x = _float(fields[airmass_index]) if airmass_index < len(fields) else None
            phot.airmass.append(x if x is not None and math.isfinite(x) and x >= 1.0 else math.nan)
    if invalid:
        phot.warnings.append(f"dropped {invalid} row(s) with missing or non-finite time/flux/error")
    if nonpositive:
        phot.warnings.append(f"dropped {nonpositive} row(s) with a zero or negative flux error")
    if len(phot.time) < MIN_POINTS:
        raise InvalidInputError(
            f"{name} has {len(phot.time)} usable row(s); a light curve needs at least {MIN_POINTS}"
        )
    return phot


# --------------------------------------------------------------------------------------------------------
# Time, folding, normalisation


def _median(values: Iterable[float]) -> float:
    """Median of a non-empty sequence (``statistics`` would add ~10 ms to every CLI start)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _check_period(period: float) -> None:
    if not isinstance(period, int | float) or not math.isfinite(period) or period <= 0:
        raise InvalidInputError(f"period must be a positive number of days, not {period!r}")


def _epoch_bjd(epoch: float) -> tuple[float, str | None]:
    """The epoch in BJD_TDB, and a warning when it was given as BTJD."""
    if not isinstance(epoch, int | float) or not math.isfinite(epoch):
        raise InvalidInputError(f"epoch must be a number (BJD_TDB), not {epoch!r}")
    if epoch > _JD_FLOOR:
        return float(epoch), None
    if epoch < _BTJD_EPOCH_LIMIT:
        bjd = epoch + _BTJD_OFFSET
        return bjd, f"epoch {epoch:g} taken as BTJD (BJD_TDB - 2457000) = {bjd:.6f} BJD_TDB"
    raise InvalidInputError(
        f"epoch {epoch:g} is neither BJD_TDB (> 2400000) nor BTJD (< 10000)",
        hint="give the transit epoch in BJD_TDB, e.g. 2458466.3101",
    )


def _check_duration(duration_hours: float | None) -> float | None:
    if duration_hours is None:
        return None
    if (
        not isinstance(duration_hours, int | float)
        or not math.isfinite(duration_hours)
        or duration_hours <= 0
    ):
        raise InvalidInputError(
            f"transit duration must be a positive number of hours, not {duration_hours!r}"
        )
    return duration_hours / 24.0


def _times_from_midtransit(
    phot: _Photometry, *, period: float, epoch_bjd: float, epoch_warning: str | None, name: str
) -> tuple[list[float], list[str]]:
    """Fold absolute times to the nearest transit; pass relative ones through after checking them."""
    column = phot.time_column
    label = f"time column {column.name!r}"
    typical = _median(phot.time)
    warnings = [column.warning] if column.warning else []
    if column.kind == "generic" and typical <= _JD_FLOOR:
        if max(abs(t) for t in phot.time) > period / 2:
            raise InvalidInputError(
                f"{name}: {label} values up to {max(abs(t) for t in phot.time):g} are neither Julian dates "
                f"nor days from mid-transit within half the period ({period / 2:g} d)",
                hint="name the time column in a header (BJD_TDB, BTJD, or BJD-2450000)",
            )
        warnings.append(f"{label} taken as days from mid-transit (values below 2400000)")
        return list(phot.time), warnings
    if typical <= _JD_FLOOR:
        raise InvalidInputError(
            f"{name}: time column {column.name!r} values around {typical:g} are not Julian dates; name the "
            "offset in the header (e.g. BJD_TDB-2457000)"
        )
    if column.kind == "generic":
        warnings.append(f"{label} taken as BJD_TDB (values above 2400000)")
    if epoch_warning:
        warnings.append(epoch_warning)
    cycles = [math.floor((t - epoch_bjd) / period + 0.5) for t in phot.time]
    folded = [t - epoch_bjd - n * period for t, n in zip(phot.time, cycles, strict=True)]
    if len(set(cycles)) > 1:
        warnings.append(
            f"points from {len(set(cycles))} different transits (cycles {min(cycles)} to {max(cycles)}) "
            "were folded together"
        )
    return folded, warnings


Row = tuple[float, float, float, float]  # time from mid-transit, flux, error, airmass (NaN: none)


def _sort_unique(phot: _Photometry, times: Sequence[float]) -> tuple[list[Row], list[str]]:
    """Sort by time from mid-transit; drop times equal to the written precision (the first in file kept)."""
    airmass = phot.airmass or [math.nan] * len(times)
    rows = list(zip(times, phot.flux, phot.err, airmass, strict=True))
    warnings = []
    if any(b < a for a, b in pairwise(times)):
        warnings.append("sorted the rows by time from mid-transit (they were not in that order)")
    # Times that print the same in the exported file are duplicates for TRICERATOPS+; the sort is stable,
    # so among them the first row of the file comes first and is the one kept.
    rows.sort(key=lambda r: round(r[0], _TIME_DECIMALS))
    unique = [
        r
        for i, r in enumerate(rows)
        if i == 0 or round(r[0], _TIME_DECIMALS) != round(rows[i - 1][0], _TIME_DECIMALS)
    ]
    if len(unique) < len(rows):
        warnings.append(f"dropped {len(rows) - len(unique)} row(s) with a duplicate time (kept the first)")
    return unique, warnings


def _out_of_transit(rows: Sequence[Row], duration_days: float) -> list[Row]:
    """Rows further than 0.6 x duration from mid-transit (half the duration plus a margin for drift)."""
    edge = _OOT_EDGE_IN_DURATIONS * duration_days
    return [r for r in rows if abs(r[0]) > edge]


def _enough_oot(n_oot: int, n_all: int) -> bool:
    return n_oot >= max(_MIN_OOT_POINTS, _MIN_OOT_FRACTION * n_all)


def _linear_fit(
    xs: Sequence[float], ys: Sequence[float], errs: Sequence[float]
) -> tuple[float, float, float]:
    """Weighted least squares ``y = a + b (x - x0)``: ``(a, b, x0)``, with ``x0`` the weighted mean of x."""
    weights = [1.0 / (e * e) for e in errs]
    total = sum(weights)
    x0 = sum(w * x for w, x in zip(weights, xs, strict=True)) / total
    y0 = sum(w * y for w, y in zip(weights, ys, strict=True)) / total
    sxx = sum(w * (x - x0) ** 2 for w, x in zip(weights, xs, strict=True))
    sxy = sum(w * (x - x0) * (y - y0) for w, x, y in zip(weights, xs, ys, strict=True))
    if sxx <= 0:
        raise InvalidInputError("the detrending variable does not vary over the out-of-transit points")
    return y0, sxy / sxx, x0


@dataclass(frozen=True)
class Detrending:
    """A baseline ``a + b (x - x0)`` fitted to the out-of-transit points and divided out."""

    method: str  # "airmass" or "linear" (x = time from mid-transit in days)
    a: float
    b: float
    x0: float
    fit_points: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view, with the slope as a fraction of the baseline per unit of x."""
        unit = "per unit airmass" if self.method == "airmass" else "per day"
        return {
            "method": self.method,
            "model": "flux / (a + b * (x - x0))",
            "x": "AIRMASS" if self.method == "airmass" else "days from mid-transit",
            "a": self.a,
            "b": self.b,
            "x0": self.x0,
            "fractional_slope": self.b / self.a,
            "fractional_slope_unit": unit,
            "fit_points": self.fit_points,
        }


def _detrend(
    rows: Sequence[Row], method: str, duration_days: float, name: str
) -> tuple[list[Row], Detrending, list[str]]:
    """Divide flux and error by a baseline linear in airmass or time, fitted on out-of-transit points."""
    warnings = []
    if method == "airmass":
        usable = [r for r in rows if math.isfinite(r[3])]
        if not usable:
            raise InvalidInputError(
                f"{name} has no AIRMASS column (or no valid airmass)", hint="use --detrend linear instead"
            )
        if len(usable) < len(rows):
            warnings.append(f"dropped {len(rows) - len(usable)} row(s) without a valid AIRMASS")
        rows = usable
    oot = _out_of_transit(rows, duration_days)
    if not _enough_oot(len(oot), len(rows)):
        raise InvalidInputError(
            f"{name}: only {len(oot)} point(s) lie out of transit; too few to fit a {method} baseline",
            hint="check --duration, --epoch and --period, or use --detrend none",
        )
    before, after = sum(1 for r in oot if r[0] < 0), sum(1 for r in oot if r[0] > 0)
    if not before or not after:
        side = "before" if before else "after"
        warnings.append(
            f"out-of-transit points only {side} the transit: the {method} baseline is extrapolated"
        )
    column = 3 if method == "airmass" else 0
    a, b, x0 = _linear_fit([r[column] for r in oot], [r[1] for r in oot], [r[2] for r in oot])
    out = []
    for row in rows:
        baseline = a + b * (row[column] - x0)
        if not baseline > 0:
            raise InvalidInputError(f"{name}: the fitted {method} baseline is not positive everywhere")
        out.append((row[0], row[1] / baseline, row[2] / baseline, row[3]))
    return out, Detrending(method, a, b, x0, len(oot)), warnings


def _normalise(
    rows: Sequence[Row], duration_days: float | None, method: str, name: str
) -> tuple[list[Row], str, list[str]]:
    """Divide flux and error by the out-of-transit median, the median of all points, or nothing."""
    warnings: list[str] = []
    if method == "none":
        return list(rows), "as_given", warnings
    how = "median_of_all"
    scale = _median(r[1] for r in rows)
    if method == "oot" and duration_days is not None:
        if not any(abs(r[0]) <= duration_days / 2 for r in rows):
            # Nothing to fit: a wrong --epoch or --period puts the whole light curve out of transit.
            warnings.append(
                f"no point lies inside the transit (within {duration_days * 12:.2f} h of mid-transit); "
                "check --epoch and --period"
            )
        outside = _out_of_transit(rows, duration_days)
        if _enough_oot(len(outside), len(rows)):
            scale, how = _median(r[1] for r in outside), "out_of_transit_median"
        else:
            edge = _OOT_EDGE_IN_DURATIONS * duration_days
            warnings.append(
                f"only {len(outside)} point(s) are more than {edge:.4f} d from mid-transit; normalised by "
                "the median of all points instead of the out-of-transit median (if the file is already "
                "normalised, keep it as it is with --normalize none)"
            )
    elif duration_days is None:
        warnings.append(
            "transit duration unknown: normalised by the median of all points, which is below the "
            "out-of-transit level when the data cover the transit (the baseline then sits above 1); pass "
            "--duration (library: duration_hours=) to normalise by the out-of-transit median"
        )
    if not math.isfinite(scale) or scale <= 0:
        raise InvalidInputError(f"{name}: the median flux is {scale:g}; cannot normalise")
    return [(t, f / scale, e / scale, x) for t, f, e, x in rows], how, warnings


@dataclass(frozen=True)
class OutOfTransit:
    """The out-of-transit level after processing: median, robust per-point scatter, error of the median."""

    points: int
    in_transit: int
    level: float
    scatter: float  # 1.4826 x median absolute deviation
    level_error: float  # 1.2533 x scatter / sqrt(points): the standard error of a median

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "points": self.points,
            "in_transit": self.in_transit,
            "level": self.level,
            "scatter": self.scatter,
            "level_error": self.level_error,
        }


def _robust(values: Sequence[float]) -> tuple[float, float, float]:
    """``(median, robust scatter, standard error of the median)``."""
    level = _median(values)
    scatter = 1.4826 * _median(abs(v - level) for v in values)
    return level, scatter, 1.2533 * scatter / math.sqrt(len(values))


def _check_baseline(
    rows: Sequence[Row], duration_days: float, detrended: bool, fell_back: bool
) -> tuple[OutOfTransit | None, list[str]]:
    """Measure the out-of-transit level; warn when it is off 1 by more than its error, or drifts.

    ``fell_back``: ``oot`` normalisation was asked for but too few points lie out of transit, so the
    advice is about the baseline rather than ``--normalize oot``.
    """
    oot = _out_of_transit(rows, duration_days)
    in_transit = sum(1 for r in rows if abs(r[0]) <= duration_days / 2)
    if len(oot) < _MIN_CHECK_POINTS:
        return None, []
    level, scatter, error = _robust([r[1] for r in oot])
    stats = OutOfTransit(len(oot), in_transit, level, scatter, error)
    warnings = []
    if abs(level - 1.0) > error:
        advice = (
            "too few points out of transit for --normalize oot: check --duration, or use a light curve with "
            "a longer baseline"
            if fell_back
            else "use --normalize oot"
        )
        warnings.append(
            f"the out-of-transit level after processing is {level:.6f} ({(level - 1) * 1e6:+.0f} ppm), off "
            f"the 1.0 TRICERATOPS+ assumes by more than its scatter ({error * 1e6:.0f} ppm, the error of the "
            f"median); {advice}"
        )
    before = [r[1] for r in oot if r[0] < 0]
    after = [r[1] for r in oot if r[0] > 0]
    if len(before) >= _MIN_CHECK_POINTS and len(after) >= _MIN_CHECK_POINTS:
        lb, _, eb = _robust(before)
        la, _, ea = _robust(after)
        combined = math.hypot(eb, ea)
        if abs(la - lb) > 3 * combined:
            fix = "" if detrended else "; try --detrend airmass or --detrend linear"
            warnings.append(
                f"the out-of-transit level after the transit differs from the one before by "
                f"{(la - lb) * 1e6:+.0f} ppm (more than 3 x its error, {combined * 1e6:.0f} ppm): a trend "
                f"remains{fix}"
            )
    return stats, warnings


def _cadence_warning(times: Sequence[float]) -> list[str]:
    """TRICERATOPS+ takes ``np.min(np.diff(time))`` as the exposure time: flag a lone short step."""
    steps = [b - a for a, b in pairwise(times)]
    typical = _median(steps)
    if min(steps) >= 0.5 * typical:
        return []
    return [
        f"the smallest time step ({min(steps) * 86400:.1f} s) is under half the typical cadence "
        f"({typical * 86400:.1f} s); TRICERATOPS+ uses the smallest step as the exposure time"
    ]


# --------------------------------------------------------------------------------------------------------
# Public loading


def _check_modes(normalize: str | None, detrend: str, duration_days: float | None) -> str:
    """The normalisation to use (``None``: oot when the duration is known, else median); raise if unusable."""
    if normalize is not None and normalize not in NORMALIZATIONS:
        raise InvalidInputError(f"normalize must be one of {', '.join(NORMALIZATIONS)}, not {normalize!r}")
    if detrend not in DETRENDS:
        raise InvalidInputError(f"detrend must be one of {', '.join(DETRENDS)}, not {detrend!r}")
    if duration_days is None and (normalize == "oot" or detrend != "none"):
        what = "--normalize oot" if normalize == "oot" else f"--detrend {detrend}"
        raise InvalidInputError(
            f"{what} needs the transit duration, to know which points are out of transit",
            hint="pass --duration HOURS (library: duration_hours=)",
        )
    if normalize is None:
        return "oot" if duration_days is not None else "median"
    return normalize


def load_sg1_lightcurve(
    path: str | os.PathLike[str],
    *,
    period: float,
    epoch: float,
    band: str | None = None,
    tseries_row: Mapping[str, str | None] | None = None,
    duration_hours: float | None = None,
    normalize: str | None = None,
    detrend: str = "none",
) -> ExternalLightCurve:
    """Load an AstroImageJ measurements table (or simpler time/flux/error table) for TRICERATOPS+.

    ``period`` in days; ``epoch`` in BJD_TDB (or BTJD if below 10000); ``duration_hours`` tells which
    points are out of transit. ``normalize``: ``oot`` (out-of-transit median; the default when the duration
    is known), ``median`` (of all points; the default otherwise) or ``none``. ``detrend``: ``none``,
    ``airmass`` or ``linear`` (in time), fitted on out-of-transit points and divided out before
    normalising. Raises ``InvalidInputError`` for bad values, a band without a TRICERATOPS+ filter, or a
    file that is not a light curve.
    """
    _check_period(period)
    # Validated even when the file's times are already relative: a bad epoch is the caller's error.
    epoch_bjd, epoch_warning = _epoch_bjd(epoch)
    duration_days = _check_duration(duration_hours)
    how = _check_modes(normalize, detrend, duration_days)
    source = Path(path)
    phot = _parse_photometry(read_text_file(source, what="a light curve"), source.name)
    filt, raw_band = _resolve_filter(band, source.name, tseries_row)
    times, time_warnings = _times_from_midtransit(
        phot, period=period, epoch_bjd=epoch_bjd, epoch_warning=epoch_warning, name=source.name
    )
    rows, warnings = _sort_unique(phot, times)
    warnings = [*phot.warnings, *time_warnings, *warnings]
    if len(rows) < MIN_POINTS:
        raise InvalidInputError(f"{source.name} has only {len(rows)} distinct time(s)")
    detrending = None
    if detrend != "none" and duration_days is not None:
        rows, detrending, detrend_warnings = _detrend(rows, detrend, duration_days, source.name)
        warnings += detrend_warnings
    rows, normalization, norm_warnings = _normalise(rows, duration_days, how, source.name)
    warnings += norm_warnings
    baseline = None
    if duration_days is not None:
        fell_back = how == "oot" and normalization != "out_of_transit_median"
        baseline, check_warnings = _check_baseline(rows, duration_days, detrending is not None, fell_back)
        warnings += check_warnings
    warnings += _cadence_warning([r[0] for r in rows])
    return ExternalLightCurve(
        time_from_midtransit_days=tuple(r[0] for r in rows),
        flux=tuple(r[1] for r in rows),
        flux_err=tuple(r[2] for r in rows),
        filter=filt,
        band=raw_band,
        source_path=source,
        warnings=tuple(warnings),
        normalization=normalization,
        detrending=detrending,
        out_of_transit=baseline,
        ephemeris=(period, epoch_bjd, duration_hours),
    )


def _header_tokens(head: bytes) -> set[str]:
    """Normalised names in the first non-comment line of a text head."""
    for line in head.decode("utf-8", errors="replace").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return {normalize_name(t) for t in re.split(r"[\t,]|\s+", stripped) if t.strip()}
    return set()


_LC = "light curve"


def _classify(item: ManifestFile) -> str | None:
    """``_LC``, the reason a file that looks like a light curve cannot be one (a skip), or None.

    Measurements tables by name or header; other text tables when their Type or name says light curve and
    they parse. The other files of an SG1 upload (notes, NEB table, apertures, plot settings) are not
    candidates.
    """
    suffix = Path(item.filename).suffix.casefold() or item.path.suffix.casefold()
    name = item.filename.casefold()
    if suffix not in _LC_EXTENSIONS or _NOT_LC_RE.search(Path(name).stem):
        return None
    named = "measurements" in name or _LC_NAME_RE.search(name) is not None
    typed = (item.type or "").casefold() == "light_curve"
    try:
        head, truncated = read_head(item.path)
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}" if named or typed else None
    kind = binary_kind(head)
    if kind is not None:
        # e.g. a real Excel .xls; AstroImageJ's own ".xls" is plain tab-separated text
        why = f"it is {kind}, not a text table"
        if kind.startswith("an Excel"):
            why += " (save it as tab-separated text, as AstroImageJ writes its .tbl/.xls tables)"
        return why if named or typed else None
    if "measurements" in name or {"relfluxt1", "bjdtdb"} & _header_tokens(head):
        return _LC
    if not (named or typed):
        return None
    text = head.decode("utf-8", errors="replace")
    if truncated:
        text = text[: text.rfind("\n") + 1]
    try:
        _parse_photometry(text, item.filename)
    except InvalidInputError as exc:
        return f"not a light curve: {exc}"
    return _LC


def find_lightcurves(manifest_path: str | os.PathLike[str]) -> list[Path]:
    """Absolute paths of the SG1 photometry tables (AstroImageJ measurements...) among a manifest's files."""
    _, _, files = load_manifest_files(manifest_path)
    return [item.path for item in files if _classify(item) == _LC]


def collect_lightcurves(
    manifest_path: str | os.PathLike[str],
    *,
    period: float,
    epoch: float,
    band: str | None = None,
    export_dir: str | os.PathLike[str] | None = None,
    duration_hours: float | None = None,
    normalize: str | None = None,
    detrend: str = "none",
) -> list[LightCurveReport]:
    """Load every light curve of a manifest (joined to its time-series row by Tag); optionally export.

    Bad ``period``/``epoch``/``duration_hours``/``normalize``/``detrend`` or an unmappable ``band`` raise
    ``InvalidInputError`` at once (they would fail every file); per-file failures become reports with
    ``error``, files that look like light curves but cannot be read as one reports with ``skipped``.
    Reports are in file_id order; ``rank`` orders the loaded curves by ``KEEP_RULE`` (TRICERATOPS+ takes
    at most 7: those ranked beyond get a warning). Exports go to ``<export_dir>/<stem>_triceratops.txt``
    with a ``.json`` sidecar.
    """
    _check_period(period)
    _epoch_bjd(epoch)
    _check_modes(normalize, detrend, _check_duration(duration_hours))
    if band is not None and band.strip():
        _resolve_filter(band, "", None)  # raises for a band without a TRICERATOPS+ filter
    root, manifest, files = load_manifest_files(manifest_path)
    rows_by_tag, summary_warning = summary_rows_by_tag(root, manifest, "tseries")
    reports = []
    for item in files:
        decision = _classify(item)
        if decision is None:
            continue
        if decision != _LC:
            reports.append(
                LightCurveReport(item.path, item.file_id, None, None, None, item.filename, decision)
            )
            continue
        try:
            curve = load_sg1_lightcurve(
                item.path,
                period=period,
                epoch=epoch,
                band=band,
                tseries_row=row_for_tag(rows_by_tag, item.tag),
                duration_hours=duration_hours,
                normalize=normalize,
                detrend=detrend,
            )
        except ExoFopError as exc:
            error = f"{exc}; {exc.hint}" if exc.hint else str(exc)
            reports.append(LightCurveReport(item.path, item.file_id, None, error, None, item.filename))
            continue
        if summary_warning:
            curve = replace(curve, warnings=(*curve.warnings, summary_warning))
        reports.append(LightCurveReport(item.path, item.file_id, curve, None, None, item.filename))
    reports = _with_ranks(reports)
    if export_dir is None:
        return reports
    items = {item.path: item for item in files}
    return [_export(items[r.source_path], r, Path(export_dir)) if r.lightcurve else r for r in reports]


def _export(item: ManifestFile, report: LightCurveReport, export_dir: Path) -> LightCurveReport:
    assert report.lightcurve is not None
    out = export_dir / f"{item.path.stem}_triceratops.txt"
    provenance = {
        "source": {
            "file_id": item.file_id,
            "filename": item.filename,
            "type": item.type,
            "tag": item.tag,
            "sha256": item.sha256,
            "cached_path": str(item.path),
        },
        "rank": report.rank,
        "keep_for_triceratops_plus": report.keep,
        "keep_rule": KEEP_RULE,
    }
    try:
        report.lightcurve.to_triceratops_file(out, provenance=provenance)
    except ExoFopError as exc:
        return replace(report, error=f"export failed: {exc}")
    return replace(report, exported=out, sidecar=out.with_suffix(".json"))


def _keep_order(reports: Sequence[LightCurveReport]) -> list[int]:
    """Indices of the loaded light curves, best first by ``KEEP_RULE``."""
    loaded = [i for i, r in enumerate(reports) if r.lightcurve is not None]

    def key(i: int) -> tuple[float, int]:
        curve = reports[i].lightcurve
        assert curve is not None
        file_id = reports[i].file_id
        return curve.depth_uncertainty(), file_id if file_id is not None else 1 << 62

    ordered = sorted(loaded, key=key)
    first_per_filter: dict[str, int] = {}
    for i in ordered:
        curve = reports[i].lightcurve
        assert curve is not None
        if math.isfinite(key(i)[0]):
            first_per_filter.setdefault(curve.filter, i)
    leaders = list(first_per_filter.values())
    return leaders + [i for i in ordered if i not in first_per_filter.values()]


def _with_ranks(reports: list[LightCurveReport]) -> list[LightCurveReport]:
    order = _keep_order(reports)
    ranked = list(reports)
    for rank, index in enumerate(order, start=1):
        report = replace(reports[index], rank=rank)
        if rank > MAX_TRICERATOPS_PLUS_FILES and report.lightcurve is not None:
            note = (
                f"TRICERATOPS+ accepts at most {MAX_TRICERATOPS_PLUS_FILES} light curves; this one ranks {rank} "
                f"of {len(order)} by the keep rule ({KEEP_RULE}): leave it out"
            )
            curve = replace(report.lightcurve, warnings=(*report.lightcurve.warnings, note))
            report = replace(report, lightcurve=curve)
        ranked[index] = report
    return ranked
