"""``exofop contrast`` and ``exofop lightcurves``: turn cached files into TRICERATOPS(+) inputs."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ._app import command_app, make_client
from ._args import JsonOpt, TargetArg, TicOpt, WideOpt, one_target
from ._complete import complete_contrast_filter, complete_lightcurve_filter
from ._errors import EXIT_OK, outcome_code
from ._help import examples
from ._output import Column, emit_json, emit_rows, error_line, note_line, plural, warn_line

if TYPE_CHECKING:
    from ..ops.contrast import ContrastCurvesResult
    from ..ops.lightcurves import LightCurvesResult

ExportOpt = Annotated[
    Path | None,
    typer.Option(
        "--export",
        metavar="DIR",
        help="Write TRICERATOPS-ready files into this folder (created if missing), each with a <name>.json "
        "provenance sidecar.",
        show_default=False,
    ),
]


class EnvelopeMode(StrEnum):
    """``--envelope`` values."""

    conservative = "conservative"
    none = "none"


class NormalizeMode(StrEnum):
    """``--normalize`` values."""

    oot = "oot"
    median = "median"
    none = "none"


class DetrendMode(StrEnum):
    """``--detrend`` values."""

    none = "none"
    airmass = "airmass"
    linear = "linear"


contrast_app = command_app()
lightcurves_app = command_app()


@contrast_app.command(
    epilog=examples(
        ("The contrast curves among TOI-1262's cached files", "exofop contrast TOI-1262"),
        (
            "Fetch the images, then write CSVs for TRICERATOPS' contrast_curve_file",
            "exofop fetch TOI-1262 --types Image && exofop contrast TOI-1262 --export tricera/",
        ),
    )
)
def contrast(
    ctx: typer.Context,
    target: TargetArg = None,
    tic: TicOpt = None,
    export: ExportOpt = None,
    filters: Annotated[
        list[str] | None,
        typer.Option(
            "--filter",
            metavar="[FILE_ID=]FILT",
            help="Set the band: FILT for every curve or FILE_ID=FILT for one (repeatable). FILT is a "
            "TRICERATOPS filt (TESS, Vis, J, H, K) or a band name from --bands (Ks, Brgamma, 832nm...).",
            autocompletion=complete_contrast_filter,
            show_default=False,
        ),
    ] = None,
    envelope: Annotated[
        EnvelopeMode,
        typer.Option(
            "--envelope",
            metavar="conservative|none",
            case_sensitive=False,
            help="conservative: make delta-mag non-decreasing (running minimum from outside in); none: keep "
            "every measured point (sorted, de-duplicated).",
        ),
    ] = EnvelopeMode.conservative,
    best: Annotated[
        bool, typer.Option("--best", help="Only the recommended curve (the one to give TRICERATOPS+).")
    ] = False,
    bands: Annotated[
        bool, typer.Option("--bands", help="Print how band names map to TRICERATOPS filt, with reasons.")
    ] = False,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """List cached contrast curves; export them for TRICERATOPS."""
    if bands:
        _show_bands(as_json)
        return
    if target is None and tic is None:
        raise typer.BadParameter("give a TARGET or --tic (or --bands)", param_hint="TARGET")
    common, per_file = _parse_filters(filters or [])
    with make_client(ctx) as client:
        result = client.contrast_curves(
            one_target(target, tic),
            filter=common,
            file_filters=per_file,
            envelope=envelope.value,
            best_only=best,
            export_dir=export,
        )
    _render(
        result.to_rows(),
        as_json,
        wide,
        kind=("contrast curve", "contrast curves"),
        # The file and the `filt` TRICERATOPS needs stay; a problem, when there is one, is cut last.
        columns=[
            Column("file_id", "File ID", priority=3),
            Column("filename", "File", priority=0),
            Column("band", "Band", priority=2),
            Column("triceratops_filter", "filt", priority=1),
            Column("instrument", "Instrument", priority=5),
            Column("points", "Points", priority=6, justify="right"),
            Column("dmag_at_0p5_arcsec", 'dmag@0.5"', priority=4, justify="right"),
            Column("rank", "Rank", priority=2, justify="right"),
            Column("envelope", "Envelope", priority=7, min_width=12),
            Column("exported", "Exported", priority=8),
            Column("problem", "Problem", priority=1, min_width=20),
        ],
        export=result.export_dir,
    )
    _contrast_notes(result)
    _exit(result)


def _parse_filters(values: list[str]) -> tuple[str | None, dict[int, str]]:
    """``--filter`` values: one ``FILT`` for every curve, and ``FILE_ID=FILT`` per file."""
    common: str | None = None
    per_file: dict[int, str] = {}
    for value in values:
        key, eq, filt = value.partition("=")
        filt = (filt if eq else key).strip()
        if not filt or (eq and not key.strip().isdigit()):
            raise typer.BadParameter(f"{value!r}: expected FILT or FILE_ID=FILT", param_hint="--filter")
        if eq:
            if per_file.get(int(key), filt) != filt:
                raise typer.BadParameter(
                    f"two filters for file {int(key)} ({per_file[int(key)]!r}, {filt!r})",
                    param_hint="--filter",
                )
            per_file[int(key)] = filt
        elif common is not None and common != filt:
            raise typer.BadParameter(
                f"two filters for every curve ({common!r}, {filt!r}); use FILE_ID=FILT for one file",
                param_hint="--filter",
            )
        else:
            common = filt
    return common, per_file


def _show_bands(as_json: bool) -> None:
    from ..ops.contrast import band_rows

    rows = band_rows()
    if as_json:
        emit_json(rows)
        return
    emit_rows(
        rows,
        [("band", "Band"), ("triceratops_filter", "filt"), ("reason", "Reason"), ("seen", "Where")],
        title="band -> TRICERATOPS filt (contrast curves; TRICERATOPS+ takes the same five)",
    )
    note_line(
        "A refused band needs --filter FILE_ID=FILT. Light curves (TRICERATOPS+ filt_lcs) map separately: "
        "Sloan/Pan-STARRS g r i z spellings (gp, i', zs...), I and Z, J, H, K and Ks; others need "
        "`exofop lightcurves --filter`."
    )


def _contrast_notes(result: "ContrastCurvesResult") -> None:
    if result.recommended is None:
        return
    from ..ops.contrast import RANKING_RULE

    best = result.recommended.to_dict()
    depth = best["dmag_at_0p5_arcsec"]
    at_half = f", {depth:.2f} mag at 0.5 arcsec" if depth is not None else ""
    note_line(
        f"recommended curve (TRICERATOPS+ and TRICERATOPS 1.0.x take one): file {best['file_id']} "
        f"{best['filename']}, filt {best['triceratops_filter']}{at_half}"
    )
    note_line(f"  rule: {RANKING_RULE}")
    exported = [r.to_dict() for r in result.exported]
    if not exported:
        return
    if best["exported"]:
        note_line(
            f"TRICERATOPS+ / TRICERATOPS 1.0.x: contrast_curve_file={best['exported']!r}, "
            f"filt={best['triceratops_filter']!r}"
        )
    if len(exported) > 1:
        files = [r["exported"] for r in exported]
        filts = [r["triceratops_filter"] for r in exported]
        note_line(f"TRICERATOPS 1.1.0 (several curves): contrast_curve_file={files!r}, filt={filts!r}")


@lightcurves_app.command(
    epilog=examples(
        (
            "TOI-1262.01's SG1 light curves, phase-folded on its ephemeris",
            "exofop lightcurves TOI-1262 --period 8.15 --epoch 2458958.7332",
        ),
        (
            "Normalised out of a 3.2 h transit, written for TRICERATOPS+",
            "exofop lightcurves TOI-1262 --period 8.15 --epoch 2458958.7332 --duration 3.2 --export lc/",
        ),
    )
)
def lightcurves(
    ctx: typer.Context,
    period: Annotated[
        float,
        typer.Option("--period", metavar="DAYS", help="Orbital period in days.", show_default=False),
    ],
    epoch: Annotated[
        float,
        typer.Option("--epoch", metavar="BJD", help="Mid-transit time T0 in BJD_TDB.", show_default=False),
    ],
    target: TargetArg = None,
    tic: TicOpt = None,
    band: Annotated[
        str | None,
        typer.Option(
            "--filter",
            metavar="BAND",
            help="Force the filter: g, r, i, z, J, H or K (default: read from each file).",
            autocompletion=complete_lightcurve_filter,
            show_default=False,
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration",
            min=0.0,
            metavar="HOURS",
            help="Transit duration in hours: tells which points are out of transit.",
            show_default=False,
        ),
    ] = None,
    normalize: Annotated[
        NormalizeMode | None,
        typer.Option(
            "--normalize",
            metavar="oot|median|none",
            case_sensitive=False,
            help="Divide by the out-of-transit median (oot; default with --duration), the median of all "
            "points (median; default without) or nothing (none).",
            show_default=False,
        ),
    ] = None,
    detrend: Annotated[
        DetrendMode,
        typer.Option(
            "--detrend",
            metavar="none|airmass|linear",
            case_sensitive=False,
            help="Divide out a baseline linear in AIRMASS or in time, fitted on out-of-transit points "
            "(needs --duration).",
        ),
    ] = DetrendMode.none,
    export: ExportOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Convert cached SG1 light curves for TRICERATOPS+."""
    with make_client(ctx) as client:
        result = client.lightcurves(
            one_target(target, tic),
            period=period,
            epoch=epoch,
            band=band,
            export_dir=export,
            duration_hours=duration,
            normalize=normalize.value if normalize is not None else None,
            detrend=detrend.value,
        )
    _render(
        result.to_rows(),
        as_json,
        wide,
        kind=("light curve", "light curves"),
        columns=[
            Column("file_id", "File ID", priority=3),
            Column("filename", "File", priority=0),
            Column("filter", "Filter", priority=1),
            Column("points", "Points", priority=5, justify="right"),
            Column("normalization", "Normalised", priority=6),
            Column("detrend", "Detrend", priority=7),
            Column("oot_level", "OOT level", priority=4, justify="right"),
            Column("rank", "Rank", priority=2, justify="right"),
            Column("keep", "Keep", priority=2),
            Column("exported", "Exported", priority=8),
            Column("problem", "Problem", priority=1, min_width=20),
        ],
        export=result.export_dir,
    )
    _lightcurve_notes(result)
    _exit(result)


def _lightcurve_notes(result: "LightCurvesResult") -> None:
    from ..ops.lightcurves import KEEP_RULE, MAX_TRICERATOPS_PLUS_FILES

    kept = [r.to_dict() for r in result.kept]
    if result.left_out:
        keep_ids = ", ".join(str(r["file_id"]) for r in kept)
        left_out_ids = ", ".join(str(r.file_id) for r in result.left_out)
        warn_line(
            f"TRICERATOPS+ accepts at most {MAX_TRICERATOPS_PLUS_FILES} external light curves and "
            f"{len(result.ranked)} loaded: keep file ids {keep_ids}; leave out {left_out_ids} "
            f"(rule: {KEEP_RULE})"
        )
    if kept and all(r["exported"] for r in kept):
        files = [r["exported"] for r in kept]
        filts = [r["filter"] for r in kept]
        note_line(f"TRICERATOPS+: external_lc_files={files!r}, filt_lcs={filts!r}")


def _render(
    rows: list[dict[str, Any]],
    as_json: bool,
    wide: bool,
    *,
    kind: tuple[str, str],
    columns: list[Column],
    export: Path | None,
) -> None:
    if as_json:
        emit_json(rows)
    else:
        # A plot-only upload or a skipped file has no curve and no error: its note or reason fills the
        # Problem column, and the title counts it apart, so that an empty row never passes for a curve.
        counts = {s: sum(1 for r in rows if r["status"] == s) for s in ("plot only", "skipped")}
        title = plural(len(rows) - sum(counts.values()), *kind)
        if counts["plot only"]:
            title += f", {plural(counts['plot only'], 'plot')} without numbers"
        if counts["skipped"]:
            title += f", {counts['skipped']} skipped"
        table = [
            {**r, "problem": r["error"] or (f"skipped: {r['skipped']}" if r["skipped"] else r.get("note"))}
            for r in rows
        ]
        emit_rows(table, columns, title=title if rows else None, wide=wide)
    for row in rows:
        if row["error"]:
            error_line(f"{row['filename']}: {row['error']}")
        elif row["skipped"]:
            # Never a silent skip: a file that looked like one of these and is not says why, JSON or not.
            warn_line(f"{row['filename']}: skipped: {row['skipped']}")
    if not as_json:
        # What was done to the data (points lowered to make a curve monotonic, an epoch read as BTJD...)
        # must not need --json to be seen; JSON carries it in each row.
        for row in rows:
            for warning in row["warnings"]:
                warn_line(f"{row['filename']}: {warning}")
    if export is not None and rows:
        # The Exported column is among the first to give way on a narrow terminal: say where files went.
        exported = sum(1 for r in rows if r.get("exported"))
        note_line(f"exported {plural(exported, 'file')} to {export}")
    if not rows:
        # The target was fetched (manifest_path_for checked): it has none, or a --types filter left them out.
        note_line(f"no {kind[1]} among this target's cached files")


def _exit(result: "ContrastCurvesResult | LightCurvesResult") -> None:
    """Exit 3 when a file failed, or when files were found and none could be converted."""
    # Each file that failed is a "conversion" failure, and so is finding files of which none converted
    # (skipped ones, plots without numbers): a partial result, whatever else was obtained.
    kinds = ["conversion" for _ in result.failed]
    if result.reports and not result.converted:
        error_line("nothing could be converted")
        kinds.append("conversion")
    code = outcome_code(kinds, obtained=bool(result.converted))
    if code != EXIT_OK:
        raise typer.Exit(code)
