"""``exofop toi`` and ``exofop ctoi``: the TOI and community TOI catalogues, cached, filtered, for pipes."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

from typing import Annotated

import typer

from ..remote.endpoints import KNOWN_DISPOSITIONS
from ._app import command_app, make_client
from ._args import JsonOpt, TicsOpt
from ._errors import outcome_code
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
    targets: list[str],
    dispositions: list[str] | None,
    others: list[str] | None,
    sectors: list[int] | None,
    max_age: str,
    refresh: bool,
    as_json: bool,
    as_csv: bool,
    ids: bool,
) -> None:
    """Parse, select the rows in the library, render them; exit 4/3 when all/some named targets are absent."""
    if sum((as_json, as_csv, ids)) > 1:
        raise typer.BadParameter("choose one of --json, --csv and --ids")
    with make_client(ctx, progress=True) as client:
        selection = client.catalog(
            kind,
            targets=targets,
            dispositions=dispositions or (),
            other_dispositions=others or (),
            sectors=sectors or (),
            max_age=max_age,
            refresh=refresh,
        )
    for note in selection.notes:
        warn_line(note)
    age = selection.age_text()
    origin = "downloaded now" if age is None else f"cached {age} ago"
    note_line(f"{kind.upper()} table: {len(selection.rows)} of {selection.total} rows ({origin})")
    for text in selection.absent:
        warn_line(f"{text} is not in the {kind.upper()} table")
    if selection.absent and selection.from_cache:
        hint_line("--refresh downloads the table again, if it is newer than the copy")
    if selection.absent and not selection.rows:
        pass  # every named target is missing: an error, and no lone header or "[]" on stdout
    elif ids:
        for line in selection.ids():
            emit_line(line)
    elif as_csv:
        emit_csv(selection.columns, selection.rows)
    elif as_json:
        emit_json(selection.to_json_rows())
    else:
        emit_rows(selection.rows, selection.shown_columns)
    # As for fetch: some of the named targets missing is a partial result, all of them "not found".
    code = outcome_code(selection.exit_kinds, obtained=selection.obtained)
    if code:
        raise typer.Exit(code)
