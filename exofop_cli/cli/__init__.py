"""The ``exofop`` command line: Typer commands over the library (parse → one library call → render).

Subcommands live in their own modules and are imported only when invoked (see ``_app.COMMANDS``).
"""

from ._app import app


def main() -> None:
    """Console-script entry point (``exofop``) and ``python -m exofop_cli``."""
    import os

    if "_EXOFOP_COMPLETE" in os.environ:
        # A TAB press: register Typer's shell-completion classes (the app is built with
        # add_completion=False so that ordinary runs do not pay for them).
        from typer._completion_classes import completion_init

        completion_init()
    app(prog_name="exofop")


__all__ = ["app", "main"]
