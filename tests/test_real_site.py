"""The real ExoFOP's behaviours (reference §7) against the fake server's switches: never cache a wrong answer.

One section per item of issue 11. Each fault is played by the fake over real HTTP, and the tests check what
reaches the user (error kind, exit code, warning) and, above all, what reaches the cache: nothing empty, no
refusal saved as a file, the previously cached copy kept.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exofop_cli import ExoFopClient, ExoFopSelectors, TargetNotFoundError, read_manifest
from exofop_cli.cli import app
from exofop_cli.errors import AuthRequiredError, NetworkError, ServerError
from exofop_cli.ops.auth import login, status
from exofop_cli.testing import BULK_TIC, DEMO_TIC, FakeExoFop, FakeFile, bulk_target, demo_targets

from .conftest import make_client
from .test_faults import assert_clean_cache, assert_files_match_server, fast_retries, run_cli

__all__ = ["fast_retries"]  # a fixture used below

NEID = 1003
TRES = 1001
PUBLIC = ExoFopSelectors(filename_regex="^(?!.*CHIRON)")


# -- 1. throttling is an empty 200 ------------------------------------------------------------------------------
def test_an_empty_file_list_is_retried_and_never_cached(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.empty("download_filelist.php", times=2)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    assert result.ok and result.n_downloaded == 9
    assert fake.count("download_filelist.php") == 3


def test_an_empty_file_list_keeps_the_cached_copy(client: ExoFopClient, fake: FakeExoFop) -> None:
    first = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    cached = client.layout(DEMO_TIC).filelist.read_bytes()
    fake.faults.empty("download_filelist.php", times=100)
    again = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False, force_refresh=True)
    (error,) = again.errors
    assert error.kind == "server" and "ExoFOP sent an empty answer for the file list" in error.message
    assert client.layout(DEMO_TIC).filelist.read_bytes() == cached  # the good copy stays
    assert again.n_skipped == first.n_downloaded == 9  # not "0 files"
    assert any("using the cached copy" in w for w in again.warnings)
    assert read_manifest(again.manifest_path)["filelist"]["n_rows"] == 10


def test_an_empty_file_list_of_a_new_star_is_a_server_error(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.empty("download_filelist.php", times=100)
    with make_client(fake, cache_dir) as client, pytest.raises(ServerError, match="empty answer"):
        client.fetch(target=str(DEMO_TIC), include_summaries=False)
    assert not (cache_dir / "exofop" / f"tic_{DEMO_TIC}" / "filelist.csv").exists()
    assert not (cache_dir / "exofop" / f"tic_{DEMO_TIC}" / "manifest.json").exists()


def test_the_cli_says_exofop_sent_an_empty_answer(
    fake: FakeExoFop, cache_dir: Path, fast_retries: None
) -> None:
    fake.faults.empty("download_filelist.php", times=100)
    result = run_cli(fake, cache_dir, "ls", str(DEMO_TIC))
    assert result.exit_code == 6 and result.stdout == ""
    assert "error: ExoFOP sent an empty answer for the file list of TIC 365938305 (after 5 attempts)" in (
        result.stderr
    )
    assert "throttling this host; nothing was cached" in result.stderr


def test_an_empty_summary_table_is_never_cached(client: ExoFopClient, fake: FakeExoFop) -> None:
    client.fetch(target=str(DEMO_TIC), selectors=PUBLIC)
    store = client.cache.target(DEMO_TIC)
    good = store.summary_path("spect").read_bytes()
    fake.faults.empty("download_spect.php", times=100)
    again = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, force_refresh=True)
    (error,) = again.errors
    assert (error.kind, error.endpoint) == ("server", "download_spect.php")
    assert store.summary_path("spect").read_bytes() == good
    assert len(client.summary_tables(tic_id=DEMO_TIC, kinds="spect")["spect"].rows) == 2


def test_a_header_only_table_is_a_valid_empty_table(client: ExoFopClient, fake: FakeExoFop) -> None:
    header = b"ID,TIC ID,Username,Groupname,TAG ID,Lastmod,notes\n"  # ExoNotes: 51 bytes as pipe, no rows
    fake.targets[DEMO_TIC].summary_raw["obsnotes"] = header
    table = client.summary_tables(tic_id=DEMO_TIC, kinds="obsnotes")["obsnotes"]
    assert table.rows == () and table.columns[0] == "ID"
    assert client.cache.target(DEMO_TIC).summary_path("obsnotes").read_bytes() == header


def test_an_empty_file_is_never_saved(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.empty("get_file.php", file_id=NEID, times=100)
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    (error,) = result.errors
    assert (error.kind, error.file_id) == ("server", NEID)
    assert "empty answer for file 1003" in error.message
    manifest = assert_clean_cache(result.manifest_path)
    assert NEID not in {f["file_id"] for f in manifest["files"]}
    assert not list((result.cache_root / "files").glob(f"{NEID}_*"))
    fake.faults.clear()
    fixed = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    assert fixed.ok and fixed.n_downloaded == 1
    assert_files_match_server(read_manifest(fixed.manifest_path), fake)


def test_an_empty_list_cached_by_an_older_version_is_fetched_again(
    client: ExoFopClient, fake: FakeExoFop
) -> None:
    client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    client.layout(DEMO_TIC).filelist.write_bytes(b"")  # what a throttled answer left behind before
    fake.reset_log()
    assert len(client.file_list(tic_id=DEMO_TIC)) == 10
    assert fake.count("download_filelist.php") == 1


def test_a_silent_connection_is_a_read_timeout_and_is_retried(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.silent("download_filelist.php", 1.0)
    with make_client(fake, cache_dir, timeout_seconds=0.3) as client:
        rows = client.file_list(tic_id=DEMO_TIC)
    assert len(rows) == 10
    fake.faults.silent("download_filelist.php", 1.0, times=100)
    with (
        make_client(fake, cache_dir / "other", timeout_seconds=0.3, retries=1) as client,
        pytest.raises(NetworkError) as info,
    ):
        client.file_list(tic_id=DEMO_TIC)
    assert "ExoFOP sent nothing for 0.3 s" in info.value.message
    assert "(after 2 attempts)" in info.value.message


def test_a_connection_closed_without_an_answer_is_retried(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.faults.silent("download_filelist.php", 0.05, times=2)  # closes before the client's timeout
    with make_client(fake, cache_dir, timeout_seconds=2.0) as client:
        assert len(client.file_list(tic_id=DEMO_TIC)) == 10


# -- 2. refusals that are not HTML ------------------------------------------------------------------------------
def test_a_plain_text_refusal_is_never_saved_as_the_file(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.faults.plain_text(
        "get_file.php", "Sorry, you do not have permission to view this file.", file_id=TRES
    )
    result = client.fetch(target=str(DEMO_TIC), selectors=PUBLIC, include_summaries=False)
    (error,) = result.errors
    assert (error.kind, error.file_id) == ("auth_required", TRES)
    assert "Sorry, you do not have permission" in error.message
    assert not list((result.cache_root / "files").glob(f"{TRES}_*"))
    assert fake.count("get_file.php") == 9  # a refusal is an answer, not retried
    assert_clean_cache(result.manifest_path)


@pytest.mark.parametrize(
    ("message", "kind"),
    [("You must be logged in to download this file.", "auth_required"), ("File not found", "not_found"),
     ("Access denied", "auth_required"), ("Error: file store unavailable", "invalid_response")],
)  # fmt: skip
def test_plain_text_refusals_are_classified(
    client: ExoFopClient, fake: FakeExoFop, message: str, kind: str
) -> None:
    fake.faults.plain_text("get_file.php", message, file_id=NEID)
    result = client.fetch(
        target=str(DEMO_TIC), selectors=ExoFopSelectors(tag_ids=[30002]), include_summaries=False
    )
    (error,) = result.errors
    assert (error.kind, error.file_id) == (kind, NEID) and message in error.message
    assert result.files == []


def test_a_content_disposition_naming_another_file_is_a_warning(
    fake: FakeExoFop, client: ExoFopClient
) -> None:
    files = fake.targets[DEMO_TIC].files
    files[0].disposition_name = "TOI1262_CHIRON_20250101.fits"  # the server says another name
    files[1].disposition_name = "toi1262 tres ccf.PDF"  # a plausible rewrite of TOI1262_TRES_ccf.pdf
    files[2].disposition_name = ""  # no header at all
    result = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(tag_ids=[30001, 30002]))
    assert result.ok
    mismatches = [w for w in result.warnings if "Content-Disposition" in w]
    assert mismatches == [
        "file 1001 (TOI1262.01_TRES_20200815.fits): ExoFOP sent it as 'TOI1262_CHIRON_20250101.fits' "
        "(Content-Disposition), not under the listed name; saved under the listed name. If this repeats, run "
        "`exofop doctor --save report/` and report it"
    ]


# -- 3. login pages versus other pages ---------------------------------------------------------------------------
def test_an_exofop_page_with_a_login_link_is_not_a_login(client: ExoFopClient, fake: FakeExoFop) -> None:
    from exofop_cli.testing.server import page

    body = page("ExoFOP-TESS: File Download", b"<h1>Temporarily unavailable</h1>")
    assert b">Login</a>" in body
    fake.faults.replace_body("get_file.php", body, file_id=NEID)
    result = client.fetch(
        target=str(DEMO_TIC), selectors=ExoFopSelectors(tag_ids=[30002]), include_summaries=False
    )
    (error,) = result.errors
    assert error.kind == "invalid_response"
    assert error.message == (
        "ExoFOP sent an HTML page titled 'ExoFOP-TESS: File Download', first heading 'Temporarily unavailable' "
        "instead of file 1003 (TOI1262_NEID_rv.txt)"
    )


def test_the_login_form_is_still_auth_required(client: ExoFopClient) -> None:
    result = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="CHIRON"))
    (error,) = result.errors
    assert error.kind == "auth_required" and error.file_id == 1010


# -- 4. invalid TOI -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", ["plain", "html"])
def test_an_invalid_toi_falls_back_to_gototicid_then_not_found(
    client: ExoFopClient, fake: FakeExoFop, shape: str
) -> None:
    fake.invalid_toi_answer = shape
    with pytest.raises(TargetNotFoundError, match="TOI-99999"):
        client.resolve_target("TOI-99999")
    assert fake.count("download_toi.php") == 1 and fake.count("gototicid.php") == 1
    assert client.resolve_target("TOI-1262").tic_id == DEMO_TIC  # a valid TOI is unaffected


def test_an_invalid_toi_is_exit_4(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.invalid_toi_answer = "html"
    result = run_cli(fake, cache_dir, "resolve", "TOI-99999")
    assert result.exit_code == 4 and result.stdout == ""
    assert result.stderr.startswith("error: target not found on ExoFOP: TOI-99999")


# -- 5. slow answers ------------------------------------------------------------------------------------------
def test_a_slow_but_progressing_download_never_times_out(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.add_target(bulk_target(1, 24_000, tic_id=BULK_TIC))
    fake.faults.chunk_size, fake.faults.chunk_delay = 1000, 0.05  # 24 chunks over ~1.2 s
    with make_client(fake, cache_dir, timeout_seconds=0.5) as client:
        started = time.monotonic()
        result = client.fetch(target=str(BULK_TIC), include_summaries=False, archive="off")
        elapsed = time.monotonic() - started
    assert result.ok and result.n_downloaded == 1
    assert elapsed > 1.0  # longer than the read timeout, in one request
    assert fake.count("get_file.php") == 1


def test_timeout_sets_the_read_timeout(fake: FakeExoFop, cache_dir: Path, fast_retries: None) -> None:
    fake.faults.silent("download_filelist.php", 2.0, times=100)
    result = run_cli(fake, cache_dir, "--timeout", "0.4", "ls", str(DEMO_TIC))
    assert result.exit_code == 6
    assert "ExoFOP sent nothing for 0.4 s" in result.stderr
    assert "--timeout SECONDS" in result.stderr


# -- 6. PHP sessions ------------------------------------------------------------------------------------------
def test_anonymous_runs_never_send_back_a_session_cookie(client: ExoFopClient, fake: FakeExoFop) -> None:
    fake.anonymous_sessions = True
    client.fetch(target=str(DEMO_TIC))
    client.fetch(target=str(DEMO_TIC), force_refresh=True, force_download=True)
    assert len(fake.requests) > 20
    assert not any(r.had_cookie for r in fake.requests)


def test_a_logged_in_run_sends_only_its_own_session(
    fake: FakeExoFop, cache_dir: Path, tmp_path: Path
) -> None:
    fake.anonymous_sessions = True
    jar = _jar(tmp_path, fake.new_session())
    with make_client(fake, cache_dir, cookie_jar_path=jar) as client:
        result = client.fetch(target=str(DEMO_TIC), include_summaries=False)
    assert result.ok  # the proprietary file too
    assert all(r.had_cookie for r in fake.requests)


def test_a_logged_in_fetch_of_40_files_with_4_jobs_behind_the_session_lock(
    fake: FakeExoFop, cache_dir: Path, tmp_path: Path
) -> None:
    """Each request holds the session 0.15 s; four at once would wait up to 0.45 s, past the 0.4 s timeout."""
    fake.add_target(bulk_target(40, 4096))
    fake.serialise_sessions = True
    fake.faults.latency = 0.15
    jar = _jar(tmp_path, fake.new_session())
    result = run_cli(
        fake, cache_dir, "--timeout", "0.4", "--cookie-jar", str(jar),
        "fetch", str(BULK_TIC), "--jobs", "4", "--no-summaries", "--json", "--archive", "off",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    (outcome,) = json.loads(result.stdout)
    assert outcome["n_downloaded"] == 40 and outcome["errors"] == []
    manifest = assert_clean_cache(Path(outcome["manifest_path"]))
    assert len(manifest["files"]) == 40
    assert_files_match_server(manifest, fake)
    assert fake.count("get_file.php") == 40  # no request was sent twice (no timeout, no retry)
    # They took turns here, not in ExoFOP's queue (without turns: ~36 of 40 queue there). A few may still meet
    # the lock for a moment: the server finishes its request after the client has read the whole answer.
    assert fake.session_waits < 10


def _jar(tmp_path: Path, session_id: str) -> Path:
    path = tmp_path / "jar.txt"
    path.write_text(f"# Netscape HTTP Cookie File\n127.0.0.1\tFALSE\t/\tFALSE\t0\tPHPSESSID\t{session_id}\n")
    path.chmod(0o600)
    return path


# -- 7. a login is confirmed, not assumed ---------------------------------------------------------------------
@pytest.mark.parametrize("failure", ["form", "redirect"])
def test_a_login_without_positive_evidence_is_refused(fake: FakeExoFop, failure: str, tmp_path: Path) -> None:
    """No "Invalid username or password" text, only the anonymous PHPSESSID of the login page: not a login."""
    fake.login_failure = failure
    jar = tmp_path / "jar.txt"
    with pytest.raises(AuthRequiredError, match="ExoFOP did not confirm the login"):
        login(username="observer", password="wrong", base_url=fake.base_url, jar_path=jar)
    assert not jar.exists()


def test_a_good_login_is_confirmed_by_the_redirect_and_the_logout_link(
    fake: FakeExoFop, tmp_path: Path
) -> None:
    jar = tmp_path / "jar.txt"
    login(username="observer", password="correct horse", base_url=fake.base_url, jar_path=jar)
    assert "PHPSESSID\tfake-session-" in jar.read_text()  # the logged-in session, not the anonymous one
    assert status(jar).state == "logged_in"


def _jar_line(name: str, expires: int) -> str:
    return f"exofop.ipac.caltech.edu\tFALSE\t/\tTRUE\t{expires}\t{name}\tfake-value\n"


def test_auth_status_reports_an_expired_session(tmp_path: Path) -> None:
    jar = tmp_path / "jar.txt"
    jar.write_text("# Netscape HTTP Cookie File\n" + _jar_line("PHPSESSID", 1709307733))  # 2024-03-01
    jar.chmod(0o600)
    info = status(jar)
    assert (info.state, info.has_session) == ("expired", False)
    shown = CliRunner().invoke(app, ["--cookie-jar", str(jar), "auth", "status"])
    assert shown.exit_code == 0
    assert shown.stdout.splitlines()[0] == (
        "status\tsession expired on 2024-03-01T15:42:13Z: log in again (`exofop auth login`)"
    )
    data = json.loads(CliRunner().invoke(app, ["--cookie-jar", str(jar), "auth", "status", "--json"]).stdout)
    assert (data["state"], data["expired"], data["logged_in"]) == ("expired", True, False)


def test_auth_status_says_anonymous_for_a_jar_without_a_session(tmp_path: Path) -> None:
    jar = tmp_path / "jar.txt"
    jar.write_text("# Netscape HTTP Cookie File\n" + _jar_line("other", 4102444800))
    jar.chmod(0o600)
    assert status(jar).state == "anonymous"
    shown = CliRunner().invoke(app, ["--cookie-jar", str(jar), "auth", "status"])
    assert shown.stdout.splitlines()[0] == "status\tanonymous (the jar holds no ExoFOP session cookie)"


def test_auth_status_check_asks_exofop(fake: FakeExoFop, tmp_path: Path, cache_dir: Path) -> None:
    from exofop_cli.ops.auth import check_session

    jar = _jar(tmp_path, fake.new_session())
    with make_client(fake, cache_dir, cookie_jar_path=jar) as client:
        assert check_session(client.http)[0] == "valid"
        fake.expire_sessions()  # ExoFOP forgot the session, though the cookie has not expired
        assert check_session(client.http)[0] == "expired"
    result = run_cli(fake, cache_dir, "--cookie-jar", str(jar), "auth", "status", "--check", "--json")
    data = json.loads(result.stdout)
    assert data["state"] == "logged_in" and data["online"]["state"] == "expired"


# -- 8. header/row disagreement ---------------------------------------------------------------------------------
def test_a_short_header_is_a_warning_naming_the_table(fake: FakeExoFop, cache_dir: Path) -> None:
    fake.short_headers["download_spect.php"] = "Instrument"  # the rows keep their instrument
    result = run_cli(fake, cache_dir, "summaries", str(DEMO_TIC), "--kind", "spect", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith(
        "warning: the spect table: all 2 rows have 1 more field(s) than the header's 14 names (the header is "
        "probably missing a name)"
    )
    fake.short_headers["download_imaging.php"] = "Filter"  # Notes is last: free text
    fake.short_headers["download_stellar.php"] = "log(g)"  # no free-text column
    result = run_cli(fake, cache_dir, "summaries", str(DEMO_TIC), "--kind", "stellar", "--json")
    assert (
        "warning: the stellar table: 1 of 1 row(s) have more fields than the header's 12 names"
        in result.stderr
    )
    (row,) = json.loads(result.stdout)["stellar"]
    assert row["column_13"] == "2019-11-01"  # kept, not dropped: the Date that lost its name


def test_a_fetch_says_at_once_that_a_table_it_got_has_a_short_header(
    fake: FakeExoFop, cache_dir: Path
) -> None:
    fake.short_headers["download_spect.php"] = "Instrument"
    result = run_cli(fake, cache_dir, "fetch", str(DEMO_TIC), "--types", "Image", "--json")
    (data,) = json.loads(result.stdout)
    assert any(w.startswith("the spect table: all 2 rows have 1 more field(s)") for w in data["warnings"])
    assert "warning: the spect table" in result.stderr


# -- 9. real cell shapes --------------------------------------------------------------------------------------
def test_real_cell_shapes_give_the_same_rows(fake: FakeExoFop, tmp_path: Path) -> None:
    with make_client(fake, tmp_path / "bare") as client:
        bare = client.file_list(tic_id=DEMO_TIC)
        bare_newest = client.list_files(str(DEMO_TIC), selectors=ExoFopSelectors(max_files=3))
    fake.real_cell_shapes = True
    with make_client(fake, tmp_path / "real") as client:
        real = client.file_list(tic_id=DEMO_TIC)
        newest = client.list_files(str(DEMO_TIC), selectors=ExoFopSelectors(max_files=3))
        target = client.resolve_target("TOI-1262")
    assert [replace(r, date_utc=None) for r in real] == [replace(r, date_utc=None) for r in bare]
    assert {r.date_utc for r in real} == {f"{r.date_utc} 12:01:18" for r in bare}
    assert {r.toi for r in real} == {"1262.01"} and {r.tic_id for r in real} == {DEMO_TIC}
    assert [r.file_id for r in newest.rows] == [r.file_id for r in bare_newest.rows] == [1004, 1006, 1010]
    assert target.tois == ("1262.01",) and target.names == ("HD 104654", "Gaia DR3 5375123456789012345")


def test_demo_catalogue_is_unchanged_by_the_switches() -> None:
    assert [f.disposition_name for f in demo_targets()[0].files] == [None] * 10
    assert FakeFile(1, "a").disposition_name is None
