"""Which files of a manifest are contrast curves, plots of one, or named like one but not one.

Decided from extension, name, type and a content sniff of the first bytes (the ``type`` alone is never
trusted): a file named like a curve that is not one is a skip with its reason, never passed over.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from ...errors import InvalidInputError
from ..cached_files import ManifestFile, binary_kind, read_head
from .cleaning import clean_points
from .formats import is_format_marker, parse_curve_text

_NAME_HINT_RE = re.compile(r"_sensitivity\.dat$|_plot\.tbl$|contrast|(?<![a-z])cc(?![a-z])", re.IGNORECASE)

# Names that say "contrast curve" outright ("cc" may be an observer's initials): such a file that is not a
# curve is reported as skipped rather than passed over.
_STRONG_HINT_RE = re.compile(r"_sensitivity\.dat$|_plot\.tbl$|contrast", re.IGNORECASE)
_CURVE_EXTENSIONS = frozenset({".dat", ".tbl", ".csv", ".txt"})
_PLOT_EXTENSIONS = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".gif", ".eps", ".ps"})
_PLOT_NAME_WORDS = frozenset({"contrast", "sensitivity", "soar", "hrcam", "speckle"})


def sniff_curve(head: bytes, *, truncated: bool) -> Literal["marker", "numeric"] | str:
    """How the first bytes look: a format marker, bare numbers, or why they are not a curve."""
    kind = binary_kind(head)
    if kind is not None:
        return f"it is {kind}, not a text table"
    lines = head.decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines()
    if truncated and lines:
        lines = lines[:-1]  # the last line may be cut mid-number
    if any(is_format_marker(ln) for ln in lines):
        return "marker"
    try:
        raw = parse_curve_text("\n".join(lines), "it")
        clean_points(raw.rows, "it")
    except InvalidInputError as exc:
        return str(exc)
    return "numeric"


def _name_suggests_curve(name: str) -> bool:
    return bool(_NAME_HINT_RE.search(name))


CURVE = "curve"


def classify(item: ManifestFile) -> str | None:
    """``CURVE``, the reason a file named like a curve is not one (a skip), or None (not a candidate).

    Decided from extension, name, type and a content sniff (the ``type`` alone is never trusted). A bare
    numeric 2-3 column file is taken only with corroboration (the name, or Type Image): a spectrum in
    microns or a relative light curve can look similar.
    """
    suffix = Path(item.filename).suffix.casefold() or item.path.suffix.casefold()
    if suffix not in _CURVE_EXTENSIONS:
        return None
    named = _name_suggests_curve(item.filename)
    strongly = _STRONG_HINT_RE.search(item.filename) is not None
    try:
        head, truncated = read_head(item.path)
    except OSError as exc:
        return f"cannot read it: {exc.strerror or exc}" if strongly else None
    sniffed = sniff_curve(head, truncated=truncated)
    if sniffed == "marker" or (sniffed == "numeric" and (named or (item.type or "").casefold() == "image")):
        return CURVE
    if strongly:
        return "not a contrast curve: " + ("no format marker" if sniffed == "numeric" else sniffed)
    return None


def is_plot_of_a_curve(item: ManifestFile) -> bool:
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
