"""The project's module import graph, read from the source (AST), lazy imports included.

Every `import x` and `from x import y` anywhere in a module — at the top, inside a function,
under `if TYPE_CHECKING:` — is an edge from that module to the project module it names
(`from package import name` counts as an edge to `package.name` when that is a module, else to
`package`). Only the project's own packages are nodes; the standard library and third-party
packages are left out. A package's `__init__` is the node named after the package.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

import networkx

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("spec", "walks", "mutation", "traces", "proofs", "conformance", "reference", "aimarket", "bench")


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            modules[module_name(root, path)] = path
    return modules


def _resolve_relative(module: str, is_package: bool, level: int, target: str | None) -> str:
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join(base + ([target] if target else []))


def imported_modules(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules that `module` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def add(name: str) -> None:
        # `import a.b.c` imports a, a.b and a.b.c; the edge that matters is the deepest project module.
        parts = name.split(".")
        for end in range(len(parts), 0, -1):
            candidate = ".".join(parts[:end])
            if candidate in known:
                found.add(candidate)
                return

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            target = (_resolve_relative(module, is_package, node.level, node.module)
                      if node.level else node.module or "")
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                add(submodule if submodule in known else target)
    found.discard(module)
    return found


def import_graph(root: Path = ROOT, packages: Iterable[str] = PACKAGES) -> networkx.DiGraph:
    modules = project_modules(root, packages)
    known = set(modules)
    graph = networkx.DiGraph()
    graph.add_nodes_from(known)
    for module, path in modules.items():
        for target in imported_modules(module, path, known):
            graph.add_edge(module, target)
    return graph


def import_cycles(graph: networkx.DiGraph) -> list[list[str]]:
    """Every elementary cycle, each rotated to start at its smallest name, sorted."""
    cycles = []
    for cycle in networkx.simple_cycles(graph):
        start = cycle.index(min(cycle))
        cycles.append(cycle[start:] + cycle[:start])
    return sorted(cycles)
