"""A Rich progress bar on stderr, used only when stderr is a terminal (and not ``--quiet``)."""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

from ..models import ExoFopFileRow
from ..progress import NullProgress, ProgressListener
from ._output import human_bytes


class RichProgress:
    """Files done / total and bytes received for the current target; Rich is imported on first use."""

    def __init__(self) -> None:
        self._progress: Any = None
        self._task: Any = None
        self._bytes = 0
        self._lock = threading.Lock()

    def begin(self, label: str, total_files: int) -> None:
        """Start a bar for one target."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        with self._lock:
            self._bytes = 0
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("files · {task.fields[size]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True, no_color="NO_COLOR" in os.environ),
            )
            self._progress.start()
            self._task = self._progress.add_task(label, total=total_files, size="0 B")

    def advance(self, nbytes: int) -> None:
        """Count bytes received (negative when a failed attempt is rolled back)."""
        with self._lock:
            if self._progress is None:
                return
            self._bytes += nbytes
            self._progress.update(self._task, size=human_bytes(max(self._bytes, 0)))

    def file_done(self, row: ExoFopFileRow, ok: bool) -> None:
        """One more file finished."""
        with self._lock:
            if self._progress is not None:
                self._progress.advance(self._task, 1)

    def end(self) -> None:
        """Stop the bar."""
        with self._lock:
            if self._progress is not None:
                self._progress.stop()
                self._progress = None


def make_progress(quiet: bool) -> ProgressListener:
    """A Rich bar when stderr is a terminal and not quiet, otherwise nothing."""
    if quiet or not sys.stderr.isatty():
        return NullProgress()
    return RichProgress()
