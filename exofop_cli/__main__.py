"""``python -m exofop_cli``: the same program as the ``exofop`` command."""

from .cli import main

main()
