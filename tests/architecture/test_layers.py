"""The package's layers: every `advisor` import (module level, function level and TYPE_CHECKING alike) points at the
module's own layer or one below it, and no import cycle exists. The order is written here once; docs/architecture.md
draws it (and is checked against it below)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "advisor"
ARCHITECTURE_DOC = PACKAGE.parent / "docs" / "architecture.md"

# Lowest first: a module may import from its own layer and the layers before it, never from a later one. A
# top-level module (`advisor/units.py`) that no later layer names is a base utility.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("base", ("advisor",)),
    ("model", ("advisor.model",)),
    ("loaders", ("advisor.loaders",)),
    ("queueing", ("advisor.queueing",)),
    ("accesslog", ("advisor.accesslog",)),
    ("engine", ("advisor.engine",)),
    ("report", ("advisor.report",)),
    ("config", ("advisor.project_config",)),
    ("validation", ("advisor.validation",)),
    ("commands", ("advisor.commands",)),
    ("cli", ("advisor.cli", "advisor.__main__")),
)


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def layer_of(module: str) -> int:
    """The index of the layer whose most specific prefix matches (`advisor` itself only for the package root)."""
    best, best_length = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            exact_only = prefix == "advisor"
            matches = module == prefix or (not exact_only and module.startswith(prefix + "."))
            if matches and len(prefix) > best_length:
                best, best_length = index, len(prefix)
    if best < 0 and module.count(".") == 1:
        return 0
    return best


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The advisor modules `module` imports anywhere in its body (functions and TYPE_CHECKING blocks included)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            targets = [f"{name}.{alias.name}" if f"{name}.{alias.name}" in modules else name for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "advisor" or target.startswith("advisor."):
                resolved = _resolve(target, modules)
                if resolved is not None and resolved != module:
                    found.add(resolved)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = module_names()
    return {module: imports_of(module, path, modules) for module, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_every_module_has_a_layer():
    assert [module for module in module_names() if layer_of(module) < 0] == []


def test_no_module_imports_from_a_layer_above_it():
    upward = [f"{module} ({LAYERS[layer_of(module)][0]}) imports {target} ({LAYERS[layer_of(target)][0]})"
              for module, targets in sorted(import_graph().items()) for target in sorted(targets)
              if layer_of(target) > layer_of(module)]
    assert upward == []


def test_no_import_cycles():
    assert find_cycles(import_graph()) == []


def test_the_checks_catch_a_cycle_and_an_upward_import():
    graph = {"advisor.model.a": {"advisor.model.b"}, "advisor.model.b": {"advisor.model.a"}}
    assert find_cycles(graph) == [["advisor.model.a", "advisor.model.b"]]
    assert layer_of("advisor.commands.check") > layer_of("advisor.loaders.deployment") > layer_of("advisor.model.x")
    assert layer_of("advisor") == 0 and layer_of("advisor.cli") == len(LAYERS) - 1


@pytest.mark.skipif(not ARCHITECTURE_DOC.exists(), reason="docs/architecture.md is not in this checkout")
def test_the_architecture_doc_lists_the_layers_in_this_order():
    text = ARCHITECTURE_DOC.read_text(encoding="utf-8")
    table = re.search(r"<!-- layers -->\n(.*?)<!-- /layers -->", text, re.S)
    assert table, "docs/architecture.md needs the layer table between <!-- layers --> and <!-- /layers -->"
    rows = [line.split("|")[1].strip().strip("*") for line in table.group(1).splitlines()
            if line.startswith("|") and not line.startswith("|---") and "layer" not in line.split("|")[1]]
    assert rows == [name for name, _ in reversed(LAYERS)]
