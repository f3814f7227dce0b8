"""What an answer, or the lack of one, means: HTTP statuses, pages, refusal messages and transport failures
turned into the errors of ``errors.py``.

``HttpSession`` moves the bytes; ``Verdicts`` judges them. It decides, never acts: each method returns or
raises an error (``Retryable`` wraps the ones worth another attempt) and never touches the network. The
rules and the evidence behind them are in ``http``'s docstring and in reference §7.
"""

from __future__ import annotations

import datetime
import email.utils
import errno
import time
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlsplit

from .. import config
from ..errors import (
    AuthRequiredError,
    InvalidResponseError,
    NetworkError,
    NotExoFopError,
    NotFoundError,
    RateLimitedError,
    RequestError,
    ServerError,
    SessionExpiredError,
)
from . import endpoints as _endpoints
from .bodies import Retryable
from .sniff import (
    REFUSAL_MAX_BYTES,
    SNIFF_BYTES,
    Refusal,
    describe_page,
    is_markup_filename,
    looks_like_html,
    looks_like_login_page,
    looks_like_not_found,
    looks_like_page,
    refusal_message,
    refused_file,
    same_file_name,
)

if TYPE_CHECKING:
    import httpx

    from .cookies import CookieJar

_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
EMPTY_ANSWER_HINT = (
    "ExoFOP answers with empty pages when it is busy or throttling this host; nothing was cached. "
    "Try again later (minutes to hours), with fewer --jobs"
)
# Scripts whose 404 is about the item asked for (a file, a star's archive); any other script of ExoFOP
# answering 404 means the server is not ExoFOP (a wrong base URL).
_ITEM_ENDPOINTS = frozenset({_endpoints.GET_FILE, _endpoints.FILES_ZIP, _endpoints.FILES_TAR})
SILENT_HINT = (
    "ExoFOP accepted the connection and sent nothing: it does this when it throttles a host that asked "
    "too much. It clears on its own; try again later. --timeout SECONDS sets how long a silence may last"
)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), capped; None if bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            # HTTP dates are always GMT; a date without a zone must not be read as local time.
            when = when.replace(tzinfo=datetime.UTC)
        seconds = when.timestamp() - (time.time() if now is None else now)
    return float(max(0.0, min(seconds, config.MAX_RETRY_AFTER_SECONDS)))


class Context(Protocol):
    """What a verdict needs to know of the session that got the answer (``HttpSession`` is one)."""

    @property
    def base_url(self) -> str:
        """The ExoFOP base URL (without credentials)."""

    @property
    def cookie_jar(self) -> CookieJar | None:
        """The user's jar, if any."""

    @property
    def connect_timeout(self) -> float:
        """Seconds allowed to open a connection."""

    @property
    def read_timeout(self) -> float:
        """Seconds of silence allowed."""


class Verdicts:
    """The errors answers stand for, judged in the light of one session's settings (read when judging)."""

    def __init__(self, context: Context) -> None:
        self.context = context

    @property
    def base_url(self) -> str:
        """The session's base URL."""
        return self.context.base_url

    @property
    def cookie_jar(self) -> CookieJar | None:
        """The session's cookie jar."""
        return self.context.cookie_jar

    @property
    def connect_timeout(self) -> float:
        """The session's connect timeout."""
        return self.context.connect_timeout

    @property
    def read_timeout(self) -> float:
        """The session's read timeout (``--timeout``)."""
        return self.context.read_timeout

    def auth_error(self, what: str, endpoint: str) -> AuthRequiredError:
        """The login error for ``what``: an expired or refused session when a jar was sent, else a login."""
        jar = self.cookie_jar
        if jar is not None and jar.header_for(self.base_url) is not None:
            return SessionExpiredError(
                f"ExoFOP answered with its login page for {what} although a cookie jar was sent",
                endpoint=endpoint,
            )
        expires = jar.session_expires() if jar is not None else None
        if jar is not None and expires is not None and not jar.has_session():
            # The jar's session cookie is past its expiry, so nothing was sent: say why, not "anonymous".
            return SessionExpiredError(
                f"{what} requires an ExoFOP login; the session in the cookie jar expired on "
                + date_text(expires),
                endpoint=endpoint,
            )
        return AuthRequiredError(f"{what} requires an ExoFOP login", endpoint=endpoint)

    def check_status(self, response: httpx.Response, *, what: str, endpoint: str) -> None:
        """Raise what a non-2xx status stands for (``Retryable`` for the transient ones)."""
        status = response.status_code
        if 200 <= status < 300:
            return
        if status in _RETRY_STATUSES:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            if status == 429:
                raise Retryable(
                    RateLimitedError(
                        f"ExoFOP is rate limiting (HTTP 429) for {what}",
                        endpoint=endpoint,
                        status_code=status,
                    ),
                    retry_after,
                )
            raise Retryable(
                ServerError(
                    f"ExoFOP server error (HTTP {status}) for {what}", endpoint=endpoint, status_code=status
                ),
                retry_after,
            )
        if status in (404, 410):
            if endpoint not in _ITEM_ENDPOINTS:
                raise self.not_exofop(f"HTTP {status}", endpoint=endpoint, status_code=status)
            raise NotFoundError(
                f"{what} not found on ExoFOP (HTTP {status})", endpoint=endpoint, status_code=status
            )
        if status in (401, 403):
            raise self.auth_error(what, endpoint)
        if status >= 500:
            raise ServerError(
                f"ExoFOP server error (HTTP {status}) for {what}", endpoint=endpoint, status_code=status
            )
        raise InvalidResponseError(
            f"ExoFOP refused the request for {what} (HTTP {status})", endpoint=endpoint, status_code=status
        )

    def not_exofop(self, answer: str, *, endpoint: str, status_code: int | None = None) -> NotExoFopError:
        """A known ExoFOP script answered "not found": the server is not ExoFOP (or not at this path)."""
        return NotExoFopError(
            f"the server at {self.base_url} does not look like ExoFOP: it answered {answer} for {endpoint}, "
            "a script ExoFOP always has",
            endpoint=endpoint,
            status_code=status_code,
        )

    def unreachable(
        self, exc: BaseException, *, what: str, url: str, endpoint: str
    ) -> tuple[NetworkError, bool]:
        """The error for a request that never got an answer, naming the host and the ways out, and whether
        to retry it: a name that does not resolve, a refused connection and no route to the host fail again
        at once (not retried); other transport errors are retried.
        """
        parts = urlsplit(url)
        host = parts.hostname or url
        where = f"{host}:{parts.port}" if parts.port else host
        root = root_os_error(exc)
        proxy = proxy_for(url)
        via = f" (through the proxy {proxy})" if proxy else ""
        hint = network_hint(self.base_url, proxy)
        import socket

        if isinstance(root, socket.gaierror):
            named = f"the proxy host {urlsplit(proxy).hostname}" if proxy else f"the host {host}"
            message = f"cannot find {named} ({root.strerror or root}) fetching {what}"
            return NetworkError(message + "; not retried", endpoint=endpoint, hint=hint), False
        if isinstance(root, ConnectionRefusedError) or getattr(root, "errno", None) in _NO_ROUTE:
            reason = (
                "refused the connection" if isinstance(root, ConnectionRefusedError) else "cannot be reached"
            )
            detail = getattr(root, "strerror", None) or root
            message = f"{where}{via} {reason} ({detail}) fetching {what}; not retried"
            return NetworkError(message, endpoint=endpoint, hint=hint), False
        message = f"network error fetching {what} from {where}{via}: {exc or type(exc).__name__}"
        return NetworkError(message, endpoint=endpoint, hint=hint), True

    def stopped(self, exc: Exception, *, what: str, endpoint: str) -> Retryable:
        """The retryable error of an exchange its watch stopped: past its deadline, or trickling."""
        from .transfer import Stopped

        assert isinstance(exc, Stopped)
        if exc.reason == "deadline":
            message = (
                f"ExoFOP took too long over {what}: {exc.seconds:.0f} s, {exc.received} bytes (the deadline is "
                f"connect + read timeout, plus the size at {config.MIN_TRANSFER_RATE} bytes/s when known)"
            )
        else:
            message = (
                f"ExoFOP sent {what} too slowly: {exc.received} bytes in {exc.seconds:.0f} s, less than "
                f"{config.MIN_TRANSFER_RATE} bytes/s over {self.read_timeout:g} s (--timeout)"
            )
        return Retryable(NetworkError(message, endpoint=endpoint, hint=SILENT_HINT))

    def timeout_error(self, exc: Exception, *, what: str, url: str, endpoint: str) -> Retryable:
        """A retryable error that says which timeout fired (connecting, or the server's silence)."""
        import httpx

        if isinstance(exc, httpx.ConnectTimeout):
            message = f"timed out connecting to ExoFOP ({self.connect_timeout:g} s) for {what} ({url})"
            return Retryable(NetworkError(message, endpoint=endpoint))
        if isinstance(exc, httpx.PoolTimeout):
            return Retryable(
                NetworkError(f"timed out waiting for a connection for {what}", endpoint=endpoint)
            )
        message = f"timed out: ExoFOP sent nothing for {self.read_timeout:g} s when asked for {what} ({url})"
        return Retryable(NetworkError(message, endpoint=endpoint, hint=SILENT_HINT))

    def empty(self, what: str, endpoint: str) -> Retryable:
        """An empty answer where data was expected: ExoFOP's way of throttling (reference §7)."""
        return Retryable(
            ServerError(f"ExoFOP sent an empty answer for {what}", endpoint=endpoint, hint=EMPTY_ANSWER_HINT)
        )

    def check_data(self, content: bytes, *, what: str, endpoint: str) -> None:
        """Raise what a body stands for when it is a page or a refusal message, not a table or JSON."""
        if looks_like_html(content[:SNIFF_BYTES]):
            self.html_error(content, what=what, endpoint=endpoint)
        if len(content) <= REFUSAL_MAX_BYTES or len(content.strip()) <= REFUSAL_MAX_BYTES:
            refusal = refusal_message(content)
            if refusal is not None:
                raise self.refusal_error(refusal, what=what, endpoint=endpoint)

    @staticmethod
    def name_warnings(served: str | None, listed: str, *, what: str) -> tuple[str, ...]:
        """A warning when ``Content-Disposition`` names another file than the file list did."""
        if not served or not listed or same_file_name(served, listed):
            return ()
        return (
            f"{what}: ExoFOP sent it as {served!r} (Content-Disposition), not under the listed name; "
            "saved under the listed name. If this repeats, run `exofop doctor --save report/` and report it",
        )

    def html_error(self, head: bytes, *, what: str, endpoint: str) -> None:
        """Raise the error an HTML page stands for where data was expected (login, not found, other)."""
        if looks_like_login_page(head):
            raise self.auth_error(what, endpoint)
        page = describe_page(head)
        if looks_like_not_found(head):
            if endpoint not in _ITEM_ENDPOINTS:
                raise self.not_exofop(f"a page {page}", endpoint=endpoint)
            raise NotFoundError(f"{what} not found on ExoFOP (it sent a page {page})", endpoint=endpoint)
        raise InvalidResponseError(f"ExoFOP sent an HTML page {page} instead of {what}", endpoint=endpoint)

    def refusal_error(self, refusal: Refusal, *, what: str, endpoint: str) -> RequestError:
        """The error a short refusal message stands for (``sniff.refused_file``/``refusal_message``)."""
        quoted = refusal.text if len(refusal.text) <= 120 else refusal.text[:119] + "…"
        if refusal.kind == "auth_required":
            error = self.auth_error(what, endpoint)
            error.message += f" (ExoFOP said: {quoted!r})"
            return error
        if refusal.kind == "not_found":
            return NotFoundError(f"{what} not found on ExoFOP (it said: {quoted!r})", endpoint=endpoint)
        return InvalidResponseError(f"ExoFOP sent a message instead of {what}: {quoted!r}", endpoint=endpoint)

    def sniff_file(
        self, head: bytes, *, what: str, endpoint: str, filename: str, content_type: str, complete: bool
    ) -> None:
        """Raise when the body starting with ``head`` is not the file: empty, a page, or a refusal message.

        ``complete``: ``head`` is the whole body (short bodies are judged whole: a refusal is a sentence).
        """
        if complete and not head:
            raise self.empty(what, endpoint)
        if looks_like_page(head, content_type):
            if looks_like_login_page(head):
                raise self.auth_error(what, endpoint)
            if not is_markup_filename(filename):
                self.html_error(head, what=what, endpoint=endpoint)
            return
        if complete:
            refusal = refused_file(head, filename)
            if refusal is not None:
                raise self.refusal_error(refusal, what=what, endpoint=endpoint)

    def sniff_table(self, head: bytes, *, what: str, endpoint: str, complete: bool) -> None:
        """Raise when a table's body is empty (throttling: retried), a page, a refusal, markup or binary."""
        from .tables import check_not_html

        if complete and not head.strip():
            raise self.empty(what, endpoint)
        self.check_data(head if complete else head[:SNIFF_BYTES], what=what, endpoint=endpoint)
        check_not_html(head[:SNIFF_BYTES], what=what, endpoint=endpoint)


_NO_ROUTE = frozenset({errno.ENETUNREACH, errno.EHOSTUNREACH})


def network_hint(base_url: str, proxy: str | None) -> str:
    """What to try when ExoFOP cannot be reached: the address, offline mode, the proxy variables."""
    hint = (
        f"check the address ({config.ENV_BASE_URL} or --base-url; now {base_url}); without a network, "
        "--offline serves what is cached"
    )
    if proxy:
        return (
            hint
            + "; the proxy comes from HTTPS_PROXY/HTTP_PROXY/ALL_PROXY (NO_PROXY lists hosts reached directly)"
        )
    return hint + "; behind a proxy, set HTTPS_PROXY (and NO_PROXY for hosts reached directly)"


def proxy_for(url: str) -> str | None:
    """The proxy httpx uses for ``url`` from the environment (credentials removed), or None."""
    import urllib.request

    parts = urlsplit(url)
    proxies = urllib.request.getproxies_environment()
    bypass = getattr(urllib.request, "proxy_bypass_environment", None)  # NO_PROXY (untyped in typeshed)
    if not proxies or (bypass is not None and bypass(parts.hostname or "", proxies)):
        return None
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    return _endpoints.split_userinfo(proxy)[0] if proxy else None


def root_os_error(exc: BaseException) -> BaseException:
    """The innermost cause of a transport error (the socket's own ``OSError`` when there is one)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    found: BaseException = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError):
            found = current
        kept = getattr(current, "os_error", None)  # transfer.ConnectFailure: httpcore's pool drops causes
        if isinstance(kept, OSError):
            return kept
        current = current.__cause__ or current.__context__
    return found


def date_text(epoch: float) -> str:
    """``YYYY-MM-DD`` of an epoch time, whatever a hand-edited jar holds (no overflow)."""
    try:
        return time.strftime("%Y-%m-%d", time.gmtime(epoch))
    except (OverflowError, OSError, ValueError):
        return "an unreadable date"
