"""Per-file download records: ``.state/records/<file_id>.json``, the truth the manifest is built from.

Each record is written once, atomically, right after its file is renamed into place, and binds the file's
size and mtime to its sha256. A file whose size and mtime still match its record is trusted without reading
it (see ``ops.plan.download_action``).
"""

import os
from pathlib import Path
from typing import Any, NamedTuple

from ..models import ExoFopFileRow
from .atomic import read_json, write_json_if_changed
from .layout import TargetLayout, file_relpath


class RecordState(NamedTuple):
    """What the cache knows of a file: its record (from a past download) and a fresh ``stat`` of it."""

    record_size: int | None
    record_mtime_ns: int | None
    disk_size: int | None
    disk_mtime_ns: int | None


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def sha256_of(path: Path) -> str:
    """sha256 of a file, read in 1 MiB blocks."""
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_record(
    layout: TargetLayout, row: ExoFopFileRow, *, sha256: str, size: int, mtime_ns: int, source_url: str
) -> dict[str, Any]:
    """Record a completed download (after its file was renamed into place).

    Another run may replace the same file between our rename and this write; then the record would name a
    stale mtime and the file would drop out of every manifest. So the file is stat-ed after writing, and if
    it is no longer ours the record is rewritten from what is on disk now (re-hashed: it is complete,
    since every file arrives by atomic rename).
    """
    path = layout.file_path(row.file_id, row.filename)
    record: dict[str, Any] = {}
    for _ in range(3):
        record = {
            "file_id": row.file_id,
            "filename": row.filename,
            "path": file_relpath(row.file_id, row.filename),
            "sha256": sha256,
            "bytes": size,
            "mtime_ns": mtime_ns,
            "source_url": source_url,
            "type": row.type,
            "date": row.date_utc,
            "tag": row.tag,
            "description": row.description,
            "toi": row.toi,
            "user": row.user,
            "group": row.group,
        }
        write_json_if_changed(layout.record_path(row.file_id), record)
        st = _stat(path)
        if st is None or (st.st_size, st.st_mtime_ns) == (size, mtime_ns):
            break
        try:
            sha256, size, mtime_ns = sha256_of(path), st.st_size, st.st_mtime_ns
        except OSError:
            break
    return record


def read_record(layout: TargetLayout, file_id: int) -> dict[str, Any] | None:
    """A file's record, or None."""
    data = read_json(layout.record_path(file_id))
    return data if isinstance(data, dict) and isinstance(data.get("sha256"), str) else None


def record_state(layout: TargetLayout, row: ExoFopFileRow) -> tuple[RecordState, dict[str, Any] | None]:
    """The inputs of ``download_action`` for one row: its record and a stat of its file."""
    record = read_record(layout, row.file_id)
    if record is not None and record.get("path") != file_relpath(row.file_id, row.filename):
        record = None  # renamed upstream: the old path no longer answers for this row
    st = _stat(layout.file_path(row.file_id, row.filename))
    return (
        RecordState(
            record_size=record.get("bytes") if record else None,
            record_mtime_ns=record.get("mtime_ns") if record else None,
            disk_size=st.st_size if st else None,
            disk_mtime_ns=st.st_mtime_ns if st else None,
        ),
        record,
    )


def valid_records(layout: TargetLayout) -> list[dict[str, Any]]:
    """Records whose file is on disk with the recorded size and mtime, sorted by file id."""
    out = []
    try:
        names = os.listdir(layout.records_dir)
    except OSError:
        return []
    for name in names:
        if not name.endswith(".json") or name.startswith("."):
            continue
        record = read_json(layout.records_dir / name)
        if not isinstance(record, dict) or not isinstance(record.get("path"), str):
            continue
        st = _stat(layout.root / record["path"])
        if st is None or st.st_size != record.get("bytes") or st.st_mtime_ns != record.get("mtime_ns"):
            continue
        out.append(record)
    return sorted(out, key=lambda r: int(r.get("file_id", 0)))
