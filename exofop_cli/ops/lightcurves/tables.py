"""Time, flux and error columns of a photometry table, as ExoFOP SG1 uploads write them.

Inputs understood, most common first:

* AstroImageJ ``*_measurements.tbl`` (also saved as ``.xls``/``.txt``/``.csv``): tab-separated, the first
  header cell blank, ~250 columns. Time is ``BJD_TDB``, else ``BJD_TDB_MOBS``, else another BJD, HJD or
  JD column such as ``JD_UTC`` (with a warning: JD_UTC lacks the barycentric correction, up to ±8.3 min);
  a column without values (AstroImageJ writes all-NaN ``HJD_UTC``/``JD_SOBS``) is passed over.
  Flux is ``rel_flux_T1`` and its error ``rel_flux_err_T1`` (another ``rel_flux_T<n>`` with a warning).
* Any 3+ column whitespace/comma/tab table whose header names the columns (``BJD_TDB, rel_flux,
  rel_flux_err``, ``time flux flux_err``...). Column offsets written in the name (``BJD-2457000``,
  ``J.D.-2400000``, ``BTJD``) are added back.
* Header-less numeric files: the first three columns are time, flux, error (what they mean is decided in
  ``timing``).

Rows with a non-numeric/non-finite value or a non-positive error are dropped, counted in a warning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from ...errors import InvalidInputError
from ...remote.tables import normalize_name

MIN_POINTS = 5
BTJD_OFFSET = 2457000.0
_OFFSET_RE = re.compile(r"[-\u2212]\s*(\d{4,7}(?:\.\d+)?)\s*\)?\s*$")
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
class TimeColumn:
    """The column read as time, the offset its name adds back, and what kind of time it holds."""

    index: int
    name: str
    offset: float
    kind: TimeKind
    warning: str | None = None


@dataclass
class Photometry:
    """The usable rows of a photometry table, column by column, and what was dropped on the way."""

    time: list[float] = field(default_factory=list)
    flux: list[float] = field(default_factory=list)
    err: list[float] = field(default_factory=list)
    airmass: list[float] = field(default_factory=list)  # NaN where missing; empty without an AIRMASS column
    time_column: TimeColumn = field(default_factory=lambda: TimeColumn(0, "column 1", 0.0, "generic"))
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
    (lambda n: n == "btjd", "bjd_tdb", BTJD_OFFSET, ""),
    (lambda n: n.startswith("bjdtdb") and n[6:].isdigit(), "bjd_tdb", 0.0, ""),
    (lambda n: n.startswith("bjd"), "absolute", 0.0, "; taken as BJD_TDB"),
    (lambda n: n.startswith("hjd"), "absolute", 0.0, "; HJD_UTC differs from BJD_TDB by about a minute"),
    (lambda n: n == "jdutc", "absolute", 0.0, _JD_WARNING),
    (lambda n: n.startswith(("jd", "mjd")), "absolute", 0.0, _JD_WARNING),
    (lambda n: n in _GENERIC_TIME_NAMES, "generic", 0.0, ""),
)


def _time_columns(header: Sequence[str]) -> list[TimeColumn]:
    """Every usable-looking time column, best first (see ``_TIME_RULES``)."""
    norm = [normalize_name(h) for h in header]
    found: list[TimeColumn] = []
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
            found.append(TimeColumn(index, name, offset, kind, warning))
    return found


def _pick_time_column(candidates: Sequence[TimeColumn], rows: Sequence[list[str]]) -> TimeColumn:
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


def parse_photometry(text: str, name: str) -> Photometry:
    """Time, flux and error columns of a photometry table (header or header-less), invalid rows dropped."""
    lines = text.splitlines()
    header, start, split = _locate_header(lines, name)
    rows = [split(ln) for ln in lines[start:] if ln.strip() and not ln.lstrip().startswith("#")]
    phot = Photometry()
    airmass_index: int | None = None
    if header is None:
        if len(rows[0]) < 3:
            raise InvalidInputError(f"{name} has fewer than 3 columns (time, flux, flux error)")
        t_index, f_index, e_index = 0, 1, 2
    else:
        candidates = _time_columns(header)
        columns = _flux_columns(header)
        if not candidates or columns is None:
            missing = [] if candidates else ["time column"]
            missing += [] if columns is not None else ["flux and flux-error columns"]
            raise InvalidInputError(
                f"{name} is not a light curve: its header has no {' and no '.join(missing)} (expected e.g. "
                "BJD_TDB, rel_flux_T1, rel_flux_err_T1)"
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
