"""From measured rows to a clean curve: invalid rows, order, duplicate separations, the envelope.

In this order, each change reported in the curve's warnings:

* rows with NaN/inf or negative values are dropped; when more than a quarter of the rows are such, the file
  is rejected instead, because it is then not a contrast curve (a light curve in days from mid-transit has
  half its "separations" negative);
* rows are sorted by separation if they were not;
* duplicate separations are merged keeping the *smaller* delta-mag: a limit is never claimed deeper than
  what was measured;
* ``envelope="conservative"`` (the default) makes delta-mag non-decreasing with a running minimum taken
  from the outside in. TRICERATOPS interpolates with ``np.interp(dmag, contrasts, separations)``, which
  silently misreads a curve that dips; lowering the inner points never makes the limit deeper than
  measured. ``envelope="none"`` keeps every measured point; ``EnvelopeEffect`` says what the envelope
  changed, or would have changed (largest delta-mag lowered, largest outward move of the separation
  TRICERATOPS assigns to a companion).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from ...errors import InvalidInputError

ENVELOPES = ("conservative", "none")
Envelope = Literal["conservative", "none"]
MIN_POINTS = 3

# Beyond these a "curve" is something else (a BJD time column, a spectrum in Angstrom): seeing-limited
# curves reach a few tens of arcsec, and no imaging reaches 20 mag of contrast.
_MAX_SEPARATION_ARCSEC = 100.0
_MAX_DELTA_MAG = 20.0
_MAX_INVALID_FRACTION = 0.25


def check_envelope(envelope: str) -> Envelope:
    """``envelope`` as an ``Envelope``; ``InvalidInputError`` if it is not one of ``ENVELOPES``."""
    if envelope == "conservative":
        return "conservative"
    if envelope == "none":
        return "none"
    raise InvalidInputError(f"envelope must be one of {', '.join(ENVELOPES)}, not {envelope!r}")


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


def _fmt(value: float) -> str:
    return f"{value:.3f}"


def clean_points(rows: Sequence[Sequence[float]], name: str) -> tuple[list[float], list[float], list[str]]:
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


def conservative_envelope(
    seps: Sequence[float], dmags: Sequence[float]
) -> tuple[list[float], EnvelopeEffect]:
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


def envelope_change_warning(effect: EnvelopeEffect, n_points: int) -> str | None:
    """What the envelope lowered (or would have, when off), as a warning; None when nothing."""
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
