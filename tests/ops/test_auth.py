"""exofop auth login/status/logout against the fake ExoFOP's login form."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from exofop_cli import AuthRequiredError, ExoFopSelectors
from exofop_cli.cli import app
from exofop_cli.client import default_cookie_jar_path
from exofop_cli.ops.auth import login, logout, status
from exofop_cli.remote.cookies import CookieJar
from exofop_cli.testing import DEMO_TIC, FakeExoFop

from ..conftest import make_client

runner = CliRunner()


def test_login_saves_a_private_curl_compatible_jar(fake: FakeExoFop, tmp_path: Path) -> None:
    result = login(username="observer", password="correct horse", base_url=fake.base_url)
    assert result.jar_path == default_cookie_jar_path()
    assert result.jar_path.is_relative_to(tmp_path)  # XDG_CONFIG_HOME is isolated by conftest
    assert stat.S_IMODE(result.jar_path.stat().st_mode) == 0o600
    text = result.jar_path.read_text()
    assert text.startswith("# Netscape HTTP Cookie File")
    assert "#HttpOnly_127.0.0.1\tFALSE\t/\tFALSE\t0\tPHPSESSID\tfake-session-" in text
    jar = CookieJar.load(result.jar_path)
    assert jar.has_session() and not jar.warnings


def test_saved_login_is_used_by_default(fake: FakeExoFop, cache_dir: Path) -> None:
    login(username="observer", password="correct horse", base_url=fake.base_url)
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="CHIRON"))
    assert result.n_downloaded == 1 and not result.errors


def test_wrong_password_is_refused(fake: FakeExoFop) -> None:
    with pytest.raises(AuthRequiredError, match="Invalid username or password"):
        login(username="observer", password="wrong", base_url=fake.base_url)
    assert not default_cookie_jar_path().exists()


def test_cli_login_status_logout(fake: FakeExoFop) -> None:
    env = {"EXOFOP_USERNAME": "observer"}
    result = runner.invoke(
        app,
        ["--base-url", fake.base_url, "auth", "login", "--password-stdin"],
        input="correct horse\n",
        env=env,
    )
    assert result.exit_code == 0, result.stderr
    assert "logged in" in result.stderr and result.stdout == ""
    assert "correct horse" not in result.stderr + result.stdout
    shown = runner.invoke(app, ["auth", "status", "--json"])
    data = json.loads(shown.stdout)
    assert data["logged_in"] is True and data["jar_path"] == str(default_cookie_jar_path())
    assert "fake-session" not in shown.stdout  # never the cookie value
    assert runner.invoke(app, ["auth", "logout"]).exit_code == 0
    assert json.loads(runner.invoke(app, ["auth", "status", "--json"]).stdout)["exists"] is False


def test_cli_login_wrong_password_exit_5(fake: FakeExoFop) -> None:
    result = runner.invoke(
        app,
        ["--base-url", fake.base_url, "auth", "login", "-u", "observer", "--password-stdin"],
        input="nope\n",
    )
    assert result.exit_code == 5
    assert "Invalid username or password" in result.stderr


def test_expired_session_is_reported_as_such(fake: FakeExoFop, cache_dir: Path) -> None:
    login(username="observer", password="correct horse", base_url=fake.base_url)
    fake.expire_sessions()
    with make_client(fake, cache_dir) as client:
        result = client.fetch(target=str(DEMO_TIC), selectors=ExoFopSelectors(filename_regex="CHIRON"))
    (error,) = result.errors
    assert error.kind == "auth_required" and "cookie jar was sent" in error.message
    assert not list((result.cache_root / "files").glob("1010_*"))


def test_logout_without_session(tmp_path: Path) -> None:
    assert logout() is False
    assert status().exists is False


def test_cli_logout_never_deletes_the_users_own_jar(fake: FakeExoFop, tmp_path: Path) -> None:
    own = tmp_path / "curl-jar.txt"
    own.write_text("# Netscape HTTP Cookie File\n")
    login(username="observer", password="correct horse", base_url=fake.base_url)
    for args, env in [(["--cookie-jar", str(own)], {}), ([], {"EXOFOP_COOKIE_JAR": str(own)})]:
        result = runner.invoke(app, [*args, "auth", "logout"], env=env)
        assert result.exit_code == 0, result.stderr
        assert own.read_text() == "# Netscape HTTP Cookie File\n"
        assert "left as it is" in result.stderr
    assert not default_cookie_jar_path().exists()  # the saved session did go


def test_cli_login_warns_that_a_given_jar_still_wins(fake: FakeExoFop, tmp_path: Path) -> None:
    own = tmp_path / "curl-jar.txt"
    own.write_text("# Netscape HTTP Cookie File\n")
    result = runner.invoke(
        app,
        [
            "--base-url",
            fake.base_url,
            "--cookie-jar",
            str(own),
            "auth",
            "login",
            "-u",
            "observer",
            "--password-stdin",
        ],
        input="correct horse\n",
    )
    assert result.exit_code == 0, result.stderr
    assert f"later commands send {own}" in result.stderr
