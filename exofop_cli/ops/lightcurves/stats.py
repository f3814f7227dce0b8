"""The two robust statistics the light-curve checks need, without ``statistics`` or numpy."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence


def median(values: Iterable[float]) -> float:
    """Median of a non-empty sequence (``statistics`` would add ~10 ms to every CLI start)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def robust_level(values: Sequence[float]) -> tuple[float, float, float]:
    """``(median, robust scatter, standard error of the median)``."""
    level = median(values)
    scatter = 1.4826 * median(abs(v - level) for v in values)
    return level, scatter, 1.2533 * scatter / math.sqrt(len(values))
