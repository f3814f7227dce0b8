"""``exofop cache ls|verify|path|prune``: inspect and maintain the local cache (no network)."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ..units import human_bytes
from ._app import new_app, options
from ._args import JsonOpt, TicOpt, TicsOpt, WideOpt, one_target
from ._complete import complete_target
from ._errors import error_kind, outcome_code, report
from ._help import examples
from ._output import (
    Column,
    emit_json,
    emit_line,
    emit_rows,
    error_line,
    note_line,
    plural,
    warn_line,
)

cache_app = new_app(
    "Inspect and maintain the local cache (never uses the network).",
    epilog=examples(
        ("What is cached, and how much", "exofop cache ls"),
        ("The folder of one target", "exofop cache path TOI-1262"),
        ("Free space: targets not fetched for a month", "exofop cache prune --older-than 30d"),
    ),
)


def _targets_arg(help_text: str) -> Any:
    return typer.Argument(
        metavar="TARGET...", help=help_text, autocompletion=complete_target, show_default=False
    )


TargetsArg = Annotated[
    list[str] | None, _targets_arg("TIC ids or cached TOIs/names (default: every cached target).")
]
PruneTargetsArg = Annotated[
    list[str] | None, _targets_arg("TIC ids or cached TOIs/names to delete (or use --older-than / --all).")
]


def _root(ctx: typer.Context) -> Path:
    """The cache root of this invocation (``--cache-dir``, else ``EXOFOP_CACHE_DIR``, else the platform's)."""
    from ..ops.maintenance import cache_root_for

    return cache_root_for(options(ctx).cache_dir)


@cache_app.command(
    "ls",
    epilog=examples(
        ("Every cached target: TIC, TOIs, files, size, last fetch", "exofop cache ls"),
        ("With each target's folder", "exofop cache ls --wide"),
        ("The total size, for a script", "exofop cache ls --json | jq 'map(.bytes) | add'"),
    ),
)
def cache_ls(ctx: typer.Context, as_json: JsonOpt = False, wide: WideOpt = False) -> None:
    """List cached targets: TIC, TOIs, files, bytes, last fetch."""
    from ..ops.maintenance import scan_cache

    rows = [t.to_dict() for t in scan_cache(_root(ctx))]
    if not as_json:
        for row in rows:
            row["size"] = human_bytes(row["bytes"])
    emit_rows(
        rows,
        # Where each target is kept is what `cache ls` is for: its folder stays before anything but the TIC;
        # the date of the last fetch gives way first.
        [
            Column("tic_id", "TIC", priority=0),
            Column("tois", "TOI", priority=4),
            Column("files", "Files", priority=3, justify="right"),
            Column("size", "Size", priority=2, justify="right"),
            Column("last_fetch", "Last fetch", priority=5),
            Column("path", "Path", priority=1),
        ],
        title=f"{plural(len(rows), 'cached target')} in {_root(ctx)}",
        as_json=as_json,
        wide=wide,
    )


@cache_app.command(
    "path",
    epilog=examples(
        ("The cache root", "exofop cache path"),
        ("Open a target's files", 'cd "$(exofop cache path TOI-1262)/files"'),
    ),
)
def cache_path(
    ctx: typer.Context,
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="TARGET",
            help="A target to locate (default: the cache root).",
            autocompletion=complete_target,
            show_default=False,
        ),
    ] = None,
    tic: TicOpt = None,
) -> None:
    """Print the cache folder (or one target's folder)."""
    from ..ops.maintenance import target_folder

    wanted = None if target is None and tic is None else one_target(target, tic)
    emit_line(str(target_folder(_root(ctx), wanted)))


@cache_app.command(
    "verify",
    epilog=examples(
        ("Check every cached file against its manifest", "exofop cache verify"),
        (
            "One target; `exofop fetch TOI-1262 --verify` re-downloads what is damaged",
            "exofop cache verify TOI-1262",
        ),
    ),
)
def cache_verify(
    ctx: typer.Context, targets: TargetsArg = None, tic: TicsOpt = None, as_json: JsonOpt = False
) -> None:
    """Re-hash cached files against their manifests; name every missing or damaged file."""
    targets = [*(targets or ()), *(str(t) for t in tic or ())]
    from ..ops.maintenance import verify_cache

    result = verify_cache(_root(ctx), targets)
    for missing in result.missing:
        report(missing)  # the error table's line and hint (not found: exit 4)
    if as_json:
        emit_json([r.to_dict() for r in result.reports])
    for verified in result.reports:
        for problem in verified.problems:
            error_line(f"TIC {verified.tic_id}: {problem.path}: {problem.problem}")
        if verified.ok:
            note_line(f"TIC {verified.tic_id}: {verified.checked} files OK")
    # A damaged file is a cache problem (exit 1), a target not cached is not found (4); both, or either
    # next to targets that verified, is partial (3).
    kinds = [*map(error_kind, result.missing), *("cache" for _ in result.damaged)]
    code = outcome_code(kinds, obtained=any(r.ok for r in result.reports))
    if code:
        raise typer.Exit(code)


@cache_app.command(
    "prune",
    epilog=examples(
        ("See what would go, delete nothing", "exofop cache prune --older-than 30d --dry-run"),
        ("Delete two targets without asking", "exofop cache prune TOI-1262 231702397 --yes"),
        ("Empty the cache", "exofop cache prune --all"),
    ),
)
def cache_prune(
    ctx: typer.Context,
    targets: PruneTargetsArg = None,
    tic: TicsOpt = None,
    older_than: Annotated[
        str | None,
        typer.Option(
            "--older-than",
            metavar="AGE",
            help="Only targets not fetched for this long: 30d, 12h, 2w.",
            show_default=False,
        ),
    ] = None,
    everything: Annotated[bool, typer.Option("--all", help="Every cached target.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the plan, delete nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    as_json: JsonOpt = False,
    wide: WideOpt = False,
) -> None:
    """Delete cached targets (named, older than a duration, or all) and stale partial downloads."""
    targets = [*(targets or ()), *(str(t) for t in tic or ())]
    from ..errors import InvalidInputError
    from ..ops.maintenance import execute_prune, plan_prune

    plan = plan_prune(_root(ctx), targets=targets, older_than=older_than, everything=everything)
    items = plural(len(plan.items), "item")
    if as_json:
        emit_json({**plan.to_dict(), "dry_run": dry_run})
    else:  # nothing to prune: no table on a terminal, a bare header row for tools
        emit_rows(
            [{**i.to_dict(), "size": human_bytes(i.bytes)} for i in plan.items],
            # What is deleted is the path: it stays whole; the reason is cut first.
            [
                Column("kind", "Kind", priority=3),
                Column("tic_id", "TIC", priority=1),
                Column("size", "Size", priority=2, justify="right"),
                Column("reason", "Why", priority=4, min_width=12),
                Column("path", "Path", priority=0),
            ],
            title=f"prune plan: {items}, {human_bytes(plan.total_bytes)}" if plan.items else None,
            wide=wide,
        )
    for item in plan.skipped:
        warn_line(f"skipping {item.path}: {item.reason}")
    if not plan.items:
        note_line("nothing to prune")
        return
    if dry_run:
        note_line("dry run: nothing deleted")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInputError(
                "refusing to delete without confirmation", hint="add --yes (or use --dry-run to look)"
            )
        try:
            confirmed = typer.confirm(f"Delete {items} ({human_bytes(plan.total_bytes)})?", err=True)
        except typer.Abort:  # Ctrl-C or end of input at the prompt: an interruption, not an error
            note_line("nothing deleted")
            raise KeyboardInterrupt from None  # the error table's interruption (exit 130)
        if not confirmed:
            note_line("nothing deleted")
            return
    outcome = execute_prune(plan)
    for failure in [*outcome.skipped, *outcome.failed]:
        warn_line(failure)
    note_line(f"deleted {plural(len(outcome.deleted), 'item')}, freed {human_bytes(outcome.freed_bytes)}")
    # A folder that could not be deleted is a cache problem (exit 1), partial (3) when others went.
    code = outcome_code(["cache" for _ in outcome.failed], obtained=bool(outcome.deleted))
    if code:
        raise typer.Exit(code)
