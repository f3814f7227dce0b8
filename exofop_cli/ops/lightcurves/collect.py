"""A manifest's light curves → one ``LightCurveReport`` per file, ranked (``KEEP_RULE``), optionally exported.

Bad arguments raise at once (they would fail every file); a file that fails is a report with ``error``, one
that looks like a light curve but cannot be read as one a report with ``skipped``: never a silent skip.
``lightcurves`` (what ``ExoFopClient.lightcurves`` and ``exofop lightcurves`` use) returns the reports as a
``LightCurvesResult``, with the curves to keep for TRICERATOPS+ and the ones to leave out.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ...errors import ExoFopError
from ..cached_files import ManifestFile, load_manifest_files, row_for_tag, summary_rows_by_tag
from .filters import resolve_filter
from .finding import LIGHT_CURVE, classify
from .keep import KEEP_RULE, MAX_TRICERATOPS_PLUS_FILES, keep_order
from .lightcurve import ExternalLightCurve, check_modes, load_sg1_lightcurve
from .timing import check_duration, check_period, epoch_in_bjd


@dataclass(frozen=True)
class LightCurveReport:
    """Outcome of loading (and optionally exporting) one light curve found in a manifest.

    ``lightcurve`` is None when ``error`` says why, or ``skipped`` (a file that looked like a light curve
    but cannot be read as one). ``rank`` orders the loaded curves by ``KEEP_RULE``; ``keep`` says whether
    it is among the 7 TRICERATOPS+ accepts.
    """

    source_path: Path
    file_id: int | None
    lightcurve: ExternalLightCurve | None
    error: str | None
    exported: Path | None
    filename: str | None = None  # the upload's name on ExoFOP (the cached file has an id prefix)
    skipped: str | None = None
    rank: int | None = None
    sidecar: Path | None = None

    @property
    def keep(self) -> bool | None:
        """True for the curves to pass to TRICERATOPS+ (at most 7); None when not loaded."""
        return None if self.rank is None else self.rank <= MAX_TRICERATOPS_PLUS_FILES

    @property
    def status(self) -> str:
        """``converted``, ``failed`` or ``skipped``."""
        if self.error:
            return "failed"
        return "skipped" if self.skipped else "converted"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings): a flat summary for tables plus the full ``lightcurve``."""
        lc = self.lightcurve
        oot = lc.out_of_transit if lc else None
        return {
            "source_path": str(self.source_path),
            "file_id": self.file_id,
            "filename": self.filename or self.source_path.name,
            "status": self.status,
            "filter": lc.filter if lc else None,
            "band": lc.band if lc else None,
            "points": len(lc.flux) if lc else None,
            "normalization": lc.normalization if lc else None,
            "detrend": (lc.detrending.method if lc.detrending else "none") if lc else None,
            "oot_level": round(oot.level, 6) if oot else None,
            "oot_level_error": round(oot.level_error, 6) if oot else None,
            "rank": self.rank,
            "keep": self.keep,
            "warnings": list(lc.warnings) if lc else [],
            "lightcurve": lc.to_dict() if lc else None,
            "error": self.error,
            "skipped": self.skipped,
            "exported": str(self.exported) if self.exported is not None else None,
            "sidecar": str(self.sidecar) if self.sidecar is not None else None,
        }


def find_lightcurves(manifest_path: str | os.PathLike[str]) -> list[Path]:
    """Absolute paths of the SG1 photometry tables (AstroImageJ measurements...) among a manifest's files."""
    _, _, files = load_manifest_files(manifest_path)
    return [item.path for item in files if classify(item) == LIGHT_CURVE]


def collect_lightcurves(
    manifest_path: str | os.PathLike[str],
    *,
    period: float,
    epoch: float,
    band: str | None = None,
    export_dir: str | os.PathLike[str] | None = None,
    duration_hours: float | None = None,
    normalize: str | None = None,
    detrend: str = "none",
) -> list[LightCurveReport]:
    """Load every light curve of a manifest (joined to its time-series row by Tag); optionally export.

    Bad ``period``/``epoch``/``duration_hours``/``normalize``/``detrend`` or an unmappable ``band`` raise
    ``InvalidInputError`` at once (they would fail every file); per-file failures become reports with
    ``error``, files that look like light curves but cannot be read as one reports with ``skipped``.
    Reports are in file_id order; ``rank`` orders the loaded curves by ``KEEP_RULE`` (TRICERATOPS+ takes
    at most 7: those ranked beyond get a warning). Exports go to ``<export_dir>/<stem>_triceratops.txt``
    with a ``.json`` sidecar.
    """
    check_period(period)
    epoch_in_bjd(epoch)
    check_modes(normalize, detrend, check_duration(duration_hours))
    if band is not None and band.strip():
        resolve_filter(band, "", None)  # raises for a band without a TRICERATOPS+ filter
    root, manifest, files = load_manifest_files(manifest_path)
    rows_by_tag, summary_warning = summary_rows_by_tag(root, manifest, "tseries")
    reports = []
    for item in files:
        decision = classify(item)
        if decision is None:
            continue
        if decision != LIGHT_CURVE:
            reports.append(
                LightCurveReport(item.path, item.file_id, None, None, None, item.filename, decision)
            )
            continue
        try:
            curve = load_sg1_lightcurve(
                item.path,
                period=period,
                epoch=epoch,
                band=band,
                tseries_row=row_for_tag(rows_by_tag, item.tag),
                duration_hours=duration_hours,
                normalize=normalize,
                detrend=detrend,
                name=item.filename,
            )
        except ExoFopError as exc:
            error = f"{exc}; {exc.hint}" if exc.hint else str(exc)
            reports.append(LightCurveReport(item.path, item.file_id, None, error, None, item.filename))
            continue
        if summary_warning:
            curve = replace(curve, warnings=(*curve.warnings, summary_warning))
        reports.append(LightCurveReport(item.path, item.file_id, curve, None, None, item.filename))
    reports = _with_ranks(reports)
    if export_dir is None:
        return reports
    items = {item.path: item for item in files}
    return [_export(items[r.source_path], r, Path(export_dir)) if r.lightcurve else r for r in reports]


@dataclass(frozen=True)
class LightCurvesResult:
    """Result of ``lightcurves``: one report per file (file_id order), ranked, exported or not."""

    reports: tuple[LightCurveReport, ...]
    export_dir: Path | None = None

    @property
    def converted(self) -> tuple[LightCurveReport, ...]:
        """Reports of the curves loaded (and exported, when asked) without an error."""
        return tuple(r for r in self.reports if r.status == "converted")

    @property
    def failed(self) -> tuple[LightCurveReport, ...]:
        """Reports of the curves that could not be loaded or exported (``error`` says why)."""
        return tuple(r for r in self.reports if r.status == "failed")

    @property
    def ranked(self) -> tuple[LightCurveReport, ...]:
        """The loaded curves in ``KEEP_RULE`` order."""
        return tuple(sorted((r for r in self.reports if r.rank is not None), key=lambda r: r.rank or 0))

    @property
    def kept(self) -> tuple[LightCurveReport, ...]:
        """The curves to pass to TRICERATOPS+ (at most ``MAX_TRICERATOPS_PLUS_FILES``), best first."""
        return tuple(r for r in self.ranked if r.keep)

    @property
    def left_out(self) -> tuple[LightCurveReport, ...]:
        """The loaded curves ranked beyond what TRICERATOPS+ accepts, best first."""
        return tuple(r for r in self.ranked if not r.keep)

    def to_rows(self) -> list[dict[str, Any]]:
        """JSON-ready rows, one per report (``LightCurveReport.to_dict``)."""
        return [r.to_dict() for r in self.reports]


def lightcurves(
    manifest_path: str | os.PathLike[str],
    *,
    period: float,
    epoch: float,
    band: str | None = None,
    export_dir: str | os.PathLike[str] | None = None,
    duration_hours: float | None = None,
    normalize: str | None = None,
    detrend: str = "none",
) -> LightCurvesResult:
    """``collect_lightcurves`` (same arguments, same errors) as a ``LightCurvesResult``."""
    reports = collect_lightcurves(
        manifest_path,
        period=period,
        epoch=epoch,
        band=band,
        export_dir=export_dir,
        duration_hours=duration_hours,
        normalize=normalize,
        detrend=detrend,
    )
    return LightCurvesResult(tuple(reports), Path(export_dir) if export_dir is not None else None)


def _export(item: ManifestFile, report: LightCurveReport, export_dir: Path) -> LightCurveReport:
    assert report.lightcurve is not None
    out = export_dir / f"{item.path.stem}_triceratops.txt"
    provenance = {
        "source": item.provenance(),
        "rank": report.rank,
        "keep_for_triceratops_plus": report.keep,
        "keep_rule": KEEP_RULE,
    }
    try:
        report.lightcurve.to_triceratops_file(out, provenance=provenance)
    except ExoFopError as exc:
        return replace(report, error=f"export failed: {exc}")
    return replace(report, exported=out, sidecar=out.with_suffix(".json"))


def _with_ranks(reports: list[LightCurveReport]) -> list[LightCurveReport]:
    order = keep_order(
        [
            (r.lightcurve.depth_uncertainty(), r.lightcurve.filter, r.file_id) if r.lightcurve else None
            for r in reports
        ]
    )
    ranked = list(reports)
    for rank, index in enumerate(order, start=1):
        report = replace(reports[index], rank=rank)
        if rank > MAX_TRICERATOPS_PLUS_FILES and report.lightcurve is not None:
            note = (
                f"TRICERATOPS+ accepts at most {MAX_TRICERATOPS_PLUS_FILES} light curves; this one ranks {rank} "
                f"of {len(order)} by the keep rule ({KEEP_RULE}): leave it out"
            )
            curve = replace(report.lightcurve, warnings=(*report.lightcurve.warnings, note))
            report = replace(report, lightcurve=curve)
        ranked[index] = report
    return ranked
