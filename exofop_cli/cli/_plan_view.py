"""How ``fetch --dry-run`` shows its plans: one row per selected file on stdout, a sentence per star on stderr."""

from pathlib import Path
from typing import Any

from ..units import human_bytes
from ._errors import EXIT_OK, combine_codes, error_dict, report
from ._output import Column, emit_json, emit_rows, is_quiet, note_line, plural, warn_line

# The file name stays whole; the action is what the user asked for; the rest gives way on a narrow terminal.
PLAN_COLUMNS = [
    Column("action", "Action", priority=0),
    Column("filename", "File name", priority=0),
    Column("file_id", "File ID", priority=1),
    Column("type", "Type", priority=3),
    Column("bytes", "Bytes", priority=2, justify="right"),
    Column("tic_id", "TIC", priority=4),
]


def render_plans(
    targets: list[str], outcomes: list[Any], *, as_json: bool, wide: bool, to: Path | None
) -> int:
    """Print the plans (rows or JSON on stdout, a summary per star on stderr); the exit code."""
    from ..ops.preview import ACTION_WORDS

    codes = []
    rows: list[dict[str, Any]] = []
    shown: set[int] = set()
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            codes.append(report(outcome))
            continue
        codes.append(EXIT_OK)
        if outcome.tic_id in shown:  # targets naming one star: planned once, shown once
            continue
        shown.add(outcome.tic_id)
        for warning in outcome.warnings:
            warn_line(warning)
        if not is_quiet():
            note_line(summary(outcome))
        rows += [
            {**f.to_dict(), "action": ACTION_WORDS[f.action], "tic_id": outcome.tic_id} for f in outcome.files
        ]
    if to is not None and not is_quiet():
        note_line(f"would place the selected files in {to} (with its manifest.json)")
    if as_json:
        emit_json(
            [
                o.to_dict() if not isinstance(o, Exception) else error_dict(t, o)
                for t, o in zip(targets, outcomes, strict=True)
            ]
        )
    elif not all(isinstance(o, Exception) for o in outcomes):  # nothing planned: no lone header on stdout
        emit_rows(rows, PLAN_COLUMNS, wide=wide)
    return combine_codes(codes)


def summary(plan: Any) -> str:
    """``TIC 1 (TOI-2): would download 3 files (12.0 KiB known, 2 of unknown size), 8 cached…``."""
    download = plan.with_action("download")
    parts = []
    if download:
        known = [f.bytes for f in download if f.bytes is not None]
        if not known:
            size = "sizes unknown until downloaded"
        elif plan.unknown_sizes:
            size = f"{human_bytes(sum(known))} known, {plan.unknown_sizes} of unknown size"
        else:
            size = human_bytes(sum(known))
        parts.append(f"would download {plural(len(download), 'file')} ({size})")
    else:
        parts.append("nothing to download")
    cached = plan.with_action("cached")
    if cached:
        parts.append(f"{len(cached)} cached ({human_bytes(sum(f.bytes or 0 for f in cached))})")
    if plan.with_action("rehash"):
        parts.append(f"{len(plan.with_action('rehash'))} to check (changed on disk since cached)")
    login = len(plan.with_action("needs_login"))
    if login:
        parts.append(f"{login} {'needs' if login == 1 else 'need'} a login")
    requests = "would ask ExoFOP for " + _joined(_asks(plan)) if plan.requests or plan.file_requests else ""
    return f"TIC {plan.tic_id}: " + ", ".join(parts) + f"; {requests or 'no request to ExoFOP'}"


def _asks(plan: Any) -> list[str]:
    """The requests in short: summary tables counted, the files as one archive or a count."""
    tables = [r for r in plan.requests if r.endswith(" table")]
    asks = [r for r in plan.requests if not r.endswith(" table")]
    if tables:
        asks.append(tables[0] if len(tables) == 1 else f"{len(tables)} summary tables")
    if plan.file_requests:
        asks.append(
            f"the star's {plan.archive} archive" if plan.archive else plural(plan.file_requests, "file")
        )
    return asks


def _joined(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
