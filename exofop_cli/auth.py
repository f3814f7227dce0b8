"""Log in to ExoFOP and keep the session in a private cookie jar (the library never prompts).

ExoFOP's documented login is a form POST to ``password_check.php`` with ``username``, ``password``,
``ref=login_user`` and ``ref_page=/tess/``; the session is the ``PHPSESSID`` cookie (~7 days). A failed login
is not an HTTP error: the page (status 200) says "Invalid username or password" (reference §3). The saved jar
is curl-compatible, mode 0600, under the platform config folder, and used by default afterwards.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from . import config, endpoints
from .cookies import SESSION_COOKIE, Cookie, CookieJar, dump_netscape
from .errors import AuthRequiredError, InvalidInputError, NetworkError, OfflineError, ServerError
from .storage import atomic_write_bytes

if TYPE_CHECKING:
    import httpx

_MAX_REDIRECTS = 5
_INVALID_LOGIN = "invalid username or password"


@dataclass(frozen=True)
class LoginResult:
    """Where the session was saved and when it expires (None: the server gave no expiry)."""

    jar_path: Path
    expires: int | None


@dataclass(frozen=True)
class AuthStatus:
    """What the saved (or given) cookie jar says about the ExoFOP session."""

    jar_path: Path
    exists: bool
    has_session: bool
    expires: int | None
    saved_at: float | None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for ``exofop auth status --json`` (never includes cookie values)."""

        def iso(t: float | None) -> str | None:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t else None

        return {
            "jar_path": str(self.jar_path),
            "exists": self.exists,
            "logged_in": self.has_session,
            "expires": iso(self.expires),
            "saved_at": iso(self.saved_at),
            "warnings": list(self.warnings),
        }


def _cookies_from(response: httpx.Response, host: str, secure: bool, now: float) -> list[Cookie]:
    out = []
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(header)
        except CookieError:
            continue
        for name, morsel in jar.items():
            expires: int | None = None
            if morsel["max-age"]:
                try:
                    expires = int(now + int(morsel["max-age"]))
                except ValueError:
                    expires = None
            elif morsel["expires"]:
                from email.utils import parsedate_to_datetime

                try:
                    expires = int(parsedate_to_datetime(morsel["expires"]).timestamp())
                except (TypeError, ValueError):
                    expires = None
            domain = (morsel["domain"] or host).lstrip(".")
            out.append(
                Cookie(
                    domain=domain,
                    include_subdomains=bool(morsel["domain"]),
                    path=morsel["path"] or "/",
                    secure=secure or bool(morsel["secure"]),
                    expires=expires,
                    name=name,
                    value=morsel.value,
                    http_only=bool(morsel["httponly"]),
                )
            )
    return out


def check_online(offline: bool | None = None) -> None:
    """``OfflineError`` when offline mode (argument, else ``EXOFOP_OFFLINE``) forbids logging in."""
    if offline or (offline is None and config.env_flag(config.ENV_OFFLINE)):
        raise OfflineError("offline mode: cannot log in to ExoFOP without the network")


def login(
    *,
    username: str,
    password: str,
    base_url: str | None = None,
    jar_path: str | os.PathLike[str] | None = None,
    timeout_seconds: float = config.DEFAULT_TIMEOUT_SECONDS,
    transport: httpx.BaseTransport | None = None,
    offline: bool | None = None,
) -> LoginResult:
    """Post the login form; save the session as a mode-0600 Netscape jar. ``AuthRequiredError`` if refused."""
    check_online(offline)
    if not username or not password:
        raise InvalidInputError("username and password are both required")
    import httpx

    from .client import default_cookie_jar_path

    base = config.base_url(base_url)
    parts = urlsplit(base)
    host, secure = parts.hostname or "", parts.scheme == "https"
    now = time.time()
    cookies: dict[str, Cookie] = {}

    def keep(response: httpx.Response) -> None:
        for c in _cookies_from(response, host, secure, now):
            cookies[c.name] = c

    def cookie_header() -> dict[str, str]:
        return {"Cookie": "; ".join(f"{c.name}={c.value}" for c in cookies.values())} if cookies else {}

    try:
        with httpx.Client(
            transport=transport,
            timeout=timeout_seconds,
            follow_redirects=False,
            headers={"User-Agent": f"exofop-cli ({endpoints.LOGIN})"},
        ) as client:
            # Like a browser: open the login page first so the session cookie exists before the POST.
            keep(client.get(urljoin(base, endpoints.LOGIN_PAGE), params={"ref": "/tess/"}))
            response = client.post(
                urljoin(base, endpoints.LOGIN),
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
                response = client.get(target, headers=cookie_header())
                keep(response)
    except httpx.TimeoutException as exc:
        raise NetworkError("timed out while logging in to ExoFOP", endpoint=endpoints.LOGIN) from exc
    except httpx.TransportError as exc:
        raise NetworkError(f"could not reach ExoFOP to log in: {exc}", endpoint=endpoints.LOGIN) from exc
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
    session = cookies.get(SESSION_COOKIE)
    if session is None:
        raise AuthRequiredError(
            "ExoFOP did not start a session (no PHPSESSID cookie)", endpoint=endpoints.LOGIN
        )
    path = Path(jar_path).expanduser() if jar_path else default_cookie_jar_path()
    atomic_write_bytes(path, dump_netscape(list(cookies.values())).encode(), mode=0o600)
    return LoginResult(jar_path=path, expires=session.expires)


def status(jar_path: str | os.PathLike[str] | None = None) -> AuthStatus:
    """Whether a session jar exists and when it expires (reads the jar; no network)."""
    from .client import default_cookie_jar_path

    path = Path(jar_path).expanduser() if jar_path else default_cookie_jar_path()
    if not path.is_file():
        return AuthStatus(jar_path=path, exists=False, has_session=False, expires=None, saved_at=None)
    jar = CookieJar.load(path)
    return AuthStatus(
        jar_path=path,
        exists=True,
        has_session=jar.has_session(),
        expires=jar.session_expires(),
        saved_at=path.stat().st_mtime,
        warnings=jar.warnings,
    )


def logout(jar_path: str | os.PathLike[str] | None = None) -> bool:
    """Delete the saved session jar; True if there was one."""
    from .client import default_cookie_jar_path

    path = Path(jar_path).expanduser() if jar_path else default_cookie_jar_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
