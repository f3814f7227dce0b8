"""Progress: the events a fetch reports, the Rich view of them (bytes, rate, failures, large files), and its
layout for the terminal's width."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from rich.console import Console

from exofop_cli.cli._progress import (
    BAR_AFTER_BYTES,
    MAX_BAR,
    MIN_BAR,
    Line,
    RichProgress,
    cells,
    fit_line,
    label_column,
    layout,
    make_progress,
    shorten,
)
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


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _view(width: int = 120) -> tuple[RichProgress, io.StringIO, Clock]:
    out, clock = io.StringIO(), Clock()
    console = Console(file=out, force_terminal=True, width=width, color_system=None)
    return RichProgress(console, clock=clock), out, clock


def _numbers(view: RichProgress) -> list[tuple[str, tuple[str, ...]]]:
    return [(row.label, row.parts) for row in view.rows()]


MIB = 1 << 20


def test_the_view_counts_failures_apart_and_shows_large_transfers() -> None:
    view, out, clock = _view()
    view.stars(1)
    view.star_begin("TIC 1", 3)
    big = BAR_AFTER_BYTES * 2
    view.transfer_begin("TIC 1", "7 cube.fits", big)
    clock.now += 2
    view.transfer_bytes("TIC 1", "7 cube.fits", big // 2)
    assert [r.label for r in view.rows()] == ["total", "  7 cube.fits"]  # a large file has a row of its own
    assert view.rows()[1].parts == ("4.0 MiB / 8.0 MiB", "2.0 MiB/s", "00:02 left")
    view.transfer_bytes("TIC 1", "7 cube.fits", big // 2)
    view.transfer_end("TIC 1", "7 cube.fits", 1, 0)
    view.transfer_begin("TIC 1", "8 small.txt", 10)
    assert [r.label for r in view.rows()] == ["total"]  # a small one does not
    view.transfer_end("TIC 1", "8 small.txt", 0, 1)
    (total,) = view.rows()
    assert total.parts[:3] == ("1/3 files", "1 failed", "8.0 MiB / ?")
    assert total.styles[1] == "red"  # a failure is shown as one
    assert total.fraction == 1 / 3  # the failed file does not fill the bar
    view.star_end("TIC 1")
    assert view._live is None  # closed with the last star
    assert "1 failed" in out.getvalue() and "8.0 MiB" in out.getvalue()


def test_total_bytes_and_time_left_once_every_size_is_known() -> None:
    view, _, clock = _view()
    view.stars(1)
    view.star_begin("TIC 1", 2)
    view.transfer_begin("TIC 1", "a", 1000)
    clock.now += 5
    view.transfer_bytes("TIC 1", "a", 500)
    assert _numbers(view)[0][1] == ("0/2 files", "500 B / ?", "100 B/s")  # "b" has not begun: size unknown
    view.transfer_begin("TIC 1", "2 b.fits", None)
    assert _numbers(view)[0][1] == ("0/2 files", "500 B / ?", "100 B/s")  # a size the server did not send
    assert _numbers(view)[1] == ("  2 b.fits", ("0 B / ?", "0 B/s"))  # unknown size: a row of its own
    view.transfer_bytes("TIC 1", "2 b.fits", 300)
    view.transfer_end("TIC 1", "2 b.fits", 1, 0)
    assert _numbers(view)[0][1] == ("1/2 files", "800 B / 1.3 KiB", "160 B/s", "00:03 left")
    view.star_end("TIC 1")


def test_the_rate_is_the_recent_one() -> None:
    view, _, clock = _view()
    view.stars(1)
    view.star_begin("TIC 1", 1)
    view.transfer_begin("TIC 1", "a", 100 * MIB)
    for _ in range(30):  # 1 MiB/s for 30 s, then 4 MiB/s for 20 s
        clock.now += 1
        view.transfer_bytes("TIC 1", "a", MIB)
    for _ in range(20):
        clock.now += 1
        view.transfer_bytes("TIC 1", "a", 4 * MIB)
    assert view.rows()[1].parts[1] == "4.0 MiB/s"  # not the 2.2 MiB/s average since the start
    view.star_end("TIC 1")


def test_a_retry_takes_its_bytes_back() -> None:
    view, _, _ = _view()
    view.stars(1)
    view.star_begin("TIC 1", 1)
    view.transfer_begin("TIC 1", "a", None)
    view.transfer_bytes("TIC 1", "a", 300)
    view.transfer_bytes("TIC 1", "a", -300)
    view.transfer_begin("TIC 1", "a", 400)
    view.transfer_bytes("TIC 1", "a", 400)
    assert _numbers(view)[0][1][1] == "400 B / 400 B"
    view.transfer_end("TIC 1", "a", 1, 0)
    view.star_end("TIC 1")


def test_a_batch_shows_stars_in_flight() -> None:
    view, _, _ = _view()
    view.stars(3)
    view.star_end("TIC 1")  # nothing to download: never began, still counted
    view.star_begin("TIC 2", 1)
    view.star_begin("TIC 3", 1)
    assert _numbers(view)[1] == ("stars", ("1/3 stars", "now TIC 2, TIC 3"))
    view.star_end("TIC 2")
    view.star_end("TIC 3")
    assert view._live is None


def test_a_cache_hit_draws_nothing() -> None:
    """A catalogue served from the cache: the star begins with no file and no transfer ever begins."""
    view, out, _ = _view()
    view.stars(1)
    view.star_begin("the TOI table", 0)
    view.transfer_end("the TOI table", "the TOI table", 0, 0)
    view.star_end("the TOI table")
    assert out.getvalue() == "" and view._live is None


def test_a_catalogue_is_one_row_in_bytes() -> None:
    view, out, clock = _view()
    label = "the TOI table"
    view.stars(1)
    view.star_begin(label, 0)
    view.transfer_begin(label, label, None)
    clock.now += 2
    view.transfer_bytes(label, label, 3 * MIB)
    (row,) = view.rows()
    assert (row.label, row.parts, row.fraction) == (label, ("3.0 MiB / ?", "1.5 MiB/s"), None)
    view.transfer_end(label, label, 0, 0)
    view.star_end(label)
    assert "files" not in out.getvalue() and "the TOI table" in out.getvalue()


def test_an_archive_alone_names_its_star() -> None:
    view, _, _ = _view()
    view.stars(1)
    view.star_begin("TIC 7", 0)
    view.transfer_begin("TIC 7", "the zip archive", 2 * MIB)
    view.transfer_bytes("TIC 7", "the zip archive", MIB)
    (row,) = view.rows()
    assert (row.label, row.parts[0], row.fraction) == ("the zip archive of TIC 7", "1.0 MiB / 2.0 MiB", 0.5)
    view.transfer_end("TIC 7", "the zip archive", 0, 0)
    view.star_end("TIC 7")
    view.stars(1)  # a fetch taking its 12 files from the zip: a row of its own, under the files
    view.star_begin("TIC 7", 12)
    view.transfer_begin("TIC 7", "the zip archive", 20 * MIB)
    assert [row.label for row in view.rows()] == ["total", "  the zip archive of TIC 7"]
    view.transfer_end("TIC 7", "the zip archive", 12, 0)
    view.star_end("TIC 7")


def test_the_view_starts_afresh_for_the_next_download(fake: FakeExoFop, cache_dir: Path) -> None:
    """The TOI table through the client: drawn when downloaded, nothing at all when served from the cache."""
    view, out, _ = _view()
    with make_client(fake, cache_dir, progress=view) as client:
        client.toi_table()
        drawn = out.getvalue()
        assert "the TOI table" in drawn and " / " in drawn and "files" not in drawn
        client.toi_table()
    assert out.getvalue() == drawn  # the cached copy: no progress
    assert view._counts.stars_total == 0  # forgotten when the view closed


def test_no_view_off_a_terminal_or_when_quiet() -> None:
    assert isinstance(make_progress(quiet=True), NullProgress)
    assert isinstance(make_progress(quiet=False), NullProgress)  # pytest's stderr is no terminal


# -- layout ------------------------------------------------------------------------------------------------
# The screen the acceptance audit saw wrapped at 80 and 100 columns: a big file in flight.
TOTAL = ("total", ("9/11 files", "1 failed", "56.7 MiB / 230.0 MiB", "11.7 MiB/s", "00:14 left"))
BIG = ("  900001 big_cube.fits", ("56.2 MiB / 229.9 MiB", "12.3 MiB/s", "00:14 left"))


def test_layout_at_80_columns_drops_the_bar_before_any_number() -> None:
    total, big = layout(80, [TOTAL, BIG])
    assert total == Line("total", 0, TOTAL[1])  # no room for a bar: every number, after the label
    assert big == Line("  900001 big_cube.fits", MIN_BAR, BIG[1])  # the whole name, a short bar
    assert max(cells(line.text) for line in (total, big)) <= 80


def test_layout_at_120_and_200_columns_lines_the_bars_up() -> None:
    total, big = layout(120, [TOTAL, BIG])
    assert total.bar == big.bar == 24 and total.parts == TOTAL[1] and big.parts == BIG[1]
    assert cells(total.label) == cells(big.label) == 22  # padded: the bars start in one column
    assert max(cells(total.text), cells(big.text)) <= 120
    wide = layout(200, [TOTAL, BIG])
    assert [line.bar for line in wide] == [MAX_BAR, MAX_BAR]


def test_layout_when_narrow_shortens_labels_then_drops_the_least_useful_numbers() -> None:
    total, big = layout(60, [TOTAL, BIG])
    assert total == Line("total", 0, ("9/11 files", "1 failed", "56.7 MiB / 230.0 MiB"))
    assert big == Line("  900001 …ube.fits", 0, ("56.2 MiB / 229.9 MiB", "12.3 MiB/s"))
    for width in range(4, 201):
        lines = layout(width, [TOTAL, BIG, ("stars", ("3/50 stars", "now TIC 1, TIC 2, TIC 3 …"))])
        assert all(cells(line.text) <= width for line in lines), width  # never wraps


def test_label_column_and_shorten() -> None:
    long = "  123456 " + "x" * 80 + ".fits"
    assert [label_column(w, ["total", long]) for w in (40, 80, 120, 200)] == [12, 24, 36, 40]
    assert label_column(200, ["total", "stars"]) == 5
    assert shorten("  900001 big_cube.fits", 16) == "  900001…be.fits"
    assert shorten("short", 16) == "short"
    assert shorten("星" * 10, 9) == "星星…星星" and cells(shorten("星" * 10, 9)) <= 9  # wide characters
    assert cells(fit_line(30, long, ("1.0 MiB / ?",), 40).text) <= 30


def test_what_rich_draws_fits_the_width() -> None:
    """The rows as Rich draws them (bar glyphs, styles): one terminal line each, at 80, 120 and 200."""
    for width in (80, 120, 200):
        view, _, clock = _view(width)
        view.stars(2)
        view.star_begin("TIC 365938305", 11)
        view.transfer_begin("TIC 365938305", "900001 big_cube.fits", 230 * MIB)
        clock.now += 5
        view.transfer_bytes("TIC 365938305", "900001 big_cube.fits", 56 * MIB)
        view.transfer_end("TIC 365938305", "1 x.txt", 9, 1)
        out = io.StringIO()
        Console(file=out, width=width, color_system=None, force_terminal=False).print(view)
        drawn = out.getvalue().splitlines()
        assert len(drawn) == 3, drawn  # total, stars, the big file: none wrapped
        assert all(cells(line) <= width for line in drawn)
        assert "9/11 files · 1 failed" in drawn[0] and "00:" in drawn[0]
        assert drawn[2].startswith("  900001 big_cube.fits ") and "56.0 MiB / 230.0 MiB" in drawn[2]
