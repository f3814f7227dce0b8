"""Shell completion: the committed scripts are current, and TAB answers from the cache without network."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exofop_cli.cli import app
from exofop_cli.cli.completion_cmd import SHELLS, completion_script
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
    parts = words.split(" ")
    env = {
        **os.environ,
        "_EXOFOP_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(parts) - 1),
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
    return out.stdout.split()


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
