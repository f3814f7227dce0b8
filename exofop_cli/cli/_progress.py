"""Progress on stderr, drawn by Rich only when stderr is a terminal (and not ``--quiet``).

One line for the whole fetch (files done of planned, failures apart, bytes, rate, and time left once every
transfer's size is known), one line for the stars of a batch (how many are done, which are in flight), and a
bar for each large transfer in flight (size, rate, time left). Failed files never fill the bar. Sizes use
binary units (KiB, MiB, GiB) everywhere, like ``ls -lh`` and ``du -h``.
"""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..progress import NullProgress, ProgressListener
from ._output import clean, human_bytes

# Transfers at least this large (or of unknown size) get a bar of their own while in flight.
BAR_AFTER_BYTES = 4 << 20
_MAX_NAMES = 3


@dataclass
class _Counts:
    files: int = 0
    done: int = 0
    failed: int = 0
    bytes: int = 0
    sizes: dict[tuple[str, str], int | None] = field(default_factory=dict)  # transfers in flight
    sized_bytes: int = 0  # total of the finished transfers' sizes plus known sizes in flight
    stars_total: int = 0
    stars_done: int = 0
    in_flight: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)


class RichProgress:
    """The Rich view of ``ProgressListener`` events; Rich is imported when the first star begins."""

    def __init__(self, console: Any = None) -> None:
        self._console = console  # a Rich Console; default: stderr
        self._lock = threading.Lock()
        self._counts = _Counts()
        self._progress: Any = None
        self._overall: Any = None
        self._stars_task: Any = None
        self._bars: dict[tuple[str, str], Any] = {}

    # -- ProgressListener ---------------------------------------------------------------------------------
    def stars(self, total: int) -> None:
        """A fetch of ``total`` stars begins."""
        with self._lock:
            self._counts.stars_total += total

    def star_begin(self, star: str, files: int) -> None:
        """A star's downloads begin: start (or extend) the view."""
        with self._lock:
            self._start()
            self._counts.files += files
            self._counts.in_flight.append(star)
            self._refresh()

    def transfer_begin(self, star: str, key: str, size: int | None) -> None:
        """A transfer's answer began: a bar of its own when it is large or of unknown size."""
        with self._lock:
            if self._progress is None:
                return
            counts = self._counts
            if (star, key) not in counts.sizes and size is not None:
                counts.sized_bytes += size
            counts.sizes[(star, key)] = size
            if (size is None or size >= BAR_AFTER_BYTES) and (star, key) not in self._bars:
                name = clean(key if len(key) <= 40 else key[:37] + "...")
                self._bars[(star, key)] = self._progress.add_task(
                    f"  {name}", total=size, info="", kind="file"
                )
            elif (star, key) in self._bars:
                self._progress.reset(self._bars[(star, key)], total=size)  # a retry starts over
            self._refresh()

    def transfer_bytes(self, star: str, key: str, nbytes: int) -> None:
        """Count bytes (negative: a failed attempt taken back)."""
        with self._lock:
            if self._progress is None:
                return
            self._counts.bytes += nbytes
            bar = self._bars.get((star, key))
            if bar is not None:
                self._progress.advance(bar, nbytes)
            self._refresh()

    def transfer_end(self, star: str, key: str, done: int, failed: int) -> None:
        """A transfer is over: count its files, drop its bar."""
        with self._lock:
            if self._progress is None:
                return
            self._counts.done += done
            self._counts.failed += failed
            self._counts.sizes.pop((star, key), None)
            bar = self._bars.pop((star, key), None)
            if bar is not None:
                self._progress.remove_task(bar)
            self._refresh()

    def star_end(self, star: str) -> None:
        """A star is over; the view closes with the last one."""
        with self._lock:
            counts = self._counts
            if star in counts.in_flight:
                counts.in_flight.remove(star)
            counts.stars_done += 1
            if self._progress is None:
                return
            if not counts.in_flight and counts.stars_done >= counts.stars_total:
                self._progress.stop()
                self._progress = None
            else:
                self._refresh()

    # -- drawing ------------------------------------------------------------------------------------------
    def _start(self) -> None:
        if self._progress is not None:
            return
        import os

        from rich.console import Console
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            ProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class FileOnly(ProgressColumn):
            """A column shown on per-transfer bars only (the overall lines carry their own text)."""

            def __init__(self, inner: ProgressColumn) -> None:
                super().__init__()
                self.inner = inner

            def render(self, task: Any) -> Any:
                return self.inner(task) if task.fields.get("kind") == "file" else Text("")

        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[info]}"),
            FileOnly(DownloadColumn(binary_units=True)),
            FileOnly(TimeRemainingColumn()),
            console=self._console or Console(stderr=True, no_color="NO_COLOR" in os.environ),
        )
        self._progress.start()
        self._overall = self._progress.add_task("files", total=None, info="", kind="overall")
        if self._counts.stars_total > 1:
            self._stars_task = self._progress.add_task(
                "stars", total=self._counts.stars_total, info="", kind="stars"
            )

    def _refresh(self) -> None:
        if self._progress is None:
            return
        c = self._counts
        elapsed = max(time.monotonic() - c.started, 1e-6)
        rate = max(c.bytes, 0) / elapsed
        info = [f"{c.done}/{c.files} files"]
        if c.failed:
            info.append(f"[red]{c.failed} failed[/red]")
        info.append(f"{human_bytes(max(c.bytes, 0))} · {human_bytes(rate)}/s")
        left = self._time_left(rate)
        if left is not None:
            info.append(f"{left} left")
        self._progress.update(self._overall, total=max(c.files, 1), completed=c.done, info=" · ".join(info))
        if self._stars_task is not None:
            names = ", ".join(c.in_flight[:_MAX_NAMES]) + (" …" if len(c.in_flight) > _MAX_NAMES else "")
            self._progress.update(
                self._stars_task,
                completed=c.stars_done,
                info=f"{c.stars_done}/{c.stars_total} stars" + (f" · now {names}" if names else ""),
            )

    def _time_left(self, rate: float) -> str | None:
        """Time left when it can be known: every planned file's size is known (their transfers began)."""
        c = self._counts
        pending = c.files - c.done - c.failed - len(c.sizes)
        if pending > 0 or rate <= 0 or any(size is None for size in c.sizes.values()):
            return None
        seconds = max(c.sized_bytes - c.bytes, 0) / rate
        return time.strftime("%M:%S", time.gmtime(seconds)) if seconds < 3600 else f"{seconds / 3600:.1f} h"


def make_progress(quiet: bool) -> ProgressListener:
    """A Rich view when stderr is a terminal and not quiet, otherwise nothing."""
    if quiet or not sys.stderr.isatty():
        return NullProgress()
    return RichProgress()
