"""``ContrastCurve``: a cleaned contrast curve with its band, written as bare rows plus a sidecar."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any

from ...errors import InvalidInputError
from ...store.atomic import write_export
from ..cached_files import write_sidecar
from .bands import TRICERATOPS_FILTERS
from .cleaning import ENVELOPES, MIN_POINTS, Envelope, EnvelopeEffect
from .ranking import RANK_AT_ARCSEC, ranking_key_for


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
        """Sort key, best first, implementing ``RANKING_RULE`` (why: the ``ranking`` module's docstring)."""
        return ranking_key_for(
            self.triceratops_filter,
            self.wavelength_nm,
            self.delta_mag_at(RANK_AT_ARCSEC),
            self.delta_mag_at(1.0),
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
