"""Shell completion: the committed scripts are current, and TAB answers from the cache without network."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exofop_cli.cli import app
from exofop_cli.cli.completion_cmd import SHELLS, completion_script
from exofop_cli.models import ExoFopSelectors
from exofop_cli.testing import DEMO_TIC, FakeExoFop

from ..conftest import make_client

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("shell", SHELLS)
def test_committed_scripts_are_up_to_date(shell: str) -> None:
    committed = (ROOT / "completions" / f"exofop.{shell}").read_text()
    assert committed == completion_script(shell) + "\n", (
        f"completions/exofop.{shell} is stale: run `exofop completion {shell} > completions/exofop.{shell}`"
    )
    assert CliRunner().invoke(app, ["completion", shell]).stdout == committed


def _tab(words: str, cache: Path, *, extra_env: dict[str, str] | None = None) -> list[str]:
    """What bash completion would offer for the command line ``words`` (cursor at its end)."""
    return [value for _type, value in _tab_items(words, cache, extra_env=extra_env)]


def _tab_items(
    words: str, cache: Path, *, shell: str = "bash", extra_env: dict[str, str] | None = None
) -> list[tuple[str, str]]:
    """The program's answer to a TAB, as (type, value) pairs (bash's protocol: ``TYPE,VALUE`` lines)."""
    parts = words.split(" ")
    env = {
        **os.environ,
        "_EXOFOP_COMPLETE": f"complete_{shell}",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
        "_TYPER_COMPLETE_ARGS": words,
        "EXOFOP_CACHE_DIR": str(cache),
        # Any request would go here and fail: completion must not need it.
        "EXOFOP_BASE_URL": "http://127.0.0.1:9/tess/",
        **(extra_env or {}),
    }
    out = subprocess.run(
        [sys.executable, "-c", "from exofop_cli.cli import main; main()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    if shell != "bash":
        return [("raw", out.stdout)]
    return [(line.partition(",")[0], line.partition(",")[2]) for line in out.stdout.splitlines() if line]


def test_tab_completes_commands_and_options(cache_dir: Path) -> None:
    assert {"fetch", "ls", "summaries", "cache"} <= set(_tab("exofop ", cache_dir))
    assert _tab("exofop fe", cache_dir) == ["fetch"]
    assert "--types" in _tab("exofop fetch --ty", cache_dir)
    assert {"ls", "verify", "prune", "path"} <= set(_tab("exofop cache ", cache_dir))


def test_tab_completes_values_from_the_cache(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir) as client:
        client.fetch(target="TOI-1262", include_summaries=False)
    assert set(_tab("exofop fetch --types ", cache_dir)) >= {"Image", "Spectrum", "Light_Curve", "Notes"}
    assert _tab("exofop ls X --types Image,Sp", cache_dir) == ["Image,Spectrum"]
    assert set(_tab("exofop summaries X --kind ", cache_dir)) >= {"spect", "imaging", "obsnotes"}
    assert _tab("exofop summaries X --kind sp", cache_dir) == ["spect"]
    assert set(_tab("exofop fetch ", cache_dir)) >= {str(DEMO_TIC), "TOI-1262"}
    assert _tab("exofop ls TOI-12", cache_dir) == ["TOI-1262"]


def test_tab_survives_hand_edited_manifests(cache_dir: Path) -> None:
    for tic, text in [(1, '{"target": [1]}'), (2, '{"target": {"toi": "5.01"}}'), (3, "[]"), (4, "{")]:
        folder = cache_dir / "exofop" / f"tic_{tic}"
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(text)
    assert set(_tab("exofop fetch ", cache_dir)) >= {"1", "2", "3", "4"}


def test_values_match_ignoring_case_and_lists_take_no_space(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir) as client:
        client.fetch(target="TOI-1262", include_summaries=False)
    assert _tab_items("exofop ls X --types sp", cache_dir) == [("nospace", "Spectrum")]
    assert _tab_items("exofop ls X --types image,SP", cache_dir) == [("nospace", "image,Spectrum")]
    assert _tab_items("exofop fetch toi-12", cache_dir) == [("plain", "TOI-1262")]
    assert _tab_items("exofop summaries X --kind SP", cache_dir) == [("nospace", "spect")]
    assert _tab_items("exofop summaries X --kind spect,im", cache_dir) == [("nospace", "spect,imaging")]
    assert _tab_items("exofop completion Z", cache_dir) == [("plain", "zsh")]
    assert ("plain", "fetch") in _tab_items("exofop fe", cache_dir)
    assert _tab("exofop FE", cache_dir) == []  # command names are case-sensitive, as Click parses them


def test_zsh_and_fish_answers(cache_dir: Path) -> None:
    ((_raw, zsh),) = _tab_items("exofop ls X --types spe", cache_dir, shell="zsh")
    assert zsh.splitlines() == ["nospace", "Spectrum", "_"]
    ((_raw, fish),) = _tab_items(
        "exofop ls X --types spe",
        cache_dir,
        shell="fish",
        extra_env={"_TYPER_COMPLETE_FISH_ACTION": "get-args"},
    )
    # fish adds a space after a lone completion, not after a shared prefix: the comma twin keeps it off.
    assert fish.splitlines() == ["Spectrum", "Spectrum,"]


BASH_DRIVER = """
source "$1"
calls=()
compopt() { calls+=("compopt $*"); }  # only a live TAB may call the real one
COMP_WORDS=("${@:2}")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_exofop_completion exofop  # runs `exofop` from PATH, as a TAB does
echo "${#COMPREPLY[@]} candidates"
printf '%s\n' "${COMPREPLY[@]}"
printf '%s\n' "${calls[@]}" >&2
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_the_bash_script_sets_nospace_and_leaves_paths_to_bash(cache_dir: Path) -> None:
    script = ROOT / "completions" / "exofop.bash"
    if not (Path(sys.executable).parent / "exofop").is_file():
        pytest.skip("needs the installed `exofop` console script")
    env = {**os.environ, "EXOFOP_CACHE_DIR": str(cache_dir)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"

    def complete(*words: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "--norc", "-c", BASH_DRIVER, "driver", str(script), "exofop", *words],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )

    listed = complete("ls", "X", "--types", "ima")
    assert listed.stdout.splitlines() == ["1 candidates", "Image"]
    assert listed.stderr.splitlines() == ["compopt -o nospace"]
    # No candidate at all (not one empty word, which bash would take and follow with a space): bash then
    # completes file names (-o default).
    nothing = complete("ls", "X", "--types", "zzz")
    assert nothing.stdout.splitlines()[0] == "0 candidates" and nothing.stderr.strip() == ""
    folder = complete("contrast", "X", "--export", "tri")
    assert folder.stdout.splitlines()[0] == "0 candidates"
    assert folder.stderr.splitlines() == ["compopt -o dirnames"]
    archive = complete("fetch", "X", "--archive", "")
    assert archive.stdout.splitlines() == ["4 candidates", "auto", "zip", "tar", "off"]


def test_path_options_are_answered_as_paths(cache_dir: Path) -> None:
    # Typer's path type answered nothing, which bash read as one empty candidate (Tab typed a space).
    assert _tab_items("exofop contrast X --export tri", cache_dir) == [("dir", "tri")]
    assert _tab_items("exofop --cache-dir /tmp/x", cache_dir) == [("dir", "/tmp/x")]
    assert _tab_items("exofop fetch X --to re", cache_dir) == [("dir", "re")]
    assert _tab_items("exofop fetch X --from li", cache_dir) == [("file", "li")]
    ((_raw, fish),) = _tab_items(
        "exofop fetch X --to re",
        cache_dir,
        shell="fish",
        extra_env={"_TYPER_COMPLETE_FISH_ACTION": "get-args"},
    )
    assert fish.strip() == ""  # fish completes file names itself when the answer is empty


def test_option_values_complete_ignoring_case(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir) as client:
        client.fetch(target="TOI-1262", selectors=ExoFopSelectors(types={"Notes"}))  # + summaries
    assert _tab("exofop fetch X --archive ", cache_dir) == ["auto", "zip", "tar", "off"]
    assert _tab("exofop fetch X --archive Z", cache_dir) == ["zip"]
    assert _tab("exofop lightcurves X --normalize O", cache_dir) == ["oot"]
    assert _tab("exofop lightcurves X --filter k", cache_dir) == ["K"]
    assert "K" in _tab("exofop contrast X --filter k", cache_dir)
    assert set(_tab("exofop contrast X --filter 1001=ks", cache_dir)) == {"1001=Ks"}
    assert _tab("exofop ls X --instrument tr", cache_dir) == ["TRES"]
    assert "Alopeke" in _tab("exofop ls X --instrument ", cache_dir)


def test_choices_are_accepted_ignoring_case(cache_dir: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "--cache-dir",
            str(cache_dir),
            "lightcurves",
            "1",
            "--period",
            "1",
            "--epoch",
            "1",
            "--normalize",
            "OOT",
        ],
    )
    assert "Invalid value" not in result.stderr and "--normalize" not in result.stderr
