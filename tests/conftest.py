"""Shared fixtures: an isolated environment, a running fake ExoFOP, clients and a network guard."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from exofop_cli import ExoFopClient
from exofop_cli.testing import FakeExoFop, demo_targets

ENV_VARS = (
    "EXOFOP_CACHE_DIR",
    "EXOFOP_BASE_URL",
    "EXOFOP_COOKIE_JAR",
    "EXOFOP_OFFLINE",
    "EXOFOP_DEBUG",
    "EXOFOP_USERNAME",
    "EXOFOP_PASSWORD",
    "EXOFOP_LIVE",
    "NO_COLOR",
)


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# EXOFOP_LIVE=1 re-records tests/test_cassettes.py from the real site (cassettes/README.md). Read at import:
# _isolated_env removes EXOFOP_* while tests run.
LIVE = os.environ.get("EXOFOP_LIVE", "").strip().lower() in {"1", "true", "yes", "on"}


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """The suite never touches the network: any non-loopback connect fails loudly (except live recording)."""
    if LIVE and request.node.path.name == "test_cassettes.py":
        return
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No EXOFOP_* from the developer's shell; config and cache folders inside tmp_path."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


@pytest.fixture
def fake() -> Iterator[FakeExoFop]:
    """A fake ExoFOP serving the demo catalogue."""
    with FakeExoFop(demo_targets()) as server:
        yield server


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    """An empty cache folder."""
    path = tmp_path / "cache"
    path.mkdir()
    return path


def make_client(server: FakeExoFop, cache: Path, **kwargs: Any) -> ExoFopClient:
    """A client for the fake server with fast retries."""
    options: dict[str, Any] = {"retries": 3, "backoff_seconds": 0.01, "timeout_seconds": 5.0}
    options.update(kwargs)
    return ExoFopClient(base_url=server.base_url, cache_dir=cache, **options)


@pytest.fixture
def client(fake: FakeExoFop, cache_dir: Path) -> Iterator[ExoFopClient]:
    """A library client pointed at the fake server and the empty cache."""
    with make_client(fake, cache_dir) as c:
        yield c
