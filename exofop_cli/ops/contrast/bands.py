"""The band table: which TRICERATOPS ``filt`` a contrast curve's band label gets, and why.

TRICERATOPS models ``TESS`` (= ``Vis``, numerically identical), ``J``, ``H`` and ``K`` (2MASS Ks) and compares
``filt`` by exact, case-sensitive name. ``explain_band`` maps a label by name (``BAND_NAMES``: Brgamma, Kcont,
CH4s, H2, i', Sloan z', Cousins I...), by a long-pass name (``LP600``), else by its central wavelength
(``WAVELENGTH_RULES``: ``562: 562 (54) nm``, ``880 nm``, ``1.6``). Each mapping carries a one-line reason
(``exofop contrast --bands`` prints them). The one principle: a centre inside the TESS band (600-1000 nm) is
``TESS``; bluer is ``Vis`` (which TRICERATOPS evaluates with TESS-band fluxes); the J, H and K windows are
``J``/``H``/``K``. A band in none of them maps to None, and the loaders refuse it naming the override:
guessing would silently change the false-positive probabilities.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from ...errors import InvalidInputError
from ...remote.tables import normalize_name

TRICERATOPS_FILTERS = ("TESS", "Vis", "J", "H", "K")
TESS_BAND_NM = (600.0, 1000.0)  # Ricker et al. 2015
TESS_CENTRE_NM = 786.5

# Where a filt stands when only the filt is known (a caller's override of a band-less file): for ranking.
NOMINAL_NM = {"Vis": 550.0, "TESS": TESS_CENTRE_NM, "J": 1250.0, "H": 1650.0, "K": 2200.0}
_VIS = "Vis is evaluated with TESS-band fluxes: optimistic for companions redder than the star"

# (ExoFOP / observer spellings, filt or None = refused, central wavelength in nm, reason). Looked up by
# ``_name_key``: punctuation and case dropped ("Br-gamma" = "BRGAMMA"), a prime read as p ("K'" = "Kp"),
# but the case of a one-letter name kept ("I" is Cousins I, "i" Sloan i'; "k" falls back to "K").
# Central wavelengths: Bessell 1990, SDSS, and the Keck NIRC2 filter page (the J/H/K narrow bands).
BAND_NAMES: tuple[tuple[tuple[str, ...], str | None, float | None, str], ...] = (
    (("U", "Johnson U"), None, 365.0, "U (~365 nm) is bluer than any band TRICERATOPS models"),
    (("B", "Johnson B", "Bessell B"), "Vis", 445.0, f"B (~445 nm) is bluer than the TESS band; {_VIS}"),
    (
        ("g", "g'", "gp", "SDSS g", "Sloan g", "PS1 g"),
        "Vis",
        477.0,
        f"g' (~477 nm) is bluer than TESS; {_VIS}",
    ),
    (("V", "Johnson V", "Bessell V"), "Vis", 551.0, f"V (~551 nm) is bluer than the TESS band; {_VIS}"),
    (("Vis", "visible", "optical"), "Vis", 550.0, f"TRICERATOPS's own name for a visible curve; {_VIS}"),
    (("TESS", "T"), "TESS", TESS_CENTRE_NM, "the TESS band itself (600-1000 nm)"),
    (("r", "r'", "rp", "SDSS r", "Sloan r", "PS1 r"), "TESS", 623.0, "r' (~623 nm) is inside the TESS band"),
    (("R", "Rc", "Cousins R", "Johnson R"), "TESS", 650.0, "R / Rc (~650 nm) is inside the TESS band"),
    (
        ("Halpha", "H-alpha", "Ha", "Halpha cont", "H alpha"),
        "TESS",
        656.0,
        "H-alpha (656 nm) is inside the TESS band",
    ),
    (("i", "i'", "ip", "SDSS i", "Sloan i", "PS1 i"), "TESS", 763.0, "i' (~763 nm) is near the TESS centre"),
    (("I", "Ic", "Cousins I", "Johnson I"), "TESS", 800.0, "I / Ic (~800 nm) is at the TESS band centre"),
    (
        ("z", "z'", "zp", "zs", "z_s", "SDSS z", "Sloan z", "PS1 z"),
        "TESS",
        900.0,
        "z (~870-905 nm) is inside TESS",
    ),
    (("J", "J band", "2MASS J", "MKO J"), "J", 1250.0, "J (1.25 um) is TRICERATOPS's J (2MASS J)"),
    (("Jcont", "J-cont", "Jc"), "J", 1213.0, "J continuum (1.21 um) lies in the J window"),
    (("Pa-beta", "PaB", "Pabeta"), "J", 1282.0, "Paschen-beta (1.28 um) lies in the J window"),
    (("H", "H band", "2MASS H", "MKO H"), "H", 1633.0, "H (1.63 um) is TRICERATOPS's H (2MASS H)"),
    (("Hcont", "H-cont"), "H", 1580.0, "H continuum (1.58 um) lies in the H window"),
    (("CH4s", "CH4 short", "CH4_S"), "H", 1592.0, "methane-short (1.59 um) lies in the H window"),
    (("CH4l", "CH4 long", "CH4_L"), "H", 1684.0, "methane-long (1.68 um) lies in the H window"),
    (("FeII", "Fe II", "[Fe II]"), "H", 1644.0, "[Fe II] (1.64 um) lies in the H window"),
    (("K", "K band", "MKO K"), "K", 2196.0, "K (2.2 um); TRICERATOPS's K is 2MASS Ks"),
    (("Ks", "K_s", "Kshort", "2MASS Ks"), "K", 2146.0, "Ks (2.15 um) is TRICERATOPS's K (2MASS Ks)"),
    (("K'", "Kp", "Kprime"), "K", 2124.0, "K' (2.12 um) lies in the K window (here never the Kepler band)"),
    (("Kcont", "K-cont"), "K", 2271.0, "K continuum (2.27 um) lies in the K window"),
    (("Brgamma", "Br-gamma", "Brg", "BrG", "Br_gamma"), "K", 2169.0, "Brackett-gamma (2.17 um) is in K"),
    (("H2", "H2 1-0", "H2 (1-0)", "H2_1-0"), "K", 2128.0, "H2 1-0 S(1) (2.12 um) lies in the K window"),
    (("Y", "Y band"), None, 1030.0, "Y (~1.03 um) lies between the TESS band and J"),
    (("L'", "Lp", "L", "Lprime", "M'", "Mp", "Ms"), None, 3800.0, "L'/M' (3.8-4.7 um) are beyond K"),
    (
        ("clear", "open", "none", "CBB", "luminance", "LUM"),
        None,
        None,
        "an unfiltered band: it depends on the detector",
    ),
)

# (lowest nm, highest nm, filt or None, reason): for labels that give a central wavelength.
WAVELENGTH_RULES: tuple[tuple[float, float, str | None, str], ...] = (
    (0.0, 400.0, None, "bluer than 400 nm: no TRICERATOPS band"),
    (400.0, 600.0, "Vis", f"bluer than the TESS band (600-1000 nm); {_VIS}"),
    (600.0, 1000.0, "TESS", "inside the TESS band (600-1000 nm)"),
    (1000.0, 1100.0, None, "between the TESS band and J"),
    (1100.0, 1400.0, "J", "in the J window (1.1-1.4 um)"),
    (1400.0, 1450.0, None, "between J and H"),
    (1450.0, 1850.0, "H", "in the H window (1.45-1.85 um)"),
    (1850.0, 1950.0, None, "between H and K"),
    (1950.0, 2450.0, "K", "in the K window (1.95-2.45 um); TRICERATOPS's K is 2MASS Ks"),
    (2450.0, math.inf, None, "redder than K (2.45 um)"),
)

# Filter strings as they occur on ExoFOP (imaging table ``Filter``, file names) and what observers write:
# the ones marked "seen" are in public captures of ExoFOP pages (research/triceratops.md §3.1), the others
# are the instruments' filter names, spelled as they plausibly appear there (not seen in a capture).
EXOFOP_FILTER_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("562: 562 (54) nm", "seen: Gemini 'Alopeke/Zorro"),
    ("562: 562 (44) nm", "seen: WIYN NESSI"),
    ("562nm", "seen: Gemini sensitivity-file header"),
    ("832: 832 (40) nm", "seen: Gemini, WIYN NESSI"),
    ("I: 879 (289) nm", "seen: SOAR HRCam"),
    ("J: 1.238 (0.271) microns", "seen: Shane ShARCS"),
    ("Brgamma", "seen: Palomar PHARO, Gemini NIRI"),
    ("Kcont", "seen: Palomar PHARO"),
    ("Hcont", "seen: Palomar PHARO"),
    ("K", "seen: Gemini NIRI"),
    ("Ks", "filter of Keck NIRC2, VLT NaCo"),
    ("Br-gamma (2.17)", "filter of Keck NIRC2"),
    ("H2 (2.12)", "filter of Keck NIRC2"),
    ("CH4s", "filter of Keck NIRC2"),
    ("J", "filter of Keck NIRC2, Shane ShARCS"),
    ("H", "filter of Keck NIRC2"),
    ("Jcont", "filter of Keck NIRC2"),
    ("LP600", "filter of Robo-AO"),
    ("880 nm", "filter of SAI-2.5m speckle"),
    ("692 nm", "narrow band of 'Alopeke/Zorro, DSSI"),
    ("716 nm", "narrow band of 'Alopeke/Zorro, DSSI"),
    ("i'", "filter of Robo-AO, lucky imaging"),
    ("Sloan z'", "filter of Robo-AO, lucky imaging"),
    ("Cousins I", "filter of SOAR HRCam"),
    ("V", "filter of lucky-imaging cameras"),
    ("clear", "unfiltered cameras"),
    ("L'", "filter of Keck NIRC2, LBT"),
)


def _name_key(text: str) -> str:
    """Lookup key of a filter name: punctuation dropped, the prime of a one-letter name written ``p``
    (``K'`` = ``Kp``), and the case kept for one-letter names only, where it means something (``I``
    Cousins, ``i`` Sloan)."""
    text = text.strip()
    if re.fullmatch(r"[A-Za-z]'", text):
        text = text[0] + "p"
    key = re.sub(r"[^0-9A-Za-z]", "", text)
    return key if len(key) == 1 else key.casefold()


_NAMED: dict[str, tuple[str | None, float | None, str]] = {
    _name_key(spelling): (filt, nm, reason)
    for spellings, filt, nm, reason in BAND_NAMES
    for spelling in spellings
}

# "LP600", "long-pass 600", "600LP": a long-pass filter from N nm to the detector's cut-off.
_LONGPASS_RE = re.compile(r"^(?:lp|longpass)(?P<nm>\d{3,4})(?:nm)?$|^(?P<nm2>\d{3,4})(?:nm)?lp$")
_WAVELENGTH_RE = re.compile(
    r"(?<![A-Za-z0-9.])(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>nm|um|µm|μm|microns?|angstroms?|Å)?(?![A-Za-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BandMapping:
    """How one band label maps to a TRICERATOPS ``filt`` (None: refused), with the reason."""

    band: str
    triceratops_filter: str | None
    wavelength_nm: float | None
    reason: str
    rule: Literal["name", "long-pass", "wavelength", "unknown"]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "band": self.band,
            "triceratops_filter": self.triceratops_filter,
            "wavelength_nm": self.wavelength_nm,
            "rule": self.rule,
            "reason": self.reason,
        }


def _wavelength_nm(label: str) -> float | None:
    """The first central wavelength written in a label (``562: 562 (54) nm`` → 562, ``1.6`` → 1600)."""
    match = _WAVELENGTH_RE.search(label)
    if match is None:
        return None
    value = float(match.group("value"))
    unit = (match.group("unit") or "").casefold()
    if unit in {"um", "µm", "μm", "micron", "microns"} or (not unit and 0.3 <= value <= 5.0):
        return value * 1000.0
    if unit.startswith(("angstrom", "å")):
        return value / 10.0
    return value if value >= 100.0 else None  # a bare "2" or "40" is no wavelength


def _by_wavelength(band: str, nm: float, what: str) -> BandMapping:
    """The ``WAVELENGTH_RULES`` row containing ``nm``; ``what`` starts the reason."""
    for low, high, filt, why in WAVELENGTH_RULES:
        if low <= nm < high:
            return BandMapping(band, filt, nm, f"{what} {nm:g} nm: {why}", "wavelength")
    raise AssertionError("WAVELENGTH_RULES cover every wavelength")  # pragma: no cover


def explain_band(band: str) -> BandMapping:
    """How ``band`` maps to a TRICERATOPS ``filt``: by name, long-pass name, else central wavelength."""
    label = band.strip().replace("\u2019", "'").replace("\u2032", "'")  # typographic quote, prime
    for greek, word in (("\u03b1", "alpha"), ("\u03b2", "beta"), ("\u03b3", "gamma")):  # H-alpha, Br-gamma
        label = label.replace(greek, word)
    # ExoFOP writes "<short>: <centre> (<width>) <unit>": the centre it states comes first.
    _short, colon, rest = label.partition(":")
    nm = _wavelength_nm(rest) if colon else None
    if nm is not None:
        return _by_wavelength(band, nm, "centre (as ExoFOP states it)")
    # NIRC2 writes "Br-gamma (2.17)": try the name alone too.
    for candidate in (label, label.split(":", 1)[0], re.split(r"[(\[]", label, maxsplit=1)[0]):
        key = _name_key(candidate)
        named = _NAMED.get(key, _NAMED.get(key.swapcase()) if len(key) == 1 else None)
        if named is not None:
            filt, nm, reason = named
            return BandMapping(band, filt, nm, reason, "name")
    longpass = _LONGPASS_RE.match(normalize_name(label))
    if longpass is not None:
        start = float(longpass.group("nm") or longpass.group("nm2"))
        if 500.0 <= start <= 750.0:
            reason = f"long-pass from {start:g} nm to the CCD cut-off (~1000 nm): close to the TESS band"
            return BandMapping(band, "TESS", (start + 1000.0) / 2, reason, "long-pass")
        return BandMapping(band, None, None, f"long-pass from {start:g} nm: no TRICERATOPS band", "long-pass")
    nm = _wavelength_nm(label)
    if nm is not None:
        return _by_wavelength(band, nm, "centre")
    return BandMapping(band, None, None, "neither a filter name exofop knows nor a wavelength", "unknown")


def triceratops_filter_for(band: str) -> str | None:
    """TRICERATOPS ``filt`` for a band label (``562nm``, ``832: 832 (40) nm``, ``Brgamma``), or None."""
    return explain_band(band).triceratops_filter


def band_table() -> list[tuple[BandMapping, str]]:
    """The mapping of every filter string in ``EXOFOP_FILTER_EXAMPLES``, with where it occurs."""
    return [(explain_band(band), where) for band, where in EXOFOP_FILTER_EXAMPLES]


def band_rows() -> list[dict[str, Any]]:
    """The rows ``exofop contrast --bands`` shows: every ``band_table`` mapping, then ``WAVELENGTH_RULES``."""
    rows: list[dict[str, Any]] = [
        {**mapping.to_dict(), "triceratops_filter": mapping.triceratops_filter or "refused", "seen": where}
        for mapping, where in band_table()
    ]
    rows += [
        {
            "band": f"any other centre {low:g}-{high:g} nm",
            "triceratops_filter": filt or "refused",
            "rule": "wavelength",
            "reason": why,
            "seen": "",
        }
        for low, high, filt, why in WAVELENGTH_RULES
    ]
    return rows


def check_filt(value: str) -> str:
    """``value`` if it is a TRICERATOPS ``filt`` as such, else ``InvalidInputError``."""
    if value not in TRICERATOPS_FILTERS:
        raise InvalidInputError(
            f"triceratops_filter {value!r} is not one of {', '.join(TRICERATOPS_FILTERS)}",
            hint="TRICERATOPS compares filt by exact, case-sensitive name",
        )
    return value
