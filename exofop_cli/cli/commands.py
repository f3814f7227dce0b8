"""``resolve``, ``ls``, ``fetch``, ``summaries``: each parses options, makes one library call, renders."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .. import config
from ..units import human_bytes
from ._app import command_app, make_client
from ._args import (
    InstrumentOpt,
    JsonOpt,
    MaxFilesOpt,
    RefreshOpt,
    RegexOpt,
    TagOpt,
    TargetArg,
    TargetsArg,
    TelescopeOpt,
    TicOpt,
    TicsOpt,
    TypesOpt,
    WideOpt,
    all_targets,
    build_selectors,
    one_target,
)
from ._complete import complete_archive, complete_kind
from ._errors import combine_codes, error_dict, outcome_code, report
from ._help import examples
from ._output import (
    Column,
    emit_csv,
    emit_json,
    emit_line,
    emit_rows,
    error_line,
    hint_line,
    is_quiet,
    note_line,
    plural,
    stdout_is_terminal,
    warn_line,
)

resolve_app = command_app()
ls_app = command_app()
fetch_app = command_app()
summaries_app = command_app()

# On a narrow terminal the file name always stays whole; then, in this order of need: its id (the cached
# file is `<id>_<name>`, and names repeat), whether it is cached (what `ls` is for), type, date, the
# description (cut with "…" first); tag, TOI (one per star, usually), user and group (nearly always "tfopwg") give way first.
_LS_COLUMNS = [
    Column("file_id", "File ID", priority=1),
    Column("type", "Type", priority=3),
    Column("filename", "File name", priority=0),
    Column("date_utc", "Date", priority=4),
    Column("tag", "Tag", priority=6),
    Column("toi", "TOI", priority=7),
    Column("user", "User", priority=8),
    Column("group", "Group", priority=9),
    Column("cached", "Cached", priority=2),
    Column("description", "Description", priority=5, min_width=16),
]


@resolve_app.command(
    epilog=examples(
        ("A TOI (TOI-1262, TOI 1262.01 and 1262.01 work too)", "exofop resolve TOI-1262"),
        ("A star name, as JSON", "exofop resolve 'HD 104654' --json"),
        ("Just the TIC id, for a script", "exofop resolve TOI-1262 --json | jq .tic_id"),
    )
)
def resolve(
    ctx: typer.Context, target: TargetArg = None, tic: TicOpt = None, as_json: JsonOpt = False
) -> None:
    """Resolve a TIC, TOI or name to its TIC id, TOIs and aliases."""
    with make_client(ctx) as client:
        resolved = client.resolve_target(one_target(target, tic))
    data = resolved.to_dict()
    if as_json:
        emit_json(data)
        return
    # The same fields, names and values as --json, one `key<TAB>value` line each: the TOI as "1262.01"
    # (the manifest's and the ls table's form; the key says it is a TOI), lists joined by ", ", aliases
    # as "catalogue: name".
    for key, value in data.items():
        emit_line(f"{key}\t{_plain(value)}")


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


@ls_app.command(
    "ls",
    epilog=examples(
        ("Every file of TOI-1262's star, and which are cached", "exofop ls TOI-1262"),
        ("Only spectra and images, the newest 5", "exofop ls TOI-1262 --types Spectrum,Image --max-files 5"),
        (
            "Files of one instrument (joined by Tag to the observation tables)",
            "exofop ls TOI-1262 --instrument Alopeke",
        ),
        ("The file names, for a script", "exofop ls TOI-1262 --json | jq -r '.[].filename'"),
    ),
)
def list_files(
    ctx: typer.Context,
    target: TargetArg = None,
    tic: TicOpt = None,
    types: TypesOpt = None,
    regex: RegexOpt = None,
    tag: TagOpt = None,
    max_files: MaxFilesOpt = None,
    instrument: InstrumentOpt = None,
    telescope: TelescopeOpt = None,
    refresh: RefreshOpt = False,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """List a target's ExoFOP files (from the cached file list unless --refresh)."""
    selectors = build_selectors(types, regex, tag, max_files, instrument, telescope)
    with make_client(ctx) as client:
        listing = client.list_files(one_target(target, tic), selectors=selectors, refresh=refresh)
    for warning in listing.warnings:
        warn_line(warning)
    emit_rows(
        listing.to_rows(),
        _LS_COLUMNS,
        title=f"TIC {listing.tic_id}: {plural(len(listing.rows), 'file')}",
        as_json=as_json,
        wide=wide,
    )


@fetch_app.command(
    epilog=examples(
        (
            "TOI-1262's TRES spectra (a second run makes no request)",
            "exofop fetch TOI-1262 --types Spectrum --regex TRES",
        ),
        ("Everything of two stars, 8 downloads at a time", "exofop fetch TOI-1262 231702397 --jobs 8"),
        (
            "Images and light curves, without the summary tables",
            "exofop fetch TOI-1262 -t Image,Light_Curve --no-summaries",
        ),
        ("The spec's form", "exofop fetch --tic 365938305 --types Image Spectrum"),
        ("What a fetch would do, without doing it", "exofop fetch TOI-1262 --types Spectrum --dry-run"),
        ("A self-contained report folder", "exofop fetch TOI-1262 --types Image --to report/"),
    )
)
def fetch(
    ctx: typer.Context,
    targets: TargetsArg = None,
    tic: TicsOpt = None,
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
        str,
        typer.Option(
            "--archive",
            metavar="auto|zip|tar|off",
            help="auto: take a whole star from its zip when that saves round trips (the default); zip or "
            "tar: always use the star's archive; off: ask for each file by id.",
            autocompletion=complete_archive,
        ),
    ] = config.DEFAULT_ARCHIVE,
    from_file: Annotated[
        Path | None,
        typer.Option(
            "--from",
            metavar="FILE",
            help="Read targets from FILE, one per line (# comments and blank lines skipped); - is stdin.",
            show_default=False,
        ),
    ] = None,
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            max=config.MAX_JOBS,
            metavar="N",
            help=f"Parallel requests to ExoFOP (1 to {config.MAX_JOBS}).",
        ),
    ] = config.DEFAULT_JOBS,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            "-n",
            help="Show what would be downloaded, what is cached and what needs a login; download and write"
            " nothing.",
        ),
    ] = False,
    to: Annotated[
        Path | None,
        typer.Option(
            "--to",
            metavar="DIR",
            help="Also put the selected files in DIR under their ExoFOP names (hard links when possible),"
            " with DIR/manifest.json; several stars get DIR/tic_<id>/ each. Prints DIR and its manifest.",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Download files and summary tables into the cache; write manifest.json."""
    targets = all_targets(_with_listed(targets, from_file), tic)
    selectors = build_selectors(types, regex, tag, max_files, instrument, telescope)
    options: dict[str, Any] = dict(
        selectors=selectors,
        include_summaries=not no_summaries,
        force_refresh=refresh,
        force_download=force,
        verify=verify,
        archive=archive,
    )
    if dry_run:
        from ._plan_view import render_plans

        with make_client(ctx, jobs=jobs) as client:
            plans = client.plan_fetch_many(targets, **options)
        code = render_plans(targets, plans, as_json=as_json, wide=wide, to=to)
        if code:
            raise typer.Exit(code)
        return
    with make_client(ctx, jobs=jobs, progress=True) as client:
        outcomes = client.fetch_many(targets, to=to, **options)
    codes = _render_outcomes(targets, outcomes)
    if as_json:
        emit_json(
            [
                o.to_dict() if not isinstance(o, Exception) else error_dict(t, o)
                for t, o in zip(targets, outcomes, strict=True)
            ]
        )
    else:
        for outcome in _distinct(outcomes):
            if isinstance(outcome, Exception):
                continue
            if outcome.placed_manifest_path is not None:  # --to: the folder the user asked for
                emit_line(f"{outcome.placed_manifest_path.parent}\t{outcome.placed_manifest_path}")
            else:
                emit_line(f"{outcome.cache_root}\t{outcome.manifest_path}")
    code = combine_codes(codes)
    if code:
        raise typer.Exit(code)


def _with_listed(targets: list[str] | None, from_file: Path | None) -> list[str]:
    """Targets given as arguments, with those of ``-`` (stdin) and ``--from FILE`` in their place."""
    from ..targets import target_lines

    out: list[str] = []
    listed = False
    for target in targets or ():
        if target == "-":
            out += target_lines(sys.stdin.read())
            listed = True
        else:
            out.append(target)
    if from_file is not None:
        text = sys.stdin.read() if str(from_file) == "-" else _read_list(from_file)
        out += target_lines(text)
        listed = True
    if listed and not out:
        raise typer.BadParameter("the target list holds no target", param_hint="- / --from")
    return out


def _read_list(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror or exc}", param_hint="--from") from exc


def _distinct(outcomes: list[Any]) -> list[Any]:
    """Outcomes once each: targets naming one star share theirs."""
    seen: set[int] = set()
    out = []
    for outcome in outcomes:
        if id(outcome) not in seen:
            seen.add(id(outcome))
            out.append(outcome)
    return out


def _render_outcomes(targets: list[str], outcomes: list[Any]) -> list[int]:
    """stderr summary of each star once (saying which targets named the same star); the exit codes."""
    named: dict[int, list[str]] = {}
    for target, outcome in zip(targets, outcomes, strict=True):
        named.setdefault(id(outcome), []).append(target)
    codes = []
    distinct = _distinct(outcomes)
    for outcome in distinct:
        names = named[id(outcome)]
        if len(names) > 1 and not isinstance(outcome, Exception):
            note_line(f"{' and '.join(names)} name the same star (TIC {outcome.tic_id}): fetched once")
        codes.append(_render_outcome(names[0], outcome, several=len(distinct) > 1))
    return codes


def _render_outcome(target: str, outcome: Any, *, several: bool = False) -> int:
    """stderr summary of one target (its warnings and errors name the star when there are several)."""
    if isinstance(outcome, Exception):
        return report(outcome)
    star = f"TIC {outcome.tic_id}: " if several else ""
    for warning in outcome.warnings:
        warn_line(star + warning)
    for issue in outcome.errors:
        error_line(f"{star}{issue.message} [{issue.kind}]")
    if any(issue.kind == "auth_required" for issue in outcome.errors):
        hint_line("proprietary files need a login: `exofop auth login`, or --cookie-jar with a curl/wget jar")
    if not is_quiet():
        tois = outcome.target.tois
        toi = (" (" + ", ".join(f"TOI-{t}" for t in tois) + ")") if tois else ""
        note_line(
            f"TIC {outcome.tic_id}{toi}: {outcome.n_downloaded} downloaded "
            f"({human_bytes(outcome.bytes_downloaded)}), {outcome.n_skipped} already cached, "
            f"{outcome.n_failed} failed"
        )
        if outcome.placed_manifest_path is not None:
            folder = outcome.placed_manifest_path.parent
            note_line(f"TIC {outcome.tic_id}: {plural(len(outcome.placed), 'file')} in {folder}")
    return outcome_code((e.kind for e in outcome.errors), obtained=bool(outcome.files))


@summaries_app.command(
    epilog=examples(
        (
            "Spectroscopy and imaging observations of TOI-1262",
            "exofop summaries TOI-1262 --kind spect,imaging",
        ),
        (
            "One table as a TSV file (pandas.read_csv(path, sep='\\t') reads it)",
            "exofop summaries TOI-1262 --kind tseries > tseries.tsv",
        ),
        ("Every table, as JSON: rows by kind", "exofop summaries TOI-1262 --json"),
        (
            "The spectroscopy table as CSV, for pandas",
            "exofop summaries TOI-1262 --kind spect --csv > spect.csv",
        ),
    )
)
def summaries(
    ctx: typer.Context,
    target: TargetArg = None,
    tic: TicOpt = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind",
            "-k",
            metavar="KIND[,KIND...]",
            help="Table(s) to show: spect, imaging, tseries, obsnotes, stellar, planet, uploads, nearby, "
            "companions (repeatable or comma-separated; default all).",
            autocompletion=complete_kind,
            show_default=False,
        ),
    ] = None,
    refresh: RefreshOpt = False,
    as_json: JsonOpt = False,
    as_csv: Annotated[
        bool,
        typer.Option(
            "--csv", help="Print the tables as one CSV (a leading kind column, then every table's columns)."
        ),
    ] = False,
    wide: WideOpt = False,
) -> None:
    """Show a target's ExoFOP summary tables (cached unless --refresh)."""
    if as_json and as_csv:
        raise typer.BadParameter("choose one of --json and --csv")
    kinds = [k.strip() for value in kind or () for k in value.split(",") if k.strip()]
    with make_client(ctx) as client:
        result = client.collect_summaries(one_target(target, tic), kinds=kinds or None, refresh=refresh)
    for n, issue in enumerate(result.errors):
        last = n == len(result.errors) - 1  # what to try, once, after the tables that failed
        error_line(
            f"{issue.endpoint}: {issue.message} [{issue.kind}]",
            hint="; ".join(result.hints) if last else None,
        )
    for warning in result.notes:
        warn_line(warning)
    for table in result.tables.values():
        for warning in table.warnings:  # e.g. rows with more fields than the header names
            warn_line(warning)
    if result.tables or not result.errors:  # else stdout stays empty (no lone header, no "{}")
        _show_summaries(result, as_json=as_json, as_csv=as_csv, wide=wide)
    if result.errors:
        raise typer.Exit(outcome_code((e.kind for e in result.errors), obtained=bool(result.tables)))


def _show_summaries(result: Any, *, as_json: bool, as_csv: bool, wide: bool) -> None:
    """The tables on stdout: JSON, one CSV, tables on a terminal, or one TSV when piped."""
    if as_json:
        emit_json(result.to_dict())
    elif as_csv:
        columns, rows = _one_table(result)
        emit_csv(["kind", *columns], [{**r, "kind": r[_KIND_KEY]} for r in rows])
    elif stdout_is_terminal():
        for name, table in result.tables.items():
            emit_rows(
                result.display_rows(name),
                [_summary_column(c, i, name) for i, c in enumerate(table.columns)],
                title=f"{name} (TIC {result.tic_id}): {plural(len(table.rows), 'row')}",
                wide=wide,
            )
    else:
        _emit_summaries_tsv(result)


# ExoFOP's summary tables have 15 to 60 columns: on a narrow terminal the table's leading columns stay
# (TOI, telescope, instrument...), the observation date is kept up front, notes are cut with "…", and what
# the title already says (the TIC) or rarely tells one row from another (user, group, tag ids) goes first.
_SUMMARY_PRIORITY = {
    "obs date": 5,
    "date": 5,
    "lastmod": 150,
    "tag": 160,
    "tag id": 160,
    "user": 170,
    "username": 170,
    "id": 175,
    "group": 180,
    "groupname": 180,
    "tic": 190,
    "tic id": 190,
}
_SUMMARY_FREE_TEXT = frozenset({"notes", "note", "comments", "comment", "description"})
# Tables whose rows are other stars or companions: there the key columns are the star's TIC ID (nearby), how
# far it is and how bright, and a companion's separation and delta-mag, kept before anything else. Keyed by
# name with case, spaces and punctuation dropped ("Distance(pc)" = "Distance (pc)"); spellings the real
# headers may use (the companions header is not public) are listed too.
_SUMMARY_KEYS_BY_KIND = {
    "nearby": {
        "ticid": 0,
        "separationarcsec": 1,
        "separation": 1,
        "tessmag": 2,
        "tmag": 2,
        "deltamag": 2,
        "distancepc": 3,
        "distance": 3,
        "toi": 4,
    },
    "companions": {
        "deltamag": 1,
        "dmag": 1,
        "separationarcsec": 1,
        "separation": 1,
        "sep": 1,
        "filter": 2,
        "filt": 2,
        "positionangledeg": 3,
        "pa": 3,
        "obsdate": 6,
    },
}


def _summary_column(name: str, index: int, kind: str = "") -> Column:
    import re

    key = name.strip().lower()
    by_kind = _SUMMARY_KEYS_BY_KIND.get(kind, {}).get(re.sub(r"[^0-9a-z]", "", key))
    if by_kind is not None:
        return Column(name, name, priority=by_kind)
    if key in _SUMMARY_FREE_TEXT:
        return Column(name, name, priority=25, min_width=16)
    return Column(name, name, priority=_SUMMARY_PRIORITY.get(key, 10 + index))


def _one_table(result: Any) -> tuple[list[str], list[dict[str, Any]]]:
    """Every table's columns (in order, once) and all rows, each keyed with its kind; counts on stderr."""
    columns: dict[str, None] = {}
    rows: list[dict[str, Any]] = []
    for name, table in result.tables.items():
        note_line(f"{name} (TIC {result.tic_id}): {plural(len(table.rows), 'row')}")
        columns.update(dict.fromkeys(table.columns))
        rows += [{**r, _KIND_KEY: name} for r in result.display_rows(name)]
    return list(columns), rows


def _emit_summaries_tsv(result: Any) -> None:
    """All the tables as ONE plain TSV for tools: a leading ``kind`` column, then every table's columns."""
    columns, rows = _one_table(result)
    emit_rows(rows, [Column(_KIND_KEY, "kind"), *(Column(c, c) for c in columns)])


_KIND_KEY = "\0kind"  # a row key no ExoFOP column can have
