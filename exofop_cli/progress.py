"""The progress interface the library reports to; the CLI plugs a Rich view in, library users anything else.

A fetch reports, for each star (``star`` is a label such as ``TIC 365938305``), how many files it will
download, then each transfer (``key``: one file, the star's archive, a catalogue) as it begins (with its size
when the server sent a Content-Length), its bytes, and its end with how many files it completed or failed.
Calls come from worker threads, for several stars at once; a retried transfer begins again after its bytes
were taken back (a negative count).
"""

import contextlib
from collections.abc import Callable, Iterator
from typing import Protocol


class ProgressListener(Protocol):
    """Receives fetch progress; every method may be called from worker threads."""

    def stars(self, total: int) -> None:
        """A fetch of ``total`` stars begins."""

    def star_begin(self, star: str, files: int) -> None:
        """``files`` downloads of this star are about to start."""

    def transfer_begin(self, star: str, key: str, size: int | None) -> None:
        """A transfer's answer began; ``size`` in bytes when known."""

    def transfer_bytes(self, star: str, key: str, nbytes: int) -> None:
        """``nbytes`` more bytes arrived (negative when a failed attempt is taken back)."""

    def transfer_end(self, star: str, key: str, done: int, failed: int) -> None:
        """A transfer is over: it completed ``done`` files and ``failed`` could not be had."""

    def star_end(self, star: str) -> None:
        """This star's downloads are over."""


class NullProgress:
    """A listener that ignores everything (the library default)."""

    def stars(self, total: int) -> None:
        """Ignore."""

    def star_begin(self, star: str, files: int) -> None:
        """Ignore."""

    def transfer_begin(self, star: str, key: str, size: int | None) -> None:
        """Ignore."""

    def transfer_bytes(self, star: str, key: str, nbytes: int) -> None:
        """Ignore."""

    def transfer_end(self, star: str, key: str, done: int, failed: int) -> None:
        """Ignore."""

    def star_end(self, star: str) -> None:
        """Ignore."""


@contextlib.contextmanager
def single_transfer(
    progress: ProgressListener, star: str, key: str
) -> Iterator[tuple[Callable[[int | None], None], Callable[[int], None]]]:
    """Report one transfer that is the whole job (a catalogue, a star's archive) as a star of its own.

    Yields the ``on_start``/``on_bytes`` callbacks to pass to the download; the transfer and the star end
    however the block ends.
    """
    progress.stars(1)
    progress.star_begin(star, 0)
    try:
        yield (
            lambda size: progress.transfer_begin(star, key, size),
            lambda n: progress.transfer_bytes(star, key, n),
        )
    finally:
        progress.transfer_end(star, key, 0, 0)
        progress.star_end(star)
