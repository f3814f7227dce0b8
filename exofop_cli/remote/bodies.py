"""Reading an answer's body: complete or an error, never more than allowed, never silently cut.

httpx would decode ``Content-Encoding`` itself, but it never checks that a gzip stream reached its end (its
CRC and length trailer), and it inflates without a bound. So exofop asks only for what it decodes here
(``Accept-Encoding: gzip, deflate``) and reads the raw body (``iter_raw``):

* **Complete**: a gzip or deflate stream that stops before its end is a body cut short, exactly like a body
  shorter than its ``Content-Length``: retried, then a ``network`` error (files, tables and the file list
  alike). Concatenated gzip members are all decoded; bytes after the end that are not a member are refused.
* **Only what was asked for**: another encoding (``br``, ``zstd``, ``compress``...) is refused, never
  saved raw.
* **Bounded**: a body may not exceed ``max_bytes`` decoded (``--max-file-size`` for files, a fixed cap for
  tables held in memory), nor inflate more than ``config.MAX_DECOMPRESSION_RATIO`` times its size on the wire
  past ``config.DECOMPRESSION_RATIO_FLOOR_BYTES``; a body longer than its ``Content-Length`` is refused. Each
  error names what was being fetched.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .. import config
from ..errors import InvalidResponseError, NetworkError, RequestError
from ..units import human_bytes

if TYPE_CHECKING:
    import httpx

ACCEPT_ENCODING = "gzip, deflate"
_DECODED_CHUNK = 256 * 1024  # inflate in bounded steps: a bomb never lands in memory at once
_GZIP_MAGIC = b"\x1f\x8b"


class Retryable(Exception):
    """This attempt failed in a way worth retrying (a cut body, a timeout, a 503...)."""

    def __init__(self, error: RequestError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def encodings(response: httpx.Response) -> list[str]:
    """The response's content codings in the order they were applied (``identity`` left out)."""
    value = response.headers.get("content-encoding", "")
    found = [c.strip().lower() for c in value.split(",")]
    return ["gzip" if c == "x-gzip" else c for c in found if c not in ("", "identity")]


def content_length(response: httpx.Response) -> int | None:
    """``Content-Length`` as a number (bytes on the wire), or None."""
    value = response.headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


class _Inflater:
    """One content coding undone: gzip (every member) or deflate (zlib-wrapped, or raw as some servers send)."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._raw_fallback = coding == "deflate"
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding == "gzip" else zlib.MAX_WBITS)
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decoded bytes for ``data``, at most ``_DECODED_CHUNK`` per step."""
        while data:
            if self._obj.eof:
                data = self._next_member(data)
                if not data:
                    return
            try:
                out = self._obj.decompress(data, _DECODED_CHUNK)
            except zlib.error:
                if self._raw_fallback and not self._started:
                    # "deflate" is zlib-wrapped by the standard, raw by some servers (as httpx also accepts).
                    self._raw_fallback = False
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise
            self._started = True
            if out:
                yield out
            data = self._obj.unconsumed_tail or (self._obj.unused_data if self._obj.eof else b"")

    def _next_member(self, data: bytes) -> bytes:
        """After a complete stream: another gzip member starts, or only NUL padding follows."""
        if self.coding == "gzip" and data.startswith(_GZIP_MAGIC[: len(data)]):
            self._obj = zlib.decompressobj(zlib.MAX_WBITS | 16)
            return data
        if not data.strip(b"\x00"):
            return b""
        raise zlib.error(f"{len(data)} bytes after the end of the {self.coding} stream")

    @property
    def complete(self) -> bool:
        """True when the stream reached its end (for gzip: its CRC and length were checked)."""
        return self._obj.eof


class BodyReader:
    """Iterate the decoded chunks of a streamed response, enforcing the rules in the module docstring."""

    def __init__(
        self,
        response: httpx.Response,
        *,
        what: str,
        endpoint: str,
        max_bytes: int,
        limit_hint: str | None = None,
        limit_name: str = "",
        watch: Any = None,
    ) -> None:
        self.response = response
        self.what = what
        self.endpoint = endpoint
        self.max_bytes = max_bytes
        self.limit_hint = limit_hint
        self.limit_name = limit_name
        self.watch = watch
        self.wire = 0  # bytes on the wire (after de-chunking)
        self.decoded = 0
        self.expected = content_length(response)
        codings = encodings(response)
        unknown = [c for c in codings if c not in ("gzip", "deflate")]
        if unknown:
            raise InvalidResponseError(
                f"ExoFOP sent {what} encoded as {', '.join(unknown)!s}, which exofop did not ask for (it asks "
                f"for {ACCEPT_ENCODING}); nothing was saved",
                endpoint=endpoint,
            )
        self._inflaters = [_Inflater(c) for c in reversed(codings)]
        if not codings and self.expected is not None and self.expected > max_bytes:
            raise self._too_large(self.expected)

    def __iter__(self) -> Iterator[bytes]:
        import httpx

        try:
            if self.response.is_stream_consumed:
                # Already read whole, and decoded, by httpx (a test's MockTransport answer built from bytes).
                self._inflaters = []
                self.wire = len(self.response.content)
                yield from self._decode(self.response.content)
                return
            for raw in self.response.iter_raw():
                self.wire += len(raw)
                if self.expected is not None and self.wire >= self.expected and self.watch is not None:
                    self.watch.body_complete()  # before the connection goes back to the pool
                yield from self._decode(raw)
            self._check_complete()
        except zlib.error as exc:
            # A body that cannot be decoded (bad gzip...) is a broken answer, not a broken connection.
            raise InvalidResponseError(
                f"ExoFOP sent an undecodable body for {self.what}: {exc}", endpoint=self.endpoint
            ) from exc
        except httpx.DecodingError as exc:
            raise InvalidResponseError(
                f"ExoFOP sent an undecodable body for {self.what}: {exc}", endpoint=self.endpoint
            ) from exc
        self._check_end()

    def _decode(self, raw: bytes) -> Iterator[bytes]:
        chunks: Iterator[bytes] = iter((raw,))
        for inflater in self._inflaters:
            chunks = _through(inflater, chunks)  # lazily: each step is counted before the next is made
        for chunk in chunks:
            self._count(len(chunk))
            yield chunk

    def _check_complete(self) -> None:
        for inflater in self._inflaters:
            if not inflater.complete:
                raise Retryable(
                    NetworkError(
                        f"transfer of {self.what} was cut short: its {inflater.coding} stream ended before its "
                        f"end ({self.wire} bytes received)",
                        endpoint=self.endpoint,
                    )
                )

    def _count(self, n: int) -> None:
        self.decoded += n
        if self.decoded > self.max_bytes:
            raise self._too_large(self.decoded)
        if (
            self._inflaters
            and self.decoded > config.DECOMPRESSION_RATIO_FLOOR_BYTES
            and self.decoded > config.MAX_DECOMPRESSION_RATIO * max(self.wire, 1)
        ):
            raise InvalidResponseError(
                f"ExoFOP sent {self.what} compressed more than {config.MAX_DECOMPRESSION_RATIO}:1 "
                f"({human_bytes(self.wire)} inflating past {human_bytes(self.decoded)}): refused as a "
                "decompression bomb; nothing was saved",
                endpoint=self.endpoint,
            )

    def _too_large(self, size: int) -> InvalidResponseError:
        limit = human_bytes(self.max_bytes)
        limit = f"the {self.limit_name} limit of {limit}" if self.limit_name else f"the {limit} limit"
        return InvalidResponseError(
            f"{self.what} is larger than {limit} (at least {human_bytes(size)}); nothing was saved",
            endpoint=self.endpoint,
            hint=self.limit_hint,
        )

    def _check_end(self) -> None:
        """The body ended: it must have exactly the announced length."""
        if self.expected is None:
            return
        if self.wire < self.expected:
            raise Retryable(
                NetworkError(
                    f"transfer of {self.what} was cut short ({self.wire} of {self.expected} bytes)",
                    endpoint=self.endpoint,
                )
            )
        if self._overlong():
            raise InvalidResponseError(
                f"ExoFOP sent more than the {self.expected} bytes its Content-Length announced for "
                f"{self.what}; nothing was saved",
                endpoint=self.endpoint,
            )

    def _overlong(self) -> bool:
        """True when bytes followed the announced body on the connection (seen by the transfer watch)."""
        if "chunked" in self.response.headers.get("transfer-encoding", "").lower():
            return False
        return bool(getattr(self.watch, "overlong", False))


def _through(inflater: _Inflater, chunks: Iterator[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        yield from inflater.feed(chunk)
