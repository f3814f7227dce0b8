"""The ``exofop`` command line: Typer commands over the library (parse → one library call → render).

Subcommands live in their own modules and are imported only when invoked (see ``_app.COMMANDS``).
"""

import os
import sys

from .. import config
from ._app import app


def main() -> None:
    """Console-script entry point (``exofop``) and ``python -m exofop_cli``."""
    if "_EXOFOP_COMPLETE" in os.environ:
        # A TAB press: register the shell-completion classes (the app is built with add_completion=False
        # so that ordinary runs do not pay for them).
        from ._shells import register

        register()
    try:
        try:
            app(prog_name="exofop")
        except OSError as exc:
            # Output written before any command runs (--version, help) to a full disk: `> /dev/full`.
            from ._errors import report

            sys.exit(report(exc))
    except SystemExit as exc:
        if isinstance(exc.code, int | None) and _finished_early():
            os._exit(exc.code or 0)
        raise


def _finished_early() -> bool:
    """Do now what a normal exit does before its teardown; True when only the teardown is left to skip.

    Tearing the interpreter down (freeing every module and object) takes 10 ms or more once Typer is
    imported, more after httpx: as long as a whole warm ``fetch``, longer than the work of a TAB press, and
    useless to a CLI. What a normal exit does first is done here, in the same order: wait for threads (we
    only go on when none is left), run the ``atexit`` handlers (logging's flush, certifi's cleanup,
    coverage's save...), flush stdout and stderr. The normal exit is taken instead under
    ``EXOFOP_DEBUG=1``, under a trace or profile hook (debuggers, profilers that report after ``main``),
    while a non-daemon thread runs, off CPython, or when flushing fails.
    """
    import atexit

    if config.debug_enabled() or sys.gettrace() is not None or sys.getprofile() is not None:
        return False
    threading = sys.modules.get("threading")
    if threading is not None:
        main_thread = threading.main_thread()
        if any(t is not main_thread and t.is_alive() and not t.daemon for t in threading.enumerate()):
            return False
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)  # CPython's own exit step
    if run_exit_handlers is None:
        return False
    run_exit_handlers()  # they run once: a normal exit after this finds none left
    return _flushed()


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
