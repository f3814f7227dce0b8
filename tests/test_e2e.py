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


PROBE = (
    "import sys\n"
    "from exofop_cli.cli import app\n"  # app, not main: main would leave through os._exit before the print
    "try:\n    app(prog_name='exofop')\nexcept SystemExit as exc:\n    code = exc.code\n"
    "import os\n"
    "watch = os.environ['PROBE_WATCH'].split(',')\n"
    "print(code, sorted(m for m in watch if m in sys.modules), file=sys.stderr)\n"
)


def probe_modules(fake: FakeExoFop, cache: Path, args: list[str], watch: list[str]) -> str:
    """Run the CLI in a fresh interpreter; '<exit code> [<watched modules that got imported>]'."""
    env = {
        **os.environ,
        "EXOFOP_BASE_URL": fake.base_url,
        "EXOFOP_CACHE_DIR": str(cache),
        "PROBE_WATCH": ",".join(watch),  # not in argv: the CLI must see only its own arguments
    }
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return out.stderr.strip().splitlines()[-1]


HEAVY = ["httpx", "rich", "rich.progress", "rich.table", "platformdirs", "hashlib"]
# The public types are frozen dataclasses (the spec's), so `dataclasses` is on the warm path now; the fetch
# machinery, the parsers and csv are not.
FULL_FETCH = [
    "exofop_cli.ops.fetcher",
    "exofop_cli.ops.fetch_files",
    "exofop_cli.ops.fetch_state",
    "exofop_cli.store.manifest",
    "exofop_cli.store.records",
    "exofop_cli.remote.filelist",
    "exofop_cli.remote.tables",
    "exofop_cli.remote.http",
    "exofop_cli.remote.verdicts",
    "exofop_cli.remote.streams",
    "csv",
]


def test_warm_run_does_not_import_network_or_rich(fake: FakeExoFop, cache_dir: Path) -> None:
    """Start-up discipline: a fully cached fetch imports neither httpx nor Rich, even on the full path."""
    assert run(fake, cache_dir, "fetch", str(DEMO_TIC), "--tag", "30002").returncode == 0
    assert probe_modules(fake, cache_dir, ["fetch", str(DEMO_TIC), "--tag", "30002"], HEAVY) == "0 []"


def test_replayed_warm_run_reads_no_file_list(fake: FakeExoFop, cache_dir: Path) -> None:
    """Once the no-op is recorded (and old enough to trust), a warm fetch is stat() calls: no CSV, no records."""
    args = ["fetch", str(DEMO_TIC), "--tag", "30002"]
    assert run(fake, cache_dir, *args).returncode == 0
    assert run(fake, cache_dir, *args).returncode == 0  # the full no-op run records the stamp
    stamp = cache_dir / "exofop" / f"tic_{DEMO_TIC}" / ".state" / "warm.json"
    recorded = json.loads(stamp.read_text())
    recorded["read_at_ns"] += 10_000_000_000  # as if the user came back later
    stamp.write_text(json.dumps(recorded))
    fake.reset_log()
    assert probe_modules(fake, cache_dir, args, HEAVY + FULL_FETCH) == "0 []"
    replayed = run(fake, cache_dir, *args)
    assert replayed.returncode == 0 and "1 already cached" in replayed.stderr
    assert not fake.requests


def test_fast_exit_delivers_all_output_and_exit_codes(fake: FakeExoFop, cache_dir: Path) -> None:
    """``main`` leaves through os._exit when nothing needs a normal exit: output must still be complete."""
    listing = run(fake, cache_dir, "ls", str(DEMO_TIC), "--json")
    assert listing.returncode == 0
    assert len(json.loads(listing.stdout)) == len(fake.targets[DEMO_TIC].files)
    fetched = run(fake, cache_dir, "fetch", str(DEMO_TIC))
    assert fetched.returncode == 3  # the proprietary file: partial
    assert fetched.stderr.rstrip().endswith("1 failed")
    assert run(fake, cache_dir, "no-such-command").returncode == 2


def test_dry_run_then_a_report_folder(fake: FakeExoFop, cache_dir: Path, tmp_path: Path) -> None:
    """A user plans, fetches into a report folder, and a pipeline reads that folder's manifest."""
    plan = run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Image", "--dry-run", "--json")
    assert plan.returncode == 0, plan.stderr
    (planned,) = json.loads(plan.stdout)
    assert planned["counts"]["download"] == 3 and not (cache_dir / "exofop").exists()
    assert fake.count("get_file.php") == 0
    report = tmp_path / "report"
    done = run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Image", "--to", str(report))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{report}\t{report / 'manifest.json'}\n"
    manifest = json.loads((report / "manifest.json").read_text())
    assert sorted(f["file_id"] for f in manifest["files"]) == sorted(f["file_id"] for f in planned["files"])
    assert all((report / f["path"]).is_file() for f in manifest["files"])
