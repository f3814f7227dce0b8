"""Output conventions: stdout carries data only; messages go to stderr.

Rows are built once as dicts and rendered as JSON (``--json``), as a table that fits the terminal (stdout is
a terminal: ``emit_rows`` hides or cuts the least useful columns first, ``--wide`` shows them all) or as a
plain TSV with one header row (stdout is a pipe, so ``cut``, ``awk`` and ``pandas.read_csv(sep="\\t")`` read
it as is; titles and counts go to stderr). Rich is imported only to draw a table or a progress bar; plain
stderr lines need no Rich, which keeps warm runs and TAB fast. ``NO_COLOR`` is honoured everywhere.
"""

import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO

if TYPE_CHECKING:
    import re

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


# C0 and C1 controls (ESC, BEL, CSI...) but tab and newline; and the invisible characters that reorder or
# hide text: bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069), marks (U+200E/F, U+061C),
# zero-width characters, line/paragraph separators and the BOM.
_CONTROL = r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]"


def clean(text: str) -> str:
    """Show control and invisible characters as escapes (``\\x1b``, ``\\u202e``): names, aliases and messages
    come from the server (and from caches of its answers), and a raw ESC or a right-to-left override would
    let them drive the user's terminal or disguise a name. Every text output passes here; JSON and CSV stay
    exact."""
    if text.isprintable():  # the usual case: nothing to escape, so no regex to compile
        return text
    import re  # compiled on first use, not at start-up (TAB)

    return re.sub(_CONTROL, _escape, text)


def _escape(match: "re.Match[str]") -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def error_line(message: str, *, hint: str | None = None) -> None:
    """``error: ...`` (and ``hint: ...``) on stderr, always shown."""
    err = sys.stderr
    err.write(_message("error:", "1;31", message))
    if hint:
        err.write(_message("hint:", "36", hint))
    err.flush()


def hint_line(message: str) -> None:
    """``hint: ...`` on stderr unless quiet."""
    if not _quiet:
        sys.stderr.write(_message("hint:", "36", message))


def warn_line(message: str) -> None:
    """``warning: ...`` on stderr unless quiet."""
    if not _quiet:
        sys.stderr.write(_message("warning:", "33", message))


def note_line(message: str) -> None:
    """A plain status line on stderr unless quiet."""
    if not _quiet:
        sys.stderr.write(_message("", "", message))


def _message(label: str, color: str, message: str) -> str:
    """One message, its server text made safe; on a terminal, wrapped between words to its width (a long
    line the terminal wraps itself breaks mid-word), never inside a word, a path or a URL."""
    err = sys.stderr
    text = f"{label} {clean(message)}" if label else clean(message)
    if hasattr(err, "isatty") and err.isatty():
        import textwrap

        try:
            width = os.get_terminal_size(err.fileno()).columns  # stderr's own: stdout may be a pipe
        except (OSError, ValueError, AttributeError):
            width = 100
        if len(text) >= width:
            lines = textwrap.wrap(
                text, width=width - 1, subsequent_indent="  ", break_long_words=False, break_on_hyphens=False
            )
            text = "\n".join(lines) if lines else text
    if label:
        text = _styled(label, color, err) + text[len(label) :]
    return text + "\n"


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
    """Print one line of text on stdout (control and invisible characters escaped, see ``clean``)."""
    sys.stdout.write(clean(text) + "\n")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return clean(str(value))


def _one_line(value: Any) -> str:
    return _text(value).replace("\t", " ").replace("\n", " ").replace("\r", " ")


class Column(NamedTuple):
    """One column of a table: the row key, its header, and how it gives way on a narrow terminal.

    ``priority``: 0 is always shown; otherwise the higher the number, the sooner the column is hidden when the
    terminal is too narrow for the whole table. ``min_width``: free text (a description, a note) that may be
    cut with "…" down to this many cells before it is hidden; 0 means the value is shown whole or not at all
    (file names, paths, ids: never cut, never wrapped). ``justify``: "left" or "right" (numbers).
    """

    key: str
    header: str
    priority: int = 50
    min_width: int = 0
    justify: str = "left"


ColumnSpec = Column | tuple[str, str]

# Between two columns: one space of padding and one of divider; the last column keeps its padding.
_GAP = 2


def _as_column(spec: ColumnSpec, index: int) -> Column:
    # A bare (key, header) pair: earlier columns matter more (ExoFOP's own tables lead with their keys).
    return spec if isinstance(spec, Column) else Column(spec[0], spec[1], priority=10 + index)


def fit_columns(
    columns: Sequence[Column],
    natural: Sequence[int],
    width: int,
    *,
    wide: bool = False,
    words: Sequence[int] | None = None,
) -> tuple[list[tuple[int, int]], list[int]]:
    """Which columns a terminal of ``width`` cells shows, and how wide: ``([(index, width)...], hidden)``.

    Pure, so that the layout is tested without a terminal. Columns are taken by priority (then position)
    while they fit: at their natural width, or at ``min_width`` for free text (so free text is shortened
    before anything is hidden). Once a column does not fit, it and every column of a higher priority number
    are hidden (those of the same priority are still tried): a less useful column is never kept at the
    expense of a more useful one merely because it is narrower (``ls`` at 80 columns showed Tag but hid Type
    and Date). Room left over widens the free-text columns back towards their natural width, most
    important first. Priority-0 columns are shown even when they alone overflow
    the terminal (the line then wraps, but a name is never cut). ``wide``: every column, none hidden; when
    they do not fit, the widest are narrowed alike (their cells wrap between words), none below its longest
    word (``words``: per column, the widest run of cells without a space; default: the whole value), so a
    name, a path or a date is never folded; when even that does not fit, every column keeps its natural
    width and the terminal wraps the lines (``ls --wide``, ``cache ls --wide`` at 80 columns).
    """
    if wide:
        budget = width - _GAP * len(columns) + 1
        return list(enumerate(_wide_widths(columns, natural, words or natural, budget))), []
    order = sorted(range(len(columns)), key=lambda i: (columns[i].priority, i))
    claim = [min(n, c.min_width) if c.min_width else n for c, n in zip(columns, natural, strict=True)]
    shown: set[int] = set()
    used = _GAP // 2 - _GAP  # n columns take sum(widths) + 2n - 1 cells
    cutoff: int | None = None  # the priority of the first column that did not fit
    for i in order:
        priority = columns[i].priority
        if cutoff is not None and priority > cutoff:
            break
        if priority == 0 or used + claim[i] + _GAP <= width:
            shown.add(i)
            used += claim[i] + _GAP
        else:
            cutoff = priority
    spare = width - used
    for i in order:
        if i in shown and columns[i].min_width and spare > 0:
            grow = min(spare, natural[i] - claim[i])
            claim[i] += grow
            spare -= grow
    return [(i, claim[i]) for i in range(len(columns)) if i in shown], [
        i for i in range(len(columns)) if i not in shown
    ]


def _wide_widths(
    columns: Sequence[Column], natural: Sequence[int], words: Sequence[int], budget: int
) -> list[int]:
    """--wide: free text wraps first (down to its ``min_width``), then the others wrap between words."""
    text_floors = [min(n, c.min_width) if c.min_width else n for c, n in zip(columns, natural, strict=True)]
    widths = _capped(natural, text_floors, budget)
    floors = [
        min(n, c.min_width) if c.min_width else min(n, w)
        for c, n, w in zip(columns, natural, words, strict=True)
    ]
    if sum(widths) <= budget:
        return widths
    # Too narrow for every column even wrapped: one line per row, which the terminal wraps.
    return list(natural) if sum(floors) > budget else _capped(widths, floors, budget)


def _capped(natural: Sequence[int], floors: Sequence[int], budget: int) -> list[int]:
    """One cap on every column, as high as fits in ``budget`` (or the floors, when nothing fits)."""
    cap = max(natural, default=0)
    while cap > 0 and sum(max(f, min(n, cap)) for n, f in zip(natural, floors, strict=True)) > budget:
        cap -= 1
    return [max(f, min(n, cap)) for n, f in zip(natural, floors, strict=True)]


def stdout_is_terminal() -> bool:
    """True when stdout is a terminal (a table for eyes), False for a pipe or file (TSV for tools)."""
    out = sys.stdout
    return hasattr(out, "isatty") and out.isatty()


def emit_rows(
    rows: Sequence[dict[str, Any]],
    columns: Sequence[ColumnSpec],
    *,
    title: str | None = None,
    as_json: bool = False,
    wide: bool = False,
) -> None:
    """Render rows on stdout: a JSON array (``--json``), a table that fits the terminal, or TSV when piped.

    The TSV (and JSON) has every column whatever the terminal's width: one header row, then one line per
    row, nothing else, so that ``pandas.read_csv(sep="\\t")`` and ``cut`` read it as is. ``title`` (a count,
    a folder) is a message: it goes to stderr. On a terminal the least useful columns give way first (see
    ``Column`` and ``fit_columns``) and the hidden ones are named on stderr; ``wide`` shows them all.
    """
    if as_json:
        emit_json(list(rows))
        return
    cols = [_as_column(spec, i) for i, spec in enumerate(columns)]
    if title:
        note_line(title)
    if not stdout_is_terminal():
        out = sys.stdout
        out.write("\t".join(_one_line(c.header) for c in cols) + "\n")
        for row in rows:
            out.write("\t".join(_one_line(row.get(c.key)) for c in cols) + "\n")
        out.flush()
        return
    if rows:  # nothing to show: the title said so, and an empty table would be noise
        _print_table(rows, cols, wide=wide)


def _print_table(rows: Sequence[dict[str, Any]], cols: list[Column], *, wide: bool) -> None:
    from rich.box import Box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text  # cells as Text: "[P=2.32]" in a note is data, not Rich markup

    cells = [[_one_line(row.get(c.key)) for c in cols] for row in rows]
    if not wide:  # a column empty in every row says nothing on a terminal (TSV and --json keep it)
        keep = [i for i in range(len(cols)) if any(line[i] for line in cells)] or list(range(len(cols)))
        cols = [cols[i] for i in keep]
        cells = [[line[i] for i in keep] for line in cells]
    natural = [max([cell_len(c.header), *(cell_len(line[i]) for line in cells)]) for i, c in enumerate(cols)]
    words = [
        max(
            cell_len(word)
            for text in (c.header, *(line[i] for line in cells))
            for word in [*text.split(), ""]
        )
        for i, c in enumerate(cols)
    ]
    console = Console(no_color="NO_COLOR" in os.environ, highlight=False)
    shown, hidden = fit_columns(cols, natural, console.width, wide=wide, words=words)
    needed = sum(w for _, w in shown) + _GAP * len(shown) - 1
    if needed > console.width:  # names that cannot fit even alone: let the terminal wrap the lines
        console = Console(no_color="NO_COLOR" in os.environ, highlight=False, width=needed)
    rule = "─" if (console.encoding or "").lower().startswith("utf") else "-"
    table = Table(
        box=Box(f"    \n    \n {rule}  \n    \n    \n    \n    \n    \n"),  # a rule under the header only
        padding=(0, 1, 0, 0),
        pad_edge=False,
        show_edge=False,
        header_style="bold",
        border_style="dim",
        expand=False,
    )
    for i, col_width in shown:
        col = cols[i]
        table.add_column(
            Text(col.header),
            width=col_width,
            no_wrap=not wide,  # --wide wraps what does not fit; else nothing wraps, free text is cut
            overflow="fold" if wide else "ellipsis",
            justify="right" if col.justify == "right" else "left",
        )
    for line in cells:
        table.add_row(*(Text(line[i]) for i, _ in shown))
    console.print(table)
    if hidden:
        note_line(_hidden_note([cols[i].header for i in hidden], console.width))


def _hidden_note(names: list[str], width: int) -> str:
    """``--wide shows 3 more columns: User, Group, Tag``, as many names as fit on one line of ``width``."""
    head = f"--wide shows {plural(len(names), 'more column')}: "
    listed: list[str] = []
    for n, name in enumerate(names):
        rest = len(names) - n - 1
        tail = f" and {rest} more" if rest else ""
        if listed and len(head + ", ".join([*listed, name]) + tail) > width:
            return head + ", ".join(listed) + f" and {len(names) - n} more"
        listed.append(name)
    return head + ", ".join(listed)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 file``, ``2 files``, ``0 files`` (``nouns`` for an irregular plural)."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"
