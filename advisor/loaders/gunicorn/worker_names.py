"""Module variables of a gunicorn config that clearly hold a worker count (`web_concurrency`, `num_workers`).

A config that computes such a variable but never assigns `workers` runs gunicorn's default worker count: the
variable is read by nothing gunicorn knows. The names are matched strictly (a cap such as `max_workers` or a factor
such as `workers_per_core` is not a count), so a helper is only reported when its name says what it is.
"""

from __future__ import annotations

import ast

from advisor.lazy_regex import lazy_re
from advisor.model.deployment import UnknownSetting
from advisor.model.provenance import Source

_WORKER_COUNT = lazy_re(
    r"^(?:web_concurrency"
    r"|(?:(?:gunicorn|web|app|wsgi|asgi|total|default)_)?(?:num_|n_|number_of_)?workers"
    r"|(?:(?:gunicorn|web|app|wsgi|asgi|total|default)_)?workers?_(?:count|num|number|total)"
    r"|n_?workers|num_?workers)$"
)


def means_worker_count(name: str) -> bool:
    """True for names that clearly mean "how many workers" (never for the setting `workers` itself)."""
    lowered = name.lower()
    return lowered != "workers" and bool(_WORKER_COUNT.match(lowered))


def unassigned_worker_counts(tree: ast.Module, path: str, already: set[str]) -> list[UnknownSetting]:
    """Module-level worker-count variables of a config that never sets `workers` anywhere (not at module level,
    not in a hook, not as a string such as `cfg.set("workers", ...)`); `already` holds names reported before."""
    if _mentions_workers(tree):
        return []
    stores: dict[str, list[tuple[ast.Name, bool]]] = {}
    for statement in tree.body:  # module-level statements, including those nested in if/else/try blocks
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(statement):
            if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                computed = not (isinstance(node.value, ast.Constant) and node.value.value is None)
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name) and means_worker_count(name.id) and name.id not in already:
                            stores.setdefault(name.id, []).append((name, computed))
    found: list[UnknownSetting] = []
    for name_id, places in stores.items():  # point at the first assignment that computes a value (not `= None`)
        candidates = [place for place, computed in places if computed] or [place for place, _ in places]
        node = min(candidates, key=lambda item: (item.lineno, item.col_offset))
        found.append(UnknownSetting(name_id, Source.file(path, node.lineno, node.col_offset + 1), "workers"))
    return found


def _mentions_workers(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "workers" and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "workers" and isinstance(node.ctx, ast.Store):
            return True
        if isinstance(node, (ast.Global, ast.Nonlocal)) and "workers" in node.names:
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() in (
                "workers", "-w", "--workers"):
            return True
    return False
