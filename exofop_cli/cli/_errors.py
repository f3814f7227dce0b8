"""The one table that turns exceptions into a stderr message and an exit code (the CLI boundary).

Exit codes (also in ``exofop --help`` and the README):
    0 success · 1 unexpected error (or local failure: cache folder unwritable, disk full, unreadable reply)
    2 bad usage or input · 3 partial (manifest written, some items failed) · 4 target not found
    5 authentication required and nothing obtained · 6 network failure after retries (or a request --offline forbade)
"""

import errno
import sys
import traceback

from ..config import ENV_DEBUG, debug_enabled
from ..errors import (
    AuthRequiredError,
    CacheError,
    ExoFopError,
    InvalidInputError,
    InvalidResponseError,
    NetworkError,
    NotFoundError,
    OfflineError,
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


# Most specific first: the first matching class decides the exit code.
ERROR_TABLE: tuple[tuple[type[BaseException], int], ...] = (
    (InvalidInputError, EXIT_USAGE),
    (TargetNotFoundError, EXIT_NOT_FOUND),
    (NotFoundError, EXIT_NOT_FOUND),
    (AuthRequiredError, EXIT_AUTH),
    (NetworkError, EXIT_NETWORK),
    (ServerError, EXIT_NETWORK),
    (OfflineError, EXIT_NETWORK),
    (InvalidResponseError, EXIT_UNEXPECTED),
    (CacheError, EXIT_UNEXPECTED),
    (ExoFopError, EXIT_UNEXPECTED),
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
}


def exit_code_for_kind(kind: str) -> int:
    """Exit code of a manifest error kind."""
    return KIND_EXIT_CODES.get(kind, EXIT_UNEXPECTED)


def exit_code_for(exc: BaseException) -> int:
    """Exit code of an exception according to ``ERROR_TABLE``."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    for cls, code in ERROR_TABLE:
        if isinstance(exc, cls):
            return code
    return EXIT_UNEXPECTED


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
