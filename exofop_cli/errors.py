"""The one exception hierarchy of exofop.

Every failure the library reports is an ``ExoFopError``; the CLI maps each class to a message and an exit
code in ``exofop_cli.cli._errors`` (one table, nowhere else). Each class also derives from the builtin that
fits, so code written against the spec (or tess-vetter, which raises plain ``ValueError``) that catches
builtins keeps working: ``ValueError`` for bad input, unknown targets and unreadable answers, ``OSError``
(and its subclasses) for the network, the cache and logins::

    ExoFopError
    ├── InvalidInputError ............ ValueError: target syntax, regex, duration, numbers       (exit 2)
    │   └── CookieJarError ........... missing, unreadable or malformed cookie jar               (exit 2)
    ├── TargetNotFoundError .......... ValueError: ExoFOP (or the cache) has no such target      (exit 4)
    ├── CacheError ................... OSError: cache folder unwritable, disk full, bad state     (exit 1)
    ├── OfflineError ................. OSError: --offline, and a request would be needed        (exit 6)
    └── RequestError ................. one HTTP exchange failed (carries ``kind`` and ``endpoint``)
        ├── NotFoundError ............ ValueError: 404 / "no such file"          kind=not_found  (exit 4)
        ├── AuthRequiredError ........ PermissionError: login page for data   kind=auth_required (exit 5)
        │   └── SessionExpiredError .. ... although a cookie jar was sent
        ├── NetworkError ............. ConnectionError: connect/read failures    kind=network   (exit 6)
        ├── ServerError .............. OSError: 5xx after retries                kind=server    (exit 6)
        │   └── RateLimitedError ..... 429 after retries                         kind=server    (exit 6)
        └── InvalidResponseError ..... ValueError: HTML/garbage for a table or file
            │                                                           kind=invalid_response (exit 1)
            └── NotExoFopError ....... ExoFOP's own scripts answer 404: a wrong base URL  (exit 1)

``Cancelled`` stands apart: it stops the other threads of a run that was interrupted (Ctrl-C) or given up,
and is never reported (the interrupted thread reports ``KeyboardInterrupt``, exit 130).

``RequestError.kind`` is the string written into ``manifest.json`` error objects, so the manifest and the
exception agree on one vocabulary: ``not_found``, ``auth_required``, ``network``, ``server``,
``invalid_response``.
"""

from typing import Literal

ErrorKind = Literal["not_found", "auth_required", "network", "server", "invalid_response"]


class ExoFopError(Exception):
    """Base class of every error exofop raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return self.message


class InvalidInputError(ExoFopError, ValueError):
    """The user gave something exofop cannot use (bad target, regex, duration, number...)."""


class CookieJarError(InvalidInputError):
    """The cookie jar file is missing, unreadable or not in Netscape format."""


class TargetNotFoundError(ExoFopError, ValueError):
    """ExoFOP (or, with ``where="in the cache"``, the cache) does not know the requested target."""

    def __init__(
        self, target: str, *, detail: str | None = None, where: str = "on ExoFOP", hint: str | None = None
    ) -> None:
        message = f"target not found {where}: {target}"
        if detail:
            message += f" ({detail})"
        super().__init__(message, hint=hint or "check the spelling; try `exofop resolve` with a TIC id")
        self.target = target


class CacheError(ExoFopError, OSError):
    """The cache folder cannot be written (permissions, disk full) or holds unusable state."""


class OfflineError(ExoFopError, OSError):
    """Offline mode was requested and a request is needed (the cache lacks it, or --refresh/--force)."""

    hint = "run once without --offline (or unset EXOFOP_OFFLINE) to fill the cache"


class RequestError(ExoFopError):
    """One HTTP exchange with ExoFOP failed; ``kind`` classifies it for the manifest."""

    kind: ErrorKind = "network"

    def __init__(
        self,
        message: str,
        *,
        endpoint: str | None = None,
        status_code: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.endpoint = endpoint
        self.status_code = status_code


class NotFoundError(RequestError, ValueError):
    """The server says the requested item does not exist (HTTP 404 or equivalent)."""

    kind: ErrorKind = "not_found"


class AuthRequiredError(RequestError, PermissionError):
    """A login page (or 401/403) came back where data was expected: the item is proprietary."""

    kind: ErrorKind = "auth_required"
    hint = "log in with `exofop auth login` or pass a cookie jar with --cookie-jar"


class SessionExpiredError(AuthRequiredError):
    """A cookie jar was sent but ExoFOP still answered with its login page."""

    hint = "the ExoFOP session in the cookie jar has expired: log in again (`exofop auth login`)"


class NetworkError(RequestError, ConnectionError):
    """The server could not be reached or the transfer broke, after all retries."""

    kind: ErrorKind = "network"


class ServerError(RequestError, OSError):
    """ExoFOP answered with a server error (5xx) after all retries."""

    kind: ErrorKind = "server"


class RateLimitedError(ServerError):
    """ExoFOP kept answering 429 Too Many Requests after all retries."""

    hint = "ExoFOP is rate limiting: retry later or lower --jobs"


class InvalidResponseError(RequestError, ValueError):
    """ExoFOP answered, but not with the table or file that was expected (HTML page, garbage)."""

    kind: ErrorKind = "invalid_response"


class NotExoFopError(InvalidResponseError):
    """The server answers "not found" for scripts ExoFOP always has: the base URL is not ExoFOP's."""

    hint = "check --base-url / EXOFOP_BASE_URL (ExoFOP-TESS is https://exofop.ipac.caltech.edu/tess/)"


class Cancelled(Exception):
    """Work stopped because its run was interrupted (Ctrl-C) or its caller gave up; never reported."""
