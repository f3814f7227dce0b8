"""Which light curves to pass when there are more than TRICERATOPS+ takes (7): ``KEEP_RULE``.

A multi-band test needs every band, so the best curve of each filter comes first; then the others by how
well they measure a transit depth. A curve that cannot measure one (no point in transit, or no
out-of-transit baseline) comes last, whatever its errors say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .normalisation import OutOfTransit

MAX_TRICERATOPS_PLUS_FILES = 7
KEEP_RULE = (
    "first one light curve per filter (a multi-band test needs every band), the one with the smallest "
    "transit-depth uncertainty, robust out-of-transit scatter x sqrt(1/n_in + 1/n_out); then the others by "
    "that uncertainty; a curve with no point in transit, or too few out of it, last; ties by file id"
)


def depth_uncertainty(
    flux_err: Sequence[float], out_of_transit: OutOfTransit | None, *, duration_known: bool
) -> float:
    """How well a curve measures a transit depth: scatter x sqrt(1/n_in + 1/n_out).

    The robust out-of-transit scatter when the duration is known (infinite without a point in transit, or
    with too few out of it to measure a level), else the mean error over sqrt(points).
    """
    mean_err = sum(flux_err) / len(flux_err)
    oot = out_of_transit
    if oot is None and duration_known:
        # No baseline to measure a depth against (a curve of the transit alone, normalised by its own
        # median, has lost the transit): never ahead of a curve that has one.
        return math.inf
    if oot is None:
        return mean_err / math.sqrt(len(flux_err))
    if oot.in_transit == 0:
        return math.inf
    return (oot.scatter or mean_err) * math.sqrt(1 / oot.in_transit + 1 / oot.points)


def keep_order(curves: Sequence[tuple[float, str, int | None] | None]) -> list[int]:
    """Indices of the loaded curves, best first by ``KEEP_RULE``.

    One entry per file: ``(depth uncertainty, filter, file id)``, or None for a file that did not load.
    """
    loaded = [i for i, entry in enumerate(curves) if entry is not None]

    def key(i: int) -> tuple[float, int]:
        entry = curves[i]
        assert entry is not None
        uncertainty, _, file_id = entry
        return uncertainty, file_id if file_id is not None else 1 << 62

    ordered = sorted(loaded, key=key)
    first_per_filter: dict[str, int] = {}
    for i in ordered:
        entry = curves[i]
        assert entry is not None
        if math.isfinite(entry[0]):
            first_per_filter.setdefault(entry[1], i)
    leaders = list(first_per_filter.values())
    return leaders + [i for i in ordered if i not in first_per_filter.values()]
