"""Per-file download records: ``.state/records/<file_id>.json``, the truth the manifest is built from.

Each record is written once, atomically, right after its file is renamed into place, and binds the file's
size and mtime to its sha256. A file whose size and mtime still match its record is trusted without reading
it (see ``ops.plan.download_action``).

Records are checked when read (``record_problem``): one that was edited by hand or damaged (a path that is
not where exofop puts that file, ``../../etc/passwd`` included; a ``file_id`` that is not its own; a hash,
size or mtime that is not one) is ignored, as if missing: its file is checked or fetched again and the
record rewritten. The fetch says so (a warning).
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


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


_TEXT_KEYS = ("source_url", "type", "date", "description", "toi", "user", "group")


def record_problem(data: Any, file_id: int | None = None) -> str | None:
    """Why a record read from disk cannot be trusted, or None when it is one exofop wrote for ``file_id``."""
    if not isinstance(data, dict):
        return "not a JSON object"
    fid, name = data.get("file_id"), data.get("filename")
    if not isinstance(fid, int) or not _whole(fid):
        return "its file_id is not a whole number"
    if file_id is not None and fid != file_id:
        return f"its file_id {fid} is not the {file_id} of its name"
    if not isinstance(name, str) or not name:
        return "it names no file"
    if data.get("path") != file_relpath(fid, name):
        return "its path is not where exofop keeps that file"
    sha = data.get("sha256")
    if not isinstance(sha, str) or len(sha) != 64 or not set(sha) <= set("0123456789abcdef"):
        return "its sha256 is not a hash"
    if not _whole(data.get("bytes")) or not _whole(data.get("mtime_ns")):
        return "its size or mtime is not a whole number"
    if any(not isinstance(data.get(key), str | None) for key in _TEXT_KEYS):
        return "a field that holds text holds something else"
    if data.get("tag") is not None and not _whole(data.get("tag")):
        return "its tag is not a whole number"
    return None


def read_record(layout: TargetLayout, file_id: int) -> dict[str, Any] | None:
    """A file's record, or None (missing, or failing ``record_problem``)."""
    data = read_json(layout.record_path(file_id))
    return data if record_problem(data, file_id) is None else None


def damaged_record(layout: TargetLayout, file_id: int) -> str | None:
    """A warning when a record exists for ``file_id`` but cannot be trusted (see ``record_problem``)."""
    path = layout.record_path(file_id)
    if not path.exists():
        return None
    problem = record_problem(read_json(path), file_id)
    if problem is None:
        return None
    rel = path.relative_to(layout.root).as_posix()
    return f"ignored the damaged record {rel} ({problem}); the file is checked again and the record rebuilt"


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


def valid_records(layout: TargetLayout, damaged: list[str] | None = None) -> list[dict[str, Any]]:
    """Records whose file is on disk with the recorded size and mtime, sorted by file id (a record that
    fails ``record_problem``, or whose name is not ``<its file_id>.json``, never counts; ``damaged``
    collects a warning for each of the first kind)."""
    out = []
    try:
        names = os.listdir(layout.records_dir)
    except OSError:
        return []
    for name in names:
        stem = name.removesuffix(".json")
        if not name.endswith(".json") or not stem.isdigit() or stem != str(int(stem)):
            continue
        record = read_json(layout.records_dir / name)
        if record_problem(record, int(stem)) is not None:
            if damaged is not None:
                damaged.append(damaged_record(layout, int(stem)) or f"ignored the damaged record {name}")
            continue
        st = _stat(layout.root / record["path"])
        if st is None or st.st_size != record.get("bytes") or st.st_mtime_ns != record.get("mtime_ns"):
            continue
        out.append(record)
    return sorted(out, key=lambda r: int(r["file_id"]))
