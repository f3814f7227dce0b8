"""The Typer application object, its global options and the error boundary shared by every command.

Kept apart from the commands so sub-apps (``cache``, ``auth``) can import it without cycles. Nothing heavy is
imported here: building the app must stay cheap because tab completion builds it on every TAB.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from .. import config
from ..errors import ExoFopError
from ._errors import EXIT_CODES_HELP, report
from ._output import set_quiet


class ExoFopGroup(TyperGroup):
    """A command group that turns every exception into one stderr line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        """Run the subcommand; map errors through the table in ``_errors``."""
        try:
            return super().invoke(ctx)
        except ExoFopError as exc:
            raise typer.Exit(report(exc)) from exc
        except KeyboardInterrupt as exc:
            raise typer.Exit(report(exc)) from exc
        except Exception as exc:
            # Typer/Click control flow (Exit, Abort, usage errors) carries an exit_code: let it through,
            # as well as EPIPE, which Typer already turns into a quiet exit when stdout is closed early.
            if hasattr(exc, "exit_code") or isinstance(exc, typer.Abort):
                raise
            if isinstance(exc, OSError) and exc.errno == errno.EPIPE:
                raise
            raise typer.Exit(report(exc)) from exc


def new_app(help_text: str, **kwargs: Any) -> typer.Typer:
    """A Typer app with exofop's conventions (plain help for fast start-up, error boundary, -h)."""
    return typer.Typer(
        cls=ExoFopGroup,
        help=help_text,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        no_args_is_help=True,
        context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
        **kwargs,
    )


app = new_app(
    "Fetch ExoFOP-TESS follow-up files and tables into a deterministic local cache with a manifest.",
    epilog=EXIT_CODES_HELP,
)


@dataclass(frozen=True)
class GlobalOptions:
    """Options given before the command name."""

    cache_dir: Path | None
    base_url: str | None
    cookie_jar: Path | None
    timeout: float
    offline: bool
    quiet: bool
    verbose: int


def _version_callback(value: bool) -> None:
    if value:
        from .._version import __version__

        typer.echo(f"exofop {__version__}")
        raise typer.Exit()


def _configure_logging(verbose: int) -> None:
    if verbose <= 0:
        return
    import logging

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("exofop: %(message)s"))
    logger = logging.getLogger("exofop")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
    if verbose >= 3:
        logging.getLogger("httpx").addHandler(handler)
        logging.getLogger("httpx").setLevel(logging.DEBUG)


@app.callback()
def main_callback(
    ctx: typer.Context,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help=f"Cache folder (default: ${config.ENV_CACHE_DIR}, else the platform's user cache folder).",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            envvar=config.ENV_BASE_URL,
            help="ExoFOP base URL.",
            show_default=config.DEFAULT_BASE_URL,
        ),
    ] = None,
    cookie_jar: Annotated[
        Path | None,
        typer.Option(
            "--cookie-jar",
            envvar=config.ENV_COOKIE_JAR,
            help="Netscape cookie jar from curl/wget or `exofop auth login` (read only).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds before one request times out.")
    ] = config.DEFAULT_TIMEOUT_SECONDS,
    offline: Annotated[
        bool,
        typer.Option(
            "--offline",
            envvar=config.ENV_OFFLINE,
            help="Never use the network: serve from the cache or fail naming what is missing.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="Only errors on stderr.")] = False,
    verbose: Annotated[
        int,
        typer.Option("-v", "--verbose", count=True, help="More detail on stderr (-v retries, -vvv HTTP)."),
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Fetch ExoFOP-TESS follow-up files and tables into a deterministic local cache with a manifest."""
    set_quiet(quiet)
    _configure_logging(0 if quiet else verbose)
    ctx.obj = GlobalOptions(
        cache_dir=cache_dir,
        base_url=base_url,
        cookie_jar=cookie_jar,
        timeout=timeout,
        offline=offline,
        quiet=quiet,
        verbose=verbose,
    )


def options(ctx: typer.Context) -> GlobalOptions:
    """The global options of this invocation (defaults when a command is invoked on its own in tests)."""
    obj = ctx.find_object(GlobalOptions)
    if obj is None:
        return GlobalOptions(None, None, None, config.DEFAULT_TIMEOUT_SECONDS, False, False, 0)
    return obj


def make_client(ctx: typer.Context, *, jobs: int | None = None, progress: bool = False) -> Any:
    """An ``ExoFopClient`` configured from the global options (imported lazily)."""
    from ..client import ExoFopClient
    from ._output import warn_line
    from ._progress import make_progress

    opts = options(ctx)
    client = ExoFopClient(
        cache_dir=opts.cache_dir,
        base_url=opts.base_url,
        cookie_jar_path=opts.cookie_jar,
        timeout_seconds=opts.timeout,
        jobs=jobs if jobs is not None else config.DEFAULT_JOBS,
        offline=opts.offline or None,
        progress=make_progress(opts.quiet) if progress else None,
    )
    for notice in client.notices:
        warn_line(notice)
    client.notices.clear()
    return client
