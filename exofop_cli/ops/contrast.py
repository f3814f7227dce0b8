"""Turn ExoFOP high-resolution-imaging contrast curves into TRICERATOPS input (reference §4).

TRICERATOPS (and TRICERATOPS+) read a contrast curve with ``np.loadtxt(path, delimiter=',')``: two
comma-separated columns, separation in arcsec and delta-mag, no header (``#`` comments only), plus a
``filt`` argument that must be exactly one of ``TESS``, ``Vis``, ``J``, ``H``, ``K``. ExoFOP's raw uploads do
not load as they are, so this module reads the formats seen on ExoFOP and writes the strict form:

(a) Gemini 'Alopeke/Zorro speckle ``*_sensitivity.dat``: ``# key: value`` header (Telescope, camera b/r,
    wavelength), a 4-column annulus table, then ``# fit of angular separation vs. relative mag. limit:``
    and the 2-column curve. Only the fit block is used: the annulus table is the coarse measurement the fit
    was made from, and mixing both would double-count the same separations.
(b) PHARO / NIRC2 / ShARCS ``*_plot.tbl``: ``Key [unit] = value`` (or ``PI: name``) metadata lines, an
    uncommented ``arcsec, dmag, dmrms`` header, then comma-separated rows; the first two columns are used.
(c) Plain 2- or 3-column curves (comma or whitespace separated, ``#`` comments allowed), i.e. files already
    in TRICERATOPS form.

Cleaning, in this order, each change reported in ``ContrastCurve.warnings``:

* rows with NaN/inf or negative values are dropped; when more than a quarter of the rows are such, the file
  is rejected instead, because it is then not a contrast curve (a light curve in days from mid-transit has
  half its "separations" negative);
* rows are sorted by separation if they were not;
* duplicate separations are merged keeping the *smaller* delta-mag: a limit is never claimed deeper than
  what was measured;
* delta-mag is made non-decreasing with the conservative envelope, a running minimum taken from the outside
  in. TRICERATOPS interpolates with ``np.interp(dmag, contrasts, separations)``, which silently misreads a
  curve that dips; lowering the inner points never makes the limit deeper than measured.

Band → ``filt``: the band label comes from the file's own metadata, else from the imaging-summary row with
the same Tag (``imaging_row``), else from the ExoFOP file-name pattern ``TOI<n>I-<initials><date>-<band>_``.
Named filters map directly (Brgamma/Kcont/Ks/K → K, Hcont/H → H, Jcont/J → J, V/R/g/r → Vis, I/i/z → TESS);
numeric wavelengths map by range (400-700 nm → Vis, 700-1000 nm → TESS, and the J/H/K windows). When no band
is found, or it falls outside every TRICERATOPS band, ``InvalidInputError`` is raised: guessing a band
would silently change the false-positive probabilities.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
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
    "TRICERATOPS_FILTERS",
    "ContrastCurve",
    "ContrastCurveReport",
    "collect_contrast_curves",
    "find_contrast_curves",
    "load_exofop_contrast_curve_dat",
    "triceratops_filter_for",
]

TRICERATOPS_FILTERS = ("TESS", "Vis", "J", "H", "K")
MIN_POINTS = 3
# Beyond these a "curve" is something else (a BJD time column, a spectrum in Angstrom): seeing-limited
# curves reach a few tens of arcsec, and no imaging reaches 20 mag of contrast.
_MAX_SEPARATION_ARCSEC = 100.0
_MAX_DELTA_MAG = 20.0
_MAX_INVALID_FRACTION = 0.25

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

# Named filters, keyed by ``normalize_name`` (case-insensitive, punctuation dropped: "K'" → "k").
_NAMED_BANDS: dict[str, str] = {
    **dict.fromkeys(("brgamma", "brg", "brgam", "kcont", "ks", "k", "kp", "kprime", "kshort", "h2"), "K"),
    **dict.fromkeys(("hcont", "h", "feii"), "H"),
    **dict.fromkeys(("jcont", "j", "pab", "pabeta"), "J"),
    **dict.fromkeys(
        ("vis", "visible", "b", "v", "r", "rc", "g", "gp", "rp", "sdssg", "sdssr", "sloang", "sloanr"),
        "Vis",
    ),
    **dict.fromkeys(("tess", "i", "ic", "ip", "z", "zp", "zs", "sdssi", "sdssz", "sloani", "sloanz"), "TESS"),
}
# Wavelength windows in nm (J/H/K: the atmospheric windows; gaps between them map to nothing).
_WAVELENGTH_BANDS = (
    (400.0, 700.0, "Vis"),
    (700.0, 1000.0, "TESS"),
    (1100.0, 1400.0, "J"),
    (1450.0, 1850.0, "H"),
    (1950.0, 2450.0, "K"),
)
_WAVELENGTH_RE = re.compile(
    r"^\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>nm|um|µm|μm|micron|microns|a|å|angstrom)?(?![a-z])",
    re.IGNORECASE,
)
# ExoFOP imaging uploads: TOI<n>I-<initials><yyyymmdd>-<band>_<kind>.<ext>
_NAME_BAND_RE = re.compile(r"TOI\d+(?:\.\d+)?[A-Za-z]?-[A-Za-z]*\d{8}-(?P<band>[^_.\s]+)_")
_NAME_HINT_RE = re.compile(r"_sensitivity\.dat$|_plot\.tbl$|contrast|(?<![a-z])cc(?![a-z])", re.IGNORECASE)
_CURVE_EXTENSIONS = frozenset({".dat", ".tbl", ".csv", ".txt"})
_PLOT_EXTENSIONS = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".gif", ".eps", ".ps"})
_PLOT_NAME_WORDS = frozenset({"contrast", "sensitivity", "soar", "hrcam", "speckle"})


@dataclass(frozen=True)
class ContrastCurve:
    """A cleaned contrast curve (strictly increasing separations, non-decreasing delta-mag)."""

    separation_arcsec: tuple[float, ...]
    delta_mag: tuple[float, ...]
    band: str | None
    triceratops_filter: str
    instrument: str | None
    telescope: str | None
    source_path: Path
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        seps, dmags = self.separation_arcsec, self.delta_mag
        if len(seps) != len(dmags) or len(seps) < MIN_POINTS:
            raise InvalidInputError(
                f"a contrast curve needs at least {MIN_POINTS} (separation, delta-mag) pairs of equal length"
            )
        if any(b <= a for a, b in pairwise(seps)):
            raise InvalidInputError("contrast-curve separations must be strictly increasing")
        if dmags[0] < 0 or any(b < a for a, b in pairwise(dmags)):
            raise InvalidInputError("contrast-curve delta-mags must be >= 0 and non-decreasing")
        if self.triceratops_filter not in TRICERATOPS_FILTERS:
            raise InvalidInputError(
                f"triceratops_filter {self.triceratops_filter!r} is not one of "
                f"{', '.join(TRICERATOPS_FILTERS)}"
            )

    def to_triceratops_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write the ``np.loadtxt(path, delimiter=',')`` form (comments on top only) atomically."""
        target = Path(path)
        lines = [
            f"# TRICERATOPS contrast curve written by exofop from {_ascii(self.source_path.name)}",
            f'# band: {_ascii(self.band or "?")} -> filt="{self.triceratops_filter}"; '
            f"instrument: {_ascii(self.instrument or '?')}; telescope: {_ascii(self.telescope or '?')}",
            "# columns: separation_arcsec, delta_mag",
        ]
        lines += [f"{s!r},{d!r}" for s, d in zip(self.separation_arcsec, self.delta_mag, strict=True)]
        write_export(target, ("\n".join(lines) + "\n").encode("ascii"))
        return target

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings)."""
        return {
            "separation_arcsec": list(self.separation_arcsec),
            "delta_mag": list(self.delta_mag),
            "band": self.band,
            "triceratops_filter": self.triceratops_filter,
            "instrument": self.instrument,
            "telescope": self.telescope,
            "source_path": str(self.source_path),
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class ContrastCurveReport:
    """Outcome of loading (and optionally exporting) one contrast curve found in a manifest.

    ``curve`` is None when ``error`` says why, and also, with no error, for a curve uploaded only as a plot
    (``notes`` says so): test ``curve is not None`` before using it.
    """

    source_path: Path
    file_id: int | None
    curve: ContrastCurve | None
    error: str | None
    exported: Path | None
    filename: str | None = None  # the upload's name on ExoFOP (the cached file has an id prefix)
    notes: tuple[str, ...] = ()  # about the file rather than a curve (e.g. only a plot of one was uploaded)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings): a flat summary for tables plus the full ``curve``."""
        curve = self.curve
        return {
            "source_path": str(self.source_path),
            "file_id": self.file_id,
            "filename": self.filename or self.source_path.name,
            "band": curve.band if curve else None,
            "triceratops_filter": curve.triceratops_filter if curve else None,
            "instrument": curve.instrument if curve else None,
            "telescope": curve.telescope if curve else None,
            "points": len(curve.separation_arcsec) if curve else None,
            "warnings": [*(curve.warnings if curve else ()), *self.notes],
            "curve": curve.to_dict() if curve else None,
            "error": self.error,
            "note": "; ".join(self.notes) or None,
            "exported": str(self.exported) if self.exported is not None else None,
        }


# --------------------------------------------------------------------------------------------------------
# Reading and parsing


def _ascii(text: str) -> str:
    """Text safe for a one-line ASCII comment (numpy decodes the file; a newline would start a data row)."""
    text = re.sub(r"[\x00-\x1f\x7f]", " ", text)
    return text.encode("ascii", "replace").decode("ascii")


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


def _is_curve_header(line: str) -> bool:
    """An ``arcsec, dmag, dmrms``-style column header (optionally commented)."""
    tokens = _tokens(line)
    return len(tokens) >= 2 and tokens[0] in _SEPARATION_NAMES and tokens[1] in _DMAG_NAMES


def _is_photometry_header(line: str) -> bool:
    return bool(_PHOTOMETRY_TOKENS.intersection(_tokens(line)))


@dataclass
class _RawCurve:
    rows: list[list[float]] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    fmt: Literal["gemini", "table", "plain"] = "plain"


def _parse_curve_text(text: str, name: str) -> _RawCurve:
    """Split a file into metadata and numeric rows, using only the curve block of each known format."""
    lines = text.splitlines()
    raw = _RawCurve()
    start = next((i for i, ln in enumerate(lines) if _GEMINI_FIT_RE.match(ln)), None)
    if start is not None:
        raw.fmt = "gemini"
    else:
        start = next((i for i, ln in enumerate(lines) if _is_curve_header(ln)), None)
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


# --------------------------------------------------------------------------------------------------------
# Cleaning


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def _clean_points(rows: Sequence[Sequence[float]], name: str) -> tuple[list[float], list[float], list[str]]:
    """Drop invalid rows, sort, merge duplicate separations and apply the conservative envelope."""
    warnings: list[str] = []
    pairs = [(r[0], r[1]) for r in rows]
    valid = [(s, d) for s, d in pairs if math.isfinite(s) and math.isfinite(d) and s >= 0 and d >= 0]
    dropped = len(pairs) - len(valid)
    if len(valid) < MIN_POINTS:
        why = f" ({dropped} row(s) have NaN or negative values)" if dropped else ""
        raise InvalidInputError(
            f"{name} has {len(valid)} usable (separation, delta-mag) point(s){why}; a contrast curve needs "
            f"at least {MIN_POINTS}"
        )
    if dropped > _MAX_INVALID_FRACTION * len(pairs):
        raise InvalidInputError(
            f"{name}: {dropped} of {len(pairs)} rows have NaN or negative values; this does not look like a "
            "contrast curve"
        )
    if dropped:
        warnings.append(f"dropped {dropped} row(s) with NaN or negative values")
    max_sep = max(s for s, _ in valid)
    max_dmag = max(d for _, d in valid)
    if max_sep > _MAX_SEPARATION_ARCSEC or max_dmag > _MAX_DELTA_MAG:
        raise InvalidInputError(
            f"{name}: values up to {max_sep:g} (separation) and {max_dmag:g} (delta-mag) are not a contrast "
            f"curve (expected separations <= {_MAX_SEPARATION_ARCSEC:g} arcsec, delta-mag <= "
            f"{_MAX_DELTA_MAG:g})"
        )
    if any(b[0] < a[0] for a, b in pairwise(valid)):
        valid.sort(key=lambda p: p[0])  # stable: equal separations keep file order
        warnings.append("rows were not in order of separation; sorted them")
    seps, dmags, merge_warning = _merge_duplicates(valid)
    if merge_warning:
        warnings.append(merge_warning)
    envelope_warning = _conservative_envelope(seps, dmags)
    if envelope_warning:
        warnings.append(envelope_warning)
    if len(seps) < MIN_POINTS:
        raise InvalidInputError(
            f"{name} has only {len(seps)} distinct separation(s); a contrast curve needs at least "
            f"{MIN_POINTS}"
        )
    return seps, dmags, warnings


def _merge_duplicates(pairs: Sequence[tuple[float, float]]) -> tuple[list[float], list[float], str | None]:
    """Collapse equal separations to the smallest delta-mag (never deeper than measured)."""
    seps: list[float] = []
    dmags: list[float] = []
    merged = 0
    largest = 0.0
    largest_at = 0.0
    for sep, dmag in pairs:
        if seps and sep == seps[-1]:
            merged += 1
            change = abs(dmags[-1] - dmag)
            if change >= largest:
                largest, largest_at = change, sep
            dmags[-1] = min(dmags[-1], dmag)
        else:
            seps.append(sep)
            dmags.append(dmag)
    if not merged:
        return seps, dmags, None
    return (
        seps,
        dmags,
        f"merged {merged} duplicate separation row(s), keeping the smaller (shallower) delta-mag; largest "
        f"difference {_fmt(largest)} mag at {largest_at:g} arcsec",
    )


def _conservative_envelope(seps: Sequence[float], dmags: list[float]) -> str | None:
    """Make ``dmags`` non-decreasing in place with a running minimum from the outside in."""
    lowered = 0
    largest = 0.0
    largest_at = 0.0
    floor = math.inf
    for i in range(len(dmags) - 1, -1, -1):
        if dmags[i] > floor:
            change = dmags[i] - floor
            lowered += 1
            if change > largest:
                largest, largest_at = change, seps[i]
            dmags[i] = floor
        floor = dmags[i]
    if not lowered:
        return None
    return (
        f"delta-mag was not monotonic: lowered {lowered} of {len(dmags)} point(s) to the conservative "
        f"envelope (running minimum from the outside in, never deeper than measured); largest change "
        f"{_fmt(largest)} mag at {largest_at:g} arcsec"
    )


# --------------------------------------------------------------------------------------------------------
# Band, instrument, telescope


def triceratops_filter_for(band: str) -> str | None:
    """TRICERATOPS ``filt`` for a band label (``562nm``, ``832: 832 (40) nm``, ``Brgamma``), or None."""
    named = _NAMED_BANDS.get(normalize_name(band))
    if named is not None:
        return named
    match = _WAVELENGTH_RE.match(band)
    if match is None:
        return None
    value = float(match.group("value"))
    unit = (match.group("unit") or "").casefold()
    if unit in {"um", "µm", "μm", "micron", "microns"} or (not unit and 0.3 <= value <= 5.0):
        value *= 1000.0
    elif unit in {"a", "å", "angstrom"}:
        value /= 10.0
    for low, high, filt in _WAVELENGTH_BANDS:
        if low <= value <= high:
            return filt
    return None


def _band_from_name(name: str) -> str | None:
    match = _NAME_BAND_RE.search(name)
    return match.group("band") if match else None


def _resolve_band(
    metadata: Mapping[str, str], imaging_row: Mapping[str, str | None] | None, name: str
) -> tuple[str, str, list[str]]:
    """``(raw band, TRICERATOPS filt, warnings)`` from file metadata, then the summary row, then the name."""
    candidates = [
        ("the file", _first(metadata, "filter", "filt", "band", "filtername", "wavelength", "lambda")),
        ("the imaging summary row", row_value(imaging_row, "Filter", "Band")),
        ("the file name", _band_from_name(name)),
    ]
    found = [(where, band) for where, band in candidates if band]
    if not found:
        raise InvalidInputError(
            f"no band/filter for the contrast curve {name}: not in the file, no imaging summary row, and "
            "the file name does not follow the ExoFOP pattern",
            hint="fetch the imaging summary (its row with the same Tag names the Filter) or pass imaging_row",
        )
    where, band = found[0]
    filt = triceratops_filter_for(band)
    if filt is None:
        raise InvalidInputError(
            f"band {band!r} of {name} (from {where}) maps to none of the TRICERATOPS filters "
            f"{', '.join(TRICERATOPS_FILTERS)}"
        )
    warnings = []
    for other_where, other in found[1:]:
        other_filt = triceratops_filter_for(other)
        if other_filt is not None and other_filt != filt:
            warnings.append(
                f"{other_where} says band {other!r} ({other_filt}) but {where} says {band!r} ({filt}); "
                f"used {where}"
            )
    return band, filt, warnings


def _first(metadata: Mapping[str, str], *keys: str) -> str | None:
    for key in keys:
        value = metadata.get(key)
        if value:
            return value
    return None


def _gemini_instrument(telescope: str | None, camera: str | None) -> str | None:
    """'Alopeke (Gemini North) or Zorro (Gemini South) for a speckle file naming only camera b/r."""
    if not telescope or not camera or camera.strip().casefold() not in {"b", "r", "blue", "red"}:
        return None
    tel = telescope.casefold()
    if "gemini" not in tel:
        return None
    if "north" in tel or re.search(r"gemini[\s_-]*n\b", tel):
        return "'Alopeke"
    if "south" in tel or re.search(r"gemini[\s_-]*s\b", tel):
        return "Zorro"
    return None


# --------------------------------------------------------------------------------------------------------
# Public loading


def load_exofop_contrast_curve_dat(
    path: str | os.PathLike[str], *, imaging_row: Mapping[str, str | None] | None = None
) -> ContrastCurve:
    """Load an ExoFOP contrast curve (Gemini ``_sensitivity.dat``, PHARO ``_plot.tbl`` or 2-column).

    ``imaging_row`` is the imaging-summary row with the file's Tag; it supplies band, telescope and
    instrument where the file has none. ``InvalidInputError`` when the file is not a curve or has no band.
    """
    source = Path(path)
    text = read_text_file(source, what="a contrast curve")
    raw = _parse_curve_text(text, source.name)
    seps, dmags, clean_warnings = _clean_points(raw.rows, source.name)
    band, filt, band_warnings = _resolve_band(raw.metadata, imaging_row, source.name)
    telescope = _first(raw.metadata, "telescope", "tel") or row_value(imaging_row, "Telescope")
    instrument = (
        _first(raw.metadata, "instrument", "instr", "inst")
        or row_value(imaging_row, "Instrument")
        or _gemini_instrument(_first(raw.metadata, "telescope", "tel"), raw.metadata.get("camera"))
    )
    return ContrastCurve(
        separation_arcsec=tuple(seps),
        delta_mag=tuple(dmags),
        band=band,
        triceratops_filter=filt,
        instrument=instrument,
        telescope=telescope,
        source_path=source,
        warnings=tuple(raw.warnings + clean_warnings + band_warnings),
    )


def _sniff_curve(head: bytes, *, truncated: bool) -> Literal["marker", "numeric"] | None:
    """How the first bytes of a file look like a contrast curve: a format marker, bare numbers, or not."""
    if binary_kind(head) is not None:
        return None
    lines = head.decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines()
    if truncated and lines:
        lines = lines[:-1]  # the last line may be cut mid-number
    if any(_GEMINI_FIT_RE.match(ln) or _is_curve_header(ln) for ln in lines):
        return "marker"
    try:
        raw = _parse_curve_text("\n".join(lines), "")
        _clean_points(raw.rows, "")
    except InvalidInputError:
        return None
    return "numeric"


# --------------------------------------------------------------------------------------------------------
# Manifest helpers (shared with ``lightcurves``)


def _name_suggests_curve(name: str) -> bool:
    return bool(_NAME_HINT_RE.search(name))


def _is_contrast_candidate(item: ManifestFile) -> bool:
    """Decide from extension, name, type and a content sniff (the ``type`` alone is never trusted)."""
    suffix = Path(item.filename).suffix.casefold() or item.path.suffix.casefold()
    if suffix not in _CURVE_EXTENSIONS:
        return False
    try:
        head, truncated = read_head(item.path)
    except OSError:
        return False
    sniffed = _sniff_curve(head, truncated=truncated)
    if sniffed == "marker":
        return True
    # A bare numeric 2-3 column file is accepted only with corroboration: a spectrum in microns or a
    # relative light curve can look similar.
    return sniffed == "numeric" and (
        _name_suggests_curve(item.filename) or (item.type or "").casefold() == "image"
    )


def find_contrast_curves(manifest_path: str | os.PathLike[str]) -> list[Path]:
    """Absolute paths of the machine-readable contrast curves among a manifest's files on disk."""
    _, _, files = load_manifest_files(manifest_path)
    return [item.path for item in files if _is_contrast_candidate(item)]


def collect_contrast_curves(
    manifest_path: str | os.PathLike[str], *, export_dir: str | os.PathLike[str] | None = None
) -> list[ContrastCurveReport]:
    """Load every contrast curve of a manifest (joined to its imaging row by Tag); optionally export them.

    Each curve file gives one report, in file_id order; failures are reports with ``error``, never exceptions.
    A PDF or image of a curve whose observation (Tag) has no loadable curve is a report with a note (no curve,
    no error).
    Exports go to ``<export_dir>/<stem>_triceratops.csv``.
    """
    root, manifest, files = load_manifest_files(manifest_path)
    rows_by_tag, summary_warning = summary_rows_by_tag(root, manifest, "imaging")
    curves = [_is_contrast_candidate(item) for item in files]
    curve_tags = {item.tag for item, is_curve in zip(files, curves, strict=True) if is_curve}
    reports = []
    for item, is_curve in zip(files, curves, strict=True):
        if is_curve:
            reports.append(_collect_one(item, rows_by_tag, summary_warning, export_dir))
        elif _is_plot_of_a_curve(item) and (item.tag is None or item.tag not in curve_tags):
            # Reference §4: SOAR often uploads only a plot; say so rather than list nothing. A note, not an
            # error: nothing failed, there is just no curve to load for that observation.
            suffix = Path(item.filename).suffix.lstrip(".").upper()
            note = f"only a plot ({suffix}) of a contrast curve: no numbers to load for this observation"
            reports.append(
                ContrastCurveReport(item.path, item.file_id, None, None, None, item.filename, notes=(note,))
            )
    return reports


def _is_plot_of_a_curve(item: ManifestFile) -> bool:
    """An Image-type PDF or picture whose name says contrast curve (or SOAR/HRCam speckle).

    SOAR also uploads light curves and spectra as plots, and "cc" in a name may be an observer's initials:
    so the file must be of Type Image (or untyped), and the words must stand alone in the name.
    """
    suffix = Path(item.filename).suffix.casefold()
    if suffix not in _PLOT_EXTENSIONS or (item.type or "image").casefold() != "image":
        return False
    return any(_has_word(chunk) for chunk in re.split(r"[^A-Za-z]+", Path(item.filename).stem))


def _has_word(chunk: str) -> bool:
    """A plot-name word standing alone in a run of letters: between its ends or case changes.

    SOAR_I, SOARspeckle, DSSISpeckle and ContrastCurve qualify; soarsky does not.
    """
    low = chunk.casefold()
    for word in _PLOT_NAME_WORDS:
        start = low.find(word)
        while start >= 0:
            end = start + len(word)
            left = (
                start == 0
                or chunk[start - 1].islower() != chunk[start].islower()
                or (chunk[start].isupper() and end > start + 1 and chunk[start + 1].islower())  # DSSISpeckle
            )
            right = end == len(chunk) or chunk[end - 1].islower() != chunk[end].islower()
            if left and right:
                return True
            start = low.find(word, start + 1)
    return False


def _collect_one(
    item: ManifestFile,
    rows_by_tag: Mapping[int, Sequence[Mapping[str, str | None]]],
    summary_warning: str | None,
    export_dir: str | os.PathLike[str] | None,
) -> ContrastCurveReport:
    try:
        curve = load_exofop_contrast_curve_dat(item.path, imaging_row=row_for_tag(rows_by_tag, item.tag))
    except ExoFopError as exc:
        return ContrastCurveReport(item.path, item.file_id, None, str(exc), None, item.filename)
    if summary_warning:
        curve = replace(curve, warnings=(*curve.warnings, summary_warning))
    if export_dir is None:
        return ContrastCurveReport(item.path, item.file_id, curve, None, None, item.filename)
    out = Path(export_dir) / f"{item.path.stem}_triceratops.csv"
    try:
        curve.to_triceratops_csv(out)
    except ExoFopError as exc:
        error = f"export failed: {exc}"
        return ContrastCurveReport(item.path, item.file_id, curve, error, None, item.filename)
    return ContrastCurveReport(item.path, item.file_id, curve, None, out, item.filename)
