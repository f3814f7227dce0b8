"""Version of exofop-cli (kept in sync with pyproject.toml by a test)."""

__version__ = "1.1.0"
