"""``exofop toi`` and ``exofop ctoi``: the TOI and community TOI catalogues, cached, filtered, for pipes."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

from typing import Annotated, Any

import typer

from ..remote.endpoints import KNOWN_DISPOSITIONS
from ._app import command_app, make_client
from ._args import JsonOpt, TicsOpt
from ._errors import EXIT_NOT_FOUND, EXIT_PARTIAL
from ._help import examples
from ._output import emit_csv, emit_json, emit_line, emit_rows, hint_line, note_line, warn_line

toi_app = command_app()
ctoi_app = command_app()

# The disposition codes the filters accept besides those in today's table (from `remote.endpoints`, which
# imports next to nothing: this module loads on every TAB after `exofop toi`).
_ACCEPTED = f"{', '.join(sorted(KNOWN_DISPOSITIONS))}, or any other value the table holds"

IdsArg = Annotated[
    list[str] | None,
    typer.Argument(
        help="Only these: TOIs (TOI-1262 a system, 1262.01 a planet), TIC ids or names; a bare number "
        "matches a TOI system or a TIC id.",
        metavar="TARGET...",
        show_default=False,
    ),
]
DispositionOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--disposition",
        help=f"TFOPWG disposition(s), comma-separated or repeated: {_ACCEPTED}.",
        metavar="CODE[,CODE...]",
        show_default=False,
    ),
]
SectorOpt = Annotated[
    list[int] | None,
    typer.Option("--sector", min=1, metavar="N", help="Observed in sector N (repeatable: any of them)."),
]
MaxAgeOpt = Annotated[
    str,
    typer.Option(
        "--max-age",
        metavar="AGE",
        help="Download the table again when the cached copy is older: 1d, 12h, 30m.",
    ),
]
RefreshOpt = Annotated[
    bool,
    typer.Option(
        "--refresh", "--force-refresh", help="Download the table again now (--force-refresh: same)."
    ),
]
CsvOpt = Annotated[bool, typer.Option("--csv", help="Print the selected rows, every column, as CSV.")]
IdsOpt = Annotated[bool, typer.Option("--ids", help="Print one target per line (for `exofop fetch -`).")]

_TOI_COLUMNS = [
    ("TOI", "TOI"),
    ("TIC ID", "TIC"),
    ("TFOPWG Disposition", "TFOPWG"),
    ("TESS Disposition", "TESS"),
    ("Period (days)", "Period (d)"),
    ("Depth (ppm)", "Depth (ppm)"),
    ("Planet Radius (R_Earth)", "Rp (R_E)"),
    ("Sectors", "Sectors"),
    ("Comments", "Comments"),
]
_CTOI_COLUMNS = [
    ("CTOI", "CTOI"),
    ("TIC ID", "TIC"),
    ("Promoted to TOI", "TOI"),
    ("TFOPWG Disposition", "TFOPWG"),
    ("User Disposition", "User disp."),
    ("Period (days)", "Period (d)"),
    ("Depth ppm", "Depth (ppm)"),
    ("Notes", "Notes"),
]


@toi_app.command(
    "toi",
    epilog=examples(
        ("Every TOI (the table is cached for a day)", "exofop toi"),
        ("Planet candidates seen in sector 9", "exofop toi --disposition PC --sector 9"),
        (
            "Fetch the speckle curves of every PC",
            "exofop toi --disposition PC --ids | exofop fetch - --types Image --regex sensitivity",
        ),
        ("One system as CSV, for pandas", "exofop toi TOI-1262 --csv"),
    ),
)
def toi(
    ctx: typer.Context,
    targets: IdsArg = None,
    tic: TicsOpt = None,
    disposition: DispositionOpt = None,
    tess_disposition: Annotated[
        list[str] | None,
        typer.Option(
            "--tess-disposition",
            help=f"TESS project disposition(s): {_ACCEPTED}.",
            metavar="CODE[,CODE...]",
            show_default=False,
        ),
    ] = None,
    sector: SectorOpt = None,
    max_age: MaxAgeOpt = "1d",
    refresh: RefreshOpt = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    ids: IdsOpt = False,
) -> None:
    """Show the TOI table (cached for a day), filtered; --ids for pipes."""
    _catalog(
        ctx,
        "toi",
        _with_tics(targets, tic),
        disposition,
        tess_disposition,
        sector,
        max_age,
        refresh,
        as_json,
        as_csv,
        ids,
    )


@ctoi_app.command(
    "ctoi",
    epilog=examples(
        ("Every community TOI", "exofop ctoi"),
        ("Those TFOPWG judged false positives, as TIC ids", "exofop ctoi --disposition FP --ids"),
    ),
)
def ctoi(
    ctx: typer.Context,
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="Only these: CTOIs (287328866.01), TIC ids or names.",
            metavar="TARGET...",
            show_default=False,
        ),
    ] = None,
    tic: TicsOpt = None,
    disposition: DispositionOpt = None,
    user_disposition: Annotated[
        list[str] | None,
        typer.Option(
            "--user-disposition",
            help=f"The submitter's disposition(s): {_ACCEPTED}.",
            metavar="CODE[,CODE...]",
            show_default=False,
        ),
    ] = None,
    sector: SectorOpt = None,
    max_age: MaxAgeOpt = "1d",
    refresh: RefreshOpt = False,
    as_json: JsonOpt = False,
    as_csv: CsvOpt = False,
    ids: IdsOpt = False,
) -> None:
    """Show the community TOI table (cached for a day), filtered; --ids for pipes."""
    _catalog(
        ctx,
        "ctoi",
        _with_tics(targets, tic),
        disposition,
        user_disposition,
        sector,
        max_age,
        refresh,
        as_json,
        as_csv,
        ids,
    )


def _with_tics(targets: list[str] | None, tics: list[int] | None) -> list[str]:
    """The targets plus each ``--tic N`` as ``TIC N`` (a TIC id only: a bare number would match a TOI too)."""
    return [*(targets or ()), *(f"TIC {t}" for t in tics or ())]


def _catalog(
    ctx: typer.Context,
    kind: str,
    targets: list[str] | None,
    dispositions: list[str] | None,
    others: list[str] | None,
    sectors: list[int] | None,
    max_age: str,
    refresh: bool,
    as_json: bool,
    as_csv: bool,
    ids: bool,
) -> None:
    from ..ops.catalogs import absent_targets, catalog_filter, human_age, row_ids, select_catalog_rows

    if sum((as_json, as_csv, ids)) > 1:
        raise typer.BadParameter("choose one of --json, --csv and --ids")
    with make_client(ctx, progress=True) as client:
        load = client.toi_table if kind == "toi" else client.ctoi_table
        catalog = load(max_age=max_age, refresh=refresh)
        flt = catalog_filter(
            kind,
            targets=targets or (),
            dispositions=dispositions or (),
            tess_dispositions=others or (),
            sectors=sectors or (),
            resolver=client.resolver,
        )
    rows = select_catalog_rows(catalog, flt)
    for note in catalog.notes:
        warn_line(note)
    origin = f"cached {human_age(catalog.age_seconds())} ago" if catalog.from_cache else "downloaded now"
    note_line(f"{kind.upper()} table: {len(rows)} of {len(catalog.rows)} rows ({origin})")
    absent = absent_targets(catalog, flt)
    for text in absent:
        warn_line(f"{text} is not in the {kind.upper()} table")
    if absent and catalog.from_cache:
        hint_line("--refresh downloads the table again, if it is newer than the copy")
    if ids:
        for line in row_ids(kind, catalog, rows):
            emit_line(line)
    elif as_csv:
        emit_csv(catalog.columns, rows)
    elif as_json:
        emit_json(_json_rows(kind, catalog, rows))
    else:
        wanted = _TOI_COLUMNS if kind == "toi" else _CTOI_COLUMNS
        columns = [(name, header) for name, header in wanted if name in catalog.columns]
        emit_rows(rows, columns)
    if absent:
        # As for fetch: some of the named targets missing is a partial result, all of them "not found".
        raise typer.Exit(EXIT_NOT_FOUND if len(absent) == len(flt.named) else EXIT_PARTIAL)


def _json_rows(kind: str, catalog: Any, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if kind != "toi":
        return [dict(r) for r in rows]
    from ..remote.catalogs import toi_rows
    from ..remote.tables import Table

    return [r.to_dict() for r in toi_rows(Table(columns=catalog.columns, rows=tuple(rows)))]
