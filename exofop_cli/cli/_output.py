"""Output conventions: stdout carries data only; messages go to stderr.

Rows are built once as dicts and rendered as JSON (``--json``), as a Rich table (stdout is a terminal) or as
tab-separated lines with a header (stdout is a pipe, so ``cut``/``awk`` work). Rich is imported only to draw a
table or a progress bar; plain stderr lines need no Rich, which keeps warm runs and TAB fast. ``NO_COLOR``
is honoured everywhere.
"""

import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

_quiet = False


def set_quiet(value: bool) -> None:
    """Silence notes and warnings (errors are always printed)."""
    global _quiet
    _quiet = value


def is_quiet() -> bool:
    """True under ``--quiet``."""
    return _quiet


def use_color(stream: TextIO) -> bool:
    """Colour only for terminals, and never with ``NO_COLOR`` set."""
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _styled(text: str, code: str, stream: TextIO) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if use_color(stream) else text


_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f]"


def clean(text: str) -> str:
    """Show control characters as ``\\x1b`` escapes: file names and messages come from the server, and a
    raw ESC would let them drive the user's terminal."""
    if text.isprintable():  # the usual case: no control character at all, so no regex to compile
        return text
    import re  # compiled on first use, not at start-up (TAB)

    return re.sub(_CONTROL, lambda m: f"\\x{ord(m.group()):02x}", text)


def error_line(message: str, *, hint: str | None = None) -> None:
    """``error: ...`` (and ``hint: ...``) on stderr, always shown."""
    err = sys.stderr
    err.write(f"{_styled('error:', '1;31', err)} {clean(message)}\n")
    if hint:
        err.write(f"{_styled('hint:', '36', err)} {clean(hint)}\n")
    err.flush()


def hint_line(message: str) -> None:
    """``hint: ...`` on stderr unless quiet."""
    if not _quiet:
        sys.stderr.write(f"{_styled('hint:', '36', sys.stderr)} {clean(message)}\n")


def warn_line(message: str) -> None:
    """``warning: ...`` on stderr unless quiet."""
    if not _quiet:
        sys.stderr.write(f"{_styled('warning:', '33', sys.stderr)} {clean(message)}\n")


def note_line(message: str) -> None:
    """A plain status line on stderr unless quiet."""
    if not _quiet:
        sys.stderr.write(clean(message) + "\n")


def emit_json(data: Any) -> None:
    """Print JSON data on stdout."""
    import json

    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    sys.stdout.flush()


def emit_csv(columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> None:
    """Print rows as a plain CSV with a header row (``pandas.read_csv`` reads it as it is); cells exact."""
    import csv

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if row.get(c) is None else row.get(c) for c in columns])
    sys.stdout.flush()


def emit_line(text: str) -> None:
    """Print one line of data on stdout."""
    sys.stdout.write(text + "\n")


def human_bytes(n: int | float) -> str:
    """1536 → ``1.5 KiB``: binary units everywhere (like ``ls -lh`` and ``du -h``), one convention."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return clean(str(value))


def emit_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[tuple[str, str]],
    *,
    title: str | None = None,
    as_json: bool = False,
) -> None:
    """Render rows on stdout: JSON array, Rich table or cards (terminal), TSV with a header (pipe)."""
    if as_json:
        emit_json(list(rows))
        return
    out = sys.stdout
    if not (hasattr(out, "isatty") and out.isatty()):
        if title:
            out.write(f"# {title}\n")
        out.write("\t".join(header for _key, header in columns) + "\n")
        for row in rows:
            out.write(
                "\t".join(_text(row.get(key)).replace("\t", " ").replace("\n", " ") for key, _ in columns)
            )
            out.write("\n")
        out.flush()
        return
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text  # cells as Text: "[P=2.32]" in a note is data, not Rich markup

    console = Console(no_color="NO_COLOR" in os.environ)
    if len(columns) * 9 > console.width:
        # Too wide to read as columns (ExoFOP tables have 15-60): one field/value card per row instead.
        if title:
            console.print(Text(title, style="bold"))
        for number, row in enumerate(rows, start=1):
            card = Table(title=f"row {number}", show_header=False, title_justify="left", expand=False)
            card.add_column(style="bold")
            card.add_column(overflow="fold")
            for key, header in columns:
                if row.get(key) not in (None, ""):
                    card.add_row(Text(header), Text(_text(row.get(key))))
            console.print(card)
        return
    table = Table(title=Text(title) if title else None, show_lines=False, header_style="bold", expand=False)
    for _key, header in columns:
        table.add_column(Text(header), overflow="fold")
    for row in rows:
        table.add_row(*(Text(_text(row.get(key))) for key, _ in columns))
    console.print(table)
