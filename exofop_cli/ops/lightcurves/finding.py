"""Which files of a manifest are SG1 light curves, or look like one but cannot be read as one.

Measurements tables by name or header; other text tables when their Type or name says light curve and they
parse. The other files of an SG1 upload (notes, NEB table, apertures, plot settings) are not candidates.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...errors import InvalidInputError
from ...remote.tables import normalize_name
from ..cached_files import ManifestFile, binary_kind, read_head
from .tables import parse_photometry

_LC_EXTENSIONS = frozenset({".tbl", ".txt", ".csv", ".dat", ".xls"})
_LC_NAME_RE = re.compile(r"light_?curve|(?<![a-z])lc(?![a-z])", re.IGNORECASE)

# The other files of an SG1 upload (research/triceratops.md §4): never light curves, so never "skipped".
_NOT_LC_RE = re.compile(
    r"(?<![a-z])(?:notes?|neb(?:check)?|apertures?|plotcfg|readme|wcs|fieldchart|finder|seeing)(?![a-z])",
    re.IGNORECASE,
)


def _header_tokens(head: bytes) -> set[str]:
    """Normalised names in the first non-comment line of a text head."""
    for line in head.decode("utf-8", errors="replace").splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return {normalize_name(t) for t in re.split(r"[\t,]|\s+", stripped) if t.strip()}
    return set()


LIGHT_CURVE = "light curve"


def classify(item: ManifestFile) -> str | None:
    """``LIGHT_CURVE``, the reason a file that looks like a light curve cannot be one (a skip), or None.

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
        return LIGHT_CURVE
    if not (named or typed):
        return None
    text = head.decode("utf-8", errors="replace")
    if truncated:
        text = text[: text.rfind("\n") + 1]
    try:
        parse_photometry(text, item.filename)
    except InvalidInputError as exc:
        return f"not a light curve: {exc}"
    return LIGHT_CURVE
