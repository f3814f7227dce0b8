"""The ``manifest.json`` of a star's folder (schema_version 1), rebuilt from the per-file records.

The records under ``.state/records/`` are the truth (see ``records``). The manifest is a deterministic
view rebuilt from the records, the file list and the summaries on disk, so two concurrent ``fetch`` runs
converge on a manifest listing every file without any lock: whoever writes last re-scans after writing and
writes again if the scan saw more than it wrote.
"""

import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import InvalidInputError
from ..models import ExoFopFileRow, ExoFopTarget, FetchIssue
from .atomic import dumps_json, read_json, write_json_if_changed
from .layout import FILELIST_NAME, TargetLayout, file_relpath
from .records import valid_records

SCHEMA_VERSION = 1
_CONVERGE_ROUNDS = 6


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
    requests: Mapping[str, str]
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
        "sources": {
            "base_url": inputs.base_url,
            "endpoints": endpoints_used(inputs.requests.values(), (f.get("source_url") for f in files)),
            "requests": dict(sorted(inputs.requests.items())),
        },
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


def endpoints_used(requests: Iterable[str], source_urls: Iterable[Any]) -> list[str]:
    """Sorted names of the ExoFOP scripts this folder's content came from (the spec's ``sources.endpoints``).

    The tables' relative URLs and the files' ``source_url``s (``…/get_file.php?id=1``,
    ``…/download_files_zip.php?id=1#member``) each name one script.
    """
    names = set()
    for url in (*requests, *(u for u in source_urls if isinstance(u, str))):
        script = url.split("#", 1)[0].split("?", 1)[0].rsplit("/", 1)[-1]
        if script.endswith(".php") and "{" not in url.split("?", 1)[-1]:
            names.add(script)
    return sorted(names)


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


def converge_manifest(
    layout: TargetLayout, inputs: ManifestInputs, damaged: list[str] | None = None
) -> dict[str, Any]:
    """Write the manifest from the records on disk until a re-scan after writing sees nothing new.

    Lock-free convergence: whichever process writes last re-scans after its write, so the final manifest
    lists every record completed before that write. A run that writes nothing (the manifest already says
    exactly this) needs no re-scan: any later writer re-scans for itself.
    """
    content = build_manifest(inputs, valid_records(layout, damaged))
    for _ in range(_CONVERGE_ROUNDS):
        if not write_manifest(layout, content):
            break
        again = build_manifest(inputs, valid_records(layout))
        if again == content:
            break
        content = again
    return content


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a ``manifest.json`` (for library users); ``InvalidInputError`` (a ``ValueError``) when it is not a
    schema-1 manifest."""
    data = read_json(Path(path))
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InvalidInputError(f"{path} is not an exofop manifest (schema_version {SCHEMA_VERSION})")
    return upgraded(data)


def upgraded(data: dict[str, Any]) -> dict[str, Any]:
    """A manifest in this version's shape: exofop 1.0 wrote ``target.toi``/``aliases`` as lists and
    ``sources.endpoints`` as a map of requests, under the same ``schema_version``; readers get the spec's
    shape either way (the file itself is rewritten by the next fetch)."""
    target, sources = data.get("target"), data.get("sources")
    old_target = isinstance(target, dict) and (
        isinstance(target.get("toi"), list) or isinstance(target.get("aliases"), list)
    )
    old_sources = isinstance(sources, dict) and isinstance(sources.get("endpoints"), dict)
    if not (old_target or old_sources):
        return data
    data = dict(data)
    if old_target:
        assert isinstance(target, dict)
        parsed = ExoFopTarget.from_dict(target)
        if parsed is not None:
            data["target"] = parsed.to_dict()
    if old_sources:
        assert isinstance(sources, dict)
        requests = {str(k): str(v) for k, v in sources["endpoints"].items()}
        files = data.get("files")
        urls = (
            f.get("source_url") for f in (files if isinstance(files, list) else []) if isinstance(f, dict)
        )
        data["sources"] = {
            **sources,
            "endpoints": endpoints_used(requests.values(), urls),
            "requests": dict(sorted(requests.items())),
        }
    return data


def manifest_bytes(content: Mapping[str, Any]) -> bytes:
    """Serialised form (for tests comparing bytes)."""
    return dumps_json(content)
