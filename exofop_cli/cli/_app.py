"""The Typer application object, its global options and the error boundary shared by every command.

Kept apart from the commands so sub-apps (``cache``, ``auth``) can import it without cycles. Nothing heavy is
imported here: building the app must stay cheap because tab completion builds it on every TAB.
"""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

import errno
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from .. import config
from ._help import examples, format_epilog, format_params

if TYPE_CHECKING:
    from ..client import ExoFopClient

EXIT_CODES_HELP = (
    "Exit codes: 0 success; 1 unexpected error; 2 bad usage or input; 3 partial (manifest written, some "
    "items failed); 4 target not found; 5 authentication required and nothing obtained; 6 network failure "
    "after retries; 130 interrupted (Ctrl-C)."
)


# Commands are imported and built only when invoked: Typer otherwise builds every command of the app on
# each start, which tab completion pays on every TAB. Help and completion read the summaries below; a test
# keeps them equal to each command's docstring.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "resolve": ("commands", "resolve_app", "Resolve a TIC, TOI or name to its TIC id, TOIs and aliases."),
    "ls": (
        "commands",
        "ls_app",
        "List a target's ExoFOP files (from the cached file list unless --refresh).",
    ),
    "fetch": (
        "commands",
        "fetch_app",
        "Download files and summary tables into the cache; write manifest.json.",
    ),
    "summaries": (
        "commands",
        "summaries_app",
        "Show a target's ExoFOP summary tables (cached unless --refresh).",
    ),
    "toi": ("catalog_cmd", "toi_app", "Show the TOI table (cached for a day), filtered; --ids for pipes."),
    "ctoi": (
        "catalog_cmd",
        "ctoi_app",
        "Show the community TOI table (cached for a day), filtered; --ids for pipes.",
    ),
    "contrast": ("science_cmd", "contrast_app", "List cached contrast curves; export them for TRICERATOPS."),
    "lightcurves": ("science_cmd", "lightcurves_app", "Convert cached SG1 light curves for TRICERATOPS+."),
    "cache": ("cache_cmd", "cache_app", "Inspect and maintain the local cache (never uses the network)."),
    "auth": ("auth_cmd", "auth_app", "Log in to ExoFOP for proprietary (TFOP working group) data."),
    "doctor": (
        "doctor_cmd",
        "doctor_app",
        "Check ExoFOP against what exofop assumes, live (PASS/WARN/FAIL per check).",
    ),
    "completion": (
        "completion_cmd",
        "completion_app",
        "Print the TAB-completion script for bash, zsh or fish.",
    ),
}


class ExoFopGroup(TyperGroup):
    """A command group that turns every exception into one stderr line and an exit code."""

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """Options without range noise, then the commands."""
        format_params(ctx, formatter, self.get_params(ctx), shared=set())
        self.format_commands(ctx, formatter)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        """Examples as written, then any closing text."""
        format_epilog(self.epilog, formatter)

    def invoke(self, ctx: Any) -> Any:
        """Run the subcommand; map errors through the table in ``_errors``."""
        from ..errors import ExoFopError  # only on the error path: help and TAB never get here
        from ._errors import report

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


class LazyGroup(ExoFopGroup):
    """The root group: subcommands come from ``COMMANDS`` and are imported on first use only."""

    def list_commands(self, ctx: Any) -> list[str]:
        """Command names in display order."""
        return list(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """Import and build one command (cached)."""
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            import importlib

            module, attr, _summary = COMMANDS[cmd_name]
            sub_app = getattr(importlib.import_module(f"{__package__}.{module}"), attr)
            command = typer.main.get_command(sub_app)
            command.name = cmd_name
            self.commands[cmd_name] = command
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The Commands section of --help, from the summaries (nothing imported)."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary) for name, (_m, _a, summary) in COMMANDS.items()])

    def shell_complete(self, ctx: Any, incomplete: str) -> list[Any]:
        """Complete command names from the summaries, then the group's own options."""
        from typer._click.shell_completion import CompletionItem

        items = [
            CompletionItem(name, help=summary)
            for name, (_m, _a, summary) in COMMANDS.items()
            if name.startswith(incomplete)
        ]
        return items + super(TyperGroup, self).shell_complete(ctx, incomplete)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        """Like Typer's, with "did you mean" suggestions drawn from every command, loaded or not."""
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            matches = difflib.get_close_matches(name, list(COMMANDS))
            hint = f" Did you mean {', '.join(repr(m) for m in matches)}?" if matches else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)


# The global options, also accepted after the command name (`exofop fetch X --cache-dir D`: the spec's CLI lines
# put --cookie-jar there) and listed in every command's --help. --version stays with the root.
GLOBAL_OPTION_NAMES = (
    "cache_dir",
    "base_url",
    "cookie_jar",
    "timeout",
    "max_file_size",
    "offline",
    "quiet",
    "verbose",
)


class ExoFopCommand(TyperCommand):
    """A command that also takes the global options, and the spec's space-separated ``--types A B``."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The command's own options, then the root's global options, then --help."""
        return _with_globals(self, ctx, list(super().get_params(ctx)))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Join ``--types Image Spectrum`` into two --types values before Click sees the arguments."""
        if any(p.name == "types" for p in super().get_params(ctx)):
            from ._args import join_spaced_types

            args = join_spaced_types(args)
        result: list[str] = super().parse_args(ctx, args)
        return result

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        """``[OPTIONS] SHELL``: a required argument plain, not Typer's ``{SHELL}``."""
        pieces: list[str] = super().collect_usage_pieces(ctx)
        return [p[1:-1] if p.startswith("{") and p.endswith("}") else p for p in pieces]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """Arguments, the command's options, then the global options under their own heading."""
        root = ctx.find_root()
        shared = set(GLOBAL_OPTION_NAMES) - _own_param_names(self) if root is not ctx else set()
        format_params(ctx, formatter, self.get_params(ctx), shared=shared)

    def format_epilog(self, ctx: Any, formatter: Any) -> None:
        """The Examples section, as written."""
        format_epilog(self.epilog, formatter)

    def invoke(self, ctx: Any) -> Any:
        """Apply global options given after the command name, then run the command."""
        _take_globals(self, ctx)
        return super().invoke(ctx)


class SubGroup(ExoFopGroup):
    """A group under the root (``cache``, ``auth``): takes the global options too (``exofop cache
    --cache-dir D ls``), and lists them in its --help."""

    def get_params(self, ctx: Any) -> list[Any]:
        """The group's own options, then the root's global options, then --help."""
        return _with_globals(self, ctx, list(super().get_params(ctx)))

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """Options, the global options under their own heading, then the commands."""
        shared = set(GLOBAL_OPTION_NAMES) - _own_param_names(self) if ctx.find_root() is not ctx else set()
        format_params(ctx, formatter, self.get_params(ctx), shared=shared)
        self.format_commands(ctx, formatter)

    def invoke(self, ctx: Any) -> Any:
        """Apply global options given after the group's name; its subcommand inherits them."""
        _take_globals(self, ctx)
        return super().invoke(ctx)


def _with_globals(command: Any, ctx: Any, params: list[Any]) -> list[Any]:
    """``params`` with the root's global options the command lacks added before --help."""
    root = ctx.find_root()
    if root is ctx or root.command is None:
        return params  # invoked on its own (tests): no root options to share
    own = {p.name for p in params}
    extra = [p for p in root.command.params if p.name in GLOBAL_OPTION_NAMES and p.name not in own]
    help_option = command.get_help_option(ctx)
    if help_option is not None and params and params[-1] is help_option:
        return [*params[:-1], *extra, help_option]
    return [*params, *extra]


def _take_globals(command: Any, ctx: Any) -> None:
    """Move the global options given to a command or group into this invocation's options."""
    from typer._click.core import ParameterSource

    given = {}
    for name in GLOBAL_OPTION_NAMES:
        if name in ctx.params and name not in _own_param_names(command):
            value = ctx.params.pop(name)
            if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE:
                given[name] = value
    if given:
        _apply_globals(ctx, given)


def _own_param_names(command: Any) -> set[str]:
    return {p.name for p in command.params if p.name}


def _apply_globals(ctx: Any, given: dict[str, Any]) -> None:
    """Merge command-level global options into this invocation's options (the command's value wins)."""
    from ._output import set_quiet

    opts = options(ctx)
    if "verbose" in given:
        given["verbose"] = opts.verbose + given["verbose"]  # `exofop -v fetch X -v` is -vv
    merged = opts._replace(**given)  # flags (--offline, -q) given on the command line are True
    ctx.obj = merged
    if "quiet" in given or "verbose" in given:
        set_quiet(merged.quiet)
        _configure_logging(merged.verbose, quiet=merged.quiet)


class ExoFopTyper(typer.Typer):
    """``typer.Typer`` whose commands are ``ExoFopCommand``s."""

    def command(self, name: str | None = None, *, cls: Any = None, **kwargs: Any) -> Any:
        """Register a command (an ``ExoFopCommand`` unless ``cls`` says otherwise)."""
        return super().command(name, cls=cls or ExoFopCommand, **kwargs)


# Every app: plain Click help (Rich help would import Rich on each --help), no Typer completion options
# (exofop completion SHELL instead), no pretty tracebacks (the error boundary prints one line), -h too.
_APP_DEFAULTS: dict[str, Any] = {
    "rich_markup_mode": None,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    "context_settings": {"help_option_names": ["-h", "--help"], "max_content_width": 110},
}


def new_app(help_text: str | None = None, **kwargs: Any) -> typer.Typer:
    """A command-group app with exofop's conventions and the error boundary."""
    kwargs.setdefault("cls", SubGroup)
    return ExoFopTyper(help=help_text, no_args_is_help=True, **_APP_DEFAULTS, **kwargs)


def command_app() -> typer.Typer:
    """An app holding exactly one command (built by ``LazyGroup`` when that command runs)."""
    return ExoFopTyper(**_APP_DEFAULTS)


app = new_app(
    "Fetch ExoFOP-TESS follow-up files and tables into a deterministic local cache with a manifest.",
    cls=LazyGroup,
    epilog=examples(
        ("What ExoFOP knows about a star (TIC id, TOIs, names)", "exofop resolve TOI-1262"),
        ("Its files, and which are cached", "exofop ls TOI-1262"),
        ("Download its spectra into the cache", "exofop fetch TOI-1262 --types Spectrum"),
        ("Where the cache is, and what it holds", "exofop cache ls"),
        after=EXIT_CODES_HELP,
    ),
)


class GlobalOptions(NamedTuple):
    """Options given before the command name."""

    cache_dir: Path | None
    base_url: str | None
    cookie_jar: Path | None
    timeout: float
    offline: bool
    quiet: bool
    verbose: int
    max_file_size: int = config.DEFAULT_MAX_FILE_SIZE


_SIZE_UNITS = {"": 1, "b": 1, "k": 1000, "m": 1000**2, "g": 1000**3, "t": 1000**4}


def parse_size(text: str | int) -> int:
    """``8GiB``, ``500MB``, ``1.5G``, ``123456`` → bytes (``KiB``/``MiB``/``GiB`` binary, ``KB``/``MB`` and a bare
    ``K``/``M``/``G`` decimal, as ``ls`` and ``du`` print them); ``typer.BadParameter`` otherwise."""
    if isinstance(text, int):
        return text  # the default, already in bytes
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*", text, re.IGNORECASE)
    if m is None or (m.group(3) and not m.group(2)):
        raise typer.BadParameter(f"{text!r} is not a size; e.g. 8GiB, 500MB or 1048576")
    unit = m.group(2).lower()
    factor = 1024 ** "bkmgt".index(unit) if m.group(3) else _SIZE_UNITS[unit]
    size = int(float(m.group(1)) * factor)
    if size <= 0:
        raise typer.BadParameter(f"{text!r}: the limit must be above 0 bytes")
    return size


def _version_callback(value: bool) -> None:
    if value:
        from .._version import __version__

        typer.echo(f"exofop {__version__}")
        raise typer.Exit()


def _configure_logging(verbose: int, *, quiet: bool = False) -> None:
    # The library's logger has a NullHandler (a library never prints): the CLI shows its records on stderr,
    # escaped like every other message (``_output.clean``). Without -v or -q nothing is imported here
    # (logging costs ~15 ms, a warm run must not pay it): the warnings handler is attached when the first
    # request is made (``make_client``), when httpx has imported logging anyway. What an earlier in-process
    # run set (tests, CliRunner) is undone first.
    if "logging" not in sys.modules and verbose <= 0 and not quiet:
        return
    import logging

    for name in ("exofop", "httpx"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.NOTSET)
        for old in [h for h in logger.handlers if getattr(h, "name", None) == "exofop-cli"]:
            logger.removeHandler(old)
    if quiet:
        logging.getLogger("exofop").setLevel(logging.ERROR)
        return
    if verbose <= 0:
        return
    handler = _log_handler("exofop: %(message)s")
    logger = logging.getLogger("exofop")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO if verbose == 1 else logging.DEBUG)
    if verbose >= 3:
        logging.getLogger("httpx").addHandler(handler)
        logging.getLogger("httpx").setLevel(logging.DEBUG)


def _log_handler(fmt: str) -> Any:
    """A stderr handler whose lines are escaped like every message (server text may hold ESC sequences)."""
    import logging

    from ._output import clean

    class CleanFormatter(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            return clean(super().format(record))

    handler = logging.StreamHandler()
    handler.set_name("exofop-cli")
    handler.setFormatter(CleanFormatter(fmt))
    return handler


def _show_warnings() -> None:
    """Show the library's warnings (a long Retry-After wait...) on stderr unless -q or -v set a handler."""
    import logging

    logger = logging.getLogger("exofop")
    if (
        any(getattr(h, "name", None) == "exofop-cli" for h in logger.handlers)
        or logger.level >= logging.ERROR
    ):
        return
    handler = _log_handler("warning: %(message)s")
    handler.setLevel(logging.WARNING)
    logger.addHandler(handler)


@app.callback()
def main_callback(
    ctx: typer.Context,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            metavar="DIR",
            help=f"Cache folder (default: ${config.ENV_CACHE_DIR}, else the platform's user cache folder).",
            show_default=False,
        ),
    ] = None,
    base_url: Annotated[
        str | None,
        typer.Option(
            "--base-url",
            envvar=config.ENV_BASE_URL,
            metavar="URL",
            help=f"ExoFOP base URL (default: {config.DEFAULT_BASE_URL}).",
            show_default=False,
        ),
    ] = None,
    cookie_jar: Annotated[
        Path | None,
        typer.Option(
            "--cookie-jar",
            envvar=config.ENV_COOKIE_JAR,
            metavar="FILE",
            help="Netscape cookie jar from curl/wget or `exofop auth login` (read only).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0.1,
            metavar="SECONDS",
            help="Seconds ExoFOP may stay silent, or send less than "
            f"{config.MIN_TRANSFER_RATE // 1024} KiB/s, before a request times out (a slow download that keeps "
            f"that pace never does; connecting has its own {config.DEFAULT_CONNECT_TIMEOUT_SECONDS:g} s limit).",
        ),
    ] = config.DEFAULT_TIMEOUT_SECONDS,
    max_file_size: Annotated[
        int,
        typer.Option(
            "--max-file-size",
            metavar="SIZE",
            parser=parse_size,
            help="Refuse a file larger than this (default 8GiB; 500MB, 20GiB...), whether its size is "
            "announced or not, and however well it is compressed.",
            show_default=False,
        ),
    ] = config.DEFAULT_MAX_FILE_SIZE,
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
        typer.Option(
            "-v",
            "--verbose",
            count=True,
            show_default=False,
            help="More detail on stderr (-v retries, -vvv HTTP); repeatable.",
        ),
    ] = 0,
    version: Annotated[
        bool, typer.Option("--version", callback=_version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Fetch ExoFOP-TESS follow-up files and tables into a deterministic local cache with a manifest."""
    from ._output import set_quiet

    set_quiet(quiet)
    _configure_logging(verbose, quiet=quiet)
    ctx.obj = GlobalOptions(
        cache_dir=cache_dir,
        base_url=base_url,
        cookie_jar=cookie_jar,
        timeout=timeout,
        offline=offline,
        quiet=quiet,
        verbose=verbose,
        max_file_size=max_file_size,
    )


def options(ctx: typer.Context) -> GlobalOptions:
    """The global options of this invocation (defaults when a command is invoked on its own in tests)."""
    obj = ctx.find_object(GlobalOptions)
    if obj is None:
        return GlobalOptions(None, None, None, config.DEFAULT_TIMEOUT_SECONDS, False, False, 0)
    return obj


def make_client(ctx: typer.Context, *, jobs: int | None = None, progress: bool = False) -> "ExoFopClient":
    """An ``ExoFopClient`` configured from the global options (imported lazily)."""
    from ..client import ExoFopClient
    from ._output import warn_line

    opts = options(ctx)
    listener = None
    if progress and not opts.quiet and sys.stderr.isatty():
        # Only a terminal draws progress: pipes, scripts and benchmarks never load the view.
        from ._progress import RichProgress

        listener = RichProgress()
    client = ExoFopClient(
        cache_dir=opts.cache_dir,
        base_url=opts.base_url,
        cookie_jar_path=opts.cookie_jar,
        timeout_seconds=opts.timeout,
        max_file_size=opts.max_file_size,
        jobs=jobs if jobs is not None else config.DEFAULT_JOBS,
        offline=opts.offline or None,
        progress=listener,
        on_first_request=_show_warnings if not opts.quiet and opts.verbose <= 0 else None,
    )
    for notice in client.notices:
        warn_line(notice)
    client.notices.clear()
    return client
