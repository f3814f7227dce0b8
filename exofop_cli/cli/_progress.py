"""Progress on stderr, drawn by Rich only when stderr is a terminal (and not ``--quiet``).

One row for the whole fetch (files done of planned, failures apart, bytes done of the total once every
transfer's size is known, rate, time left), one for the stars of a batch (how many are done, which are in
flight), and one for each large transfer in flight (bytes done of its size, rate, time left). Failed files
never fill the bar. A download that is not a set of files (a catalogue, a star's archive on its own) is one
row in bytes. Nothing is drawn until something is downloaded: a cache hit shows no progress at all.

Every row is laid out for the terminal's width by the pure function ``layout`` (tested without a
terminal): a long label is shortened in the middle, the bar goes first when room is short,
then the least useful numbers; a row never wraps. Sizes use binary units (KiB, MiB, GiB) everywhere, like
``ls -lh`` and ``du -h`` (``human_bytes``).
"""

# No `from __future__ import annotations` and no dataclasses: a warm fetch on a terminal imports this module,
# and both make classes several times slower to create (tests/test_import_cost.py).
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from ..progress import NullProgress, ProgressListener
from ..units import human_bytes
from ._output import clean

# Transfers at least this large (or of unknown size) get a row of their own while in flight.
BAR_AFTER_BYTES = 4 << 20
MIN_BAR = 8  # narrower than this a bar says nothing: the row goes without one
MAX_BAR = 40
_MAX_NAMES = 3
_RATE_WINDOW = 10.0  # seconds of recent transfer the rate is measured over
_SEP = " · "
_FAILED = "red"


# -- layout (pure) ----------------------------------------------------------------------------------------------
class Line(NamedTuple):
    """One row laid out for a width: its label (padded when a bar follows), bar cells (0: none), the parts
    of its numbers that fit, most useful first."""

    label: str
    bar: int
    parts: tuple[str, ...]

    @property
    def text(self) -> str:
        """The row as plain text (the bar drawn full), as wide as it will be on the terminal."""
        numbers = _SEP.join(self.parts)
        if self.bar:
            return f"{self.label} {'━' * self.bar} {numbers}"
        return f"{self.label} {numbers}" if numbers else self.label


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes (wide characters take two)."""
    from rich.cells import cell_len

    return cell_len(text)


def _head(text: str, width: int) -> str:
    """The longest start of ``text`` that fits ``width`` cells."""
    from rich.cells import get_character_cell_size

    out, used = [], 0
    for char in text:
        used += get_character_cell_size(char)
        if used > width:
            break
        out.append(char)
    return "".join(out)


def shorten(text: str, width: int) -> str:
    """``text`` in at most ``width`` cells: its start and its end (a file's extension) around an ellipsis."""
    if cells(text) <= width:
        return text
    if width <= 1:
        return "…"[:width]
    tail_width = (width - 1) // 2
    tail = _head(text[::-1], tail_width)[::-1]
    return _head(text, width - 1 - cells(tail)) + "…" + tail


def label_column(width: int, labels: Sequence[str]) -> int:
    """How many cells the labels take on a terminal ``width`` wide: the longest, within 30 % of it."""
    longest = max((cells(label) for label in labels), default=0)
    return min(longest, max(10, min(40, width * 3 // 10)))


def fit_line(width: int, label: str, parts: Sequence[str], label_width: int) -> Line:
    """Lay one row out in ``width`` cells: label, bar, numbers; never wider than ``width``.

    With room, the label is padded to ``label_width`` (bars line up) and the bar takes what the numbers
    leave, up to ``MAX_BAR``. Short of room the bar goes first; the numbers then follow the label directly
    and the last parts go, one by one; then the label is shortened to make room for the first part.
    """
    label = shorten(label, label_width)
    numbers = cells(_SEP.join(parts))
    steady = -(-numbers // 8) * 8  # rounded up: the bar does not twitch when a number gains a digit
    bar = min(MAX_BAR, width - label_width - 2 - steady)
    if bar >= MIN_BAR:
        return Line(label + " " * (label_width - cells(label)), bar, tuple(parts))
    for keep in range(len(parts), 0, -1):
        if cells(label) + 1 + cells(_SEP.join(parts[:keep])) <= width:
            return Line(label, 0, tuple(parts[:keep]))
    if not parts or width < 3:
        return Line(shorten(label, width), 0, ())
    first = parts[0]
    room = width - 1 - cells(first)
    if room >= 6:
        return Line(shorten(label, room), 0, (first,))
    label = shorten(label, max(1, width // 3))
    return Line(label, 0, (shorten(first, width - cells(label) - 1),))


def layout(width: int, rows: Sequence[tuple[str, Sequence[str]]]) -> list[Line]:
    """Rows (label, numbers) laid out for a terminal ``width`` cells wide; the bars that fit share a width."""
    label_width = label_column(width, [label for label, _parts in rows])
    lines = [fit_line(width, label, parts, label_width) for label, parts in rows]
    bar = min((line.bar for line in lines if line.bar), default=0)
    return [Line(line.label, bar, line.parts) if line.bar else line for line in lines]


def clock(seconds: float) -> str:
    """Time left as ``MM:SS``, or hours past an hour."""
    return time.strftime("%M:%S", time.gmtime(seconds)) if seconds < 3600 else f"{seconds / 3600:.1f} h"


def bytes_done(received: int, total: int | None) -> str:
    """``56.7 MiB / 230.0 MiB``; ``/ ?`` while the total is not known."""
    return f"{human_bytes(max(received, 0))} / {human_bytes(total) if total is not None else '?'}"


# -- what the rows say ------------------------------------------------------------------------------------------
class Row(NamedTuple):
    """A row before layout: label, numbers (with their styles), how full its bar is (None: unknown)."""

    label: str
    parts: tuple[str, ...]
    fraction: float | None
    styles: tuple[str, ...] = ()  # per part; "" (or missing) for plain


class _Meter:
    """Bytes so far and the rate over the last ``_RATE_WINDOW`` seconds."""

    def __init__(self, now: float) -> None:
        self.total = 0
        self._samples: deque[tuple[float, int]] = deque([(now, 0)])

    def add(self, nbytes: int, now: float) -> None:
        self.total += nbytes
        samples = self._samples
        if now - samples[-1][0] < 0.05:
            return  # a sample per 50 ms is plenty: a fast local copy sends thousands of chunks a second
        samples.append((now, self.total))
        while len(samples) > 2 and samples[1][0] <= now - _RATE_WINDOW:
            samples.popleft()

    def rate(self, now: float) -> float:
        since, then = self._samples[0]
        elapsed = now - since
        return max(self.total - then, 0) / elapsed if elapsed > 0 else 0.0


class _Transfer:
    __slots__ = ("key", "meter", "size", "star")

    def __init__(self, star: str, key: str, size: int | None, meter: _Meter) -> None:
        self.star, self.key, self.size, self.meter = star, key, size, meter

    @property
    def name(self) -> str:
        """A file's key ("1001 notes.txt"), a catalogue's, or a star's archive: "the zip archive of TIC 1"."""
        plain = self.key == self.star or self.key[:1].isdigit()  # file keys are "<file id> <file name>"
        return clean(self.key if plain else f"{self.key} of {self.star}")


class _Counts:
    """What the view counts: files planned, done and failed, bytes, transfers and stars in flight."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.files = 0
        self.done = 0
        self.failed = 0
        self.finished_bytes = 0  # what the finished transfers brought (a failed one's bytes were taken back)
        self.transfers: dict[tuple[str, str], _Transfer] = {}  # in flight
        self.last_name = ""
        self.stars_total = 0
        self.stars_done = 0
        self.in_flight: list[str] = []
        self.meter = _Meter(started)


class RichProgress:
    """The Rich view of ``ProgressListener`` events; Rich is imported when the first download begins."""

    def __init__(self, console: Any = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._console = console  # a Rich Console; default: stderr
        self._clock = clock
        self._lock = threading.RLock()  # the refresh thread renders while workers report
        self._counts = _Counts(clock())
        self._live: Any = None

    # -- ProgressListener ---------------------------------------------------------------------------------
    def stars(self, total: int) -> None:
        """A fetch of ``total`` stars begins."""
        with self._lock:
            self._counts.stars_total += total

    def star_begin(self, star: str, files: int) -> None:
        """A star's downloads begin: show them when they are files (a catalogue waits for its bytes)."""
        with self._lock:
            self._counts.files += files
            self._counts.in_flight.append(star)
            if files:
                self._start()

    def transfer_begin(self, star: str, key: str, size: int | None) -> None:
        """A transfer's answer began (again, for a retry: its bytes were taken back)."""
        with self._lock:
            counts, now = self._counts, self._clock()
            old = counts.transfers.get((star, key))
            counts.transfers[(star, key)] = transfer = _Transfer(
                star, key, size, old.meter if old else _Meter(now)
            )
            counts.last_name = transfer.name
            self._start()

    def transfer_bytes(self, star: str, key: str, nbytes: int) -> None:
        """Count bytes (negative: a failed attempt taken back)."""
        with self._lock:
            now = self._clock()
            self._counts.meter.add(nbytes, now)
            transfer = self._counts.transfers.get((star, key))
            if transfer is not None:
                transfer.meter.add(nbytes, now)

    def transfer_end(self, star: str, key: str, done: int, failed: int) -> None:
        """A transfer is over: count its files, drop its row."""
        with self._lock:
            counts = self._counts
            counts.done += done
            counts.failed += failed
            transfer = counts.transfers.pop((star, key), None)
            if transfer is not None:
                counts.finished_bytes += max(transfer.meter.total, 0)

    def star_end(self, star: str) -> None:
        """A star is over; the view closes with the last one (and forgets, for the next command)."""
        with self._lock:
            counts = self._counts
            if star in counts.in_flight:
                counts.in_flight.remove(star)
            counts.stars_done += 1
            if counts.in_flight or counts.stars_done < counts.stars_total:
                return
            live, self._live = self._live, None
        if live is not None:
            live.stop()  # outside the lock: stopping waits for the refresh thread, which takes it to draw
        with self._lock:
            if self._live is None:
                self._counts = _Counts(self._clock())

    # -- what to show ---------------------------------------------------------------------------------------
    def rows(self) -> list[Row]:
        """The rows the view would draw now."""
        with self._lock:
            c, now = self._counts, self._clock()
            rate = c.meter.rate(now)
            total = self._total_bytes()
            numbers = [bytes_done(c.meter.total, total), f"{human_bytes(rate)}/s"]
            if total is not None and rate > 0 and total > c.meter.total:
                numbers.append(f"{clock((total - c.meter.total) / rate)} left")
            rows: list[Row] = []
            if c.files:
                counted = [f"{c.done}/{c.files} files"] + ([f"{c.failed} failed"] if c.failed else [])
                styles = ("",) + ((_FAILED,) if c.failed else ())
                rows.append(Row("total", (*counted, *numbers), c.done / c.files, styles))
            else:
                names = [t.name for t in c.transfers.values()] or [c.last_name]
                label = names[0] if len(names) == 1 else f"{len(names)} downloads"
                rows.append(Row(label, tuple(numbers), c.meter.total / total if total else None))
            if c.stars_total > 1:
                now_names = ", ".join(c.in_flight[:_MAX_NAMES]) + (
                    " …" if len(c.in_flight) > _MAX_NAMES else ""
                )
                parts = (f"{c.stars_done}/{c.stars_total} stars",) + (
                    (f"now {now_names}",) if now_names else ()
                )
                rows.append(Row("stars", parts, c.stars_done / c.stars_total))
            if c.files:
                rows += [_transfer_row(t, now) for t in c.transfers.values() if _own_row(t)]
            return rows

    def lines(self, width: int) -> list[Line]:
        """The rows laid out for a terminal ``width`` cells wide."""
        return layout(width, [(r.label, r.parts) for r in self.rows()])

    def _total_bytes(self) -> int | None:
        """All the bytes of the downloads, once every one has begun and sent its size; else None.

        While a star's archive is in flight the planned files outnumber the transfers, so the total stays
        unknown (the archive's own row has its size)."""
        c = self._counts
        if any(t.size is None for t in c.transfers.values()):
            return None
        if c.files - c.done - c.failed - len(c.transfers) > 0:
            return None  # a planned file has not begun: its size is not known yet
        return c.finished_bytes + sum(t.size or 0 for t in c.transfers.values())

    # -- drawing ------------------------------------------------------------------------------------------
    def __rich_console__(self, console: Any, options: Any) -> Iterator[Any]:
        """Draw the rows for the console's width (called by Rich's refresh thread)."""
        from rich.text import Text

        colour = console.color_system is not None and not console.no_color
        with self._lock:
            rows, now = self.rows(), self._clock()
        for row, line in zip(
            rows, layout(options.max_width, [(r.label, r.parts) for r in rows]), strict=True
        ):
            text = Text(line.label + " ", no_wrap=True, overflow="crop", end="\n")
            if line.bar:
                text.append_text(_bar(line.bar, row.fraction, now, colour))
                text.append(" ")
            for i, part in enumerate(line.parts):
                text.append(_SEP if i else "")
                text.append(part, style=row.styles[i] if i < len(row.styles) else "")
            yield text

    def _start(self) -> None:
        if self._live is not None:
            return
        import os

        from rich.console import Console
        from rich.live import Live

        if not self._counts.meter.total:  # the rate counts from the first download, not from the start
            self._counts.meter = _Meter(self._clock())
        console = self._console or Console(stderr=True, no_color="NO_COLOR" in os.environ)
        self._live = Live(self, console=console, refresh_per_second=8)
        self._live.start()


def _own_row(transfer: _Transfer) -> bool:
    return transfer.size is None or transfer.size >= BAR_AFTER_BYTES


def _transfer_row(transfer: _Transfer, now: float) -> Row:
    got, size = transfer.meter.total, transfer.size
    rate = transfer.meter.rate(now)
    parts = [bytes_done(got, size), f"{human_bytes(rate)}/s"]
    if size is not None and rate > 0 and size > got:
        parts.append(f"{clock((size - got) / rate)} left")
    return Row(f"  {transfer.name}", tuple(parts), max(got, 0) / size if size else None)


def _bar(width: int, fraction: float | None, now: float, colour: bool) -> Any:
    """A bar ``width`` cells wide; a pulse running along it while the total is unknown."""
    from rich.text import Text

    back = ("━", "bar.back") if colour else (" ", "")
    if fraction is None:
        run = max(2, width // 5)
        start = int(now * 12) % (width + run) - run
        return Text.assemble(
            *(("━", "bar.pulse") if start <= i < start + run else back for i in range(width))
        )
    filled = min(max(fraction, 0.0), 1.0) * width
    full, half = int(filled), filled - int(filled) >= 0.5
    style = "bar.finished" if fraction >= 1 else "bar.complete"
    rest = width - full - (1 if half else 0)
    return Text.assemble(("━" * full, style), ("╸" if half else "", style), (back[0] * rest, back[1]))


def make_progress(quiet: bool) -> ProgressListener:
    """A Rich view when stderr is a terminal and not quiet, otherwise nothing."""
    if quiet or not sys.stderr.isatty():
        return NullProgress()
    return RichProgress()
