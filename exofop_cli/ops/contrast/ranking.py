"""Which contrast curve to give TRICERATOPS+ or TRICERATOPS 1.0.x, which take one: ``RANKING_RULE``.

Why this rule: for one-curve use the curve that rules out the most companions the model believes in is
wanted. (1) A ``Vis`` curve is evaluated with TESS-band fluxes although taken bluer, where a red companion is
fainter: its exclusion is overstated, so it is used only when nothing else exists. (2) Among bands
TRICERATOPS models as observed, delta-mag at 0.5" decides: at 100-300 pc that is 50-150 au, around the peak
of the solar-type binary separation distribution, so most of the bound-companion prior lies there; it is
also the figure ExoFOP's imaging table quotes, so users can check it. Comparing delta-mag across bands does
not favour the infrared: at equal delta-mag a K curve already excludes lower-mass (red) companions than an
optical one. (3) Ties go to the band closest to TESS, whose contrast is the dilution TRICERATOPS models with
no colour conversion at all; (4) then depth at 1" (wider companions). File order breaks the last ties.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol, TypeVar

from .bands import NOMINAL_NM, TESS_CENTRE_NM

RANK_AT_ARCSEC = 0.5
RANKING_RULE = (
    "a band TRICERATOPS models as observed (TESS for 600-1000 nm, J, H, K) before Vis (evaluated with "
    "TESS-band fluxes: optimistic); then the deepest delta-mag at 0.5 arcsec (to 0.01 mag); then the band "
    "closest to the TESS centre (786.5 nm); then the deepest delta-mag at 1 arcsec; then the lowest file id"
)


def tess_distance(nm: float | None, filt: str) -> float:
    """|ln(λ / TESS centre)|: how far a band sits from the TESS band, in a scale-free way."""
    return abs(math.log((nm or NOMINAL_NM[filt]) / TESS_CENTRE_NM))


def ranking_key_for(
    filt: str, wavelength_nm: float | None, dmag_at_half: float | None, dmag_at_one: float | None
) -> tuple[int, float, float, float]:
    """Sort key, best first, of a curve with this ``filt``, centre, and delta-mag at 0.5" and 1" (or None)."""
    return (
        1 if filt == "Vis" else 0,
        -round(dmag_at_half, 2) if dmag_at_half is not None else math.inf,
        round(tess_distance(wavelength_nm, filt), 4),
        -round(dmag_at_one, 2) if dmag_at_one is not None else math.inf,
    )


class _Ranked(Protocol):
    def ranking_key(self) -> tuple[int, float, float, float]:
        """Sort key, best first."""


_C = TypeVar("_C", bound=_Ranked)


def rank_contrast_curves(curves: Sequence[_C]) -> list[_C]:
    """The curves best first by ``RANKING_RULE`` (equal keys keep their given order)."""
    return sorted(curves, key=lambda curve: curve.ranking_key())
