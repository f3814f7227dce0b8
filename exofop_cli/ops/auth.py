"""Log in to ExoFOP and keep the session in a private cookie jar (the library never prompts).

The exchange itself is ``remote.login``; this module decides where the session is kept: a curl-compatible
jar, mode 0600, under the platform config folder (``config.default_cookie_jar_path``), used by default
afterwards. ``status`` reads a jar (no network) and says which of four states it is in: ``logged_in`` (an
unexpired ``PHPSESSID``), ``expired`` (its ``PHPSESSID`` is past its expiry), ``anonymous`` (a jar without
an ExoFOP session: requests go out as if there were none) or ``none`` (no jar). ``check_session`` asks
ExoFOP whether it still accepts the session (its home page shows "Logout" only to a logged-in user).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .. import config
from ..errors import InvalidInputError, InvalidResponseError, NotExoFopError, OfflineError
from ..remote.cookies import SESSION_COOKIE, CookieJar, dump_netscape
from ..remote.login import login_exchange
from ..store.atomic import atomic_write_bytes

if TYPE_CHECKING:
    import httpx

    from ..remote.http import HttpSession

SessionState = Literal["logged_in", "expired", "anonymous", "none"]


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
    has_session_cookie: bool = False  # a PHPSESSID, expired or not

    @property
    def state(self) -> SessionState:
        """``logged_in``, ``expired`` (the session cookie is past its expiry), ``anonymous``, ``none``."""
        if not self.exists:
            return "none"
        if self.has_session:
            return "logged_in"
        return "expired" if self.has_session_cookie else "anonymous"

    def to_dict(self) -> dict[str, Any]:
        """JSON shape for ``exofop auth status --json`` (never includes cookie values)."""

        def iso(t: float | None) -> str | None:
            return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t else None

        return {
            "jar_path": str(self.jar_path),
            "exists": self.exists,
            "state": self.state,
            "logged_in": self.has_session,
            "expired": self.state == "expired",
            "expires": iso(self.expires),
            "saved_at": iso(self.saved_at),
            "warnings": list(self.warnings),
        }


def check_online(offline: bool | None = None) -> None:
    """``OfflineError`` when offline mode (argument, else ``EXOFOP_OFFLINE``) forbids logging in."""
    if offline or (offline is None and config.env_flag(config.ENV_OFFLINE)):
        raise OfflineError(
            "offline mode: cannot log in to ExoFOP without the network",
            hint="log in without --offline (or unset EXOFOP_OFFLINE)",
        )


def check_login_options(*, base_url: str | None, timeout_seconds: float) -> None:
    """``InvalidInputError`` for a base URL or a timeout no login could use (before asking for a password)."""
    from ..remote.endpoints import check_base_url
    from ..remote.service import check_timeout

    check_timeout(timeout_seconds)
    check_base_url(config.base_url(base_url))


def login(
    *,
    username: str | Callable[[], str],
    password: str | Callable[[], str] | None = None,
    ask_password: Callable[[], str] | None = None,
    base_url: str | None = None,
    jar_path: str | os.PathLike[str] | None = None,
    timeout_seconds: float = config.DEFAULT_TIMEOUT_SECONDS,
    transport: httpx.BaseTransport | None = None,
    offline: bool | None = None,
) -> LoginResult:
    """Post the login form; save the session as a mode-0600 Netscape jar. ``AuthRequiredError`` if refused.

    Offline mode, the base URL and the timeout are checked before anything is asked for: ``username`` and
    ``password`` may be callables (a prompt, a read of stdin), called only then. The password is ``password``
    if given, else ``EXOFOP_PASSWORD``, else what ``ask_password`` (a prompt) returns, asked after the user
    name; ``password`` is read before the user name, so a piped password comes first.
    """
    check_online(offline)
    check_login_options(base_url=base_url, timeout_seconds=timeout_seconds)
    secret = password() if callable(password) else password
    if secret is None:
        secret = os.environ.get(config.ENV_PASSWORD) or None
    user = username() if callable(username) else username
    if secret is None and ask_password is not None:
        secret = ask_password()
    if not user or not secret:
        raise InvalidInputError("username and password are both required")
    cookies = login_exchange(
        username=user,
        password=secret,
        base_url=config.base_url(base_url),
        timeout_seconds=timeout_seconds,
        transport=transport,
    )
    session = next(c for c in cookies if c.name == SESSION_COOKIE)
    path = Path(jar_path).expanduser() if jar_path else config.default_cookie_jar_path()
    atomic_write_bytes(path, dump_netscape(cookies).encode(), mode=0o600)
    return LoginResult(jar_path=path, expires=session.expires)


def status(jar_path: str | os.PathLike[str] | None = None, *, base_url: str | None = None) -> AuthStatus:
    """Whether a session jar exists, its state and when it expires (reads the jar; no network).

    With ``base_url``, a session kept for another host is said to go unused there (a warning).
    """
    path = Path(jar_path).expanduser() if jar_path else config.default_cookie_jar_path()
    if not path.is_file():
        return AuthStatus(jar_path=path, exists=False, has_session=False, expires=None, saved_at=None)
    jar = CookieJar.load(path)
    warnings = list(jar.warnings)
    if base_url is not None and jar.has_session() and jar.header_for(config.base_url(base_url)) is None:
        warnings.append(
            f"the session in {path} is not for {config.base_url(base_url)}: requests there go out anonymously"
        )
    return AuthStatus(
        jar_path=path,
        exists=True,
        has_session=jar.has_session(),
        expires=jar.session_expires(),
        saved_at=path.stat().st_mtime,
        warnings=tuple(warnings),
        has_session_cookie=any(c.name == SESSION_COOKIE for c in jar.cookies),
    )


OnlineState = Literal["valid", "expired", "anonymous", "unknown"]


def check_session(http: HttpSession, *, strict: bool = False) -> tuple[OnlineState, str]:
    """Ask ExoFOP whether it accepts the session the HTTP session sends: (state, what was seen).

    ``valid``: its home page shows "Logout"; ``expired``: the cookie was sent and the page shows a visitor;
    ``anonymous``: no session cookie goes to this host; ``unknown``: the answer was not a page. ``strict``
    (``auth status --check``): an answer that is not a page is an error instead, ``NotExoFopError`` for a 404
    (a check that could not be made must not read as a state).
    """
    from ..remote.login import shows_logged_in

    jar = http.cookie_jar
    sent = (jar.header_for(http.base_url) or "") if jar is not None else ""
    if not any(pair.strip().startswith(f"{SESSION_COOKIE}=") for pair in sent.split(";")):
        return "anonymous", "no ExoFOP session cookie is sent to " + http.base_url
    probe = http.probe("index.php", what="ExoFOP's home page")
    if probe.status_code >= 400 or not probe.content.strip():
        seen = f"HTTP {probe.status_code}, {len(probe.content)} bytes"
        if not strict:
            return "unknown", seen
        if probe.status_code in (404, 410):
            raise NotExoFopError(
                f"the server at {http.base_url} does not look like ExoFOP: it answered {seen} for index.php, "
                "ExoFOP's home page; the session could not be checked",
                endpoint="index.php",
                status_code=probe.status_code,
            )
        raise InvalidResponseError(
            f"ExoFOP's home page answered {seen}: the session could not be checked", endpoint="index.php"
        )
    if shows_logged_in(probe.content):
        return "valid", "the home page shows Logout"
    return "expired", "the session cookie was sent and the home page shows a visitor (no Logout)"


def logout(jar_path: str | os.PathLike[str] | None = None) -> bool:
    """Delete the saved session jar; True if there was one."""
    path = Path(jar_path).expanduser() if jar_path else config.default_cookie_jar_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
