"""``exofop completion SHELL``: print the shell script that enables TAB completion (no network, no cache)."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

from typing import Annotated

import typer

from ._app import command_app
from ._output import emit_line

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_EXOFOP_COMPLETE"

completion_app = command_app()


def completion_script(shell: str) -> str:
    """The completion script for ``shell``; the files in ``completions/`` are exactly these."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="exofop", complete_var=COMPLETE_VAR, shell=shell)


@completion_app.command()
def completion(
    shell: Annotated[str, typer.Argument(help="bash, zsh or fish.", show_default=False)],
) -> None:
    """Print the TAB-completion script for bash, zsh or fish."""
    if shell not in SHELLS:
        from ..errors import InvalidInputError

        raise InvalidInputError(f"unsupported shell {shell!r}", hint="choose bash, zsh or fish")
    emit_line(completion_script(shell))
