"""Hostile servers and impatient users (issue 16), against the fake ExoFOP's hostile modes.

Each test names the item of issue 16 it covers: cut gzip streams, trickles and deadlines, bounded sizes,
terminal escapes, cache prune during a fetch, odd Set-Cookie values, cookies for IP hosts, credentials in the
base URL, symlinked star folders, hand-edited records, clean errors for odd input, and the library's silence;
plus issue 14's errors that say what to do. Ctrl-C is tested with real SIGINTs to real processes.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from exofop_cli import ExoFopClient, ExoFopSelectors, read_manifest
from exofop_cli.errors import CacheError, InvalidResponseError, NetworkError
from exofop_cli.testing import DEMO_TIC, FakeExoFop, FakeFile, FakeTarget

from .conftest import make_client
from .test_faults import (
    BIG_ID,
    BIG_TIC,
    NEID,
    PUBLIC,
    TRES,
    assert_clean_cache,
    assert_files_match_server,
    big,
    cli_env,
    exofop_cmd,
    manifest_path,
    run_cli,
    temp_files,
)

__all__ = ["big"]  # a fixture of test_faults, used here

SMALL_TIC = 420000001
SMALL_ID = 4200001
SMALL_BODY = b"60 bytes of a small light curve, sent one byte at a time.\n"  # 58 bytes
ONLY_NEID = ExoFopSelectors(filename_regex="NEID")
ONLY_TRES = ExoFopSelectors(filename_regex="TRES_2020")


def small_target() -> FakeTarget:
    return FakeTarget(tic_id=SMALL_TIC, files=[FakeFile(SMALL_ID, "small.txt", content=SMALL_BODY)])


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """Run ``call`` in a thread; fail (instead of hanging the suite) if it is not over in ``seconds``."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # reported below, in the test's thread
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def sent_for(fake: FakeExoFop, endpoint: str, query: str | None = None) -> list[int]:
    """Bytes the fake sent for each request to ``endpoint`` (and query)."""
    return [r.bytes_sent for r in fake.requests if r.endpoint == endpoint and query in (None, r.query)]


# -- 1: a decoded stream that did not reach its end is a short body ---------------------------------------------
def test_cut_gzip_file_is_retried_and_never_saved(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.cut_gzip("get_file.php", 0.5, times=100, file_id=TRES)
    result = client.fetch(target=str(DEMO_TIC), selectors=ONLY_TRES, include_summaries=False)
    (error,) = result.errors
    assert error.kind == "network" and error.file_id == TRES and "gzip stream ended" in error.message
    assert len(sent_for(fake, "get_file.php", f"id={TRES}")) == 4  # retried like any short body
    assert not list(result.cache_root.glob(f"files/{TRES}_*"))
    assert_clean_cache(result.manifest_path)


def test_cut_gzip_once_then_whole(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.cut_gzip("get_file.php", 0.5, times=1, file_id=TRES)
    result = client.fetch(target=str(DEMO_TIC), selectors=ONLY_TRES, include_summaries=False)
    assert result.ok and result.n_downloaded == 1
    assert_files_match_server(assert_clean_cache(result.manifest_path), fake)


def test_a_cut_gzip_table_is_never_cached(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.cut_gzip("download_spect.php", 0.6, times=100)
    result = client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID)
    assert [(e.kind, e.endpoint) for e in result.errors] == [("network", "download_spect.php")]
    assert "gzip stream ended" in result.errors[0].message
    assert not (client.layout(DEMO_TIC).summaries_dir / "spect.csv").exists()
    assert_clean_cache(result.manifest_path)


def test_a_cut_gzip_file_list_is_never_cached(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.cut_gzip("download_filelist.php", 0.6, times=100)
    with pytest.raises(NetworkError, match="gzip stream ended"):
        client.fetch(target=str(DEMO_TIC), include_summaries=False)
    assert not client.layout(DEMO_TIC).filelist.exists()
    listing = run_cli(fake, client.cache_root.parent, "ls", str(DEMO_TIC))
    assert listing.exit_code == 6 and "gzip stream ended" in listing.stderr


def test_gzip_encoded_answers_are_decoded(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.gzip = True
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, archive="off")
    assert result.ok and result.n_downloaded == 9
    assert_files_match_server(assert_clean_cache(result.manifest_path), fake)


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress", "x-custom"])
def test_encodings_not_asked_for_are_refused(client: ExoFopClient, fake: FakeExoFop, encoding: str) -> None:
    fake.faults.encoded("get_file.php", encoding, times=100, file_id=NEID)
    result = client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID, include_summaries=False)
    (error,) = result.errors
    assert error.kind == "invalid_response" and f"encoded as {encoding}" in error.message
    assert len(sent_for(fake, "get_file.php", f"id={NEID}")) == 1  # not retried: it would come back the same
    assert not list(result.cache_root.glob(f"files/{NEID}_*"))


# -- 3: deadlines and minimum progress ----------------------------------------------------------------------------
def test_a_trickled_body_of_known_size_ends_early(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(small_target())
    # A byte every 0.3 s never trips the 0.5 s read timeout; the 58 bytes would take 17 s per attempt.
    fake.faults.trickle("get_file.php", 0.3, times=100, file_id=SMALL_ID)
    with make_client(fake, cache_dir, timeout_seconds=0.5, retries=1) as client:
        result = within(
            15, lambda: client.fetch(target=str(SMALL_TIC), include_summaries=False, archive="off")
        )
    (error,) = result.errors
    assert error.kind == "network" and "too slowly" in error.message  # 3 bytes/s: the pace rule ends it
    assert all(sent < len(SMALL_BODY) for sent in sent_for(fake, "get_file.php"))
    assert_clean_cache(result.manifest_path)


def test_a_trickled_body_of_unknown_size_is_too_slow(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(small_target())
    fake.faults.trickle("get_file.php", 0.1, sized=False, times=100, file_id=SMALL_ID)
    with make_client(fake, cache_dir, timeout_seconds=0.5, retries=0) as client:
        result = within(
            15, lambda: client.fetch(target=str(SMALL_TIC), include_summaries=False, archive="off")
        )
    (error,) = result.errors
    assert error.kind == "network" and "too slowly" in error.message and "--timeout" in error.message
    assert all(sent < len(SMALL_BODY) for sent in sent_for(fake, "get_file.php"))


@pytest.mark.parametrize(("chunk", "rule"), [(1, "too slowly"), (100, "took too long")])
def test_trickled_headers_are_a_network_error(
    fake: FakeExoFop, cache_dir: Path, chunk: int, rule: str
) -> None:
    # 1 byte every 0.05 s is below the pace; 100 bytes (2 KB/s) keep the pace but never end the headers,
    # which must be complete within connect + read timeout (0.5 + 0.5 s).
    fake.faults.trickle_headers("download_filelist.php", 0.05, chunk=chunk, times=100)
    with (
        make_client(fake, cache_dir, timeout_seconds=0.5, retries=1) as client,
        pytest.raises(NetworkError) as info,
    ):
        within(15, lambda: client.fetch(target=str(DEMO_TIC)))
    assert rule in info.value.message and info.value.kind == "network"
    assert not client.layout(DEMO_TIC).filelist.exists()


def test_a_slow_but_progressing_download_never_times_out(fake: FakeExoFop, cache_dir: Path) -> None:
    """Issue 11 still holds: 64 KiB every 0.25 s (256 KiB/s) for 3 s with a 0.4 s timeout completes."""
    fake.add_target(FakeTarget(tic_id=SMALL_TIC, files=[FakeFile(SMALL_ID, "cube.fits", size=768 * 1024)]))
    fake.faults.chunk_size = 64 * 1024
    fake.faults.chunk_delay = 0.25
    with make_client(fake, cache_dir, timeout_seconds=0.4, retries=0) as client:
        result = client.fetch(target=str(SMALL_TIC), include_summaries=False, archive="off")
    assert result.ok and result.n_downloaded == 1
    assert_files_match_server(assert_clean_cache(result.manifest_path), fake)


# -- 5: bounded sizes -----------------------------------------------------------------------------------------------
def test_an_endless_body_stops_at_the_size_limit(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.endless("get_file.php", times=100, file_id=NEID)
    with make_client(fake, cache_dir, max_file_size=1024 * 1024) as client:
        result = within(30, lambda: client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID))
    (error,) = result.errors
    assert error.kind == "invalid_response" and error.file_id == NEID
    assert (
        "TOI1262_NEID_rv.txt" in error.message
        and "larger than the --max-file-size limit of 1.0 MiB" in error.message
    )
    assert not list(result.cache_root.glob(f"files/{NEID}_*")) and temp_files(cache_dir) == []


def test_a_file_announced_larger_than_the_limit_is_refused(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir, max_file_size=100_000) as client:
        result = client.fetch(target=str(DEMO_TIC), selectors=ONLY_TRES, include_summaries=False)
    (error,) = result.errors
    assert error.kind == "invalid_response"
    assert "larger than the --max-file-size limit of 97.7 KiB (at least 175.8 KiB)" in error.message


def test_a_gzip_bomb_is_refused_by_its_ratio(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.bomb("get_file.php", 64 * 1024 * 1024, times=100, file_id=NEID)
    fake.faults.bomb("download_filelist.php", 64 * 1024 * 1024, times=1)
    with make_client(fake, cache_dir) as client:
        with pytest.raises(InvalidResponseError, match="decompression bomb") as info:
            client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID)
        assert "the file list of TIC" in info.value.message
        result = client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID)
    (error,) = result.errors
    assert error.file_id == NEID and "decompression bomb" in error.message and "NEID" in error.message
    assert not list(result.cache_root.glob(f"files/{NEID}_*")) and temp_files(cache_dir) == []


@pytest.mark.parametrize("extra", [100, 8 * 1024 * 1024])
def test_a_body_longer_than_its_content_length_is_refused(
    fake: FakeExoFop, cache_dir: Path, extra: int
) -> None:
    fake.faults.overlong("get_file.php", extra, times=100, file_id=NEID)
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False, archive="off")
        (error,) = result.errors
        assert error.kind == "invalid_response" and error.file_id == NEID
        assert "more than the 32 bytes its Content-Length announced" in error.message
        assert result.n_downloaded == 8  # the connection it spoilt was not reused for the others
        assert_files_match_server(assert_clean_cache(result.manifest_path), fake)


def test_cli_max_file_size(fake: FakeExoFop, tmp_path: Path) -> None:
    result = run_cli(
        fake, tmp_path / "c", "--max-file-size", "100KB", "fetch", str(DEMO_TIC), "--regex", "TRES_2020"
    )
    assert result.exit_code == 1
    assert "TOI1262.01_TRES_20200815.fits" in result.stderr and "--max-file-size" in result.stderr
    bad = run_cli(fake, tmp_path / "c", "--max-file-size", "lots", "fetch", str(DEMO_TIC))
    assert bad.exit_code == 2 and "not a size" in bad.stderr


# -- 2: Ctrl-C ends the run within about a second, wherever it is -------------------------------------------------
def interrupted_run(
    fake: FakeExoFop, cache: Path, args: list[str], ready: Callable[[], bool]
) -> tuple[int, str, float]:
    """Start ``exofop ARGS``, wait until ``ready()`` (and a little more), send one SIGINT: (exit code, stderr,
    seconds from the signal to the exit). A run still going 15 s after the signal fails the test."""
    proc = subprocess.Popen(
        exofop_cmd(*args), env=cli_env(fake, cache), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while not ready():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run never got where it should be interrupted"
            time.sleep(0.02)
        time.sleep(0.5)  # well inside the wait
        signalled = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=15)
        return proc.returncode, err, time.monotonic() - signalled
    finally:
        proc.kill()
        proc.wait()


def assert_interrupted(code: int, err: str, cache: Path) -> None:
    assert code == 130, err
    assert err.count("error:") == 1 and "interrupted" in err and "Traceback" not in err, err
    assert temp_files(cache) == []  # nothing partial, not even a temp file


def test_ctrl_c_during_a_retry_after_wait(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.fail("get_file.php", 429, times=100, retry_after="60", file_id=NEID)
    code, err, _latency = interrupted_run(
        fake,
        cache_dir,
        ["fetch", str(DEMO_TIC), "--regex", "NEID", "--no-summaries", "--archive", "off"],
        lambda: fake.count("get_file.php") >= 1,
    )
    assert_interrupted(code, err, cache_dir)
    assert "waiting 60 s" in err and "attempt 3" not in err
    time.sleep(0.5)
    assert fake.count("get_file.php") == 1  # no attempt after the signal


def test_ctrl_c_during_stalled_reads_in_worker_threads(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.stall("get_file.php", 60, times=100)
    code, err, _latency = interrupted_run(
        fake,
        cache_dir,
        ["--timeout", "30", "fetch", str(DEMO_TIC), "--no-summaries", "--archive", "off", "--jobs", "4"],
        lambda: fake.in_flight.peak >= 4,
    )
    assert_interrupted(code, err, cache_dir)
    assert "attempt 2" not in err


def test_ctrl_c_during_a_download_leaves_nothing_partial(big: FakeExoFop, cache_dir: Path) -> None:
    big.faults.chunk_delay = 0.2  # 12 MiB in 1 MiB chunks: over 2 s
    files_dir = cache_dir / "exofop" / f"tic_{BIG_TIC}" / "files"
    code, err, _latency = interrupted_run(
        big,
        cache_dir,
        ["fetch", str(BIG_TIC), "--no-summaries", "--archive", "off", "--regex", "big"],
        lambda: any(p.stat().st_size > 0 for p in temp_files(files_dir)),
    )
    assert_interrupted(code, err, cache_dir)
    assert not (files_dir / f"{BIG_ID}_big_cube.fits").exists()


def test_ctrl_c_during_the_speculative_archive(big: FakeExoFop, cache_dir: Path) -> None:
    big.faults.trickle("download_files_zip.php", 0.05, times=100)
    code, err, _latency = interrupted_run(
        big,
        cache_dir,
        ["fetch", str(BIG_TIC), "--no-summaries"],
        lambda: big.count("download_filelist.php") >= 1 and bool(big.in_flight.peak),
    )
    assert_interrupted(code, err, cache_dir)


def test_ctrl_c_during_a_batch_of_stars(fake: FakeExoFop, cache_dir: Path) -> None:
    for tic in range(42, 48):
        fake.add_target(FakeTarget(tic_id=tic, files=[FakeFile(tic * 100, "a.txt", content=b"a")]))
    fake.faults.stall("download_filelist.php", 60, times=100)
    code, err, _latency = interrupted_run(
        fake,
        cache_dir,
        ["fetch", *map(str, range(42, 48)), "--no-summaries"],
        lambda: fake.in_flight.stars_together >= 2,
    )
    assert_interrupted(code, err, cache_dir)


# -- issue 14, item 2: errors with the way out ----------------------------------------------------------------
def unresolvable(monkeypatch: pytest.MonkeyPatch, host: str) -> list[str]:
    """Make ``host`` a name that does not resolve (as with no network); the lookups made are recorded."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(name: Any, *args: Any, **kwargs: Any) -> Any:
        if name == host:
            asked.append(name)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def test_a_name_that_does_not_resolve_names_the_host_and_is_not_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    asked = unresolvable(monkeypatch, "exofop.example.invalid")
    result = run_cli("http://exofop.example.invalid/tess/", tmp_path / "c", "fetch", "TOI-1262")
    assert result.exit_code == 6
    assert "cannot find the host exofop.example.invalid" in result.stderr and "not retried" in result.stderr
    for way_out in ("EXOFOP_BASE_URL", "--base-url", "--offline", "HTTPS_PROXY", "NO_PROXY"):
        assert way_out in result.stderr
    assert asked == ["exofop.example.invalid"]  # one attempt, not five


def test_a_refused_connection_is_not_retried(tmp_path: Path) -> None:
    from .test_faults import closed_port_url

    url = closed_port_url()
    result = run_cli(url, tmp_path / "c", "resolve", "TOI-1262")
    assert result.exit_code == 6 and "refused the connection" in result.stderr
    assert "after" not in result.stderr and url.split("/")[2] in result.stderr


def test_a_proxy_is_named_without_its_credentials(tmp_path: Path, fake: FakeExoFop) -> None:
    from .test_faults import closed_port_url

    proxy = closed_port_url().replace("http://", "http://user:s3cret@").removesuffix("/tess/")
    env = {"HTTP_PROXY": proxy, "http_proxy": proxy, "NO_PROXY": "", "no_proxy": ""}
    result = run_cli(fake, tmp_path / "c", "resolve", "TOI-1262", env=env)
    assert result.exit_code == 6 and "through the proxy http://127.0.0.1:" in result.stderr
    assert "s3cret" not in result.stderr and "HTTPS_PROXY" in result.stderr


def test_a_server_that_is_not_exofop_is_said_so(fake: FakeExoFop, tmp_path: Path) -> None:
    wrong = fake.base_url.removesuffix("tess/")  # the site, not ExoFOP-TESS: every script answers 404
    for args in (["resolve", "TOI-1262"], ["ls", str(DEMO_TIC)], ["fetch", "TOI-1262"]):
        result = run_cli(wrong, tmp_path / "c", *args)
        assert result.exit_code != 4, result.stderr  # not "target not found"
        assert f"the server at {wrong} does not look like ExoFOP" in result.stderr, result.stderr
        assert "--base-url" in result.stderr
    # A file's own 404 is still that file's "not found".
    fake.faults.fail("get_file.php", 404, file_id=NEID)
    missing = run_cli(fake, tmp_path / "d", "fetch", str(DEMO_TIC), "--regex", "NEID", "--archive", "off")
    assert missing.exit_code == 4 and "not found" in missing.stderr


# -- 6: every server-supplied string is made safe at the output boundary -----------------------------------------
ESCAPES = ("\x1b]0;pwned\x07", "\x1b[2J", "\u202e", "\u2066", "\x9b")
HOSTILE_NAME = "HD \x1b]0;pwned\x07104654\x1b[2J \u202etxt.exe"
RLO_FILE = "report_\u202etxt.exe_final.pdf"


def assert_safe(text: str) -> None:
    for raw in ESCAPES:
        assert raw not in text, repr(text)


@pytest.fixture
def escape_laden(fake: FakeExoFop) -> FakeExoFop:
    fake.add_target(
        FakeTarget(
            tic_id=SMALL_TIC,
            tois=["9999.01"],
            names=[HOSTILE_NAME, "Gaia DR3 \u202e123"],
            files=[
                FakeFile(SMALL_ID, RLO_FILE, content=b"%PDF-1.4 x", description="desc \x1b[31mred\x1b[0m")
            ],
        )
    )
    return fake


def test_resolve_never_prints_escapes_and_json_stays_exact(escape_laden: FakeExoFop, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    for _ in range(
        2
    ):  # the second answer comes from the resolution cache: replayed escapes are made safe too
        text = run_cli(escape_laden, cache, "resolve", str(SMALL_TIC))
        assert text.exit_code == 0, text.stderr
        assert_safe(text.stdout + text.stderr)
        assert "\\x1b]0;pwned\\x07" in text.stdout and "\\u202e" in text.stdout
    as_json = run_cli(escape_laden, cache, "resolve", str(SMALL_TIC), "--json")
    assert HOSTILE_NAME in json.loads(as_json.stdout)["names"]  # exact data for tools


def test_listings_and_tables_never_print_escapes(
    escape_laden: FakeExoFop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "c"
    fetched = run_cli(escape_laden, cache, "-v", "fetch", str(SMALL_TIC), "--archive", "off")
    assert fetched.exit_code == 0, fetched.stderr
    assert_safe(fetched.stdout + fetched.stderr)
    outputs = [
        run_cli(escape_laden, cache, "ls", str(SMALL_TIC)),  # TSV: stdout is not a terminal
        run_cli(escape_laden, cache, "cache", "ls"),
    ]
    import exofop_cli.cli._output as output

    monkeypatch.setattr(output, "stdout_is_terminal", lambda: True)  # the Rich table
    outputs.append(run_cli(escape_laden, cache, "ls", str(SMALL_TIC), "--wide"))
    for result in outputs:
        assert result.exit_code == 0, result.stderr
        assert_safe(result.stdout + result.stderr)
    assert "report_\\u202etxt.exe_final.pdf" in outputs[0].stdout
    as_json = run_cli(escape_laden, cache, "ls", str(SMALL_TIC), "--json")
    assert json.loads(as_json.stdout)[0]["filename"] == RLO_FILE


def test_retry_notices_and_progress_never_print_escapes(escape_laden: FakeExoFop, tmp_path: Path) -> None:
    from rich.console import Console

    from exofop_cli.cli._progress import RichProgress

    escape_laden.faults.fail("get_file.php", 503, times=1, retry_after="0", file_id=SMALL_ID)
    verbose = run_cli(escape_laden, tmp_path / "c", "-vv", "fetch", str(SMALL_TIC), "--archive", "off")
    assert verbose.exit_code == 0 and "waiting" in verbose.stderr
    assert_safe(verbose.stderr)
    console = Console(file=io.StringIO(), force_terminal=True, width=120)
    progress = RichProgress(console)
    progress.stars(1)
    progress.star_begin("TIC 1", 1)
    progress.transfer_begin("TIC 1", f"{SMALL_ID} {HOSTILE_NAME}", None)
    # The view lays out a row per transfer of unknown size while it is in flight: its label is made safe.
    in_flight = " ".join(line.text for line in progress.lines(200))
    assert "\\x1b]0;" in in_flight and "\\u202e" in in_flight  # shown escaped (the middle may be cut)
    assert "\x1b]0;" not in in_flight and "\u202e" not in in_flight
    assert "\x07" not in in_flight
    progress.transfer_end("TIC 1", f"{SMALL_ID} {HOSTILE_NAME}", 1, 0)
    progress.star_end("TIC 1")
    drawn = console.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b]0;" not in drawn and "\u202e" not in drawn and "\x07" not in drawn


# -- 8: auth login keeps only cookies it can send back --------------------------------------------------------------
def login(fake: FakeExoFop, tmp_path: Path) -> Any:
    from typer.testing import CliRunner

    from exofop_cli.cli import app

    args = ["--base-url", fake.base_url, "auth", "login", "--password-stdin"]
    env = {"EXOFOP_USERNAME": "observer", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    return CliRunner().invoke(app, args, env=env, input="correct horse\n")


@pytest.mark.parametrize(
    ("set_cookie", "reason"),
    [
        ('PHPSESSID="x;y"; path=/', "characters a Cookie header cannot carry"),
        ("PHPSESSID={sid}; path=/; Domain=.evil.example", "Domain=.evil.example"),
        ("PHPSESSID={sid}; path=/elsewhere/", "Path=/elsewhere/"),
        ("PHPSESSID={sid}; path=/; Max-Age=-1", "expired"),
        # SimpleCookie skips these without an error: the anonymous session of the login page must not stay.
        ("PHPSESSID={sid}\x01; path=/", "cannot be read"),
        ("PHPSESSID=; path=/", "empty"),
    ],
)
def test_a_session_cookie_that_cannot_be_sent_back_is_not_saved(
    fake: FakeExoFop, tmp_path: Path, set_cookie: str, reason: str
) -> None:
    fake.login_set_cookie = set_cookie
    result = login(fake, tmp_path)
    assert result.exit_code == 5, result.stderr
    assert "cannot be used" in result.stderr and reason in result.stderr and "unexpected" not in result.stderr
    assert not list((tmp_path / "cfg").rglob("cookies.txt"))  # nothing saved: later commands are unaffected
    after = run_cli(fake, tmp_path / "c", "ls", str(DEMO_TIC), env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert after.exit_code == 0, after.stderr


def test_a_huge_max_age_is_capped_not_a_crash(fake: FakeExoFop, tmp_path: Path) -> None:
    fake.login_set_cookie = "PHPSESSID={sid}; path=/; Max-Age=99999999999999999999"
    result = login(fake, tmp_path)
    assert result.exit_code == 0, result.stderr
    (jar,) = (tmp_path / "cfg").rglob("cookies.txt")
    expiry = int(jar.read_text().strip().splitlines()[-1].split("\t")[4])
    assert time.time() < expiry <= time.time() + 401 * 86400
    status = run_cli(fake, tmp_path / "c", "auth", "status", env={"XDG_CONFIG_HOME": str(tmp_path / "cfg")})
    assert status.exit_code == 0 and "logged in" in status.stdout


# -- 9: a cookie for a domain never goes to an IP address that merely ends like it ------------------------------
@pytest.mark.parametrize("domain", [".1", "0.0.1", ".0.0.1", "1"])
def test_ip_hosts_match_cookies_only_exactly(fake: FakeExoFop, tmp_path: Path, domain: str) -> None:
    jar = tmp_path / "jar.txt"
    jar.write_text(f"{domain}\tTRUE\t/\tFALSE\t0\tPHPSESSID\t{fake.new_session()}\n")
    result = run_cli(
        fake, tmp_path / "c", "--cookie-jar", str(jar), "fetch", str(DEMO_TIC), "--regex", "CHIRON"
    )
    assert result.exit_code == 5, result.stderr  # the proprietary file: no session was sent
    assert not any(r.had_cookie for r in fake.requests)
    exact = tmp_path / "exact.txt"
    exact.write_text(f"127.0.0.1\tTRUE\t/\tFALSE\t0\tPHPSESSID\t{fake.new_session()}\n")
    ok = run_cli(
        fake, tmp_path / "d", "--cookie-jar", str(exact), "fetch", str(DEMO_TIC), "--regex", "CHIRON"
    )
    assert ok.exit_code == 0, ok.stderr  # the IP itself still gets its cookie


# -- 13: jar expiries that are not times ---------------------------------------------------------------------------
@pytest.mark.parametrize("expiry", ["inf", "1e400", "nan"])
def test_a_jar_expiry_that_is_not_a_time_is_a_clean_error(
    fake: FakeExoFop, tmp_path: Path, expiry: str
) -> None:
    jar = tmp_path / "jar.txt"
    jar.write_text(f"127.0.0.1\tFALSE\t/\tFALSE\t{expiry}\tPHPSESSID\tabc\n")
    result = run_cli(fake, tmp_path / "c", "--cookie-jar", str(jar), "ls", str(DEMO_TIC))
    assert result.exit_code == 2 and "invalid expiry field" in result.stderr


def test_a_jar_expired_in_the_distant_past_with_a_401(fake: FakeExoFop, tmp_path: Path) -> None:
    jar = tmp_path / "jar.txt"
    jar.write_text("127.0.0.1\tFALSE\t/\tFALSE\t-1e300\tPHPSESSID\tabc\n")
    fake.faults.fail("get_file.php", 401, times=100, file_id=1010)
    cache = tmp_path / "c"
    result = run_cli(fake, cache, "--cookie-jar", str(jar), "fetch", str(DEMO_TIC), "--archive", "off")
    assert result.exit_code == 3 and "unexpected" not in result.stderr, result.stderr
    assert "expired on 1970-01-01" in result.stderr
    assert_clean_cache(manifest_path(cache))


# -- 10: credentials in the base URL are used, never written or logged -------------------------------------------
@pytest.mark.parametrize(
    "url",
    ["http://usr:s3cr3t-pw@host:99999/tess/", "ftp://usr:s3cr3t-pw@host/tess/", "http://usr:s3cr3t-pw@[::1"],
)
def test_an_unusable_base_url_is_named_without_its_credentials(tmp_path: Path, url: str) -> None:
    result = run_cli(url, tmp_path / "c", "resolve", "TOI-1262")
    assert result.exit_code == 2 and "unusable base URL" in result.stderr
    assert "s3cr3t-pw" not in result.stderr and "usr:" not in result.stderr and "//***@" in result.stderr


def test_credentials_in_the_base_url_are_never_written_or_logged(fake: FakeExoFop, tmp_path: Path) -> None:
    secret_url = fake.base_url.replace("http://", "http://reader:s3cr3t-pw@")
    cache = tmp_path / "c"
    with FakeExoFop() as twin:  # a redirect to another host must not carry the credentials
        fake.faults.redirect(
            "get_file.php", f"http://localhost:{twin.port}/tess/get_file.php?id={NEID}", file_id=TRES
        )
        runs = [
            run_cli(secret_url, cache, "-vvv", "fetch", str(DEMO_TIC), "--archive", "off"),
            run_cli(secret_url, cache, "-vvv", "fetch", str(DEMO_TIC)),  # the warm path (and its stamp)
            run_cli(secret_url, cache, "resolve", "TOI-1262"),
            run_cli(secret_url, cache, "cache", "ls", "--json"),
        ]
        assert twin.requests and not any(r.had_auth for r in twin.requests)
    assert all(r.had_auth for r in fake.requests)  # basic auth, to the base URL's own host only
    for result in runs:
        assert result.exit_code in (0, 3), result.stderr
        assert (
            "s3cr3t-pw" not in result.stdout + result.stderr
            and "reader:" not in result.stdout + result.stderr
        )
    written = [p for p in cache.rglob("*") if p.is_file()]
    assert any(p.name == "manifest.json" for p in written) and any(
        p.parent.name == "records" for p in written
    )
    for path in written:
        assert b"s3cr3t-pw" not in path.read_bytes() and b"reader:" not in path.read_bytes(), path
    manifest = json.loads(manifest_path(cache).read_text())
    assert manifest["sources"]["base_url"] == fake.base_url


# -- 11: the stale-temp sweep removes only exofop's own temp files, in folders exofop made --------------------------
def aged(path: Path, *, minutes: float = 20, content: bytes = b"user data") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    old = time.time() - minutes * 60
    os.utime(path, (old, old))
    return path


def test_a_symlinked_star_folder_is_never_swept(fake: FakeExoFop, cache_dir: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "my-project"
    theirs = [
        aged(elsewhere / ".draft.part"),
        aged(elsewhere / "deep" / ".notes.part"),
        aged(elsewhere / ".report.pdf.otherhost.123.0badc0de.part"),  # even an exofop-looking name
        aged(elsewhere / "files" / ".x.fits.host.99999999.deadbeef.part"),
    ]
    root = cache_dir / "exofop"
    root.mkdir(parents=True)
    (root / f"tic_{DEMO_TIC}").symlink_to(elsewhere, target_is_directory=True)
    with make_client(fake, cache_dir) as client:
        client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID, include_summaries=False)
    assert [p for p in theirs if not p.exists()] == []


def test_the_sweep_removes_only_exofop_temp_names(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir) as client:
        client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID, include_summaries=False)
        files = client.layout(DEMO_TIC).files_dir
        ours = aged(files / ".1003_TOI1262_NEID_rv.txt.otherhost.4242.0badc0de.part")  # a dead writer's
        theirs = [
            aged(files / ".draft.part"),
            aged(files / ".a.b.c.d.part"),
            aged(files / "sub" / ".x.h.1.0badc0de.part"),
        ]
        client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID, include_summaries=False, force_refresh=True)
    assert not ours.exists() and all(p.exists() for p in theirs)


# -- 12: hand-edited records are validated on read --------------------------------------------------------------------
@pytest.mark.parametrize(
    "damage",
    [
        {"path": "../../../etc/passwd"},
        {"file_id": "abc"},
        {"file_id": True},
        {"sha256": "not-a-hash"},
        {"bytes": "32"},
        {"path": "files/\x00x"},
    ],
)
def test_a_hand_edited_record_is_ignored_with_a_warning_and_rebuilt(
    fake: FakeExoFop, cache_dir: Path, damage: dict[str, Any]
) -> None:
    with make_client(fake, cache_dir) as client:
        first = client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID, include_summaries=False)
        record_file = client.layout(DEMO_TIC).record_path(NEID)
        record = json.loads(record_file.read_text())
        if damage.get("path") == "../../../etc/passwd":
            # The trap: a path elsewhere whose size and mtime match, so only validation can refuse it.
            target = cache_dir / "elsewhere"
            target.write_bytes(b"x" * record["bytes"])
            os.utime(target, ns=(record["mtime_ns"], record["mtime_ns"]))
            damage = {"path": os.path.relpath(target, client.layout(DEMO_TIC).root)}
        record_file.write_text(json.dumps({**record, **damage}))
        again = client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID, include_summaries=False)
    assert again.ok, again.errors
    assert any("damaged record" in w for w in again.warnings), again.warnings
    manifest = assert_clean_cache(again.manifest_path)
    assert [f["path"] for f in manifest["files"]] == [
        f["path"] for f in read_manifest(first.manifest_path)["files"]
    ]
    assert json.loads(record_file.read_text())["path"] == record["path"]  # rebuilt


# -- 13: clean errors, never "unexpected", for odd input ---------------------------------------------------------------
@pytest.mark.parametrize("value", ["nan", "inf", "1e308", "-inf"])
def test_odd_timeouts_are_usage_errors(fake: FakeExoFop, tmp_path: Path, value: str) -> None:
    result = run_cli(fake, tmp_path / "c", "--timeout", value, "fetch", str(DEMO_TIC))
    assert result.exit_code == 2 and "unexpected" not in result.stderr, result.stderr
    login = run_cli(fake, tmp_path / "c", "--timeout", value, "auth", "login", "--password-stdin")
    assert login.exit_code == 2 and "unexpected" not in login.stderr, login.stderr


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timeout_seconds": float("nan")},
        {"timeout_seconds": float("inf")},
        {"backoff_seconds": -1},
        {"backoff_seconds": float("nan")},
        {"retries": -1},
        {"max_file_size": 0},
        {"base_url": "http://[::1"},
        {"base_url": "ftp://example.org/tess/"},
    ],
)
def test_odd_library_settings_are_invalid_input(tmp_path: Path, kwargs: dict[str, Any]) -> None:
    from exofop_cli.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        ExoFopClient(cache_dir=tmp_path, **kwargs)


def test_a_bad_base_url_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("http://[::1", tmp_path / "c", "fetch", str(DEMO_TIC))
    assert (
        result.exit_code == 2 and "unusable base URL" in result.stderr and "unexpected" not in result.stderr
    )


def test_a_target_json_nested_100k_deep_is_an_invalid_response(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    fake.faults.replace_body("target.php", b'{"tois": ' + deep + b"}", content_type="application/json")
    result = client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID, include_summaries=False)
    assert result.ok and any("could not read the ExoFOP overview" in w for w in result.warnings)
    assert client.resolutions.get(f"tic:{DEMO_TIC}") is None  # never remembered: asked again next time
    fake.faults.clear()
    again = client.fetch(target=str(DEMO_TIC), selectors=ONLY_NEID, include_summaries=False)
    assert again.target.aliases["hd"] == "HD 104654" and again.target.toi == "1262.01"


@pytest.mark.parametrize(
    "body", [b"<html><title>ExoFOP-TESS</title><h1>Oops</h1></html>", b"[]", b"null", b"{}"]
)
def test_an_unreadable_overview_is_an_error_of_resolve_and_never_cached(
    client: ExoFopClient, fake: FakeExoFop, body: bytes
) -> None:
    """The answer `resolve` asked for could not be read: an error (exit 1), not an empty star cached for good."""
    kind = "text/html" if body.startswith(b"<") else "application/json"
    fake.faults.replace_body("target.php", body, content_type=kind)
    with pytest.raises(InvalidResponseError):
        client.resolve_target(DEMO_TIC)
    assert client.resolutions.get(f"tic:{DEMO_TIC}") is None
    fake.faults.clear()
    assert client.resolve_target(DEMO_TIC).aliases["hd"] == "HD 104654"


@pytest.mark.parametrize("manifest", [b'{"files": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nul"])
def test_a_hand_edited_manifest_never_crashes_a_command(
    fake: FakeExoFop, tmp_path: Path, manifest: bytes | str
) -> None:
    cache = tmp_path / "c"
    assert run_cli(fake, cache, "fetch", str(DEMO_TIC), "--regex", "NEID|Brgamma").exit_code == 0
    path = manifest_path(cache)
    if manifest == "nul":
        data = json.loads(path.read_text())
        for entry in data["files"]:
            entry["path"] = entry["path"] + "\x00.txt"
        manifest = json.dumps(data).encode()
    assert isinstance(manifest, bytes)
    for args in (
        ["cache", "ls"],
        ["cache", "verify"],
        ["contrast", str(DEMO_TIC)],
        ["ls", str(DEMO_TIC)],
        ["fetch", str(DEMO_TIC), "--regex", "NEID"],
    ):
        path.write_bytes(manifest)
        result = run_cli(fake, cache, *args)
        assert "unexpected" not in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)
        assert result.exit_code in (0, 1, 2, 3), (args, result.stderr)
    path.write_bytes(manifest)
    env = {
        **os.environ,
        "_EXOFOP_COMPLETE": "complete_bash",
        "COMP_WORDS": "exofop fetch ",
        "COMP_CWORD": "2",
        "_TYPER_COMPLETE_ARGS": "exofop fetch ",
        "EXOFOP_CACHE_DIR": str(cache),
    }
    tab = subprocess.run(
        [sys.executable, "-c", "from exofop_cli.cli import main; main()"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert "Traceback" not in tab.stderr and tab.returncode == 0, tab.stderr


# -- 14: smaller ones ----------------------------------------------------------------------------------------------
def test_a_plain_text_refusal_served_as_html_is_never_saved(fake: FakeExoFop, tmp_path: Path) -> None:
    padded = b"\n\nPlease log in to access this file.\n" + b" \n" * 1500  # under SNIFF_BYTES, over 1 KiB
    for n, body in enumerate((b"Please log in to access this file.", padded)):
        fake.faults.replace_body("get_file.php", body, content_type="text/html", file_id=NEID)
        with make_client(fake, tmp_path / f"cache{n}") as client:  # a fresh cache: no refusal remembered
            result = client.fetch(
                target=str(DEMO_TIC), selectors=ONLY_NEID, include_summaries=False, archive="off"
            )
        (error,) = result.errors
        assert error.kind == "auth_required" and not list(result.cache_root.glob(f"files/{NEID}_*"))


LIBRARY_RUN = """
import sys
from exofop_cli import ExoFopClient, ExoFopSelectors
client = ExoFopClient(base_url=sys.argv[1], cache_dir=sys.argv[2], backoff_seconds=0.01)
client.http.sleep = lambda seconds: None
result = client.fetch(target="365938305", selectors=ExoFopSelectors(filename_regex="NEID"), include_summaries=False)
assert result.ok, result.errors
"""


def test_the_library_never_prints_retry_warnings(fake: FakeExoFop, tmp_path: Path) -> None:
    # In a process of its own: under pytest, logging's handlers would hide what the last-resort handler prints.
    fake.faults.fail("get_file.php", 503, times=1, retry_after="30", file_id=NEID)
    run = subprocess.run(
        [sys.executable, "-c", LIBRARY_RUN, fake.base_url, str(tmp_path / "c")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert fake.count("get_file.php") == 2  # the 503 was retried: there was a warning to print
    assert run.stdout == "" and run.stderr == ""  # a library never prints (the CLI shows these itself)


def test_a_folder_name_exofop_never_makes_is_not_a_star(fake: FakeExoFop, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    assert run_cli(fake, cache, "fetch", str(DEMO_TIC), "--regex", "NEID").exit_code == 0
    twin = cache / "exofop" / f"tic_0{DEMO_TIC}"
    twin.mkdir()
    (twin / "mine.txt").write_text("not exofop's")
    listed = run_cli(fake, cache, "cache", "ls", "--json")
    assert [row["tic_id"] for row in json.loads(listed.stdout)] == [DEMO_TIC]
    pruned = run_cli(fake, cache, "cache", "prune", "--all", "--yes")
    assert pruned.exit_code == 0 and (twin / "mine.txt").exists()


# -- 7: a fetch and a cache prune at the same time ---------------------------------------------------------------------
def test_prune_skips_a_star_a_live_fetch_is_using(big: FakeExoFop, cache_dir: Path) -> None:
    big.faults.chunk_delay = 0.1  # ~1.2 s for the big file
    files_dir = cache_dir / "exofop" / f"tic_{BIG_TIC}" / "files"
    proc = subprocess.Popen(
        exofop_cmd("fetch", str(BIG_TIC), "--archive", "off", "--jobs", "1"),
        env=cli_env(big, cache_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not any(p.stat().st_size > 0 for p in temp_files(files_dir)):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        pruned = run_cli(big, cache_dir, "cache", "prune", "--all", "--yes")
        _out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert pruned.exit_code == 0 and "in use by a fetch (pid" in pruned.stderr, pruned.stderr
    assert proc.returncode == 0, err
    manifest = assert_clean_cache(manifest_path(cache_dir, BIG_TIC))
    assert len(manifest["files"]) == 2 and manifest["filelist"] is not None
    assert (files_dir.parent / "filelist.csv").is_file()
    again = run_cli(big, cache_dir, "cache", "prune", "--all", "--yes")  # the fetch is over: the marker too
    assert again.exit_code == 0 and not files_dir.parent.exists()


def test_a_stale_marker_does_not_keep_a_star(fake: FakeExoFop, cache_dir: Path) -> None:
    from exofop_cli.store.atomic import HOST

    assert run_cli(fake, cache_dir, "fetch", str(DEMO_TIC), "--regex", "NEID").exit_code == 0
    active = cache_dir / "exofop" / f"tic_{DEMO_TIC}" / ".state" / "active"
    active.mkdir(parents=True, exist_ok=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    (active / "here").write_text(json.dumps({"host": HOST, "pid": int(dead.stdout), "since": time.time()}))
    aged(
        active / "there", minutes=20, content=json.dumps({"host": "elsewhere", "pid": 1, "since": 0}).encode()
    )
    pruned = run_cli(fake, cache_dir, "cache", "prune", "--all", "--yes")
    assert pruned.exit_code == 0 and "in use" not in pruned.stderr
    assert not (cache_dir / "exofop" / f"tic_{DEMO_TIC}").exists()


def test_files_deleted_under_a_fetch_are_noticed_and_fetched_again(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exofop_cli.ops import fetcher

    real = fetcher.converge_manifest
    deletions = {"left": 1}

    def prune_first(layout: Any, *args: Any, **kwargs: Any) -> Any:
        if deletions["left"]:
            deletions["left"] -= 1
            for path in layout.files_dir.iterdir():  # what a prune planned before this fetch would do
                path.unlink()
        return real(layout, *args, **kwargs)

    monkeypatch.setattr(fetcher, "converge_manifest", prune_first)
    with make_client(fake, cache_dir) as client:
        result = client.fetch(
            target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="NEID|TRES_2020")
        )
        assert result.ok and any("vanished" in w for w in result.warnings)
        assert_files_match_server(assert_clean_cache(result.manifest_path), fake)
        assert len(read_manifest(result.manifest_path)["files"]) == 2
        deletions["left"] = 2  # deleted again after the second try: a failure, never "2 downloaded"
        with pytest.raises(CacheError, match="keep vanishing"):
            client.fetch(
                target=str(DEMO_TIC),
                selectors=ExoFopSelectors(filename_regex="NEID|TRES_2020"),
                force_download=True,
            )


# -- 4: a huge file list: streamed, bounded, and no larger in memory than it must be -------------------------------
def test_a_file_list_past_the_table_limit_is_a_clear_error(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exofop_cli import config

    monkeypatch.setattr(config, "MAX_TABLE_BYTES", 1000)
    with make_client(fake, cache_dir) as client, pytest.raises(InvalidResponseError) as info:
        client.fetch(target=str(DEMO_TIC), include_summaries=False)
    assert "the file list of TIC 365938305 is larger than the 1000 B limit" in info.value.message
    assert not client.layout(DEMO_TIC).filelist.exists() and temp_files(cache_dir) == []


def test_a_file_list_is_parsed_from_its_file_as_from_its_bytes(tmp_path: Path) -> None:
    from exofop_cli.remote.filelist import parse_filelist
    from exofop_cli.testing import HUGE_TIC, huge_filelist_target

    body = huge_filelist_target(2000).filelist_raw
    assert body is not None
    # Ragged and quoted rows too: the streaming reader must read them as the whole-text reader did.
    body += (
        b'Image,"a, quoted\nname.fits",999,'
        + str(HUGE_TIC).encode()
        + b',1000.01,2020-01-01,u,g,1,"two\nlines"\n'
    )
    path = tmp_path / "filelist.csv"
    path.write_bytes(body)
    from_file = parse_filelist(path, tic_id=HUGE_TIC)
    from_bytes = parse_filelist(body, tic_id=HUGE_TIC)
    assert from_file == from_bytes and len(from_file[0]) == 2001
    assert from_file[0][0].filename == "a, quoted\nname.fits" and from_file[0][0].description == "two\nlines"
