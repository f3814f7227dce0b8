"""Parse ExoFOP's CSV and pipe tables by column name, tolerating every quirk in the reference.

Known quirks (reference §1): a BOM; header names with a leading space; renamed or added columns; pipe output
with trailing blank lines; CSV fields quoted because they contain commas; free-text last columns whose
unescaped quotes make rows ragged; numbers without a leading zero (``.386554``); empty field = null. The
delimiter is sniffed from the header, because whether a script honours ``output=`` is not verified for all.
"""

import csv
import math
import re
from collections.abc import Iterable, Iterator, Mapping
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
        from ..frames import to_pandas

        return to_pandas(self.columns, self.rows)

    def to_astropy(self) -> Any:
        """The table as an ``astropy.table.Table`` (needs astropy; masked where empty)."""
        from ..frames import to_astropy

        return to_astropy(self.columns, self.rows)

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
    from .sniff import looks_like_html, looks_like_login_page

    if looks_like_html(head):
        if looks_like_login_page(head):
            raise AuthRequiredError(f"ExoFOP sent its login page instead of {what}", endpoint=endpoint)
        raise InvalidResponseError(f"ExoFOP sent an HTML page instead of {what}", endpoint=endpoint)
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
    if not trusted:
        head = text[:4096] if isinstance(text, bytes) else text[:4096].encode("utf-8", errors="replace")
        check_not_html(head, what=what, endpoint=endpoint)
    warnings: list[str] = []
    if isinstance(text, bytes):
        text, utf8 = decode_text(text)
        if not utf8:
            warnings.append(f"{what}: lines that are not UTF-8 were read as Windows-1252")
    text = text.removeprefix("\ufeff")
    raw_lines = text.splitlines()
    lines = [ln for ln in raw_lines if ln.strip()]
    if not lines:
        # ExoFOP may answer "no rows" with an empty body instead of a bare header (unknown which).
        return Table(columns=(), rows=())
    delimiter = _sniff_delimiter(lines[0])
    split = _split_pipe if delimiter == "|" else (_split_csv if delimiter == "," else lambda s: s.split("\t"))
    header = [h.strip() for h in split(lines[0].removeprefix("\ufeff"))]
    if len(header) > 1 and not header[-1]:
        header.pop()  # a trailing delimiter ("TIC ID|Tag|Notes|"), not a nameless last column
    columns = _dedupe(header)
    missing = [name for name in required if normalize_name(name) not in {normalize_name(c) for c in columns}]
    if missing:
        raise InvalidResponseError(
            f"{what}: expected column(s) {', '.join(missing)} not in header {', '.join(columns)!r}",
            endpoint=endpoint,
        )
    last_is_free = normalize_name(columns[-1]) in FREE_TEXT_COLUMNS if columns else False
    rows: list[dict[str, str | None]] = []
    width = len(columns)
    header_at = next(i for i, ln in enumerate(raw_lines) if ln.strip())
    records = (
        _records(raw_lines[header_at + 1 :], width)
        if delimiter == ","
        else _plain(raw_lines[header_at + 1 :])
    )
    for record_line, line in records:
        lineno = record_line + header_at + 1
        fields = split(line)
        if len(fields) > width and not fields[-1].strip():
            fields.pop()  # a trailing delimiter, with or without one on the header
        if len(fields) > width:
            if last_is_free:
                fields = [*fields[: width - 1], delimiter.join(fields[width - 1 :])]
            else:
                warnings.append(
                    f"{what}: line {lineno} has {len(fields)} fields for {width} columns; extras dropped"
                )
                fields = fields[:width]
        elif len(fields) < width:
            if len(fields) > 1 or width == 1:
                # Trailing empty cells are sometimes dropped entirely; missing = null.
                fields = fields + [""] * (width - len(fields))
            else:
                warnings.append(f"{what}: line {lineno} is not a row of the table; skipped")
                continue
        rows.append({col: _cell(val) for col, val in zip(columns, fields, strict=True)})
    return Table(columns=tuple(columns), rows=tuple(rows), warnings=tuple(warnings), delimiter=delimiter)


def _plain(lines: list[str]) -> Iterator[tuple[int, str]]:
    """Pipe/tab tables: one row per non-blank line (pipe output has no quoting)."""
    for n, line in enumerate(lines, start=1):
        if line.strip():
            yield n, line


_MAX_RECORD_LINES = 50


def _records(lines: list[str], width: int) -> Iterator[tuple[int, str]]:
    """CSV records: normally one per line, but a quoted cell may hold line breaks (PHP writes form text so).

    A line with an odd number of quotes is joined with the following lines until the quotes balance and the
    record has the header's width; otherwise it stays a line of its own, so a stray unescaped quote in a
    note damages one row, never the rest of the file (reading the whole body with csv would swallow lines).
    """
    i = 0
    while i < len(lines):
        line, end = lines[i], i
        if line.count('"') % 2:
            joined, k = line, i
            while joined.count('"') % 2 and k + 1 < len(lines) and k - i < _MAX_RECORD_LINES:
                k += 1
                joined += "\n" + lines[k]
            if not joined.count('"') % 2 and _is_record(joined, width):
                line, end = joined, k
        if line.strip():
            yield i + 1, line
        i = end + 1


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
