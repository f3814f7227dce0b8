"""Source rules that keep start-up cheap (each cost was measured; see the README's Performance section)."""

from __future__ import annotations

import ast
from pathlib import Path

import exofop_cli

PACKAGE = Path(exofop_cli.__file__).parent
SOURCES = sorted(p for p in PACKAGE.rglob("*.py") if "testing" not in p.parts)


def _has_future_annotations(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.ImportFrom)
        and node.module == "__future__"
        and any(a.name == "annotations" for a in node.names)
        for node in tree.body
    )


def _defines(tree: ast.Module, base: str) -> bool:
    return any(
        isinstance(node, ast.ClassDef) and any(isinstance(b, ast.Name) and b.id == base for b in node.bases)
        for node in ast.walk(tree)
    )


def _imports(tree: ast.Module, module: str) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == module for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == module:
            return True
    return False


def _builds_typer_commands(tree: ast.Module) -> bool:
    decorators = [d for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) for d in n.decorator_list]
    return _imports(tree, "typer") and any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in ("command", "callback")
        for d in decorators
    )


def test_namedtuple_modules_do_not_use_future_annotations() -> None:
    """With it, NamedTuple compiles a ForwardRef per field: five times slower per class at import."""
    offenders = [
        p.relative_to(PACKAGE).as_posix()
        for p in SOURCES
        if _defines(tree := ast.parse(p.read_text()), "NamedTuple") and _has_future_annotations(tree)
    ]
    assert offenders == []


def test_typer_command_modules_do_not_use_future_annotations() -> None:
    """Typer evaluates string annotations of every command on each start (about 5 ms)."""
    offenders = [
        p.relative_to(PACKAGE).as_posix()
        for p in SOURCES
        if _builds_typer_commands(tree := ast.parse(p.read_text())) and _has_future_annotations(tree)
    ]
    assert offenders == []


def test_no_dataclass_on_the_warm_path_but_the_public_types() -> None:
    """A frozen dataclass costs about 0.5 ms of exec at import on Python 3.11: on the warm path only the
    spec's public types (``models``) are dataclasses, because the spec and code written against it need them."""
    warm_path = [
        "targets.py",
        "progress.py",
        "client.py",
        "remote/endpoints.py",
        "remote/service.py",
        "store/layout.py",
        "store/atomic.py",
        "store/cache.py",
        "store/resolutions.py",
        "store/warm.py",
        "ops/batch.py",
        "ops/resolve.py",
        "cli/_progress.py",  # a warm fetch on a terminal makes its view
    ]
    offenders = [
        name for name in warm_path if _imports(ast.parse((PACKAGE / name).read_text()), "dataclasses")
    ]
    assert offenders == []
