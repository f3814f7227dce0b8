"""Parse ExoFOP's CSV and pipe tables by column name, tolerating every quirk in the reference.

Known quirks (reference §1): a BOM; header names with a leading space; renamed or added columns; pipe output
with trailing blank lines; CSV fields quoted because they contain commas; free-text last columns whose
unescaped quotes make rows ragged; numbers without a leading zero (``.386554``); empty field = null. The
delimiter is sniffed from the header, because whether a script honours ``output=`` is not verified for all.

Header and rows may disagree (reference §7: a real nearby-target CSV lacked its "Distance Err" header, which
shifted every later column for a positional reader). Values are never silently shifted: rows with more
fields than the header, and nameless header cells, give one warning naming the table and how many rows
(``_reconcile``); a known gap is filled, extra values are kept, and a free-text last column still takes the
delimiters typed into it.
"""

import csv
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import AuthRequiredError, InvalidResponseError

Row = Mapping[str, str | None]

# Columns whose values are free text; when a row has more fields than the header and one of these is the
# last column, the extra fields are part of it (an unescaped delimiter inside a note).
FREE_TEXT_COLUMNS = frozenset({"notes", "note", "comments", "comment", "description", "remarks"})
_NULLS = frozenset({"", "--", "nan", "NaN", "null", "NULL", "None"})


def normalize_name(name: str) -> str:
    """Key for matching column names loosely: ``File Name``, ``file_name``, `` FileName`` are equal."""
    return re.sub(r"[^0-9a-z]", "", name.casefold())


class Table(NamedTuple):
    """A parsed table: stripped column names and rows keyed by them (empty cells are ``None``)."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, str | None], ...]
    warnings: tuple[str, ...] = ()
    delimiter: str = ","

    def to_pandas(self) -> Any:
        """The table as a ``pandas.DataFrame`` (needs pandas; typed columns, see ``frames``)."""
        from ..frames import identifier_kinds, to_pandas

        return to_pandas(self.columns, self.rows, kinds=identifier_kinds(self.columns))

    def to_astropy(self) -> Any:
        """The table as an ``astropy.table.Table`` (needs astropy; masked where empty)."""
        from ..frames import identifier_kinds, to_astropy

        return to_astropy(self.columns, self.rows, kinds=identifier_kinds(self.columns))

    def column(self, *aliases: str) -> str | None:
        """The actual column name matching any alias (loosely), or None when the table lacks it."""
        index = {normalize_name(c): c for c in self.columns}
        for alias in aliases:
            found = index.get(normalize_name(alias))
            if found is not None:
                return found
        return None


def _cell(value: str) -> str | None:
    value = value.strip()
    return None if value in _NULLS else value


def _split_pipe(line: str) -> list[str]:
    return line.split("|")


def _split_csv(line: str) -> list[str]:
    # One physical line at a time: a stray unescaped quote in a note then damages one row, not the rest
    # of the file (csv would otherwise swallow lines until the next quote).
    if '"' not in line and "\r" not in line:
        return line.split(",")  # what csv gives for such a line, ten times faster (a million-row file list)
    try:
        return next(csv.reader([line], skipinitialspace=False, strict=False), [])
    except csv.Error as exc:  # e.g. a stray carriage return in binary garbage
        raise InvalidResponseError(f"unreadable CSV line: {exc}") from exc


def _sniff_delimiter(header: str) -> str:
    if "|" in header:
        return "|"
    if "," in header:
        return ","
    if "\t" in header:
        return "\t"
    return ","


def check_not_html(head: bytes, *, what: str, endpoint: str | None = None) -> None:
    """Raise ``AuthRequiredError``/``InvalidResponseError`` when a body is an HTML page, not data."""
    from .sniff import describe_page, looks_like_html, looks_like_login_page

    if looks_like_html(head):
        if looks_like_login_page(head):
            raise AuthRequiredError(f"ExoFOP sent its login page instead of {what}", endpoint=endpoint)
        raise InvalidResponseError(
            f"ExoFOP sent an HTML page {describe_page(head)} instead of {what}", endpoint=endpoint
        )
    if head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        # A table header never starts with markup: "<b>Fatal error</b>: ...", "<table>", "<h1>".
        raise InvalidResponseError(f"ExoFOP sent markup instead of {what}", endpoint=endpoint)
    if looks_binary(head):
        raise InvalidResponseError(f"ExoFOP sent binary data instead of {what}", endpoint=endpoint)


def looks_binary(head: bytes) -> bool:
    """NUL bytes, or many control bytes (1 in 20; compressed data has ~1 in 8): not a table.

    Bytes above 127 do not count: a table in Windows-1252 is text (see ``decode_text``).
    """
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if (b < 0x20 and b not in b"\t\r\n") or b == 0x7F)
    return controls > max(8, len(head) // 20)


def decode_text(data: bytes) -> tuple[str, bool]:
    """(text, was_utf8): UTF-8, except lines that are not, read as Windows-1252 (the likely legacy encoding).

    Line by line, so that one stray legacy byte does not turn every UTF-8 character of the table (and of the
    file names in a file list) into mojibake.
    """
    try:
        return data.decode("utf-8"), True
    except UnicodeDecodeError:
        pass
    lines = []
    for line in data.split(b"\n"):
        try:
            lines.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            lines.append(line.decode("cp1252", errors="replace"))
    return "\n".join(lines), False


def parse_table(
    text: str | bytes,
    *,
    what: str = "a table",
    endpoint: str | None = None,
    required: Iterable[str] = (),
    trusted: bool = False,
) -> Table:
    """Parse a CSV or pipe table; raise ``InvalidResponseError`` for HTML or a header missing ``required``.

    ``trusted`` skips the HTML sniff, for bodies that were sniffed before they were cached.
    """
    stream = stream_table(text, what=what, endpoint=endpoint, required=required, trusted=trusted)
    rows = tuple(stream.rows())
    return Table(columns=stream.columns, rows=rows, warnings=stream.warnings, delimiter=stream.delimiter)


TableSource = str | bytes | Path


class _Shape(NamedTuple):
    """What the first pass learnt: where the header is, the columns to read rows by, and how."""

    columns: tuple[str, ...]
    header: tuple[str, ...]
    header_at: int  # index of the header among the physical lines
    delimiter: str
    width: int  # the header's width (rows are split against it)
    warnings: tuple[str, ...]
    join_free_text: bool  # wide rows: extra fields join the free-text last column


class TableStream:
    """A table read in two streaming passes over its source (never decoded or split whole in memory): the
    first (``stream_table``) finds the header, counts how rows and header disagree and decides how to read
    them; ``rows()`` then yields one row dict at a time. A huge file list costs its rows, not its text."""

    def __init__(self, source: Callable[[], Iterator[str]], shape: _Shape) -> None:
        self._source = source
        self._shape = shape
        self.columns = shape.columns
        self.warnings = shape.warnings
        self.delimiter = shape.delimiter

    def column(self, *aliases: str) -> str | None:
        """The actual column name matching any alias (loosely), or None when the table lacks it."""
        return Table(self.columns, ()).column(*aliases)

    def rows(self) -> Iterator[dict[str, str | None]]:
        """The rows, keyed by column (empty cells are ``None``), read from the source again."""
        columns = self.columns
        for cells in self.cells():
            yield dict(zip(columns, cells, strict=True))

    def cells(self) -> Iterator[list[str | None]]:
        """The rows as lists of cells in ``columns`` order (empty cells are ``None``): no dict per row."""
        shape = self._shape
        if not shape.columns:
            return
        width = len(shape.columns)
        lines = self._source()
        for _ in range(shape.header_at + 1):
            next(lines, None)
        for _n, fields in _fields(lines, shape):
            if shape.join_free_text and len(fields) > shape.width:
                fields[shape.width - 1 :] = [shape.delimiter.join(fields[shape.width - 1 :])]
            cells: list[str | None] = [_cell(val) for val in fields]
            cells.extend([None] * (width - len(cells)))
            yield cells


def stream_table(
    source: TableSource,
    *,
    what: str = "a table",
    endpoint: str | None = None,
    required: Iterable[str] = (),
    trusted: bool = False,
) -> TableStream:
    """Read a table's shape (first pass) and return a ``TableStream`` that yields its rows (second pass).

    ``source`` is the body (``bytes``/``str``) or a file holding it (``Path``: never read whole). Raises as
    ``parse_table`` does.
    """
    if not trusted:
        check_not_html(_head(source), what=what, endpoint=endpoint)
    utf8 = [True]
    lines = _line_source(source, utf8)
    header_at, first = 0, ""  # the first line that is not blank is the header
    for line in lines():
        if line.strip():
            first = line
            break
        header_at += 1
    if not first.strip():
        # No table at all. ExoFOP answers "no rows" with the bare header; an empty body is throttling, which
        # the callers that expect a table refuse (http.get, summaries, filelist): never "no rows".
        shape = _Shape((), (), 0, ",", 0, _decoding_warning(utf8, what), False)
        return TableStream(lines, shape)
    delimiter = _sniff_delimiter(first)
    header = [h.strip() for h in _splitter(delimiter)(first.removeprefix("\ufeff"))]
    if len(header) > 1 and not header[-1]:
        header.pop()  # a trailing delimiter ("TIC ID|Tag|Notes|"), not a nameless last column
    columns = _dedupe(header)
    missing = [name for name in required if normalize_name(name) not in {normalize_name(c) for c in columns}]
    if missing:
        raise InvalidResponseError(
            f"{what}: expected column(s) {', '.join(missing)} not in header {', '.join(columns)!r}",
            endpoint=endpoint,
        )
    shape = _Shape(tuple(columns), tuple(header), header_at, delimiter, len(columns), (), False)
    shape = _first_pass(lines, shape, what=what)
    return TableStream(lines, shape._replace(warnings=(*_decoding_warning(utf8, what), *shape.warnings)))


def _decoding_warning(utf8: list[bool], what: str) -> tuple[str, ...]:
    return () if utf8[0] else (f"{what}: lines that are not UTF-8 were read as Windows-1252",)


def _first_pass(lines: Callable[[], Iterator[str]], shape: _Shape, *, what: str) -> _Shape:
    """Count the rows, how many are wider than the header, and the values under nameless header cells."""
    width = shape.width
    nameless = [i for i, name in enumerate(shape.header[:width]) if not name]
    filled = dict.fromkeys(nameless, 0)
    wide_lengths: dict[int, int] = {}  # field count -> rows
    n_rows = trimmed = popped = 0
    skipped: list[str] = []
    source = lines()
    for _ in range(shape.header_at + 1):
        next(source, None)
    for _record_line, fields in _fields(source, shape, skipped=skipped, what=what):
        n_rows += 1
        popped += fields.popped
        trimmed += fields.trimmed
        if len(fields) > width:
            wide_lengths[len(fields)] = wide_lengths.get(len(fields), 0) + 1
        for i in nameless:
            filled[i] += i < len(fields) and _cell(fields[i]) is not None
    if popped == n_rows:
        trimmed = 0  # every row ends with a delimiter: that is the format, not a missing header name
    stats = _Stats(n_rows=n_rows, trimmed=trimmed, wide_lengths=wide_lengths, filled=filled)
    columns, notes, join = _reconcile(
        list(shape.columns), list(shape.header), stats, what=what, delimiter=shape.delimiter
    )
    return shape._replace(columns=tuple(columns), warnings=(*skipped, *notes), join_free_text=join)


class _Fields(list[str]):
    """A row's fields, with what ``_fields`` did to them (for the first pass's counts)."""

    popped = 0  # 1 when an empty last field was dropped (a trailing delimiter)
    trimmed = 0  # 1 when that left exactly the header's width


def _fields(
    lines: Iterator[str], shape: _Shape, *, skipped: list[str] | None = None, what: str = ""
) -> Iterator[tuple[int, _Fields]]:
    """The rows after the header as lists of fields: a trailing empty field dropped, short rows padded, lines
    that are no row skipped (noted in ``skipped``, with the line number)."""
    split, width = _splitter(shape.delimiter), shape.width
    records = _records(lines, width) if shape.delimiter == "," else _plain(lines)
    for record_line, line in records:
        fields = _Fields(split(line))
        if len(fields) > width and not fields[-1].strip():
            fields.pop()  # a trailing delimiter, with or without one on the header
            fields.popped = 1
            fields.trimmed = int(len(fields) == width)
        if len(fields) < width:
            if len(fields) <= 1 and width > 1:
                if skipped is not None:
                    skipped.append(
                        f"{what}: line {record_line + shape.header_at + 1} is not a row of the table; skipped"
                    )
                continue
            fields.extend([""] * (width - len(fields)))  # trailing empty cells dropped: missing = null
        yield record_line, fields


def _splitter(delimiter: str) -> Callable[[str], list[str]]:
    if delimiter == "|":
        return _split_pipe
    if delimiter == ",":
        return _split_csv
    return lambda s: s.split("\t")


def _head(source: TableSource) -> bytes:
    """The first 4 KiB of a table, for the HTML sniff."""
    if isinstance(source, Path):
        with open(source, "rb") as fh:
            return fh.read(4096)
    return source[:4096] if isinstance(source, bytes) else source[:4096].encode("utf-8", errors="replace")


def _line_source(source: TableSource, utf8: list[bool]) -> Callable[[], Iterator[str]]:
    """A function giving the source's lines afresh for each pass (``str.splitlines`` semantics: ``\\r\\n``,
    ``\\r`` and the other line breaks split; a leading BOM removed; lines that are not UTF-8 read as
    Windows-1252, which sets ``utf8[0]`` False)."""
    if isinstance(source, str):
        text = source.removeprefix("\ufeff")
        return lambda: iter(text.splitlines())

    def physical() -> Iterator[bytes]:
        if isinstance(source, Path):
            with open(source, "rb") as fh:
                yield from fh
            return
        start = 0
        while start < len(source):
            end = source.find(b"\n", start)
            end = len(source) if end < 0 else end + 1
            yield source[start:end]
            start = end

    def lines() -> Iterator[str]:
        first = True
        for raw in physical():
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                utf8[0] = False
                text = raw.decode("cp1252", errors="replace")
            if first:
                text, first = text.removeprefix("\ufeff"), False
            if text.endswith("\n"):
                text = text[:-1]
            # One physical line may hold several logical ones (a bare \r, \x85...), as splitlines sees them.
            if text.isprintable() or not text:
                yield text
            else:
                yield from text.splitlines() or [""]

    return lines


class _Stats(NamedTuple):
    """What ``_reconcile`` decides from: the first pass's counts."""

    n_rows: int
    trimmed: int
    wide_lengths: dict[int, int]  # field count -> rows, for rows wider than the header
    filled: dict[int, int]  # nameless header cell -> rows with a value there


# Names ExoFOP is known to leave out of a header while its rows keep the value: (the name it comes after,
# the name that is missing). Real: the nearby-target CSV of 2020 wrote "Distance(pc)" and no "Distance Err
# (pc)" (reference §7, golmschenk/ramjet ``TessTarget.retrieve_nearby_tic_targets``).
# The third item: a header holding a name with this (normalised) part already has the missing column.
_KNOWN_GAPS = (("Distance(pc)", "Distance Err (pc)", "distanceerr"),)


def _reconcile(
    columns: list[str], header: list[str], stats: _Stats, *, what: str, delimiter: str
) -> tuple[list[str], list[str], bool]:
    """The columns to read rows by, warnings, and whether wide rows join their extra fields into the
    free-text last column, when header and rows disagree.

    Never a silent shift: rows with more fields than the header (a delimiter inside free text, or a header
    short by a name) and nameless header cells are reported with the table's name and how many rows they
    concern. A known gap is filled; extra fields join a free-text last column (as ExoFOP's unescaped notes
    need: a few ragged rows are notes, every row wider is a short header and warned); otherwise extra values
    are kept under ``column_<n>`` names, never dropped. ``trimmed`` rows had one empty field too many (taken
    for a trailing delimiter): alone they are that, beside wider rows they count as wide too.
    """
    warnings: list[str] = []
    width = len(columns)
    n_rows = stats.n_rows
    for i, filled in stats.filled.items():
        warnings.append(
            f"{what}: header column {i + 1} has no name (read as {columns[i]!r}); "
            f"{filled} of {n_rows} row(s) have a value there"
        )
    if not stats.wide_lengths:
        return columns, warnings, False
    widest = max(stats.wide_lengths)
    n_plain_wide = sum(stats.wide_lengths.values())
    n_wide = n_plain_wide + (stats.trimmed if widest == width + 1 else 0)
    if widest == width + 1:
        names = [normalize_name(c) for c in columns]
        for after, missing, marker in _KNOWN_GAPS:
            at = names.index(normalize_name(after)) if normalize_name(after) in names else -1
            if at >= 0 and n_wide == n_rows and not any(marker in n for n in names):
                warnings.append(
                    f"{what}: the header lacks a name that all {n_rows} row(s) have a value for; read as "
                    f"{missing!r} after {columns[at]!r} (a known ExoFOP header bug)"
                )
                return [*columns[: at + 1], missing, *columns[at + 1 :]], warnings, False
    if normalize_name(columns[-1]) in FREE_TEXT_COLUMNS:
        # A few ragged rows are delimiters typed into notes (real: ExoNotes, reference §7). Every row of
        # several wider by the same count is rather a header short by a name: the values are one column off.
        if n_wide == n_rows >= 2 and len(stats.wide_lengths) == 1:
            warnings.append(
                f"{what}: all {n_rows} rows have {widest - width} more field(s) than the header's {width} "
                f"names (the header is probably missing a name); the extra fields were read as part of the "
                f"free-text last column {columns[-1]!r}, and values after the missing name may sit one column "
                "to the left of their own"
            )
        return columns, warnings, True
    extras = _dedupe([*columns, *[""] * (widest - width)])[width:]
    warnings.append(
        f"{what}: {n_wide} of {n_rows} row(s) have more fields than the header's {width} names (the "
        f"header is probably missing a name); their extra values are kept as {', '.join(extras)}, and values "
        "after the missing name may sit one column to the right of their own"
    )
    return [*columns, *extras], warnings, False


def _plain(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Pipe/tab tables: one row per non-blank line (pipe output has no quoting)."""
    for n, line in enumerate(lines, start=1):
        if line.strip():
            yield n, line


_MAX_RECORD_LINES = 50


def _records(lines: Iterable[str], width: int) -> Iterator[tuple[int, str]]:
    """CSV records: normally one per line, but a quoted cell may hold line breaks (PHP writes form text so).

    A line with an odd number of quotes is joined with the following lines until the quotes balance and the
    record has the header's width; otherwise it stays a line of its own, so a stray unescaped quote in a
    note damages one row, never the rest of the file (reading the whole body with csv would swallow lines).
    Streaming: at most ``_MAX_RECORD_LINES`` lines are looked ahead.
    """
    source = iter(lines)
    ahead: deque[str] = deque()
    i = 0  # index of the current line
    while True:
        if ahead:
            line = ahead.popleft()
        else:
            nxt = next(source, None)
            if nxt is None:
                return
            line = nxt
        used = 0  # lines after this one that its record takes
        if line.count('"') % 2:
            joined, k = line, 0
            while joined.count('"') % 2 and k < _MAX_RECORD_LINES:
                if k >= len(ahead):
                    more = next(source, None)
                    if more is None:
                        break
                    ahead.append(more)
                joined += "\n" + ahead[k]
                k += 1
            if not joined.count('"') % 2 and _is_record(joined, width):
                line, used = joined, k
        if line.strip():
            yield i + 1, line
        for _ in range(used):
            ahead.popleft()
        i += 1 + used


def _is_record(joined: str, width: int) -> bool:
    """True when joined lines form one CSV record of the header's width (or one more, if that last cell is
    empty: a trailing comma, as rows may have); False for lines that only balance two stray quotes (0.5")."""
    try:
        cells = _split_csv(joined)
    except InvalidResponseError:
        return False
    return len(cells) == width or (len(cells) == width + 1 and not cells[-1].strip())


def _dedupe(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(header):
        name = raw or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 1
            out.append(name)
    return out


_NUMBER_RE = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


_INT_RE = re.compile(r"^[+-]?\d{1,30}$")


def to_float(value: str | None) -> float | None:
    """Read an ExoFOP number (``.386554``, ``-5``, ``1e-3``); None for empty, non-numeric or infinite cells."""
    if value is None:
        return None
    value = value.strip()
    if not _NUMBER_RE.match(value):
        return None
    number = float(value)
    return number if math.isfinite(number) else None  # "1e400" is garbage, not infinity


_TIC_CELL = r"(?i)^\s*(?:tic[\s_\-]*)?0*(\d{1,12})(?:\.\d{1,2})?\s*$"


def tic_cell(value: str | None) -> int | None:
    """A TIC from a table cell: ``86396382``, ``TIC 86396382``, ``TIC 86396382.01`` (the CTOI form of the real
    ``target.php`` JSON, reference §7), ``TIC0086396382``, ``86396382.0``; None otherwise."""
    if value is None:
        return None
    match = re.match(_TIC_CELL, value)
    return int(match.group(1)) if match else to_int(value)


def to_int(value: str | None) -> int | None:
    """Read an integer cell exactly, accepting float spellings of integers (``1494.0``); None otherwise."""
    if value is None:
        return None
    text = value.strip()
    if _INT_RE.match(text):
        return int(text)  # not through float: 9007199254740993 must stay itself
    number = to_float(text)
    if number is None or number != int(number) or abs(number) > 2**53:
        return None
    return int(number)
