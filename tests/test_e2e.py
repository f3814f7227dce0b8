"""End to end: the installed ``exofop`` command, in a subprocess, against the fake ExoFOP over real HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from exofop_cli.testing import DEMO_TIC, FakeExoFop

from .test_fetch_library import assert_manifest_matches_disk

pytestmark = pytest.mark.e2e


def exofop_command() -> list[str]:
    """The console script installed next to this Python (the README's install), else ``python -m``."""
    script = Path(sys.executable).with_name("exofop")
    if script.is_file():
        return [str(script)]
    found = shutil.which("exofop")
    return [found] if found else [sys.executable, "-m", "exofop_cli"]


def run(fake: FakeExoFop, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(cache)}
    return subprocess.run(
        [*exofop_command(), *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_fetch_then_warm_rerun_is_offline_and_identical(fake: FakeExoFop, cache_dir: Path) -> None:
    first = run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Spectrum", "--regex", "TRES")
    assert first.returncode == 0, first.stderr
    root = cache_dir / "exofop" / f"tic_{DEMO_TIC}"
    assert first.stdout == f"{root}\t{root / 'manifest.json'}\n"
    manifest_bytes = (root / "manifest.json").read_bytes()
    assert_manifest_matches_disk(root / "manifest.json")

    fake.reset_log()
    second = run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Spectrum", "--regex", "TRES")
    assert second.returncode == 0
    assert fake.requests == []  # zero network calls
    assert (root / "manifest.json").read_bytes() == manifest_bytes
    assert "0 downloaded" in second.stderr and "2 already cached" in second.stderr


def test_json_goes_to_stdout_only(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "ls", str(DEMO_TIC), "--json")
    assert result.returncode == 0
    rows = json.loads(result.stdout)
    assert len(rows) == len(fake.targets[DEMO_TIC].files)
    fetched = run(fake, cache_dir, "fetch", str(DEMO_TIC), "--json")
    assert fetched.returncode == 3  # the proprietary file needs a login
    (result_obj,) = json.loads(fetched.stdout)
    assert [e["kind"] for e in result_obj["errors"]] == ["auth_required"]
    assert "auth_required" in fetched.stderr


def test_python_dash_m_matches_console_script(fake: FakeExoFop, cache_dir: Path) -> None:
    env = {**os.environ, "EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(cache_dir)}
    module = subprocess.run(
        [sys.executable, "-m", "exofop_cli", "resolve", "HD 104654", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    script = run(fake, cache_dir, "resolve", "HD 104654", "--json")
    assert module.returncode == script.returncode == 0
    assert json.loads(module.stdout) == json.loads(script.stdout)


def test_warm_run_does_not_import_network_or_rich(fake: FakeExoFop, cache_dir: Path) -> None:
    """Start-up discipline: a fully cached fetch imports neither httpx nor Rich."""
    assert run(fake, cache_dir, "fetch", str(DEMO_TIC), "--tag", "30002").returncode == 0
    probe = (
        "import sys\n"
        "from exofop_cli.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    code = exc.code\n"
        "heavy = sorted(m for m in ('httpx', 'rich', 'rich.progress', 'rich.table', 'platformdirs', 'hashlib')\n"
        "               if m in sys.modules)\n"
        "print(code, heavy, file=sys.stderr)\n"
    )
    env = {**os.environ, "EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(cache_dir)}
    out = subprocess.run(
        [sys.executable, "-c", probe, "fetch", str(DEMO_TIC), "--tag", "30002"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.stderr.strip().splitlines()[-1] == "0 []"
