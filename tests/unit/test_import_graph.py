"""No import circle among the project's own modules (helpers, deploy, benchmarks, tools).

The graph is read from the source with `ast`, so it includes imports inside functions (which
hide a circle from Python at import time but not from the reader). An edge goes to the module
an import names: `from . import errors` to `helpers.emulator.errors`, `from .server import x`
to `helpers.emulator.server`, `from helpers.emulator import start` to the package itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("helpers", "deploy", "benchmarks", "tools")


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """{dotted module name: file} for every .py file of the project's packages."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The longest project module that `name` is or lies in (None: not the project's)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in modules:
            return candidate
        parts.pop()
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules that `module` imports anywhere in its file."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # `from pkg import name`: the submodule pkg.name if there is one, else pkg.
            names = [
                f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            target = _resolve(name, modules)
            if target is not None and target != module:
                found.add(target)
    return found


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = module_files(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None (iterative depth-first search)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    for start in sorted(graph):
        if start in state:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(sorted(graph.get(nxt, ()))))
    return None


def test_the_project_has_no_import_circle():
    graph = import_graph()
    assert "helpers.emulator.server" in graph and "helpers.emulator.cli" in graph
    cycle = find_cycle(graph)
    assert cycle is None, "import circle: " + " -> ".join(cycle)


def test_no_service_module_imports_the_command_line():
    graph = import_graph()
    users = sorted(
        name
        for name, targets in graph.items()
        if "helpers.emulator.cli" in targets
        and name not in ("helpers.emulator", "helpers.emulator.__main__")
    )
    assert users == [], f"only __main__ (and the package's re-export) may import cli: {users}"


def test_the_checker_finds_a_circle_through_a_function_level_import(tmp_path):
    """The detector itself: a circle hidden in a function body, through `from . import`."""
    pkg = tmp_path / "helpers"
    (pkg / "inner").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "inner" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from .inner import b\n")
    (pkg / "inner" / "b.py").write_text("import helpers.c\n")
    (pkg / "c.py").write_text("def late():\n    from . import a\n")
    cycle = find_cycle(import_graph(tmp_path))
    assert cycle == ["helpers.a", "helpers.inner.b", "helpers.c", "helpers.a"]
    (pkg / "c.py").write_text("def late():\n    import json\n")
    assert find_cycle(import_graph(tmp_path)) is None
