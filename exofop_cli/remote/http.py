"""HTTP with ExoFOP: one keep-alive pool, timeouts, bounded retries, classification, safe cookies.

The principle: a cache that stores a wrong answer replays it forever, so an answer we cannot trust is an
error, never data.

* Timeouts: a short connect timeout (``config.DEFAULT_CONNECT_TIMEOUT_SECONDS``) and a long read timeout
  (``timeout_seconds``, default ``config.DEFAULT_TIMEOUT_SECONDS``; ``--timeout``): the longest silence;
  full tables take 20-32 s on the real site (reference §7). Each attempt is also watched at the socket
  (``transfer``): a deadline (headers within connect + read timeout, the whole answer within that plus its
  size at ``config.MIN_TRANSFER_RATE``) and a minimum progress (that rate over every ``--timeout`` window
  once bytes flow), so a slow but progressing download never times out and a trickle always does.
* Stopping: ``cancel()`` (Ctrl-C, from the thread that got it) ends every wait of every thread of this
  session within ``config.CANCEL_POLL_SECONDS``: reads, connects, backoff and ``Retry-After`` sleeps, turns
  and slots; they raise ``Cancelled``. A call may pass an event of its own (``cancel=``) that does the same
  for that call only.
* Bodies (``bodies``): decoded here, complete or an error (a cut gzip stream is a short body), bounded
  (``max_bytes``, ``--max-file-size``, a decompression ratio), never longer than their ``Content-Length``;
  encodings exofop did not ask for are refused.
* Retries (exponential backoff with full jitter): connection errors, timeouts (a connection that opens
  and sends nothing is one: ExoFOP does that when it throttles a host; a name that does not resolve, a
  refused connection or no route to the host are not retried: they fail again at once, and the error names
  the host and the ways out), the transient statuses (429, 500,
  502-504, 520-524), bodies cut short of their ``Content-Length``, and **empty bodies**: ExoFOP under load
  answers 200 with nothing (seen 480 / 0 / 480 bytes on three tries, reference §7), so an empty body where
  data was expected is a server error, retried, and never data. ``Retry-After`` (seconds or HTTP date) is
  honoured, capped. Other statuses are never retried.
* Redirects are followed here, not by httpx, so the Cookie header is recomputed from the jar for every hop:
  a redirect to another host carries no ExoFOP cookie. Cookies the server sets are never kept: anonymous
  runs stay anonymous (no PHP session of our own), logged-in runs send only the user's jar.
* PHP holds a lock on a session for the whole of each request, so ExoFOP serves requests that carry one
  ``PHPSESSID`` one at a time. Requests that carry the session cookie therefore take turns here, so that the
  wait happens in this process (where no timer runs) and never turns into read timeouts.
* Every body is sniffed (``sniff``) and judged (``verdicts``, which turns statuses, pages, refusals and
  transport failures into errors): an HTML page where data was expected is ``auth_required`` (a login
  form) or ``invalid_response`` naming the page; a short refusal message is classified by its wording and
  never saved. Works without ``Content-Length`` (chunked bodies).
* Offline mode raises ``OfflineError`` before any socket is opened.
* Credentials in the base URL (``https://user:pass@host/``) are sent as HTTP basic authentication to that
  host only, and never appear in a URL this module returns, logs or puts in an error.
* ExoFOP's own scripts never answer 404: one that does means the base URL is not ExoFOP's
  (``NotExoFopError``); a 404 for a file is that file's ``not_found``.

httpx is imported lazily, when the first request is really made, so warm runs and TAB never pay for it.
"""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from .. import config
from ..errors import (
    Cancelled,
    ExoFopError,
    InvalidInputError,
    InvalidResponseError,
    NetworkError,
    OfflineError,
    ServerError,
)
from ..units import human_bytes
from .bodies import ACCEPT_ENCODING, Retryable, content_length
from .cookies import CookieJar
from .endpoints import relative_url
from .streams import FILE_SIZE_HINT, Body, Probe, Saved, Sink, body_size, iter_body, stream_into
from .verdicts import SILENT_HINT, Verdicts

if TYPE_CHECKING:
    import httpx

    from .transfer import Watch

log = logging.getLogger("exofop")
# A library never prints: without this, logging's last-resort handler would write warnings to stderr for
# any program that did not configure logging (the CLI attaches its own handler).
if not any(isinstance(h, logging.NullHandler) for h in log.handlers):
    log.addHandler(logging.NullHandler())
NOTICE_WAIT_SECONDS = 5.0  # retry waits at least this long are logged as warnings (shown without -v)

# Creating a session (ExoFopRemote.http) is done under this lock: several threads may ask at once.
SESSION_LOCK = threading.Lock()
MAX_REDIRECTS = 5
# base * 2**60 is past the cap for any sane base; bounding the exponent keeps 2.0**n from overflowing.
_MAX_BACKOFF_EXPONENT = 60


_Retryable = Retryable


def backoff_delay(attempt: int, base: float, *, rng: Callable[[], float] = random.random) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return rng() * min(config.MAX_BACKOFF_SECONDS, base * (2.0 ** min(attempt, _MAX_BACKOFF_EXPONENT)))


class HttpSession:
    """A thread-safe, lazily started HTTP session bound to one ExoFOP base URL."""

    def __init__(
        self,
        *,
        base_url: str,
        user_agent: str,
        timeout_seconds: float = config.DEFAULT_TIMEOUT_SECONDS,
        retries: int = config.DEFAULT_RETRIES,
        backoff_seconds: float = config.DEFAULT_BACKOFF_SECONDS,
        max_connections: int = config.DEFAULT_JOBS,
        cookie_jar: CookieJar | None = None,
        transport: httpx.BaseTransport | None = None,
        offline: bool = False,
        sleep: Callable[[float], None] | None = None,
        auth: tuple[str, str] | None = None,
        max_file_size: int = config.DEFAULT_MAX_FILE_SIZE,
    ) -> None:
        self.base_url = base_url
        self.user_agent = user_agent
        self.timeout_seconds = timeout_seconds
        self.retries = max(0, retries)
        self.backoff_seconds = backoff_seconds
        self.max_connections = max(1, max_connections)
        self.cookie_jar = cookie_jar
        self.transport = transport
        self.offline = offline
        # Waits between attempts; the default ends early when the session is cancelled (tests record them).
        self.sleep: Callable[[float], None] = sleep or self._pause
        self.auth = auth
        self.max_file_size = max_file_size
        self.requests_made = 0
        self._cancel = threading.Event()
        self._client: httpx.Client | None = None
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()  # worker threads count requests concurrently
        # One exchange at a time for requests that carry the session cookie (PHP's session lock).
        self._session_turn = threading.Lock()
        # At most max_connections requests at once, whatever asks: the fetch of many stars runs many threads,
        # and `--jobs` is the limit across all of them. Held for one attempt, not across a backoff sleep.
        self._slots = threading.BoundedSemaphore(self.max_connections)
        self.verdicts = Verdicts(self)  # what each answer means, judged with this session's settings

    # -- stopping -------------------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop every request of this session, in every thread, within about ``CANCEL_POLL_SECONDS`` (Ctrl-C)."""
        self._cancel.set()

    def resume(self) -> None:
        """Accept requests again after ``cancel`` (once the threads it stopped are gone)."""
        self._cancel.clear()

    @property
    def cancelled(self) -> bool:
        """True between ``cancel`` and ``resume``."""
        return self._cancel.is_set()

    def _events(self, cancel: threading.Event | None) -> tuple[threading.Event, ...]:
        return (self._cancel,) if cancel is None else (self._cancel, cancel)

    def _pause(self, seconds: float) -> None:
        """The default wait between attempts: ends early (``Cancelled``) when the session is cancelled."""
        if self._cancel.wait(seconds):
            raise Cancelled()

    def _watch(self, cancel: threading.Event | None) -> Watch:
        from .transfer import Watch

        return Watch(
            connect_timeout=self.connect_timeout, read_timeout=self.read_timeout, cancel=self._events(cancel)
        )

    @contextlib.contextmanager
    def _hold(self, lock: Any, events: tuple[threading.Event, ...]) -> Iterator[None]:
        """Hold ``lock`` (a slot, the session's turn), waiting for it in slices that notice a cancel."""
        while not lock.acquire(timeout=config.CANCEL_POLL_SECONDS):
            if any(e.is_set() for e in events):
                raise Cancelled()
        try:
            yield
        finally:
            lock.release()

    # -- plumbing -------------------------------------------------------------------------------------------
    @property
    def read_timeout(self) -> float:
        """Seconds of silence before a request times out (``--timeout``)."""
        return self.timeout_seconds

    @property
    def connect_timeout(self) -> float:
        """Seconds allowed to open a connection: short, and never longer than the read timeout."""
        return min(config.DEFAULT_CONNECT_TIMEOUT_SECONDS, self.timeout_seconds)

    def url(self, endpoint: str, params: Mapping[str, str | int | None] | None = None) -> str:
        """Absolute URL of an endpoint (see ``endpoints.relative_url``)."""
        return urljoin(self.base_url, relative_url(endpoint, dict(params) if params else None))

    def _get_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                import http.cookiejar

                import httpx

                # httpx would otherwise keep Set-Cookie values and replay them; exofop sends only the
                # user's read-only jar, recomputed per URL in _headers_for. The jar itself is passed: wrapped
                # in httpx.Cookies it would be copied into a fresh jar and the blocking policy lost.
                no_cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
                read = self.read_timeout
                self._client = httpx.Client(
                    # read: the longest silence; a trickle that keeps sending never times out.
                    timeout=httpx.Timeout(read, connect=self.connect_timeout, write=read, pool=read),
                    limits=httpx.Limits(
                        max_connections=self.max_connections,
                        max_keepalive_connections=self.max_connections,
                    ),
                    # Only what bodies.BodyReader decodes and checks; httpx would add br/zstd if installed.
                    headers={"User-Agent": self.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
                    follow_redirects=False,
                    transport=self.transport,
                    cookies=no_cookies,
                    trust_env=True,
                )
                from .transfer import install

                install(self._client)  # deadlines, minimum progress and Ctrl-C at the socket
            return self._client

    def close(self) -> None:
        """Close the connection pool (idempotent)."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _headers_for(self, url: str) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self.cookie_jar is not None:
            cookie = self.cookie_jar.header_for(url)
            if cookie:
                headers["Cookie"] = cookie
        if self.auth is not None and _same_origin(url, self.base_url):
            # Credentials from the base URL go to its own host only, never after a redirect elsewhere.
            import base64

            token = base64.b64encode(f"{self.auth[0]}:{self.auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        return headers

    @contextlib.contextmanager
    def _turn(self, url: str, events: tuple[threading.Event, ...] = ()) -> Iterator[None]:
        """Hold the session's turn for one whole exchange when the request carries the session cookie.

        ExoFOP is PHP: a request holds its session's lock until the script ends, so parallel requests with
        one PHPSESSID are served one after the other anyway (reference §7, standard PHP behaviour). Waiting
        for our turn here rather than in ExoFOP's queue means no read timeout runs while we wait: a long
        download never makes the requests behind it time out. Anonymous requests are never held.
        """
        if self.cookie_jar is None or self.cookie_jar.header_for(url) is None:
            yield
            return
        with self._hold(self._session_turn, events or (self._cancel,)):
            yield

    def _open(
        self,
        method: str,
        url: str,
        *,
        what: str,
        endpoint: str,
        data: Mapping[str, str] | None = None,
        raw: bool = False,
        watch: Watch | None = None,
    ) -> httpx.Response:
        """Send one request, following redirects by hand; the caller must close the returned response.

        ``raw`` (``probe``) reports a redirect to the login page as the page it leads to, not as an error.
        ``watch``: the attempt's rules, started again for each hop and told the answer's size.
        """
        import httpx

        from .transfer import Stopped

        if self.offline:
            # Either the cache lacks it or --refresh/--force asked for a fresh copy: both need the network.
            raise OfflineError(
                f"offline mode: {what} would have to be fetched ({url})",
                hint="run without --offline (or unset EXOFOP_OFFLINE); --refresh and --force always go online",
            )
        client = self._get_client()
        current_url, current_method, body = url, method, data
        for hop in range(MAX_REDIRECTS + 1):
            if watch is not None:
                watch.new_exchange()
            try:
                request = client.build_request(
                    current_method, current_url, headers=self._headers_for(current_url), data=body
                )
                response = client.send(request, stream=True)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                # Not worth a retry: the base URL is wrong, or a redirect points somewhere unusable.
                if hop == 0:
                    raise InvalidInputError(
                        f"cannot fetch {what}: unusable URL {current_url!r} ({exc})",
                        hint=f"check --base-url / {config.ENV_BASE_URL}",
                    ) from exc
                raise InvalidResponseError(
                    f"ExoFOP redirected {what} to an unusable URL {current_url!r}", endpoint=endpoint
                ) from exc
            except httpx.ConnectTimeout as exc:
                raise self.verdicts.timeout_error(exc, what=what, url=current_url, endpoint=endpoint) from exc
            except httpx.TimeoutException as exc:
                raise self.verdicts.timeout_error(exc, what=what, url=current_url, endpoint=endpoint) from exc
            except Stopped as exc:
                raise self.verdicts.stopped(exc, what=what, endpoint=endpoint) from exc
            except httpx.RemoteProtocolError as exc:
                # httpx parses Location itself (even with redirects off) and reports a malformed one as a
                # protocol error; that is a bad answer to report, not a transfer to retry.
                if "location header" in str(exc).lower():
                    raise InvalidResponseError(
                        f"ExoFOP redirected {what} to an unusable URL", endpoint=endpoint
                    ) from exc
                # "Server disconnected without sending a response": a connection that opened and then
                # closed silently is throttling too (reference §7).
                raise _Retryable(
                    NetworkError(f"network error fetching {what}: {exc}", endpoint=endpoint, hint=SILENT_HINT)
                ) from exc
            except (httpx.TransportError, OSError) as exc:
                error, retry = self.verdicts.unreachable(exc, what=what, url=current_url, endpoint=endpoint)
                if not retry:
                    raise error from exc
                raise _Retryable(error) from exc
            with self._count_lock:
                self.requests_made += 1
            if watch is not None and "chunked" not in response.headers.get("transfer-encoding", "").lower():
                watch.sized(content_length(response))  # bytes on the wire, as the watch counts them
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                response.close()
                current_url = self._redirect_target(
                    response, current_url, url, raw=raw, what=what, endpoint=endpoint
                )
                if response.status_code in (301, 302, 303) and current_method == "POST":
                    current_method, body = "GET", None
                continue
            return response
        raise InvalidResponseError(f"too many redirects fetching {what}", endpoint=endpoint)

    def _redirect_target(
        self, response: httpx.Response, current_url: str, url: str, *, raw: bool, what: str, endpoint: str
    ) -> str:
        """Where a redirect leads; a redirect to the login page is ``auth_required`` (unless ``raw``)."""
        try:
            location = urljoin(current_url, response.headers["location"])
        except ValueError as exc:  # e.g. "http://[::1" is not a URL
            raise InvalidResponseError(
                f"ExoFOP redirected {what} to an unusable URL", endpoint=endpoint
            ) from exc
        to_login = "login" in urlsplit(location).path.lower()
        if not raw and to_login and "login" not in urlsplit(url).path.lower():
            raise self.verdicts.auth_error(what, endpoint)
        return location

    def _with_retries(
        self, attempt_fn: Callable[[], Any], *, what: str, cancel: threading.Event | None = None
    ) -> Any:
        events = self._events(cancel)
        last: _Retryable | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                assert last is not None
                delay = last.retry_after
                if delay is None:
                    delay = backoff_delay(attempt - 1, self.backoff_seconds)
                # A long wait (Retry-After: ExoFOP rate limiting, up to the cap) is shown without -v too:
                # a fetch that sits silent for minutes looks hung.
                level = logging.WARNING if delay >= NOTICE_WAIT_SECONDS else logging.INFO
                log.log(
                    level,
                    "waiting %.0f s before asking again for %s (attempt %d of %d): %s",
                    delay,
                    what,
                    attempt + 1,
                    self.retries + 1,
                    last.error,
                )
                self._wait(delay, cancel)
            if any(e.is_set() for e in events):
                raise Cancelled()
            try:
                with self._hold(self._slots, events):
                    return attempt_fn()
            except _Retryable as exc:
                last = exc
        assert last is not None
        error = last.error
        error.message += f" (after {self.retries + 1} attempts)"
        raise error

    def _wait(self, seconds: float, cancel: threading.Event | None) -> None:
        """Wait between attempts; a cancel (the session's, or the call's own) ends the wait at once."""
        if cancel is None:
            self.sleep(seconds)
            return
        from .transfer import Watch

        # The call's own event is watched too; a sleep a test recorded instead is taken as it is.
        if self.sleep == self._pause:
            Watch(connect_timeout=0, read_timeout=0, cancel=self._events(cancel)).wait(seconds)
        else:
            self.sleep(seconds)
            if cancel.is_set():
                raise Cancelled()

    @contextlib.contextmanager
    def _exchange(self, url: str, cancel: threading.Event | None) -> Iterator[Watch]:
        """One attempt's exchange: the session's turn (logged in), then a watch this thread's reads obey."""
        from .transfer import watching

        events = self._events(cancel)
        with self._turn(url, events), watching(self._watch(cancel)) as watch:
            yield watch

    # -- public API -----------------------------------------------------------------------------------------
    def get(
        self,
        endpoint: str,
        params: Mapping[str, str | int | None] | None = None,
        *,
        what: str,
        allow_html: bool = False,
        max_bytes: int = config.MAX_TABLE_BYTES,
        on_start: Callable[[int | None], None] | None = None,
        on_bytes: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> Body:
        """GET a body into memory (tables, JSON), with retries and sniffing; ``on_*`` see its progress.

        An empty body is retried and, if it stays empty, a ``ServerError``: it is never data. Unless
        ``allow_html`` (the caller checks the body itself, see ``check_data``), an HTML page or a refusal
        message raises the error it stands for. ``max_bytes`` bounds the decoded body.
        """
        url = self.url(endpoint, params)

        def attempt() -> Body:
            with self._exchange(url, cancel) as watch:
                response = self._open("GET", url, what=what, endpoint=endpoint, watch=watch)
                chunks: list[bytes] = []
                total = 0
                try:
                    self.verdicts.check_status(response, what=what, endpoint=endpoint)
                    if on_start is not None:
                        on_start(body_size(response))
                    for chunk in iter_body(
                        self.verdicts,
                        response,
                        what=what,
                        endpoint=endpoint,
                        max_bytes=max_bytes,
                        watch=watch,
                    ):
                        total += len(chunk)
                        chunks.append(chunk)
                        if on_bytes is not None:
                            on_bytes(len(chunk))
                    content = b"".join(chunks)
                    del chunks[:]  # the pieces go before the caller parses the whole
                except BaseException:
                    if on_bytes is not None and total:
                        on_bytes(-total)  # a progress bar must not count the bytes of a failed attempt
                    raise
                finally:
                    response.close()
            if not content.strip():
                raise self.verdicts.empty(what, endpoint)
            if not allow_html:
                self.verdicts.check_data(content, what=what, endpoint=endpoint)
            return Body(
                url=str(response.url),
                status_code=response.status_code,
                headers=dict(response.headers),
                content=content,
            )

        result: Body = self._with_retries(attempt, what=what, cancel=cancel)
        return result

    def probe(
        self,
        endpoint: str,
        params: Mapping[str, str | int | None] | None = None,
        *,
        what: str,
        max_bytes: int = 1024 * 1024,
    ) -> Probe:
        """One GET, no retry and no classification: what the server sent, read up to ``max_bytes``.

        For ``exofop doctor``, which compares the real answers with what exofop assumes. Timeouts and
        connection failures raise ``NetworkError``.
        """
        url = self.url(endpoint, params)
        started = time.perf_counter()
        try:
            with self._exchange(url, None) as watch:
                response = self._open("GET", url, what=what, endpoint=endpoint, raw=True, watch=watch)
                try:
                    chunks: list[bytes] = []
                    total, complete = 0, True
                    body = iter_body(
                        self.verdicts,
                        response,
                        what=what,
                        endpoint=endpoint,
                        max_bytes=self.max_file_size,
                        watch=watch,
                    )
                    for chunk in body:
                        chunks.append(chunk)
                        total += len(chunk)
                        if total >= max_bytes:
                            complete = False
                            break
                finally:
                    response.close()
        except _Retryable as exc:
            raise exc.error from exc
        return Probe(
            url=str(response.url),
            status_code=response.status_code,
            header_items=tuple(response.headers.multi_items()),
            content=b"".join(chunks)[:max_bytes],
            complete=complete,
            seconds=time.perf_counter() - started,
        )

    def post_form(self, endpoint: str, data: Mapping[str, str], *, what: str) -> tuple[Body, list[str]]:
        """POST a form once (never retried: logins are not idempotent); return body and Set-Cookie headers."""
        url = self.url(endpoint)
        import httpx

        if self.offline:
            raise OfflineError(f"offline mode: cannot {what}")
        client = self._get_client()
        try:
            response = client.post(url, data=dict(data))
        except httpx.TimeoutException as exc:
            raise NetworkError(f"timed out trying to {what}", endpoint=endpoint) from exc
        except (httpx.TransportError, OSError) as exc:
            raise NetworkError(f"network error trying to {what}: {exc}", endpoint=endpoint) from exc
        with self._count_lock:
            self.requests_made += 1
        set_cookies = response.headers.get_list("set-cookie")
        if response.status_code >= 500:
            raise ServerError(
                f"ExoFOP server error (HTTP {response.status_code}) trying to {what}",
                endpoint=endpoint,
                status_code=response.status_code,
            )
        return (
            Body(
                url=str(response.url),
                status_code=response.status_code,
                headers=dict(response.headers),
                content=response.content,
            ),
            set_cookies,
        )

    def download(
        self,
        endpoint: str,
        params: Mapping[str, str | int | None] | None,
        open_sink: Callable[[], Sink],
        *,
        what: str,
        expected_filename: str = "",
        on_start: Callable[[int | None], None] | None = None,
        on_bytes: Callable[[int], None] | None = None,
        cancel: threading.Event | None = None,
        max_bytes: int | None = None,
        table: bool = False,
    ) -> Saved:
        """Stream a body into a fresh sink per attempt (sniffed first, committed only when complete).

        ``on_start`` hears the size (Content-Length, None when unknown) when each attempt's answer begins,
        ``on_bytes`` every chunk (a negative count takes back a failed attempt's bytes). ``cancel`` stops
        this download (within ``config.CANCEL_POLL_SECONDS``) with ``Cancelled``; ``max_bytes`` (default
        ``max_file_size``) bounds the decoded body. ``table``: the body is a table (sniffed as ``get`` does;
        the sink's commit checks the rest), streamed rather than held in memory.
        """
        url = self.url(endpoint, params)
        limit = self.max_file_size if max_bytes is None else max_bytes

        def attempt() -> Saved:
            self._get_client()  # set-up (certificates, pool) is not part of the transfer time logged below
            with self._exchange(url, cancel) as watch:
                started = time.perf_counter()
                response = self._open("GET", url, what=what, endpoint=endpoint, watch=watch)
                try:
                    self.verdicts.check_status(response, what=what, endpoint=endpoint)
                    if on_start is not None:
                        on_start(body_size(response))
                    body = iter_body(
                        self.verdicts,
                        response,
                        what=what,
                        endpoint=endpoint,
                        max_bytes=limit,
                        watch=watch,
                        limit_hint=FILE_SIZE_HINT,
                        limit_name="--max-file-size" if max_bytes is None else "",
                    )
                    saved = stream_into(
                        self.verdicts,
                        url,
                        response,
                        body,
                        open_sink,
                        what=what,
                        endpoint=endpoint,
                        filename=expected_filename,
                        on_bytes=on_bytes,
                        table=table,
                    )
                finally:
                    response.close()
            elapsed = time.perf_counter() - started
            # `exofop -v` shows each transfer (request to rename); the benchmark reads it too.
            log.info(
                "saved %s: %d bytes in %.3f s (%s/s)",
                what,
                saved.size,
                elapsed,
                human_bytes(saved.size / max(elapsed, 1e-9)),  # binary units, as every size exofop shows
            )
            return saved

        result: Saved = self._with_retries(attempt, what=what, cancel=cancel)
        return result


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.hostname, a.port) == (b.scheme, b.hostname, b.port)


def describe_error(exc: BaseException) -> str:
    """One-line description of any error (for logs), never including cookie values."""
    if isinstance(exc, ExoFopError):
        return exc.message
    return f"{type(exc).__name__}: {exc}"
