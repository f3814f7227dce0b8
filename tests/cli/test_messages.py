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
