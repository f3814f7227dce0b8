"""One contrast-curve file → ``ContrastCurve``: parse, clean, envelope, and the band it was taken in.

The band label comes from the file's own metadata, else from the ExoFOP file-name pattern
``TOI<n>I-<initials><date>-<band>_`` (when that token is a band), else from the imaging-summary row with the
same Tag (``imaging_row``, which describes the observation, not the file); a caller's ``band=`` or
``triceratops_filter=`` overrides all three. ``bands.explain_band`` maps the label; a band it cannot map is
refused with ``InvalidInputError`` naming the override.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from ...errors import InvalidInputError
from ..cached_files import read_text_file, row_value
from .bands import TRICERATOPS_FILTERS, check_filt, explain_band, triceratops_filter_for
from .cleaning import check_envelope, clean_points, conservative_envelope, envelope_change_warning
from .curve import ContrastCurve
from .formats import parse_curve_text

# ExoFOP imaging uploads: TOI<n>I-<initials><yyyymmdd>-<band>_<kind>.<ext>
_NAME_BAND_RE = re.compile(r"TOI\d+(?:\.\d+)?[A-Za-z]?-[A-Za-z]*\d{8}-(?P<band>[^_.\s]+)_")
_FILTER_HINT = "choose the filter with --filter FILE_ID=FILT, FILT one of TESS, Vis, J, H, K (library: triceratops_filter=)"


def _band_from_name(name: str) -> str | None:
    """The band token of an ExoFOP imaging upload name, if it is one ``explain_band`` recognises.

    Other tokens there (``speckle``, an instrument) are no band, and must not hide the summary row's.
    """
    match = _NAME_BAND_RE.search(name)
    if match is None or explain_band(match.group("band")).rule == "unknown":
        return None
    return match.group("band")


@dataclass(frozen=True)
class _Band:
    label: str | None
    filt: str
    wavelength_nm: float | None
    reason: str
    warnings: tuple[str, ...] = ()


def _band_candidates(
    metadata: Mapping[str, str], imaging_row: Mapping[str, str | None] | None, name: str
) -> list[tuple[str, str]]:
    """``(where, band)`` found in the file, then its name, then the imaging summary row.

    The name before the row: the observer names each file by its band, while the row describes the
    observation, and one Tag can hold two channels under a single row (research/triceratops.md 3.1: an
    ``-832_sensitivity.dat`` beside a ``562: 562 (54) nm`` row).
    """
    candidates = [
        ("the file", _first(metadata, "filter", "filt", "band", "filtername", "wavelength", "lambda")),
        ("the file name", _band_from_name(name)),
        ("the imaging summary row", row_value(imaging_row, "Filter", "Band")),
    ]
    return [(where, band) for where, band in candidates if band]


def _resolve_band(
    metadata: Mapping[str, str],
    imaging_row: Mapping[str, str | None] | None,
    name: str,
    *,
    band: str | None = None,
    triceratops_filter: str | None = None,
) -> _Band:
    """The band and ``filt``: the caller's override, else the file, the file name, the summary row."""
    found = _band_candidates(metadata, imaging_row, name)
    if triceratops_filter is not None:
        filt = check_filt(triceratops_filter)
        own = explain_band(found[0][1]) if found else None
        label = band or (own.band if own else None)
        nm = explain_band(band).wavelength_nm if band else (own.wavelength_nm if own else None)
        warnings = []
        if own is not None and own.triceratops_filter != filt:
            mapped = own.triceratops_filter or "no filter"
            warnings.append(
                f"filt {filt} given by the caller; {found[0][0]} says band {own.band!r} ({mapped})"
            )
        return _Band(label, filt, nm, f"filt {filt} given by the caller", tuple(warnings))
    if band is not None:
        found = [("the caller", band), *found]
    if not found:
        raise InvalidInputError(
            f"no band/filter for the contrast curve {name}: not in the file, no imaging summary row, and "
            "the file name does not follow the ExoFOP pattern",
            hint=_FILTER_HINT,
        )
    where, label = found[0]
    mapping = explain_band(label)
    if mapping.triceratops_filter is None:
        raise InvalidInputError(
            f"band {label!r} of {name} (from {where}) maps to none of the TRICERATOPS filters "
            f"{', '.join(TRICERATOPS_FILTERS)}: {mapping.reason}",
            hint=_FILTER_HINT,
        )
    warnings = []
    for other_where, other in found[1:]:
        other_filt = triceratops_filter_for(other)
        if other_filt is not None and other_filt != mapping.triceratops_filter:
            warnings.append(
                f"{other_where} says band {other!r} ({other_filt}) but {where} says {label!r} "
                f"({mapping.triceratops_filter}); used {where}"
            )
    reason = (
        mapping.reason if where != "the caller" else f"band {label!r} given by the caller: {mapping.reason}"
    )
    return _Band(label, mapping.triceratops_filter, mapping.wavelength_nm, reason, tuple(warnings))


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


def load_exofop_contrast_curve_dat(
    path: str | os.PathLike[str],
    *,
    imaging_row: Mapping[str, str | None] | None = None,
    band: str | None = None,
    triceratops_filter: str | None = None,
    envelope: str = "conservative",
) -> ContrastCurve:
    """Load an ExoFOP contrast curve (Gemini ``_sensitivity.dat``, PHARO ``_plot.tbl`` or 2-column).

    ``imaging_row`` is the imaging-summary row with the file's Tag; it supplies telescope and instrument
    where the file has none, and the band where neither the file nor its name gives one. ``band`` (any
    label ``explain_band`` maps) or ``triceratops_filter`` (TESS, Vis, J, H, K) override the file's band.
    ``envelope``: ``conservative`` or ``none`` (keep every measured point). ``InvalidInputError`` when the
    file is not a curve or has no usable band.
    """
    mode = check_envelope(envelope)
    source = Path(path)
    text = read_text_file(source, what="a contrast curve")
    raw = parse_curve_text(text, source.name)
    seps, dmags, clean_warnings = clean_points(raw.rows, source.name)
    resolved = _resolve_band(
        raw.metadata, imaging_row, source.name, band=band, triceratops_filter=triceratops_filter
    )
    enveloped, effect = conservative_envelope(seps, dmags)
    if mode == "conservative":
        dmags = enveloped
    else:
        effect = replace(effect, applied=False)
    envelope_warning = envelope_change_warning(effect, len(seps))
    telescope = _first(raw.metadata, "telescope", "tel") or row_value(imaging_row, "Telescope")
    instrument = (
        _first(raw.metadata, "instrument", "instr", "inst")
        or row_value(imaging_row, "Instrument")
        or _gemini_instrument(_first(raw.metadata, "telescope", "tel"), raw.metadata.get("camera"))
    )
    return ContrastCurve(
        separation_arcsec=tuple(seps),
        delta_mag=tuple(dmags),
        band=resolved.label,
        triceratops_filter=resolved.filt,
        instrument=instrument,
        telescope=telescope,
        source_path=source,
        warnings=(
            *raw.warnings,
            *clean_warnings,
            *([envelope_warning] if envelope_warning else []),
            *resolved.warnings,
        ),
        band_reason=resolved.reason,
        wavelength_nm=resolved.wavelength_nm,
        envelope=mode,
        envelope_effect=effect,
    )
