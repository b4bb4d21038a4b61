"""The fact namespaces rules read (`route.read_timeout`): attribute access to Settings with unknown/absent reasons.

Kept apart from the index that builds them (advisor/engine/facts.py), so that builders of one namespace
(advisor/engine/workload_facts.py) need not import the index.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from advisor.engine.expressions import FactUnavailable
from advisor.model.deployment import Diagnostic, Setting, Source


class Namespace:
    """Attribute access to fact values; unknown or absent facts raise FactUnavailable."""

    __slots__ = ("_name", "_facts", "_owner", "_absent_reason", "_label", "_base", "_lazy", "_resolve", "memo")

    def __init__(self, name: str, facts: dict[str, Setting], owner: Source | None, label: str,
                 absent_reason: str | None = None, *, base: dict[str, Setting] | None = None,
                 lazy: dict[str, Callable[[], Setting | None]] | None = None,
                 resolve: Callable[[str], Setting | None] | None = None) -> None:
        """`facts` wins over `lazy` (facts computed on first use: most rules never read them for most locations),
        then `resolve` (advisor.engine.fact_registry.FactContext.resolve: the registry's facts, derived on first
        read into `facts`, else the object's settings), then `base` (a model dict read in place, e.g.
        Route.settings, never copied)."""
        self._name = name
        self._facts = facts
        self._owner = owner
        self._label = label
        self._absent_reason = absent_reason
        self._base = base
        self._lazy = lazy
        self._resolve = resolve
        self.memo: dict[Any, Any] = {}  # advisor/engine/memo.py's key parts of this namespace's facts

    @property
    def owner_source(self) -> Source | None:
        """The object's own location: fallback for facts that have no position (defaults)."""
        return self._owner

    def setting_of(self, attr: str) -> Setting | None:
        setting = self._facts.get(attr)
        if setting is not None:
            return setting
        if self._lazy is not None and attr in self._lazy:
            setting = self._lazy.pop(attr)()
            if setting is not None:
                self._facts[attr] = setting
            return setting
        if self._resolve is not None:
            return self._resolve(attr)
        return self._base.get(attr) if self._base is not None else None

    def release(self) -> None:
        """Drop the facts nobody read (their thunks and derivation context hold the model objects): called once the
        run is over."""
        self._lazy = None
        self._resolve = None

    def require(self, attr: str) -> Setting:
        setting = self.setting_of(attr)
        if setting is None:
            reason = self._absent_reason or f"{self._label} has no {attr!r} in the model"
            raise FactUnavailable(f"{self._name}.{attr}", reason, "absent")
        if not setting.known:
            raise FactUnavailable(f"{self._name}.{attr}", setting.source.detail or "unknown", "unknown")
        return setting

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return self.require(attr).value

    def __repr__(self) -> str:
        return f"<facts {self._name} of {self._label}>"


@dataclass(slots=True)
class ScopeInstance:
    """One place a rule scope applies to (a route, a link, the app, ...) with the namespaces its rules read."""

    scope: str
    id: str
    names: dict[str, Namespace]
    anchor: Source | None  # where a finding points when its `at` fact has no position
    diagnostic: Diagnostic | None = None
