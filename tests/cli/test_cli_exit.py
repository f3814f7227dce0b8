"""``exofop_cli.cli.main`` skips only the interpreter teardown, after doing what a normal exit does first."""

from __future__ import annotations

import atexit
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from exofop_cli import cli


class _Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


def _raise_exit(code: int) -> None:
    raise _Exited(code)


@pytest.fixture
def exit_handler_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Calls of atexit._run_exitfuncs (replaced: the real one would run pytest's own exit handlers)."""
    calls: list[int] = []
    monkeypatch.setattr(atexit, "_run_exitfuncs", lambda: calls.append(1), raising=False)
    monkeypatch.setattr(sys, "gettrace", lambda: None)
    monkeypatch.setattr(sys, "getprofile", lambda: None)
    monkeypatch.delenv("EXOFOP_DEBUG", raising=False)
    return calls


def test_exit_handlers_run_before_a_fast_exit(exit_handler_runs: list[int]) -> None:
    assert cli._finished_early()
    assert exit_handler_runs == [1]


@pytest.mark.usefixtures("exit_handler_runs")
def test_off_cpython_the_exit_is_normal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(atexit, "_run_exitfuncs", raising=False)
    assert not cli._finished_early()


def test_debug_tracing_and_profiling_force_a_normal_exit(
    monkeypatch: pytest.MonkeyPatch, exit_handler_runs: list[int]
) -> None:
    monkeypatch.setenv("EXOFOP_DEBUG", "1")
    assert not cli._finished_early()
    monkeypatch.delenv("EXOFOP_DEBUG")
    monkeypatch.setattr(sys, "getprofile", lambda: print)  # cProfile, debuggers
    assert not cli._finished_early()
    assert exit_handler_runs == []  # left to the normal exit


def test_a_running_thread_forces_a_normal_exit(exit_handler_runs: list[int]) -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=False)
    worker.start()
    try:
        assert not cli._finished_early()
    finally:
        stop.set()
        worker.join()
    daemon = threading.Thread(target=stop.wait, daemon=True)  # daemons never hold up an exit
    stop.clear()
    daemon.start()
    try:
        assert cli._finished_early()
    finally:
        stop.set()
        daemon.join()


@pytest.mark.usefixtures("exit_handler_runs")
@pytest.mark.parametrize(("code", "expected"), [(0, 0), (3, 3), (None, 0)])
def test_main_exits_with_the_command_code(
    monkeypatch: pytest.MonkeyPatch, code: int | None, expected: int
) -> None:
    def app(**_: Any) -> None:
        raise SystemExit(code)

    monkeypatch.setattr(cli, "app", app)
    monkeypatch.setattr(cli.os, "_exit", _raise_exit)
    with pytest.raises(_Exited) as exited:
        cli.main()
    assert exited.value.code == expected


@pytest.mark.usefixtures("exit_handler_runs")
def test_main_leaves_a_message_exit_to_python(monkeypatch: pytest.MonkeyPatch) -> None:
    def app(**_: Any) -> None:
        raise SystemExit("a message Python prints")

    monkeypatch.setattr(cli, "app", app)
    monkeypatch.setattr(cli.os, "_exit", _raise_exit)
    with pytest.raises(SystemExit, match="a message"):
        cli.main()


class _Stream:
    def __init__(self, error: BaseException | None) -> None:
        self.error = error

    def flush(self) -> None:
        if self.error is not None:
            raise self.error


@pytest.mark.parametrize("error", [BrokenPipeError(), ValueError("I/O operation on closed file")])
def test_a_closed_pipe_does_not_stop_the_fast_exit(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    monkeypatch.setattr(sys, "stdout", _Stream(error))
    monkeypatch.setattr(sys, "stderr", _Stream(None))
    assert cli._flushed()


@pytest.mark.usefixtures("exit_handler_runs")
def test_output_that_cannot_be_written_takes_the_normal_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk (`exofop ls X > /dev/full`): Python's normal exit then reports it with status 120."""
    monkeypatch.setattr(sys, "stdout", _Stream(OSError(28, "No space left on device")))
    monkeypatch.setattr(sys, "stderr", _Stream(None))
    assert not cli._flushed()

    def app(**_: Any) -> None:
        raise SystemExit(0)

    monkeypatch.setattr(cli, "app", app)
    monkeypatch.setattr(cli.os, "_exit", _raise_exit)
    with pytest.raises(SystemExit):
        cli.main()


def test_exit_handlers_really_run_in_a_real_process(tmp_path: Any) -> None:
    """End to end: atexit handlers run, output and code survive, and only the teardown is skipped."""
    marker, teardown = tmp_path / "ran", tmp_path / "torn-down"
    probe = (
        "import atexit, pathlib, sys\n"
        "import exofop_cli.cli as cli\n"
        f"atexit.register(pathlib.Path({str(marker)!r}).write_text, 'yes')\n"
        "class Sentinel:\n"
        f"    def __del__(self, p=pathlib.Path({str(teardown)!r})):\n"
        "        p.write_text('teardown ran')\n"
        "keep = Sentinel()\n"
        "def app(**_):\n    print('data'); raise SystemExit(3)\n"
        "cli.app = app\n"
        "cli.main()\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=False
    )
    assert out.returncode == 3 and out.stdout == "data\n"
    assert marker.read_text() == "yes"
    assert not teardown.exists()  # and the interpreter teardown was skipped


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize(
    "args", [["--version"], ["--help"], ["completion", "bash"], ["cache", "ls", "--json"]]
)
def test_a_full_disk_on_stdout_is_one_clear_error(args: list[str], tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "exofop_cli", "--offline", "--cache-dir", str(tmp_path), *args],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert run.returncode == 1
    assert run.stderr == "error: cannot write the output: No space left on device\n"
