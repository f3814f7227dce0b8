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
)

__all__ = [
    "MAX_TRICERATOPS_PLUS_FILES",
    "TRICERATOPS_PLUS_FILTERS",
    "ExternalLightCurve",
    "LightCurveReport",
    "collect_lightcurves",
    "find_lightcurves",
    "load_sg1_lightcurve",
    "triceratops_plus_filter_for",
]

TRICERATOPS_PLUS_FILTERS = ("g", "r", "i", "z", "J", "H", "K")
MAX_TRICERATOPS_PLUS_FILES = 7
MIN_POINTS = 5
_TIME_DECIMALS = 8  # days: 1e-8 d is under a millisecond
_JD_FLOOR = 2400000.0  # any Julian date of a modern observation is above this
_BTJD_OFFSET = 2457000.0
_BTJD_EPOCH_LIMIT = 10000.0
_OOT_EDGE_IN_DURATIONS = 0.6
_MIN_OOT_POINTS = 10
_MIN_OOT_FRACTION = 0.1
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
    # "out_of_transit_median", "median_of_all" (see the module docstring) or "as_given".
    normalization: str = "as_given"

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

    def to_triceratops_file(self, path: str | os.PathLike[str]) -> Path:
        """Write ``days flux error`` rows (whitespace, no header) atomically; return the path."""
        target = Path(path)
        lines = [
            f"{t:.{_TIME_DECIMALS}f} {f:.10g} {e:.10g}"
            for t, f, e in zip(self.time_from_midtransit_days, self.flux, self.flux_err, strict=True)
        ]
        write_export(target, ("\n".join(lines) + "\n").encode("ascii"))
        return target

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings)."""
        return {
            "time_from_midtransit_days": list(self.time_from_midtransit_days),
            "flux": list(self.flux),
            "flux_err": list(self.flux_err),
            "filter": self.filter,
            "band": self.band,
            "source_path": str(self.source_path),
            "warnings": list(self.warnings),
            "normalization": self.normalization,
        }


@dataclass(frozen=True)
class LightCurveReport:
    """Outcome of loading (and optionally exporting) one light curve found in a manifest."""

    source_path: Path
    file_id: int | None
    lightcurve: ExternalLightCurve | None
    error: str | None
    exported: Path | None
    filename: str | None = None  # the upload's name on ExoFOP (the cached file has an id prefix)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings): a flat summary for tables plus the full ``lightcurve``."""
        lc = self.lightcurve
        return {
            "source_path": str(self.source_path),
            "file_id": self.file_id,
            "filename": self.filename or self.source_path.name,
            "filter": lc.filter if lc else None,
            "band": lc.band if lc else None,
            "points": len(lc.flux) if lc else None,
            "normalization": lc.normalization if lc else None,
            "warnings": list(lc.warnings) if lc else [],
            "lightcurve": lc.to_dict() if lc else None,
            "error": self.error,
            "exported": str(self.exported) if self.exported is not None else None,
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


def _sort_unique(
    times: Sequence[float], flux: Sequence[float], err: Sequence[float]
) -> tuple[list[tuple[float, float, float]], list[str]]:
    """Sort by time from mid-transit; drop times equal to the written precision (the first in file kept)."""
    rows = list(zip(times, flux, err, strict=True))
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


def _normalise(
    rows: Sequence[tuple[float, float, float]], duration_days: float | None, name: str
) -> tuple[list[tuple[float, float, float]], str, list[str]]:
    """Divide flux and error by the out-of-transit median flux (or the median of all points)."""
    warnings = []
    how = "median_of_all"
    scale = _median(f for _, f, _ in rows)
    if duration_days is not None:
        edge = _OOT_EDGE_IN_DURATIONS * duration_days
        if not any(abs(t) <= duration_days / 2 for t, _, _ in rows):
            # Nothing to fit: a wrong --epoch or --period puts the whole light curve out of transit.
            warnings.append(
                f"no point lies inside the transit (within {duration_days * 12:.2f} h of mid-transit); "
                "check --epoch and --period"
            )
        outside = [f for t, f, _ in rows if abs(t) > edge]
        if len(outside) >= max(_MIN_OOT_POINTS, _MIN_OOT_FRACTION * len(rows)):
            scale, how = _median(outside), "out_of_transit_median"
        else:
            warnings.append(
                f"only {len(outside)} point(s) are more than {edge:.4f} d from mid-transit; normalised by "
                "the median of all points instead of the out-of-transit median"
            )
    if not math.isfinite(scale) or scale <= 0:
        raise InvalidInputError(f"{name}: the median flux is {scale:g}; cannot normalise")
    return [(t, f / scale, e / scale) for t, f, e in rows], how, warnings


# --------------------------------------------------------------------------------------------------------
# Public loading


def load_sg1_lightcurve(
    path: str | os.PathLike[str],
    *,
    period: float,
    epoch: float,
    band: str | None = None,
    tseries_row: Mapping[str, str | None] | None = None,
    duration_hours: float | None = None,
) -> ExternalLightCurve:
    """Load an AstroImageJ measurements table (or simpler time/flux/error table) for TRICERATOPS+.

    ``period`` in days; ``epoch`` in BJD_TDB (or BTJD if below 10000); ``duration_hours`` (optional)
    enables out-of-transit normalisation. Raises ``InvalidInputError`` for bad values, a band without a
    TRICERATOPS+ filter, or a file that is not a light curve.
    """
    _check_period(period)
    # Validated even when the file's times are already relative: a bad epoch is the caller's error.
    epoch_bjd, epoch_warning = _epoch_bjd(epoch)
    duration_days = _check_duration(duration_hours)
    source = Path(path)
    phot = _parse_photometry(read_text_file(source, what="a light curve"), source.name)
    filt, raw_band = _resolve_filter(band, source.name, tseries_row)
    times, time_warnings = _times_from_midtransit(
        phot, period=period, epoch_bjd=epoch_bjd, epoch_warning=epoch_warning, name=source.name
    )
    rows, order_warnings = _sort_unique(times, phot.flux, phot.err)
    if len(rows) < MIN_POINTS:
        raise InvalidInputError(f"{source.name} has only {len(rows)} distinct time(s)")
    rows, how, norm_warnings = _normalise(rows, duration_days, source.name)
    return ExternalLightCurve(
        time_from_midtransit_days=tuple(r[0] for r in rows),
        flux=tuple(r[1] for r in rows),
        flux_err=tuple(r[2] for r in rows),
        filter=filt,
        band=raw_band,
        source_path=source,
        warnings=tuple(phot.warnings + time_warnings + order_warnings + norm_warnings),
        normalization=how,
    )


def _header_tokens(head: bytes) -> set[str]:
    """Normalised names in the first non-comment line of a text head."""
    for line in head.decode("utf-8", errors="replace").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return {normalize_name(t) for t in re.split(r"[\t,]|\s+", stripped) if t.strip()}
    return set()


def _is_lightcurve_candidate(item: ManifestFile) -> bool:
    """Measurements tables by name or header; other photometry tables when type/name say light curve."""
    suffix = Path(item.filename).suffix.casefold() or item.path.suffix.casefold()
    if suffix not in _LC_EXTENSIONS:
        return False
    try:
        head, truncated = read_head(item.path)
    except OSError:
        return False
    if binary_kind(head) is not None:
        return False  # e.g. a real Excel .xls; AstroImageJ's ".xls" is plain tab-separated text
    name = item.filename.casefold()
    if "measurements" in name or {"relfluxt1", "bjdtdb"} & _header_tokens(head):
        return True
    if (item.type or "").casefold() != "light_curve" and not _LC_NAME_RE.search(name):
        return False
    text = head.decode("utf-8", errors="replace")
    if truncated:
        text = text[: text.rfind("\n") + 1]
    try:
        _parse_photometry(text, item.filename)
    except InvalidInputError:
        return False
    return True


def find_lightcurves(manifest_path: str | os.PathLike[str]) -> list[Path]:
    """Absolute paths of the SG1 photometry tables (AstroImageJ measurements...) among a manifest's files."""
    _, _, files = load_manifest_files(manifest_path)
    return [item.path for item in files if _is_lightcurve_candidate(item)]


def collect_lightcurves(
    manifest_path: str | os.PathLike[str],
    *,
    period: float,
    epoch: float,
    band: str | None = None,
    export_dir: str | os.PathLike[str] | None = None,
    duration_hours: float | None = None,
) -> list[LightCurveReport]:
    """Load every light curve of a manifest (joined to its time-series row by Tag); optionally export.

    A bad ``period``/``epoch``/``duration_hours`` or unmappable ``band`` raises ``InvalidInputError`` at
    once (it would fail every file); per-file failures become reports with ``error``. Reports are in
    file_id order; exports go to ``<export_dir>/<stem>_triceratops.txt``. TRICERATOPS+ takes at most 7
    light curves: every loadable curve after the 7th gets a warning saying so (all are still exported).
    """
    _check_period(period)
    _epoch_bjd(epoch)
    _check_duration(duration_hours)
    if band is not None and band.strip():
        _resolve_filter(band, "", None)  # raises for a band without a TRICERATOPS+ filter
    root, manifest, files = load_manifest_files(manifest_path)
    rows_by_tag, summary_warning = summary_rows_by_tag(root, manifest, "tseries")
    reports = []
    for item in files:
        if not _is_lightcurve_candidate(item):
            continue
        try:
            curve = load_sg1_lightcurve(
                item.path,
                period=period,
                epoch=epoch,
                band=band,
                tseries_row=row_for_tag(rows_by_tag, item.tag),
                duration_hours=duration_hours,
            )
        except ExoFopError as exc:
            reports.append(LightCurveReport(item.path, item.file_id, None, str(exc), None, item.filename))
            continue
        if summary_warning:
            curve = replace(curve, warnings=(*curve.warnings, summary_warning))
        reports.append(_export(item, curve, export_dir))
    return _flag_beyond_limit(reports)


def _export(
    item: ManifestFile, curve: ExternalLightCurve, export_dir: str | os.PathLike[str] | None
) -> LightCurveReport:
    if export_dir is None:
        return LightCurveReport(item.path, item.file_id, curve, None, None, item.filename)
    out = Path(export_dir) / f"{item.path.stem}_triceratops.txt"
    try:
        curve.to_triceratops_file(out)
    except ExoFopError as exc:
        error = f"export failed: {exc}"
        return LightCurveReport(item.path, item.file_id, curve, error, None, item.filename)
    return LightCurveReport(item.path, item.file_id, curve, None, out, item.filename)


def _flag_beyond_limit(reports: list[LightCurveReport]) -> list[LightCurveReport]:
    loadable = [i for i, r in enumerate(reports) if r.lightcurve is not None]
    for rank, index in enumerate(loadable, start=1):
        report = reports[index]
        if rank <= MAX_TRICERATOPS_PLUS_FILES or report.lightcurve is None:
            continue
        note = (
            f"TRICERATOPS+ accepts at most {MAX_TRICERATOPS_PLUS_FILES} light curves; this is loadable "
            f"curve {rank} of {len(loadable)} (file_id order): choose which to pass"
        )
        curve = replace(report.lightcurve, warnings=(*report.lightcurve.warnings, note))
        reports[index] = replace(report, lightcurve=curve)
    return reports
