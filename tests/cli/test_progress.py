"""Progress: the events a fetch reports, and the Rich view of them (bytes, rate, failures, large files)."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from rich.console import Console

from exofop_cli.cli._progress import BAR_AFTER_BYTES, RichProgress, make_progress
from exofop_cli.progress import NullProgress
from exofop_cli.testing import BULK_TIC, DEMO_TIC, FakeExoFop, bulk_target

from ..conftest import make_client


class Recorder:
    """Every event, in order (thread-safe)."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []
        self._lock = threading.Lock()

    def _add(self, *event: object) -> None:
        with self._lock:
            self.events.append(event)

    def stars(self, total: int) -> None:
        self._add("stars", total)

    def star_begin(self, star: str, files: int) -> None:
        self._add("star_begin", star, files)

    def transfer_begin(self, star: str, key: str, size: int | None) -> None:
        self._add("begin", star, key, size)

    def transfer_bytes(self, star: str, key: str, nbytes: int) -> None:
        self._add("bytes", star, key, nbytes)

    def transfer_end(self, star: str, key: str, done: int, failed: int) -> None:
        self._add("end", star, key, done, failed)

    def star_end(self, star: str) -> None:
        self._add("star_end", star)


def test_a_fetch_reports_sizes_bytes_and_failures(fake: FakeExoFop, cache_dir: Path) -> None:
    recorder = Recorder()
    with make_client(fake, cache_dir, progress=recorder) as client:
        client.fetch(target=DEMO_TIC, include_summaries=False, archive="off")
    events = recorder.events
    star = f"TIC {DEMO_TIC}"
    files = fake.targets[DEMO_TIC].files
    assert events[0] == ("stars", 1) and events[1] == ("star_begin", star, len(files))
    assert events[-1] == ("star_end", star)
    sizes = {e[2]: e[3] for e in events if e[0] == "begin"}
    assert sizes[f"1001 {files[0].filename}"] == files[0].length  # Content-Length reached the listener
    ends = [e for e in events if e[0] == "end"]
    assert sum(e[3] for e in ends) == len(files) - 1 and sum(e[4] for e in ends) == 1  # the refused one
    received = sum(e[3] for e in events if e[0] == "bytes")
    assert received == sum(f.length for f in files if not f.proprietary)


def test_the_archive_is_one_transfer_completing_many_files(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(bulk_target(12, 2048))
    recorder = Recorder()
    with make_client(fake, cache_dir, progress=recorder) as client:
        client.fetch(target=BULK_TIC, include_summaries=False)
    ends = [e for e in recorder.events if e[0] == "end"]
    assert ends == [("end", f"TIC {BULK_TIC}", "the zip archive", 12, 0)]


def _view(width: int = 120) -> tuple[RichProgress, io.StringIO]:
    out = io.StringIO()
    return RichProgress(Console(file=out, force_terminal=True, width=width, color_system=None)), out


def test_the_view_counts_failures_apart_and_shows_large_transfers() -> None:
    view, out = _view()
    view.stars(1)
    view.star_begin("TIC 1", 3)
    big = BAR_AFTER_BYTES * 2
    view.transfer_begin("TIC 1", "7 cube.fits", big)
    view.transfer_bytes("TIC 1", "7 cube.fits", big // 2)
    assert len(view._bars) == 1  # a large file gets a bar of its own
    view.transfer_bytes("TIC 1", "7 cube.fits", big // 2)
    view.transfer_end("TIC 1", "7 cube.fits", 1, 0)
    view.transfer_begin("TIC 1", "8 small.txt", 10)
    assert len(view._bars) == 0
    view.transfer_end("TIC 1", "8 small.txt", 0, 1)
    assert (view._counts.done, view._counts.failed, view._counts.bytes) == (1, 1, big)
    info = view._progress.tasks[0].fields["info"]
    assert info.startswith("1/3 files · [red]1 failed[/red] · 8.0 MiB")
    assert view._progress.tasks[0].completed == 1  # the failed file does not fill the bar
    view.star_end("TIC 1")
    assert view._progress is None  # closed with the last star
    assert "8.0 MiB" in out.getvalue()


def test_time_left_only_once_every_size_is_known() -> None:
    view, _ = _view()
    view.stars(1)
    view.star_begin("TIC 1", 2)
    view.transfer_begin("TIC 1", "a", 1000)
    view.transfer_bytes("TIC 1", "a", 500)
    assert view._time_left(100.0) is None  # one planned file has not begun: its size is unknown
    view.transfer_begin("TIC 1", "b", None)
    assert view._time_left(100.0) is None  # a size the server did not send
    view.transfer_end("TIC 1", "b", 1, 0)
    assert view._time_left(100.0) == "00:05"  # 500 bytes left at 100 B/s
    view.star_end("TIC 1")


def test_a_retry_takes_its_bytes_back() -> None:
    view, _ = _view()
    view.stars(1)
    view.star_begin("TIC 1", 1)
    view.transfer_begin("TIC 1", "a", None)
    view.transfer_bytes("TIC 1", "a", 300)
    view.transfer_bytes("TIC 1", "a", -300)
    view.transfer_begin("TIC 1", "a", None)
    view.transfer_bytes("TIC 1", "a", 400)
    view.transfer_end("TIC 1", "a", 1, 0)
    assert view._counts.bytes == 400
    view.star_end("TIC 1")


def test_a_batch_shows_stars_in_flight() -> None:
    view, _ = _view()
    view.stars(3)
    view.star_end("TIC 1")  # nothing to download: never began, still counted
    view.star_begin("TIC 2", 1)
    view.star_begin("TIC 3", 1)
    stars = view._progress.tasks[1].fields["info"]
    assert stars == "1/3 stars · now TIC 2, TIC 3"
    view.star_end("TIC 2")
    view.star_end("TIC 3")
    assert view._progress is None


def test_no_view_off_a_terminal_or_when_quiet() -> None:
    assert isinstance(make_progress(quiet=True), NullProgress)
    assert isinstance(make_progress(quiet=False), NullProgress)  # pytest's stderr is no terminal
