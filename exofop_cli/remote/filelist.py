"""Turn ExoFOP's file index (``download_filelist.php``) into ``ExoFopFileRow`` values, by column name.

Documented columns: ``Type, File Name, File ID, TIC, TOI, Date, User, Group, Tag, Description`` [DOC]. No raw
sample is public, so every plausible spelling is accepted (``File_Name``, ``Filename``, ``TIC ID``...), the
``TIC`` column may be missing (seen by one client), and rows without a usable id are skipped with a warning.

Cell shapes follow the real ``target.php`` JSON of the same files (reference §7, rzellem/EXOTIC
``exotic/api/tic-all.json``): a ``Date`` with a time (``2022-12-31 12:01:18``, kept as sent), a ``TOI`` cell
``TOI 1725.01`` and a ``TIC`` cell ``TIC 86396382.01`` (the CTOI form) read the same as ``1725.01`` and
``86396382``. An empty body is not "no files": it is what ExoFOP sends when it throttles.
"""

from __future__ import annotations

from ..models import ExoFopFileRow
from ..targets import normalize_toi_cell
from .tables import Table, parse_table, tic_cell, to_int

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
    data: bytes | str, *, tic_id: int, trusted: bool = False
) -> tuple[list[ExoFopFileRow], list[str]]:
    """Parse a raw file index; return the rows (sorted by file id) and warnings about skipped rows.

    ``InvalidResponseError`` for an empty body (a throttled answer, or one cached by an older version).
    """
    if not data.strip():
        from ..errors import InvalidResponseError

        raise InvalidResponseError(
            "the file list is empty (ExoFOP sends nothing when it throttles)",
            endpoint="download_filelist.php",
        )
    table = parse_table(data, what="the file list", endpoint="download_filelist.php", trusted=trusted)
    return rows_from_table(table, tic_id=tic_id)


def rows_from_table(table: Table, *, tic_id: int) -> tuple[list[ExoFopFileRow], list[str]]:
    """Map a parsed table onto file rows."""
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
    rows: dict[int, ExoFopFileRow] = {}
    for n, raw in enumerate(table.rows, start=1):

        def get(key: str, raw: dict[str, str | None] = raw) -> str | None:
            col = cols[key]
            return raw.get(col) if col is not None else None

        file_id = to_int(get("file_id"))
        filename = (get("filename") or "").strip()
        if file_id is None or file_id < 0 or not filename:
            warnings.append(f"file list row {n}: no usable File ID / File Name; row skipped")
            continue
        row_tic = tic_cell(get("tic"))
        if row_tic is not None and row_tic != tic_id:
            # A listing for one star should only hold that star; keep the row but say so.
            warnings.append(f"file list row {n}: file {file_id} is listed for TIC {row_tic}, not {tic_id}")
        row = ExoFopFileRow(
            file_id=file_id,
            tic_id=row_tic if row_tic is not None else tic_id,
            filename=filename,
            type=(get("type") or "").strip(),
            toi=normalize_toi_cell(get("toi")),
            date_utc=get("date"),
            tag=to_int(get("tag")),
            description=get("description") or "",
            user=get("user") or "",
            group=get("group") or "",
        )
        if file_id in rows and rows[file_id] != row:
            warnings.append(f"file list lists file id {file_id} twice; keeping the first row")
            continue
        rows.setdefault(file_id, row)
    return [rows[k] for k in sorted(rows)], warnings
