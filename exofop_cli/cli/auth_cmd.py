"""``exofop auth login|status|logout``: keep an ExoFOP session for proprietary data."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

import sys
import time
from typing import Annotated

import typer

from .. import config
from ._app import make_client, new_app, options
from ._help import examples
from ._output import emit_json, emit_line, note_line, warn_line

auth_app = new_app(
    "Log in to ExoFOP for proprietary (TFOP working group) data.",
    epilog=examples(
        ("Log in once (asks for user and password); later commands send the session", "exofop auth login"),
        ("Is there a session, and until when?", "exofop auth status"),
    ),
)


@auth_app.command(
    "login",
    epilog=examples(
        ("Asks for the user name and password", "exofop auth login"),
        (
            "Without a prompt (CI): the password from a file or a secret store",
            "exofop auth login -u jdoe --password-stdin < ~/.exofop-password",
        ),
    ),
)
def auth_login(
    ctx: typer.Context,
    username: Annotated[
        str | None,
        typer.Option(
            "--username",
            "-u",
            metavar="NAME",
            envvar=config.ENV_USERNAME,
            help="ExoFOP user name (prompted if missing).",
            show_default=False,
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
) -> None:
    """Log in and save the session cookie jar (mode 0600) used by later commands."""
    from ..ops.auth import login

    opts = options(ctx)
    # The library checks offline mode, the base URL and the timeout before it asks for anything.
    result = login(
        username=username if username is not None else _ask_username,
        password=_read_password_line if password_stdin else None,
        ask_password=_ask_password,  # when neither --password-stdin nor EXOFOP_PASSWORD gave one
        base_url=opts.base_url,
        timeout_seconds=opts.timeout,
        offline=opts.offline or None,
    )
    expiry = (
        time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(result.expires))
        if result.expires
        else "when ExoFOP ends the session (about 7 days)"
    )
    note_line(f"logged in; session saved to {result.jar_path} (expires {expiry})")
    if opts.cookie_jar:
        warn_line(
            f"--cookie-jar / {config.ENV_COOKIE_JAR} is set: later commands send {opts.cookie_jar}, "
            "not this session, until it is unset"
        )


def _ask_username() -> str:
    return _ask("ExoFOP username", hide=False, ways="--username NAME or EXOFOP_USERNAME")


def _ask_password() -> str:
    return _ask("ExoFOP password", hide=True, ways="--password-stdin or EXOFOP_PASSWORD")


def _ask(what: str, *, hide: bool, ways: str) -> str:
    """Prompt on a terminal; from a pipe, read a line, and when there is none say how to give it (exit 2)."""
    if sys.stdin.isatty():
        return str(typer.prompt(what, hide_input=hide, err=True))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line.strip():
        from ..errors import InvalidInputError

        raise InvalidInputError(f"no {what} given, and stdin is not a terminal to ask on", hint=f"use {ways}")
    return line


def _read_password_line() -> str:
    return sys.stdin.readline().rstrip("\r\n")


@auth_app.command(
    "status",
    epilog=examples(
        ("Whether a session is saved, and when it expires", "exofop auth status"),
        ("As JSON", "exofop auth status --json"),
    ),
)
def auth_status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Also ask ExoFOP whether it still accepts the session.")
    ] = False,
) -> None:
    """Show whether a saved session exists and when it expires."""
    from ..ops.auth import status

    opts = options(ctx)
    info = status(opts.cookie_jar, base_url=opts.base_url)
    for warning in info.warnings:
        warn_line(warning)
    data = info.to_dict()
    if as_json:
        if check:  # asked before anything is printed: a check that fails leaves stdout empty
            data["online"] = _check_online(ctx) if info.exists else None
        emit_json(data)
        return
    expires = data["expires"]
    state = {
        "logged_in": "logged in",
        "expired": f"session expired{' on ' + expires if expires else ''}: log in again (`exofop auth login`)",
        "anonymous": "anonymous (the jar holds no ExoFOP session cookie)",
        "none": "not logged in",
    }[info.state]
    emit_line(f"status\t{state}")
    emit_line(f"jar\t{data['jar_path']}")
    if info.exists:
        emit_line(f"saved\t{data['saved_at']}")
        if info.state != "anonymous":
            emit_line(
                f"expires\t{expires or 'unknown (browser-session cookie; ExoFOP sessions last ~7 days)'}"
            )
    if check and info.exists:  # after the local lines: they stand even when ExoFOP cannot be asked
        online = _check_online(ctx)
        emit_line(f"online\t{online['state']}: {online['seen']}")


def _check_online(ctx: typer.Context) -> dict[str, str]:
    """{state, seen} from asking ExoFOP's home page with the jar (``ExoFopClient.session_state``)."""
    with make_client(ctx) as client:
        state, seen = client.session_state()
    return {"state": state, "seen": seen}


@auth_app.command(
    "logout",
    epilog=examples(
        ("Forget the saved session", "exofop auth logout"),
    ),
)
def auth_logout(ctx: typer.Context) -> None:
    """Delete the saved session cookie jar."""
    from ..ops.auth import logout

    # Only the session `auth login` saved: a jar given with --cookie-jar / EXOFOP_COOKIE_JAR belongs to the
    # user (a curl or wget jar) and exofop never writes it.
    removed = logout()
    note_line("session removed" if removed else "no saved session")
    if options(ctx).cookie_jar:
        note_line(f"{options(ctx).cookie_jar} (--cookie-jar / {config.ENV_COOKIE_JAR}) is left as it is")
