"""A fake ExoFOP-TESS server: real HTTP on 127.0.0.1, the documented formats, and fault switches.

Usable from any test suite::

    from exofop_cli.testing import FakeExoFop, FakeFile, FakeTarget
    with FakeExoFop([FakeTarget(tic_id=1, files=[FakeFile(10, "notes.txt", content=b"hi")])]) as server:
        client = ExoFopClient(base_url=server.base_url, cache_dir=tmp_path)
        ...
        server.faults.fail("get_file.php", 503, times=2, retry_after="1")

Every request is logged (``server.requests``), with bytes sent, so tests can assert "no network at all" or
"bytes transferred ≈ bytes of the selected files". Cookie values are never logged. Every HTML page carries a
header with a "Login" link (a "Logout" link for a logged-in session), as ExoFOP's pages do.

Fault switches (``server.faults``), each consumed ``times`` times by requests to one endpoint (and file id):

* ``fail(endpoint, status, retry_after=)``: an HTTP error status.
* ``truncate(endpoint, cut_at)``: the full ``Content-Length`` promised, the body cut, the connection dropped.
* ``stall(endpoint, seconds)``: sleep before answering normally.
* ``silent(endpoint, seconds)``: accept the request, send nothing at all for ``seconds``, then close the
  connection without an answer (ExoFOP throttling a host, reference §7).
* ``empty(endpoint)``: HTTP 200 with an empty body (ExoFOP throttling under load: 480 / 0 / 480 bytes).
* ``plain_text(endpoint, message)``: a short ``text/plain`` refusal ("Sorry, you do not have permission…").
* ``replace_body(endpoint, body, content_type=)``: any other body (an HTML page, garbage, an archive...).
* ``redirect(endpoint, location)``: a redirect, to this host or another.

Hostile servers (issue 16), each the real answer of the endpoint changed in one way, or none at all:

* ``cut_gzip(endpoint, fraction)``: the answer gzip-encoded, but only the first ``fraction`` of the gzip
  stream sent (no trailer: CRC and length missing), with a ``Content-Length`` equal to the bytes sent, so the
  HTTP framing looks complete.
* ``trickle(endpoint, every, sized=)``: the answer's body one byte every ``every`` seconds (with its
  ``Content-Length``, or chunked without it); ``trickle_headers(endpoint, every, chunk=)``: the status line,
  then ``chunk`` header bytes every ``every`` seconds, never ending.
* ``endless(endpoint)``: 200 and a chunked body that never ends (until the client hangs up).
* ``overlong(endpoint, extra)``: the answer's true ``Content-Length``, then its body and ``extra`` more bytes.
* ``bomb(endpoint, decoded)``: a gzip-encoded body that inflates to ``decoded`` bytes (1 GiB from ~1 MB).
* ``encoded(endpoint, encoding)``: the answer labelled with a ``Content-Encoding`` exofop never asks for
  (``br``, ``zstd``...).
* Escape-laden answers: ``FakeTarget.names`` (and file names, descriptions) may hold ESC sequences and bidi
  overrides; they come back in the overview JSON, the file list and the tables exactly as given. A JSON
  nested 100,000 deep is a ``replace_body``.

Global switches: ``faults.chunked`` (no ``Content-Length``), ``faults.latency`` (seconds before every answer),
``faults.chunk_delay`` and ``faults.chunk_size`` (a slow but progressing transfer), ``faults.gzip`` (every
answer gzip-encoded, ``Content-Encoding: gzip``), ``faults.clock_offset`` (seconds added to the ``Date``
header: a server clock that is off).

Behaviour switches (on the server):

* ``serialise_sessions``: requests that carry one ``PHPSESSID`` are served one at a time, each holding the
  session for its whole run, body included (PHP's session lock); ``session_waits`` counts requests that had
  to queue behind another of their session.
* ``anonymous_sessions``: every answer to a request without a session cookie sets a new anonymous
  ``PHPSESSID`` (PHP's ``session_start``); a client that replays it shows up as ``had_cookie`` in the log.
* ``invalid_toi_answer``: ``"plain"`` or ``"html"``: ``download_toi.php`` answers a TOI no star has with
  "Sorry, entered TOI is invalid" (as text, or inside an ExoFOP page) instead of the bare header.
* ``short_headers``: ``{endpoint: column}``: that table's header lacks one name while its rows keep the value
  (the real nearby-target CSV lacked "Distance Err", reference §7).
* ``real_cell_shapes``: file-list cells as the real ``target.php`` JSON writes them: ``TOI 1262.01``,
  ``TIC 365938305.01``, dates with a time. (The overview JSON always has its real shape, see ``data``.)
* ``only_under_tess``: every path outside ``/tess/`` is a 404 page, as on a real server: a base URL without
  ``/tess/`` reaches no ExoFOP script (on by default).
* ``login_set_cookie``: the ``Set-Cookie`` header a good login sends (``{sid}`` is replaced by the new
  session id): odd values, huge ``Max-Age``, a ``Domain`` of another site.
* ``login_failure``: what a wrong password gets: ``"message"`` (200, "Invalid username or password" and the
  form), ``"form"`` (200, the bare form again) or ``"redirect"`` (302 back to ``login.php``). A good login is
  answered with a new ``PHPSESSID`` and a redirect to ``index.php``, whose page then shows "Logout".
* ``list_proprietary_anonymously``: whether anonymous file lists show proprietary rows.
* ``FakeFile.disposition_name``: the name ``get_file.php`` sends in ``Content-Disposition`` (``""``: none).
"""

from __future__ import annotations

import contextlib
import io
import json
import tarfile
import threading
import time
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .data import (
    CTOI_COLUMNS,
    FILELIST_COLUMNS,
    SUMMARY_COLUMNS,
    TOI_COLUMNS,
    FakeFile,
    FakeTarget,
    ctoi_rows,
    filelist_rows,
    overview_json,
    render_table,
    toi_rows,
)

_LOGIN_LINK = b'<a href="/tess/login.php?ref=/tess/">Login</a>'
_LOGOUT_LINK = b'<a href="/tess/logout.php">Logout</a>'


def page(title: str, body: bytes, *, logged_in: bool = False) -> bytes:
    """An ExoFOP-like page: a header whose menu always has a Login (or Logout) link, then ``body``."""
    link = _LOGOUT_LINK if logged_in else _LOGIN_LINK
    return (
        b"<!DOCTYPE html>\n<html><head><title>" + title.encode() + b"</title></head><body>\n"
        b'<div class="header"><a href="/tess/">ExoFOP-TESS</a> | <a href="/tess/view_toi.php">TOIs</a> | '
        + link
        + b"</div>\n"
        + body
        + b"\n</body></html>\n"
    )


_LOGIN_FORM = b"""<form action="password_check.php" method="post">
<input type="text" name="username"><input type="password" name="password">
<input type="hidden" name="ref" value="login_user"><input type="hidden" name="ref_page" value="/tess/">
</form>"""
LOGIN_PAGE = page("ExoFOP Login", _LOGIN_FORM)
INVALID_LOGIN_PAGE = page("ExoFOP Login", b"<p>Invalid username or password.</p>\n" + _LOGIN_FORM)
INVALID_TOI_TEXT = b"Sorry, entered TOI is invalid"
SUMMARY_ENDPOINTS = {
    "download_spect.php": ("spect", "target"),
    "download_imaging.php": ("imaging", "target"),
    "download_tseries.php": ("tseries", "target"),
    "download_obsnotes.php": ("obsnotes", "tid"),
    "download_stellar.php": ("stellar", "id"),
    "download_planet.php": ("planet", "id"),
    "download_uploads.php": ("uploads", "target"),
    "download_nearbytarget.php": ("nearby", "id"),
    "download_stellarcomp.php": ("companions", "target"),
}
# Scripts whose default output is not pipe/csv (reference §1: 'text' is the default for most).
_DEFAULT_OUTPUT = {"download_filelist.php": "pipe", "download_obsnotes.php": "csv"}


@dataclass
class Fault:
    """One switch: what to do to the next ``times`` requests matching ``endpoint`` (and ``file_id``)."""

    endpoint: str
    kind: str  # status | truncate | stall | silent | body | redirect | cut_gzip | trickle | trickle_headers
    #            | endless | overlong | bomb | encoded
    times: int = 1
    status: int = 500
    retry_after: str | None = None
    body: bytes = b""
    cut_at: int = 0
    stall_seconds: float = 0.0
    file_id: int | None = None
    content_type: str = "text/html; charset=UTF-8"
    location: str = ""
    fraction: float = 0.5  # cut_gzip: the part of the gzip stream sent
    every: float = 1.0  # trickle: seconds between bytes
    sized: bool = True  # trickle: with Content-Length (else chunked)
    extra: int = 0  # overlong: bytes past Content-Length; bomb: bytes the body inflates to
    encoding: str = "br"  # encoded
    headers: dict[str, str] = field(default_factory=dict)  # body: extra response headers


class Faults:
    """Thread-safe fault switches of a running fake server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.chunked = False  # send bodies without Content-Length
        self.latency = 0.0  # seconds slept before every answer
        self.chunk_delay = 0.0  # seconds slept between body chunks (a slow transfer, to kill mid-download)
        self.chunk_size = 0  # bytes per body chunk of a file (0: 1 MiB blocks)
        self.gzip = False
        self.clock_offset = 0.0  # seconds added to the Date header

    def add(self, fault: Fault) -> Fault:
        """Arm a fault."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def fail(
        self,
        endpoint: str,
        status: int,
        *,
        times: int = 1,
        retry_after: str | None = None,
        file_id: int | None = None,
    ) -> Fault:
        """Answer ``status`` (with ``Retry-After``) to the next ``times`` matching requests."""
        return self.add(
            Fault(endpoint, "status", times=times, status=status, retry_after=retry_after, file_id=file_id)
        )

    def truncate(self, endpoint: str, cut_at: int, *, times: int = 1, file_id: int | None = None) -> Fault:
        """Promise the full Content-Length, send ``cut_at`` bytes, then drop the connection."""
        return self.add(Fault(endpoint, "truncate", times=times, cut_at=cut_at, file_id=file_id))

    def stall(self, endpoint: str, seconds: float, *, times: int = 1, file_id: int | None = None) -> Fault:
        """Sleep ``seconds`` before answering (to hit the client's timeout)."""
        return self.add(Fault(endpoint, "stall", times=times, stall_seconds=seconds, file_id=file_id))

    def silent(self, endpoint: str, seconds: float, *, times: int = 1, file_id: int | None = None) -> Fault:
        """Accept the request, send nothing for ``seconds``, then close the connection without an answer."""
        return self.add(Fault(endpoint, "silent", times=times, stall_seconds=seconds, file_id=file_id))

    def empty(self, endpoint: str, *, times: int = 1, file_id: int | None = None) -> Fault:
        """Answer HTTP 200 with an empty body (how ExoFOP throttles under load)."""
        return self.add(Fault(endpoint, "body", times=times, status=200, body=b"", file_id=file_id))

    def plain_text(
        self,
        endpoint: str,
        message: str = "Sorry, you do not have permission to access this file.",
        *,
        times: int = 1,
        file_id: int | None = None,
    ) -> Fault:
        """Answer 200 with a short ``text/plain`` message instead of the data (a refusal that is not HTML)."""
        return self.add(
            Fault(
                endpoint,
                "body",
                times=times,
                status=200,
                body=message.encode(),
                file_id=file_id,
                content_type="text/plain; charset=UTF-8",
            )
        )

    def replace_body(
        self,
        endpoint: str,
        body: bytes,
        *,
        times: int = 1,
        status: int = 200,
        content_type: str = "text/html; charset=UTF-8",
        file_id: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> Fault:
        """Answer with this body instead (an HTML page, garbage, a hostile archive...), with ``headers``."""
        return self.add(
            Fault(
                endpoint,
                "body",
                times=times,
                body=body,
                status=status,
                file_id=file_id,
                content_type=content_type,
                headers=dict(headers or {}),
            )
        )

    def cut_gzip(
        self, endpoint: str, fraction: float = 0.5, *, times: int = 1, file_id: int | None = None
    ) -> Fault:
        """Gzip the answer and send only ``fraction`` of the gzip stream, Content-Length matching what is sent."""
        return self.add(Fault(endpoint, "cut_gzip", times=times, fraction=fraction, file_id=file_id))

    def trickle(
        self,
        endpoint: str,
        every: float = 1.0,
        *,
        sized: bool = True,
        times: int = 1,
        file_id: int | None = None,
    ) -> Fault:
        """Send the answer's body one byte every ``every`` seconds (chunked without a length if not ``sized``)."""
        return self.add(Fault(endpoint, "trickle", times=times, every=every, sized=sized, file_id=file_id))

    def trickle_headers(
        self,
        endpoint: str,
        every: float = 1.0,
        *,
        chunk: int = 1,
        times: int = 1,
        file_id: int | None = None,
    ) -> Fault:
        """Send the status line, then ``chunk`` header bytes every ``every`` seconds, never ending."""
        fault = Fault(endpoint, "trickle_headers", times=times, every=every, extra=chunk, file_id=file_id)
        return self.add(fault)

    def endless(self, endpoint: str, *, times: int = 1, file_id: int | None = None) -> Fault:
        """Answer 200 with a chunked body of random bytes that never ends."""
        return self.add(Fault(endpoint, "endless", times=times, file_id=file_id))

    def overlong(self, endpoint: str, extra: int, *, times: int = 1, file_id: int | None = None) -> Fault:
        """Announce the answer's true length, then send ``extra`` bytes more."""
        return self.add(Fault(endpoint, "overlong", times=times, extra=extra, file_id=file_id))

    def bomb(self, endpoint: str, decoded: int, *, times: int = 1, file_id: int | None = None) -> Fault:
        """A gzip body (``Content-Encoding: gzip``) of repeated text that inflates to ``decoded`` bytes."""
        return self.add(Fault(endpoint, "bomb", times=times, extra=decoded, file_id=file_id))

    def encoded(
        self, endpoint: str, encoding: str = "br", *, times: int = 1, file_id: int | None = None
    ) -> Fault:
        """Send the answer labelled ``Content-Encoding: <encoding>`` (an encoding exofop never asks for)."""
        return self.add(Fault(endpoint, "encoded", times=times, encoding=encoding, file_id=file_id))

    def redirect(
        self, endpoint: str, location: str, *, times: int = 1, status: int = 302, file_id: int | None = None
    ) -> Fault:
        """Answer with a redirect to ``location`` (an absolute URL may name another host)."""
        return self.add(
            Fault(endpoint, "redirect", times=times, status=status, location=location, file_id=file_id)
        )

    def take(self, endpoint: str, file_id: int | None) -> Fault | None:
        """The armed fault for this request, consuming one use."""
        with self._lock:
            for fault in self._faults:
                if fault.endpoint != endpoint or fault.times <= 0:
                    continue
                if fault.file_id is not None and fault.file_id != file_id:
                    continue
                fault.times -= 1
                return fault
        return None

    def clear(self) -> None:
        """Disarm everything."""
        with self._lock:
            self._faults.clear()
        self.chunked = False
        self.latency = 0.0
        self.chunk_delay = 0.0
        self.chunk_size = 0
        self.clock_offset = 0.0
        self.gzip = False


class InFlight:
    """How many requests the server answers at once: the peak, and which stars' requests overlapped.

    A request names a star by its ``id``/``target``/``tid`` parameter (get_file ids are files, not stars).
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._now: list[str] = []
        self.peak = 0
        self.stars_together = 0  # the most distinct stars with requests in flight at one moment

    @contextlib.contextmanager
    def track(self, path: str) -> Iterator[None]:
        """Count one request while it is being answered."""
        params = parse_qs(urlsplit(path).query)
        star = next((params[k][0] for k in ("target", "tid", "id") if k in params), "")
        if "get_file.php" in path:
            star = ""
        with self._lock:
            self._now.append(star)
            self.peak = max(self.peak, len(self._now))
            self.stars_together = max(self.stars_together, len({s for s in self._now if s}))
        try:
            yield
        finally:
            with self._lock:
                self._now.remove(star)
                self._lock.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> None:
        """Wait (a little) until no request is being answered: a client may have its whole answer before
        the handler thread has logged it."""
        with self._lock:
            self._lock.wait_for(lambda: not self._now, timeout=timeout)

    def reset(self) -> None:
        """Forget the peaks."""
        with self._lock:
            self.peak = self.stars_together = 0


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server answered."""

    method: str
    endpoint: str
    query: str
    status: int
    bytes_sent: int
    had_cookie: bool
    host: str
    had_auth: bool = False  # an Authorization header (credentials given in the base URL)


@dataclass
class Accounts:
    """Users that can log in, and live session ids."""

    users: dict[str, str] = field(default_factory=lambda: {"observer": "correct horse"})
    sessions: set[str] = field(default_factory=set)
    counter: int = 0


class FakeExoFop:
    """A running fake ExoFOP (start/stop or use as a context manager)."""

    def __init__(
        self, targets: list[FakeTarget] | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.targets: dict[int, FakeTarget] = {t.tic_id: t for t in targets or []}
        self.faults = Faults()
        self.accounts = Accounts()
        self._requests: list[LoggedRequest] = []
        self.in_flight = InFlight()
        # Whether anonymous file lists show proprietary rows is unknown (reference §3); showing them is the
        # harder case for a client (the row exists, the download answers with the login page).
        self.list_proprietary_anonymously = True
        self.serialise_sessions = False
        self.session_waits = 0
        self.anonymous_sessions = False
        self.invalid_toi_answer: str | None = None  # None | "plain" | "html"
        self.short_headers: dict[str, str] = {}
        self.real_cell_shapes = False
        self.login_failure = "message"  # "message" | "form" | "redirect"
        self.login_set_cookie: str | None = None  # a good login's Set-Cookie ("{sid}": the session id)
        self.only_under_tess = True
        self._session_locks: dict[str, threading.Lock] = {}
        self._log_lock = threading.Lock()
        self._httpd = _Server((host, port), _Handler)
        self._httpd.fake = self
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """The bound TCP port."""
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/tess/``."""
        host = self._httpd.server_address[0]
        return f"http://{host if isinstance(host, str) else host.decode()}:{self.port}/tess/"

    def start(self) -> FakeExoFop:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-exofop", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeExoFop:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- helpers for tests ------------------------------------------------------------------------------------
    def add_target(self, target: FakeTarget) -> None:
        """Add or replace a star."""
        self.targets[target.tic_id] = target

    def new_session(self) -> str:
        """Create a logged-in session id (as if the user had logged in)."""
        self.accounts.counter += 1
        sid = f"fake-session-{self.accounts.counter:04d}"
        self.accounts.sessions.add(sid)
        return sid

    def session_lock(self, sid: str) -> threading.Lock:
        """The lock that serialises one session's requests (``serialise_sessions``)."""
        with self._log_lock:
            return self._session_locks.setdefault(sid, threading.Lock())

    def expire_sessions(self) -> None:
        """Forget every session (the next proprietary request gets the login page)."""
        self.accounts.sessions.clear()

    def log(self, request: LoggedRequest) -> None:
        """Record a request."""
        with self._log_lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[LoggedRequest]:
        """The requests answered since the last reset (waiting for those still being logged)."""
        self.in_flight.wait_idle()
        return self._requests

    def reset_log(self) -> None:
        """Forget logged requests."""
        self.in_flight.wait_idle()
        with self._log_lock:
            self._requests.clear()

    @property
    def bytes_sent(self) -> int:
        """Body bytes sent since the last reset."""
        return sum(r.bytes_sent for r in self.requests)

    def count(self, endpoint: str) -> int:
        """How many requests hit ``endpoint``."""
        return sum(1 for r in self.requests if r.endpoint == endpoint)

    def find_file(self, file_id: int) -> tuple[FakeTarget, FakeFile] | None:
        """The star and file of a file id."""
        for target in self.targets.values():
            for f in target.files:
                if f.file_id == file_id:
                    return target, f
        return None

    def lookup(self, text: str) -> list[int]:
        """TIC ids matching a ``gototicid`` target (TIC digits, TOI1262[.01], or a name)."""
        text = text.strip()
        if text.isdigit():
            return [int(text)] if int(text) in self.targets else []
        low = text.lower().replace(" ", "").replace("-", "")
        found = []
        for t in self.targets.values():
            tois = {f"toi{toi}" for toi in t.tois} | {f"toi{toi.split('.')[0]}" for toi in t.tois}
            names = {n.lower().replace(" ", "").replace("-", "") for n in t.names}
            if low in tois or low in names:
                found.append(t.tic_id)
        return found


def _disposition(filename: str) -> str:
    """``Content-Disposition`` for any name: RFC 5987 ``filename*`` when it is not plain printable ASCII."""
    if filename.isascii() and filename.isprintable() and '"' not in filename:
        return f'attachment; filename="{filename}"'
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(filename, safe='')}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeExoFop

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up (timeouts, kill -9) are part of the tests, not errors worth a traceback."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle + delayed ACK add 40 ms each.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default access log (tests read ``server.requests`` instead)."""

    # -- plumbing --------------------------------------------------------------------------------------------
    @property
    def fake(self) -> FakeExoFop:
        return self.server.fake

    def _session_id(self) -> str | None:
        cookie = self.headers.get("Cookie", "")
        for part in cookie.split(";"):
            name, _, value = part.strip().partition("=")
            if name == "PHPSESSID" and value:
                return value
        return None

    def _session_ok(self) -> bool:
        return self._session_id() in self.fake.accounts.sessions

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The ``Date`` header, shifted by ``faults.clock_offset`` (a server clock that is off)."""
        when = time.time() if timestamp is None else timestamp
        return super().date_time_string(when + self.fake.faults.clock_offset)

    def _send(
        self,
        status: int,
        body: bytes | Iterator[bytes],
        *,
        content_type: str = "text/plain; charset=UTF-8",
        headers: dict[str, str] | None = None,
        length: int | None = None,
        cut_at: int | None = None,
    ) -> int:
        shape = getattr(self, "_shape", None)
        headers = dict(headers or {})
        if shape is not None or (self.fake.faults.gzip and status == 200):
            body, length, headers = self._shaped(shape, body, headers)
        chunked = (
            self.fake.faults.chunked or (shape is not None and shape.kind == "trickle" and not shape.sized)
        ) and (cut_at is None)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        if self.fake.anonymous_sessions and self._session_id() is None and "Set-Cookie" not in headers:
            # PHP's session_start on a request without a session: a new anonymous session every time.
            self.send_header("Set-Cookie", f"PHPSESSID=anon-{time.monotonic_ns()}; path=/; HttpOnly")
        if isinstance(body, bytes):
            length = len(body)
            chunks: Iterator[bytes] = iter([body])
        else:
            chunks = body
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        if shape is not None and shape.kind == "trickle":
            chunks = (data[i : i + 1] for data in chunks for i in range(len(data)))
        sent = 0
        try:
            for chunk in chunks:
                if sent and shape is not None and shape.kind == "trickle":
                    self.wfile.flush()
                    time.sleep(shape.every)
                elif sent and self.fake.faults.chunk_delay:
                    time.sleep(self.fake.faults.chunk_delay)
                if cut_at is not None and sent + len(chunk) >= cut_at:
                    self.wfile.write(chunk[: cut_at - sent])
                    sent = cut_at
                    self.wfile.flush()
                    self.close_connection = True
                    return sent
                if chunked:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                else:
                    self.wfile.write(chunk)
                sent += len(chunk)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        return sent

    def _shaped(
        self, shape: Fault | None, body: bytes | Iterator[bytes], headers: dict[str, str]
    ) -> tuple[bytes | Iterator[bytes], int | None, dict[str, str]]:
        """The body and headers a hostile ``shape`` (or ``faults.gzip``) makes of a true answer."""
        import gzip

        data = body if isinstance(body, bytes) else b"".join(body)
        kind = shape.kind if shape is not None else "gzip"
        if kind in ("gzip", "cut_gzip"):
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
            if shape is not None:
                data = data[: int(len(data) * shape.fraction)]
        elif kind == "encoded" and shape is not None:
            headers["Content-Encoding"] = shape.encoding
        elif kind == "overlong" and shape is not None:
            # Announce the true length, then send more: the extra bytes follow in the same write (a server
            # that gets its length wrong sends one stream), the rest of a large excess after it.
            first = data + bytes(min(shape.extra, 65536))
            rest = (
                bytes(1 << 20)[: min(1 << 20, left)] for left in range(shape.extra - 65536, 0, -(1 << 20))
            )
            return iter([first, *rest]), len(data), headers
        return data, len(data), headers

    def _raw_answer(self, fault: Fault) -> int:
        """The answers that are no answer at all: trickled headers, an endless body, a gzip bomb."""
        self.close_connection = True
        try:
            if fault.kind == "trickle_headers":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Trickle: ")
                sent = 0
                while True:  # until the client hangs up
                    self.wfile.write(b"a" * max(1, fault.extra))
                    self.wfile.flush()
                    sent += 1
                    time.sleep(fault.every)
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            if fault.kind == "bomb":
                return self._send_bomb(fault.extra)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            block, sent = bytes(range(256)) * 256, 0
            while True:  # endless: until the client hangs up
                self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                sent += len(block)
        except (BrokenPipeError, ConnectionResetError, OSError):
            return 0

    def _send_bomb(self, decoded: int) -> int:
        """A gzip stream of ``decoded`` bytes of repeated text (about 1/1000 of that on the wire)."""
        import zlib

        squeeze = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
        # Text, so that it passes for a table until it has inflated (a header, then the same row).
        text = (b"File ID,File Name\n" + b"1,bomb.fits\n" * (1 << 17))[: 1 << 20]
        left, parts = decoded, []
        while left > 0:
            parts.append(squeeze.compress(text[: min(left, len(text))]))
            left -= min(left, len(text))
        parts.append(squeeze.flush())
        data = b"".join(parts)
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        return len(data)

    def _finish(self, endpoint: str, query: str, status: int, sent: int) -> None:
        self.fake.log(
            LoggedRequest(
                self.command,
                endpoint,
                query,
                status,
                sent,
                "Cookie" in self.headers,
                self.headers.get("Host", ""),
                "Authorization" in self.headers,
            )
        )

    # -- dispatch --------------------------------------------------------------------------------------------
    def do_GET(self) -> None:
        """Answer a GET."""
        self._dispatch()

    def do_POST(self) -> None:
        """Answer a POST (login)."""
        self._dispatch()

    def _dispatch(self) -> None:
        sid = self._session_id()
        if not (self.fake.serialise_sessions and sid):
            self._serve()
            return
        lock = self.fake.session_lock(sid)
        if not lock.acquire(blocking=False):
            with self.fake._log_lock:
                self.fake.session_waits += 1
            lock.acquire()
        try:
            self._serve()  # the whole request holds its session, as PHP's session lock does
        finally:
            lock.release()

    def _serve(self) -> None:
        with self.fake.in_flight.track(self.path):
            self._answer()

    def _answer(self) -> None:
        self._shape: Fault | None = None
        parts = urlsplit(self.path)
        endpoint = parts.path.rsplit("/", 1)[-1]
        query = parse_qs(parts.query, keep_blank_values=True)
        params = {k: v[0] for k, v in query.items()}
        if self.fake.faults.latency:
            time.sleep(self.fake.faults.latency)
        file_id = int(params["id"]) if endpoint == "get_file.php" and params.get("id", "").isdigit() else None
        if self.fake.only_under_tess and not parts.path.startswith("/tess/"):
            status, sent = self._not_found()  # a base URL without /tess/ reaches no ExoFOP script
            self._finish(endpoint, parts.query, status, sent)
            return
        fault = self.fake.faults.take(endpoint, file_id)
        if fault is not None and fault.kind in ("cut_gzip", "trickle", "overlong", "encoded"):
            self._shape, fault = fault, None  # the true answer, changed on its way out (see _send)
        if fault is not None and fault.kind in ("trickle_headers", "endless", "bomb"):
            self._finish(endpoint, parts.query, 200, self._raw_answer(fault))
            return
        status, sent = 200, 0
        if fault is not None and fault.kind == "stall":
            time.sleep(fault.stall_seconds)
            fault = None
        if fault is not None and fault.kind == "silent":
            # The connection stays open and silent, then closes without a single byte of answer.
            time.sleep(fault.stall_seconds)
            self.close_connection = True
            self._finish(endpoint, parts.query, 0, 0)
            return
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            status = fault.status
            sent = self._send(
                status,
                f"<html><body>Error {status}</body></html>".encode(),
                content_type="text/html",
                headers=headers,
            )
        elif fault is not None and fault.kind == "redirect":
            status = fault.status
            sent = self._send(status, b"", headers={"Location": fault.location})
        elif fault is not None and fault.kind == "body":
            status = fault.status
            sent = self._send(status, fault.body, content_type=fault.content_type, headers=fault.headers)
        else:
            cut = fault.cut_at if fault is not None and fault.kind == "truncate" else None
            status, sent = self._route(endpoint, params, cut)
        self._finish(endpoint, parts.query, status, sent)

    def _route(self, endpoint: str, params: dict[str, str], cut: int | None) -> tuple[int, int]:
        if self.command == "POST":
            return self._login() if endpoint == "password_check.php" else self._not_found()
        if endpoint == "get_file.php":
            return self._get_file(params, cut)
        if endpoint == "download_filelist.php":
            return self._filelist(params, cut)
        if endpoint in SUMMARY_ENDPOINTS:
            return self._summary(endpoint, params, cut)
        if endpoint == "gototicid.php":
            return self._gototicid(params)
        if endpoint == "target.php":
            return self._target(params)
        if endpoint == "download_toi.php":
            return self._toi(params)
        if endpoint == "download_ctoi.php":
            rows = [row for t in self.fake.targets.values() for row in ctoi_rows(t)]
            return 200, self._send(200, render_table(CTOI_COLUMNS, rows, params.get("output", "pipe")))
        if endpoint in ("download_files_zip.php", "download_files.php"):
            return self._archive(endpoint, params, cut)
        if endpoint in ("", "index.php"):
            logged_in = self._session_ok()
            body = page("ExoFOP-TESS", b"<h1>ExoFOP-TESS (fake)</h1>", logged_in=logged_in)
            return 200, self._send(200, body, content_type="text/html; charset=UTF-8")
        if endpoint == "login.php":
            sid = f"anon-{time.monotonic_ns()}"
            return 200, self._send(
                200,
                LOGIN_PAGE,
                content_type="text/html",
                headers={"Set-Cookie": f"PHPSESSID={sid}; path=/; HttpOnly"},
            )
        return self._not_found()

    def _not_found(self) -> tuple[int, int]:
        body = page("404 Not Found", b"<h1>Not Found</h1>", logged_in=self._session_ok())
        return 404, self._send(404, body, content_type="text/html")

    def _target_for(self, raw: str | None) -> FakeTarget | None:
        if raw is None or not raw.strip().isdigit():
            return None
        return self.fake.targets.get(int(raw))

    # -- endpoints ----------------------------------------------------------------------------------------------
    def _get_file(self, params: dict[str, str], cut: int | None) -> tuple[int, int]:
        found = self.fake.find_file(int(params["id"])) if params.get("id", "").isdigit() else None
        if found is None:
            # Unknown id: ExoFOP's behaviour is not documented; an HTML page with status 200 is the worst case.
            return 200, self._send(200, b"<html><body>File not found</body></html>", content_type="text/html")
        _target, f = found
        if f.proprietary and not self._session_ok():
            return 200, self._send(200, LOGIN_PAGE, content_type="text/html; charset=UTF-8")
        served = f.filename if f.disposition_name is None else f.disposition_name
        headers = {"Content-Disposition": _disposition(served)} if served else {}
        chunk_size = self.fake.faults.chunk_size
        return 200, self._send(
            200,
            f.chunks(chunk_size) if chunk_size else f.chunks(),
            content_type="application/octet-stream",
            headers=headers,
            length=f.length,
            cut_at=cut,
        )

    def _filelist(self, params: dict[str, str], cut: int | None) -> tuple[int, int]:
        target = self._target_for(params.get("id"))
        if target is not None and target.filelist_raw is not None:
            return 200, self._send(200, target.filelist_raw, cut_at=cut)
        output = params.get("output", _DEFAULT_OUTPUT["download_filelist.php"])
        show_all = self._session_ok() or self.fake.list_proprietary_anonymously
        real = self.fake.real_cell_shapes
        rows = filelist_rows(target, include_proprietary=show_all, real_shapes=real) if target else []
        omit = self.fake.short_headers.get("download_filelist.php")
        body = render_table(FILELIST_COLUMNS, rows, output, omit_header=omit)
        return 200, self._send(200, body, cut_at=cut)

    def _summary(self, endpoint: str, params: dict[str, str], cut: int | None) -> tuple[int, int]:
        kind, id_param = SUMMARY_ENDPOINTS[endpoint]
        target = self._target_for(params.get(id_param))
        if target is not None and kind in target.summary_raw:
            return 200, self._send(200, target.summary_raw[kind], cut_at=cut)
        output = params.get("output", _DEFAULT_OUTPUT.get(endpoint, "text"))
        if kind in ("stellar", "planet"):
            output = "pipe"  # documented as pipe only
        rows = target.summary_rows.get(kind, []) if target else []
        if output not in ("pipe", "csv"):
            output = "pipe"
        omit = self.fake.short_headers.get(endpoint)
        body = render_table(SUMMARY_COLUMNS[kind], rows, output, omit_header=omit)
        return 200, self._send(200, body, cut_at=cut)

    def _gototicid(self, params: dict[str, str]) -> tuple[int, int]:
        tics = self.fake.lookup(params.get("target", ""))
        if "json" not in params:
            return 302, self._send(302, b"", headers={"Location": "/tess/target.php"})
        if not tics:
            data: dict[str, Any] = {"status": "ERROR", "message": "No object found."}
        elif len(tics) == 1:
            data = {"status": "OK", "num": 1, "TIC": str(tics[0])}
        else:
            data = {"status": "OK", "num": len(tics), "TIC": [str(t) for t in tics]}
        return 200, self._send(200, json.dumps(data).encode(), content_type="application/json")

    def _target(self, params: dict[str, str]) -> tuple[int, int]:
        target = self._target_for(params.get("id"))
        if target is None:
            return 200, self._send(
                200, b"<html><body>No TIC object found</body></html>", content_type="text/html"
            )
        return 200, self._send(
            200, json.dumps(overview_json(target)).encode(), content_type="application/json"
        )

    def _toi(self, params: dict[str, str]) -> tuple[int, int]:
        system = params.get("toi", "").split(".")[0]
        rows = [
            row
            for t in self.fake.targets.values()
            for row in toi_rows(t)
            if not system or row["TOI"].split(".")[0] == system
        ]
        if not rows and system and self.fake.invalid_toi_answer == "plain":
            return 200, self._send(200, INVALID_TOI_TEXT, content_type="text/html; charset=UTF-8")
        if not rows and system and self.fake.invalid_toi_answer == "html":
            body = page(
                "ExoFOP-TESS TOIs", b"<h2>" + INVALID_TOI_TEXT + b"</h2>", logged_in=self._session_ok()
            )
            return 200, self._send(200, body, content_type="text/html; charset=UTF-8")
        return 200, self._send(200, render_table(TOI_COLUMNS, rows, params.get("output", "pipe")))

    def _archive(self, endpoint: str, params: dict[str, str], cut: int | None) -> tuple[int, int]:
        target = self._target_for(params.get("id"))
        if target is None:
            return self._not_found()
        files = [f for f in target.files if not f.proprietary or self._session_ok()]
        folder = f"TIC{target.tic_id}"
        buf = io.BytesIO()
        if endpoint == "download_files_zip.php":
            with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
                for f in files:
                    with warnings.catch_warnings():  # two notes.txt: real stars have them, on purpose
                        warnings.simplefilter("ignore", UserWarning)
                        zf.writestr(f"{folder}/{f.filename}", f.body())
            ctype = "application/zip"
        else:
            with tarfile.open(fileobj=buf, mode="w") as tf:
                for f in files:
                    data = f.body()
                    info = tarfile.TarInfo(f"{folder}/{f.filename}")
                    info.size = len(data)
                    tf.addfile(info, io.BytesIO(data))
            ctype = "application/x-tar"
        return 200, self._send(200, buf.getvalue(), content_type=ctype, cut_at=cut)

    def _login(self) -> tuple[int, int]:
        length = int(self.headers.get("Content-Length", "0") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        user, password = form.get("username", ""), form.get("password", "")
        if self.fake.accounts.users.get(user) != password or form.get("ref") != "login_user":
            if self.fake.login_failure == "redirect":
                return 302, self._send(302, b"", headers={"Location": "/tess/login.php?ref=/tess/&error=1"})
            body = LOGIN_PAGE if self.fake.login_failure == "form" else INVALID_LOGIN_PAGE
            return 200, self._send(200, body, content_type="text/html")
        sid = self.fake.new_session()
        # dgegen/exofop's authenticator notes that a good login redirects to tess/index.php.
        cookie = (self.fake.login_set_cookie or "PHPSESSID={sid}; path=/; HttpOnly").replace("{sid}", sid)
        headers = {"Location": "/tess/index.php", "Set-Cookie": cookie}
        return 302, self._send(302, b"", headers=headers)
