"""Hostile input and hostile environments: server file names, HTML/garbage tables, bad user input, tracebacks,
offline mode that never opens a socket, and a cache folder that is full or cannot be written.
"""

from __future__ import annotations

import builtins
import errno
import os
import socket
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exofop_cli import ExoFopClient, ExoFopSelectors
from exofop_cli.cli import app
from exofop_cli.errors import CacheError, InvalidResponseError
from exofop_cli.store.layout import file_relpath
from exofop_cli.testing import DEMO_TIC, FakeExoFop, FakeFile, FakeTarget
from exofop_cli.testing.server import LOGIN_PAGE

from .conftest import make_client
from .test_faults import assert_clean_cache, assert_files_match_server, manifest_path, run_cli, temp_files

HOSTILE_TIC = 666000001
HOSTILE_NAMES = [
    "../../escaped.txt",
    "../../../../../../tmp/escaped-abs.txt",
    "/etc/passwd",
    "C:\\Windows\\System32\\evil.dll",
    "..\\..\\backslash.txt",
    "x" * 400 + ".fits",
    "y" * 300,
    "..",
    ".hidden",
    "sub/dir/nested.txt",
    "ünïcødé näme (1).txt",
    "%2e%2e%2fpercent.txt",
    "-rf --no-preserve-root",
    'tab\tand|pipe,comma"quote.txt',
]


def hostile_target() -> FakeTarget:
    files = [
        FakeFile(660000 + i, name, content=f"file {i}: {name!r}\n".encode())
        for i, name in enumerate(HOSTILE_NAMES)
    ]
    return FakeTarget(tic_id=HOSTILE_TIC, files=files)


def cli(*args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Any:
    return CliRunner().invoke(app, list(args), env=env, input=stdin)


# -- server-given file names -------------------------------------------------------------------------------
def test_server_file_names_are_sanitised_and_stay_inside_files(
    fake: FakeExoFop, cache_dir: Path, tmp_path: Path
) -> None:
    fake.add_target(hostile_target())
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target=str(HOSTILE_TIC), include_summaries=False)
    assert result.ok, result.errors
    manifest = assert_clean_cache(result.manifest_path)
    assert_files_match_server(manifest, fake)
    assert len(manifest["files"]) == len(HOSTILE_NAMES)
    files_dir = result.cache_root / "files"
    for entry in manifest["files"]:
        name = Path(entry["path"]).name
        assert entry["path"] == file_relpath(entry["file_id"], entry["filename"])
        assert (files_dir / name).parent == files_dir
        assert "/" not in name and "\\" not in name and "\x00" not in name and not name.startswith(".")
        assert len(name.encode()) <= 200
    # Nothing was written anywhere else.
    written = [p for p in tmp_path.rglob("*") if p.is_file() and not p.is_relative_to(files_dir)]
    assert not [p for p in written if "escaped" in p.name or "evil" in p.name or "nested" in p.name]
    assert not Path("/tmp/escaped-abs.txt").exists()
    # The original names survive in the manifest, for the user to see.
    assert {f["filename"] for f in manifest["files"]} == set(HOSTILE_NAMES)


def test_nul_byte_in_a_server_file_name(fake: FakeExoFop, cache_dir: Path) -> None:
    """A NUL byte makes the whole file list look binary: refused as invalid_response, never cached or used.
    (Were it accepted, the name would be sanitised like any other: checked on safe_filename directly.)"""
    from exofop_cli.store.layout import safe_filename

    assert safe_filename("nul\x00byte.txt") == "nul_byte.txt"
    assert file_relpath(7, "../\x00/x\x00.txt") == "files/7_x_.txt"
    fake.add_target(
        FakeTarget(
            tic_id=42, files=[FakeFile(4201, "nul\x00byte.txt", content=b"n"), FakeFile(4202, "ok.txt")]
        )
    )
    with make_client(fake, cache_dir) as client, pytest.raises(InvalidResponseError, match="binary"):
        client.fetch(target="42", include_summaries=False)
    assert not client.layout(42).filelist.exists()
    assert not list(cache_dir.rglob("*byte*"))


def test_hostile_names_through_the_cli(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(hostile_target())
    result = run_cli(fake, cache_dir, "fetch", str(HOSTILE_TIC), "--no-summaries")
    assert result.exit_code == 0, result.stderr
    assert run_cli(fake, cache_dir, "ls", str(HOSTILE_TIC)).exit_code == 0
    assert_clean_cache(manifest_path(cache_dir, HOSTILE_TIC))


def test_server_names_cannot_inject_terminal_escapes(fake: FakeExoFop, cache_dir: Path) -> None:
    name = "\x1b]0;pwned\x07\x1b[2J\x7fevil.txt"
    fake.add_target(FakeTarget(tic_id=42, files=[FakeFile(4201, name, content=b"x")]))
    fake.faults.fail("get_file.php", 404, file_id=4201)
    fetched = run_cli(fake, cache_dir, "fetch", "42", "--no-summaries", "--archive", "off")
    listing = run_cli(fake, cache_dir, "ls", "42")
    assert fetched.exit_code == 4 and listing.exit_code == 0  # its one file not found: nothing obtained
    for text in (fetched.stdout, fetched.stderr, listing.stdout, listing.stderr):
        assert "\x1b" not in text and "\x07" not in text and "\x7f" not in text


# -- HTML or garbage where a table was expected --------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE html><html><body><h1>Service unavailable</h1></body></html>",
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8,
        b"\x00\x01\x02\x03" * 1000,
        b'{"error": "no such star"}',
        b"\xef\xbb\xbf<html><head><title>ExoFOP</title></head><body>maintenance</body></html>",
    ],
)
def test_garbage_index_is_invalid_response(fake: FakeExoFop, cache_dir: Path, body: bytes) -> None:
    fake.faults.replace_body("download_filelist.php", body, content_type="text/plain")
    with make_client(fake, cache_dir) as client, pytest.raises(InvalidResponseError) as info:
        client.fetch(target=str(DEMO_TIC))
    assert info.value.kind == "invalid_response"
    layout = client.layout(DEMO_TIC)
    assert not layout.filelist.exists()  # never cached: it would poison later runs
    fake.faults.replace_body("download_filelist.php", body, content_type="text/plain")
    result = run_cli(fake, cache_dir, "fetch", str(DEMO_TIC))
    assert result.exit_code == 1
    assert "file list" in result.stderr and "Traceback" not in result.stderr


def test_login_page_instead_of_the_index_is_auth_required(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.replace_body("download_filelist.php", LOGIN_PAGE)
    result = run_cli(fake, cache_dir, "fetch", str(DEMO_TIC))
    assert result.exit_code == 5 and "login" in result.stderr


def test_html_summary_is_invalid_response_and_not_cached(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.replace_body("download_spect.php", b"<html><body>Query failed</body></html>")
    result = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="NEID"))
    assert [(e.endpoint, e.kind) for e in result.errors] == [("download_spect.php", "invalid_response")]
    assert "spect" not in read_summaries(result.manifest_path)
    assert not (result.cache_root / "summaries" / "spect.csv").exists()


def test_binary_garbage_summary_is_invalid_response(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.replace_body("download_spect.php", b"\x00\x01\xff\xfe" * 500, content_type="application/x")
    result = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="NEID"))
    assert [(e.endpoint, e.kind) for e in result.errors] == [("download_spect.php", "invalid_response")]
    assert not (result.cache_root / "summaries" / "spect.csv").exists()


def read_summaries(path: Path) -> dict[str, str]:
    from exofop_cli import read_manifest

    summaries: dict[str, str] = read_manifest(path)["summaries"]
    return summaries


@pytest.mark.parametrize(
    ("endpoint", "body", "target"),
    [
        ("gototicid.php", b"<html><body>Oops</body></html>", "HD 104654"),
        ("gototicid.php", b"not json at all", "HD 104654"),
        ("gototicid.php", b'["a", "list"]', "HD 104654"),
        ("download_toi.php", b"<html><body>Oops</body></html>", "TOI-1262"),
    ],
)
def test_garbage_resolver_answers_are_invalid_response(
    fake: FakeExoFop, cache_dir: Path, endpoint: str, body: bytes, target: str
) -> None:
    fake.faults.replace_body(endpoint, body, content_type="application/json")
    result = run_cli(fake, cache_dir, "resolve", target)
    assert result.exit_code == 1, result.stderr
    assert result.stderr.startswith("error:") and "Traceback" not in result.stderr


def test_garbage_overview_does_not_stop_the_fetch(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.replace_body("target.php", b"\x00garbage{{{", content_type="application/json")
    result = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="NEID"))
    assert result.ok and result.n_downloaded == 1
    assert any("overview" in w for w in result.warnings)
    assert_clean_cache(result.manifest_path)


# -- bad user input ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["fetch", "TIC"],
        ["fetch", "TOI-"],
        ["fetch", "TOI-1.2.3"],
        ["fetch", "TOI-1262.1"],
        ["fetch", "TIC 0"],
        ["fetch", ""],
        ["fetch", "star\x01name"],
        ["fetch", "x" * 300],
        ["fetch", "1", "--regex", "("],
        ["fetch", "1", "--regex", "[a-"],
        ["ls", "1", "--regex", "*"],
        ["fetch", "1", "--archive", "rar"],
        ["cache", "prune", "--older-than", "5x", "--dry-run"],
        ["cache", "prune", "--older-than", "-3d", "--dry-run"],
        ["cache", "prune", "--older-than", "", "--dry-run"],
        ["summaries", "1", "--kind", "nonsense"],
    ],
)
def test_bad_input_is_exit_2_with_a_hint(tmp_path: Path, args: list[str]) -> None:
    result = cli("--cache-dir", str(tmp_path), "--base-url", "http://127.0.0.1:9/tess/", *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith("error:"), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "\nhint: " in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["fetch", "1", "--jobs", "0"],
        ["fetch", "1", "--jobs", "999"],
        ["fetch", "1", "--jobs", "many"],
        ["fetch", "1", "--max-files", "-1"],
        ["fetch", "1", "--tag", "-5"],
        ["fetch", "1", "--tag", "abc"],
        ["--timeout", "0", "fetch", "1"],
        ["--timeout", "soon", "fetch", "1"],
        ["fetch", "1", "--no-such-option"],
    ],
)
def test_bad_numbers_and_options_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    result = cli("--cache-dir", str(tmp_path), *args)
    assert result.exit_code == 2
    assert "Try 'exofop" in result.stderr or "Try '" in result.stderr  # Click's own hint
    assert "Traceback" not in result.stderr + result.stdout


def test_no_traceback_unless_exofop_debug(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(ExoFopClient, "fetch_many", explode)
    quiet = cli("--cache-dir", str(tmp_path), "fetch", "1")
    assert quiet.exit_code == 1
    assert "unexpected RuntimeError: kaboom" in quiet.stderr and "EXOFOP_DEBUG=1" in quiet.stderr
    assert "Traceback" not in quiet.stderr + quiet.stdout
    loud = cli("--cache-dir", str(tmp_path), "fetch", "1", env={"EXOFOP_DEBUG": "1"})
    assert loud.exit_code == 1 and "Traceback (most recent call last)" in loud.stderr


# -- offline ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["flag", "env"])
def test_offline_never_opens_a_socket(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    warm = run_cli(fake, cache_dir, "fetch", "TOI-1262", "--regex", "notes")
    assert warm.exit_code == 0, warm.stderr
    fake.reset_log()
    attempts = no_sockets(monkeypatch)

    def offline(*args: str) -> Any:
        if how == "flag":
            return run_cli(fake, cache_dir, "--offline", *args)
        return run_cli(fake, cache_dir, *args, env={"EXOFOP_OFFLINE": "1"})

    cached = offline("fetch", "TOI-1262", "--regex", "notes")
    assert cached.exit_code == 0, cached.stderr
    missing = offline("fetch", "TOI-1262", "--regex", "NEID")
    assert missing.exit_code in (3, 6) and "offline" in missing.stderr
    assert offline("resolve", "TOI-5").exit_code == 6
    assert offline("ls", "TOI-1262").exit_code == 0
    assert offline("summaries", "TOI-1262", "--kind", "spect").exit_code == 0
    assert offline("fetch", "TOI-1262", "--regex", "notes", "--refresh").exit_code in (3, 6)
    assert attempts == [] and fake.requests == []
    assert_clean_cache(manifest_path(cache_dir))


def no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on any attempt to resolve or connect fails the test; returns the attempts made."""
    attempts: list[str] = []

    def refuse(name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> Any:
            attempts.append(name)
            raise AssertionError(f"offline run tried to use the network: {name}")

        return fail

    monkeypatch.setattr(socket.socket, "connect", refuse("connect"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("connect_ex"))
    monkeypatch.setattr(socket, "create_connection", refuse("create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("getaddrinfo"))
    return attempts


def test_offline_auth_login_never_opens_a_socket(
    fake: FakeExoFop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts = no_sockets(monkeypatch)
    result = CliRunner().invoke(
        app,
        [
            "--offline",
            "--base-url",
            fake.base_url,
            "auth",
            "login",
            "--username",
            "observer",
            "--password-stdin",
        ],
        input="correct horse\n",
    )
    assert attempts == [] and fake.requests == []
    assert result.exit_code == 6 and "offline" in result.stderr


# -- cache folder full or unwritable ------------------------------------------------------------------------------
class _FailingFile:
    """A file object whose writes (or close) fail like a full disk."""

    def __init__(self, fh: Any, error: int, on: str) -> None:
        self._fh, self._error, self._on = fh, error, on

    def write(self, data: bytes) -> int:
        if self._on == "write":
            raise OSError(self._error, os.strerror(self._error))
        return int(self._fh.write(data))

    def close(self) -> None:
        self._fh.close()
        if self._on == "close":
            raise OSError(self._error, os.strerror(self._error))


def break_cache_writes(monkeypatch: pytest.MonkeyPatch, error: int, on: str = "write") -> None:
    """Make every new cache file fail on ``write``, ``close`` or ``open`` with ``error``."""
    from exofop_cli.store import atomic as storage

    real_open = builtins.open

    def fake_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "x" not in mode and "w" not in mode:
            return real_open(file, mode, *args, **kwargs)
        if on == "open":
            raise OSError(error, os.strerror(error), str(file))
        return _FailingFile(real_open(file, mode, *args, **kwargs), error, on)

    real_fdopen = os.fdopen

    def fake_fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        return _FailingFile(real_fdopen(fd, mode, *args, **kwargs), error, on)

    monkeypatch.setattr(storage, "open", fake_open, raising=False)
    monkeypatch.setattr(storage.os, "fdopen", fake_fdopen)


@pytest.mark.parametrize("on", ["write", "close"])
def test_disk_full_is_a_clear_error(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, on: str
) -> None:
    break_cache_writes(monkeypatch, errno.ENOSPC, on)
    with make_client(fake, cache_dir) as client, pytest.raises(CacheError) as info:
        client.fetch(target=str(DEMO_TIC))
    message = str(info.value)
    assert "no space left on device" in message and str(cache_dir) in message
    assert info.value.hint and "EXOFOP_CACHE_DIR" in info.value.hint
    assert temp_files(cache_dir) == []
    result = run_cli(fake, cache_dir, "fetch", str(DEMO_TIC))
    assert result.exit_code == 1
    assert "no space left on device" in result.stderr and "EXOFOP_CACHE_DIR" in result.stderr
    assert str(cache_dir) in result.stderr and "Traceback" not in result.stderr
    assert temp_files(cache_dir) == []
    monkeypatch.undo()
    # Space is back: the next run finishes the job.
    with make_client(fake, cache_dir) as client:
        done = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="^(?!.*CHIRON)"))
    assert done.ok
    assert_clean_cache(done.manifest_path)


def test_disk_full_in_the_middle_of_a_big_download(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.add_target(FakeTarget(tic_id=42, files=[FakeFile(4201, "big.fits", size=3 * 1024 * 1024)]))
    from exofop_cli.store import atomic as storage

    real_write = storage.AtomicWriter.write

    def write(self: Any, chunk: bytes) -> None:
        if self.size > 1024 * 1024 and self.final.name.endswith("big.fits"):
            with monkeypatch.context() as m:
                m.setattr(self, "_fh", _FailingFile(self._fh, errno.ENOSPC, "write"))
                return real_write(self, chunk)
        return real_write(self, chunk)

    monkeypatch.setattr(storage.AtomicWriter, "write", write)
    result = run_cli(fake, cache_dir, "fetch", "42", "--no-summaries")
    assert result.exit_code == 1 and "no space left on device" in result.stderr
    assert temp_files(cache_dir) == []
    assert not list(cache_dir.rglob("4201_big.fits"))


def test_unwritable_cache_folder_is_a_clear_error(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() == 0:
        # chmod does not stop root: simulate what any other user gets from a read-only folder.
        break_cache_writes(monkeypatch, errno.EACCES, "open")
        from exofop_cli.store import atomic as storage

        real_mkdir = Path.mkdir

        def mkdir(self: Path, *args: Any, **kwargs: Any) -> None:
            if self.is_relative_to(cache_dir) and not self.exists():
                raise PermissionError(errno.EACCES, "Permission denied", str(self))
            real_mkdir(self, *args, **kwargs)

        monkeypatch.setattr(storage.Path, "mkdir", mkdir)
    else:
        cache_dir.chmod(0o555)
    try:
        result = run_cli(fake, cache_dir, "fetch", str(DEMO_TIC))
        via_env = CliRunner().invoke(
            app,
            ["--base-url", fake.base_url, "fetch", str(DEMO_TIC)],
            env={"EXOFOP_CACHE_DIR": str(cache_dir)},
        )
    finally:
        cache_dir.chmod(0o755)
    for run in (result, via_env):
        assert run.exit_code == 1, run.stderr
        assert "cannot write to the cache folder" in run.stderr and str(cache_dir) in run.stderr
        assert "permission denied" in run.stderr.lower() and "EXOFOP_CACHE_DIR" in run.stderr
        assert "Traceback" not in run.stderr


def test_cache_folder_that_cannot_exist_is_a_clear_error(fake: FakeExoFop, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    for target in (str(DEMO_TIC), "TOI-1262"):
        result = run_cli(fake, blocker / "cache", "fetch", target)
        assert result.exit_code == 1, result.stderr
        assert "cannot write to the cache folder" in result.stderr and str(blocker) in result.stderr
        assert "EXOFOP_CACHE_DIR" in result.stderr and "Traceback" not in result.stderr


def test_temp_names_stay_short_for_long_non_ascii_names(tmp_path: Path) -> None:
    from exofop_cli.store.atomic import atomic_write_bytes, temp_path_for

    final = tmp_path / ("€" * 80 + ".txt")  # 244 bytes: a legal name whose temp name must still fit
    assert len(temp_path_for(final).name.encode()) <= 255
    atomic_write_bytes(final, b"data")
    assert final.read_bytes() == b"data" and temp_files(tmp_path) == []
