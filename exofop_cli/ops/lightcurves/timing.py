"""Days from mid-transit: fold absolute times, sort, drop duplicates, tell in from out of transit.

Absolute times are folded to the nearest transit, ``t - epoch - round((t - epoch) / period) * period``, with
the epoch in BJD_TDB (an epoch below 10,000 is taken as BTJD = BJD_TDB - 2457000, with a warning). A
header-less time column above 2,400,000 is taken as BJD_TDB, a smaller one as days from mid-transit (both
with a warning); days from mid-transit beyond half a period are rejected rather than guessed at (they are
probably BTJD). Rows are then sorted by that time and duplicate times dropped (first kept): TRICERATOPS+
takes ``np.min(np.diff(time))`` as the exposure time. Out of transit means further than 0.6 x duration from
mid-transit: half the duration plus a margin for ephemeris drift.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

from ...errors import InvalidInputError
from .stats import median
from .tables import BTJD_OFFSET, Photometry

TIME_DECIMALS = 8  # days: 1e-8 d is under a millisecond
JD_FLOOR = 2400000.0  # any Julian date of a modern observation is above this
_BTJD_EPOCH_LIMIT = 10000.0
OOT_EDGE_IN_DURATIONS = 0.6
_MIN_OOT_POINTS = 10
_MIN_OOT_FRACTION = 0.1


def check_period(period: float) -> None:
    """``InvalidInputError`` unless ``period`` is a positive, finite number of days."""
    if not isinstance(period, int | float) or not math.isfinite(period) or period <= 0:
        raise InvalidInputError(f"period must be a positive number of days, not {period!r}")


def epoch_in_bjd(epoch: float) -> tuple[float, str | None]:
    """The epoch in BJD_TDB, and a warning when it was given as BTJD."""
    if not isinstance(epoch, int | float) or not math.isfinite(epoch):
        raise InvalidInputError(f"epoch must be a number (BJD_TDB), not {epoch!r}")
    if epoch > JD_FLOOR:
        return float(epoch), None
    if epoch < _BTJD_EPOCH_LIMIT:
        bjd = epoch + BTJD_OFFSET
        return bjd, f"epoch {epoch:g} taken as BTJD (BJD_TDB - 2457000) = {bjd:.6f} BJD_TDB"
    raise InvalidInputError(
        f"epoch {epoch:g} is neither BJD_TDB (> 2400000) nor BTJD (< 10000)",
        hint="give the transit epoch in BJD_TDB, e.g. 2458466.3101",
    )


def check_duration(duration_hours: float | None) -> float | None:
    """The duration in days (None stays None); ``InvalidInputError`` unless positive and finite."""
    if duration_hours is None:
        return None
    if (
        not isinstance(duration_hours, int | float)
        or not math.isfinite(duration_hours)
        or duration_hours <= 0
    ):
        raise InvalidInputError(
            f"transit duration must be a positive number of hours, not {duration_hours!r}"
        )
    return duration_hours / 24.0


def times_from_midtransit(
    phot: Photometry, *, period: float, epoch_bjd: float, epoch_warning: str | None, name: str
) -> tuple[list[float], list[str]]:
    """Fold absolute times to the nearest transit; pass relative ones through after checking them."""
    column = phot.time_column
    label = f"time column {column.name!r}"
    typical = median(phot.time)
    warnings = [column.warning] if column.warning else []
    if column.kind == "generic" and typical <= JD_FLOOR:
        if max(abs(t) for t in phot.time) > period / 2:
            raise InvalidInputError(
                f"{name}: {label} values up to {max(abs(t) for t in phot.time):g} are neither Julian dates "
                f"nor days from mid-transit within half the period ({period / 2:g} d)",
                hint="name the time column in a header (BJD_TDB, BTJD, or BJD-2450000)",
            )
        warnings.append(f"{label} taken as days from mid-transit (values below 2400000)")
        return list(phot.time), warnings
    if typical <= JD_FLOOR:
        raise InvalidInputError(
            f"{name}: time column {column.name!r} values around {typical:g} are not Julian dates; name the "
            "offset in the header (e.g. BJD_TDB-2457000)"
        )
    if column.kind == "generic":
        warnings.append(f"{label} taken as BJD_TDB (values above 2400000)")
    if epoch_warning:
        warnings.append(epoch_warning)
    cycles = [math.floor((t - epoch_bjd) / period + 0.5) for t in phot.time]
    folded = [t - epoch_bjd - n * period for t, n in zip(phot.time, cycles, strict=True)]
    if len(set(cycles)) > 1:
        warnings.append(
            f"points from {len(set(cycles))} different transits (cycles {min(cycles)} to {max(cycles)}) "
            "were folded together"
        )
    return folded, warnings


Row = tuple[float, float, float, float]  # time from mid-transit, flux, error, airmass (NaN: none)


def sort_unique(phot: Photometry, times: Sequence[float]) -> tuple[list[Row], list[str]]:
    """Sort by time from mid-transit; drop times equal to the written precision (the first in file kept)."""
    airmass = phot.airmass or [math.nan] * len(times)
    rows = list(zip(times, phot.flux, phot.err, airmass, strict=True))
    warnings = []
    if any(b < a for a, b in pairwise(times)):
        warnings.append("sorted the rows by time from mid-transit (they were not in that order)")
    # Times that print the same in the exported file are duplicates for TRICERATOPS+; the sort is stable,
    # so among them the first row of the file comes first and is the one kept.
    rows.sort(key=lambda r: round(r[0], TIME_DECIMALS))
    unique = [
        r
        for i, r in enumerate(rows)
        if i == 0 or round(r[0], TIME_DECIMALS) != round(rows[i - 1][0], TIME_DECIMALS)
    ]
    if len(unique) < len(rows):
        warnings.append(f"dropped {len(rows) - len(unique)} row(s) with a duplicate time (kept the first)")
    return unique, warnings


def out_of_transit_rows(rows: Sequence[Row], duration_days: float) -> list[Row]:
    """Rows further than 0.6 x duration from mid-transit (half the duration plus a margin for drift)."""
    edge = OOT_EDGE_IN_DURATIONS * duration_days
    return [r for r in rows if abs(r[0]) > edge]


def enough_oot(n_oot: int, n_all: int) -> bool:
    """Enough out-of-transit points to fit or normalise on: at least 10, and 10 % of the curve."""
    return n_oot >= max(_MIN_OOT_POINTS, _MIN_OOT_FRACTION * n_all)
