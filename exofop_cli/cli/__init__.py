"""The ``exofop`` command line: Typer commands over the library (parse → one library call → render)."""

from __future__ import annotations

from . import auth_cmd, cache_cmd, commands, science_cmd  # noqa: F401 - registering commands on the app
from ._app import app


def main() -> None:
    """Console-script entry point (``exofop``) and ``python -m exofop_cli``."""
    app(prog_name="exofop")


__all__ = ["app", "main"]
