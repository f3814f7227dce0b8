"""Turn ExoFOP's file index (``download_filelist.php``) into ``ExoFopFileRow`` values, by column name.

Documented columns: ``Type, File Name, File ID, TIC, TOI, Date, User, Group, Tag, Description`` [DOC]. No raw
sample is public, so every plausible spelling is accepted (``File_Name``, ``Filename``, ``TIC ID``...), the
``TIC`` column may be missing (seen by one client), and rows without a usable id are skipped with a warning.

Cell shapes follow the real ``target.php`` JSON of the same files (reference §7, rzellem/EXOTIC
``exotic/api/tic-all.json``): a ``Date`` with a time (``2022-12-31 12:01:18``, kept as sent), a ``TOI`` cell
``TOI 1725.01`` and a ``TIC`` cell ``TIC 86396382.01`` (the CTOI form) read the same as ``1725.01`` and
``86396382``. An empty body is not "no files": it is what ExoFOP sends when it throttles.

Memory: a star with a million uploads is a ~150 MB list. It is read in two streaming passes (``tables.
stream_table``), from the file it was saved to when there is one, each row becoming an ``ExoFopFileRow`` at
once, with the values that repeat (type, TOI, user, group, date, tag, description) shared: the rows cost
about twice the list's size, the text itself is never held whole (``tests/bench/run_bench.py`` measures it).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..models import ExoFopFileRow
from ..targets import normalize_toi_cell
from .tables import Table, TableStream, stream_table, tic_cell, to_int

_ALIASES = {
    "file_id": ("File ID", "FileID", "File_ID", "fid", "ID"),
    "filename": ("File Name", "Filename", "File_Name", "fname", "Name"),
    "type": ("Type", "File Type", "ftype", "Category"),
    "tic": ("TIC", "TIC ID", "TIC_ID", "TICID"),
    "toi": ("TOI", "ftoi"),
    "date": ("Date", "Upload Date", "Date Uploaded", "Date (UTC)", "fdate", "Lastmod"),
    "user": ("User", "Username", "fuser"),
    "group": ("Group", "Groupname", "fgroup"),
    "tag": ("Tag", "TAG ID", "Tag ID", "ftag"),
    "description": ("Description", "Desc", "fdesc", "Notes"),
}


def parse_filelist(
    data: bytes | str | Path, *, tic_id: int, trusted: bool = False
) -> tuple[list[ExoFopFileRow], list[str]]:
    """Parse a raw file index (the body, or a file holding it); return the rows (sorted by file id) and
    warnings about skipped rows.

    ``InvalidResponseError`` for an empty body (a throttled answer, or one cached by an older version).
    """
    if _blank(data):
        from ..errors import InvalidResponseError

        raise InvalidResponseError(
            "the file list is empty (ExoFOP sends nothing when it throttles)",
            endpoint="download_filelist.php",
        )
    table = stream_table(data, what="the file list", endpoint="download_filelist.php", trusted=trusted)
    return rows_from_table(table, tic_id=tic_id)


def _blank(data: bytes | str | Path) -> bool:
    if not isinstance(data, Path):
        return not data.strip()
    with open(data, "rb") as fh:
        while block := fh.read(65536):
            if block.strip():
                return False
    return True


def rows_from_table(table: Table | TableStream, *, tic_id: int) -> tuple[list[ExoFopFileRow], list[str]]:
    """Map a parsed (or streamed) table onto file rows."""
    warnings = list(table.warnings)
    if not table.columns:
        return [], warnings
    cols = {key: table.column(*aliases) for key, aliases in _ALIASES.items()}
    if cols["file_id"] is None or cols["filename"] is None:
        from ..errors import InvalidResponseError

        raise InvalidResponseError(
            "the file list has no 'File ID'/'File Name' columns (header: " + ", ".join(table.columns) + ")",
            endpoint="download_filelist.php",
        )
    kept: list[ExoFopFileRow] = []
    same, again = _sharing()
    at = {key: table.columns.index(col) if col is not None else None for key, col in cols.items()}
    rows = (
        table.cells()
        if isinstance(table, TableStream)
        else ([r.get(c) for c in table.columns] for r in table.rows)
    )
    for n, cells in enumerate(rows, start=1):

        def get(key: str, cells: list[str | None] = cells) -> str | None:
            i = at[key]
            return cells[i] if i is not None else None

        file_id = to_int(get("file_id"))
        filename = (get("filename") or "").strip()
        if file_id is None or file_id < 0 or not filename:
            warnings.append(f"file list row {n}: no usable File ID / File Name; row skipped")
            continue
        row_tic = tic_cell(get("tic"))
        if row_tic is not None and row_tic != tic_id:
            # A listing for one star should only hold that star; keep the row but say so.
            warnings.append(f"file list row {n}: file {file_id} is listed for TIC {row_tic}, not {tic_id}")
        kept.append(
            ExoFopFileRow(
                file_id=file_id,
                tic_id=same(row_tic if row_tic is not None else tic_id),
                filename=filename,
                type=same((get("type") or "").strip()),
                toi=same(normalize_toi_cell(get("toi"))),
                date_utc=again("date", get("date")),
                tag=again("tag", to_int(get("tag"))),
                description=again("description", same(get("description") or "")),
                user=same(get("user") or ""),
                group=same(get("group") or ""),
            )
        )
    return _by_id(kept, warnings), warnings


# Distinct values shared across the whole list (types, TOIs, users, groups: a handful each; the first
# descriptions); past this many, only values repeated from the row before are shared.
_SHARED_MAX = 4096


def _sharing() -> tuple[Callable[[Any], Any], Callable[[str, Any], Any]]:
    """Two ways to give repeated cells one object: ``same`` for a bounded set of values seen anywhere,
    ``again`` for a column's value repeated from the row before (an observation's uploads are listed
    together). A million rows of new strings for "tfopwg" and "Image" would cost more than the rows."""
    shared: dict[Any, Any] = {}
    last: dict[str, Any] = {}

    def same(value: Any) -> Any:
        found = shared.get(value)
        if found is not None:
            return found
        if len(shared) < _SHARED_MAX:
            shared[value] = value
        return value

    def again(column: str, value: Any) -> Any:
        before = last.get(column)
        if before == value:
            return before
        last[column] = value
        return value

    return same, again


def _by_id(rows: list[ExoFopFileRow], warnings: list[str]) -> list[ExoFopFileRow]:
    """Rows sorted by file id, each id once (the first row; a different second one is warned about)."""
    rows.sort(key=lambda r: r.file_id)  # stable: the first of equal ids stays first
    out: list[ExoFopFileRow] = []
    for row in rows:
        if out and out[-1].file_id == row.file_id:
            if out[-1] != row:
                warnings.append(f"file list lists file id {row.file_id} twice; keeping the first row")
            continue
        out.append(row)
    return out
