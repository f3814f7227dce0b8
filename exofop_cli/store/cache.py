"""``CacheStore`` and ``TargetStore``: the cache root and one star's cached file list and summary tables.

Tables are kept as ExoFOP sent them (after they were checked to parse), and they carry no hash: a cached
table that no longer reads as one is reported as missing (``None``), so that the caller fetches it again
rather than trusting or failing on it forever.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ExoFopError
from ..remote import endpoints
from .atomic import atomic_write_bytes, ensure_dir
from .layout import TargetLayout
from .resolutions import ResolutionCache

if TYPE_CHECKING:
    from ..models import ExoFopFileRow
    from ..remote.tables import Table


class TargetStore:
    """One star's folder: its raw file list and summary tables, written atomically, validated on read."""

    def __init__(self, layout: TargetLayout) -> None:
        self.layout = layout

    @property
    def tic_id(self) -> int:
        """TIC id of the star."""
        return self.layout.tic_id

    # -- file list ------------------------------------------------------------------------------------------
    def has_filelist(self) -> bool:
        """True when a file list was cached (readable or not)."""
        return self.layout.filelist.is_file()

    def read_filelist(self) -> tuple[list[ExoFopFileRow], list[str]] | None:
        """The cached file list (rows, parser warnings); None when missing or damaged since it was cached."""
        from ..remote.filelist import parse_filelist

        try:
            # Sniffed before it was cached: trusted, only parsed.
            return parse_filelist(self.layout.filelist, tic_id=self.tic_id, trusted=True)  # streamed
        except (OSError, ExoFopError):
            return None

    def save_filelist(self, content: bytes) -> None:
        """Keep a checked file-list answer as ``filelist.csv``."""
        ensure_dir(self.layout.root)
        atomic_write_bytes(self.layout.filelist, content)

    def has_cached_rows(self) -> bool:
        """True when the cached file list lists at least one upload."""
        cached = self.read_filelist()
        return bool(cached and cached[0])

    # -- summary tables -------------------------------------------------------------------------------------
    def summary_path(self, kind: str) -> Path:
        """Where the ``kind`` summary table is kept."""
        return self.layout.summaries_dir / endpoints.SUMMARIES[kind].filename

    def read_summary(self, kind: str) -> Table | None:
        """A cached summary table, parsed; None when missing or damaged since (tables carry no hash)."""
        from ..remote.summaries import check_summary_table

        try:
            return check_summary_table(self.summary_path(kind).read_bytes(), endpoints.SUMMARIES[kind])
        except (OSError, ExoFopError):
            return None

    def save_summary(self, kind: str, content: bytes) -> None:
        """Keep a checked summary-table answer under ``summaries/``."""
        spec = endpoints.SUMMARIES[kind]
        ensure_dir(self.layout.summaries_dir)
        atomic_write_bytes(self.summary_path(kind), content)
        # Older exofop versions stored obsnotes as pipe: the new copy replaces it, not sits beside it.
        for output in ("csv", "pipe"):
            if output != spec.output:
                with contextlib.suppress(OSError):
                    (self.layout.summaries_dir / f"{kind}.{output}").unlink(missing_ok=True)

    def present_summaries(self) -> dict[str, str]:
        """``{kind: relative path}`` of the summary tables on disk (the manifest's ``summaries``)."""
        return {
            kind: f"summaries/{spec.filename}"
            for kind, spec in endpoints.SUMMARIES.items()
            if self.summary_path(kind).is_file()
        }

    def source_requests(self) -> dict[str, str]:
        """The relative URL each cached table came from (the manifest's ``sources.requests``)."""
        tic = self.tic_id
        out = {"get_file": endpoints.GET_FILE + "?id={file_id}"}
        if self.layout.filelist.is_file():
            out["filelist"] = endpoints.relative_url(endpoints.FILELIST, endpoints.filelist_params(tic))
        for kind, spec in endpoints.SUMMARIES.items():
            if self.summary_path(kind).is_file():
                out[f"summaries.{kind}"] = endpoints.relative_url(spec.endpoint, spec.params(tic))
        return out

    # -- unknown stars --------------------------------------------------------------------------------------
    def forget_if_unknown(self) -> None:
        """Remove what a lookup cached for a star ExoFOP does not know, so that `cache ls` does not list it.

        Only an empty file list and the summary tables, then the folders if empty; nothing at all once the
        star has a manifest, files, records or listed uploads (a fetch may be running: it writes those first).
        """
        layout = self.layout
        if layout.manifest.exists() or self.has_cached_rows():
            return
        for folder in (layout.files_dir, layout.records_dir):
            with contextlib.suppress(OSError):
                if any(folder.iterdir()):
                    return
        for path in (layout.filelist, *(self.summary_path(kind) for kind in endpoints.SUMMARIES)):
            with contextlib.suppress(OSError):
                path.unlink()
        state = layout.root / ".state"
        for folder in (layout.summaries_dir, layout.records_dir, state / "active", state, layout.root):
            with contextlib.suppress(OSError):
                folder.rmdir()  # only when empty


class CacheStore:
    """``<cache_dir>/exofop``: the star folders and the resolution cache."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.resolutions = ResolutionCache(root)

    def layout(self, tic_id: int) -> TargetLayout:
        """Paths of one star's folder."""
        return TargetLayout.for_tic(self.root, tic_id)

    def target(self, tic_id: int) -> TargetStore:
        """One star's cached tables."""
        return TargetStore(self.layout(tic_id))
