"""Carry out one ``fetch``: decide from the cache what is missing, fetch it in parallel, rebuild the manifest.

The file list, the summaries, the target overview and the file downloads share one thread pool (``jobs``
workers) over one keep-alive connection pool, so they overlap. When everything is cached no pool is made and
no network module is imported: the run reads the file list, stats the selected files and compares the
manifest, and that is all.

``Fetcher.run`` reads as its steps: identify → observe the cache → start what is missing → read the file
list → select → decide per file → download → collect → manifest → result (and, for a no-op, a warm stamp).
The fetcher is given the remote, the cache and the resolver it needs; it never sees the client. What a run
was asked and what its steps found are in ``fetch_state``; getting the files is ``fetch_files``.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import (
    CacheError,
    InvalidResponseError,
    OfflineError,
    RequestError,
    TargetNotFoundError,
)
from ..models import ExoFopFetchResult, ExoFopFileRow, ExoFopTarget
from ..progress import NullProgress, ProgressListener
from ..remote import endpoints
from ..store import activity, refusals, warm
from ..store.atomic import ensure_dir, has_entries, read_json, real_dir, remove_stale_temps, touch
from ..store.manifest import ManifestInputs, converge_manifest
from ..targets import sorted_tois
from . import browse
from .fetch_files import FileDownloads
from .fetch_state import FetchOptions, Run, known_refusals
from .plan import (
    OBSERVATION_KINDS,
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
    from ..remote.service import ExoFopRemote
    from ..remote.tables import Table
    from ..store.cache import CacheStore
    from ..targets import TargetQuery
    from .resolve import Resolver

T = TypeVar("T")


class Fetcher(FileDownloads):
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
        except OfflineError:
            # Offline with nothing cached for this star: leave no folder behind for `cache ls` to list
            # (forget_if_unknown keeps everything once the star has a file list, files or a manifest).
            if run.marker is not None:
                run.marker.remove()  # first: only empty folders are removed
                run.marker = None
            run.store.forget_if_unknown()
            raise
        finally:
            self._discard_unused_archive(run)
            if run.marker is not None:
                run.marker.remove()
            self.progress.star_end(run.label)

    # -- steps ----------------------------------------------------------------------------------------------
    def _begin(
        self, query: TargetQuery, options: FetchOptions, identified: tuple[int, tuple[str, ...]] | None
    ) -> Run:
        """Identify the star (from the resolution cache when possible) and set up the run."""
        cached_target = self.resolver.cached(query)
        if cached_target is not None:
            tic, id_tois = cached_target.tic_id, cached_target.tois
        elif identified is not None:
            tic, id_tois = identified
        else:
            tic, id_tois = self.resolver.identify(query)
        return Run(
            query=query,
            options=options,
            store=self.cache.target(tic),
            cached_target=cached_target,
            id_tois=id_tois,
            notes=list(self.notices),  # shown to the user, not written to the manifest
            n_notices=len(self.notices),
        )

    def _observe(self, run: Run, *, record_warm: bool) -> None:
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

    def _start_missing(self, run: Run) -> None:
        """Start everything the cache lacks at once: overview, file list, summary tables (and the zip)."""
        store, options = run.store, run.options
        if run.cached_target is None:
            run.overview = self._submit(self.remote.overview, store.tic_id)
        if options.refresh or not store.has_filelist():
            run.filelist = self._submit(browse.fetch_filelist, store, self.remote)
        cached_anything = store.has_filelist() or has_entries(store.layout.records_dir)
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

    def _read_filelist(self, run: Run) -> tuple[list[ExoFopFileRow], list[str]]:
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

    def _select(self, run: Run, rows: list[ExoFopFileRow]) -> list[ExoFopFileRow]:
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

    def _decide(self, run: Run, selected: list[ExoFopFileRow]) -> list[ExoFopFileRow]:
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

    def _collect_summaries(self, run: Run) -> None:
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

    def _target(self, run: Run, rows: list[ExoFopFileRow]) -> ExoFopTarget:
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

    def _new_target(self, run: Run, rows: list[ExoFopFileRow]) -> ExoFopTarget:
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
        run: Run,
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
        run: Run, selected: list[ExoFopFileRow], manifest: Mapping[str, Any]
    ) -> list[ExoFopFileRow]:
        """Selected files neither in the manifest nor failed: they were there, and are gone."""
        present = {int(f["file_id"]) for f in manifest["files"]}
        failed = {e.file_id for e in run.errors}
        return [r for r in selected if r.file_id not in present and r.file_id not in failed]

    def _check_present(self, run: Run, selected: list[ExoFopFileRow], manifest: Mapping[str, Any]) -> None:
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
        run: Run,
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
        run: Run,
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
    def _observation_tables(self, run: Run) -> dict[str, Table]:
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
