"""The ``exofop`` command line: Typer commands over the library (parse → one library call → render).

Subcommands live in their own modules and are imported only when invoked (see ``_app.COMMANDS``).
"""

import os
import sys

from ._app import app


def main() -> None:
    """Console-script entry point (``exofop``) and ``python -m exofop_cli``."""
    if "_EXOFOP_COMPLETE" in os.environ:
        # A TAB press: register Typer's shell-completion classes (the app is built with
        # add_completion=False so that ordinary runs do not pay for them).
        from typer._completion_classes import completion_init

        completion_init()
    try:
        app(prog_name="exofop")
    except SystemExit as exc:
        if isinstance(exc.code, int | None) and _may_skip_teardown() and _flushed():
            os._exit(exc.code or 0)
        raise


def _may_skip_teardown() -> bool:
    """True when nothing would run at a normal interpreter exit, so leaving at once loses nothing.

    Tearing the interpreter down (freeing every module and object) takes 10 ms or more after Typer has been
    imported: as long as a whole warm ``fetch``, and longer than the work of a TAB press. It does nothing
    for us once output is flushed, unless someone asked for work at exit: an ``atexit`` handler (logging,
    which httpx imports, registers one; so do coverage and profilers), a trace or profile hook, or a
    thread still running. Then the normal exit runs. ``EXOFOP_DEBUG=1`` always takes the normal exit.
    """
    import atexit

    if os.environ.get("EXOFOP_DEBUG") or sys.gettrace() is not None or sys.getprofile() is not None:
        return False
    count = getattr(atexit, "_ncallbacks", None)  # CPython; elsewhere assume handlers exist
    if count is None or count() != 0:
        return False
    threading = sys.modules.get("threading")
    if threading is not None:
        main_thread = threading.main_thread()
        if any(t is not main_thread and t.is_alive() and not t.daemon for t in threading.enumerate()):
            return False
    return True


def _flushed() -> bool:
    """Flush stdout and stderr; False when output may be lost, so that Python's normal exit reports it.

    A reader that closed the pipe early (`| head`) or an already closed stream loses nothing we could still
    deliver; a full disk or an I/O error does, and must not end in a silent exit status 0.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            continue
        except OSError:
            return False
    return True


__all__ = ["app", "main"]
