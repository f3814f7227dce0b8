"""Fault injection against the fake ExoFOP: retries, classification, exit codes, kill -9, concurrent runs.

Every test that leaves a cache behind checks it with ``assert_clean_cache``: each manifest entry is on disk
with its sha256 and size, every file under ``files/`` is in the manifest, and no temp file is left.
Library tests use tiny backoffs (``conftest.make_client``); in-process CLI tests zero the backoff with the
``fast_retries`` fixture; subprocess tests avoid faults that would make the real CLI back off for long.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exofop_cli import ExoFopClient, ExoFopSelectors, read_manifest
from exofop_cli.cli import app
from exofop_cli.errors import NetworkError, ServerError
from exofop_cli.testing import DEMO_TIC, FakeExoFop, FakeFile, FakeTarget, bulk_target
from exofop_cli.testing.server import LOGIN_PAGE

from .conftest import make_client

TEMP_SUFFIX = ".part"
NEID = 1003  # a small public file of the demo star
TRES = 1001  # a 180 kB public file
PUBLIC = ExoFopSelectors(filename_regex="^(?!.*CHIRON)")  # everything but the proprietary file


# -- helpers shared by the other fault/security test modules -----------------------------------------------
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def temp_files(root: Path) -> list[Path]:
    """exofop temp files (``.<name>.<host>.<pid>.<token>.part``) anywhere under ``root``."""
    return [p for p in root.rglob(f".*{TEMP_SUFFIX}")] if root.exists() else []


def assert_clean_cache(manifest_path: Path, *, temps_allowed: bool = False) -> dict[str, Any]:
    """The manifest matches the disk exactly; nothing partial or unlisted sits under ``files/``."""
    manifest = read_manifest(manifest_path)
    root = manifest_path.parent.resolve()
    listed = set()
    for entry in manifest["files"]:
        path = (root / entry["path"]).resolve()
        assert path.is_relative_to(root / "files"), entry["path"]
        assert path.stat().st_size == entry["bytes"], entry["path"]
        assert sha256_file(path) == entry["sha256"], entry["path"]
        listed.add(path)
    files_dir = root / "files"
    on_disk = (
        {p.resolve() for p in files_dir.iterdir() if not p.name.endswith(TEMP_SUFFIX)}
        if files_dir.exists()
        else set()
    )
    assert on_disk == listed, f"unlisted files: {sorted(on_disk - listed)}"
    if not temps_allowed:
        assert temp_files(root.parent.parent) == []
    return manifest


def server_sha(fake: FakeExoFop, file_id: int) -> str:
    found = fake.find_file(file_id)
    assert found is not None
    return found[1].sha256()


def assert_files_match_server(manifest: dict[str, Any], fake: FakeExoFop) -> None:
    for entry in manifest["files"]:
        assert entry["sha256"] == server_sha(fake, entry["file_id"]), entry["path"]


def manifest_path(cache: Path, tic: int = DEMO_TIC) -> Path:
    return cache / "exofop" / f"tic_{tic}" / "manifest.json"


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """In-process CLI runs use the default retry count but sleep nothing between attempts."""
    import exofop_cli.remote.http

    monkeypatch.setattr(exofop_cli.remote.http, "backoff_delay", lambda *args, **kwargs: 0.0)


def run_cli(fake: FakeExoFop | str, cache: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    base = fake if isinstance(fake, str) else fake.base_url
    return CliRunner().invoke(app, ["--cache-dir", str(cache), "--base-url", base, *args], env=env)


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/tess/"


# -- retries --------------------------------------------------------------------------------------------------
def test_502_on_the_index_is_retried(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.fail("download_filelist.php", 502, times=2)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC)
    assert result.ok
    assert fake.count("download_filelist.php") == 3
    assert_files_match_server(assert_clean_cache(result.manifest_path), fake)


def test_index_failing_for_good_is_a_server_error(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.fail("download_filelist.php", 502, times=100)
    with make_client(fake, cache_dir, retries=2) as client, pytest.raises(ServerError, match="502"):
        client.fetch(target=str(DEMO_TIC))
    assert fake.count("download_filelist.php") == 3
    assert not manifest_path(cache_dir).exists()
    assert temp_files(cache_dir) == []


def test_503_with_retry_after_seconds_is_honoured(client: ExoFopClient, fake: FakeExoFop) -> None:
    sleeps: list[float] = []
    client.http.sleep = sleeps.append
    fake.faults.fail("get_file.php", 503, times=1, retry_after="2", file_id=NEID)
    result = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="NEID"))
    assert result.ok and sleeps == [2.0]
    assert_files_match_server(assert_clean_cache(result.manifest_path), fake)


def test_429_with_retry_after_date_is_honoured(client: ExoFopClient, fake: FakeExoFop) -> None:
    sleeps: list[float] = []
    client.http.sleep = sleeps.append
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    fake.faults.fail("download_filelist.php", 429, times=1, retry_after=when)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    assert result.ok
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30


def test_rate_limited_for_good_is_reported(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.fail("get_file.php", 429, times=100, retry_after="0", file_id=NEID)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    (error,) = result.errors
    assert error.kind == "server" and error.file_id == NEID and "429" in error.message
    assert fake.count("get_file.php") == 8 + 4  # 9 public files, the rate-limited one tried 4 times
    assert_clean_cache(result.manifest_path)


def test_body_cut_mid_stream_is_retried(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.truncate("get_file.php", 50_000, times=2, file_id=TRES)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    assert result.ok
    assert sum(1 for r in fake.requests if r.query == f"id={TRES}") == 3
    assert_files_match_server(assert_clean_cache(result.manifest_path), fake)


def test_body_cut_every_time_fails_that_file_only(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.truncate("get_file.php", 50_000, times=100, file_id=TRES)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    (error,) = result.errors
    assert error.kind == "network" and error.file_id == TRES
    assert result.n_downloaded == 8 and result.n_failed == 1
    manifest = assert_clean_cache(result.manifest_path)
    assert TRES not in {f["file_id"] for f in manifest["files"]}
    assert manifest["errors"] == [error.to_dict()]
    assert not list(result.cache_root.glob(f"files/{TRES}_*"))  # nothing partial under the final name


def test_index_cut_mid_stream_is_retried(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.truncate("download_filelist.php", 100, times=1)
    fake.faults.truncate("download_spect.php", 10, times=1)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC)
    assert result.ok and fake.count("download_filelist.php") == 2
    assert_clean_cache(result.manifest_path)


def test_chunked_bodies_without_content_length(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.chunked = True
    result = client.fetch(target=str(DEMO_TIC))
    assert [(e.kind, e.file_id) for e in result.errors] == [("auth_required", 1010)]  # login page, chunked
    manifest = assert_clean_cache(result.manifest_path)
    assert_files_match_server(manifest, fake)
    assert len(manifest["files"]) == 9 and len(manifest["summaries"]) == 9


def test_chunked_login_page_and_html_are_never_saved(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.chunked = True
    fake.faults.replace_body("get_file.php", LOGIN_PAGE, file_id=NEID)
    fake.faults.replace_body("get_file.php", b"<html><body>Server busy</body></html>", file_id=TRES)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    assert sorted((e.file_id, e.kind) for e in result.errors) == [
        (TRES, "invalid_response"),
        (NEID, "auth_required"),
    ]
    assert_clean_cache(result.manifest_path)


def test_slow_server_hits_the_timeout_then_recovers(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.stall("get_file.php", 3.0, times=1, file_id=NEID)
    started = time.monotonic()
    with make_client(fake, cache_dir, timeout_seconds=0.3) as client:
        result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    assert result.ok and time.monotonic() - started < 2.5
    assert sum(1 for r in fake.requests if r.query == f"id={NEID}") == 2  # the stalled one, then a retry
    assert_files_match_server(assert_clean_cache(result.manifest_path), fake)


def test_server_that_never_answers_is_a_network_error(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.stall("get_file.php", 2.0, times=100, file_id=NEID)
    with make_client(fake, cache_dir, timeout_seconds=0.2, retries=1) as client:
        result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    (error,) = result.errors
    assert error.kind == "network" and "timed out" in error.message and error.file_id == NEID
    assert result.n_downloaded == 8
    assert_clean_cache(result.manifest_path)


def test_stalled_index_times_out(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.stall("download_filelist.php", 2.0, times=100)
    client = make_client(fake, cache_dir, timeout_seconds=0.2, retries=1)
    with client, pytest.raises(NetworkError, match="timed out"):
        client.fetch(target=str(DEMO_TIC))


def test_network_unreachable(cache_dir: Path) -> None:
    # A refused connection would be refused again at once: not retried (issue 14), and said so.
    client = ExoFopClient(base_url=closed_port_url(), cache_dir=cache_dir, retries=2, backoff_seconds=0.01)
    with client, pytest.raises(NetworkError, match=r"refused the connection .*; not retried") as info:
        client.fetch(target=str(DEMO_TIC))
    assert info.value.kind == "network" and "after" not in info.value.message


# -- classification ---------------------------------------------------------------------------------------------
def test_login_page_where_a_public_file_was_expected(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.replace_body("get_file.php", LOGIN_PAGE, file_id=NEID)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    (error,) = result.errors
    assert error.kind == "auth_required" and error.file_id == NEID
    assert not list(result.cache_root.glob(f"files/{NEID}_*"))
    assert_clean_cache(result.manifest_path)


def test_missing_file_is_not_found(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.fail("get_file.php", 404, times=1, file_id=NEID)
    # ExoFOP's answer to an unknown id is an HTML page with status 200 (the fake's worst case).
    fake.faults.replace_body("get_file.php", b"<html><body>File not found</body></html>", file_id=TRES)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    assert sorted((e.file_id, e.kind) for e in result.errors) == [(TRES, "not_found"), (NEID, "not_found")]
    assert sum(1 for r in fake.requests if r.query == f"id={NEID}") == 1  # a 404 is never retried
    assert_clean_cache(result.manifest_path)


def test_summary_failures_do_not_stop_files(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.fail("download_spect.php", 500, times=100)
    fake.faults.replace_body("download_imaging.php", b"<html><body>DB error</body></html>")
    fake.faults.replace_body("download_tseries.php", LOGIN_PAGE)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC)
    kinds = {e.endpoint: e.kind for e in result.errors}
    assert kinds == {
        "download_spect.php": "server",
        "download_imaging.php": "invalid_response",
        "download_tseries.php": "auth_required",
    }
    assert result.n_downloaded == 9
    manifest = assert_clean_cache(result.manifest_path)
    assert set(manifest["summaries"]) == {"obsnotes", "stellar", "planet", "uploads", "nearby", "companions"}


def test_cached_index_is_used_when_the_refresh_fails(client: ExoFopClient, fake: FakeExoFop) -> None:
    client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="NEID"))
    fake.faults.fail("download_filelist.php", 503, times=100)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, force_refresh=True)
    assert [(e.endpoint, e.kind) for e in result.errors] == [("download_filelist.php", "server")]
    assert any("using the cached copy" in w for w in result.warnings)
    assert result.n_downloaded == 8
    assert_clean_cache(result.manifest_path)


# -- exit codes (in-process CLI) ---------------------------------------------------------------------------------
@pytest.mark.usefixtures("fast_retries")
def test_cli_exit_codes(fake: FakeExoFop, tmp_path: Path) -> None:
    def fetch(*args: str) -> Any:
        cache = tmp_path / f"cache{len(list(tmp_path.iterdir()))}"
        return run_cli(fake, cache, "fetch", "--no-summaries", *args), cache

    ok, cache = fetch(str(DEMO_TIC), "--regex", "NEID|TRES")
    assert ok.exit_code == 0, ok.stderr
    assert_clean_cache(manifest_path(cache))

    fake.faults.fail("get_file.php", 404, times=1, file_id=NEID)
    partial, cache = fetch(str(DEMO_TIC), "--regex", "NEID|TRES")
    assert partial.exit_code == 3
    assert f"file {NEID}" in partial.stderr and "[not_found]" in partial.stderr
    assert len(assert_clean_cache(manifest_path(cache))["files"]) == 2

    missing, _ = fetch("123")
    assert missing.exit_code == 4 and "not found" in missing.stderr

    auth, cache = fetch(str(DEMO_TIC), "--regex", "CHIRON")
    assert auth.exit_code == 5 and "[auth_required]" in auth.stderr
    assert assert_clean_cache(manifest_path(cache))["files"] == []

    fake.faults.fail("download_filelist.php", 502, times=100)
    server, _ = fetch(str(DEMO_TIC))
    assert server.exit_code == 6 and "HTTP 502" in server.stderr and "after 5 attempts" in server.stderr
    fake.faults.clear()

    fake.faults.fail("download_filelist.php", 429, times=100, retry_after="0")
    limited, _ = fetch(str(DEMO_TIC))
    assert limited.exit_code == 6 and "rate limit" in limited.stderr
    fake.faults.clear()

    # Every selected file failing for one reason, nothing obtained: that reason's code, as for a login.
    fake.faults.fail("get_file.php", 503, times=100)
    files_down, _ = fetch(str(DEMO_TIC), "--regex", "NEID|TRES")
    assert files_down.exit_code == 6 and "[server]" in files_down.stderr
    fake.faults.clear()

    usage, _ = fetch(str(DEMO_TIC), "--regex", "(")
    assert usage.exit_code == 2 and "hint:" in usage.stderr
    for result in (ok, partial, missing, auth, server, limited, files_down, usage):
        assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.usefixtures("fast_retries")
def test_cli_network_unreachable_is_exit_6(tmp_path: Path) -> None:
    result = run_cli(closed_port_url(), tmp_path / "c", "fetch", str(DEMO_TIC))
    assert result.exit_code == 6
    assert "refused the connection" in result.stderr and "Traceback" not in result.stderr
    result = run_cli(closed_port_url(), tmp_path / "c", "resolve", "TOI-1262")
    assert result.exit_code == 6


@pytest.mark.usefixtures("fast_retries")
def test_cli_several_targets_one_failing_is_partial(fake: FakeExoFop, tmp_path: Path) -> None:
    fake.add_target(FakeTarget(tic_id=42, files=[FakeFile(4201, "a.txt", content=b"a")]))
    result = run_cli(fake, tmp_path / "c", "fetch", "--no-summaries", "42", "123")
    assert result.exit_code == 3
    assert_clean_cache(manifest_path(tmp_path / "c", 42))


# -- kill -9 and concurrent processes (real subprocesses) ------------------------------------------------------
BIG_TIC = 777000001
BIG_ID = 7770001
BIG_SIZE = 12 * 1024 * 1024

# Runs the real CLI but SIGKILLs itself at the moment a chosen file is about to be renamed into place, so the
# kill lands exactly "during the index / the manifest write" instead of at some random time.
KILL_AT_REPLACE = r"""
import os, signal, sys
target = os.environ["EXOFOP_TEST_KILL_AT"]
real_replace = os.replace
def replace(src, dst, *args, **kwargs):
    if os.path.basename(os.fspath(dst)) == target:
        os.kill(os.getpid(), signal.SIGKILL)
    return real_replace(src, dst, *args, **kwargs)
os.replace = replace
from exofop_cli.cli import main
sys.argv = ["exofop", *sys.argv[1:]]
main()
"""


def big_target() -> FakeTarget:
    return FakeTarget(
        tic_id=BIG_TIC,
        files=[
            FakeFile(BIG_ID, "big_cube.fits", size=BIG_SIZE),
            FakeFile(BIG_ID + 1, "small.txt", content=b"small\n"),
        ],
    )


def cli_env(fake: FakeExoFop, cache: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "EXOFOP_BASE_URL": fake.base_url, "EXOFOP_CACHE_DIR": str(cache), **extra}


def exofop_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "exofop_cli", *args]


def run_exofop(fake: FakeExoFop, cache: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        exofop_cmd(*args), env=cli_env(fake, cache), capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def big(fake: FakeExoFop) -> Iterator[FakeExoFop]:
    fake.add_target(big_target())
    yield fake


def test_kill_9_mid_download_then_rerun(big: FakeExoFop, cache_dir: Path) -> None:
    big.faults.chunk_delay = 0.1  # ~1.2 s for the big file: the kill lands mid-transfer
    files_dir = cache_dir / "exofop" / f"tic_{BIG_TIC}" / "files"
    final = files_dir / f"{BIG_ID}_big_cube.fits"
    proc = subprocess.Popen(
        exofop_cmd("fetch", str(BIG_TIC), "--jobs", "1", "--no-summaries", "--regex", "big"),
        env=cli_env(big, cache_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        partial: list[Path] = []
        while time.monotonic() < deadline and proc.poll() is None:
            partial = [p for p in temp_files(files_dir) if p.stat().st_size >= 2 * 1024 * 1024]
            if partial:
                break
            time.sleep(0.01)
        assert partial, "the download never got going"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=10)  # reaped: its pid is dead, so its temp file is stale
    assert proc.returncode == -signal.SIGKILL
    (temp,) = temp_files(files_dir)
    assert 0 < temp.stat().st_size < BIG_SIZE
    assert not final.exists()  # nothing partial under the final name
    assert not manifest_path(cache_dir, BIG_TIC).exists()

    big.faults.chunk_delay = 0.0
    again = run_exofop(big, cache_dir, "fetch", str(BIG_TIC), "--no-summaries")
    assert again.returncode == 0, again.stderr
    manifest = assert_clean_cache(manifest_path(cache_dir, BIG_TIC))  # the stale temp file is gone too
    assert_files_match_server(manifest, big)
    assert final.stat().st_size == BIG_SIZE


@pytest.mark.parametrize(
    "kill_at",
    [
        "filelist.csv",  # during the index
        "spect.csv",  # during a summary table
        f"{BIG_ID}_big_cube.fits",  # at the very end of the big file
        f"{BIG_ID}.json",  # after the big file is in place, before its record
        "manifest.json",  # during the manifest write
    ],
)
def test_kill_9_at_each_rename_then_rerun(big: FakeExoFop, cache_dir: Path, kill_at: str) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_REPLACE, "fetch", str(BIG_TIC), "--jobs", "1"],
        env=cli_env(big, cache_dir, EXOFOP_TEST_KILL_AT=kill_at),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    root = cache_dir / "exofop" / f"tic_{BIG_TIC}"
    assert any(p.name.startswith(f".{kill_at}.") for p in temp_files(root)), "killed before writing it?"
    assert not list(root.rglob(kill_at))  # the file being written is not under its final name
    for path in root.rglob("*.json"):
        json.loads(path.read_text())  # whatever exists is complete
    again = run_exofop(big, cache_dir, "fetch", str(BIG_TIC))
    assert again.returncode == 0, again.stderr
    manifest = assert_clean_cache(manifest_path(cache_dir, BIG_TIC))
    assert_files_match_server(manifest, big)
    assert len(manifest["files"]) == 2 and len(manifest["summaries"]) == 9


def test_kill_9_while_rewriting_the_manifest_keeps_the_old_one(big: FakeExoFop, cache_dir: Path) -> None:
    first = run_exofop(big, cache_dir, "fetch", str(BIG_TIC), "--regex", "small", "--no-summaries")
    assert first.returncode == 0, first.stderr
    old = manifest_path(cache_dir, BIG_TIC).read_bytes()
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_REPLACE, "fetch", str(BIG_TIC), "--no-summaries"],
        env=cli_env(big, cache_dir, EXOFOP_TEST_KILL_AT="manifest.json"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    assert manifest_path(cache_dir, BIG_TIC).read_bytes() == old  # old and whole, never torn
    again = run_exofop(big, cache_dir, "fetch", str(BIG_TIC), "--no-summaries")
    assert again.returncode == 0, again.stderr
    assert len(assert_clean_cache(manifest_path(cache_dir, BIG_TIC))["files"]) == 2


def test_kill_9_during_the_resolution_cache_write_is_cleaned_up(big: FakeExoFop, cache_dir: Path) -> None:
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AT_REPLACE, "fetch", str(BIG_TIC), "--no-summaries"],
        env=cli_env(big, cache_dir, EXOFOP_TEST_KILL_AT="resolutions.json"),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert killed.returncode == -signal.SIGKILL
    again = run_exofop(big, cache_dir, "fetch", str(BIG_TIC), "--no-summaries")
    assert again.returncode == 0, again.stderr
    assert_clean_cache(manifest_path(cache_dir, BIG_TIC))


def test_two_concurrent_processes_both_succeed(fake: FakeExoFop, cache_dir: Path) -> None:
    tic = 100000001
    fake.add_target(bulk_target(n_files=24, size=48 * 1024, tic_id=tic))
    fake.faults.latency = 0.003  # enough overlap for both runs to download the same files at once
    procs = [
        subprocess.Popen(
            exofop_cmd("fetch", str(tic), "--jobs", "4", "--archive", "off"),
            env=cli_env(fake, cache_dir),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    manifest = assert_clean_cache(manifest_path(cache_dir, tic))
    assert len(manifest["files"]) == 24 and len(manifest["summaries"]) == 9
    assert_files_match_server(manifest, fake)
    assert fake.count("get_file.php") >= 24


def test_concurrent_library_runs_converge(fake: FakeExoFop, cache_dir: Path) -> None:
    tic = 100000002
    fake.add_target(bulk_target(n_files=30, size=4 * 1024, tic_id=tic))
    errors: list[BaseException] = []

    def run(selector: str) -> None:
        try:
            with make_client(fake, cache_dir, jobs=4) as client:
                client.fetch(target=str(tic), selectors=ExoFopSelectors(filename_regex=selector))
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    # Overlapping selections: every file is wanted by two or three runs.
    threads = [threading.Thread(target=run, args=(sel,)) for sel in ("_0[0-1]", "_0[1-2]", "_0[0-2]|_00")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    # One more (warm) run re-checks what the racing runs left: every file is complete and gets listed.
    with make_client(fake, cache_dir) as client:
        client.fetch(target=str(tic), selectors=ExoFopSelectors(filename_regex="_0[0-2]"))
    manifest = assert_clean_cache(manifest_path(cache_dir, tic))
    assert len(manifest["files"]) == 30


def test_record_race_between_two_runs_keeps_the_file_in_the_manifest(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Run A renames file X into place; run B downloads X again (no record yet) and finishes; then A's
    record (with the mtime of A's copy) lands. The last manifest must still list X."""
    import exofop_cli.ops.fetch_files

    real_write_record = exofop_cli.ops.fetch_files.write_record
    a_waiting, b_done = threading.Event(), threading.Event()
    calls = 0

    def delayed_write_record(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:  # run A's only record
            a_waiting.set()
            assert b_done.wait(timeout=30)
        return real_write_record(*args, **kwargs)

    monkeypatch.setattr(exofop_cli.ops.fetch_files, "write_record", delayed_write_record)
    selectors = ExoFopSelectors(filename_regex="NEID")

    def run_a() -> None:
        with make_client(fake, cache_dir) as client:
            client.fetch(target=str(DEMO_TIC), selectors=selectors, include_summaries=False)

    thread_a = threading.Thread(target=run_a)
    thread_a.start()
    assert a_waiting.wait(timeout=30)
    time.sleep(0.01)  # distinct mtimes even on coarse file systems
    with make_client(fake, cache_dir) as client_b:
        client_b.fetch(target=str(DEMO_TIC), selectors=selectors, include_summaries=False)
    b_done.set()
    thread_a.join(timeout=30)
    manifest = assert_clean_cache(manifest_path(cache_dir))
    assert [f["file_id"] for f in manifest["files"]] == [NEID]
