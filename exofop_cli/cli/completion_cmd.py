"""``exofop completion SHELL``: print the shell script that enables TAB completion (no network, no cache)."""

# No `from __future__ import annotations` here: Typer would eval every string annotation on each start
# (about 5 ms); real annotations are compiled into the .pyc once.

from typing import Annotated

import typer

from ._app import command_app
from ._help import examples
from ._output import emit_line

SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_EXOFOP_COMPLETE"

completion_app = command_app()


def completion_script(shell: str) -> str:
    """The completion script for ``shell``; the files in ``completions/`` are exactly these."""
    from ._shells import script

    return script(shell, prog="exofop", var=COMPLETE_VAR)


def _complete_shell(incomplete: str) -> list[str]:
    return [s for s in SHELLS if s.startswith(incomplete.lower())]


@completion_app.command(
    epilog=examples(
        (
            "bash (with the bash-completion package)",
            "exofop completion bash > ~/.local/share/bash-completion/completions/exofop",
        ),
        (
            "zsh (with fpath=(~/.zfunc $fpath) before compinit in ~/.zshrc)",
            "mkdir -p ~/.zfunc && exofop completion zsh > ~/.zfunc/_exofop",
        ),
        ("fish", "exofop completion fish > ~/.config/fish/completions/exofop.fish"),
        ("Try it in this shell only (bash)", "source <(exofop completion bash)"),
    )
)
def completion(
    shell: Annotated[
        str,
        typer.Argument(
            metavar="SHELL",
            help="bash, zsh or fish.",
            autocompletion=_complete_shell,
            show_default=False,
        ),
    ],
) -> None:
    """Print the TAB-completion script for bash, zsh or fish."""
    if shell not in SHELLS:
        from ..errors import InvalidInputError

        raise InvalidInputError(f"unsupported shell {shell!r}", hint="choose bash, zsh or fish")
    emit_line(completion_script(shell))
