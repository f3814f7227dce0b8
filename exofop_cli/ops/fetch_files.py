"""The file downloads of one fetch: from the star's archive when that saves round trips, else one by one in
parallel, each streamed into an atomic writer, hashed and recorded.

A part of ``Fetcher`` (a mixin), apart so that each reads in one sitting: the fetcher decides what to get,
this gets it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..errors import CacheError, Cancelled, OfflineError, RequestError
from ..models import ExoFopFileRow
from ..progress import ProgressListener
from ..remote import endpoints
from ..store.atomic import AtomicWriter
from ..store.records import sha256_of, write_record
from .fetch_state import Run
from .plan import archive_choice
from .results import issue_from

if TYPE_CHECKING:
    from concurrent.futures import Future

    from ..remote.service import ExoFopRemote
    from ..remote.streams import Saved
    from ..store.layout import TargetLayout

T = TypeVar("T")


class FileDownloads:
    """Getting the selected files; ``Fetcher`` provides the attributes below and ``_submit``."""

    remote: ExoFopRemote
    progress: ProgressListener
    cancel: threading.Event
    jobs: int

    def _submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        raise NotImplementedError  # Fetcher's thread pool

    def _download(self, run: Run, rows: list[ExoFopFileRow], listed: list[ExoFopFileRow]) -> None:
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

    def _from_archive(self, run: Run, rows: list[ExoFopFileRow], fmt: str) -> list[ExoFopFileRow]:
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

    def _discard_unused_archive(self, run: Run) -> None:
        """A zip asked for alongside the file list but never used (the run failed first) is not kept."""
        if run.archive is None or run.archive_used:
            return
        if not run.archive.done():
            self.cancel.set()  # it stops at its next chunk and leaves nothing (the run is over anyway)
            return
        if not run.archive.cancelled() and run.archive.exception() is None:
            with contextlib.suppress(OSError):
                run.archive.result().unlink()

    def _archive_file(self, run: Run, fmt: str) -> Path:
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

    def _download_one(self, run: Run, row: ExoFopFileRow) -> tuple[Path, Saved]:
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

    def _download_all(self, run: Run, rows: list[ExoFopFileRow]) -> None:
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
