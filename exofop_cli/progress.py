"""The progress interface the library reports to; the CLI plugs a Rich bar in, library users anything else."""

from __future__ import annotations

from typing import Protocol

from .models import ExoFopFileRow


class ProgressListener(Protocol):
    """Receives fetch progress; every method may be called from worker threads."""

    def begin(self, label: str, total_files: int) -> None:
        """Downloads of ``total_files`` files for ``label`` are about to start."""

    def advance(self, nbytes: int) -> None:
        """``nbytes`` more bytes arrived (negative when a failed attempt is rolled back)."""

    def file_done(self, row: ExoFopFileRow, ok: bool) -> None:
        """One file finished (or failed for good)."""

    def end(self) -> None:
        """All downloads of the current target are over."""


class NullProgress:
    """A listener that ignores everything (the library default)."""

    def begin(self, label: str, total_files: int) -> None:
        """Ignore."""

    def advance(self, nbytes: int) -> None:
        """Ignore."""

    def file_done(self, row: ExoFopFileRow, ok: bool) -> None:
        """Ignore."""

    def end(self) -> None:
        """Ignore."""
