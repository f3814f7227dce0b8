"""``--detrend airmass|linear``: a baseline linear in airmass or time, fitted out of transit, divided out.

TRICERATOPS+'s light-curve model has no baseline or trend term, so a trend left in the data is read as
signal. The baseline ``a + b (x - x0)`` is fitted by weighted least squares on the out-of-transit points only
(so the transit does not pull it), then flux and error are divided by it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import InvalidInputError
from .timing import Row, enough_oot, out_of_transit_rows

DETRENDS = ("none", "airmass", "linear")


def _linear_fit(
    xs: Sequence[float], ys: Sequence[float], errs: Sequence[float]
) -> tuple[float, float, float]:
    """Weighted least squares ``y = a + b (x - x0)``: ``(a, b, x0)``, with ``x0`` the weighted mean of x."""
    weights = [1.0 / (e * e) for e in errs]
    total = sum(weights)
    x0 = sum(w * x for w, x in zip(weights, xs, strict=True)) / total
    y0 = sum(w * y for w, y in zip(weights, ys, strict=True)) / total
    sxx = sum(w * (x - x0) ** 2 for w, x in zip(weights, xs, strict=True))
    sxy = sum(w * (x - x0) * (y - y0) for w, x, y in zip(weights, xs, ys, strict=True))
    if sxx <= 0:
        raise InvalidInputError("the detrending variable does not vary over the out-of-transit points")
    return y0, sxy / sxx, x0


@dataclass(frozen=True)
class Detrending:
    """A baseline ``a + b (x - x0)`` fitted to the out-of-transit points and divided out."""

    method: str  # "airmass" or "linear" (x = time from mid-transit in days)
    a: float
    b: float
    x0: float
    fit_points: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view, with the slope as a fraction of the baseline per unit of x."""
        unit = "per unit airmass" if self.method == "airmass" else "per day"
        return {
            "method": self.method,
            "model": "flux / (a + b * (x - x0))",
            "x": "AIRMASS" if self.method == "airmass" else "days from mid-transit",
            "a": self.a,
            "b": self.b,
            "x0": self.x0,
            "fractional_slope": self.b / self.a,
            "fractional_slope_unit": unit,
            "fit_points": self.fit_points,
        }


def detrend_rows(
    rows: Sequence[Row], method: str, duration_days: float, name: str
) -> tuple[list[Row], Detrending, list[str]]:
    """Divide flux and error by a baseline linear in airmass or time, fitted on out-of-transit points."""
    warnings = []
    if method == "airmass":
        usable = [r for r in rows if math.isfinite(r[3])]
        if not usable:
            raise InvalidInputError(
                f"{name} has no AIRMASS column (or no valid airmass)", hint="use --detrend linear instead"
            )
        if len(usable) < len(rows):
            warnings.append(f"dropped {len(rows) - len(usable)} row(s) without a valid AIRMASS")
        rows = usable
    oot = out_of_transit_rows(rows, duration_days)
    if not enough_oot(len(oot), len(rows)):
        raise InvalidInputError(
            f"{name}: only {len(oot)} point(s) lie out of transit; too few to fit a {method} baseline",
            hint="check --duration, --epoch and --period, or use --detrend none",
        )
    before, after = sum(1 for r in oot if r[0] < 0), sum(1 for r in oot if r[0] > 0)
    if not before or not after:
        side = "before" if before else "after"
        warnings.append(
            f"out-of-transit points only {side} the transit: the {method} baseline is extrapolated"
        )
    column = 3 if method == "airmass" else 0
    a, b, x0 = _linear_fit([r[column] for r in oot], [r[1] for r in oot], [r[2] for r in oot])
    out = []
    for row in rows:
        baseline = a + b * (row[column] - x0)
        if not baseline > 0:
            raise InvalidInputError(f"{name}: the fitted {method} baseline is not positive everywhere")
        out.append((row[0], row[1] / baseline, row[2] / baseline, row[3]))
    return out, Detrending(method, a, b, x0, len(oot)), warnings
