"""The warm path: replay a fetch that had nothing to do, checking only ``stat`` of what it depended on.

A fetch that found everything it was asked for in the cache (no request, no download, nothing on disk
changed while it ran) records ``.state/warm.json``: the request (selection and options), the resolution it
started from, its result, and the size, mtime and inode of everything its decision read:

* ``filelist.csv`` and ``manifest.json`` (the rows; the errors of files that need a login);
* every file the manifest lists, the record of each, and every summary table the manifest lists;
* the ``files/``, ``summaries/`` and ``.state/records/`` folders, whose mtime changes whenever an entry is
  added, removed or renamed into place (exofop writes everything by rename).

A later fetch of the same request replays that result when all of them are unchanged: no CSV parsing, no
record reading, no manifest rebuild, only ``stat`` calls, which is all a warm run should touch. Anything else
goes through the full fetch, which is always correct: the stamp is an optimisation, never a source of
truth, and a missing, torn, foreign or outdated stamp costs one full fetch, nothing more.

Coarse timestamps: like git's index, a stamp is trusted only when everything it lists is older, by
``RACY_WINDOW_NS``, than the moment the fetch started reading them; otherwise a change within the same
clock tick as that reading could go unseen. That moment is taken from the file system's own clock (the
mtime of ``.state/last_used``, touched just before the reading), so both sides of the comparison are file
mtimes, even on a network share whose clock differs from ours. The request key carries exofop's version:
a stamp written by another version is never replayed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._version import __version__
from ..models import ExoFopFetchResult, ExoFopSelectors, ExoFopTarget, FetchIssue
from .atomic import atomic_write_bytes, dumps_json, ensure_dir, read_json, touch
from .layout import FILELIST_NAME, MANIFEST_NAME, TargetLayout

if TYPE_CHECKING:
    from .resolutions import ResolutionCache

STAMP_VERSION = 3  # 3: exofop 1.1's result (lists of files, summary paths)
# Inputs changed less than this before the fetch read them make its stamp untrusted (FAT has 2 s mtimes).
RACY_WINDOW_NS = 2_000_000_000
# Folders whose mtime moves when an entry appears, disappears or is replaced by rename.
_FOLDERS = ("files", "summaries", ".state/records")

Snapshot = dict[str, list[int] | None]


def request_key(
    *,
    base_url: str,
    selectors: ExoFopSelectors | None,
    include_summaries: bool,
    archive: str | None,
    cookie_jar_used: bool,
) -> dict[str, Any]:
    """Everything besides the cache that decides a fetch's outcome, in JSON form."""
    return {
        "exofop": __version__,  # another version may select, parse or lay out differently
        "base_url": base_url,
        "selectors": (selectors or ExoFopSelectors()).to_dict(),  # no selectors == empty selectors
        "include_summaries": include_summaries,
        "archive": archive,
        "cookie_jar_used": cookie_jar_used,
    }


def input_paths(manifest: Mapping[str, Any] | None) -> list[str]:
    """Paths (relative to the target folder) whose state a no-op fetch's result depends on."""
    # The manifest is read from disk and may have been edited by hand: anything odd is skipped (the full
    # fetch rewrites such a manifest, and the changed snapshot then keeps that run from being recorded).
    paths = [FILELIST_NAME, MANIFEST_NAME, *_FOLDERS]
    if not isinstance(manifest, Mapping):
        return paths
    files = manifest.get("files")
    for entry in files if isinstance(files, list) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("path"), str):
            paths.append(entry["path"])
            file_id = entry.get("file_id")
            if isinstance(file_id, int) and not isinstance(file_id, bool):
                paths.append(f".state/records/{file_id}.json")
    summaries = manifest.get("summaries")
    if isinstance(summaries, Mapping):
        paths.extend(p for p in summaries.values() if isinstance(p, str))
    return paths


def _stat(path: Path) -> list[int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL in a hand-edited path
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def snapshot(root: Path, paths: Iterable[str]) -> Snapshot:
    """``[size, mtime_ns, inode]`` (or None when absent) of each path under ``root``."""
    return {p: _stat(root / p) for p in paths}


def file_system_now(layout: TargetLayout) -> int | None:
    """Touch ``.state/last_used`` and return its new mtime: "now" by the cache's file-system clock."""
    touch(layout.last_used)
    try:
        return os.stat(layout.last_used).st_mtime_ns
    except OSError:
        return None


def observe(layout: TargetLayout) -> tuple[Any, Snapshot | None, int | None]:
    """The manifest for a fetch to decide from, with the snapshot and clock a stamp of that fetch needs.

    The clock is read first and the manifest is stat-ed around its reading, so that nothing read for the
    decision can have changed unseen; when it did (snapshot and clock None), the run is not recorded.
    """
    read_at = file_system_now(layout)
    before = _stat(layout.manifest)
    manifest = read_json(layout.manifest)
    inputs = snapshot(layout.root, input_paths(manifest))
    if read_at is None or inputs.get(MANIFEST_NAME) != before:
        return manifest, None, None
    return manifest, inputs, read_at


def _load(layout: TargetLayout) -> dict[str, Any] | None:
    data = read_json(layout.warm_stamp)
    if not isinstance(data, dict) or data.get("version") != STAMP_VERSION:
        return None
    return data


def _trusted(stamp: Mapping[str, Any]) -> bool:
    read_at, inputs = stamp.get("read_at_ns"), stamp.get("inputs")
    if not isinstance(read_at, int) or not isinstance(inputs, dict):
        return False
    for value in inputs.values():
        if value is None:
            continue
        if not (isinstance(value, list) and len(value) == 3 and isinstance(value[1], int)):
            return False
        if value[1] >= read_at - RACY_WINDOW_NS:
            return False
    return True


def _matches(stamp: Mapping[str, Any], key: Mapping[str, Any], resolution: ExoFopTarget) -> bool:
    return stamp.get("key") == key and stamp.get("resolution") == resolution.to_dict() and _trusted(stamp)


def replay(
    resolutions: ResolutionCache,
    cache_root: Path,
    query_key: str,
    key: Mapping[str, Any],
    notices: list[str],
) -> ExoFopFetchResult | None:
    """The result of a fetch of the target ``query_key`` names if a recorded no-op still holds; else None."""
    resolution = resolutions.get(query_key)
    if resolution is None:
        return None
    layout = TargetLayout.for_tic(cache_root, resolution.tic_id)
    stamp = _load(layout)
    if stamp is None or not _matches(stamp, key, resolution):
        return None
    inputs = stamp["inputs"]
    if snapshot(layout.root, inputs) != inputs:
        return None
    try:
        result = _result_from(stamp["result"], layout, notices)
    except (KeyError, TypeError, ValueError):
        return None  # a stamp from a different build of exofop: the full path rewrites it
    touch(layout.last_used)  # as the full fetch does: `cache prune --older-than` goes by it
    return result


def _result_from(data: Mapping[str, Any], layout: TargetLayout, notices: list[str]) -> ExoFopFetchResult:
    target = ExoFopTarget.from_dict(data["target"])
    if target is None:
        raise ValueError("no target in the stamp")
    filelist = data["filelist"]
    return ExoFopFetchResult(
        target=target,
        cache_root=layout.root,
        manifest_path=layout.manifest,
        files_downloaded=[],
        files_skipped=[str(name) for name in data["files_skipped"]],
        warnings=list(dict.fromkeys([*notices, *(str(w) for w in data["warnings"])])),
        filelist_path=layout.root / str(filelist) if filelist is not None else None,
        summary_paths={str(k): layout.root / str(v) for k, v in data["summaries"].items()},
        errors=[
            FetchIssue(
                kind=e["kind"],
                message=str(e["message"]),
                file_id=e.get("file_id"),
                endpoint=e.get("endpoint"),
            )
            for e in data["errors"]
        ],
        files=[layout.root / str(p) for p in data["files"]],
    )


def record(
    layout: TargetLayout,
    *,
    key: Mapping[str, Any],
    resolution: ExoFopTarget,
    result: ExoFopFetchResult,
    run_warnings: tuple[str, ...],
    inputs: Snapshot,
    read_at_ns: int,
) -> None:
    """Write the stamp of a no-op fetch (unless a stamp that would replay it is already there).

    ``inputs`` must be a snapshot taken before the fetch decided anything and still equal after it: then the
    result was computed from exactly that state. ``read_at_ns`` is ``file_system_now`` from just before that
    snapshot. ``run_warnings`` are the result's warnings without the
    client's own notices (those are recomputed on every run). Best effort: a stamp that cannot be written
    only means the next warm run takes the full path.
    """
    stamp = _load(layout)
    if stamp is not None and _matches(stamp, key, resolution) and stamp.get("inputs") == inputs:
        return  # already there, and trusted
    data = {
        "version": STAMP_VERSION,
        "read_at_ns": read_at_ns,
        "key": dict(key),
        "resolution": resolution.to_dict(),
        "inputs": inputs,
        "result": {
            "target": result.target.to_dict(),
            "files": [p.relative_to(layout.root).as_posix() for p in result.files],
            "files_skipped": list(result.files_skipped),
            "filelist": (
                result.filelist_path.relative_to(layout.root).as_posix() if result.filelist_path else None
            ),
            "summaries": {k: v.relative_to(layout.root).as_posix() for k, v in result.summary_paths.items()},
            "warnings": list(run_warnings),
            "errors": [e.to_dict() for e in result.errors],
        },
    }
    from ..errors import CacheError

    try:
        ensure_dir(layout.warm_stamp.parent)
        atomic_write_bytes(layout.warm_stamp, dumps_json(data))
    except CacheError:
        pass
