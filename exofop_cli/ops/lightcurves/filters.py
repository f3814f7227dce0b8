"""Which TRICERATOPS+ ``filt_lcs`` value a light curve gets: ``g r i z J H K`` or a refusal.

The band comes from the ``band`` argument, else the file name
(``TIC<tic>-<pp>_<date>_<observatory>_<band>_<kind>``: the token before ``measurements``/``lightcurve``...),
else the time-series summary row's ``Filter``. Sloan and Pan-STARRS spellings map to ``g r i z`` (``ip``,
``i'``, ``zs``, ``z_s``...; ``I`` → i and ``Z`` → z as observers use them); ``J H K Ks`` to ``J H K``.
Anything else (Rc, V, B, TESS, clear...) is refused with ``InvalidInputError``: TRICERATOPS+ has no such
filter (its limb-darkening lookup raises ``KeyError``) and substituting one would bias its fit.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ...errors import InvalidInputError
from ..cached_files import row_value

TRICERATOPS_PLUS_FILTERS = ("g", "r", "i", "z", "J", "H", "K")
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


def resolve_filter(
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
