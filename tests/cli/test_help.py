"""--help reads plainly: simple metavars, the known values, the global options apart, examples that parse."""

from __future__ import annotations

import shlex
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from exofop_cli.cli import app
from exofop_cli.cli._app import COMMANDS
from exofop_cli.cli.completion_cmd import SHELLS
from exofop_cli.remote.endpoints import SUMMARY_KINDS
from exofop_cli.targets import KNOWN_FILE_TYPES

runner = CliRunner()
LEAF_COMMANDS = [
    ["resolve"],
    ["ls"],
    ["fetch"],
    ["summaries"],
    ["contrast"],
    ["lightcurves"],
    ["toi"],
    ["ctoi"],
    ["doctor"],
    ["completion"],
    ["cache", "ls"],
    ["cache", "path"],
    ["cache", "verify"],
    ["cache", "prune"],
    ["auth", "login"],
    ["auth", "status"],
    ["auth", "logout"],
]
GROUPS: list[list[str]] = [[], ["cache"], ["auth"]]
MACHINE_MADE = (
    "<int",
    "<str>",
    "<path>",
    "<float",
    "range>",
    "x>=",
    "<=x",
    "{",
    "}",
    "[default: 0]",
    "[target",
)


def help_of(words: list[str]) -> str:
    result = runner.invoke(app, [*words, "--help"], env={"COLUMNS": "100"}, prog_name="exofop")
    assert result.exit_code == 0, result.stderr
    return result.stdout


def section(text: str, heading: str) -> str:
    """The lines of one section of a help text (up to the next heading)."""
    lines = text.split(f"\n{heading}:\n", 1)[1].splitlines()
    body = []
    for line in lines:
        if line and not line.startswith(" "):
            break
        body.append(line)
    return "\n".join(body)


@pytest.mark.parametrize("words", LEAF_COMMANDS + GROUPS, ids=lambda w: " ".join(w) or "exofop")
def test_help_has_plain_metavars_and_examples(words: list[str]) -> None:
    text = help_of(words)
    for noise in MACHINE_MADE:
        assert noise not in text.replace("${fpath[1]}", ""), f"{noise!r} in `exofop {' '.join(words)} --help`"
    examples = section(text, "Examples").split("\n  Exit codes:")[0]  # the root's closing paragraph
    lines = [line.strip() for line in examples.splitlines() if line.strip()]
    assert lines and all(line.startswith(("# ", "exofop ", "cd ", "source ", "mkdir ")) for line in lines)
    assert any(line.startswith(f"exofop {' '.join(words)}".rstrip()) for line in lines)
    assert text.rstrip().endswith(lines[-1]) or not words  # at the end (the root ends with the exit codes)


@pytest.mark.parametrize("words", LEAF_COMMANDS + GROUPS[1:], ids=" ".join)
def test_global_options_have_their_own_heading(words: list[str]) -> None:
    text = help_of(words)
    shared = section(text, "Global options")
    for option in (
        "--cache-dir DIR",
        "--base-url URL",
        "--cookie-jar FILE",
        "--timeout SECONDS",
        "--offline",
    ):
        assert option in shared
        assert option not in section(text, "Options")
    assert "-v, --verbose" in shared and "-h, --help" in section(text, "Options")


def test_known_values_are_listed() -> None:
    fetch = help_of(["fetch"])
    assert "-t, --types TYPE[,TYPE...]" in fetch and "--regex PATTERN" in fetch and "--jobs N" in fetch
    assert all(t in fetch for t in KNOWN_FILE_TYPES)
    assert "--archive auto|zip|tar|off" in fetch and "1 to 16" in fetch
    assert "Usage: exofop fetch [OPTIONS] [TARGET...]" in fetch
    kinds = section(help_of(["summaries"]), "Options")
    assert all(kind in kinds for kind in SUMMARY_KINDS)
    completion = help_of(["completion"])
    assert "Usage: exofop completion [OPTIONS] SHELL" in completion
    assert all(shell in section(completion, "Arguments") for shell in SHELLS)
    assert "--filter BAND" in help_of(["lightcurves"]) and "--older-than AGE" in help_of(["cache", "prune"])


def _parse(argv: list[str]) -> None:
    """Parse a command line the way a run would, without running it (a usage error raises)."""
    group: Any = typer.main.get_command(app)
    ctx = group.make_context("exofop", argv)
    while True:
        name, command, rest = group.resolve_command(ctx, [*ctx._protected_args, *ctx.args])
        ctx = command.make_context(name, rest, parent=ctx)
        if not isinstance(command, typer.core.TyperGroup):
            return
        group = command


def _example_lines() -> list[str]:
    lines = []
    for words in LEAF_COMMANDS + GROUPS:
        for line in section(help_of(words), "Examples").splitlines():
            for part in line.replace("&&", "|").split("|"):
                command = part.strip().split(" > ")[0].split(" < ")[0]
                if command.startswith("exofop "):
                    lines.append(command)
    return sorted(set(lines))


@pytest.mark.parametrize("line", _example_lines())
def test_every_example_parses(line: str) -> None:
    _parse(shlex.split(line)[1:])


def test_a_bad_example_would_be_caught() -> None:
    with pytest.raises(Exception, match="No such option"):
        _parse(["ls", "TOI-1262", "--no-such-option"])


def test_every_command_is_covered() -> None:
    assert {w[0] for w in LEAF_COMMANDS} == set(COMMANDS)


def test_global_options_work_after_a_group_name(tmp_path: Any) -> None:
    """`exofop cache --cache-dir D ls` as `exofop --cache-dir D cache ls`; the later value wins."""
    here, there = tmp_path / "a", tmp_path / "b"
    env = {"EXOFOP_CACHE_DIR": str(tmp_path / "env")}
    result = runner.invoke(app, ["cache", "--cache-dir", str(here), "path"], env=env)
    assert result.exit_code == 0 and result.stdout.strip() == str(here / "exofop")
    result = runner.invoke(
        app, ["cache", "--cache-dir", str(here), "path", "--cache-dir", str(there)], env=env
    )
    assert result.stdout.strip() == str(there / "exofop")
    result = runner.invoke(app, ["auth", "--offline", "-q", "status"], env=env)
    assert result.exit_code == 0 and result.stderr == ""
