"""``exofop auth login|status|logout``: keep an ExoFOP session for proprietary data."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

import os
import sys
import time
from typing import Annotated

import typer

from .. import config
from ._app import new_app, options
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
    from ..ops.auth import check_login_options, check_online, login

    opts = options(ctx)
    check_online(opts.offline or None)  # before prompting for anything
    check_login_options(base_url=opts.base_url, timeout_seconds=opts.timeout)
    password = os.environ.get(config.ENV_PASSWORD) or None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    if username is None:
        username = typer.prompt("ExoFOP username", err=True)
    if password is None:
        password = typer.prompt("ExoFOP password", hide_input=True, err=True)
    result = login(
        username=username,
        password=password,
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
    if check:
        data["online"] = _check_online(ctx) if info.exists else None
    if as_json:
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
    if data.get("online"):
        emit_line(f"online\t{data['online']['state']}: {data['online']['seen']}")


def _check_online(ctx: typer.Context) -> dict[str, str]:
    """{state, seen} from asking ExoFOP's home page with the jar (``ops.auth.check_session``)."""
    from ..ops.auth import check_session
    from ._app import make_client

    with make_client(ctx) as client:
        state, seen = check_session(client.http)
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
