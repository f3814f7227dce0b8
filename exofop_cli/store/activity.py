"""Markers of fetches in progress: ``.state/active/<host>.<pid>.<token>`` in the star's folder.

A fetch leaves one while it runs, so that ``cache prune`` skips a star a live fetch is writing into (before,
a fetch during ``cache prune --all --yes`` reported "40 downloaded" while prune removed its files). A marker
is advice, never a lock: nothing waits on it, and correctness does not depend on it (the fetch also checks,
once its manifest is written, that every file it selected is still there, and fetches again what vanished).

A marker is live when its writer is this host's running process, or, from another host, when it was
touched within ``atomic.STALE_TEMP_SECONDS`` (a running fetch touches it as it makes progress). A marker
left by a killed fetch is ignored (and removed by the next fetch of that star on the same host).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import CacheError
from .atomic import HOST, STALE_TEMP_SECONDS, atomic_write_bytes, pid_alive, real_dir
from .layout import TargetLayout

# A live fetch touches its marker at most this often (on progress), well within the staleness limit.
TOUCH_EVERY_SECONDS = 60.0


@dataclass(frozen=True)
class Activity:
    """A fetch that (by its marker) is using a star's folder."""

    host: str
    pid: int
    since: float

    def describe(self) -> str:
        """``pid 1234 on host, since 2026-11-30 12:00:01 UTC``."""
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(self.since))
        return f"pid {self.pid} on {self.host}, since {when}"


class Marker:
    """This process's marker in one star's folder (``mark``); ``touch`` on progress, ``remove`` at the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._touched = time.monotonic()

    def touch(self) -> None:
        """Show the fetch is alive (at most every ``TOUCH_EVERY_SECONDS``; best effort)."""
        now = time.monotonic()
        if now - self._touched >= TOUCH_EVERY_SECONDS:
            self._touched = now
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def remove(self) -> None:
        """The fetch is over (best effort)."""
        with contextlib.suppress(OSError):
            self.path.unlink()


def _folder(layout: TargetLayout) -> Path:
    return layout.root / ".state" / "active"


def mark(layout: TargetLayout) -> Marker | None:
    """Leave this process's marker in a star's folder (None when it cannot be written: it is advice only)."""
    folder = _folder(layout)
    path = folder / f"{HOST}.{os.getpid()}.{os.urandom(4).hex()}"
    data = {"host": HOST, "pid": os.getpid(), "since": time.time()}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(data).encode())
    except (OSError, CacheError):  # a marker that cannot be written must never fail a fetch
        return None
    _sweep(layout)
    return Marker(path)


def live(layout: TargetLayout, *, now: float | None = None) -> list[Activity]:
    """The fetches using a star's folder now, by their markers (stale ones are not counted)."""
    folder = _folder(layout)
    if not real_dir(layout.root) or not real_dir(folder):
        return []
    when = time.time() if now is None else now
    found = []
    for entry in _entries(folder):
        activity = _read(entry)
        if activity is None:
            continue
        if activity.host == HOST:
            alive = pid_alive(activity.pid)
        else:
            try:
                alive = when - entry.stat().st_mtime <= STALE_TEMP_SECONDS
            except OSError:
                alive = False
        if alive:
            found.append(activity)
    return found


def _entries(folder: Path) -> list[Path]:
    try:
        return [folder / name for name in os.listdir(folder) if not name.startswith(".")]
    except OSError:
        return []


def _read(path: Path) -> Activity | None:
    try:
        data = json.loads(path.read_bytes())
        return Activity(host=str(data["host"]), pid=int(data["pid"]), since=float(data["since"]))
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def _sweep(layout: TargetLayout) -> None:
    """Remove markers this host's dead processes left (a killed fetch)."""
    for entry in _entries(_folder(layout)):
        activity = _read(entry)
        if activity is not None and activity.host == HOST and not pid_alive(activity.pid):
            with contextlib.suppress(OSError):
                entry.unlink()
