"""Per-file download records and the ``manifest.json`` built from them (schema_version 1).

The records under ``.state/records/`` are the truth: each is written once, atomically, right after its file
is renamed into place, and binds the file's size and mtime to its sha256. The manifest is a deterministic
view rebuilt from the records, the file list and the summaries on disk, so two concurrent ``fetch`` runs
converge on a manifest listing every file without any lock: whoever writes last re-scans after writing and
writes again if the scan saw more than it wrote.
"""

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from .layout import FILELIST_NAME, TargetLayout, file_relpath
from .models import ExoFopFileRow, ExoFopTarget, FetchIssue
from .plan import RecordState
from .storage import dumps_json, read_json, write_json_if_changed

SCHEMA_VERSION = 1
_CONVERGE_ROUNDS = 6


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


_ENTRY_KEYS = (
    "file_id",
    "filename",
    "type",
    "path",
    "sha256",
    "bytes",
    "source_url",
    "date",
    "tag",
    "description",
    "toi",
    "user",
    "group",
)


def manifest_entry(record: Mapping[str, Any], row: ExoFopFileRow | None) -> dict[str, Any]:
    """A manifest ``files[]`` entry: hashes from the record, metadata from the current file list if known."""
    entry = {key: record.get(key) for key in _ENTRY_KEYS}
    if row is not None and entry["path"] == file_relpath(row.file_id, row.filename):
        entry.update(
            type=row.type,
            date=row.date_utc,
            tag=row.tag,
            description=row.description,
            toi=row.toi,
            user=row.user,
            group=row.group,
        )
    return entry


class ManifestInputs(NamedTuple):
    """Everything besides the records that goes into a manifest."""

    target: ExoFopTarget
    base_url: str
    cookie_jar_used: bool
    filelist_rows: int | None
    rows: Mapping[int, ExoFopFileRow]
    summaries: Mapping[str, str]
    endpoints: Mapping[str, str]
    warnings: tuple[str, ...]
    errors: tuple[FetchIssue, ...]


def build_manifest(inputs: ManifestInputs, records: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The manifest content (without ``generated_at``) as a plain dict."""
    files = [manifest_entry(r, inputs.rows.get(int(r["file_id"]))) for r in records]
    present = {f["file_id"] for f in files}
    # A concurrent run may have fetched what this run failed to; the file on disk wins over the error.
    errors = [e.to_dict() for e in inputs.errors if e.file_id is None or e.file_id not in present]
    return {
        "schema_version": SCHEMA_VERSION,
        "target": inputs.target.to_dict(),
        "auth": {"cookie_jar_used": inputs.cookie_jar_used},
        "sources": {"base_url": inputs.base_url, "endpoints": dict(sorted(inputs.endpoints.items()))},
        "filelist": (
            {"path": FILELIST_NAME, "n_rows": inputs.filelist_rows}
            if inputs.filelist_rows is not None
            else None
        ),
        "summaries": dict(sorted(inputs.summaries.items())),
        "files": files,
        "warnings": sorted(set(inputs.warnings)),
        "errors": errors,
    }


def _without_timestamp(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: v for k, v in data.items() if k != "generated_at"}
    return None


def utc_now() -> str:
    """Current UTC time as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def write_manifest(layout: TargetLayout, content: Mapping[str, Any]) -> bool:
    """Write the manifest unless it already says the same (ignoring ``generated_at``); True if written."""
    existing = read_json(layout.manifest)
    if _without_timestamp(existing) == dict(content):
        return False
    return write_json_if_changed(layout.manifest, {**content, "generated_at": utc_now()})


def converge_manifest(layout: TargetLayout, inputs: ManifestInputs) -> dict[str, Any]:
    """Write the manifest from the records on disk until a re-scan after writing sees nothing new.

    Lock-free convergence: whichever process writes last re-scans after its write, so the final manifest
    lists every record completed before that write. A run that writes nothing (the manifest already says
    exactly this) needs no re-scan: any later writer re-scans for itself.
    """
    content = build_manifest(inputs, valid_records(layout))
    for _ in range(_CONVERGE_ROUNDS):
        if not write_manifest(layout, content):
            break
        again = build_manifest(inputs, valid_records(layout))
        if again == content:
            break
        content = again
    return content


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a ``manifest.json`` (for library users); ``ValueError`` when it is not a schema-1 manifest."""
    data = read_json(Path(path))
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise ValueError(f"{path} is not an exofop manifest (schema_version {SCHEMA_VERSION})")
    return data


def manifest_bytes(content: Mapping[str, Any]) -> bytes:
    """Serialised form (for tests comparing bytes)."""
    return dumps_json(content)
