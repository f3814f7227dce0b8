"""Carry out one ``fetch``: decide from the cache what is missing, fetch it in parallel, rebuild the manifest.

The file list, the summaries, the target overview and the file downloads share one thread pool (``jobs``
workers) over one keep-alive connection pool, so they overlap. When everything is cached no pool is made and
no network module is imported: the run reads the file list, stats the selected files and compares the
manifest, and that is all.

``Fetcher.run`` reads as its steps: identify → observe the cache → start what is missing → read the file
list → select → decide per file → download → collect → manifest → result (and, for a no-op, a warm stamp).
The fetcher is given the remote, the cache and the resolver it needs; it never sees the client.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import (
    CacheError,
    Cancelled,
    InvalidResponseError,
    OfflineError,
    RequestError,
    TargetNotFoundError,
)
from ..models import ExoFopFetchResult, ExoFopFileRow, ExoFopSelectors, ExoFopTarget, FetchIssue
from ..progress import NullProgress, ProgressListener
from ..remote import endpoints
from ..store import activity, refusals, warm
from ..store.atomic import AtomicWriter, ensure_dir, read_json, real_dir, remove_stale_temps, touch
from ..store.manifest import ManifestInputs, converge_manifest
from ..store.records import sha256_of, write_record
from ..targets import sorted_tois
from . import browse
from .plan import (
    OBSERVATION_KINDS,
    archive_choice,
    empty_selection_note,
    file_actions,
    observation_index,
    select_rows,
    speculate_archive,
)
from .results import issue_from

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from ..remote.answers import Overview
    from ..remote.http import Saved
    from ..remote.service import ExoFopRemote
    from ..remote.tables import Table
    from ..store.cache import CacheStore, TargetStore
    from ..store.layout import TargetLayout
    from ..targets import TargetQuery
    from .resolve import Resolver

T = TypeVar("T")


@dataclass(frozen=True)
class FetchOptions:
    """What one fetch is asked to do (see ``ExoFopClient.fetch``)."""

    selectors: ExoFopSelectors | None = None
    include_summaries: bool = True
    refresh: bool = False
    force: bool = False
    verify: bool = False
    archive: str | None = "auto"  # "auto", "zip", "tar", or "off"/None: one file at a time

    @property
    def may_replay(self) -> bool:
        """True unless the user asked for fresh data or a fresh check (then the full path always runs)."""
        return not (self.refresh or self.force or self.verify)

    def summary_kinds(self) -> list[str]:
        """Summary tables this fetch needs: all when asked for, plus those an instrument selection joins."""
        kinds: list[str] = list(endpoints.SUMMARY_KINDS) if self.include_summaries else []
        if self.selectors is not None and self.selectors.needs_summaries:
            kinds += [k for k in OBSERVATION_KINDS if k not in kinds]
        return kinds


@dataclass
class _Run:
    """The state of one run as its steps fill it in."""

    query: TargetQuery
    options: FetchOptions
    store: TargetStore
    cached_target: ExoFopTarget | None
    id_tois: tuple[str, ...]
    notes: list[str]
    n_notices: int
    errors: list[FetchIssue] = field(default_factory=list)
    manifest_before: Any = None
    warm_inputs: warm.Snapshot | None = None
    read_at: int | None = None
    overview: Future[Overview] | None = None
    filelist: Future[tuple[list[ExoFopFileRow], list[str]]] | None = None
    summaries: dict[str, Future[bytes]] = field(default_factory=dict)
    archive: Future[Path] | None = None  # the star's zip, asked for alongside its file list
    archive_used: bool = False
    requested: int = 0  # files asked of the server (one by one or from the archive)
    skipped: list[str] = field(default_factory=list)  # ExoFOP names of selected files already cached
    downloaded: list[Path] = field(default_factory=list)
    nbytes: int = 0
    marker: activity.Marker | None = None  # tells `cache prune` this star is in use

    @property
    def layout(self) -> TargetLayout:
        """The star's folder."""
        return self.store.layout

    @property
    def label(self) -> str:
        """``TIC <id>``: how progress and messages name the star."""
        return f"TIC {self.store.tic_id}"

    @property
    def went_online(self) -> bool:
        """True when anything was asked of the server (then the run is not a replayable no-op)."""
        return (
            self.requested > 0
            or self.overview is not None
            or self.filelist is not None
            or bool(self.summaries)
            or self.archive is not None
        )


class Fetcher:
    """One fetch of one target (not reusable): use as ``with Fetcher(...) as f: f.run(query, options)``."""

    def __init__(
        self,
        *,
        remote: ExoFopRemote,
        cache: CacheStore,
        resolver: Resolver,
        jobs: int,
        progress: ProgressListener | None = None,
        notices: list[str] | None = None,
    ) -> None:
        self.remote = remote
        self.cache = cache
        self.resolver = resolver
        self.jobs = jobs
        self.progress = progress or NullProgress()
        self.notices = list(notices or ())
        self.cancel = threading.Event()
        self._pool: ThreadPoolExecutor | None = None

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        if self._pool is None:
            # Imported here: a fully cached run never needs threads.
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self.jobs, thread_name_prefix="exofop")
        return self._pool.submit(fn, *args)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc is not None:
            # Workers stop within a fraction of a second wherever they wait (a read, a connect, a backoff,
            # a Retry-After): Ctrl-C must not wait for a 300 MB file or a 60 s Retry-After.
            self.cancel.set()
        interrupted = isinstance(exc, BaseException) and not isinstance(exc, Exception)
        if interrupted:
            self.remote.cancel()  # Ctrl-C: every request of the session, the tables' included
        try:
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
        finally:
            if interrupted:
                self.remote.resume()  # every thread it stopped is gone

    def run(
        self,
        query: TargetQuery,
        options: FetchOptions,
        *,
        warm_key: Mapping[str, Any] | None = None,
        identified: tuple[int, tuple[str, ...]] | None = None,
    ) -> ExoFopFetchResult:
        """Fetch one target; with ``warm_key`` a run that had nothing to do records a warm stamp.

        ``identified`` is the (TIC, TOIs) a batch already looked up for this query.
        """
        run = self._begin(query, options, identified)
        try:
            self._observe(run, record_warm=warm_key is not None)
            self._start_missing(run)
            rows, filelist_warnings = self._read_filelist(run)
            selected = self._select(run, rows)
            to_download = self._decide(run, selected)
            self._download(run, to_download, rows)
            refusals.remember_refusals(run.layout, selected, run.errors, session=self.remote.session_key)
            self._collect_summaries(run)
            target = self._target(run, rows)
            manifest = self._write_manifest(run, target, rows, filelist_warnings)
            vanished = self._vanished(run, selected, manifest)
            if vanished:
                # Deleted under this fetch (a `cache prune` that planned before this fetch began, a user):
                # fetched once more, never reported as downloaded while missing.
                run.notes.append(
                    f"{len(vanished)} file(s) vanished from the cache while this fetch ran (a concurrent "
                    "`exofop cache prune`?); fetched again"
                )
                self._download(run, self._decide(run, vanished), rows)
                manifest = self._write_manifest(run, target, rows, filelist_warnings)
                self._check_present(run, selected, manifest)
            result = self._result(run, target, selected, manifest, filelist_warnings)
            if warm_key is not None:
                self._record_warm(run, warm_key, result, manifest, filelist_warnings)
            return result
        finally:
            self._discard_unused_archive(run)
            if run.marker is not None:
                run.marker.remove()
            self.progress.star_end(run.label)

    # -- steps ----------------------------------------------------------------------------------------------
    def _begin(
        self, query: TargetQuery, options: FetchOptions, identified: tuple[int, tuple[str, ...]] | None
    ) -> _Run:
        """Identify the star (from the resolution cache when possible) and set up the run."""
        cached_target = self.resolver.cached(query)
        if cached_target is not None:
            tic, id_tois = cached_target.tic_id, cached_target.tois
        elif identified is not None:
            tic, id_tois = identified
        else:
            tic, id_tois = self.resolver.identify(query)
        return _Run(
            query=query,
            options=options,
            store=self.cache.target(tic),
            cached_target=cached_target,
            id_tois=id_tois,
            notes=list(self.notices),  # shown to the user, not written to the manifest
            n_notices=len(self.notices),
        )

    def _observe(self, run: _Run, *, record_warm: bool) -> None:
        """Read the state this run decides from, before it changes anything; sweep stale temp files."""
        layout = run.layout
        if record_warm and run.cached_target is not None and run.options.may_replay:
            # Taken first: the snapshot a warm stamp of this run would be checked against.
            run.manifest_before, run.warm_inputs, run.read_at = warm.observe(layout)
        else:
            run.manifest_before = read_json(layout.manifest)
        ensure_dir(layout.root)
        run.marker = activity.mark(layout)
        # Only exofop's own temp names, only in the folders exofop makes, never through a symlink (a star
        # folder linked to a project folder must not lose that project's files).
        if real_dir(layout.root):
            remove_stale_temps(layout.own_folders)
        remove_stale_temps((self.cache.root,))  # a killed resolutions.json write

    def _start_missing(self, run: _Run) -> None:
        """Start everything the cache lacks at once: overview, file list, summary tables (and the zip)."""
        store, options = run.store, run.options
        if run.cached_target is None:
            run.overview = self._submit(self.remote.overview, store.tic_id)
        if options.refresh or not store.has_filelist():
            run.filelist = self._submit(browse.fetch_filelist, store, self.remote)
        cached_anything = store.has_filelist() or _any_entry(store.layout.records_dir)
        if speculate_archive(options.archive, selectors=options.selectors, cached_anything=cached_anything):
            run.archive = self._submit(self._archive_file, run, "zip")
        for kind in options.summary_kinds():
            if (
                options.refresh
                or not store.summary_path(kind).is_file()
                # --verify also renews a cached table that no longer reads as one (tables carry no hash).
                or (options.verify and store.read_summary(kind) is None)
            ):
                run.summaries[kind] = self._submit(browse.fetch_summary, store, self.remote, kind)

    def _read_filelist(self, run: _Run) -> tuple[list[ExoFopFileRow], list[str]]:
        """The file list decides everything else: the fresh one, else the cached one (said so)."""
        from ..remote.filelist import parse_filelist

        store = run.store
        if run.filelist is not None:
            try:
                return run.filelist.result()  # parsed as it was saved
            except (RequestError, OfflineError) as exc:
                if not store.has_filelist():
                    raise
                run.errors.append(issue_from(exc, endpoint=endpoints.FILELIST))
                run.notes.append(f"could not refresh the file list ({exc}); using the cached copy")
        try:
            # Validated (HTML-sniffed) before it was cached; read from the file, streamed.
            return parse_filelist(store.layout.filelist, tic_id=store.tic_id, trusted=True)
        except (InvalidResponseError, OSError):
            # The cached copy was damaged (or removed) since (it has no hash): get it again, never fail on it.
            run.notes.append("the cached file list no longer read as one; fetched it again")
            return browse.fetch_filelist(store, self.remote)

    def _select(self, run: _Run, rows: list[ExoFopFileRow]) -> list[ExoFopFileRow]:
        """The rows the selectors pick (joining the observation tables for instrument/telescope)."""
        selectors = run.options.selectors
        observations = None
        if selectors is not None and selectors.needs_summaries:
            observations = observation_index(self._observation_tables(run))
        chosen = select_rows(rows, selectors, observations=observations)
        if not chosen:
            note = empty_selection_note(rows, selectors, observations=observations)
            if note:
                run.notes.append(note)
        return chosen

    def _decide(self, run: _Run, selected: list[ExoFopFileRow]) -> list[ExoFopFileRow]:
        """Per file: download, re-hash or skip (``plan.file_actions``); the rows to download."""
        layout, options = run.layout, run.options
        known_auth = known_refusals(layout, run.manifest_before, options, self.remote.session_key)
        from ..store.records import damaged_record, record_state

        states = {}
        records = {}
        for row in selected:
            states[row.file_id], records[row.file_id] = record_state(layout, row)
            if records[row.file_id] is None and (damage := damaged_record(layout, row.file_id)) is not None:
                run.notes.append(damage)
        to_download: list[ExoFopFileRow] = []
        for row, planned in file_actions(
            selected, states, refused=known_auth, force=options.force, verify=options.verify
        ):
            if planned == "needs_login":
                run.errors.append(known_auth[row.file_id])
                continue
            action = planned
            if planned == "rehash":
                action = "cached" if self._rehash_ok(layout, row, records[row.file_id]) else "download"
                if action == "download" and options.verify:
                    run.notes.append(
                        f"file {row.file_id} ({row.filename}) did not match its sha256; downloading again"
                    )
            if action == "download":
                to_download.append(row)
            else:
                run.skipped.append(row.filename)
        if any(e.file_id in known_auth for e in run.errors):
            run.notes.append(
                "files that need an ExoFOP login were not asked for again; log in (`exofop auth login`)"
                " or use --refresh to retry"
            )
        return to_download

    def _download(self, run: _Run, rows: list[ExoFopFileRow], listed: list[ExoFopFileRow]) -> None:
        """Get the files: from the star's archive when that saves round trips, the rest one by one."""
        run.requested = len(rows)
        options, progress = run.options, self.progress
        fmt = "zip" if run.archive is not None else None
        fmt = fmt or archive_choice(
            options.archive,
            wanted=rows,
            listed=listed,
            refused={e.file_id for e in run.errors if e.file_id is not None},
            jobs=self.jobs,
        )
        if not rows and run.archive is None:
            return
        progress.star_begin(run.label, len(rows))
        if fmt is not None:
            rows = self._from_archive(run, rows, fmt)
        if rows:
            self._download_all(run, rows)

    def _from_archive(self, run: _Run, rows: list[ExoFopFileRow], fmt: str) -> list[ExoFopFileRow]:
        """Take what the archive has; the rows it lacked (proprietary files, duplicates) are returned."""
        from .archive import fetch_from_archive

        key = f"the {fmt} archive"
        speculative, run.archive_used = run.archive, True
        done, notes = fetch_from_archive(
            self.remote,
            run.layout,
            rows,
            fmt=fmt,
            force=run.options.force,
            keep=run.options.archive in ("zip", "tar"),  # auto: only a faster way to the files
            download=speculative.result if speculative is not None else None,
            on_start=lambda size: self.progress.transfer_begin(run.label, key, size),
            on_bytes=lambda n: self.progress.transfer_bytes(run.label, key, n),
        )
        self.progress.transfer_end(run.label, key, len(done), 0)
        run.notes.extend(notes)
        run.downloaded += [run.layout.file_path(r.file_id, r.filename) for r in rows if r.file_id in done]
        run.nbytes += sum(done.values())
        return [r for r in rows if r.file_id not in done]

    def _discard_unused_archive(self, run: _Run) -> None:
        """A zip asked for alongside the file list but never used (the run failed first) is not kept."""
        if run.archive is None or run.archive_used:
            return
        if not run.archive.done():
            self.cancel.set()  # it stops at its next chunk and leaves nothing (the run is over anyway)
            return
        if not run.archive.cancelled() and run.archive.exception() is None:
            with contextlib.suppress(OSError):
                run.archive.result().unlink()

    def _archive_file(self, run: _Run, fmt: str) -> Path:
        """Download the star's archive into ``archives/`` (in a worker, alongside the file list)."""
        from .archive import download_archive

        key = f"the {fmt} archive"

        def on_bytes(n: int) -> None:
            if self.cancel.is_set():
                raise Cancelled()
            self.progress.transfer_bytes(run.label, key, n)

        return download_archive(
            self.remote,
            run.layout,
            fmt=fmt,
            force=True,
            on_start=lambda size: self.progress.transfer_begin(run.label, key, size),
            on_bytes=on_bytes,
            cancel=self.cancel,  # a stalled speculative zip stops when the run no longer wants it
        )

    def _collect_summaries(self, run: _Run) -> None:
        """Wait for the summary tables that ran alongside; a failed one is an error of this run.

        A table fetched now that disagrees with its header (more fields than names, a nameless column) is
        said at once, not only by a later ``summaries``: its rows' meaning is in doubt.
        """
        from ..remote.summaries import check_summary_table

        for kind, fut in run.summaries.items():
            try:
                content = fut.result()
            except OfflineError:
                # Offline serves what is cached: a table never fetched (a cache from before that kind existed,
                # or a fetch with --no-summaries) is said, not a failure; the files asked for still decide.
                run.notes.append(
                    f"the {kind} table is not in the cache (offline: not fetched; run online to add it)"
                )
                continue
            except RequestError as exc:
                run.errors.append(issue_from(exc, endpoint=endpoints.SUMMARIES[kind].endpoint))
                continue
            with contextlib.suppress(InvalidResponseError):  # checked already when it was fetched
                run.notes.extend(check_summary_table(content, endpoints.SUMMARIES[kind]).warnings)

    def _target(self, run: _Run, rows: list[ExoFopFileRow]) -> ExoFopTarget:
        """The star as the manifest describes it: its resolution (overview when new) and the listed TOIs."""
        base = run.cached_target
        if base is None:
            base = self._new_target(run, rows)
        return ExoFopTarget(
            tic_id=base.tic_id,
            aliases=base.aliases,
            tois=sorted_tois((*base.tois, *(r.toi for r in rows))),
            names=base.names,
        )

    def _new_target(self, run: _Run, rows: list[ExoFopFileRow]) -> ExoFopTarget:
        """The resolution of a star seen for the first time, from its overview (remembered unless transient)."""
        from ..models import target_from_parts
        from ..remote.answers import Overview

        assert run.overview is not None
        tic = run.store.tic_id
        overview: Overview | None = None
        cacheable = True
        try:
            overview = run.overview.result()
        except TargetNotFoundError:
            if not rows:
                if run.marker is not None:
                    run.marker.remove()  # first: forget_if_unknown removes only empty folders
                    run.marker = None
                run.store.forget_if_unknown()
                raise
            run.notes.append(f"ExoFOP's overview does not know TIC {tic}, but its file list does")
        except InvalidResponseError as exc:
            cacheable = False  # an answer we cannot read is never remembered: the next run asks again
            run.notes.append(f"could not read the ExoFOP overview of TIC {tic}: {exc.message}")
        except (RequestError, OfflineError) as exc:
            cacheable = False  # transient: try again next time
            run.notes.append(f"could not get the ExoFOP overview of TIC {tic}: {exc}")
        ov = overview or Overview(tois=(), aliases=())
        target = target_from_parts(tic, (*run.id_tois, *ov.tois), ov.aliases, run.query)
        if cacheable:
            with contextlib.suppress(CacheError):
                self.resolver.remember(run.query, target)
        return target

    def _write_manifest(
        self,
        run: _Run,
        target: ExoFopTarget,
        rows: list[ExoFopFileRow],
        filelist_warnings: list[str],
    ) -> dict[str, Any]:
        """Rebuild the manifest from what is on disk now (lock-free convergence, see ``store.manifest``)."""
        filelist_rows: int | None = len(rows)
        if not run.layout.filelist.is_file():
            filelist_rows = None  # deleted while this fetch ran: the manifest must not promise it
            run.notes.append(
                "the cached file list vanished while this fetch ran; the next fetch gets it again"
            )
        inputs = ManifestInputs(
            target=target,
            base_url=self.remote.base_url,
            cookie_jar_used=self.remote.cookie_jar_used,
            filelist_rows=filelist_rows,
            rows={r.file_id: r for r in rows},
            summaries=run.store.present_summaries(),
            requests=run.store.source_requests(),
            warnings=tuple(filelist_warnings),
            errors=tuple(run.errors),
        )
        damaged: list[str] = []  # hand-edited records are ignored (and said so), never trusted
        manifest = converge_manifest(run.layout, inputs, damaged)
        run.notes.extend(d for d in damaged if d not in run.notes)
        touch(run.layout.last_used)
        return manifest

    @staticmethod
    def _vanished(
        run: _Run, selected: list[ExoFopFileRow], manifest: Mapping[str, Any]
    ) -> list[ExoFopFileRow]:
        """Selected files neither in the manifest nor failed: they were there, and are gone."""
        present = {int(f["file_id"]) for f in manifest["files"]}
        failed = {e.file_id for e in run.errors}
        return [r for r in selected if r.file_id not in present and r.file_id not in failed]

    def _check_present(self, run: _Run, selected: list[ExoFopFileRow], manifest: Mapping[str, Any]) -> None:
        """After fetching them again, files that are still missing make the fetch fail, never succeed."""
        still = self._vanished(run, selected, manifest)
        if still:
            raise CacheError(
                f"{len(still)} file(s) of TIC {run.store.tic_id} keep vanishing from the cache while they "
                f"are fetched (first: {still[0].filename})",
                hint="is another program deleting from the cache folder? run `exofop fetch` again once it stops",
            )

    @staticmethod
    def _result(
        run: _Run,
        target: ExoFopTarget,
        selected: list[ExoFopFileRow],
        manifest: Mapping[str, Any],
        filelist_warnings: list[str],
    ) -> ExoFopFetchResult:
        layout = run.layout
        present = {int(f["file_id"]): layout.root / f["path"] for f in manifest["files"]}
        return ExoFopFetchResult(
            target=target,
            cache_root=layout.root,
            manifest_path=layout.manifest,
            files_downloaded=sorted(run.downloaded),
            files_skipped=list(run.skipped),
            warnings=list(dict.fromkeys([*run.notes, *filelist_warnings])),
            filelist_path=layout.filelist if manifest.get("filelist") else None,
            summary_paths={kind: layout.root / rel for kind, rel in manifest["summaries"].items()},
            errors=list(run.errors),
            files=[present[r.file_id] for r in selected if r.file_id in present],
            bytes_downloaded=run.nbytes,
        )

    def _record_warm(
        self,
        run: _Run,
        key: Mapping[str, Any],
        result: ExoFopFetchResult,
        manifest: Mapping[str, Any],
        filelist_warnings: list[str],
    ) -> None:
        """Stamp a no-op run (nothing asked of the server, nothing changed meanwhile) for ``warm.replay``."""
        if (
            run.warm_inputs is None
            or run.read_at is None
            or run.cached_target is None
            or run.went_online
            or warm.snapshot(run.layout.root, warm.input_paths(manifest)) != run.warm_inputs
        ):
            return
        warm.record(
            run.layout,
            key=key,
            resolution=run.cached_target,
            result=result,
            run_warnings=tuple(dict.fromkeys([*run.notes[run.n_notices :], *filelist_warnings])),
            inputs=run.warm_inputs,
            read_at_ns=run.read_at,
        )

    # -- helpers --------------------------------------------------------------------------------------------
    def _observation_tables(self, run: _Run) -> dict[str, Table]:
        from ..remote.tables import parse_table

        store, tables = run.store, {}
        for kind in OBSERVATION_KINDS:
            spec = endpoints.SUMMARIES[kind]
            fut = run.summaries.get(kind)
            # A cached table damaged since would make an instrument selection silently match nothing: it
            # is fetched again then.
            table = store.read_summary(kind) if fut is None else None
            if table is None:
                try:
                    data = fut.result() if fut is not None else browse.fetch_summary(store, self.remote, kind)
                except (RequestError, OfflineError) as exc:
                    if fut is None:  # a future's failure is reported when the futures are collected
                        run.errors.append(issue_from(exc, endpoint=spec.endpoint))
                    continue
                table = parse_table(data, what=f"the {kind} table", endpoint=spec.endpoint)
            tables[kind] = table
        return tables

    @staticmethod
    def _rehash_ok(layout: TargetLayout, row: ExoFopFileRow, record: dict[str, Any] | None) -> bool:
        if record is None:
            return False
        path = layout.file_path(row.file_id, row.filename)
        try:
            digest = sha256_of(path)
            st = path.stat()
        except OSError:
            return False
        if digest != record.get("sha256"):
            return False
        write_record(
            layout,
            row,
            sha256=digest,
            size=st.st_size,
            mtime_ns=st.st_mtime_ns,
            source_url=str(record.get("source_url") or ""),
        )
        return True

    def _download_one(self, run: _Run, row: ExoFopFileRow) -> tuple[Path, Saved]:
        progress, label, key = self.progress, run.label, f"{row.file_id} {row.filename}"

        def on_bytes(n: int) -> None:
            if self.cancel.is_set():
                raise Cancelled()
            progress.transfer_bytes(label, key, n)
            if run.marker is not None:
                run.marker.touch()  # a long download keeps its star marked as in use

        layout = run.layout
        dest = layout.file_path(row.file_id, row.filename)
        saved = self.remote.download_file(
            row.file_id,
            row.filename,
            lambda: AtomicWriter(dest),
            on_start=lambda size: progress.transfer_begin(label, key, size),
            on_bytes=on_bytes,
            cancel=self.cancel,
        )
        write_record(
            layout, row, sha256=saved.sha256, size=saved.size, mtime_ns=saved.mtime_ns, source_url=saved.url
        )
        return dest, saved

    def _download_all(self, run: _Run, rows: list[ExoFopFileRow]) -> None:
        from concurrent.futures import as_completed

        progress = self.progress
        futures = {self._submit(self._download_one, run, row): row for row in rows}
        fatal: BaseException | None = None
        for fut in as_completed(futures):
            row = futures[fut]
            key = f"{row.file_id} {row.filename}"
            try:
                path, saved = fut.result()
                run.nbytes += saved.size
                run.downloaded.append(path)
                run.notes.extend(saved.warnings)  # e.g. Content-Disposition names another file
                progress.transfer_end(run.label, key, 1, 0)
            except (RequestError, OfflineError) as exc:
                run.errors.append(issue_from(exc, file_id=row.file_id, endpoint=endpoints.GET_FILE))
                progress.transfer_end(run.label, key, 0, 1)
            except CacheError as exc:
                # Disk full / unwritable: every other file would fail the same way.
                fatal = fatal or exc
                self.cancel.set()
            except Cancelled:
                pass
        if fatal is not None:
            raise fatal


def known_refusals(
    layout: TargetLayout, manifest: Any, options: FetchOptions, session: str | None
) -> dict[int, FetchIssue]:
    """Files refused for lack of a login before, which this run does not ask for again.

    So a warm run stays offline and the manifest unchanged, unless the user now has a new session (``session``:
    the fingerprint of the cookies sent, None when anonymous) or asks with --refresh or --force. Remembered in
    .state/refused/ (older caches: in the manifest's errors), so that a fetch of other files in between does
    not make us forget them.
    """
    if options.refresh or options.force:
        return {}
    return refusals.remembered_refusals(layout, manifest, session=session)


def _any_entry(folder: Path) -> bool:
    try:
        return any(folder.iterdir())
    except OSError:
        return False
