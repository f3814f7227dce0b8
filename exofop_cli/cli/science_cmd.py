"""``exofop contrast`` and ``exofop lightcurves``: turn cached files into TRICERATOPS(+) inputs."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

from pathlib import Path
from typing import Annotated

import typer

from ._app import command_app, make_client
from ._args import JsonOpt, TargetArg, TicOpt, WideOpt, one_target
from ._errors import EXIT_PARTIAL
from ._help import examples
from ._output import Column, emit_json, emit_rows, error_line, note_line, plural, warn_line

ExportOpt = Annotated[
    Path | None,
    typer.Option(
        "--export",
        metavar="DIR",
        help="Write TRICERATOPS-ready files into this folder (created if missing).",
        show_default=False,
    ),
]

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
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """List cached contrast curves; export them for TRICERATOPS."""
    from ..ops.contrast import collect_contrast_curves

    with make_client(ctx) as client:
        manifest = client.manifest_path_for(one_target(target, tic))
    reports = collect_contrast_curves(manifest, export_dir=export)
    _render(
        [r.to_dict() for r in reports],
        as_json,
        wide,
        kind=("contrast curve", "contrast curves"),
        # The file and the `filt` TRICERATOPS needs stay; a problem, when there is one, is cut last.
        columns=[
            Column("file_id", "File ID", priority=3),
            Column("filename", "File", priority=0),
            Column("band", "Band", priority=2),
            Column("triceratops_filter", "filt", priority=1),
            Column("instrument", "Instrument", priority=4),
            Column("points", "Points", priority=5, justify="right"),
            Column("exported", "Exported", priority=6),
            Column("problem", "Problem", priority=1, min_width=20),
        ],
        export=export,
    )


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
            show_default=False,
        ),
    ] = None,
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration",
            min=0.0,
            metavar="HOURS",
            help="Transit duration in hours: normalise by the out-of-transit median (default: median of all).",
            show_default=False,
        ),
    ] = None,
    export: ExportOpt = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Convert cached SG1 light curves for TRICERATOPS+."""
    from ..ops.lightcurves import collect_lightcurves

    with make_client(ctx) as client:
        manifest = client.manifest_path_for(one_target(target, tic))
    reports = collect_lightcurves(
        manifest, period=period, epoch=epoch, band=band, export_dir=export, duration_hours=duration
    )
    _render(
        [r.to_dict() for r in reports],
        as_json,
        wide,
        kind=("light curve", "light curves"),
        columns=[
            Column("file_id", "File ID", priority=3),
            Column("filename", "File", priority=0),
            Column("filter", "Filter", priority=1),
            Column("points", "Points", priority=4, justify="right"),
            Column("exported", "Exported", priority=5),
            Column("problem", "Problem", priority=1, min_width=20),
        ],
        export=export,
    )


def _render(
    rows: list[dict[str, object]],
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
        # A plot-only upload has no curve and no error: its note fills the Problem column, and the title
        # counts it apart, so that an empty row never passes for a curve.
        plots = sum(1 for r in rows if r.get("note") and not r.get("error"))
        title = plural(len(rows) - plots, *kind) + (
            f", {plural(plots, 'plot')} without numbers" if plots else ""
        )
        table = [{**r, "problem": r.get("error") or r.get("note")} for r in rows]
        emit_rows(table, columns, title=title if rows else None, wide=wide)
    failed = [r for r in rows if r.get("error")]
    for row in failed:
        error_line(f"{row.get('filename')}: {row.get('error')}")
    if not as_json:
        # What was done to the data (points lowered to make a curve monotonic, an epoch read as BTJD...)
        # must not need --json to be seen; JSON carries it in each row.
        for row in rows:
            warnings = row.get("warnings")
            for warning in warnings if isinstance(warnings, list) else []:
                warn_line(f"{row.get('filename')}: {warning}")
    if export is not None and rows:
        # The Exported column is among the first to give way on a narrow terminal: say where files went.
        exported = sum(1 for r in rows if r.get("exported"))
        note_line(f"exported {plural(exported, 'file')} to {export}")
    if not rows:
        # The target was fetched (manifest_path_for checked): it has none, or a --types filter left them out.
        note_line(f"no {kind[1]} among this target's cached files")
    if failed:
        raise typer.Exit(EXIT_PARTIAL)
