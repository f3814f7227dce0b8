"""The one table that turns exceptions into a stderr message and an exit code (the CLI boundary).

Exit codes (also in ``exofop --help`` and the README):
    0 success · 1 unexpected error (or local failure: cache folder unwritable, disk full, unreadable reply)
    2 bad usage or input · 3 partial (manifest written, some items failed) · 4 target not found
    5 authentication required and nothing obtained · 6 network failure after retries (or a request --offline forbade)
"""

import errno
import sys
import traceback
from collections.abc import Iterable
from typing import Any

from ..config import ENV_DEBUG, debug_enabled
from ..errors import (
    AuthRequiredError,
    CacheError,
    CookieJarError,
    ExoFopError,
    InvalidInputError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    OfflineError,
    RequestError,
    ServerError,
    TargetNotFoundError,
)
from ._output import error_line

EXIT_OK = 0
EXIT_UNEXPECTED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_NOT_FOUND = 4
EXIT_AUTH = 5
EXIT_NETWORK = 6
EXIT_INTERRUPTED = 130


# Most specific first: the first matching class decides the exit code and the error's "kind" in JSON
# output (`fetch --json` error objects). A kind of None is the exception's own ``kind``: a failed request
# carries the manifest's vocabulary (not_found, auth_required, network, server, invalid_response).
ERROR_TABLE: tuple[tuple[type[BaseException], int, str | None], ...] = (
    (CookieJarError, EXIT_USAGE, "cookie_jar"),
    (InvalidInputError, EXIT_USAGE, "invalid_input"),
    (TargetNotFoundError, EXIT_NOT_FOUND, "not_found"),
    (NotFoundError, EXIT_NOT_FOUND, None),
    (AuthRequiredError, EXIT_AUTH, None),
    (NetworkError, EXIT_NETWORK, None),
    (ServerError, EXIT_NETWORK, None),
    (OfflineError, EXIT_NETWORK, "offline"),
    (InvalidResponseError, EXIT_UNEXPECTED, None),
    (CacheError, EXIT_UNEXPECTED, "cache"),
    (RequestError, EXIT_NETWORK, None),
    (ExoFopError, EXIT_UNEXPECTED, "error"),
)

# Full-disk errors only: EIO could as well come from reading the cache.
_OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})

# The same mapping for the ``kind`` of a manifest error object (when a command fails without an exception).
KIND_EXIT_CODES = {
    "not_found": EXIT_NOT_FOUND,
    "auth_required": EXIT_AUTH,
    "network": EXIT_NETWORK,
    "server": EXIT_NETWORK,
    "invalid_response": EXIT_UNEXPECTED,
    "invalid_input": EXIT_USAGE,
    "cookie_jar": EXIT_USAGE,
    "offline": EXIT_NETWORK,
    "cache": EXIT_UNEXPECTED,
    "interrupted": EXIT_INTERRUPTED,
    # A cached file `contrast` or `lightcurves` could not convert: the cache is intact, the result partial,
    # even when no file converted.
    "conversion": EXIT_PARTIAL,
}


def exit_code_for_kind(kind: str) -> int:
    """Exit code of a manifest error kind."""
    return KIND_EXIT_CODES.get(kind, EXIT_UNEXPECTED)


def outcome_code(kinds: Iterable[str], *, obtained: bool) -> int:
    """Exit code of a command that reports failures as error kinds (a fetch, a table, a conversion): 0
    without any; when nothing was obtained and every failure has one kind, that kind's code (5 login,
    6 network...); else 3, a partial result."""
    found = set(kinds)
    if not found:
        return EXIT_OK
    if not obtained and len(found) == 1:
        return exit_code_for_kind(found.pop())
    return EXIT_PARTIAL


def exit_code_for(exc: BaseException) -> int:
    """Exit code of an exception according to ``ERROR_TABLE``."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    for cls, code, _kind in ERROR_TABLE:
        if isinstance(exc, cls):
            return code
    return EXIT_UNEXPECTED


def error_kind(exc: BaseException) -> str:
    """The ``kind`` of an error in JSON output, from ``ERROR_TABLE`` (never None)."""
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    for cls, _code, kind in ERROR_TABLE:
        if isinstance(exc, cls):
            return kind or str(getattr(exc, "kind", None) or "error")
    return "unexpected"


def report(exc: BaseException) -> int:
    """Print one clear error line (and a hint) on stderr; return the exit code."""
    code = exit_code_for(exc)
    if debug_enabled():
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, KeyboardInterrupt):
        error_line("interrupted; nothing partial was left under a final name")
    elif isinstance(exc, ExoFopError):
        error_line(exc.message, hint=exc.hint)
    elif isinstance(exc, OSError) and exc.errno in _OUTPUT_ERRNOS:
        # Cache writes arrive as CacheError; a bare full-disk or I/O error here is stdout's (`> /dev/full`).
        error_line(f"cannot write the output: {exc.strerror or exc}")
    else:
        error_line(
            f"unexpected {type(exc).__name__}: {exc}",
            hint=None if debug_enabled() else f"set {ENV_DEBUG}=1 to see the traceback, and please report it",
        )
    return code


def error_dict(target: str, exc: Exception) -> dict[str, Any]:
    """A failed target in ``--json`` output: its error's kind, message, hint and exit code."""
    error: dict[str, Any] = {"kind": error_kind(exc), "message": str(exc)}
    if getattr(exc, "hint", None):
        error["hint"] = exc.hint  # type: ignore[attr-defined]
    return {"target": target, "error": error, "exit_code": exit_code_for(exc)}


def combine_codes(codes: list[int]) -> int:
    """One exit code for several targets: the common code, else 3 (partial) when some succeeded or differ."""
    distinct = set(codes)
    if len(distinct) == 1:
        return codes[0]
    return EXIT_PARTIAL
