"""The login exchange with ExoFOP: form POST, redirects, Set-Cookie headers read into ``Cookie`` values.

ExoFOP's documented login is a form POST to ``password_check.php`` with ``username``, ``password``,
``ref=login_user`` and ``ref_page=/tess/``; the session is the ``PHPSESSID`` cookie (~7 days). A failed login
is not an HTTP error: the page (status 200) says "Invalid username or password" (reference §3).

A login is confirmed, never assumed: the first GET of the login page may already set an anonymous
``PHPSESSID``, so holding a session cookie proves nothing. Success needs positive evidence: the POST is
redirected to a page that is not a login page (ExoFOP sends a good login to ``tess/index.php``, reference
§7, dgegen/exofop), or a page shows what only a logged-in user sees (a "Logout" link). Without either, one
GET of the home page with the new session decides. Saving the session is the caller's business
(``ops.auth``): this module never writes a file.

Nothing is kept that could not be sent back (issue 16): a cookie whose name or value a ``Cookie`` header
cannot carry (``PHPSESSID="x;y"``), one whose ``Domain``/``Path`` would never match the base URL
(``Domain=.evil.example``), or one already expired is dropped with the reason; a ``Max-Age`` or
``Expires`` beyond ``MAX_COOKIE_SECONDS`` is cut to it (RFC 6265bis does the same at 400 days). When the
session cookie itself was dropped, the login fails saying why.
"""

from __future__ import annotations

import re
import time
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from .. import config
from ..errors import AuthRequiredError, NetworkError, NotExoFopError, ServerError
from . import endpoints
from .cookies import SESSION_COOKIE, Cookie, sendable

if TYPE_CHECKING:
    import httpx

_MAX_REDIRECTS = 5
MAX_COOKIE_SECONDS = 400 * 86400
_INVALID_LOGIN = "invalid username or password"
# What only a logged-in user sees: a way to log out (a link to logout.php, or the word in a menu).
_LOGGED_IN = re.compile(rb"logout\.php|\blog\s*-?\s*out\b", re.I)


def shows_logged_in(page: bytes) -> bool:
    """True when an ExoFOP page shows a logged-in user (a Logout link) and is not the login form."""
    from .sniff import looks_like_login_page

    return bool(_LOGGED_IN.search(page[:262144])) and not looks_like_login_page(page)


def _is_login_url(url: str) -> bool:
    path = urlsplit(url).path.lower()
    return "login" in path or "password_check" in path


def _expiry(max_age: str, expires: str, now: float) -> int | None:
    """Expiry (epoch seconds) from ``Max-Age`` (wins) or ``Expires``, at most ``MAX_COOKIE_SECONDS`` away;
    None for a session cookie or an unreadable value; in the past for a cookie being deleted."""
    latest = int(now) + MAX_COOKIE_SECONDS
    if max_age:
        try:
            return min(int(now) + int(max_age.strip()), latest)  # Python ints: no overflow
        except ValueError:
            return None
    if expires:
        from email.utils import parsedate_to_datetime

        try:
            return min(int(parsedate_to_datetime(expires).timestamp()), latest)
        except (TypeError, ValueError, OverflowError, OSError):
            return None
    return None


def _cookies_from(
    response: httpx.Response, host: str, scheme: str, path: str, now: float
) -> tuple[list[Cookie], dict[str, str]]:
    """The cookies a response sets that can be sent back to ``scheme://host/path``; and, by name, why the
    others were dropped."""
    out: list[Cookie] = []
    dropped: dict[str, str] = {}
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        named = header.split("=", 1)[0].strip()
        try:
            jar.load(header)
        except CookieError:
            dropped[named] = "its Set-Cookie header cannot be read"
            continue
        if named and named not in jar:
            # SimpleCookie skips what it cannot parse (a control character in the value) without a word.
            dropped[named] = "its Set-Cookie header cannot be read"
        for name, morsel in jar.items():
            if not sendable(name, morsel.value):
                # The reason, never the value: a cookie value is a secret.
                dropped[name] = "its value holds characters a Cookie header cannot carry (';', non-ASCII...)"
                continue
            if not morsel.value:
                dropped[name] = "its value is empty (a cookie being cleared)"
                continue
            cookie = Cookie(
                domain=(morsel["domain"] or host).lstrip(".").lower(),
                include_subdomains=bool(morsel["domain"]),
                path=morsel["path"] or "/",
                secure=scheme == "https" or bool(morsel["secure"]),
                expires=_expiry(morsel["max-age"], morsel["expires"], now),
                name=name,
                value=morsel.value,
                http_only=bool(morsel["httponly"]),
            )
            if cookie.expires is not None and cookie.expires <= now:
                dropped[name] = "the server expired it (a cookie being deleted)"
            elif not cookie.matches(scheme, host, path, now):
                secure = "; Secure" if morsel["secure"] else ""
                dropped[name] = (
                    f"it is for Domain={morsel['domain'] or host}; Path={cookie.path}{secure}, and exofop "
                    f"would never send it back to {scheme}://{host}{path}"
                )
            else:
                out.append(cookie)
    return out, dropped


def login_exchange(
    *,
    username: str,
    password: str,
    base_url: str,
    timeout_seconds: float = config.DEFAULT_TIMEOUT_SECONDS,
    transport: httpx.BaseTransport | None = None,
) -> list[Cookie]:
    """Post the login form; the cookies of the new session. ``AuthRequiredError`` unless ExoFOP confirms it."""
    import httpx

    parts = urlsplit(base_url)
    host, scheme, path = parts.hostname or "", parts.scheme, parts.path or "/"
    now = time.time()
    cookies: dict[str, Cookie] = {}
    dropped: dict[str, str] = {}  # the last word on each name, when it was a cookie that cannot be used
    redirected_away = False  # the POST led to a page that is not a login page

    def keep(response: httpx.Response) -> None:
        kept, refused = _cookies_from(response, host, scheme, path, now)
        for c in kept:
            cookies[c.name] = c
            dropped.pop(c.name, None)
        for name, reason in refused.items():
            cookies.pop(name, None)  # the server replaced it: the old one is no longer the session
            dropped[name] = reason

    def cookie_header() -> dict[str, str]:
        return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in cookies.values())} if cookies else {}

    try:
        with httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(
                timeout_seconds, connect=min(config.DEFAULT_CONNECT_TIMEOUT_SECONDS, timeout_seconds)
            ),
            follow_redirects=False,
            headers={"User-Agent": f"exofop-cli ({endpoints.LOGIN})"},
        ) as client:
            # Like a browser: open the login page first so the session cookie exists before the POST.
            page = client.get(urljoin(base_url, endpoints.LOGIN_PAGE), params={"ref": "/tess/"})
            if page.status_code in (404, 410):
                # ExoFOP always has its login page: the base URL is not ExoFOP's (as every command says).
                raise NotExoFopError(
                    f"the server at {base_url} does not look like ExoFOP: it answered HTTP "
                    f"{page.status_code} for {endpoints.LOGIN_PAGE}, a page ExoFOP always has",
                    endpoint=endpoints.LOGIN_PAGE,
                    status_code=page.status_code,
                )
            keep(page)
            response = client.post(
                urljoin(base_url, endpoints.LOGIN),
                data={"username": username, "password": password, "ref": "login_user", "ref_page": "/tess/"},
                headers=cookie_header(),
            )
            keep(response)
            for _ in range(_MAX_REDIRECTS):
                location = response.headers.get("location")
                if response.status_code not in (301, 302, 303, 307, 308) or not location:
                    break
                target = urljoin(str(response.url), location)
                if urlsplit(target).hostname != host:
                    break  # never carry the session to another host
                redirected_away = not _is_login_url(target)
                response = client.get(target, headers=cookie_header())
                keep(response)
            _refused_or_failed(response)
            confirmed = (redirected_away and not _shows_login_form(response)) or shows_logged_in(
                response.content
            )
            if not confirmed and SESSION_COOKIE in cookies:
                # No redirect and no Logout on the answer: ask for the home page with the new session.
                home = client.get(urljoin(base_url, "index.php"), headers=cookie_header())
                confirmed = home.status_code < 400 and shows_logged_in(home.content)
    except httpx.TimeoutException as exc:
        raise NetworkError(
            "timed out while logging in to ExoFOP", endpoint=endpoints.LOGIN, hint=_hint(base_url)
        ) from exc
    except httpx.TransportError as exc:
        # The words and the hint every other command gives (the host named, the ways out).
        raise _unreachable(exc, base_url=base_url, timeout_seconds=timeout_seconds) from exc
    _check_session_cookie(dropped)
    if SESSION_COOKIE not in cookies:
        raise AuthRequiredError(
            "ExoFOP did not start a session (no PHPSESSID cookie)", endpoint=endpoints.LOGIN
        )
    if not confirmed:
        raise AuthRequiredError(
            "ExoFOP did not confirm the login: no redirect away from the login page and no page showing a "
            "logged-in user (Logout); the session was not saved",
            endpoint=endpoints.LOGIN,
            hint="check the username and password on the ExoFOP web site; if they work there, run "
            "`exofop doctor --save report/` and report it",
        )
    return list(cookies.values())


class _Settings:
    """What ``verdicts`` needs to word a failure of the login exchange (no jar: logins start without one)."""

    cookie_jar = None

    def __init__(self, base_url: str, timeout_seconds: float) -> None:
        self.base_url = base_url
        self.read_timeout = timeout_seconds
        self.connect_timeout = min(config.DEFAULT_CONNECT_TIMEOUT_SECONDS, timeout_seconds)


def _hint(base_url: str) -> str:
    from .verdicts import network_hint, proxy_for

    return network_hint(base_url, proxy_for(base_url))


def _unreachable(exc: Exception, *, base_url: str, timeout_seconds: float) -> NetworkError:
    """The network error for a login that never got an answer, worded as for every other request."""
    from .verdicts import Verdicts

    error, _retry = Verdicts(_Settings(base_url, timeout_seconds)).unreachable(
        exc, what="the login page", url=urljoin(base_url, endpoints.LOGIN_PAGE), endpoint=endpoints.LOGIN
    )
    return error


def _check_session_cookie(dropped: dict[str, str]) -> None:
    """``AuthRequiredError`` saying why, when the session cookie the server set was one that cannot be used."""
    if SESSION_COOKIE in dropped:
        raise AuthRequiredError(
            f"ExoFOP set a session cookie that cannot be used: {dropped[SESSION_COOKIE]}; nothing was saved",
            endpoint=endpoints.LOGIN,
            hint="if the ExoFOP web site works in a browser, run `exofop doctor --save report/` and report it",
        )


def _shows_login_form(response: httpx.Response) -> bool:
    from .sniff import looks_like_login_page

    return looks_like_login_page(response.content)


def _refused_or_failed(response: httpx.Response) -> None:
    """Raise for a server error or ExoFOP's failed-login text on the last page of the exchange."""
    if response.status_code >= 500:
        raise ServerError(
            f"ExoFOP server error (HTTP {response.status_code}) while logging in",
            endpoint=endpoints.LOGIN,
            status_code=response.status_code,
        )
    if _INVALID_LOGIN in response.text.lower():
        raise AuthRequiredError(
            "ExoFOP says: Invalid username or password",
            endpoint=endpoints.LOGIN,
            hint="check the username and password you use on the ExoFOP web site",
        )
