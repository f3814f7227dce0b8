"""Carry out one ``fetch``: decide from the cache what is missing, fetch it in parallel, rebuild the manifest.

The file list, the summaries, the target overview and the file downloads share one thread pool (``jobs``
workers) over one keep-alive connection pool, so they overlap. When everything is cached no pool is made and
no network module is imported: the run reads the file list, stats the selected files and compares the
manifest, and that is all.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from . import endpoints, warm
from .errors import (
    CacheError,
    ExoFopError,
    InvalidResponseError,
    OfflineError,
    RequestError,
    TargetNotFoundError,
)
from .filelist import parse_filelist
from .layout import FILELIST_NAME, TargetLayout
from .manifest import (
    ManifestInputs,
    converge_manifest,
    record_state,
    sha256_of,
    write_record,
)
from .models import ExoFopFetchResult, ExoFopFileRow, ExoFopSelectors, ExoFopTarget, FetchIssue
from .plan import OBSERVATION_KINDS, download_action, observation_index, select_rows
from .resolver import Overview, sorted_tois, target_from_parts
from .storage import ensure_dir, read_json, remove_stale_temps, touch, write_json_if_changed
from .tables import Table, parse_table
from .targets import TargetQuery

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from .client import ExoFopClient

T = TypeVar("T")


class Cancelled(Exception):
    """Raised inside worker threads once the user interrupted the fetch."""


def issue_from(exc: BaseException, *, file_id: int | None = None, endpoint: str | None = None) -> FetchIssue:
    """A manifest error object for an exception."""
    if isinstance(exc, RequestError):
        return FetchIssue(
            kind=exc.kind, message=exc.message, file_id=file_id, endpoint=exc.endpoint or endpoint
        )
    if isinstance(exc, OfflineError):
        return FetchIssue(kind="network", message=exc.message, file_id=file_id, endpoint=endpoint)
    if isinstance(exc, ExoFopError):
        return FetchIssue(kind="invalid_response", message=exc.message, file_id=file_id, endpoint=endpoint)
    return FetchIssue(
        kind="invalid_response", message=f"{type(exc).__name__}: {exc}", file_id=file_id, endpoint=endpoint
    )


def previous_auth_failures(manifest: Any) -> dict[int, FetchIssue]:
    """``auth_required`` file errors recorded in a manifest (as read from disk), by file id."""
    out: dict[int, FetchIssue] = {}
    errors = manifest.get("errors") if isinstance(manifest, dict) else None
    for err in errors if isinstance(errors, list) else []:
        if (
            isinstance(err, dict)
            and err.get("kind") == "auth_required"
            and isinstance(err.get("file_id"), int)
        ):
            out[err["file_id"]] = FetchIssue(
                kind="auth_required",
                message=str(err.get("message", "")),
                file_id=err["file_id"],
                endpoint=err.get("endpoint"),
            )
    return out


def _refusals_on_disk(layout: TargetLayout) -> dict[int, FetchIssue]:
    """The refusals noted in ``.state/refused/`` (hand-edited or damaged notes are ignored).

    A ``.state/refused.json`` list (written by one earlier development build) is turned into notes first.
    """
    legacy = layout.root / ".state" / "refused.json"
    if legacy.exists():
        for file_id, issue in previous_auth_failures({"errors": read_json(legacy)}).items():
            _write_note(layout, file_id, issue, only_if_absent=True)
        with contextlib.suppress(OSError):
            legacy.unlink()
    try:
        names = os.listdir(layout.refused_dir)
    except OSError:
        return {}
    notes = [read_json(layout.refused_dir / n) for n in sorted(names) if n.endswith(".json")]
    return previous_auth_failures({"errors": notes})


def _write_note(
    layout: TargetLayout, file_id: int, issue: FetchIssue | None, *, only_if_absent: bool = False
) -> None:
    """Write (or, for None, remove) one file's refusal note; a note that cannot be kept costs one request."""
    path = layout.refused_path(file_id)
    with contextlib.suppress(OSError, CacheError):
        if issue is None:
            path.unlink(missing_ok=True)
        elif not (only_if_absent and path.exists()):
            ensure_dir(layout.refused_dir)
            write_json_if_changed(path, issue.to_dict())


class Fetcher:
    """One fetch of one target (not reusable)."""

    def __init__(self, client: ExoFopClient) -> None:
        self.client = client
        self.cancel = threading.Event()
        self._pool: ThreadPoolExecutor | None = None

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        if self._pool is None:
            # Imported here: a fully cached run never needs threads.
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=self.client.jobs, thread_name_prefix="exofop")
        return self._pool.submit(fn, *args)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc is not None:
            self.cancel.set()  # workers stop at their next chunk (Ctrl-C must not wait for a 300 MB file)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def run(
        self,
        query: TargetQuery,
        *,
        selectors: ExoFopSelectors | None,
        include_summaries: bool,
        refresh: bool,
        force: bool,
        verify: bool,
        archive: str | None,
        warm_key: Mapping[str, Any] | None = None,
    ) -> ExoFopFetchResult:
        """Fetch one target (see ``ExoFopClient.fetch``); use inside ``with Fetcher(client) as f``.

        With ``warm_key`` (the request, from ``warm.request_key``), a run that turns out to have nothing to
        do records a stamp so that the next identical fetch is replayed by ``warm.replay``.
        """
        client = self.client
        notes: list[str] = list(client.notices)  # shown to the user, not written to the manifest
        n_notices = len(notes)
        errors: list[FetchIssue] = []

        cached_target = client.resolutions.get(query.key)
        if cached_target is not None:
            tic, id_tois = cached_target.tic_id, cached_target.toi
        else:
            tic, id_tois = client.identify(query)
        layout = client.layout(tic)
        if warm_key is not None and cached_target is not None and not (refresh or force or verify):
            # The state this run decides from, taken before it changes anything (a possible warm stamp).
            manifest_before, warm_inputs, read_at = warm.observe(layout)
        else:
            manifest_before, warm_inputs, read_at = read_json(layout.manifest), None, None
        ensure_dir(layout.root)
        remove_stale_temps(layout.root)
        remove_stale_temps(client.cache_root, recursive=False)  # a killed resolutions.json write

        kinds: list[str] = list(endpoints.SUMMARY_KINDS) if include_summaries else []
        if selectors is not None and selectors.needs_summaries:
            kinds += [k for k in OBSERVATION_KINDS if k not in kinds]
        summary_path = {k: layout.summaries_dir / endpoints.SUMMARIES[k].filename for k in kinds}

        # 1. Start everything the cache lacks at once: overview, file list, summaries.
        overview_f = self._submit(client.overview, tic) if cached_target is None else None
        filelist_f = (
            self._submit(client.fetch_filelist_bytes, tic)
            if refresh or not layout.filelist.is_file()
            else None
        )
        summary_f = {
            k: self._submit(client.fetch_summary_bytes, tic, k)
            for k in kinds
            # --verify also renews a cached table that no longer reads as one (tables carry no hash).
            if refresh
            or not summary_path[k].is_file()
            or (verify and client.cached_summary_table(tic, k) is None)
        }

        # 2. The file list decides everything else.
        filelist_bytes: bytes | None = None
        if filelist_f is not None:
            try:
                filelist_bytes = filelist_f.result()
            except (RequestError, OfflineError) as exc:
                if not layout.filelist.is_file():
                    raise
                errors.append(issue_from(exc, endpoint=endpoints.FILELIST))
                notes.append(f"could not refresh the file list ({exc}); using the cached copy")
        if filelist_bytes is None:
            filelist_bytes = layout.filelist.read_bytes()
        try:
            # Validated (HTML-sniffed) before it was cached or just now in fetch_filelist_bytes.
            rows, filelist_warnings = parse_filelist(filelist_bytes, tic_id=tic, trusted=True)
        except InvalidResponseError:
            if filelist_f is not None:
                raise
            # The cached copy was damaged since (it has no hash): get it again rather than fail forever.
            notes.append("the cached file list no longer read as one; fetched it again")
            rows, filelist_warnings = parse_filelist(client.fetch_filelist_bytes(tic), tic_id=tic)

        observations = None
        if selectors is not None and selectors.needs_summaries:
            tables = self._observation_tables(layout, summary_f, errors)
            observations = observation_index(tables)
        selected = select_rows(rows, selectors, observations=observations)

        # 3. Decide per file, then act.
        jar_used = client.cookie_jar_used
        # Files refused for lack of a login last time are not asked for again anonymously (a warm run stays
        # offline and the manifest unchanged) unless the user now has a session or asks with --refresh/--force.
        # Remembered in .state/refused/ (older caches: in the manifest's errors), so that a fetch of other
        # files in between does not make us forget them.
        remembered = {**previous_auth_failures(manifest_before), **_refusals_on_disk(layout)}
        known_auth = {} if jar_used or refresh or force else remembered
        to_download: list[ExoFopFileRow] = []
        skipped = failed = 0
        for row in selected:
            state, record = record_state(layout, row)
            action = download_action(state, force=force, verify=verify)
            if action == "download" and row.file_id in known_auth:
                errors.append(known_auth[row.file_id])
                failed += 1
                continue
            if action == "rehash":
                action = "skip" if self._rehash_ok(layout, row, record) else "download"
                if action == "download" and verify:
                    notes.append(
                        f"file {row.file_id} ({row.filename}) did not match its sha256; downloading again"
                    )
            if action == "download":
                to_download.append(row)
            else:
                skipped += 1

        if known_auth and any(e.file_id in known_auth for e in errors):
            notes.append(
                "files that need an ExoFOP login were not asked for again; log in (`exofop auth login`)"
                " or use --refresh to retry"
            )
        downloaded = nbytes = 0
        went_online = bool(to_download) or overview_f is not None or filelist_f is not None or bool(summary_f)
        if to_download and archive:
            from .archive import fetch_from_archive

            done, archive_notes = fetch_from_archive(client, layout, to_download, fmt=archive, force=force)
            notes.extend(archive_notes)
            downloaded += len(done)
            nbytes += sum(size for size in done.values())
            to_download = [r for r in to_download if r.file_id not in done]
        if to_download:
            d, f, b = self._download_all(layout, to_download, errors)
            downloaded, failed, nbytes = downloaded + d, failed + f, nbytes + b

        self._remember_refusals(layout, selected, errors)

        # 4. Collect what ran alongside.
        for kind, fut in summary_f.items():
            try:
                fut.result()
            except (RequestError, OfflineError) as exc:
                errors.append(issue_from(exc, endpoint=endpoints.SUMMARIES[kind].endpoint))
        target = self._target(query, tic, id_tois, cached_target, overview_f, rows, notes)

        # 5. Rebuild the manifest from disk.
        inputs = ManifestInputs(
            target=target,
            base_url=client.base_url,
            cookie_jar_used=jar_used,
            filelist_rows=len(rows),
            rows={r.file_id: r for r in rows},
            summaries=self._present_summaries(layout),
            endpoints=self._endpoints(tic, layout),
            warnings=tuple(filelist_warnings),
            errors=tuple(errors),
        )
        manifest = converge_manifest(layout, inputs)
        touch(layout.last_used)

        present = {int(f["file_id"]): layout.root / f["path"] for f in manifest["files"]}
        result = ExoFopFetchResult(
            target=target,
            cache_root=layout.root,
            manifest_path=layout.manifest,
            files=tuple(present[r.file_id] for r in selected if r.file_id in present),
            files_downloaded=downloaded,
            files_skipped=skipped,
            files_failed=failed,
            bytes_downloaded=nbytes,
            summaries=tuple(manifest["summaries"]),
            warnings=tuple(dict.fromkeys([*notes, *filelist_warnings])),
            errors=tuple(errors),
        )
        if (
            warm_key is not None
            and warm_inputs is not None
            and read_at is not None
            and cached_target is not None
            and not went_online
            and warm.snapshot(layout.root, warm.input_paths(manifest)) == warm_inputs
        ):
            warm.record(
                layout,
                key=warm_key,
                resolution=cached_target,
                result=result,
                run_warnings=tuple(dict.fromkeys([*notes[n_notices:], *filelist_warnings])),
                inputs=warm_inputs,
                read_at_ns=read_at,
            )
        return result

    # -- steps ----------------------------------------------------------------------------------------------
    @staticmethod
    def _remember_refusals(
        layout: TargetLayout, selected: list[ExoFopFileRow], errors: list[FetchIssue]
    ) -> None:
        """Note this run's refusals and forget those of its selected files that were not refused.

        One file per id, written or removed only for the files this run selected: two fetches of the same
        star at once each touch their own selection, so neither erases what the other learnt (no lock).
        """
        refused = {e.file_id: e for e in errors if e.kind == "auth_required" and e.file_id is not None}
        for row in selected:
            _write_note(layout, row.file_id, refused.get(row.file_id))

    def _observation_tables(
        self, layout: TargetLayout, futures: dict[str, Future[bytes]], errors: list[FetchIssue]
    ) -> dict[str, Table]:
        tables: dict[str, Table] = {}
        for kind in OBSERVATION_KINDS:
            spec = endpoints.SUMMARIES[kind]
            fut = futures.get(kind)
            # A cached table damaged since would make an instrument selection silently match nothing: it
            # is fetched again then.
            table = self.client.cached_summary_table(layout.tic_id, kind) if fut is None else None
            if table is None:
                try:
                    data = (
                        fut.result()
                        if fut is not None
                        else self.client.fetch_summary_bytes(layout.tic_id, kind)
                    )
                except (RequestError, OfflineError) as exc:
                    if fut is None:  # a future's failure is reported when the futures are collected
                        errors.append(issue_from(exc, endpoint=spec.endpoint))
                    continue
                table = parse_table(data, what=f"the {kind} table", endpoint=spec.endpoint)
            tables[kind] = table
        return tables

    def _rehash_ok(self, layout: TargetLayout, row: ExoFopFileRow, record: dict[str, Any] | None) -> bool:
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

    def _download_one(self, layout: TargetLayout, row: ExoFopFileRow) -> int:
        client = self.client
        progress = client.progress

        def on_bytes(n: int) -> None:
            if self.cancel.is_set():
                raise Cancelled()
            progress.advance(n)

        dest = layout.file_path(row.file_id, row.filename)
        saved = client.http.download(
            endpoints.GET_FILE,
            endpoints.get_file_params(row.file_id),
            dest,
            what=f"file {row.file_id} ({row.filename})",
            expected_filename=row.filename,
            on_bytes=on_bytes,
        )
        write_record(
            layout, row, sha256=saved.sha256, size=saved.size, mtime_ns=saved.mtime_ns, source_url=saved.url
        )
        return saved.size

    def _download_all(
        self, layout: TargetLayout, rows: list[ExoFopFileRow], errors: list[FetchIssue]
    ) -> tuple[int, int, int]:
        progress = self.client.progress
        progress.begin(f"TIC {layout.tic_id}", len(rows))
        from concurrent.futures import as_completed

        futures = {self._submit(self._download_one, layout, row): row for row in rows}
        ok = bad = nbytes = 0
        fatal: BaseException | None = None
        try:
            for fut in as_completed(futures):
                row = futures[fut]
                try:
                    nbytes += fut.result()
                    ok += 1
                    progress.file_done(row, True)
                except (RequestError, OfflineError) as exc:
                    bad += 1
                    errors.append(issue_from(exc, file_id=row.file_id, endpoint=endpoints.GET_FILE))
                    progress.file_done(row, False)
                except CacheError as exc:
                    # Disk full / unwritable: every other file would fail the same way.
                    fatal = fatal or exc
                    self.cancel.set()
                except Cancelled:
                    pass
        finally:
            progress.end()
        if fatal is not None:
            raise fatal
        return ok, bad, nbytes

    def _target(
        self,
        query: TargetQuery,
        tic: int,
        id_tois: tuple[str, ...],
        cached: ExoFopTarget | None,
        overview_f: Future[Overview] | None,
        rows: list[ExoFopFileRow],
        notes: list[str],
    ) -> ExoFopTarget:
        base = cached
        if base is None:
            assert overview_f is not None
            overview: Overview | None = None
            cacheable = True
            try:
                overview = overview_f.result()
            except TargetNotFoundError:
                if not rows:
                    self.client.forget_unknown(tic)
                    raise
                notes.append(f"ExoFOP's overview does not know TIC {tic}, but its file list does")
            except InvalidResponseError as exc:
                notes.append(f"could not read the ExoFOP overview of TIC {tic}: {exc.message}")
            except (RequestError, OfflineError) as exc:
                cacheable = False  # transient: try again next time
                notes.append(f"could not get the ExoFOP overview of TIC {tic}: {exc}")
            ov = overview or Overview(tois=(), aliases=())
            base = target_from_parts(tic, (*id_tois, *ov.tois), ov.aliases, query)
            if cacheable:
                with contextlib.suppress(CacheError):
                    self.client.resolutions.put({query.key, f"tic:{tic}"}, base)
        return ExoFopTarget(
            tic_id=tic, toi=sorted_tois((*base.toi, *(r.toi for r in rows))), aliases=base.aliases
        )

    @staticmethod
    def _present_summaries(layout: TargetLayout) -> dict[str, str]:
        out = {}
        for kind, spec in endpoints.SUMMARIES.items():
            if (layout.summaries_dir / spec.filename).is_file():
                out[kind] = f"summaries/{spec.filename}"
        return out

    @staticmethod
    def _endpoints(tic: int, layout: TargetLayout) -> dict[str, str]:
        out = {"get_file": endpoints.GET_FILE + "?id={file_id}"}
        if (layout.root / FILELIST_NAME).is_file():
            out["filelist"] = endpoints.relative_url(endpoints.FILELIST, endpoints.filelist_params(tic))
        for kind, spec in endpoints.SUMMARIES.items():
            if (layout.summaries_dir / spec.filename).is_file():
                out[f"summaries.{kind}"] = endpoints.relative_url(spec.endpoint, spec.params(tic))
        return out
