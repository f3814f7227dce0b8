"""A manifest's contrast curves → one ``ContrastCurveReport`` per file, ranked, optionally exported.

``collect_contrast_curves`` is the function with every knob; ``contrast_curves`` (what
``ExoFopClient.contrast_curves`` and ``exofop contrast`` use) takes one ``filter`` string and returns the
reports to show as a ``ContrastCurvesResult``.

Per-file failures are reports with ``error``, files named like curves that are not are reports with
``skipped``, a plot-only upload is a report with a note: never an exception, never a silent skip. Only bad
overrides (a band that maps to nothing, a ``--filter`` for a file that is not a curve) raise, at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ...errors import ExoFopError, InvalidInputError
from ..cached_files import ManifestFile, load_manifest_files, row_for_tag, summary_rows_by_tag
from .bands import TRICERATOPS_FILTERS, check_filt, explain_band
from .cleaning import Envelope, check_envelope
from .curve import ContrastCurve
from .finding import CURVE, classify, is_plot_of_a_curve
from .loading import load_exofop_contrast_curve_dat
from .ranking import RANK_AT_ARCSEC, RANKING_RULE


@dataclass(frozen=True)
class ContrastCurveReport:
    """Outcome of loading (and optionally exporting) one contrast curve found in a manifest.

    ``curve`` is None when ``error`` says why; also, with no error, for a curve uploaded only as a plot
    (``notes`` says so) and for a file that looked like a curve but is not one (``skipped`` says why): test
    ``curve is not None`` before using it. ``rank`` orders the loaded curves by ``RANKING_RULE`` (1 = the
    recommended curve).
    """

    source_path: Path
    file_id: int | None
    curve: ContrastCurve | None
    error: str | None
    exported: Path | None
    filename: str | None = None  # the upload's name on ExoFOP (the cached file has an id prefix)
    notes: tuple[str, ...] = ()  # about the file rather than a curve (e.g. only a plot of one was uploaded)
    skipped: str | None = None  # why a file that looked like a contrast curve was not read as one
    rank: int | None = None
    sidecar: Path | None = None

    @property
    def status(self) -> str:
        """``converted``, ``failed``, ``skipped`` or ``plot only``."""
        if self.error:
            return "failed"
        if self.skipped:
            return "skipped"
        return "converted" if self.curve is not None else "plot only"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (paths as strings): a flat summary for tables plus the full ``curve``."""
        curve = self.curve
        at_half = curve.delta_mag_at(RANK_AT_ARCSEC) if curve else None
        return {
            "source_path": str(self.source_path),
            "file_id": self.file_id,
            "filename": self.filename or self.source_path.name,
            "status": self.status,
            "band": curve.band if curve else None,
            "triceratops_filter": curve.triceratops_filter if curve else None,
            "band_reason": curve.band_reason if curve else None,
            "instrument": curve.instrument if curve else None,
            "telescope": curve.telescope if curve else None,
            "points": len(curve.separation_arcsec) if curve else None,
            "dmag_at_0p5_arcsec": round(at_half, 3) if at_half is not None else None,
            "rank": self.rank,
            "recommended": self.rank == 1,
            "envelope": curve.envelope_effect.summary() if curve else None,
            "warnings": [*(curve.warnings if curve else ()), *self.notes],
            "curve": curve.to_dict() if curve else None,
            "error": self.error,
            "skipped": self.skipped,
            "note": "; ".join(self.notes) or None,
            "exported": str(self.exported) if self.exported is not None else None,
            "sidecar": str(self.sidecar) if self.sidecar is not None else None,
        }


def best_contrast_curve(reports: Sequence[ContrastCurveReport]) -> ContrastCurveReport | None:
    """The recommended curve's report (``rank == 1``), or None when no curve loaded."""
    return next((r for r in reports if r.rank == 1 and r.curve is not None), None)


def find_contrast_curves(manifest_path: str | os.PathLike[str]) -> list[Path]:
    """Absolute paths of the machine-readable contrast curves among a manifest's files on disk."""
    _, _, files = load_manifest_files(manifest_path)
    return [item.path for item in files if classify(item) == CURVE]


def _override(value: str) -> tuple[str | None, str | None]:
    """``(band, filt)`` of a ``--filter`` value: a TRICERATOPS filt as such, anything else as a band."""
    value = value.strip()
    if value in TRICERATOPS_FILTERS:
        return None, value
    mapping = explain_band(value)
    if mapping.triceratops_filter is None:
        raise InvalidInputError(
            f"filter {value!r} maps to no TRICERATOPS filter ({mapping.reason})",
            hint=f"give one of {', '.join(TRICERATOPS_FILTERS)}, or a band from `exofop contrast --bands`",
        )
    return value, None


def _check_file_filters(
    file_filters: Mapping[int, str] | None, curve_ids: Sequence[int | None]
) -> dict[int, tuple[str | None, str | None]]:
    overrides = {file_id: _override(value) for file_id, value in (file_filters or {}).items()}
    unknown = sorted(set(overrides) - set(curve_ids))
    if unknown:
        known = ", ".join(str(i) for i in curve_ids if i is not None) or "none"
        raise InvalidInputError(
            f"--filter for file id(s) {', '.join(map(str, unknown))}: not a contrast curve of this target "
            f"(its contrast curves are file ids: {known})"
        )
    return overrides


def collect_contrast_curves(
    manifest_path: str | os.PathLike[str],
    *,
    export_dir: str | os.PathLike[str] | None = None,
    band: str | None = None,
    triceratops_filter: str | None = None,
    file_filters: Mapping[int, str] | None = None,
    envelope: str = "conservative",
    best_only: bool = False,
) -> list[ContrastCurveReport]:
    """Load every contrast curve of a manifest (joined to its imaging row by Tag), rank, optionally export.

    ``band`` / ``triceratops_filter`` apply to every curve; ``file_filters`` maps a file id to a TRICERATOPS
    filt or a band label for that file (it wins). Bad overrides raise ``InvalidInputError`` at once; per-file
    failures are reports with ``error``, files named like curves that are not are reports with ``skipped``,
    never exceptions. A PDF or image of a curve whose observation (Tag) has no loadable curve is a report
    with a note. Reports are in file_id order with ``rank`` set (``RANKING_RULE``). Exports (all loaded
    curves, or only the recommended one with ``best_only``) go to ``<export_dir>/<stem>_triceratops.csv``
    with a ``.json`` sidecar.
    """
    mode = check_envelope(envelope)
    common = (band, check_filt(triceratops_filter) if triceratops_filter is not None else None)
    if band is not None:
        _override(band)  # raises for a band without a filt
    root, manifest, files = load_manifest_files(manifest_path)
    rows_by_tag, summary_warning = summary_rows_by_tag(root, manifest, "imaging")
    decisions = [classify(item) for item in files]
    curve_items = [item for item, d in zip(files, decisions, strict=True) if d == CURVE]
    overrides = _check_file_filters(file_filters, [item.file_id for item in curve_items])
    curve_tags = {item.tag for item in curve_items}
    reports = []
    for item, decision in zip(files, decisions, strict=True):
        if decision == CURVE:
            file_band, file_filt = overrides.get(item.file_id, common) if item.file_id is not None else common
            row = row_for_tag(rows_by_tag, item.tag)
            reports.append(_load_one(item, row, summary_warning, file_band, file_filt, mode))
        elif decision is not None:
            reports.append(_report(item, skipped=decision))
        elif is_plot_of_a_curve(item) and (item.tag is None or item.tag not in curve_tags):
            # Reference §4: SOAR often uploads only a plot; say so rather than list nothing. A note, not an
            # error: nothing failed, there is just no curve to load for that observation.
            suffix = Path(item.filename).suffix.lstrip(".").upper()
            note = f"only a plot ({suffix}) of a contrast curve: no numbers to load for this observation"
            reports.append(_report(item, notes=(note,)))
    reports = _with_ranks(reports)
    if export_dir is None:
        return reports
    by_path = {item.path: item for item in curve_items}
    return [
        _export(r, by_path[r.source_path], Path(export_dir))
        if r.curve is not None and r.error is None and (r.rank == 1 or not best_only)
        else r
        for r in reports
    ]


@dataclass(frozen=True)
class ContrastCurvesResult:
    """Result of ``contrast_curves``: the reports to show (file_id order), ranked, exported or not."""

    reports: tuple[ContrastCurveReport, ...]
    export_dir: Path | None = None

    @property
    def recommended(self) -> ContrastCurveReport | None:
        """The recommended curve's report (rank 1), None when no curve loaded."""
        return best_contrast_curve(self.reports)

    @property
    def converted(self) -> tuple[ContrastCurveReport, ...]:
        """Reports of the curves loaded (and exported, when asked) without an error."""
        return tuple(r for r in self.reports if r.status == "converted")

    @property
    def failed(self) -> tuple[ContrastCurveReport, ...]:
        """Reports of the curves that could not be loaded or exported (``error`` says why)."""
        return tuple(r for r in self.reports if r.status == "failed")

    @property
    def exported(self) -> tuple[ContrastCurveReport, ...]:
        """Reports of the curves written to ``export_dir``, best ranked first."""
        return tuple(sorted((r for r in self.reports if r.exported is not None), key=lambda r: r.rank or 0))

    def to_rows(self) -> list[dict[str, Any]]:
        """JSON-ready rows, one per report (``ContrastCurveReport.to_dict``)."""
        return [r.to_dict() for r in self.reports]


def contrast_curves(
    manifest_path: str | os.PathLike[str],
    *,
    filter: str | None = None,
    file_filters: Mapping[int, str] | None = None,
    envelope: str = "conservative",
    best_only: bool = False,
    export_dir: str | os.PathLike[str] | None = None,
) -> ContrastCurvesResult:
    """``collect_contrast_curves`` with one ``filter`` (a TRICERATOPS filt or a band label) for every curve.

    With ``best_only`` the result holds the recommended curve and the files with a problem (failed, skipped,
    plot only): the other loaded curves are left out, as they are left out of the export.
    """
    band, filt = _override(filter) if filter is not None else (None, None)
    reports = collect_contrast_curves(
        manifest_path,
        export_dir=export_dir,
        band=band,
        triceratops_filter=filt,
        file_filters=file_filters,
        envelope=envelope,
        best_only=best_only,
    )
    if best_only:
        reports = [r for r in reports if r.rank == 1 or r.status != "converted"]
    return ContrastCurvesResult(tuple(reports), Path(export_dir) if export_dir is not None else None)


def _report(item: ManifestFile, *, error: str | None = None, **kwargs: Any) -> ContrastCurveReport:
    return ContrastCurveReport(item.path, item.file_id, None, error, None, item.filename, **kwargs)


def _error_text(exc: ExoFopError, file_id: int | None) -> str:
    hint = exc.hint.replace("FILE_ID", str(file_id)) if exc.hint and file_id is not None else exc.hint
    return f"{exc}; {hint}" if hint else str(exc)


def _load_one(
    item: ManifestFile,
    row: Mapping[str, str | None] | None,
    summary_warning: str | None,
    band: str | None,
    filt: str | None,
    envelope: Envelope,
) -> ContrastCurveReport:
    try:
        curve = load_exofop_contrast_curve_dat(
            item.path, imaging_row=row, band=band, triceratops_filter=filt, envelope=envelope
        )
    except ExoFopError as exc:
        return _report(item, error=_error_text(exc, item.file_id))
    if summary_warning:
        curve = replace(curve, warnings=(*curve.warnings, summary_warning))
    return ContrastCurveReport(item.path, item.file_id, curve, None, None, item.filename)


def _with_ranks(reports: list[ContrastCurveReport]) -> list[ContrastCurveReport]:
    loaded = [i for i, r in enumerate(reports) if r.curve is not None]
    order = sorted(loaded, key=lambda i: _key(reports[i]))
    ranked = list(reports)
    for rank, index in enumerate(order, start=1):
        ranked[index] = replace(reports[index], rank=rank)
    return ranked


def _key(report: ContrastCurveReport) -> tuple[tuple[int, float, float, float], int]:
    assert report.curve is not None
    return report.curve.ranking_key(), report.file_id if report.file_id is not None else 1 << 62


def _export(report: ContrastCurveReport, item: ManifestFile, export_dir: Path) -> ContrastCurveReport:
    assert report.curve is not None
    out = export_dir / f"{item.path.stem}_triceratops.csv"
    provenance = {
        "source": item.provenance(),
        "rank": report.rank,
        "recommended": report.rank == 1,
        "ranking_rule": RANKING_RULE,
    }
    try:
        report.curve.to_triceratops_csv(out, provenance=provenance)
    except ExoFopError as exc:
        return replace(report, error=f"export failed: {exc}")
    return replace(report, exported=out, sidecar=out.with_suffix(".json"))
