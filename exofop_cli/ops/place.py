"""Put a fetch's files in a folder the user names (``fetch --to DIR``), with a manifest describing them.

Decide, then act. ``decide_names`` (pure) gives each selected file its name in DIR: its ExoFOP name, made
safe as in the cache, with the file id in front only when that name is taken, by another selected file (the
lower file id keeps the plain name) or by a file in DIR that exofop did not put there. A file exofop placed
before (listed in ``DIR/manifest.json``) keeps its name; a file of the user's is never overwritten. Then each
file is hard-linked from the cache (same file system: no bytes copied) or else copied, through a unique temp
name in DIR, verified (a copy by size and sha256) and renamed onto its name: DIR never holds a partial file.

``DIR/manifest.json`` has the cache manifest's schema (schema_version 1) with paths relative to DIR, and the
file list and summary tables are placed too (``filelist.csv``, ``summaries/``), so the folder stands on its
own. Files placed by earlier runs for the same star stay listed while they are there; a DIR whose manifest
describes another star, or whose ``manifest.json`` is not exofop's, is refused before anything is written.
Two runs placing into one DIR at the same moment may each list only their own files (no lock is taken);
the files themselves are always whole.

A hard link shares the cache's copy: editing the placed file in place changes the cache's too, which the
cache notices (size or mtime against its record) and repairs on the next fetch.
"""

import contextlib
import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ..errors import CacheError, InvalidInputError
from ..store.atomic import AtomicWriter, dumps_json, ensure_dir, read_json, temp_path_for
from ..store.layout import FILELIST_NAME, MANIFEST_NAME, safe_filename
from ..store.manifest import SCHEMA_VERSION, utc_now
from ..store.records import sha256_of

if TYPE_CHECKING:
    from ..models import ExoFopFetchResult

# No `from __future__ import annotations`: ``Placement`` is a NamedTuple (see tests/test_import_cost.py).

SUMMARIES_FOLDER = "summaries"
# Names exofop itself uses in DIR: a selected file never takes one of them.
RESERVED_NAMES = frozenset({MANIFEST_NAME, FILELIST_NAME, SUMMARIES_FOLDER})
_COPY_CHUNK = 1 << 20


class Placement(NamedTuple):
    """Where one file goes in DIR: ``name`` relative to DIR, None when both its names are someone else's."""

    file_id: int
    name: str | None


def decide_names(
    wanted: Sequence[tuple[int, str]], *, owned: Mapping[str, int], occupied: Collection[str]
) -> list[Placement]:
    """Names in DIR for ``(file_id, safe name)`` pairs, by file id (pure: tested without a disk).

    ``owned``: name -> file id of the files exofop placed before (from ``DIR/manifest.json``); ``occupied``:
    the names present in DIR now. A name is free when nothing is there, or when it is this file's own.
    """
    previous = {fid: name for name, fid in owned.items() if name in occupied}
    taken: set[str] = set(RESERVED_NAMES)
    out = []
    for file_id, name in sorted(wanted):
        chosen = None
        for candidate in (previous.get(file_id), name, f"{file_id}_{name}"):
            if candidate is None or candidate in taken:
                continue
            if candidate in occupied and owned.get(candidate) != file_id:
                continue  # a user's file, or the one exofop placed for another file: never overwritten
            chosen = candidate
            break
        if chosen is not None:
            taken.add(chosen)
        out.append(Placement(file_id, chosen))
    return out


def place_result(result: "ExoFopFetchResult", folder: Path) -> "ExoFopFetchResult":
    """Place ``result``'s selected files (and its file list and tables) in ``folder``; the result says where."""
    star = read_json(result.manifest_path)
    if not isinstance(star, dict):
        raise CacheError(f"cannot place files: {result.manifest_path} is unreadable")
    before = _previous_manifest(folder, result.tic_id)
    _ensure_folder(folder)
    owned = {str(f["path"]): int(f["file_id"]) for f in before.get("files", ()) if _is_entry(f)}
    occupied = _names_in(folder)
    by_path = {result.cache_root / str(f["path"]): f for f in star.get("files", ()) if _is_entry(f)}
    entries = {int(by_path[p]["file_id"]): by_path[p] for p in result.files if p in by_path}
    wanted = [(fid, safe_filename(str(e["filename"]))) for fid, e in entries.items()]
    warnings: list[str] = []
    placed: dict[int, dict[str, Any]] = {}
    for placement in decide_names(wanted, owned=owned, occupied=occupied):
        entry = entries[placement.file_id]
        if placement.name is None:
            warnings.append(
                f"file {placement.file_id} ({entry['filename']}) was not placed in {folder}: both"
                f" {_plain_name(entry)} and {placement.file_id}_{_plain_name(entry)} there are not exofop's"
            )
            continue
        _put(result.cache_root / str(entry["path"]), folder / placement.name, entry)
        placed[placement.file_id] = {**entry, "path": placement.name}
    tables = _place_tables(result, star, folder, before, occupied, warnings)
    kept = [
        f
        for f in before.get("files", ())
        if _is_entry(f) and int(f["file_id"]) not in placed and _still_there(folder, f)
    ]
    files = sorted([*kept, *placed.values()], key=lambda f: int(f["file_id"]))
    content = {
        "schema_version": SCHEMA_VERSION,
        "target": star.get("target"),
        "auth": star.get("auth"),
        "sources": star.get("sources"),
        "filelist": tables.get("filelist"),
        "summaries": tables.get("summaries", {}),
        "files": files,
        "warnings": sorted(set(star.get("warnings") or ()) | set(warnings)),
        "errors": [e.to_dict() for e in result.errors],
        "placed_from": str(result.cache_root),
    }
    _write_manifest(folder / MANIFEST_NAME, content, before)
    return replace(
        result,
        placed=[folder / str(placed[fid]["path"]) for fid in sorted(placed)],
        placed_manifest_path=folder / MANIFEST_NAME,
        warnings=list(dict.fromkeys([*result.warnings, *warnings])),
    )


def _plain_name(entry: Mapping[str, Any]) -> str:
    """The name a file takes in DIR when nothing else has it."""
    return safe_filename(str(entry["filename"]))


def check_folder(folder: Path) -> None:
    """Refuse a DIR that cannot take placed files (a file, or a ``manifest.json`` that is not exofop's)."""
    if folder.exists() and not folder.is_dir():
        raise InvalidInputError(
            f"--to {folder}: not a folder", hint="name a folder (it is created if missing)"
        )
    manifest = folder / MANIFEST_NAME
    if manifest.exists():
        data = read_json(manifest)
        if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
            raise InvalidInputError(
                f"--to {folder}: its {MANIFEST_NAME} is not an exofop manifest; it is left alone",
                hint="choose another folder (exofop writes its own manifest.json there)",
            )


# -- the steps -------------------------------------------------------------------------------------------
def _previous_manifest(folder: Path, tic_id: int) -> dict[str, Any]:
    """The manifest exofop left in DIR before (empty when none); another star's is refused."""
    check_folder(folder)
    data = read_json(folder / MANIFEST_NAME)
    if not isinstance(data, dict):
        return {}
    target = data.get("target")
    theirs = target.get("tic_id") if isinstance(target, dict) else None
    if theirs != tic_id:
        raise InvalidInputError(
            f"--to {folder}: its {MANIFEST_NAME} describes TIC {theirs}, not TIC {tic_id}",
            hint="give each star its own folder (several targets in one fetch get DIR/tic_<id>/ each)",
        )
    return data


def _place_tables(
    result: "ExoFopFetchResult",
    star: Mapping[str, Any],
    folder: Path,
    before: Mapping[str, Any],
    occupied: Collection[str],
    warnings: list[str],
) -> dict[str, Any]:
    """Place the file list and the summary tables; their manifest entries."""
    ours = {FILELIST_NAME} if before.get("filelist") else set()
    ours |= {str(p) for p in (before.get("summaries") or {}).values()}
    out: dict[str, Any] = {"summaries": {}}

    def put(src: Path, name: str) -> bool:
        dest = folder / name
        if name not in ours and (name in occupied or os.path.lexists(dest)):
            warnings.append(f"{dest} is not exofop's: left alone, {src.name} not placed")
            return False
        _put(src, dest, None)
        return True

    if result.filelist_path is not None and put(result.filelist_path, FILELIST_NAME):
        out["filelist"] = {"path": FILELIST_NAME, "n_rows": (star.get("filelist") or {}).get("n_rows")}
    for kind, src in sorted(result.summary_paths.items()):
        name = f"{SUMMARIES_FOLDER}/{src.name}"
        _ensure_folder(folder / SUMMARIES_FOLDER)
        if put(src, name):
            out["summaries"][kind] = name
    return out


def _put(src: Path, dest: Path, entry: Mapping[str, Any] | None) -> None:
    """Make ``dest`` hold ``src``'s bytes: nothing when it already does, else a link or a verified copy."""
    if _same(src, dest, entry):
        return
    temp = temp_path_for(dest)
    try:
        os.link(src, temp)
    except OSError:
        _copy(src, dest, entry)  # another file system, or one without hard links
        return
    try:
        os.replace(temp, dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise _folder_error(exc, dest) from exc


def _same(src: Path, dest: Path, entry: Mapping[str, Any] | None) -> bool:
    """True when ``dest`` is ``src`` (a link made before) or a copy with the recorded sha256."""
    try:
        if os.path.samefile(src, dest):
            return True
        if entry is None or os.path.getsize(dest) != entry.get("bytes"):
            return False
        return sha256_of(dest) == entry.get("sha256")
    except OSError:
        return False


def _copy(src: Path, dest: Path, entry: Mapping[str, Any] | None) -> None:
    """Copy through a temp file in DIR, checked against the cache's record before it takes its name."""
    try:
        fh = open(src, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise CacheError(
            f"cannot place {dest.name}: its cached copy {src} is gone ({exc.strerror or exc})",
            hint="fetch again (another process may have pruned the cache meanwhile)",
        ) from exc
    try:
        with fh, AtomicWriter(dest) as writer:
            while chunk := fh.read(_COPY_CHUNK):
                writer.write(chunk)
            writer.commit(
                expected_size=entry.get("bytes") if entry else None,
                expected_sha256=entry.get("sha256") if entry else None,
            )
    except CacheError as exc:
        cause = exc.__cause__
        if isinstance(cause, OSError):
            raise _folder_error(cause, dest) from exc
        raise CacheError(f"cannot place {dest}: {exc.message}", hint="run `exofop fetch --verify`") from exc
    except OSError as exc:
        raise _folder_error(exc, dest) from exc


def _write_manifest(path: Path, content: Mapping[str, Any], before: Mapping[str, Any]) -> None:
    """Write DIR/manifest.json unless it already says the same (its ``generated_at`` then stays)."""
    if {k: v for k, v in before.items() if k != "generated_at"} == dict(content):
        return
    data = dumps_json({**content, "generated_at": utc_now()})
    try:
        with AtomicWriter(path, hashed=False) as writer:
            writer.write(data)
            writer.commit(expected_size=len(data))
    except CacheError as exc:
        cause = exc.__cause__
        raise _folder_error(cause if isinstance(cause, OSError) else OSError(str(exc)), path) from exc


# -- small helpers ---------------------------------------------------------------------------------------
def _ensure_folder(folder: Path) -> None:
    try:
        ensure_dir(folder)
    except CacheError as exc:
        cause = exc.__cause__
        raise _folder_error(cause if isinstance(cause, OSError) else OSError(str(exc)), folder) from exc


def _folder_error(exc: OSError, path: Path) -> CacheError:
    reason = exc.strerror or str(exc)
    return CacheError(f"cannot write {path}: {reason}", hint="choose another folder for --to")


def _names_in(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()


def _is_entry(entry: Any) -> bool:
    """A manifest ``files[]`` entry exofop can use (hand-edited or damaged ones are ignored)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
        return False
    try:
        int(entry.get("file_id"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    path = entry["path"]
    return bool(path) and "\x00" not in path and not os.path.isabs(path) and ".." not in Path(path).parts


def _still_there(folder: Path, entry: Mapping[str, Any]) -> bool:
    """An earlier placement is kept in the manifest while its file is there with its recorded size."""
    dest = folder / str(entry["path"])
    try:
        return not dest.is_symlink() and dest.is_file() and dest.stat().st_size == entry.get("bytes")
    except OSError:
        return False
