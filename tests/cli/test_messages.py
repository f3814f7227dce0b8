"""Messages that say what failed once, with the way out: summaries when tables fail, light-curve problems."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from exofop_cli.cli import app
from exofop_cli.testing import DEMO_TIC, FakeExoFop, FakeFile, FakeTarget

from ..test_hostile import unresolvable

runner = CliRunner()


def summaries(base_url: str, cache: Path, *args: str) -> Result:
    return runner.invoke(app, ["--cache-dir", str(cache), "--base-url", base_url, "summaries", *args])


@pytest.mark.parametrize("as_json", [False, True])
def test_no_network_is_one_error_with_its_hint(
    monkeypatch: pytest.MonkeyPatch, cache_dir: Path, as_json: bool
) -> None:
    unresolvable(monkeypatch, "exofop.example.invalid")
    extra = ["--json"] if as_json else []
    result = summaries("http://exofop.example.invalid/tess/", cache_dir, str(DEMO_TIC), *extra)
    assert result.exit_code == 6
    assert result.stdout == ""  # no lone "kind" header, no "{}": as ls and resolve when they fail
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert lines[0].startswith("error: cannot find the host exofop.example.invalid")
    assert "the summary tables of TIC" in lines[0]
    assert lines[1].startswith("hint: ") and "--offline" in lines[1]


def test_a_server_that_is_not_exofop_is_one_error(fake: FakeExoFop, cache_dir: Path) -> None:
    wrong = fake.base_url.removesuffix("tess/")  # every script answers 404
    result = summaries(wrong, cache_dir, str(DEMO_TIC))
    ls = runner.invoke(app, ["--cache-dir", str(cache_dir), "--base-url", wrong, "ls", str(DEMO_TIC)])
    assert result.exit_code == ls.exit_code != 4
    assert result.stdout == ""
    error, hint = result.stderr.splitlines()
    assert error.startswith(f"error: the server at {wrong} does not look like ExoFOP")
    assert hint.startswith("hint: ") and "--base-url" in hint


def test_one_failed_table_keeps_its_line_and_the_hint_comes_once(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.fail("download_spect.php", 404, times=10)
    result = summaries(fake.base_url, cache_dir, str(DEMO_TIC), "--kind", "spect,imaging", "--json")
    assert result.exit_code == 3  # partial
    assert set(json.loads(result.stdout)) == {"imaging"}
    error, hint = result.stderr.splitlines()
    assert error.startswith("error: download_spect.php: ") and error.endswith("[invalid_response]")
    assert hint.startswith("hint: ") and "--base-url" in hint


def test_a_failed_refresh_serves_the_cached_table_as_ls_does(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import exofop_cli.remote.http

    monkeypatch.setattr(exofop_cli.remote.http, "backoff_delay", lambda *args, **kwargs: 0.0)
    ls_args = ["--cache-dir", str(cache_dir), "--base-url", fake.base_url, "ls", str(DEMO_TIC)]
    assert summaries(fake.base_url, cache_dir, str(DEMO_TIC), "--kind", "spect").exit_code == 0
    assert runner.invoke(app, ls_args).exit_code == 0
    fake.faults.empty("download_spect.php", times=99)
    fake.faults.empty("download_filelist.php", times=99)
    result = summaries(fake.base_url, cache_dir, str(DEMO_TIC), "--kind", "spect", "--refresh", "--json")
    ls = runner.invoke(app, [*ls_args, "--refresh"])
    assert result.exit_code == ls.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["spect"]) == 2  # the cached copy
    assert "could not refresh the spect table" in result.stderr and "using the cached copy" in result.stderr
    assert "could not refresh the file list" in ls.stderr


def test_a_light_curve_problem_names_the_exofop_file_in_plain_words(
    fake: FakeExoFop, cache_dir: Path
) -> None:
    name = "TIC4242-01_20240101_LCO_ip_measurements.tbl"
    no_time = b"\tLabel\trel_flux_T1\trel_flux_err_T1\n1\ta.fits\t1.0\t0.001\n"
    fake.add_target(FakeTarget(tic_id=4242, files=[FakeFile(4200, name, "Light_Curve", content=no_time)]))
    base = ["--cache-dir", str(cache_dir), "--base-url", fake.base_url]
    assert runner.invoke(app, [*base, "fetch", "4242", "--no-summaries"]).exit_code == 0
    args = ["lightcurves", "4242", "--period", "3", "--epoch", "2459000.5", "--json"]
    result = runner.invoke(app, [*base, *args])
    (report,) = json.loads(result.stdout)
    problem = report["error"]
    assert problem.startswith(f"{name} is not a light curve: its header has no time column (expected")
    assert "4200_" not in problem  # the ExoFOP name, not the cache file's
    assert "error:" in result.stderr and result.exit_code != 0


def _jar(fake: FakeExoFop, path: Path, session: str) -> Path:
    host = fake.base_url.split("/")[2].split(":")[0]
    path.write_text(
        f"# Netscape HTTP Cookie File\n#HttpOnly_{host}\tFALSE\t/\tFALSE\t0\tPHPSESSID\t{session}\n"
    )
    path.chmod(0o600)
    return path


def _plan(fake: FakeExoFop, cache: Path, *jar: str) -> dict[int, str]:
    base = ["--cache-dir", str(cache), "--base-url", fake.base_url, *jar]
    result = runner.invoke(app, [*base, "fetch", "TOI-1262", "--regex", "CHIRON", "--dry-run", "--json"])
    assert result.exit_code == 0, result.stderr
    (plan,) = json.loads(result.stdout)
    return {f["file_id"]: f["action"] for f in plan["files"]}


def test_a_file_refused_under_a_stale_login_is_planned_as_needing_one(
    fake: FakeExoFop, cache_dir: Path, tmp_path: Path
) -> None:
    stale = ["--cookie-jar", str(_jar(fake, tmp_path / "stale.txt", "no-such-session"))]
    base = ["--cache-dir", str(cache_dir), "--base-url", fake.base_url]
    fetched = runner.invoke(app, [*base, *stale, "fetch", "TOI-1262", "--regex", "CHIRON"])
    assert fetched.exit_code == 5 and "login page for file 1010" in fetched.stderr
    # A saved jar whose session ExoFOP no longer knows: the same jar is refused again, so the plan says so
    # (it said "download", and every fetch asked again).
    assert _plan(fake, cache_dir, *stale) == {1010: "needs_login"}
    assert _plan(fake, cache_dir) == {1010: "needs_login"}  # anonymous: refused all the more
    fresh = ["--cookie-jar", str(_jar(fake, tmp_path / "fresh.txt", fake.new_session()))]
    assert _plan(fake, cache_dir, *fresh) == {1010: "download"}  # a new login is worth a try
    asked = fake.count("get_file.php")
    again = runner.invoke(app, [*base, *stale, "fetch", "TOI-1262", "--regex", "CHIRON"])
    assert again.exit_code == 5 and fake.count("get_file.php") == asked  # not asked again


class _Terminal:
    """A stderr that says it is a terminal of ``columns`` (as tmux at 80 columns would)."""

    def __init__(self, columns: int) -> None:
        self.columns, self.text = columns, ""

    def isatty(self) -> bool:
        return True

    def fileno(self) -> int:
        return 2

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        pass


def test_messages_on_a_terminal_wrap_between_words_never_inside_a_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import os
    import sys

    from exofop_cli.cli import _output

    term = _Terminal(60)
    monkeypatch.setattr(sys, "stderr", term)
    monkeypatch.setattr(os, "get_terminal_size", lambda fd: os.terminal_size((60, 24)))
    monkeypatch.setenv("NO_COLOR", "1")
    path = "/tmp/some/rather/long/cache/folder/exofop/tic_365938305/manifest.json"
    _output.warn_line(f"the manifest {path} was rewritten because the star's file list changed since")
    lines = term.text.splitlines()
    assert len(lines) > 1 and all(len(line) < 60 or path in line for line in lines)
    assert any(path in line for line in lines)  # whole, on one line
    assert lines[0].startswith("warning: ") and all(line.startswith("  ") for line in lines[1:])
    piped = _Terminal(60)
    piped.isatty = lambda: False  # type: ignore[method-assign]
    monkeypatch.setattr(sys, "stderr", piped)
    _output.note_line("x " * 80)
    assert piped.text.count("\n") == 1  # a pipe gets one line per message, as before
