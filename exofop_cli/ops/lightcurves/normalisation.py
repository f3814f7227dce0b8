"""``--normalize oot|median|none``, and the check that the out-of-transit level ends at 1.

Flux and error are divided by the median out-of-transit flux when the transit duration is known (and at
least 10 points / 10 % of the light curve lie out of transit), else by the median of all points, or left as
given. ``ExternalLightCurve.normalization`` says which was used. TRICERATOPS+ assumes an out-of-transit level
of exactly 1, so after processing the level is measured (``OutOfTransit``) and a warning says when it is off
1 by more than its error, when it drifts across the transit, or when a lone short time step would shrink
TRICERATOPS+'s exposure time.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from ...errors import InvalidInputError
from .stats import median, robust_level
from .timing import OOT_EDGE_IN_DURATIONS, Row, enough_oot, out_of_transit_rows

NORMALIZATIONS = ("oot", "median", "none")
_MIN_CHECK_POINTS = 5  # fewer out-of-transit points give no usable level or scatter


def normalise_rows(
    rows: Sequence[Row], duration_days: float | None, method: str, name: str
) -> tuple[list[Row], str, list[str]]:
    """Divide flux and error by the out-of-transit median, the median of all points, or nothing."""
    warnings: list[str] = []
    if method == "none":
        return list(rows), "as_given", warnings
    how = "median_of_all"
    scale = median(r[1] for r in rows)
    if method == "oot" and duration_days is not None:
        if not any(abs(r[0]) <= duration_days / 2 for r in rows):
            # Nothing to fit: a wrong --epoch or --period puts the whole light curve out of transit.
            warnings.append(
                f"no point lies inside the transit (within {duration_days * 12:.2f} h of mid-transit); "
                "check --epoch and --period"
            )
        outside = out_of_transit_rows(rows, duration_days)
        if enough_oot(len(outside), len(rows)):
            scale, how = median(r[1] for r in outside), "out_of_transit_median"
        else:
            edge = OOT_EDGE_IN_DURATIONS * duration_days
            warnings.append(
                f"only {len(outside)} point(s) are more than {edge:.4f} d from mid-transit; normalised by "
                "the median of all points instead of the out-of-transit median (if the file is already "
                "normalised, keep it as it is with --normalize none)"
            )
    elif duration_days is None:
        warnings.append(
            "transit duration unknown: normalised by the median of all points, which is below the "
            "out-of-transit level when the data cover the transit (the baseline then sits above 1); pass "
            "--duration (library: duration_hours=) to normalise by the out-of-transit median"
        )
    if not math.isfinite(scale) or scale <= 0:
        raise InvalidInputError(f"{name}: the median flux is {scale:g}; cannot normalise")
    return [(t, f / scale, e / scale, x) for t, f, e, x in rows], how, warnings


@dataclass(frozen=True)
class OutOfTransit:
    """The out-of-transit level after processing: median, robust per-point scatter, error of the median."""

    points: int
    in_transit: int
    level: float
    scatter: float  # 1.4826 x median absolute deviation
    level_error: float  # 1.2533 x scatter / sqrt(points): the standard error of a median

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "points": self.points,
            "in_transit": self.in_transit,
            "level": self.level,
            "scatter": self.scatter,
            "level_error": self.level_error,
        }


def check_baseline(
    rows: Sequence[Row], duration_days: float, detrended: bool, fell_back: bool
) -> tuple[OutOfTransit | None, list[str]]:
    """Measure the out-of-transit level; warn when it is off 1 by more than its error, or drifts.

    ``fell_back``: ``oot`` normalisation was asked for but too few points lie out of transit, so the
    advice is about the baseline rather than ``--normalize oot``.
    """
    oot = out_of_transit_rows(rows, duration_days)
    in_transit = sum(1 for r in rows if abs(r[0]) <= duration_days / 2)
    if len(oot) < _MIN_CHECK_POINTS:
        return None, []
    level, scatter, error = robust_level([r[1] for r in oot])
    stats = OutOfTransit(len(oot), in_transit, level, scatter, error)
    warnings = []
    if abs(level - 1.0) > error:
        advice = (
            "too few points out of transit for --normalize oot: check --duration, or use a light curve with "
            "a longer baseline"
            if fell_back
            else "use --normalize oot"
        )
        warnings.append(
            f"the out-of-transit level after processing is {level:.6f} ({(level - 1) * 1e6:+.0f} ppm), off "
            f"the 1.0 TRICERATOPS+ assumes by more than its scatter ({error * 1e6:.0f} ppm, the error of the "
            f"median); {advice}"
        )
    before = [r[1] for r in oot if r[0] < 0]
    after = [r[1] for r in oot if r[0] > 0]
    if len(before) >= _MIN_CHECK_POINTS and len(after) >= _MIN_CHECK_POINTS:
        lb, _, eb = robust_level(before)
        la, _, ea = robust_level(after)
        combined = math.hypot(eb, ea)
        if abs(la - lb) > 3 * combined:
            fix = "" if detrended else "; try --detrend airmass or --detrend linear"
            warnings.append(
                f"the out-of-transit level after the transit differs from the one before by "
                f"{(la - lb) * 1e6:+.0f} ppm (more than 3 x its error, {combined * 1e6:.0f} ppm): a trend "
                f"remains{fix}"
            )
    return stats, warnings


def cadence_warning(times: Sequence[float]) -> list[str]:
    """TRICERATOPS+ takes ``np.min(np.diff(time))`` as the exposure time: flag a lone short step."""
    steps = [b - a for a, b in pairwise(times)]
    typical = median(steps)
    if min(steps) >= 0.5 * typical:
        return []
    return [
        f"the smallest time step ({min(steps) * 86400:.1f} s) is under half the typical cadence "
        f"({typical * 86400:.1f} s); TRICERATOPS+ uses the smallest step as the exposure time"
    ]
