"""``resolve``, ``ls``, ``fetch``, ``summaries``: each parses options, makes one library call, renders."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import config
from ._app import command_app, make_client
from ._complete import complete_kind, complete_target, complete_types
from ._errors import EXIT_OK, EXIT_PARTIAL, exit_code_for, exit_code_for_kind, report
from ._output import (
    emit_json,
    emit_line,
    emit_rows,
    error_line,
    hint_line,
    human_bytes,
    is_quiet,
    note_line,
    warn_line,
)

if TYPE_CHECKING:
    from ..models import ExoFopSelectors

TargetArg = Annotated[
    str,
    typer.Argument(
        help="TIC id, TOI (TOI-1262, 1262.01) or star name.",
        autocompletion=complete_target,
        show_default=False,
    ),
]
TypesOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--types",
        "-t",
        help="File types, repeatable or comma-separated: --types Image,Spectrum.",
        autocompletion=complete_types,
        show_default=False,
    ),
]
RegexOpt = Annotated[
    str | None,
    typer.Option("--regex", "-r", help="Python regex searched in the file name.", show_default=False),
]
TagOpt = Annotated[
    list[int] | None, typer.Option("--tag", help="ExoFOP tag id (repeatable).", min=0, show_default=False)
]
MaxFilesOpt = Annotated[
    int | None,
    typer.Option("--max-files", min=0, help="Keep at most N files (newest first).", show_default=False),
]
InstrumentOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--instrument",
        help="Instrument substring, joined by Tag to the observation tables "
        "(repeatable, case-insensitive): --instrument Alopeke --instrument TRES.",
        show_default=False,
    ),
]
TelescopeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--telescope", help="Telescope substring, joined like --instrument (repeatable).", show_default=False
    ),
]
RefreshOpt = Annotated[bool, typer.Option("--refresh", help="Re-read the file list and summary tables.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")]

resolve_app = command_app()
ls_app = command_app()
fetch_app = command_app()
summaries_app = command_app()

_LS_COLUMNS = [
    ("file_id", "File ID"),
    ("type", "Type"),
    ("filename", "File name"),
    ("date_utc", "Date"),
    ("tag", "Tag"),
    ("toi", "TOI"),
    ("user", "User"),
    ("group", "Group"),
    ("cached", "Cached"),
    ("description", "Description"),
]


def build_selectors(
    types: list[str] | None,
    regex: str | None,
    tags: list[int] | None,
    max_files: int | None,
    instruments: list[str] | None = None,
    telescopes: list[str] | None = None,
) -> "ExoFopSelectors":
    """Selectors from CLI values (``--types A,B`` is split on commas)."""
    from ..models import ExoFopSelectors  # not at import: TAB completion loads this module

    split_types = tuple(t.strip() for value in types or () for t in value.split(",") if t.strip())
    return ExoFopSelectors(
        types=split_types,
        filename_regex=regex,
        tag_ids=tuple(tags or ()),
        max_files=max_files,
        instruments=tuple(i for i in instruments or () if i.strip()),
        telescopes=tuple(t for t in telescopes or () if t.strip()),
    )


@resolve_app.command()
def resolve(ctx: typer.Context, target: TargetArg, as_json: JsonOpt = False) -> None:
    """Resolve a TIC, TOI or name to its TIC id, TOIs and aliases."""
    with make_client(ctx) as client:
        resolved = client.resolve_target(target)
    if as_json:
        emit_json(resolved.to_dict())
        return
    emit_line(f"tic_id\t{resolved.tic_id}")
    emit_line("toi\t" + ", ".join(f"TOI-{t}" for t in resolved.toi))
    emit_line("aliases\t" + ", ".join(resolved.aliases))


@ls_app.command("ls")
def list_files(
    ctx: typer.Context,
    target: TargetArg,
    types: TypesOpt = None,
    regex: RegexOpt = None,
    tag: TagOpt = None,
    max_files: MaxFilesOpt = None,
    instrument: InstrumentOpt = None,
    telescope: TelescopeOpt = None,
    refresh: RefreshOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """List a target's ExoFOP files (from the cached file list unless --refresh)."""
    selectors = build_selectors(types, regex, tag, max_files, instrument, telescope)
    with make_client(ctx) as client:
        listing = client.list_files(target, selectors=selectors, refresh=refresh)
    for warning in listing.warnings:
        warn_line(warning)
    emit_rows(
        listing.to_rows(),
        _LS_COLUMNS,
        title=f"TIC {listing.tic_id}: {len(listing.rows)} files",
        as_json=as_json,
    )


@fetch_app.command()
def fetch(
    ctx: typer.Context,
    targets: Annotated[
        list[str],
        typer.Argument(
            help="One or more TIC ids, TOIs or names.", autocompletion=complete_target, show_default=False
        ),
    ],
    types: TypesOpt = None,
    regex: RegexOpt = None,
    tag: TagOpt = None,
    max_files: MaxFilesOpt = None,
    instrument: InstrumentOpt = None,
    telescope: TelescopeOpt = None,
    no_summaries: Annotated[bool, typer.Option("--no-summaries", help="Skip the summary tables.")] = False,
    refresh: RefreshOpt = False,
    force: Annotated[bool, typer.Option("--force", help="Download the selected files again.")] = False,
    verify: Annotated[
        bool, typer.Option("--verify", help="Re-hash cached files; re-download damaged ones.")
    ] = False,
    archive: Annotated[
        str | None,
        typer.Option(
            "--archive",
            help="Get files from the whole-star archive (zip or tar) instead of one by one.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, max=config.MAX_JOBS, help="Parallel requests to ExoFOP.")
    ] = config.DEFAULT_JOBS,
    as_json: JsonOpt = False,
) -> None:
    """Download files and summary tables into the cache; write manifest.json."""
    selectors = build_selectors(types, regex, tag, max_files, instrument, telescope)
    if archive is not None and archive not in ("zip", "tar"):
        from ..errors import InvalidInputError

        raise InvalidInputError(
            f"--archive must be zip or tar, not {archive!r}", hint="use --archive zip or --archive tar"
        )
    with make_client(ctx, jobs=jobs, progress=True) as client:
        outcomes = client.fetch_many(
            targets,
            selectors=selectors,
            include_summaries=not no_summaries,
            force_refresh=refresh,
            force_download=force,
            verify=verify,
            archive=archive,
        )
    codes = [_render_outcome(target, outcome) for target, outcome in zip(targets, outcomes, strict=True)]
    if as_json:
        emit_json(
            [
                o.to_dict() if not isinstance(o, Exception) else _error_dict(t, o)
                for t, o in zip(targets, outcomes, strict=True)
            ]
        )
    else:
        for outcome in outcomes:
            if not isinstance(outcome, Exception):
                emit_line(f"{outcome.cache_root}\t{outcome.manifest_path}")
    code = _combine(codes)
    if code:
        raise typer.Exit(code)


def _error_dict(target: str, exc: Exception) -> dict[str, Any]:
    kind = getattr(exc, "kind", None)
    return {"target": target, "error": {"kind": kind, "message": str(exc)}, "exit_code": exit_code_for(exc)}


def _render_outcome(target: str, outcome: Any) -> int:
    """stderr summary of one target; its exit code."""
    if isinstance(outcome, Exception):
        return report(outcome)
    for warning in outcome.warnings:
        warn_line(warning)
    for issue in outcome.errors:
        error_line(f"{issue.message} [{issue.kind}]")
    if any(issue.kind == "auth_required" for issue in outcome.errors):
        hint_line("proprietary files need a login: `exofop auth login`, or --cookie-jar with a curl/wget jar")
    if not is_quiet():
        toi = (" (" + ", ".join(f"TOI-{t}" for t in outcome.target.toi) + ")") if outcome.target.toi else ""
        note_line(
            f"TIC {outcome.tic_id}{toi}: {outcome.files_downloaded} downloaded "
            f"({human_bytes(outcome.bytes_downloaded)}), {outcome.files_skipped} already cached, "
            f"{outcome.files_failed} failed"
        )
    if not outcome.errors:
        return EXIT_OK
    kinds = {e.kind for e in outcome.errors}
    if len(kinds) == 1 and not outcome.files:
        # Nothing obtained, for one reason: that reason's code (5 login, 6 network...), not "partial".
        return exit_code_for_kind(kinds.pop())
    return EXIT_PARTIAL


def _combine(codes: list[int]) -> int:
    """One exit code for several targets: the common code, else 3 (partial) when some succeeded or differ."""
    distinct = set(codes)
    if len(distinct) == 1:
        return codes[0]
    return EXIT_PARTIAL


@summaries_app.command()
def summaries(
    ctx: typer.Context,
    target: TargetArg,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            "-k",
            help="Table(s) to show: spect, imaging, tseries, obsnotes, stellar, planet, "
            "uploads (repeatable; default all).",
            autocompletion=complete_kind,
            show_default=False,
        ),
    ] = None,
    refresh: RefreshOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Show a target's ExoFOP summary tables (cached unless --refresh)."""
    kinds = [k.strip() for value in kind or () for k in value.split(",") if k.strip()]
    with make_client(ctx) as client:
        result = client.collect_summaries(target, kinds=kinds or None, refresh=refresh)
    for issue in result.errors:
        error_line(f"{issue.endpoint}: {issue.message} [{issue.kind}]")
    for table in result.tables.values():
        for warning in table.warnings:  # e.g. rows with more fields than the header names
            warn_line(warning)
    if as_json:
        emit_json(result.to_dict())
    else:
        for name, table in result.tables.items():
            columns = [c for c in table.columns if any(row.get(c) for row in table.rows)] or list(
                table.columns
            )
            emit_rows(
                [dict(r) for r in table.rows],
                [(c, c) for c in columns],
                title=f"{name} (TIC {result.tic_id}): {len(table.rows)} rows",
            )
    if result.errors:
        raise typer.Exit(EXIT_PARTIAL if result.tables else exit_code_for_kind(result.errors[0].kind))
