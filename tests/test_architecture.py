"""The package's layers point one way and no modules import each other in a cycle (README "Architecture").

Every import statement counts: module level, inside functions (the lazy imports that keep start-up cheap) and
under ``TYPE_CHECKING``, because each is a dependency the code relies on. The checker is exercised on a
small synthetic package too, so that a test proves it fails on a cycle or a climb.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import exofop_cli

PACKAGE_DIR = Path(exofop_cli.__file__).parent

# Lower numbers are lower layers; a module may import its own layer (without cycles) and any layer below.
LAYERS: dict[str, int] = {
    # 0 foundation: value types, errors, settings, the parsing of what users type
    "exofop_cli._version": 0,
    "exofop_cli.errors": 0,
    "exofop_cli.config": 0,
    "exofop_cli.models": 0,
    "exofop_cli.rows": 0,
    "exofop_cli.frames": 0,
    "exofop_cli.targets": 0,
    "exofop_cli.progress": 0,
    "exofop_cli.units": 0,
    # 1 remote, 2 store, 3 operations: whole subpackages
    "exofop_cli.remote": 1,
    "exofop_cli.store": 2,
    "exofop_cli.ops": 3,
    # 4 facade
    "exofop_cli": 4,
    "exofop_cli.client": 4,
    # 5 command line
    "exofop_cli.cli": 5,
    "exofop_cli.__main__": 5,
    # 6 the fake server for tests (never imported by the package)
    "exofop_cli.testing": 6,
}
LAYER_NAMES = {0: "foundation", 1: "remote", 2: "store", 3: "ops", 4: "facade", 5: "cli", 6: "testing"}


def module_name(path: Path, root: Path, package: str) -> str:
    """Dotted name of a source file of ``package`` (whose folder is ``root``)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module → modules of the same package it imports (resolved; parent packages are not edges)."""
    files = {module_name(p, root, package): p for p in root.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            for target in _targets(node, name, is_package):
                # `from pkg import mod` names a module when mod.py exists, else an attribute of pkg.
                resolved = target if target in files else target.rpartition(".")[0]
                if resolved in files and resolved != name:
                    graph[name].add(resolved)
    return graph


def _targets(node: ast.AST, module: str, is_package: bool) -> Iterable[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        base = module.split(".")
        # In a package's __init__, "." is the package itself; elsewhere it is the containing package.
        keep = len(base) - node.level + (1 if is_package else 0)
        prefix = ".".join(base[:keep])
        origin = f"{prefix}.{node.module}" if node.module else prefix
    else:
        origin = node.module or ""
    return [f"{origin}.{alias.name}" for alias in node.names]


def layer_of(module: str, layers: Mapping[str, int]) -> int:
    """The layer of the longest prefix of ``module`` that ``layers`` names."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in layers:
            return layers[prefix]
    raise AssertionError(f"{module} belongs to no layer: add it to LAYERS")


def upward_imports(
    graph: Mapping[str, set[str]], layers: Mapping[str, int], names: Mapping[int, str] = LAYER_NAMES
) -> list[str]:
    """Every import of a higher layer, as readable lines."""
    out = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            low, high = layer_of(module, layers), layer_of(target, layers)
            if high > low:
                out.append(f"{module} ({names.get(low, low)}) imports {target} ({names.get(high, high)})")
    return out


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


# -- the package ------------------------------------------------------------------------------------------------
def test_every_module_belongs_to_a_layer() -> None:
    for module in import_graph(PACKAGE_DIR, "exofop_cli"):
        layer_of(module, LAYERS)


def test_no_import_cycles() -> None:
    assert cycles(import_graph(PACKAGE_DIR, "exofop_cli")) == []


def test_layers_import_only_downwards() -> None:
    assert upward_imports(import_graph(PACKAGE_DIR, "exofop_cli"), LAYERS) == []


def test_the_fetcher_is_given_its_parts_never_the_client() -> None:
    graph = import_graph(PACKAGE_DIR, "exofop_cli")
    assert "exofop_cli.client" not in graph["exofop_cli.ops.fetcher"]
    assert not any(t.startswith("exofop_cli.cli") for t in graph["exofop_cli.client"])


# -- the checker itself ---------------------------------------------------------------------------------------
def _write(root: Path, files: Mapping[str, str]) -> Path:
    for rel, text in files.items():
        path = root / "pkg" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_the_checker_finds_a_deliberate_cycle_and_a_climb(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "__init__.py": "",
            "low/__init__.py": "",
            "low/a.py": "def f():\n    from .b import g\n",  # lazy imports count too
            "low/b.py": "from . import a\n",
            "high/__init__.py": "",
            "high/c.py": "from ..low.a import f\n",
            "low/d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..high import c\n",
        },
    )
    graph = import_graph(root, "pkg")
    assert cycles(graph) == [["pkg.low.a", "pkg.low.b"]]
    layers = {"pkg": 9, "pkg.low": 1, "pkg.high": 2}
    assert upward_imports(graph, layers, names={}) == ["pkg.low.d (1) imports pkg.high.c (2)"]


def test_the_checker_passes_a_clean_package(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {"__init__.py": "", "a.py": "import os\n", "b.py": "from . import a\nfrom .a import os\n"},
    )
    graph = import_graph(root, "pkg")
    assert graph == {"pkg": set(), "pkg.a": set(), "pkg.b": {"pkg.a"}}
    assert cycles(graph) == []
