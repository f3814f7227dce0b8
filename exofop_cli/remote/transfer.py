"""Watching every exchange with ExoFOP at the socket: deadlines, minimum progress, and stopping when asked.

httpx knows one kind of patience: a read timeout, the longest silence between two bytes. That lets a server
that trickles a byte every few seconds (or trickles its header lines) keep a run going for ever, and a thread
blocked in a read or a connect cannot be stopped by Ctrl-C. So the network streams httpcore reads from are
wrapped (``install``): each read waits in slices of ``config.CANCEL_POLL_SECONDS`` and, between slices, asks
the ``Watch`` of the attempt its thread is making (``watching``) whether to go on:

* **Stop when asked**: a ``Cancelled`` as soon as one of the attempt's events is set (Ctrl-C, a fetch that gave
  up); connecting (name resolution included) waits the same way.
* **Deadline**: an answer's headers must be complete within connect + read timeout of the request; once the
  size is known (``Content-Length``), the whole answer within that plus its size at ``MIN_TRANSFER_RATE``.
* **Minimum progress** (``config.MIN_TRANSFER_RATE``): from the answer's first byte on, every window of
  ``--timeout`` seconds must bring that rate on average. A slow download that keeps it up never times out
  (issue 11); a trickle below it does (issue 16). Silence before the first byte is left to the read timeout.
* **Bytes past Content-Length**: the body bytes the socket delivered are counted, so that an answer longer
  than it announced is noticed although the HTTP parser stops at the announced length (best effort: only the
  bytes already received when the body ends can be seen).

A thread without a watch (the login exchange, a library user's own calls) reads exactly as httpx would. This
module is imported only when a request is made (httpx and httpcore are loaded then anyway).
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import httpcore

from .. import config
from ..errors import Cancelled

_local = threading.local()
# Headers longer than this are not looked through for their end (h11 refuses them anyway).
_MAX_HEAD_BYTES = 256 * 1024
_IN_PROGRESS = frozenset({errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY})


class Stopped(Exception):  # raised through httpcore's read; http.py turns it into a NetworkError
    """An exchange broke a rule of its ``Watch``: ``reason`` is ``deadline`` or ``stalled``."""

    def __init__(self, reason: str, *, seconds: float, received: int) -> None:
        super().__init__(f"{reason} after {seconds:.1f} s ({received} bytes)")
        self.reason = reason
        self.seconds = seconds
        self.received = received


class ConnectFailure(httpcore.ConnectError):
    """httpcore's connect error, keeping the socket's own ``OSError`` (httpcore's pool drops the cause)."""

    def __init__(self, message: str, os_error: OSError | None) -> None:
        super().__init__(message)
        self.os_error = os_error


class Watch:
    """The rules of one attempt (a request, its redirects and its answer), checked by the thread making it."""

    def __init__(
        self,
        *,
        connect_timeout: float,
        read_timeout: float,
        cancel: Sequence[threading.Event] = (),
        min_rate: float = config.MIN_TRANSFER_RATE,
    ) -> None:
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.cancel = tuple(cancel)
        self.min_rate = min_rate
        self.new_exchange()

    def new_exchange(self) -> None:
        """A request goes out (the first, or one after a redirect): its clocks and counts start again."""
        now = time.monotonic()
        self.started = now
        self.deadline = now + self.connect_timeout + self.read_timeout
        self.received = 0  # bytes read from the socket for this exchange
        self.body_seen = 0  # of which after the end of the headers
        self.overlong = False  # bytes arrived past the announced Content-Length
        self._expected: int | None = None
        self._stream: WatchedStream | None = None
        self._head: bytearray | None = bytearray()
        self._window_start: float | None = None
        self._window_bytes = 0

    def sized(self, size: int | None) -> None:
        """The body's length on the wire is known (``Content-Length``, not chunked): the deadline then covers
        the whole body, and bytes past it are looked for."""
        if size is not None:
            budget = self.connect_timeout + self.read_timeout + size / self.min_rate
            self.deadline = self.started + budget
            self._expected = size
            self._note_overlong()

    def _note_overlong(self) -> None:
        if self._expected is not None and self.body_seen > self._expected:
            self.overlong = True
            if self._stream is not None:
                self._stream.poisoned = True  # the pool must not reuse a connection with garbage on it

    def body_complete(self) -> None:
        """The announced body is all in, and the connection is still this exchange's (the caller has not
        asked for the end of the body yet; after it, another thread may use the connection): note whether
        bytes follow it on the socket."""
        self._note_overlong()
        if not self.overlong and self._expected is not None and self._stream is not None:
            self.overlong = self._stream.bytes_waiting()
            self._stream.poisoned = self.overlong

    @property
    def cancelled(self) -> bool:
        """True once any of the attempt's events is set."""
        return any(event.is_set() for event in self.cancel)

    def check(self, now: float | None = None) -> None:
        """Raise ``Cancelled`` or ``Stopped`` when the exchange must end now."""
        if self.cancelled:
            raise Cancelled()
        now = time.monotonic() if now is None else now
        if now >= self.deadline:
            raise Stopped("deadline", seconds=now - self.started, received=self.received)
        if self._window_start is not None:
            elapsed = now - self._window_start
            if elapsed >= self.read_timeout:
                if self._window_bytes < self.min_rate * elapsed:
                    raise Stopped("stalled", seconds=now - self.started, received=self.received)
                self._window_start, self._window_bytes = now, 0

    def slice(self, timeout: float | None, began: float) -> float:
        """How long the next blocking wait may last: a poll slice, no further than the deadline or ``timeout``."""
        now = time.monotonic()
        wait = min(config.CANCEL_POLL_SECONDS, self.deadline - now)
        if timeout is not None:
            wait = min(wait, timeout - (now - began))
        return max(wait, 0.001)

    def count(self, data: bytes, stream: WatchedStream | None = None) -> None:
        """Bytes arrived: progress, and (until the headers end) where the body begins."""
        if stream is not None:
            self._stream = stream
        self._count(data)
        self._note_overlong()

    def _count(self, data: bytes) -> None:
        now = time.monotonic()
        if self._window_start is None:
            self._window_start = now
        self._window_bytes += len(data)
        self.received += len(data)
        if self._head is None:
            self.body_seen += len(data)
            return
        self._head += data
        end = self._head.find(b"\r\n\r\n")
        if end >= 0:
            self.body_seen = len(self._head) - end - 4
            self._head = None
        elif len(self._head) > _MAX_HEAD_BYTES:
            self._head = None
            self.body_seen = -1  # unknown: never reported as too long

    def wait(self, seconds: float) -> None:
        """Sleep ``seconds`` (a backoff, a Retry-After), ending early with ``Cancelled``."""
        end = time.monotonic() + seconds
        while True:
            if self.cancelled:
                raise Cancelled()
            left = end - time.monotonic()
            if left <= 0:
                return
            first = self.cancel[0] if self.cancel else threading.Event()
            first.wait(min(left, config.CANCEL_POLL_SECONDS))


def current() -> Watch | None:
    """The watch of the attempt this thread is making, if any."""
    watch: Watch | None = getattr(_local, "watch", None)
    return watch


@contextlib.contextmanager
def watching(watch: Watch) -> Iterator[Watch]:
    """Make ``watch`` this thread's for the duration of one attempt."""
    previous = current()
    _local.watch = watch
    try:
        yield watch
    finally:
        _local.watch = previous


class WatchedStream(httpcore.NetworkStream):
    """A network stream whose reads wait in slices and obey the current thread's watch."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner
        self.poisoned = False

    def bytes_waiting(self) -> bool:
        """True when a plain TCP socket holds unread bytes (a server's close is not bytes); TLS: unknown."""
        sock = self._inner.get_extra_info("socket")
        if not isinstance(sock, socket.socket) or self._inner.get_extra_info("ssl_object") is not None:
            return False
        timeout = sock.gettimeout()
        try:
            sock.settimeout(0.0)  # a socket with a timeout would wait for data despite MSG_DONTWAIT
            return bool(sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT))
        except (OSError, ValueError):
            return False
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """Read like the wrapped stream; ``httpcore.ReadTimeout`` after ``timeout`` seconds of silence."""
        watch = current()
        if watch is None:
            return self._inner.read(max_bytes, timeout)
        began = time.monotonic()
        while True:
            watch.check()
            try:
                data = self._inner.read(max_bytes, watch.slice(timeout, began))
            except httpcore.ReadTimeout:
                if timeout is not None and time.monotonic() - began >= timeout:
                    raise
                continue
            watch.count(data, self)
            return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Write like the wrapped stream (requests are small), unless the attempt was cancelled."""
        watch = current()
        if watch is not None and watch.cancelled:
            raise Cancelled()
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        """Close the wrapped stream."""
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        """TLS over the wrapped stream (the handshake is bounded by the connect timeout), still watched."""
        return WatchedStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        """What the wrapped stream says; a poisoned one looks readable, so the pool drops it as it would a
        connection the server closed."""
        if info == "is_readable" and self.poisoned:
            return True
        return self._inner.get_extra_info(info)


class WatchedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, with connections that can be stopped and streams that are watched."""

    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        """Connect in slices (name resolution included) when a watch is set; else as the inner backend."""
        watch = current()
        if watch is None:
            stream = self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
            return WatchedStream(stream)
        sock = _connect(host, port, timeout, local_address, list(socket_options or ()), watch)
        from httpcore._backends.sync import SyncStream

        return WatchedStream(SyncStream(sock))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        """As the inner backend."""
        return WatchedStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        """As the inner backend (httpcore's connect retries, unused by exofop)."""
        self._inner.sleep(seconds)


def install(client: Any) -> bool:
    """Put a ``WatchedBackend`` under every connection pool of an ``httpx.Client``; False if there is none.

    httpx has no public way to choose httpcore's network backend, so the pools' ``_network_backend`` is
    replaced (httpx 0.27-0.28, httpcore 1.x); a transport without one (a test's ``MockTransport``) is left
    alone, and then deadlines and Ctrl-C apply between reads only.
    """
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    installed = False
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if isinstance(backend, httpcore.NetworkBackend) and not isinstance(backend, WatchedBackend):
            pool._network_backend = WatchedBackend(backend)  # type: ignore[union-attr]
            installed = True
    return installed


def _resolve(host: str, port: int, watch: Watch) -> list[Any]:
    """``getaddrinfo``, waited for in slices: a name server that does not answer cannot hold Ctrl-C up."""
    for family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            socket.inet_pton(family, host.strip("[]"))
            return socket.getaddrinfo(host.strip("[]"), port, family, socket.SOCK_STREAM)
    result: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            result["infos"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            result["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="exofop-resolve", daemon=True).start()
    while not done.wait(config.CANCEL_POLL_SECONDS):
        watch.check()
    if "error" in result:
        raise result["error"]
    infos: list[Any] = result["infos"]
    return infos


def _connect(
    host: str,
    port: int,
    timeout: float | None,
    local_address: str | None,
    socket_options: list[Any],
    watch: Watch,
) -> socket.socket:
    """``socket.create_connection``, waiting in slices; errors as httpcore's backend raises them."""
    import selectors

    try:
        infos = _resolve(host, port, watch)
    except OSError as exc:
        raise ConnectFailure(str(exc), exc) from exc
    deadline = None if timeout is None else time.monotonic() + timeout
    last: OSError | None = None
    for family, kind, proto, _name, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options:
                sock.setsockopt(*option)
            if local_address is not None:
                sock.bind((local_address, 0))
            sock.setblocking(False)
            try:
                sock.connect(address)  # through socket.connect, so that a test's network guard sees it
            except BlockingIOError as exc:
                if exc.errno not in _IN_PROGRESS:
                    raise
                with selectors.DefaultSelector() as selector:
                    selector.register(sock, selectors.EVENT_WRITE)
                    while not selector.select(
                        min(config.CANCEL_POLL_SECONDS, deadline - time.monotonic())
                        if deadline is not None
                        else config.CANCEL_POLL_SECONDS
                    ):
                        watch.check()
                        if deadline is not None and time.monotonic() >= deadline:
                            raise TimeoutError("timed out") from None
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if code:
                    raise OSError(code, os.strerror(code)) from None
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except TimeoutError as exc:
            sock.close()
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            sock.close()
            last = exc
        except BaseException:
            sock.close()
            raise
    raise ConnectFailure(str(last or "no address to connect to"), last) from last
