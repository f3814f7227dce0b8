"""exofop auth login/status/logout against the fake ExoFOP's login form."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from exofop_cli import AuthRequiredError, ExoFopSelectors, InvalidInputError, OfflineError
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


def _asked(log: list[str], name: str, answer: str) -> Callable[[], str]:
    def ask() -> str:
        log.append(name)
        return answer

    return ask


@pytest.mark.parametrize(
    ("options", "error"),
    [({"offline": True}, OfflineError), ({"timeout_seconds": float("nan")}, InvalidInputError)],
)
def test_login_checks_before_asking_for_anything(
    fake: FakeExoFop, options: dict[str, Any], error: type[Exception]
) -> None:
    asked: list[str] = []
    with pytest.raises(error):
        login(
            username=_asked(asked, "user", "observer"),
            password=_asked(asked, "stdin", "correct horse"),
            ask_password=_asked(asked, "prompt", "correct horse"),
            base_url=fake.base_url,
            **options,
        )
    assert asked == [] and fake.requests == []


def test_login_password_given_then_environment_then_asked(
    fake: FakeExoFop, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    user = _asked(asked, "user", "observer")
    login(username=user, ask_password=_asked(asked, "prompt", "correct horse"), base_url=fake.base_url)
    assert asked == ["user", "prompt"]
    monkeypatch.setenv("EXOFOP_PASSWORD", "correct horse")
    asked.clear()
    login(username=user, ask_password=_asked(asked, "prompt", "wrong"), base_url=fake.base_url)
    assert asked == ["user"]  # the environment's password: nothing to ask
    asked.clear()
    with pytest.raises(AuthRequiredError):  # a password given (a piped one) wins over the environment
        login(username=user, password=_asked(asked, "stdin", "wrong"), base_url=fake.base_url)
    assert asked == ["stdin", "user"]  # read first, as `--password-stdin` without `-u` always did
    monkeypatch.delenv("EXOFOP_PASSWORD")
    with pytest.raises(InvalidInputError, match="both required"):
        login(username="observer", base_url=fake.base_url)


def test_client_session_state(fake: FakeExoFop, cache_dir: Path) -> None:
    with make_client(fake, cache_dir, use_saved_login=False) as client:
        assert client.session_state()[0] == "anonymous"
    login(username="observer", password="correct horse", base_url=fake.base_url)
    with make_client(fake, cache_dir) as client:
        assert client.session_state() == ("valid", "the home page shows Logout")
        fake.expire_sessions()
        assert client.session_state()[0] == "expired"


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


def test_cli_login_password_from_the_environment_asks_nothing(fake: FakeExoFop) -> None:
    env = {"EXOFOP_USERNAME": "observer", "EXOFOP_PASSWORD": "correct horse"}
    result = runner.invoke(app, ["--base-url", fake.base_url, "auth", "login"], env=env, input="")
    assert result.exit_code == 0, result.stderr
    assert "ExoFOP password" not in result.stderr and "logged in" in result.stderr
    offline = runner.invoke(app, ["--offline", "auth", "login"], env={}, input="")
    assert offline.exit_code == 6 and "ExoFOP username" not in offline.stderr  # refused before a prompt


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


def test_cli_login_at_a_server_that_is_not_exofop_or_no_host(
    fake: FakeExoFop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The words and exit codes every other command gives: 1 'does not look like ExoFOP', 6 with a hint."""
    from ..test_hostile import unresolvable

    env = {"EXOFOP_USERNAME": "observer", "EXOFOP_PASSWORD": "correct horse"}
    wrong = fake.base_url.removesuffix("tess/")  # every page answers 404
    result = runner.invoke(app, ["--base-url", wrong, "auth", "login"], env=env)
    assert result.exit_code == 1 and "does not look like ExoFOP" in result.stderr
    unresolvable(monkeypatch, "exofop.example.invalid")
    result = runner.invoke(
        app, ["--base-url", "http://exofop.example.invalid/tess/", "auth", "login"], env=env
    )
    assert result.exit_code == 6 and "cannot find the host exofop.example.invalid" in result.stderr
    assert "hint: check the address" in result.stderr
    assert not default_cookie_jar_path().exists()


def test_cli_login_without_a_user_name_on_a_pipe_says_how_to_give_it(fake: FakeExoFop) -> None:
    result = runner.invoke(
        app, ["--base-url", fake.base_url, "auth", "login", "--password-stdin"], input="pw\n"
    )
    assert result.exit_code == 2 and "Aborted" not in result.stderr
    assert "--username NAME or EXOFOP_USERNAME" in result.stderr


def test_cli_status_check_that_cannot_be_made_is_an_error(fake: FakeExoFop) -> None:
    env = {"EXOFOP_USERNAME": "observer", "EXOFOP_PASSWORD": "correct horse"}
    assert runner.invoke(app, ["--base-url", fake.base_url, "auth", "login"], env=env).exit_code == 0
    wrong = fake.base_url.removesuffix("tess/")
    result = runner.invoke(app, ["--base-url", wrong, "auth", "status", "--check"])
    assert result.exit_code == 1 and "does not look like ExoFOP" in result.stderr
    assert result.stdout.startswith("status\t")  # the local lines stand
    as_json = runner.invoke(app, ["--base-url", wrong, "auth", "status", "--check", "--json"])
    assert as_json.exit_code == 1 and as_json.stdout == ""
    ok = runner.invoke(app, ["--base-url", fake.base_url, "auth", "status", "--check"])
    assert ok.exit_code == 0 and "online\tvalid" in ok.stdout
