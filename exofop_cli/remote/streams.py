"""Bodies in and out of an exchange: what ``HttpSession`` returns (``Body``, ``Saved``, ``Probe``), where a
download goes (``Sink``), and the two steps every body takes: decoded and checked chunk by chunk
(``iter_body``), then sniffed and streamed into its sink (``stream_into``), committed only when whole.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from ..errors import NetworkError
from .bodies import BodyReader, Retryable, content_length, encodings
from .sniff import LOGIN_SNIFF_BYTES, SNIFF_BYTES, looks_like_page
from .verdicts import SILENT_HINT, Verdicts

if TYPE_CHECKING:
    import httpx

    from .transfer import Watch

FILE_SIZE_HINT = "--max-file-size SIZE (library: max_file_size=) raises the limit"


@dataclass(frozen=True)
class Body:
    """A small response held in memory (tables, JSON)."""

    url: str
    status_code: int
    headers: Mapping[str, str]
    content: bytes


@dataclass(frozen=True)
class Saved:
    """A response streamed into a sink and committed; ``warnings`` are for the user (name mismatch...)."""

    url: str
    size: int
    sha256: str
    mtime_ns: int
    filename_header: str | None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Probe:
    """One raw exchange, unclassified (``exofop doctor``): what the server sent, and how long it took."""

    url: str
    status_code: int
    header_items: tuple[tuple[str, str], ...]
    content: bytes
    complete: bool  # False when the body was longer than the probe reads
    seconds: float

    def header(self, name: str) -> str | None:
        """The first value of a header (case-insensitive), or None."""
        wanted = name.lower()
        return next((v for k, v in self.header_items if k.lower() == wanted), None)


class Sink(Protocol):
    """Where a download is streamed (the store's atomic writer): remote code never touches the cache itself.

    ``write`` receives every body chunk, ``commit`` makes the result final and returns its ``stat``,
    ``abort`` discards it; used as a context manager that aborts unless committed.
    """

    size: int

    def write(self, chunk: bytes) -> None:
        """Append a chunk."""

    def hexdigest(self) -> str:
        """sha256 of everything written."""

    def commit(self) -> os.stat_result:
        """Make the written bytes final (atomically); their ``stat``."""

    def abort(self) -> None:
        """Discard what was written."""

    def __enter__(self) -> Sink: ...

    def __exit__(self, *exc_info: object) -> None: ...


def filename_from_disposition(value: str | None) -> str | None:
    """The file name a ``Content-Disposition`` header gives (``filename*`` decoded), or None."""
    if not value:
        return None
    from email.message import Message

    msg = Message()
    msg["content-disposition"] = value
    name = msg.get_filename()
    return str(name) if name else None


def body_size(response: httpx.Response) -> int | None:
    """The body's size from Content-Length when that counts the bytes we will see (no content encoding)."""
    return None if encodings(response) else content_length(response)


def stream_into(
    verdicts: Verdicts,
    url: str,
    response: httpx.Response,
    body: Iterator[bytes],
    open_sink: Callable[[], Sink],
    *,
    what: str,
    endpoint: str,
    filename: str,
    on_bytes: Callable[[int], None] | None,
    table: bool = False,
) -> Saved:
    """Sniff the head of a body, stream the rest into a sink, commit when whole and trustworthy."""
    content_type = response.headers.get("content-type", "")
    sent = 0

    def sniff(head: bytes, *, complete: bool) -> None:
        if table:
            verdicts.sniff_table(head, what=what, endpoint=endpoint, complete=complete)
            return
        verdicts.sniff_file(
            head,
            what=what,
            endpoint=endpoint,
            filename=filename,
            content_type=content_type,
            complete=complete,
        )

    try:
        with open_sink() as writer:
            head = b""
            sniffed = False
            for received in body:
                chunk = received
                if not sniffed:
                    head += chunk
                    # An HTML page is read further before deciding: ExoFOP's login form may sit below a
                    # long page header.
                    wanted = LOGIN_SNIFF_BYTES if looks_like_page(head, content_type) else SNIFF_BYTES
                    if len(head) < wanted:
                        continue
                    sniff(head, complete=False)
                    sniffed = True
                    chunk, head = head, b""
                writer.write(chunk)
                sent += len(chunk)
                if on_bytes is not None:
                    on_bytes(len(chunk))
            if not sniffed:
                sniff(head, complete=True)  # the whole body is in `head`
                writer.write(head)
                sent += len(head)
                if on_bytes is not None and head:
                    on_bytes(len(head))
            st = writer.commit()
            served = filename_from_disposition(response.headers.get("content-disposition"))
            return Saved(
                url=url,
                size=writer.size,
                sha256=writer.hexdigest(),
                mtime_ns=st.st_mtime_ns,
                filename_header=served,
                warnings=verdicts.name_warnings(served, filename, what=what),
            )
    except BaseException:
        if on_bytes is not None and sent:
            on_bytes(-sent)  # the progress bar must not count bytes of a failed attempt
        raise


def iter_body(
    verdicts: Verdicts,
    response: httpx.Response,
    *,
    what: str,
    endpoint: str,
    max_bytes: int,
    watch: Watch | None = None,
    limit_hint: str | None = None,
    limit_name: str = "",
) -> Iterator[bytes]:
    """Decoded body chunks (``bodies.BodyReader``); a body that breaks off, stalls or falls short of its
    Content-Length or of its gzip trailer is retryable."""
    import httpx

    from .transfer import Stopped

    reader = BodyReader(
        response,
        what=what,
        endpoint=endpoint,
        max_bytes=max_bytes,
        limit_hint=limit_hint,
        limit_name=limit_name,
        watch=watch,
    )
    try:
        yield from reader
    except Stopped as exc:
        raise verdicts.stopped(exc, what=what, endpoint=endpoint) from exc
    except httpx.TimeoutException as exc:
        raise Retryable(
            NetworkError(
                f"timed out: ExoFOP stopped sending {what} for {verdicts.read_timeout:g} s "
                f"(after {reader.wire} bytes)",
                endpoint=endpoint,
                hint=SILENT_HINT,
            )
        ) from exc
    except (httpx.TransportError, OSError) as exc:
        raise Retryable(
            NetworkError(f"transfer of {what} broke off: {exc or type(exc).__name__}", endpoint=endpoint)
        ) from exc
