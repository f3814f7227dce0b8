"""``ExternalLightCurve`` and ``load_sg1_lightcurve``: one photometry file → a TRICERATOPS+ light curve.

The steps, each in its module: read the columns (``tables``), the filter (``filters``), days from
mid-transit (``timing``), an optional detrending (``detrending``), the normalisation and its check
(``normalisation``). The result is written as ``days flux error`` rows with a ``<name>.json`` sidecar.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from ...errors import InvalidInputError
from ...store.atomic import write_export
from ..cached_files import read_text_file, write_sidecar
from .detrending import DETRENDS, Detrending, detrend_rows
from .filters import TRICERATOPS_PLUS_FILTERS, resolve_filter
from .keep import depth_uncertainty
from .normalisation import NORMALIZATIONS, OutOfTransit, cadence_warning, check_baseline, normalise_rows
from .tables import MIN_POINTS, parse_photometry
from .timing import (
    TIME_DECIMALS,
    check_duration,
    check_period,
    epoch_in_bjd,
    sort_unique,
    times_from_midtransit,
)


@dataclass(frozen=True)
class ExternalLightCurve:
    """A phase-folded, normalised light curve ready for TRICERATOPS+ (``filter`` in g r i z J H K)."""

    time_from_midtransit_days: tuple[float, ...]
    flux: tuple[float, ...]
    flux_err: tuple[float, ...]
    filter: str
    band: str | None
    source_path: Path
    warnings: tuple[str, ...] = ()
    # "out_of_transit_median", "median_of_all" or "as_given" (see the ``normalisation`` module).
    normalization: str = "as_given"
    detrending: Detrending | None = None
    out_of_transit: OutOfTransit | None = None  # measured after processing, when the duration is known
    ephemeris: tuple[float, float, float | None] | None = None  # period (d), epoch (BJD_TDB), duration (h)

    def __post_init__(self) -> None:
        times = self.time_from_midtransit_days
        if not len(times) == len(self.flux) == len(self.flux_err) or len(times) < MIN_POINTS:
            raise InvalidInputError(f"a light curve needs at least {MIN_POINTS} (time, flux, error) rows")
        if any(b <= a for a, b in pairwise(times)):
            raise InvalidInputError("light-curve times must be sorted and unique")
        if self.filter not in TRICERATOPS_PLUS_FILTERS:
            raise InvalidInputError(
                f"filter {self.filter!r} is not one of {', '.join(TRICERATOPS_PLUS_FILTERS)}"
            )

    def depth_uncertainty(self) -> float:
        """How well the curve measures a transit depth (``keep.depth_uncertainty``; ``KEEP_RULE``)."""
        duration_known = self.ephemeris is not None and self.ephemeris[2] is not None
        return depth_uncertainty(self.flux_err, self.out_of_transit, duration_known=duration_known)

    def to_triceratops_file(
        self,
        path: str | os.PathLike[str],
        *,
        provenance: Mapping[str, Any] | None = None,
        sidecar: bool = True,
    ) -> Path:
        """Write ``days flux error`` rows (whitespace, no header) atomically, and ``<name>.json`` beside."""
        target = Path(path)
        lines = [
            f"{t:.{TIME_DECIMALS}f} {f:.10g} {e:.10g}"
            for t, f, e in zip(self.time_from_midtransit_days, self.flux, self.flux_err, strict=True)
        ]
        write_export(target, ("\n".join(lines) + "\n").encode("ascii"))
        if sidecar:
            data = self.to_dict()
            for key in ("time_from_midtransit_days", "flux", "flux_err"):
                del data[key]
            data |= {
                "file": target.name,
                "format": "rows 'days_from_midtransit flux flux_err', whitespace, no header: np.loadtxt(path)",
                "points": len(self.flux),
                "time_range_days": [self.time_from_midtransit_days[0], self.time_from_midtransit_days[-1]],
                "triceratops_plus": {"external_lc_files": [target.name], "filt_lcs": [self.filter]},
            }
            write_sidecar(target, {**data, **(provenance or {})})
        return target

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings)."""
        period, epoch, duration = self.ephemeris or (None, None, None)
        uncertainty = self.depth_uncertainty()
        return {
            "time_from_midtransit_days": list(self.time_from_midtransit_days),
            "flux": list(self.flux),
            "flux_err": list(self.flux_err),
            "filter": self.filter,
            "band": self.band,
            "source_path": str(self.source_path),
            "warnings": list(self.warnings),
            "normalization": self.normalization,
            "detrending": self.detrending.to_dict() if self.detrending else None,
            "out_of_transit": self.out_of_transit.to_dict() if self.out_of_transit else None,
            "depth_uncertainty": uncertainty if math.isfinite(uncertainty) else None,
            "period_days": period,
            "epoch_bjd_tdb": epoch,
            "duration_hours": duration,
        }


def check_modes(normalize: str | None, detrend: str, duration_days: float | None) -> str:
    """The normalisation to use (``None``: oot when the duration is known, else median); raise if unusable."""
    if normalize is not None and normalize not in NORMALIZATIONS:
        raise InvalidInputError(f"normalize must be one of {', '.join(NORMALIZATIONS)}, not {normalize!r}")
    if detrend not in DETRENDS:
        raise InvalidInputError(f"detrend must be one of {', '.join(DETRENDS)}, not {detrend!r}")
    if duration_days is None and (normalize == "oot" or detrend != "none"):
        what = "--normalize oot" if normalize == "oot" else f"--detrend {detrend}"
        raise InvalidInputError(
            f"{what} needs the transit duration, to know which points are out of transit",
            hint="pass --duration HOURS (library: duration_hours=)",
        )
    if normalize is None:
        return "oot" if duration_days is not None else "median"
    return normalize


def load_sg1_lightcurve(
    path: str | os.PathLike[str],
    *,
    period: float,
    epoch: float,
    band: str | None = None,
    tseries_row: Mapping[str, str | None] | None = None,
    duration_hours: float | None = None,
    normalize: str | None = None,
    detrend: str = "none",
    name: str | None = None,
) -> ExternalLightCurve:
    """Load an AstroImageJ measurements table (or simpler time/flux/error table) for TRICERATOPS+.

    ``period`` in days; ``epoch`` in BJD_TDB (or BTJD if below 10000); ``duration_hours`` tells which
    points are out of transit. ``normalize``: ``oot`` (out-of-transit median; the default when the duration
    is known), ``median`` (of all points; the default otherwise) or ``none``. ``detrend``: ``none``,
    ``airmass`` or ``linear`` (in time), fitted on out-of-transit points and divided out before
    normalising. Raises ``InvalidInputError`` for bad values, a band without a TRICERATOPS+ filter, or a
    file that is not a light curve. ``name``: the file's name in messages and for its band (its ExoFOP
    name, not the cache's ``<id>_<name>``; default: the path's).
    """
    check_period(period)
    # Validated even when the file's times are already relative: a bad epoch is the caller's error.
    epoch_bjd, epoch_warning = epoch_in_bjd(epoch)
    duration_days = check_duration(duration_hours)
    how = check_modes(normalize, detrend, duration_days)
    source = Path(path)
    label = name or source.name
    phot = parse_photometry(read_text_file(source, what="a light curve"), label)
    filt, raw_band = resolve_filter(band, label, tseries_row)
    times, time_warnings = times_from_midtransit(
        phot, period=period, epoch_bjd=epoch_bjd, epoch_warning=epoch_warning, name=label
    )
    rows, warnings = sort_unique(phot, times)
    warnings = [*phot.warnings, *time_warnings, *warnings]
    if len(rows) < MIN_POINTS:
        raise InvalidInputError(f"{label} has only {len(rows)} distinct time(s)")
    detrending = None
    if detrend != "none" and duration_days is not None:
        rows, detrending, detrend_warnings = detrend_rows(rows, detrend, duration_days, label)
        warnings += detrend_warnings
    rows, normalization, norm_warnings = normalise_rows(rows, duration_days, how, label)
    warnings += norm_warnings
    baseline = None
    if duration_days is not None:
        fell_back = how == "oot" and normalization != "out_of_transit_median"
        baseline, check_warnings = check_baseline(rows, duration_days, detrending is not None, fell_back)
        warnings += check_warnings
    warnings += cadence_warning([r[0] for r in rows])
    return ExternalLightCurve(
        time_from_midtransit_days=tuple(r[0] for r in rows),
        flux=tuple(r[1] for r in rows),
        flux_err=tuple(r[2] for r in rows),
        filter=filt,
        band=raw_band,
        source_path=source,
        warnings=tuple(warnings),
        normalization=normalization,
        detrending=detrending,
        out_of_transit=baseline,
        ephemeris=(period, epoch_bjd, duration_hours),
    )
