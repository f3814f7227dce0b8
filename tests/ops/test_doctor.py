"""``exofop doctor``: all PASS on the bundled fake, and a FAIL naming each assumption a fake breaks."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exofop_cli.cli import app
from exofop_cli.errors import OfflineError
from exofop_cli.ops.doctor import DEFAULT_TARGET, DoctorReport, run_doctor
from exofop_cli.testing import DEMO_TIC, FakeExoFop
from exofop_cli.testing.server import page

from ..conftest import make_client

CHECKS = [
    "name resolution",
    "TLS",
    "gototicid.php JSON keys",
    "target.php?json keys",
    "download_toi.php columns",
    "file-list columns",
    "download_spect.php header",
    "download_imaging.php header",
    "download_tseries.php header",
    "download_obsnotes.php header",
    "download_stellar.php header",
    "download_planet.php header",
    "download_uploads.php header",
    "download_nearbytarget.php header",
    "download_stellarcomp.php header",
    "get_file.php bytes",
    "login",
    "clock",
]
JSON = "application/json"


def doctor(fake: FakeExoFop, cache: Path, **kwargs: Any) -> DoctorReport:
    """``client.doctor``; with ``resolve_host``, ``run_doctor`` on the client's remote (the only way to
    replace name resolution)."""
    options = {k: kwargs.pop(k) for k in ("cookie_jar_path", "base_url") if k in kwargs}
    if "base_url" in options:
        from exofop_cli import ExoFopClient

        with ExoFopClient(cache_dir=cache, timeout_seconds=5.0, retries=0, **options) as client:
            return client.doctor(**kwargs)
    with make_client(fake, cache, **options) as client:
        if "resolve_host" in kwargs:
            return run_doctor(client.remote, **kwargs)
        return client.doctor(**kwargs)


def by_name(report: DoctorReport) -> dict[str, Any]:
    return {c.name: c for c in report.checks}


def test_every_check_passes_on_the_bundled_fake(fake: FakeExoFop, cache_dir: Path) -> None:
    report = doctor(fake, cache_dir)
    assert [c.name for c in report.checks] == CHECKS
    assert [c.status for c in report.checks] == ["PASS"] * len(CHECKS), report.to_dict()
    assert report.ok and report.tic_id == DEMO_TIC and report.target == DEFAULT_TARGET == "TOI-1262"
    checks = by_name(report)
    assert checks["gototicid.php JSON keys"].seen == "keys status, num, TIC; TIC 365938305"
    assert checks["get_file.php bytes"].seen == (
        "32 bytes of 'TOI1262_NEID_rv.txt'; Content-Length 32; Content-Disposition 'TOI1262_NEID_rv.txt'"
    )
    assert all(c.seconds >= 0 for c in report.checks)
    assert list(cache_dir.iterdir()) == []  # the doctor never writes the cache


@pytest.mark.parametrize("target", ["365938305", "HD 104654", "TOI-1262.01"])
def test_other_spellings_of_the_target(fake: FakeExoFop, cache_dir: Path, target: str) -> None:
    report = doctor(fake, cache_dir, target=target)
    assert report.ok and report.tic_id == DEMO_TIC, report.to_dict()


Breaker = Callable[[FakeExoFop], None]
BREAKERS: list[tuple[str, Breaker, str, str]] = [
    (
        "gototicid answers other keys",
        lambda f: f.faults.replace_body("gototicid.php", b'{"result": "ok", "tic": []}', content_type=JSON),
        "gototicid.php JSON keys",
        "keys result, tic",
    ),
    (
        "gototicid is throttled",
        lambda f: f.faults.empty("gototicid.php"),
        "gototicid.php JSON keys",
        "an empty answer (HTTP 200; ExoFOP throttling?)",
    ),
    (
        "target.php lost its files",
        lambda f: f.faults.replace_body("target.php", b'{"basic_info": {}, "tois": []}', content_type=JSON),
        "target.php?json keys",
        "missing files",
    ),
    (
        "target.php answers a page",
        lambda f: f.faults.replace_body("target.php", page("ExoFOP-TESS", b"<h1>TIC 365938305</h1>")),
        "target.php?json keys",
        "not JSON: an HTML page titled 'ExoFOP-TESS', first heading 'TIC 365938305'",
    ),
    (
        "download_toi renamed its columns",
        lambda f: f.faults.replace_body("download_toi.php", b"TIC|TOI Name\n365938305|1262.01\n"),
        "download_toi.php columns",
        "header: TIC, TOI Name",
    ),
    (
        "the file list lost File ID",
        lambda f: f.faults.replace_body(
            "download_filelist.php", b"Type,File Name,Date\nImage,a.fits,2024-01-01\n"
        ),
        "file-list columns",
        "no 'File ID'/'File Name' columns",
    ),
    (
        "a summary table is a message",
        lambda f: f.faults.plain_text("download_spect.php", "Sorry, this table is not available"),
        "download_spect.php header",
        "header: Sorry",
    ),
    (
        "a summary table is throttled",
        lambda f: f.faults.empty("download_obsnotes.php"),
        "download_obsnotes.php header",
        "an empty answer",
    ),
    (
        "get_file sends nothing",
        lambda f: f.faults.empty("get_file.php", times=5),
        "get_file.php bytes",
        "an empty answer",
    ),
    (
        "get_file sends a refusal",
        lambda f: f.faults.plain_text("get_file.php", "Error: file store offline", times=5),
        "get_file.php bytes",
        "a message for file 1003: 'Error: file store offline'",
    ),
    (
        "the server clock is two hours off",
        lambda f: setattr(f.faults, "clock_offset", -7200.0),
        "clock",
        "this computer is 720",  # 7200 s, or 1 s more: Date has whole seconds
    ),
]


@pytest.mark.parametrize(("label", "breaker", "check", "seen"), BREAKERS, ids=[b[0] for b in BREAKERS])
def test_a_fake_that_breaks_an_assumption_fails_that_check(
    fake: FakeExoFop, cache_dir: Path, label: str, breaker: Breaker, check: str, seen: str
) -> None:
    breaker(fake)
    report = doctor(fake, cache_dir)
    failed = [c for c in report.checks if c.status == "FAIL"]
    assert failed and failed[0].name == check, (label, report.to_dict())
    assert seen in failed[0].seen, failed[0].seen
    assert not report.ok


def test_a_header_that_differs_is_a_warning_that_names_the_difference(
    fake: FakeExoFop, cache_dir: Path
) -> None:
    fake.short_headers["download_spect.php"] = "Instrument"
    fake.targets[DEMO_TIC].files[2].disposition_name = "other.txt"
    report = doctor(fake, cache_dir)
    checks = by_name(report)
    spect, get_file = checks["download_spect.php header"], checks["get_file.php bytes"]
    assert spect.status == "WARN" and "missing: Instrument; new: -" in spect.seen
    assert "all 2 rows have 1 more field(s) than the header's 14 names" in spect.seen
    assert get_file.status == "WARN" and "Content-Disposition 'other.txt'" in get_file.seen
    assert report.ok  # warnings do not fail


def test_a_name_that_does_not_resolve(fake: FakeExoFop, cache_dir: Path) -> None:
    def no_dns(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(-2, "Name or service not known")

    report = doctor(fake, cache_dir, resolve_host=no_dns)
    assert [(c.name, c.status) for c in report.checks] == [
        ("name resolution", "FAIL"),
        ("remaining checks", "FAIL"),
    ]
    assert "Name or service not known" in report.checks[0].seen
    assert fake.requests == []


def test_tls_to_a_server_that_speaks_no_tls(fake: FakeExoFop, cache_dir: Path) -> None:
    url = fake.base_url.replace("http://", "https://")
    report = doctor(fake, cache_dir, base_url=url)
    checks = by_name(report)
    assert checks["name resolution"].status == "PASS"
    assert checks["TLS"].status == "FAIL" and checks["TLS"].seen.startswith("failed: ")
    assert checks["remaining checks"].seen == "not run: no TLS connection to the host"


def _jar(tmp_path: Path, session: str) -> Path:
    path = tmp_path / "jar.txt"
    path.write_text(f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tPHPSESSID\t{session}\n")
    path.chmod(0o600)
    return path


def test_login_states(fake: FakeExoFop, cache_dir: Path, tmp_path: Path) -> None:
    jar = _jar(tmp_path, fake.new_session())
    login = by_name(doctor(fake, cache_dir, cookie_jar_path=jar))["login"]
    assert (login.status, login.seen.split(":")[0]) == ("PASS", f"valid ({jar})")
    fake.expire_sessions()
    login = by_name(doctor(fake, cache_dir, cookie_jar_path=jar))["login"]
    assert login.status == "FAIL" and login.seen.startswith(f"expired ({jar})")
    expired = tmp_path / "old.txt"
    expired.write_text("127.0.0.1\tFALSE\t/\tFALSE\t1709307733\tPHPSESSID\tfake-old-session\n")
    expired.chmod(0o600)
    login = by_name(doctor(fake, cache_dir, cookie_jar_path=expired))["login"]
    assert login.status == "FAIL" and login.seen.startswith("expired on 2024-03-01 15:42 UTC")
    anonymous = tmp_path / "anon.txt"
    anonymous.write_text("127.0.0.1\tFALSE\t/\tFALSE\t0\tother\tvalue\n")
    anonymous.chmod(0o600)
    login = by_name(doctor(fake, cache_dir, cookie_jar_path=anonymous))["login"]
    assert login.status == "WARN" and login.seen.startswith("anonymous")


def test_save_writes_every_raw_answer_scrubbed(fake: FakeExoFop, cache_dir: Path, tmp_path: Path) -> None:
    fake.anonymous_sessions = True  # Set-Cookie on every anonymous answer... and the jar's own session:
    secret = fake.new_session()
    report = doctor(fake, cache_dir, cookie_jar_path=_jar(tmp_path, secret), save_dir=tmp_path / "report")
    assert report.saved_to == tmp_path / "report"
    names = sorted(p.name for p in (tmp_path / "report").iterdir())
    assert names[0] == "01-gototicid-php-json-keys.txt" and "report.json" in names
    assert len(names) == 15  # 14 answers and the report
    saved = b"".join(p.read_bytes() for p in (tmp_path / "report").iterdir())
    assert secret.encode() not in saved
    assert b"fake-session-" not in saved and b"anon-" not in saved
    assert json.loads((tmp_path / "report" / "report.json").read_text())["ok"] is True
    first = (tmp_path / "report" / "01-gototicid-php-json-keys.txt").read_text()
    assert first.startswith(f"GET {fake.base_url}gototicid.php?target=TOI1262&json\nHTTP 200\n")
    assert first.endswith('{"status": "OK", "num": 1, "TIC": "365938305"}')
    assert list(cache_dir.iterdir()) == []


def test_save_scrubs_session_ids_in_bodies_and_cookies(
    fake: FakeExoFop, cache_dir: Path, tmp_path: Path
) -> None:
    body = page("ExoFOP-TESS", b'<a href="target.php?id=1&PHPSESSID=abcdef123456">x</a>')
    fake.faults.replace_body("target.php", body)
    fake.anonymous_sessions = True
    doctor(fake, cache_dir, save_dir=tmp_path / "r")
    text = (tmp_path / "r" / "02-target-php-json-keys.txt").read_text()
    assert "PHPSESSID=REDACTED" in text and "abcdef123456" not in text
    assert "\nset-cookie: PHPSESSID=REDACTED; path=/; HttpOnly\n" in text


def test_offline_is_refused(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir, offline=True) as client:
        with pytest.raises(OfflineError, match="cannot run offline") as info:
            client.doctor(target="not a valid target at all !!")  # refused before the target is read
        assert info.value.hint == "run it without --offline (or unset EXOFOP_OFFLINE)"
        assert client.remote._http is None  # before the HTTP session was even built
    assert fake.requests == []


def test_client_doctor_takes_a_tic_and_saves_where_asked(
    fake: FakeExoFop, cache_dir: Path, tmp_path: Path
) -> None:
    with make_client(fake, cache_dir) as client:
        report = client.doctor(target=DEMO_TIC, save_dir=str(tmp_path / "out"))
    assert report.ok and report.target == str(DEMO_TIC) and report.tic_id == DEMO_TIC
    assert report.saved_to == tmp_path / "out" and (tmp_path / "out" / "report.json").is_file()
    assert report.base_url == fake.base_url


# -- the command ------------------------------------------------------------------------------------------------
def run(fake: FakeExoFop, cache: Path, *args: str) -> Any:
    return CliRunner().invoke(app, ["--cache-dir", str(cache), "--base-url", fake.base_url, "doctor", *args])


def test_cli_all_pass_exit_0(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "Status\tCheck\tExpected\tSeen\tTime"  # a plain TSV; the title is a message
    assert [line.split("\t")[:2] for line in lines[1:]] == [["PASS", name] for name in CHECKS]
    assert result.stderr == f"exofop doctor: {fake.base_url} (TOI-1262)\n18 passed, 0 warnings, 0 failed\n"
    assert list(cache_dir.iterdir()) == []


def test_cli_a_fail_is_exit_1_and_says_how_to_report(
    fake: FakeExoFop, cache_dir: Path, tmp_path: Path
) -> None:
    fake.faults.replace_body("gototicid.php", b"{}", content_type=JSON, times=2)
    result = run(fake, cache_dir, "--json", "--save", str(tmp_path / "report"))
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["counts"]["FAIL"] >= 1
    assert data["checks"][2]["check"] == "gototicid.php JSON keys" and data["checks"][2]["status"] == "FAIL"
    assert f"raw answers saved in {tmp_path / 'report'}" in result.stderr
    result = run(fake, cache_dir)
    assert result.exit_code == 1
    assert "run `exofop doctor --save report/` and attach report/" in result.stderr


def test_cli_offline_refuses(fake: FakeExoFop, cache_dir: Path) -> None:
    result = CliRunner().invoke(app, ["--offline", "--base-url", fake.base_url, "doctor"])
    assert result.exit_code == 6 and result.stdout == ""
    assert result.stderr.startswith(
        "error: offline mode: `exofop doctor` checks ExoFOP over the network and cannot run offline\n"
    )
    assert fake.requests == []


def test_cli_takes_the_target_as_tic_too(fake: FakeExoFop, cache_dir: Path) -> None:
    result = run(fake, cache_dir, "--tic", "365938305")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(f"exofop doctor: {fake.base_url} (365938305)\n")
    both = run(fake, cache_dir, "--tic", "365938305", "--target", "TOI-1262")
    assert both.exit_code == 2 and "not both" in both.stderr


def test_cli_a_target_exofop_does_not_know_is_said_once(fake: FakeExoFop, cache_dir: Path) -> None:
    """Not thirteen FAILs that all mean 'your --target is wrong': exit 4 naming it, nothing on stdout."""
    result = run(fake, cache_dir, "--target", "TOI-999999")
    assert result.exit_code == 4 and result.stdout == ""
    assert "target not found on ExoFOP: TOI-999999" in result.stderr and "--target a star" in result.stderr
