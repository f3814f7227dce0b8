"""``exofop_cli.cli.main`` skips interpreter teardown only when nothing would run at a normal exit."""

from __future__ import annotations

import atexit
import sys
import threading
from typing import Any

import pytest

from exofop_cli import cli


class _Exited(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


@pytest.fixture
def quiet_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process with nothing to do at exit (pytest itself registers atexit handlers, so pretend)."""
    monkeypatch.setattr(atexit, "_ncallbacks", lambda: 0, raising=False)
    monkeypatch.setattr(sys, "gettrace", lambda: None)
    monkeypatch.setattr(sys, "getprofile", lambda: None)
    monkeypatch.delenv("EXOFOP_DEBUG", raising=False)


def _raise_exit(code: int) -> None:
    raise _Exited(code)


@pytest.mark.usefixtures("quiet_exit")
def test_nothing_pending_allows_a_fast_exit() -> None:
    assert cli._may_skip_teardown()


@pytest.mark.usefixtures("quiet_exit")
def test_an_atexit_handler_forces_a_normal_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(atexit, "_ncallbacks", lambda: 1, raising=False)
    assert not cli._may_skip_teardown()


@pytest.mark.usefixtures("quiet_exit")
def test_without_a_way_to_count_handlers_the_exit_is_normal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(atexit, "_ncallbacks", raising=False)
    assert not cli._may_skip_teardown()


@pytest.mark.usefixtures("quiet_exit")
def test_debug_tracing_and_profiling_force_a_normal_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXOFOP_DEBUG", "1")
    assert not cli._may_skip_teardown()
    monkeypatch.delenv("EXOFOP_DEBUG")
    monkeypatch.setattr(sys, "getprofile", lambda: print)  # coverage, cProfile, debuggers
    assert not cli._may_skip_teardown()


@pytest.mark.usefixtures("quiet_exit")
def test_a_running_thread_forces_a_normal_exit() -> None:
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait, daemon=False)
    worker.start()
    try:
        assert not cli._may_skip_teardown()
    finally:
        stop.set()
        worker.join()
    daemon = threading.Thread(target=stop.wait, daemon=True)  # daemons never hold up an exit
    stop.clear()
    daemon.start()
    try:
        assert cli._may_skip_teardown()
    finally:
        stop.set()
        daemon.join()


@pytest.mark.usefixtures("quiet_exit")
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


@pytest.mark.usefixtures("quiet_exit")
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


@pytest.mark.usefixtures("quiet_exit")
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
