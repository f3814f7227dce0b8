"""Plan a fetch without making it (``fetch --dry-run``): what would be downloaded, what is cached, what
needs a login, and the bytes where the cache knows them.

Nothing is written: not a file, not the file list, not a resolution, not a temp file. What the plan needs
and the cache lacks (a TOI's TIC, the star's file list, the observation tables an instrument selection joins)
is asked of ExoFOP and kept in memory only, so a dry run leaves the cache exactly as it found it. Files are
never requested: ExoFOP's file list carries no sizes, so the size of a file never downloaded is unknown
(reported as such, never guessed); a file the cache had once (its record remains) counts at its recorded size.
The decisions are the fetch's own (``plan.file_actions``, ``plan.archive_choice``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..remote import endpoints
from ..store.atomic import read_json
from ..targets import parse_target
from .fetch_state import FetchOptions, known_refusals
from .plan import (
    OBSERVATION_KINDS,
    FileAction,
    archive_choice,
    empty_selection_note,
    file_actions,
    observation_index,
    select_rows,
    speculate_archive,
)

if TYPE_CHECKING:
    from ..models import ExoFopFileRow
    from ..remote.service import ExoFopRemote
    from ..remote.tables import Table
    from ..store.cache import CacheStore, TargetStore
    from .resolve import Resolver

# How a plan names each action for people (JSON keeps the keys).
ACTION_WORDS: Mapping[str, str] = {
    "download": "download",
    "cached": "cached",
    "rehash": "check",  # size kept, mtime moved: re-hashed, downloaded only if its content changed
    "needs_login": "needs login",
}


@dataclass(frozen=True)
class PlannedFile:
    """One selected file and what a fetch would do with it."""

    file_id: int
    filename: str
    type: str
    action: FileAction
    bytes: int | None  # known from the cache's record; None when the file was never downloaded
    path: Path  # where it is, or would be, in the cache

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of ``fetch --dry-run --json``."""
        return {
            "file_id": self.file_id,
            "filename": self.filename,
            "type": self.type,
            "action": self.action,
            "bytes": self.bytes,
            "path": str(self.path),
        }


@dataclass(frozen=True)
class FetchPlan:
    """What ``fetch`` would do for one target, decided from the cache (and ExoFOP's lists where missing)."""

    target: str
    tic_id: int
    files: tuple[PlannedFile, ...]
    requests: tuple[str, ...]  # what the fetch would ask ExoFOP for besides the files, in words
    archive: str | None  # "zip"/"tar" when the files to download would come from the star's archive
    warnings: tuple[str, ...] = ()

    def with_action(self, action: str) -> list[PlannedFile]:
        """The planned files with one action."""
        return [f for f in self.files if f.action == action]

    @property
    def bytes_to_download(self) -> int:
        """Known bytes of the files to download (see ``unknown_sizes`` for the rest)."""
        return sum(f.bytes or 0 for f in self.with_action("download"))

    @property
    def unknown_sizes(self) -> int:
        """Files to download whose size nobody can know before asking for them."""
        return sum(1 for f in self.with_action("download") if f.bytes is None)

    @property
    def file_requests(self) -> int:
        """Requests the files would take: one archive, or one per file."""
        n = len(self.with_action("download"))
        return (1 if n else 0) if self.archive else n

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of ``fetch --dry-run --json`` (one object per target)."""
        return {
            "target": self.target,
            "tic_id": self.tic_id,
            "files": [f.to_dict() for f in self.files],
            "counts": {action: len(self.with_action(action)) for action in ACTION_WORDS},
            "bytes_to_download": self.bytes_to_download,
            "unknown_sizes": self.unknown_sizes,
            "bytes_cached": sum(f.bytes or 0 for f in self.with_action("cached")),
            "requests": list(self.requests),
            "archive": self.archive,
            "file_requests": self.file_requests,
            "warnings": list(self.warnings),
        }


def plan_fetch(
    target: str | int,
    options: FetchOptions,
    *,
    remote: ExoFopRemote,
    cache: CacheStore,
    resolver: Resolver,
    jobs: int,
) -> FetchPlan:
    """What fetching ``target`` with ``options`` would do, without downloading or writing anything."""
    query = parse_target(target)
    cached_target = resolver.cached(query)
    tic = cached_target.tic_id if cached_target is not None else resolver.identify(query)[0]
    store = cache.target(tic)
    requests: list[str] = []
    if cached_target is None:
        requests.append("the star's overview")
    rows, warnings = _file_list(store, remote, options, requests)
    if not rows and cached_target is None and not store.layout.manifest.exists():
        remote.overview(tic)  # an unknown TIC: TargetNotFoundError, as the fetch would raise
    for kind in options.summary_kinds():
        if (
            options.refresh
            or not store.summary_path(kind).is_file()
            or (options.verify and store.read_summary(kind) is None)
        ):
            requests.append(f"the {kind} table")
    selectors = options.selectors
    observations = None
    if selectors is not None and selectors.needs_summaries:
        observations = observation_index(_observation_tables(store, remote, options))
    selected = select_rows(rows, selectors, observations=observations)
    if not selected:
        note = empty_selection_note(rows, selectors, observations=observations)
        warnings = [*warnings, note] if note else warnings
    files, refused = _decide(store, remote, options, selected)
    if refused:
        warnings.append(
            "files that need an ExoFOP login were refused before and would not be asked for again; log in"
            " (`exofop auth login`) or use --refresh to retry"
        )
    return FetchPlan(
        target=str(target),
        tic_id=tic,
        files=tuple(files),
        requests=tuple(requests),
        archive=_archive(store, options, rows, files, jobs),
        warnings=tuple(dict.fromkeys(warnings)),
    )


def _file_list(
    store: TargetStore, remote: ExoFopRemote, options: FetchOptions, requests: list[str]
) -> tuple[list[ExoFopFileRow], list[str]]:
    """The cached file list, else (or with --refresh) ExoFOP's, read into memory only."""
    from ..remote.filelist import parse_filelist

    cached = None if options.refresh else store.read_filelist()
    if cached is not None:
        rows, warnings = cached
        return rows, list(warnings)
    requests.append("the file list")
    rows, warnings = parse_filelist(remote.filelist(store.tic_id), tic_id=store.tic_id)
    return rows, list(warnings)


def _observation_tables(store: TargetStore, remote: ExoFopRemote, options: FetchOptions) -> dict[str, Table]:
    """The tables an instrument/telescope selection joins: cached, else ExoFOP's (in memory)."""
    from ..remote.tables import parse_table

    tables = {}
    for kind in OBSERVATION_KINDS:
        table = None if options.refresh else store.read_summary(kind)
        if table is None:
            spec = endpoints.SUMMARIES[kind]
            data = remote.summary(store.tic_id, kind)
            table = parse_table(data, what=f"the {kind} table", endpoint=spec.endpoint)
        tables[kind] = table
    return tables


def _decide(
    store: TargetStore, remote: ExoFopRemote, options: FetchOptions, selected: list[ExoFopFileRow]
) -> tuple[list[PlannedFile], int]:
    """The fetch's own per-file decisions, with the sizes the records know; and how many need a login."""
    from ..store.records import record_state

    layout = store.layout
    refused = known_refusals(layout, read_json(layout.manifest), options, remote.session_key)
    states = {row.file_id: record_state(layout, row)[0] for row in selected}
    files = [
        PlannedFile(
            file_id=row.file_id,
            filename=row.filename,
            type=row.type,
            action=action,
            bytes=None if action == "needs_login" else states[row.file_id].record_size,
            path=layout.file_path(row.file_id, row.filename),
        )
        for row, action in file_actions(
            selected, states, refused=refused, force=options.force, verify=options.verify
        )
    ]
    return files, sum(1 for f in files if f.action == "needs_login")


def _archive(
    store: TargetStore,
    options: FetchOptions,
    rows: list[ExoFopFileRow],
    files: list[PlannedFile],
    jobs: int,
) -> str | None:
    """The archive the files to download would come from (the fetch's own choice), or None."""
    wanted = {f.file_id for f in files if f.action == "download"}
    if not wanted:
        return None
    cached_anything = store.has_filelist() or any(store.layout.records_dir.glob("*.json"))
    if speculate_archive(options.archive, selectors=options.selectors, cached_anything=cached_anything):
        return "zip"
    refused = {f.file_id for f in files if f.action == "needs_login"}
    return archive_choice(
        options.archive,
        wanted=[r for r in rows if r.file_id in wanted],
        listed=rows,
        refused=refused,
        jobs=jobs,
    )
