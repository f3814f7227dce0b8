"""The contrast-curve file formats seen on ExoFOP, split into metadata and numeric rows.

(a) Gemini 'Alopeke/Zorro speckle ``*_sensitivity.dat``: ``# key: value`` header (Telescope, camera b/r,
    wavelength), a 4-column annulus table, then ``# fit of angular separation vs. relative mag. limit:``
    and the 2-column curve. Only the fit block is used: the annulus table is the coarse measurement the fit
    was made from, and mixing both would double-count the same separations.
(b) PHARO / NIRC2 / ShARCS ``*_plot.tbl``: ``Key [unit] = value`` (or ``PI: name``) metadata lines, an
    uncommented ``arcsec, dmag, dmrms`` header, then comma-separated rows; the first two columns are used.
(c) Plain 2- or 3-column curves (comma or whitespace separated, ``#`` comments allowed), i.e. files already
    in TRICERATOPS form.

A photometry table (a ``BJD_TDB``/``rel_flux`` header) is refused here: it is never a contrast curve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from ...errors import InvalidInputError
from ...remote.tables import normalize_name

_GEMINI_FIT_RE = re.compile(r"^\s*#?\s*fit\s+of\s+angular\s+separation", re.IGNORECASE)
_META_RE = re.compile(
    r"^\s*#?\s*(?P<key>[A-Za-z][A-Za-z0-9 _.&/()'-]*?)\s*(?:\[[^\]]*\])?\s*[:=]\s*(?P<value>.*?)\s*$"
)
_SPLIT_RE = re.compile(r"[\s,;]+")
_SEPARATION_NAMES = frozenset({"arcsec", "sep", "separation", "separationarcsec", "separcsec", "rho", "r"})
_DMAG_NAMES = frozenset({"dmag", "deltamag", "contrast", "dm", "deltam", "magcontrast", "contrastmag"})

# Tokens of a photometry/light-curve header: such a file is never a contrast curve.
_PHOTOMETRY_TOKENS = frozenset(
    {"bjdtdb", "bjd", "btjd", "jdutc", "hjdutc", "relfluxt1", "relflux", "flux", "fluxerr", "time"}
)


def _numbers(line: str) -> list[float] | None:
    """All fields of a data row as floats (``nan`` allowed), or None when any field is not a number."""
    tokens = [t for t in _SPLIT_RE.split(line.strip()) if t]
    # float() accepts "1_000"; no data file means that, so such a token is text.
    if not tokens or any("_" in t for t in tokens):
        return None
    try:
        return [float(t) for t in tokens]
    except ValueError:
        return None


def _metadata(line: str) -> tuple[str, str] | None:
    """``(normalized key, value)`` of a ``Key [unit] = value`` / ``# key: value`` line with a value."""
    match = _META_RE.match(line)
    if match is None or not match.group("value"):
        return None
    return normalize_name(match.group("key")), match.group("value")


def _tokens(line: str) -> list[str]:
    return [normalize_name(t) for t in _SPLIT_RE.split(line.strip().lstrip("#")) if t]


def is_curve_header(line: str) -> bool:
    """An ``arcsec, dmag, dmrms``-style column header (optionally commented)."""
    tokens = _tokens(line)
    return len(tokens) >= 2 and tokens[0] in _SEPARATION_NAMES and tokens[1] in _DMAG_NAMES


def is_format_marker(line: str) -> bool:
    """A line that says "contrast curve" in a known format: the Gemini fit line or a column header."""
    return bool(_GEMINI_FIT_RE.match(line)) or is_curve_header(line)


def _is_photometry_header(line: str) -> bool:
    return bool(_PHOTOMETRY_TOKENS.intersection(_tokens(line)))


@dataclass
class RawCurve:
    """A file split into numeric rows and ``normalize_name``-keyed metadata, before any cleaning."""

    rows: list[list[float]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    fmt: Literal["gemini", "table", "plain"] = "plain"


def parse_curve_text(text: str, name: str) -> RawCurve:
    """Split a file into metadata and numeric rows, using only the curve block of each known format."""
    lines = text.splitlines()
    raw = RawCurve()
    start = next((i for i, ln in enumerate(lines) if _GEMINI_FIT_RE.match(ln)), None)
    if start is not None:
        raw.fmt = "gemini"
    else:
        start = next((i for i, ln in enumerate(lines) if is_curve_header(ln)), None)
        if start is not None:
            raw.fmt = "table"
    if start is not None:
        for line in lines[:start]:
            meta = _metadata(line)
            if meta is not None:
                raw.metadata.setdefault(*meta)
        lines = lines[start + 1 :]
    skipped = 0
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        numbers = None if stripped.startswith("#") else _numbers(stripped)
        if numbers is not None and len(numbers) >= 2:
            raw.rows.append(numbers)
            continue
        meta = _metadata(stripped)
        if meta is not None:
            raw.metadata.setdefault(*meta)
        elif stripped.startswith("#"):
            continue
        elif _is_photometry_header(stripped):
            raise InvalidInputError(
                f"{name} looks like a photometry table or light curve, not a contrast curve"
            )
        else:
            skipped += 1
    if skipped:
        raw.warnings.append(f"skipped {skipped} line(s) that are neither data nor metadata")
    widest = max((len(r) for r in raw.rows), default=0)
    if raw.fmt == "plain" and widest > 3:
        raise InvalidInputError(
            f"{name} has rows of {widest} numbers; a contrast curve has 2 columns (separation, delta-mag) "
            "or 3 (plus its uncertainty)"
        )
    return raw
