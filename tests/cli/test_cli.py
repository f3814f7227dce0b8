"""The CLI through typer's CliRunner: stdout carries data only, stderr messages, exit codes per the table."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exofop_cli.cli import app
from exofop_cli.cli._app import COMMANDS
from exofop_cli.testing import DEMO_TIC, FakeExoFop, FakeTarget

runner = CliRunner()


def run(fake: FakeExoFop | None, cache: Path, *args: str, env: dict[str, str] | None = None) -> object:
    base = ["--cache-dir", str(cache)] + (["--base-url", fake.base_url] if fake else [])
    return runner.invoke(app, [*base, *args], env=env or {}, prog_name="exofop")


def test_resolve_json(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "resolve", "TOI 1262", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "tic_id": DEMO_TIC,
        "toi": "1262.01",
        "aliases": {"hd": "HD 104654", "gaia_dr3": "Gaia DR3 5375123456789012345"},
        "tois": ["1262.01"],
        "names": ["HD 104654", "Gaia DR3 5375123456789012345"],
    }
    assert result.stderr == ""


def test_resolve_plain(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "resolve", f"tic_{DEMO_TIC}")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        f"tic_id\t{DEMO_TIC}",
        "toi\t1262.01",  # the same form as in --json
        "aliases\thd: HD 104654, gaia_dr3: Gaia DR3 5375123456789012345",
        "tois\t1262.01",
        "names\tHD 104654, Gaia DR3 5375123456789012345",
    ]


def test_resolve_text_and_json_carry_the_same_fields(fake: FakeExoFop, cache_dir: Path) -> None:
    text = run(fake, cache_dir, "resolve", "HD 104654").stdout
    data = json.loads(run(fake, cache_dir, "resolve", "HD 104654", "--json").stdout)
    fields = dict(line.split("\t", 1) for line in text.splitlines())
    assert list(fields) == list(data)
    assert fields["toi"] == data["toi"] and fields["tois"] == ", ".join(data["tois"])


def test_ls_json_rows(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "ls", "TOI-1262", "--types", "Image,Spectrum", "--json")
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["type"] for r in rows} == {"Image", "Spectrum"}
    expected = {
        "file_id",
        "tic_id",
        "toi",
        "filename",
        "type",
        "date_utc",
        "tag",
        "description",
        "user",
        "group",
    }
    assert expected <= set(rows[0])
    assert all(r["tic_id"] == DEMO_TIC and r["cached"] is False for r in rows)


def test_ls_pipe_output_is_tab_separated(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "ls", str(DEMO_TIC), "--tag", "30002")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split("\t")[:3] == ["File ID", "Type", "File name"]  # a header row, no "# ..." line
    assert lines[1].split("\t")[:3] == ["1003", "Spectrum", "TOI1262_NEID_rv.txt"]
    assert len(lines) == 2
    assert result.stderr == f"TIC {DEMO_TIC}: 1 file\n"


def test_fetch_stdout_paths_and_json(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Spectrum", "--regex", "TRES")
    assert result.exit_code == 0, result.stderr
    root = cache_dir / "exofop" / f"tic_{DEMO_TIC}"
    assert result.stdout == f"{root}\t{root / 'manifest.json'}\n"
    assert "2 downloaded" in result.stderr
    again = run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Spectrum", "--regex", "TRES", "--json")
    (data,) = json.loads(again.stdout)
    assert data["files_downloaded"] == [] and data["n_skipped"] == 2
    assert sorted(data["files_skipped"]) == ["TOI1262.01_TRES_20200815.fits", "TOI1262_TRES_ccf.pdf"]
    assert data["manifest_path"] == str(root / "manifest.json")
    expected = {
        "tic_id",
        "cache_root",
        "manifest_path",
        "files_downloaded",
        "files_skipped",
        "warnings",
        "errors",
    }
    assert expected <= set(data)


def test_fetch_partial_exit_3_and_auth_5(fake: FakeExoFop, cache_dir: Path) -> None:
    everything = run(fake, cache_dir, "fetch", str(DEMO_TIC), "--no-summaries")
    assert everything.exit_code == 3
    assert "file 1010" in everything.stderr and "auth_required" in everything.stderr
    only_private = run(fake, cache_dir, "fetch", str(DEMO_TIC), "--regex", "CHIRON", "--refresh")
    assert only_private.exit_code == 5


def test_quiet_keeps_errors_only(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "-q", "fetch", str(DEMO_TIC), "--tag", "30002", "--no-summaries")
    assert result.exit_code == 0 and result.stderr == ""


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["fetch", "TOI-1262", "--regex", "("], "invalid --regex"),
        (["fetch", "TOI-1262", "--max-files", "-1"], "--max-files"),
        (["fetch", "TOI-1262.1"], "two-digit"),
        (["fetch", "TIC"], "cannot read target"),
        (["--cookie-jar", "/nonexistent/jar.txt", "fetch", "1"], "cookie jar not found"),
        (["cache", "prune", "--older-than", "soon"], "invalid duration"),
        (["cache", "prune"], "nothing to prune"),
        (["summaries", "1", "--kind", "bogus"], "unknown summary kind"),
        (["fech", "1"], "Did you mean 'fetch'"),
    ],
)
def test_bad_input_is_exit_2_with_a_message(
    fake: FakeExoFop, cache_dir: Path, args: list[str], needle: str
) -> None:
    result = run(fake, cache_dir, *args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert needle in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_not_found_exit_4(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "resolve", "Kepler-99999")
    assert result.exit_code == 4
    assert result.stderr.startswith("error: target not found on ExoFOP: Kepler-99999")
    assert result.stdout == ""


def test_network_failure_exit_6(cache_dir: Path) -> None:
    import socket

    with socket.socket() as s:  # a port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = runner.invoke(
        app,
        [
            "--cache-dir",
            str(cache_dir),
            "--base-url",
            f"http://127.0.0.1:{port}/tess/",
            "--timeout",
            "1",
            "resolve",
            "TOI-5",
        ],
        env={},
    )
    assert result.exit_code == 6
    # Nobody listens: refused at once, which a retry would not change (issue 14): the host and the way out.
    assert f"127.0.0.1:{port} refused the connection" in result.stderr and "not retried" in result.stderr
    assert "--offline" in result.stderr


def test_offline_without_cache_exit_6(cache_dir: Path) -> None:
    result = runner.invoke(app, ["--cache-dir", str(cache_dir), "--offline", "fetch", "TOI-1262"], env={})
    assert result.exit_code == 6
    assert "offline" in result.stderr and "--offline" in result.stderr


def test_unexpected_error_has_no_traceback_unless_debug(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import exofop_cli.client as client_module

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(client_module.ExoFopClient, "resolve_target", boom)
    result = run(fake, cache_dir, "resolve", "TOI-1262")
    assert result.exit_code == 1
    assert "unexpected RuntimeError: kaboom" in result.stderr and "Traceback" not in result.stderr
    debug = run(fake, cache_dir, "resolve", "TOI-1262", env={"EXOFOP_DEBUG": "1"})
    assert "Traceback" in debug.stderr


def test_summaries_json(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "summaries", "TOI-1262", "--kind", "spect", "--kind", "imaging", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) == {"spect", "imaging"}
    assert [r["Instrument"] for r in data["spect"]] == ["TRES", "NEID"]
    assert data["imaging"][0]["Filter"] == "562: 562 (54) nm"


def test_summaries_partial_when_one_table_fails(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.fail("download_uploads.php", 404, times=10)
    result = run(fake, cache_dir, "summaries", "TOI-1262", "--json")
    assert result.exit_code == 3
    assert "uploads" not in json.loads(result.stdout)
    assert "download_uploads.php" in result.stderr


def test_cache_ls_verify_prune(fake: FakeExoFop, cache_dir: Path) -> None:
    assert run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Notes").exit_code == 0
    listing = json.loads(run(fake, cache_dir, "cache", "ls", "--json").stdout)
    assert [(t["tic_id"], t["files"]) for t in listing] == [(DEMO_TIC, 2)]
    assert (listing[0]["toi"], listing[0]["tois"]) == (
        "1262.01",
        ["1262.01"],
    )  # as resolve and fetch give them
    ok = run(fake, cache_dir, "cache", "verify")
    assert ok.exit_code == 0 and "2 files OK" in ok.stderr
    damaged = cache_dir / "exofop" / f"tic_{DEMO_TIC}" / "files" / "1008_notes.txt"
    damaged.write_text("tampered")
    bad = run(fake, cache_dir, "cache", "verify", "TOI-1262")
    assert bad.exit_code == 1 and "1008_notes.txt" in bad.stderr
    plan = run(fake, cache_dir, "cache", "prune", "--all", "--dry-run", "--json")
    assert plan.exit_code == 0
    assert json.loads(plan.stdout)["items"][0]["tic_id"] == DEMO_TIC
    assert (cache_dir / "exofop" / f"tic_{DEMO_TIC}").is_dir()
    refused = run(fake, cache_dir, "cache", "prune", "--all")  # stdin is not a terminal
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    young = run(fake, cache_dir, "cache", "prune", "--older-than", "30d", "--yes", "--json")
    assert json.loads(young.stdout)["items"] == []
    done = run(fake, cache_dir, "cache", "prune", "TOI-1262", "--yes")
    assert done.exit_code == 0 and not (cache_dir / "exofop" / f"tic_{DEMO_TIC}").exists()


def test_cache_path(cache_dir: Path) -> None:
    result = runner.invoke(app, ["--cache-dir", str(cache_dir), "cache", "path"], env={})
    assert result.stdout.strip() == str(cache_dir / "exofop")
    result = runner.invoke(app, ["--cache-dir", str(cache_dir), "cache", "path", "42"], env={})
    assert result.stdout.strip() == str(cache_dir / "exofop" / "tic_42")


def test_cache_path_takes_the_target_once(cache_dir: Path) -> None:
    result = run(None, cache_dir, "cache", "path", "123", "--tic", "456")
    assert result.exit_code == 2 and result.stdout == ""
    assert "not both" in result.stderr
    result = run(None, cache_dir, "cache", "path", "--tic", "456")
    assert result.exit_code == 0 and result.stdout.strip() == str(cache_dir / "exofop" / "tic_456")


def test_cache_verify_of_a_target_not_cached_is_not_found(fake: FakeExoFop, cache_dir: Path) -> None:
    absent = run(fake, cache_dir, "cache", "verify", "123")
    assert absent.exit_code == 4, absent.stderr
    assert absent.stderr.splitlines() == [
        "error: target not found in the cache: TIC 123",
        "hint: `exofop cache ls` lists what is cached; `exofop fetch 123` adds it",
    ]
    assert run(fake, cache_dir, "cache", "verify", "123", "--json").stdout.strip() == "[]"
    assert run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Notes").exit_code == 0
    both = run(fake, cache_dir, "cache", "verify", "123", "--tic", str(DEMO_TIC))
    assert both.exit_code == 3 and "TIC 123" in both.stderr and "2 files OK" in both.stderr


def test_cache_dir_from_environment(fake: FakeExoFop, tmp_path: Path) -> None:
    env_cache = tmp_path / "from-env"
    result = runner.invoke(
        app,
        ["--base-url", fake.base_url, "fetch", str(DEMO_TIC), "--tag", "30002"],
        env={"EXOFOP_CACHE_DIR": str(env_cache)},
    )
    assert result.exit_code == 0
    assert (env_cache / "exofop" / f"tic_{DEMO_TIC}" / "manifest.json").is_file()


def test_version_and_help(cache_dir: Path) -> None:
    from exofop_cli import __version__

    assert runner.invoke(app, ["--version"]).stdout == f"exofop {__version__}\n"
    help_text = runner.invoke(app, ["--help"]).stdout
    assert "Exit codes: 0 success" in help_text
    for name in COMMANDS:
        assert name in help_text


def test_command_summaries_match_docstrings() -> None:
    """The lazy registry's one-line summaries must not drift from the commands they describe."""
    import importlib

    import typer

    for name, (module, attr, summary) in COMMANDS.items():
        command = typer.main.get_command(getattr(importlib.import_module(f"exofop_cli.cli.{module}"), attr))
        doc = (command.help or "").strip().split("\n\n")[0].replace("\n", " ")
        assert summary == doc, f"{name}: registry says {summary!r}, command says {doc!r}"


def test_no_color_and_no_ansi_when_piped(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "resolve", "Kepler-99999", env={"NO_COLOR": "1"})
    assert "\x1b[" not in result.stderr


def test_python_dash_m(cache_dir: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "exofop_cli", "--version"],
        capture_output=True,
        text=True,
        env={**os.environ},
        check=True,
    )
    assert out.stdout.startswith("exofop ")


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("n_columns", [3, 40])
def test_terminal_tables_show_brackets_and_escape_controls(
    monkeypatch: pytest.MonkeyPatch, n_columns: int
) -> None:
    """On a terminal rows are a Rich table (or cards when too wide); cell text is never Rich markup."""
    from exofop_cli.cli._output import emit_rows

    out = _Terminal()
    monkeypatch.setattr("sys.stdout", out)
    monkeypatch.setenv("NO_COLOR", "1")
    columns = [(f"c{i}", f"C{i}") for i in range(n_columns)]
    emit_rows(
        [{"c0": "TOI1262.01: [P=8.15] [bold]x[/bold]", "c1": "evil\x1b]0;title\x07name"}], columns, title="t"
    )
    text = out.getvalue()
    assert "[P=8.15]" in text and "[bold]x[/bold]" in text
    assert "\\x1b" in text and "\x07" not in text


def test_prune_prompt_interrupted_deletes_nothing_and_exits_130(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    assert run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Notes").exit_code == 0
    from exofop_cli.cli import cache_cmd

    monkeypatch.setattr(cache_cmd, "sys", type("Sys", (), {"stdin": _Terminal()}))  # a terminal to ask

    def interrupted(*_: object, **__: object) -> bool:
        raise typer.Abort()  # what Click raises for Ctrl-C (or end of input) at a prompt

    monkeypatch.setattr(typer, "confirm", interrupted)
    result = run(fake, cache_dir, "cache", "prune", "--all")
    assert result.exit_code == 130 and "nothing deleted" in result.stderr
    assert (cache_dir / "exofop" / f"tic_{DEMO_TIC}").is_dir()


def test_prune_help_does_not_promise_every_target() -> None:
    result = runner.invoke(app, ["cache", "prune", "--help"], env={"COLUMNS": "200"})
    assert "default: every cached target" not in result.stdout and "--older-than" in result.stdout


def test_ls_and_summaries_of_an_unknown_tic_are_not_found(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(FakeTarget(tic_id=42))  # a real star without uploads
    for command in (["ls", "123"], ["summaries", "123"], ["fetch", "123"]):
        result = run(fake, cache_dir, *command)
        assert result.exit_code == 4, result.stderr
        assert "not found" in result.stderr and result.stdout == ""
    assert not (cache_dir / "exofop" / "tic_123").exists()  # nothing cached for it: `cache ls` stays clean
    assert run(fake, cache_dir, "cache", "verify").exit_code == 0
    empty = run(fake, cache_dir, "ls", "42")
    assert empty.exit_code == 0 and "TIC 42: 0 files" in empty.stderr
    assert empty.stdout.startswith("File ID\tType\tFile name\t") and len(empty.stdout.splitlines()) == 1


def test_ls_refresh_falls_back_to_the_cached_list_like_fetch(
    fake: FakeExoFop, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import exofop_cli.remote.http

    monkeypatch.setattr(exofop_cli.remote.http, "backoff_delay", lambda *args, **kwargs: 0.0)
    assert run(fake, cache_dir, "ls", "TOI-1262").exit_code == 0
    fake.faults.fail("download_filelist.php", 502, times=100)
    result = run(fake, cache_dir, "ls", "TOI-1262", "--refresh")
    assert result.exit_code == 0, result.stderr
    assert "could not refresh the file list" in result.stderr and "using the cached copy" in result.stderr
    assert "1003" in result.stdout


def test_a_selection_matching_nothing_warns_with_what_the_star_has(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "fetch", "TOI-1262", "--types", "Spectra", "--no-summaries")
    assert result.exit_code == 0
    assert "warning: no file of the 10 listed matches --types Spectra" in result.stderr
    assert "did you mean Spectrum?" in result.stderr
    listing = run(fake, cache_dir, "ls", "TOI-1262", "--types", "Spectra")
    assert listing.stdout.count("\n") == 1 and "did you mean Spectrum?" in listing.stderr  # header row only
