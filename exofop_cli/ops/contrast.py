"""Turn ExoFOP high-resolution-imaging contrast curves into TRICERATOPS input (reference §4).

TRICERATOPS (and TRICERATOPS+) read a contrast curve with ``np.loadtxt(path, delimiter=',')``: two
comma-separated columns, separation in arcsec and delta-mag, and their tutorials inspect it with
``pd.read_csv(path, header=None)``, which a ``#`` line breaks. A ``filt`` argument must be exactly one of
``TESS``, ``Vis``, ``J``, ``H``, ``K``. ExoFOP's raw uploads do not load as they are, so this module reads the
formats seen on ExoFOP and writes bare ``sep,dmag`` rows, with the provenance in a ``<name>.json`` sidecar:

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
* ``envelope="conservative"`` (the default) makes delta-mag non-decreasing with a running minimum taken
  from the outside in. TRICERATOPS interpolates with ``np.interp(dmag, contrasts, separations)``, which
  silently misreads a curve that dips; lowering the inner points never makes the limit deeper than
  measured. ``envelope="none"`` keeps every measured point; ``ContrastCurve.envelope_effect`` says what the
  envelope changed, or would have changed (largest delta-mag lowered, largest outward move of the separation
  TRICERATOPS assigns to a companion).

Band → ``filt``: the band label comes from the file's own metadata, else from the ExoFOP file-name pattern
``TOI<n>I-<initials><date>-<band>_`` (when that token is a band), else from the imaging-summary row with the
same Tag (``imaging_row``, which describes the observation, not the file); a caller's ``band=`` or
``triceratops_filter=`` overrides all three. ``explain_band`` maps a label by name
(``BAND_NAMES``: Brgamma, Kcont, CH4s, H2, i', Sloan z', Cousins I...), by a long-pass name (``LP600``), else
by its central wavelength (``WAVELENGTH_RULES``: ``562: 562 (54) nm``, ``880 nm``, ``1.6``). Each mapping
carries a one-line reason (``exofop contrast --bands`` prints them). The one principle: a centre inside the
TESS band (600-1000 nm) is ``TESS``; bluer is ``Vis`` (which TRICERATOPS evaluates with TESS-band fluxes);
the J, H and K windows are ``J``/``H``/``K``. A band in none of them is refused with ``InvalidInputError``
naming the override: guessing would silently change the false-positive probabilities.

Which curve: see ``RANKING_RULE`` and ``ContrastCurve.ranking_key``.
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
    write_sidecar,
)

__all__ = [
    "BAND_NAMES",
    "ENVELOPES",
    "EXOFOP_FILTER_EXAMPLES",
    "RANKING_RULE",
    "TRICERATOPS_FILTERS",
    "WAVELENGTH_RULES",
    "BandMapping",
    "ContrastCurve",
    "ContrastCurveReport",
    "EnvelopeEffect",
    "band_table",
    "best_contrast_curve",
    "collect_contrast_curves",
    "explain_band",
    "find_contrast_curves",
    "load_exofop_contrast_curve_dat",
    "rank_contrast_curves",
    "triceratops_filter_for",
]

TRICERATOPS_FILTERS = ("TESS", "Vis", "J", "H", "K")
ENVELOPES = ("conservative", "none")
Envelope = Literal["conservative", "none"]
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
# ExoFOP imaging uploads: TOI<n>I-<initials><yyyymmdd>-<band>_<kind>.<ext>
_NAME_BAND_RE = re.compile(r"TOI\d+(?:\.\d+)?[A-Za-z]?-[A-Za-z]*\d{8}-(?P<band>[^_.\s]+)_")
_NAME_HINT_RE = re.compile(r"_sensitivity\.dat$|_plot\.tbl$|contrast|(?<![a-z])cc(?![a-z])", re.IGNORECASE)
# Names that say "contrast curve" outright ("cc" may be an observer's initials): such a file that is not a
# curve is reported as skipped rather than passed over.
_STRONG_HINT_RE = re.compile(r"_sensitivity\.dat$|_plot\.tbl$|contrast", re.IGNORECASE)
_CURVE_EXTENSIONS = frozenset({".dat", ".tbl", ".csv", ".txt"})
_PLOT_EXTENSIONS = frozenset({".pdf", ".png", ".jpg", ".jpeg", ".gif", ".eps", ".ps"})
_PLOT_NAME_WORDS = frozenset({"contrast", "sensitivity", "soar", "hrcam", "speckle"})
_FILTER_HINT = "choose the filter with --filter FILE_ID=FILT, FILT one of TESS, Vis, J, H, K (library: triceratops_filter=)"


# --------------------------------------------------------------------------------------------------------
# The band table

TESS_BAND_NM = (600.0, 1000.0)  # Ricker et al. 2015
TESS_CENTRE_NM = 786.5
# Where a filt stands when only the filt is known (a caller's override of a band-less file): for ranking.
_NOMINAL_NM = {"Vis": 550.0, "TESS": TESS_CENTRE_NM, "J": 1250.0, "H": 1650.0, "K": 2200.0}
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


def _tess_distance(nm: float | None, filt: str) -> float:
    """|ln(λ / TESS centre)|: how far a band sits from the TESS band, in a scale-free way."""
    return abs(math.log((nm or _NOMINAL_NM[filt]) / TESS_CENTRE_NM))


# --------------------------------------------------------------------------------------------------------
# Curves

RANK_AT_ARCSEC = 0.5
RANKING_RULE = (
    "a band TRICERATOPS models as observed (TESS for 600-1000 nm, J, H, K) before Vis (evaluated with "
    "TESS-band fluxes: optimistic); then the deepest delta-mag at 0.5 arcsec (to 0.01 mag); then the band "
    "closest to the TESS centre (786.5 nm); then the deepest delta-mag at 1 arcsec; then the lowest file id"
)


@dataclass(frozen=True)
class EnvelopeEffect:
    """What the conservative envelope changed in a measured curve (or would have, with ``applied=False``).

    ``largest_separation_shift``: how far out the envelope moves the separation at which the curve first
    reaches a measured delta-mag (``separation_shift_at_dmag``); TRICERATOPS reads that separation with
    ``np.interp``, clamping to the outermost point for deeper companions, so this is the largest change
    in the "unresolved within" radius it assigns.
    """

    applied: bool
    points_lowered: int = 0
    largest_dmag_change: float = 0.0
    largest_dmag_change_at: float | None = None
    largest_separation_shift: float = 0.0
    separation_shift_at_dmag: float | None = None
    dips: int = 0  # steps where the measured delta-mag decreases outward

    def summary(self) -> str:
        """One short phrase for a table cell."""
        if not self.applied:
            return f"off ({self.dips} dip(s))" if self.dips else "off (monotonic)"
        if not self.points_lowered:
            return "no change"
        return (
            f'-{self.largest_dmag_change:.3f} mag at {self.largest_dmag_change_at:g}"; '
            f'sep +{self.largest_separation_shift:.2f}" at {self.separation_shift_at_dmag:.2f} mag'
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "applied": self.applied,
            "points_lowered": self.points_lowered,
            "largest_dmag_change": round(self.largest_dmag_change, 6),
            "largest_dmag_change_at_arcsec": self.largest_dmag_change_at,
            "largest_separation_shift_arcsec": round(self.largest_separation_shift, 6),
            "separation_shift_at_dmag": self.separation_shift_at_dmag,
            "dips": self.dips,
            "summary": self.summary(),
        }


@dataclass(frozen=True)
class ContrastCurve:
    """A cleaned contrast curve: strictly increasing separations; delta-mag non-decreasing unless the
    envelope was turned off (``envelope="none"``)."""

    separation_arcsec: tuple[float, ...]
    delta_mag: tuple[float, ...]
    band: str | None
    triceratops_filter: str
    instrument: str | None
    telescope: str | None
    source_path: Path
    warnings: tuple[str, ...] = ()
    band_reason: str | None = None  # why ``band`` gives ``triceratops_filter`` (or who chose it)
    wavelength_nm: float | None = None
    envelope: Envelope = "conservative"
    envelope_effect: EnvelopeEffect = field(default_factory=lambda: EnvelopeEffect(applied=True))

    def __post_init__(self) -> None:
        seps, dmags = self.separation_arcsec, self.delta_mag
        if len(seps) != len(dmags) or len(seps) < MIN_POINTS:
            raise InvalidInputError(
                f"a contrast curve needs at least {MIN_POINTS} (separation, delta-mag) pairs of equal length"
            )
        if any(b <= a for a, b in pairwise(seps)):
            raise InvalidInputError("contrast-curve separations must be strictly increasing")
        if any(d < 0 for d in dmags):
            raise InvalidInputError("contrast-curve delta-mags must be >= 0")
        if self.envelope == "conservative" and any(b < a for a, b in pairwise(dmags)):
            raise InvalidInputError(
                "contrast-curve delta-mags must be non-decreasing (conservative envelope)"
            )
        if self.envelope not in ENVELOPES:
            raise InvalidInputError(f"envelope {self.envelope!r} is not one of {', '.join(ENVELOPES)}")
        if self.triceratops_filter not in TRICERATOPS_FILTERS:
            raise InvalidInputError(
                f"triceratops_filter {self.triceratops_filter!r} is not one of "
                f"{', '.join(TRICERATOPS_FILTERS)}"
            )

    def delta_mag_at(self, separation_arcsec: float) -> float | None:
        """Delta-mag at a separation, linearly interpolated; None outside the measured range."""
        seps, dmags = self.separation_arcsec, self.delta_mag
        if not seps[0] <= separation_arcsec <= seps[-1]:
            return None
        for (s0, d0), (s1, d1) in pairwise(zip(seps, dmags, strict=True)):
            if s0 <= separation_arcsec <= s1:
                return d0 + (d1 - d0) * (separation_arcsec - s0) / (s1 - s0)
        return dmags[-1]  # pragma: no cover (the range check above covers every case)

    def ranking_key(self) -> tuple[int, float, float, float]:
        """Sort key, best first, implementing ``RANKING_RULE`` (file order breaks the last ties).

        Why this rule: for one-curve use (TRICERATOPS+, TRICERATOPS 1.0.x) the curve that rules out the
        most companions the model believes in is wanted. (1) A ``Vis`` curve is evaluated with TESS-band
        fluxes although taken bluer, where a red companion is fainter: its exclusion is overstated, so it
        is used only when nothing else exists. (2) Among bands TRICERATOPS models as observed, delta-mag at
        0.5" decides: at 100-300 pc that is 50-150 au, around the peak of the solar-type binary separation
        distribution, so most of the bound-companion prior lies there; it is also the figure ExoFOP's
        imaging table quotes, so users can check it. Comparing delta-mag across bands does not favour the
        infrared: at equal delta-mag a K curve already excludes lower-mass (red) companions than an optical
        one. (3) Ties go to the band closest to TESS, whose contrast is the dilution TRICERATOPS models
        with no colour conversion at all; (4) then depth at 1" (wider companions).
        """
        at_half = self.delta_mag_at(RANK_AT_ARCSEC)
        at_one = self.delta_mag_at(1.0)
        return (
            1 if self.triceratops_filter == "Vis" else 0,
            -round(at_half, 2) if at_half is not None else math.inf,
            round(_tess_distance(self.wavelength_nm, self.triceratops_filter), 4),
            -round(at_one, 2) if at_one is not None else math.inf,
        )

    def to_triceratops_csv(
        self,
        path: str | os.PathLike[str],
        *,
        provenance: Mapping[str, Any] | None = None,
        sidecar: bool = True,
    ) -> Path:
        """Write bare ``sep,dmag`` rows (no header, no ``#`` line) atomically, and ``<name>.json`` beside.

        The rows load with ``np.loadtxt(path, delimiter=',')`` and ``pd.read_csv(path, header=None)`` and
        give back the same floats (``repr`` round-trips). ``provenance`` adds keys to the sidecar.
        """
        target = Path(path)
        lines = [f"{s!r},{d!r}" for s, d in zip(self.separation_arcsec, self.delta_mag, strict=True)]
        write_export(target, ("\n".join(lines) + "\n").encode("ascii"))
        if sidecar:
            write_sidecar(target, {**self._provenance(target), **(provenance or {})})
        return target

    def _provenance(self, target: Path) -> dict[str, Any]:
        data = self.to_dict()
        del data["separation_arcsec"], data["delta_mag"]
        at_half = self.delta_mag_at(RANK_AT_ARCSEC)
        return {
            **data,
            "file": target.name,
            "format": "rows 'separation_arcsec,delta_mag'; no header: np.loadtxt(path, delimiter=',')",
            "points": len(self.separation_arcsec),
            "separation_range_arcsec": [self.separation_arcsec[0], self.separation_arcsec[-1]],
            "delta_mag_range": [min(self.delta_mag), max(self.delta_mag)],
            "dmag_at_0p5_arcsec": at_half,
            "triceratops": {"contrast_curve_file": target.name, "filt": self.triceratops_filter},
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings)."""
        return {
            "separation_arcsec": list(self.separation_arcsec),
            "delta_mag": list(self.delta_mag),
            "band": self.band,
            "triceratops_filter": self.triceratops_filter,
            "band_reason": self.band_reason,
            "wavelength_nm": self.wavelength_nm,
            "instrument": self.instrument,
            "telescope": self.telescope,
            "source_path": str(self.source_path),
            "envelope": self.envelope,
            "envelope_effect": self.envelope_effect.to_dict(),
            "warnings": list(self.warnings),
        }


def rank_contrast_curves(curves: Sequence[ContrastCurve]) -> list[ContrastCurve]:
    """The curves best first by ``RANKING_RULE`` (equal keys keep their given order)."""
    return sorted(curves, key=lambda curve: curve.ranking_key())


@dataclass(frozen=True)
class ContrastCurveReport:
    """Outcome of loading (and optionally exporting) one contrast curve found in a manifest.

    ``curve`` is None when ``error`` says why; also, with no error, for a curve uploaded only as a plot
    (``notes`` says so) and for a file that looked like a curve but is not one (``skipped`` says why): test
    ``curve is not None`` before using it. ``rank`` orders the loaded curves by ``RANKING_RULE`` (1 = the
    recommended curve).
    """

    source_path: Path
    file_id: int | None
    curve: ContrastCurve | None
    error: str | None
    exported: Path | None
    filename: str | None = None  # the upload's name on ExoFOP (the cached file has an id prefix)
    notes: tuple[str, ...] = ()  # about the file rather than a curve (e.g. only a plot of one was uploaded)
    skipped: str | None = None  # why a file that looked like a contrast curve was not read as one
    rank: int | None = None
    sidecar: Path | None = None

    @property
    def status(self) -> str:
        """``converted``, ``failed``, ``skipped`` or ``plot only``."""
        if self.error:
            return "failed"
        if self.skipped:
            return "skipped"
        return "converted" if self.curve is not None else "plot only"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings): a flat summary for tables plus the full ``curve``."""
        curve = self.curve
        at_half = curve.delta_mag_at(RANK_AT_ARCSEC) if curve else None
        return {
            "source_path": str(self.source_path),
            "file_id": self.file_id,
            "filename": self.filename or self.source_path.name,
            "status": self.status,
            "band": curve.band if curve else None,
            "triceratops_filter": curve.triceratops_filter if curve else None,
            "band_reason": curve.band_reason if curve else None,
            "instrument": curve.instrument if curve else None,
            "telescope": curve.telescope if curve else None,
            "points": len(curve.separation_arcsec) if curve else None,
            "dmag_at_0p5_arcsec": round(at_half, 3) if at_half is not None else None,
            "rank": self.rank,
            "recommended": self.rank == 1,
            "envelope": curve.envelope_effect.summary() if curve else None,
            "warnings": [*(curve.warnings if curve else ()), *self.notes],
            "curve": curve.to_dict() if curve else None,
            "error": self.error,
            "skipped": self.skipped,
            "note": "; ".join(self.notes) or None,
            "exported": str(self.exported) if self.exported is not None else None,
            "sidecar": str(self.sidecar) if self.sidecar is not None else None,
        }


def best_contrast_curve(reports: Sequence[ContrastCurveReport]) -> ContrastCurveReport | None:
    """The recommended curve's report (``rank == 1``), or None when no curve loaded."""
    return next((r for r in reports if r.rank == 1 and r.curve is not None), None)


# --------------------------------------------------------------------------------------------------------
# Reading and parsing


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
    """Drop invalid rows, sort and merge duplicate separations (the measured curve, before any envelope)."""
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


def _envelope(seps: Sequence[float], dmags: Sequence[float]) -> tuple[list[float], EnvelopeEffect]:
    """The conservative envelope (running minimum from the outside in) and what it changes."""
    lowered = 0
    largest, largest_at = 0.0, None
    out = list(dmags)
    floor = math.inf
    for i in range(len(out) - 1, -1, -1):
        if out[i] > floor:
            lowered += 1
            if out[i] - floor > largest:
                largest, largest_at = out[i] - floor, seps[i]
            out[i] = floor
        floor = out[i]
    shift, shift_at = 0.0, None
    for level in sorted(set(dmags)):
        # Where each curve first reaches this delta-mag; past its depth, np.interp clamps to the last point.
        measured = next((s for s, d in zip(seps, dmags, strict=True) if d >= level), seps[-1])
        enveloped = next((s for s, d in zip(seps, out, strict=True) if d >= level), seps[-1])
        if enveloped - measured > shift:
            shift, shift_at = enveloped - measured, level
    dips = sum(1 for a, b in pairwise(dmags) if b < a)
    effect = EnvelopeEffect(True, lowered, largest, largest_at, shift, shift_at, dips)
    return out, effect


def _envelope_warning(effect: EnvelopeEffect, n_points: int) -> str | None:
    if not effect.points_lowered:
        return None
    largest = (
        f"largest change {_fmt(effect.largest_dmag_change)} mag at {effect.largest_dmag_change_at:g} arcsec"
    )
    if not effect.applied:
        return (
            f"delta-mag decreases outward at {effect.dips} step(s), kept as measured (envelope none): "
            "TRICERATOPS's np.interp(dmag, ...) needs delta-mag increasing and may misread this curve; the "
            f"conservative envelope would lower {effect.points_lowered} of {n_points} point(s), {largest}"
        )
    return (
        f"delta-mag was not monotonic: lowered {effect.points_lowered} of {n_points} point(s) to the "
        f"conservative envelope (running minimum from the outside in, never deeper than measured); {largest}; "
        f"the separation where the curve reaches a delta-mag moves out by up to "
        f"{effect.largest_separation_shift:.2f} arcsec (at {effect.separation_shift_at_dmag:.2f} mag)"
    )


# --------------------------------------------------------------------------------------------------------
# Band, instrument, telescope


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


def _check_filt(value: str) -> str:
    if value not in TRICERATOPS_FILTERS:
        raise InvalidInputError(
            f"triceratops_filter {value!r} is not one of {', '.join(TRICERATOPS_FILTERS)}",
            hint="TRICERATOPS compares filt by exact, case-sensitive name",
        )
    return value


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
        filt = _check_filt(triceratops_filter)
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


# --------------------------------------------------------------------------------------------------------
# Public loading


def _check_envelope(envelope: str) -> Envelope:
    if envelope == "conservative":
        return "conservative"
    if envelope == "none":
        return "none"
    raise InvalidInputError(f"envelope must be one of {', '.join(ENVELOPES)}, not {envelope!r}")


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
    where the file has none, and the band where neither the file nor its name gives one. ``band`` (any label ``explain_band`` maps) or
    ``triceratops_filter`` (TESS, Vis, J, H, K) override the file's band. ``envelope``: ``conservative``
    or ``none`` (keep every measured point). ``InvalidInputError`` when the file is not a curve or has no
    usable band.
    """
    mode = _check_envelope(envelope)
    source = Path(path)
    text = read_text_file(source, what="a contrast curve")
    raw = _parse_curve_text(text, source.name)
    seps, dmags, clean_warnings = _clean_points(raw.rows, source.name)
    resolved = _resolve_band(
        raw.metadata, imaging_row, source.name, band=band, triceratops_filter=triceratops_filter
    )
    enveloped, effect = _envelope(seps, dmags)
    if mode == "conservative":
        dmags = enveloped
    else:
        effect = replace(effect, applied=False)
    envelope_warning = _envelope_warning(effect, len(seps))
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


def _sniff_curve(head: bytes, *, truncated: bool) -> Literal["marker", "numeric"] | str:
    """How the first bytes look: a format marker, bare numbers, or why they are not a curve."""
    kind = binary_kind(head)
    if kind is not None:
        return f"it is {kind}, not a text table"
    lines = head.decode("utf-8", errors="replace").removeprefix("\ufeff").splitlines()
    if truncated and lines:
        lines = lines[:-1]  # the last line may be cut mid-number
    if any(_GEMINI_FIT_RE.match(ln) or _is_curve_header(ln) for ln in lines):
        return "marker"
    try:
        raw = _parse_curve_text("\n".join(lines), "it")
        _clean_points(raw.rows, "it")
    except InvalidInputError as exc:
        return str(exc)
    return "numeric"


# --------------------------------------------------------------------------------------------------------
# Manifest helpers


def _name_suggests_curve(name: str) -> bool:
    return bool(_NAME_HINT_RE.search(name))


_CURVE = "curve"


def _classify(item: ManifestFile) -> str | None:
    """``_CURVE``, the reason a file named like a curve is not one (a skip), or None (not a candidate).

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
    sniffed = _sniff_curve(head, truncated=truncated)
    if sniffed == "marker" or (sniffed == "numeric" and (named or (item.type or "").casefold() == "image")):
        return _CURVE
    if strongly:
        return "not a contrast curve: " + ("no format marker" if sniffed == "numeric" else sniffed)
    return None


def find_contrast_curves(manifest_path: str | os.PathLike[str]) -> list[Path]:
    """Absolute paths of the machine-readable contrast curves among a manifest's files on disk."""
    _, _, files = load_manifest_files(manifest_path)
    return [item.path for item in files if _classify(item) == _CURVE]


def _override(value: str) -> tuple[str | None, str | None]:
    """``(band, filt)`` of a ``--filter`` value: a TRICERATOPS filt as such, anything else as a band."""
    value = value.strip()
    if value in TRICERATOPS_FILTERS:
        return None, value
    mapping = explain_band(value)
    if mapping.triceratops_filter is None:
        raise InvalidInputError(
            f"filter {value!r} maps to no TRICERATOPS filter ({mapping.reason})",
            hint=f"give one of {', '.join(TRICERATOPS_FILTERS)}, or a band from `exofop contrast --bands`",
        )
    return value, None


def _check_file_filters(
    file_filters: Mapping[int, str] | None, curve_ids: Sequence[int | None]
) -> dict[int, tuple[str | None, str | None]]:
    overrides = {file_id: _override(value) for file_id, value in (file_filters or {}).items()}
    unknown = sorted(set(overrides) - set(curve_ids))
    if unknown:
        known = ", ".join(str(i) for i in curve_ids if i is not None) or "none"
        raise InvalidInputError(
            f"--filter for file id(s) {', '.join(map(str, unknown))}: not a contrast curve of this target "
            f"(its contrast curves are file ids: {known})"
        )
    return overrides


def collect_contrast_curves(
    manifest_path: str | os.PathLike[str],
    *,
    export_dir: str | os.PathLike[str] | None = None,
    band: str | None = None,
    triceratops_filter: str | None = None,
    file_filters: Mapping[int, str] | None = None,
    envelope: str = "conservative",
    best_only: bool = False,
) -> list[ContrastCurveReport]:
    """Load every contrast curve of a manifest (joined to its imaging row by Tag), rank, optionally export.

    ``band`` / ``triceratops_filter`` apply to every curve; ``file_filters`` maps a file id to a TRICERATOPS
    filt or a band label for that file (it wins). Bad overrides raise ``InvalidInputError`` at once; per-file
    failures are reports with ``error``, files named like curves that are not are reports with ``skipped``,
    never exceptions. A PDF or image of a curve whose observation (Tag) has no loadable curve is a report
    with a note. Reports are in file_id order with ``rank`` set (``RANKING_RULE``). Exports (all loaded
    curves, or only the recommended one with ``best_only``) go to ``<export_dir>/<stem>_triceratops.csv``
    with a ``.json`` sidecar.
    """
    mode = _check_envelope(envelope)
    common = (band, _check_filt(triceratops_filter) if triceratops_filter is not None else None)
    if band is not None:
        _override(band)  # raises for a band without a filt
    root, manifest, files = load_manifest_files(manifest_path)
    rows_by_tag, summary_warning = summary_rows_by_tag(root, manifest, "imaging")
    decisions = [_classify(item) for item in files]
    curve_items = [item for item, d in zip(files, decisions, strict=True) if d == _CURVE]
    overrides = _check_file_filters(file_filters, [item.file_id for item in curve_items])
    curve_tags = {item.tag for item in curve_items}
    reports = []
    for item, decision in zip(files, decisions, strict=True):
        if decision == _CURVE:
            file_band, file_filt = overrides.get(item.file_id, common) if item.file_id is not None else common
            row = row_for_tag(rows_by_tag, item.tag)
            reports.append(_load_one(item, row, summary_warning, file_band, file_filt, mode))
        elif decision is not None:
            reports.append(_report(item, skipped=decision))
        elif _is_plot_of_a_curve(item) and (item.tag is None or item.tag not in curve_tags):
            # Reference §4: SOAR often uploads only a plot; say so rather than list nothing. A note, not an
            # error: nothing failed, there is just no curve to load for that observation.
            suffix = Path(item.filename).suffix.lstrip(".").upper()
            note = f"only a plot ({suffix}) of a contrast curve: no numbers to load for this observation"
            reports.append(_report(item, notes=(note,)))
    reports = _with_ranks(reports)
    if export_dir is None:
        return reports
    by_path = {item.path: item for item in curve_items}
    return [
        _export(r, by_path[r.source_path], Path(export_dir))
        if r.curve is not None and r.error is None and (r.rank == 1 or not best_only)
        else r
        for r in reports
    ]


def _report(item: ManifestFile, *, error: str | None = None, **kwargs: Any) -> ContrastCurveReport:
    return ContrastCurveReport(item.path, item.file_id, None, error, None, item.filename, **kwargs)


def _error_text(exc: ExoFopError, file_id: int | None) -> str:
    hint = exc.hint.replace("FILE_ID", str(file_id)) if exc.hint and file_id is not None else exc.hint
    return f"{exc}; {hint}" if hint else str(exc)


def _load_one(
    item: ManifestFile,
    row: Mapping[str, str | None] | None,
    summary_warning: str | None,
    band: str | None,
    filt: str | None,
    envelope: Envelope,
) -> ContrastCurveReport:
    try:
        curve = load_exofop_contrast_curve_dat(
            item.path, imaging_row=row, band=band, triceratops_filter=filt, envelope=envelope
        )
    except ExoFopError as exc:
        return _report(item, error=_error_text(exc, item.file_id))
    if summary_warning:
        curve = replace(curve, warnings=(*curve.warnings, summary_warning))
    return ContrastCurveReport(item.path, item.file_id, curve, None, None, item.filename)


def _with_ranks(reports: list[ContrastCurveReport]) -> list[ContrastCurveReport]:
    loaded = [i for i, r in enumerate(reports) if r.curve is not None]
    order = sorted(loaded, key=lambda i: _key(reports[i]))
    ranked = list(reports)
    for rank, index in enumerate(order, start=1):
        ranked[index] = replace(reports[index], rank=rank)
    return ranked


def _key(report: ContrastCurveReport) -> tuple[tuple[int, float, float, float], int]:
    assert report.curve is not None
    return report.curve.ranking_key(), report.file_id if report.file_id is not None else 1 << 62


def _export(report: ContrastCurveReport, item: ManifestFile, export_dir: Path) -> ContrastCurveReport:
    assert report.curve is not None
    out = export_dir / f"{item.path.stem}_triceratops.csv"
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
        "recommended": report.rank == 1,
        "ranking_rule": RANKING_RULE,
    }
    try:
        report.curve.to_triceratops_csv(out, provenance=provenance)
    except ExoFopError as exc:
        return replace(report, error=f"export failed: {exc}")
    return replace(report, exported=out, sidecar=out.with_suffix(".json"))


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
