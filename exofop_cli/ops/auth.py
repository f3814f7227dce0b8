"""Log in to ExoFOP and keep the session in a private cookie jar (the library never prompts).

The exchange itself is ``remote.login``; this module decides where the session is kept: a curl-compatible
jar, mode 0600, under the platform config folder (``config.default_cookie_jar_path``), used by default
afterwards.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import config
from ..errors import InvalidInputError, OfflineError
from ..remote.cookies import SESSION_COOKIE, CookieJar, dump_netscape
from ..remote.login import login_exchange
from ..store.atomic import atomic_write_bytes

if TYPE_CHECKING:
    import httpx


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
    cookies = login_exchange(
        username=username,
        password=password,
        base_url=config.base_url(base_url),
        timeout_seconds=timeout_seconds,
        transport=transport,
    )
    session = next(c for c in cookies if c.name == SESSION_COOKIE)
    path = Path(jar_path).expanduser() if jar_path else config.default_cookie_jar_path()
    atomic_write_bytes(path, dump_netscape(cookies).encode(), mode=0o600)
    return LoginResult(jar_path=path, expires=session.expires)


def status(jar_path: str | os.PathLike[str] | None = None) -> AuthStatus:
    """Whether a session jar exists and when it expires (reads the jar; no network)."""
    path = Path(jar_path).expanduser() if jar_path else config.default_cookie_jar_path()
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
    path = Path(jar_path).expanduser() if jar_path else config.default_cookie_jar_path()
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True
