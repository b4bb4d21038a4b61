"""Where a finding points: the `at` fact's position (or its owner's), and the related facts' positions.

A default has no position of its own; it falls back to the object that owns it (a route's location block, the app
config file at line 1, an upstream block), so every finding, and every cross-file related location, has a place.
"""

from __future__ import annotations

from typing import Any

from advisor.engine.expressions import Evaluator, format_value
from advisor.engine.namespace import Namespace, ScopeInstance
from advisor.engine.findings import RelatedLocation
from advisor.engine.rules import RelatedSpec, Rule
from advisor.model.deployment import Setting, Source
from advisor.units import nginx_time

_NGINX_NAMESPACES = frozenset({"route", "upstream", "nginx"})


def _position(source: Source | None) -> tuple[str, int, int] | None:
    if source is None:
        return None
    found = source.position()
    if found is not None:
        return (found.path, found.line, found.column or 1)
    if source.path is not None and source.kind in ("file", "unknown"):
        return (source.path, 1, 1)  # a whole file (e.g. an app config without a line)
    return None


def _fact_setting(instance: ScopeInstance, fact: str) -> tuple[Namespace | None, Setting | None]:
    namespace_name, _, attr = fact.partition(".")
    namespace = instance.names.get(namespace_name)
    if namespace is None:
        return None, None
    return namespace, namespace.setting_of(attr)


def _fact_position(namespace: Namespace | None, setting: Setting | None) -> tuple[str, int, int] | None:
    """The setting's own position, else that of the object owning it (a default has no position of its own)."""
    found = _position(setting.source) if setting is not None else None
    if found is None and namespace is not None:
        found = _position(namespace.owner_source)
    return found


def primary_location(rule: Rule, instance: ScopeInstance) -> tuple[str, int, int] | None:
    if instance.diagnostic is not None:
        diagnostic = instance.diagnostic
        return (diagnostic.path, diagnostic.line or 1, diagnostic.column or 1) if diagnostic.path else None
    if rule.at is not None:
        namespace, setting = _fact_setting(instance, rule.at)
        found = _fact_position(namespace, setting)
        if found is not None:
            return found
    return _position(instance.anchor)


def related_places(rule: Rule, instance: ScopeInstance, primary: tuple[str, int, int] | None
                   ) -> list[tuple[int, RelatedSpec, Namespace | None, Setting, tuple[str, int, int]]]:
    """(spec index, spec, namespace, setting, position) of each related fact that has a place of its own here
    (absent facts, facts without a position and places on the primary line are left out)."""
    places = []
    for index, spec in enumerate(rule.related):
        namespace, setting = _fact_setting(instance, spec.fact)
        if setting is None:  # absent for this scope: nothing to point at
            continue
        found = _fact_position(namespace, setting)
        if found is None:
            continue
        if primary is not None and found[:2] == primary[:2]:
            continue
        places.append((index, spec, namespace, setting, found))
    return places


def related_locations(rule: Rule, instance: ScopeInstance, evaluator: Evaluator, names: dict[str, Any],
                      primary: tuple[str, int, int] | None, texts: dict[int, str] | None = None
                      ) -> list[RelatedLocation]:
    """The related locations of a finding. `texts` collects each rendered spec message by spec index (memoised
    evaluation reuses them: advisor/engine/memo.py)."""
    related: list[RelatedLocation] = []
    for index, spec, namespace, setting, found in related_places(rule, instance, primary):
        if spec.message is not None:
            text = evaluator.render_line(spec.message, names)
            if texts is not None:
                texts[index] = text
        else:
            text = describe_fact(spec.fact, setting, namespace)
        related.append(RelatedLocation(found[0], found[1], found[2], text))
    return related


def describe_fact(fact: str, setting: Setting | None, namespace: Namespace | None) -> str:
    """`proxy_read_timeout 60s (nginx 1.30.0 default)`, `timeout = 120`: how a related location is labelled."""
    namespace_name, _, attr = fact.partition(".")
    if setting is None or not setting.known:
        return fact
    if namespace_name == "route" and attr in ("read_timeout", "connect_timeout") and namespace is not None:
        prefix = namespace.setting_of("prefix")
        if prefix is not None:
            attr = f"{prefix.value}_{attr}"
    value = setting.value
    if setting.raw is not None and setting.source.kind == "file":
        text = setting.raw
    elif namespace_name in _NGINX_NAMESPACES and isinstance(value, (int, float)) and not isinstance(value, bool) \
            and ("timeout" in attr or attr.endswith("_time")):
        text = nginx_time(float(value))
    else:
        text = format_value(value)
    label = f"{attr} = {text}" if namespace_name == "app" else f"{attr} {text}"
    if setting.source.kind == "default" and setting.source.detail:
        label += f" ({setting.source.detail})"
    return label
