"""The fact names rules may use, per namespace, and which namespaces each scope provides.

Generated from the declarations (advisor/engine/fact_registry.py for derived facts, advisor/engine/fact_settings.py
for the model's settings). Rule files are checked against it when they are loaded, so a typo
(`route.proxy_red_timeout`) is a rule-file error naming the file, not a rule that silently never fires.
"""

from __future__ import annotations

from advisor.engine.fact_registry import NAMESPACES, OWNER_NAMESPACES, SCOPE_NAMESPACES, SCOPES, fact_names
from advisor.engine.fact_settings import SETTING_GROUPS

NAMESPACE_FACTS: dict[str, frozenset[str]] = {
    namespace: fact_names(namespace).union(*(group.names for group in SETTING_GROUPS if group.namespace == namespace))
    for namespace in NAMESPACES
}
# The queueing model at the given workload (--rps/--service-time; advisor/engine/workload_facts.py).
MODEL_FACTS = NAMESPACE_FACTS["model"]

__all__ = ["MODEL_FACTS", "NAMESPACE_FACTS", "OWNER_NAMESPACES", "SCOPES", "SCOPE_NAMESPACES", "closest_fact",
           "is_known_fact"]


def is_known_fact(namespace: str, attr: str) -> bool:
    return attr in NAMESPACE_FACTS.get(namespace, frozenset())


def closest_fact(namespace: str, attr: str) -> str | None:
    import difflib

    matches = difflib.get_close_matches(attr, sorted(NAMESPACE_FACTS.get(namespace, ())), n=1, cutoff=0.75)
    return f"{namespace}.{matches[0]}" if matches else None
