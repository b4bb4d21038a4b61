"""Run rules over a deployment: evaluate each selected rule once per instance of its scope, locate the findings,
turn loader diagnostics into findings (meta rules, scope `diagnostic`), deduplicate and apply suppressions."""

from __future__ import annotations

from typing import Any, Iterable

from advisor.engine.expressions import Evaluator, FactUnavailable, format_value
from advisor.engine.facts import FactIndex, Namespace, ScopeInstance
from advisor.engine.findings import EngineResult, Finding, RelatedLocation, Skip, SuppressedFinding
from advisor.engine.rules import Rule
from advisor.engine.suppress import SuppressionIndex
from advisor.model.deployment import Deployment, Diagnostic, Setting, Source
from advisor.units import format_duration

FALLBACK_DIAGNOSTIC_NAME = "loader-diagnostic"
_NGINX_NAMESPACES = frozenset({"route", "upstream", "nginx"})


class RuleEvaluationError(RuntimeError):
    """Raised instead of recording an "error" skip when running strictly (tests, --debug)."""


def run_rules(deployment: Deployment, rules: list[Rule], selection: Iterable[str] | None = None,
              strict: bool = False) -> EngineResult:
    """Evaluate `rules` (restricted to the codes in `selection`; None = all) against `deployment`.

    `strict` raises RuleEvaluationError when a rule expression fails for a reason other than a missing fact
    (a rule bug); otherwise that is recorded as a skip of kind "error".
    """
    wanted = None if selection is None else frozenset(selection)
    selected = [rule for rule in rules if wanted is None or rule.code in wanted]
    index = FactIndex(deployment)
    evaluator = Evaluator()
    result = EngineResult(rules_run=len(selected))
    findings: dict[tuple[Any, ...], Finding] = {}
    skips: dict[tuple[str, str, str], Skip] = {}

    for rule in selected:
        for instance in index.instances(rule.scope):
            if rule.scope == "diagnostic" and (instance.diagnostic is None or instance.diagnostic.code != rule.code):
                continue
            try:
                finding = _evaluate(rule, instance, evaluator)
            except FactUnavailable as missing:
                key = (rule.code, instance.id, missing.fact)
                skips.setdefault(key, Skip(rule.code, instance.id, missing.fact, missing.reason, missing.kind))
                continue
            except Exception as error:  # a rule bug (type error, bad function call): never crash the run
                if strict:
                    raise RuleEvaluationError(f"{rule.code} ({rule.path}) on {instance.id}: "
                                              f"{type(error).__name__}: {error}") from error
                key = (rule.code, instance.id, "")
                skips.setdefault(key, Skip(rule.code, instance.id, "", f"{type(error).__name__}: {error}", "error"))
                continue
            if finding is not None:
                findings.setdefault(finding.dedup_key, finding)

    known_codes = {rule.code for rule in rules}
    for diagnostic in deployment.diagnostics:
        if diagnostic.code not in known_codes:  # never drop a loader problem because no meta rule describes it
            finding = _fallback_finding(diagnostic)
            findings.setdefault(finding.dedup_key, finding)

    suppressions = SuppressionIndex(deployment.suppressions)
    for finding in sorted(findings.values(), key=lambda item: item.sort_key):
        suppression = suppressions.find(finding) if suppressions else None
        if suppression is not None:
            result.suppressed.append(SuppressedFinding(finding, suppression))
        else:
            result.findings.append(finding)
    result.skips = list(skips.values())
    return result


def _evaluate(rule: Rule, instance: ScopeInstance, evaluator: Evaluator) -> Finding | None:
    names: dict[str, Any] = dict(instance.names)
    if rule.when is not None and not evaluator.evaluate(rule.when, names):
        return None
    for let_name, expression in rule.lets:
        names[let_name] = evaluator.evaluate(expression, names)
    message = " ".join(evaluator.render(rule.message, names).split())
    fix = " ".join(evaluator.render(rule.fix, names).split()) if rule.fix is not None else None
    primary = _primary_location(rule, instance)
    related = _related_locations(rule, instance, evaluator, names, primary)
    path, line, column = primary if primary else (None, None, None)
    # Loader diagnostics keep the loader's severity (e.g. an include glob matching nothing is only info).
    severity = instance.diagnostic.severity if instance.diagnostic is not None else rule.severity
    return Finding(rule.code, rule.name, severity, message, fix, path, line, column, tuple(related), instance.id)


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


def _primary_location(rule: Rule, instance: ScopeInstance) -> tuple[str, int, int] | None:
    if instance.diagnostic is not None:
        diagnostic = instance.diagnostic
        return (diagnostic.path, diagnostic.line or 1, diagnostic.column or 1) if diagnostic.path else None
    if rule.at is not None:
        namespace, setting = _fact_setting(instance, rule.at)
        found = _position(setting.source) if setting is not None else None
        if found is None and namespace is not None:
            found = _position(namespace.owner_source)
        if found is not None:
            return found
    return _position(instance.anchor)


def _related_locations(rule: Rule, instance: ScopeInstance, evaluator: Evaluator, names: dict[str, Any],
                       primary: tuple[str, int, int] | None) -> list[RelatedLocation]:
    related: list[RelatedLocation] = []
    for spec in rule.related:
        namespace, setting = _fact_setting(instance, spec.fact)
        if setting is None:  # absent for this scope: nothing to point at
            continue
        found = _position(setting.source)
        if found is None and namespace is not None:
            found = _position(namespace.owner_source)
        if found is None:
            continue
        if primary is not None and found[:2] == primary[:2]:
            continue
        if spec.message is not None:
            try:
                text = " ".join(evaluator.render(spec.message, names).split())
            except FactUnavailable:
                text = describe_fact(spec.fact, setting, namespace)
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
        text = format_duration(float(value))
    else:
        text = format_value(value)
    label = f"{attr} = {text}" if namespace_name == "app" else f"{attr} {text}"
    if setting.source.kind == "default" and setting.source.detail:
        label += f" ({setting.source.detail})"
    return label


def _fallback_finding(diagnostic: Diagnostic) -> Finding:
    return Finding(diagnostic.code, FALLBACK_DIAGNOSTIC_NAME, diagnostic.severity, diagnostic.message, diagnostic.fix,
                   diagnostic.path, (diagnostic.line or 1) if diagnostic.path else None,
                   (diagnostic.column or 1) if diagnostic.path else None, (), f"diagnostic {diagnostic.code}")
