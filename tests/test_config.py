"""config: cache folder precedence, the platform folders (checked against the real platformdirs), defaults."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from exofop_cli import config

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG shortcut is Linux-only")


def test_argument_beats_environment_beats_platform(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXOFOP_CACHE_DIR", str(tmp_path / "env"))
    assert config.cache_base(tmp_path / "arg") == tmp_path / "arg"
    assert config.cache_base(str(tmp_path / "arg")) == tmp_path / "arg"
    assert config.cache_base() == tmp_path / "env"
    assert config.cache_base(None) == tmp_path / "env"
    assert config.cache_base("") == tmp_path / "env"  # an empty --cache-dir is "not given"
    monkeypatch.delenv("EXOFOP_CACHE_DIR")
    assert config.cache_base() == Path(platformdirs.user_cache_dir())
    assert config.cache_base() == tmp_path / "xdg-cache"  # conftest points XDG_CACHE_HOME here


def test_blank_environment_value_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXOFOP_CACHE_DIR", "   ")
    assert config.cache_base() == tmp_path / "xdg-cache"


def test_user_folder_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXOFOP_CACHE_DIR", "~/env-cache")
    assert config.cache_base() == tmp_path / "home" / "env-cache"
    assert config.cache_base("~/arg-cache") == tmp_path / "home" / "arg-cache"


def test_cache_root_is_the_exofop_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.cache_root(tmp_path) == tmp_path / "exofop"
    monkeypatch.setenv("EXOFOP_CACHE_DIR", str(tmp_path / "env"))
    assert config.cache_root() == tmp_path / "env" / "exofop"
    monkeypatch.delenv("EXOFOP_CACHE_DIR")
    assert config.cache_root() == Path(platformdirs.user_cache_dir()) / "exofop"


@linux_only
@pytest.mark.parametrize("value", [None, "", "   ", "/abs/cache", "/abs/cache/"])
def test_platform_cache_dir_equals_platformdirs(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("XDG_CACHE_HOME")
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", value)
    assert config._platform_dir("cache") == platformdirs.user_cache_dir()
    assert config._platform_dir("cache", "exofop") == platformdirs.user_cache_dir("exofop")


@linux_only
@pytest.mark.parametrize("value", [None, "", "   ", "/abs/config"])
def test_platform_config_dir_equals_platformdirs(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("XDG_CONFIG_HOME")
    else:
        monkeypatch.setenv("XDG_CONFIG_HOME", value)
    assert config._platform_dir("config") == platformdirs.user_config_dir()
    assert config._platform_dir("config", "exofop") == platformdirs.user_config_dir("exofop")
    assert config.config_dir() == Path(platformdirs.user_config_dir("exofop"))


@linux_only
@pytest.mark.parametrize("value", ["rel/cache", "~/cache", " /abs/cache"])
def test_relative_xdg_cache_home_is_ignored_like_platformdirs(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", value)
    assert config._platform_dir("cache") == platformdirs.user_cache_dir()


@linux_only
def test_relative_xdg_config_home_is_ignored_like_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", "rel/config")
    assert config.config_dir() == Path(platformdirs.user_config_dir("exofop"))


def test_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.base_url() == "https://exofop.ipac.caltech.edu/tess/"
    assert config.base_url("http://127.0.0.1:8000/tess") == "http://127.0.0.1:8000/tess/"
    monkeypatch.setenv("EXOFOP_BASE_URL", " http://127.0.0.1:9/x/ ")
    assert config.base_url() == "http://127.0.0.1:9/x/"
    assert config.base_url("http://127.0.0.1:1/") == "http://127.0.0.1:1/"  # argument wins
    monkeypatch.setenv("EXOFOP_BASE_URL", "  ")
    assert config.base_url() == config.DEFAULT_BASE_URL


@pytest.mark.parametrize(
    ("value", "on"),
    [("1", True), ("true", True), (" YES ", True), ("on", True), ("0", False), ("", False), ("no", False)],
)
def test_env_flag(monkeypatch: pytest.MonkeyPatch, value: str, on: bool) -> None:
    monkeypatch.setenv("EXOFOP_OFFLINE", value)
    assert config.env_flag("EXOFOP_OFFLINE") is on


def test_env_flag_unset() -> None:
    assert config.env_flag("EXOFOP_OFFLINE") is False


def test_polite_defaults() -> None:
    assert config.DEFAULT_BASE_URL.startswith("https://") and config.DEFAULT_BASE_URL.endswith("/tess/")
    assert 1 <= config.DEFAULT_JOBS <= config.MAX_JOBS
    assert config.DEFAULT_BACKOFF_SECONDS <= config.MAX_BACKOFF_SECONDS
    assert config.CACHE_NAMESPACE == "exofop"
