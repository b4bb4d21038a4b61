"""Run rules over a deployment: evaluate each selected rule once per instance of its scope, locate the findings,
turn loader diagnostics into findings (meta rules, scope `diagnostic`), deduplicate, set suppressed findings aside
(advisor/engine/postprocess.py owns that step), then report stale or misspelled suppressions (ADV100/ADV101, when
selected)."""

from __future__ import annotations

import ast
from typing import Any, Iterable

from advisor.engine.coverage import GivenInputs, coverage_notices
from advisor.engine.expressions import CONTEXT_FUNCTIONS, Evaluator, FactUnavailable
from advisor.engine.facts import FactIndex, ScopeInstance
from advisor.engine.findings import EngineResult, Finding, RelatedLocation, Skip
from advisor.engine.hygiene import UNKNOWN_CODE, UNUSED_CODE, suppression_diagnostics
from advisor.engine.locate import primary_location, related_locations
from advisor.engine.postprocess import suppress
from advisor.engine.rules import Phrase, Rule
from advisor.engine.suppress import SuppressionIndex
from advisor.model.deployment import Deployment, Diagnostic
from advisor.model.diagnostics import MISSING_INPUT_SEVERITY
from advisor.model.severity import Severity

FALLBACK_DIAGNOSTIC_NAME = "loader-diagnostic"


class RuleEvaluationError(RuntimeError):
    """Raised instead of recording an "error" skip when running strictly (tests, --debug)."""


def run_rules(deployment: Deployment, rules: list[Rule], selection: Iterable[str] | None = None,
              strict: bool = False, workload: Any = None, given: GivenInputs | None = None) -> EngineResult:
    """Evaluate `rules` (restricted to the codes in `selection`; None = all) against `deployment`.

    `strict` raises RuleEvaluationError when a rule expression fails for a reason other than a missing fact
    (a rule bug); otherwise that is recorded as a skip of kind "error". `given` (what the user passed) sharpens
    the notices about what could not be checked.
    """
    wanted = None if selection is None else frozenset(selection)
    selected = [rule for rule in rules if wanted is None or rule.code in wanted]
    index = FactIndex(deployment, workload)  # workload: engine.workload_facts.Workload for the `model` facts
    evaluator = Evaluator()
    result = EngineResult(rules_run=len(selected), notices=coverage_notices(deployment, selected, given))
    findings: dict[tuple[Any, ...], Finding] = {}
    skips: dict[tuple[str, str, str], Skip] = {}

    for rule in selected:
        instances = index.diagnostics(rule.code) if rule.scope == "diagnostic" else index.instances(rule.scope)
        when_cache = WhenCache(rule)
        for instance in instances:
            try:
                if when_cache.known_false(instance, evaluator):
                    continue
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
    result.findings, result.suppressed = suppress(findings.values(), suppressions)
    result.skips = list(skips.values())
    by_code = {rule.code: rule for rule in selected}
    hygiene_rules = [by_code[code] for code in (UNUSED_CODE, UNKNOWN_CODE) if code in by_code]
    if hygiene_rules and deployment.suppressions:
        extra = suppression_diagnostics(
            deployment.suppressions, result.suppressed, rules, frozenset(by_code), result.skips,
            {diagnostic.code for diagnostic in deployment.diagnostics},
            report_unused=UNUSED_CODE in by_code, report_unknown=UNKNOWN_CODE in by_code)
        hygiene: dict[tuple[Any, ...], Finding] = {}
        for number, diagnostic in enumerate(extra):
            instance = index.diagnostic_instance(diagnostic, f"suppression {number}")
            finding = _evaluate(by_code[diagnostic.code], instance, evaluator)
            if finding is not None:
                hygiene.setdefault(finding.dedup_key, finding)
        kept, suppressed = suppress(hygiene.values(), suppressions)
        result.findings.extend(kept)
        result.suppressed.extend(suppressed)
    result.findings.sort(key=lambda item: item.sort_key)
    index.release()
    return result


class WhenCache:
    """Remembers a rule's `when` outcome per combination of the fact values it reads.

    Thousands of locations usually share a handful of effective settings (inherited from http/server level), so
    `when` is evaluated once per distinct combination instead of once per location. An outcome may also be "skipped
    because fact X is unavailable": on a hit the instance's own namespace raises its FactUnavailable, so the skip
    is recorded with this instance's reason.
    """

    __slots__ = ("_when", "_lookups", "_results", "_with_provenance")

    def __init__(self, rule: Rule) -> None:
        when = rule.when
        self._when = when
        self._lookups: tuple[tuple[str, str], ...] | None = None
        self._with_provenance = False
        self._results: dict[tuple[Any, ...], bool | str] = {}
        if when is None:
            return
        facts = set(when.facts)
        if when.names & CONTEXT_FUNCTIONS:
            # is_set()/known() read a fact's provenance: key on the source kind too, for the facts they name.
            named = _context_function_arguments(when.node)
            if named is None:
                return  # a computed argument: not cacheable
            facts |= named
            self._with_provenance = True
        self._lookups = tuple((fact.partition(".")[0], fact.partition(".")[2]) for fact in sorted(facts))

    def known_false(self, instance: ScopeInstance, evaluator: Evaluator) -> bool:
        """True when `when` is false for this instance; raises FactUnavailable when it would skip."""
        if self._lookups is None:
            return False
        key = self._key(instance.names)
        if key is None:
            return False
        try:
            outcome = self._results.get(key)
        except TypeError:  # an unhashable fact value (a list, a dict): key on its repr instead
            key = tuple(repr(part) for part in key)
            outcome = self._results.get(key)
        if outcome is None:
            try:
                outcome = bool(evaluator.evaluate(self._when, dict(instance.names)))
            except FactUnavailable as missing:
                outcome = missing.fact
            except Exception:  # a rule bug: let _evaluate raise it again and record it
                return False
            self._results[key] = outcome
        if isinstance(outcome, str):
            namespace_name, _, attr = outcome.partition(".")
            instance.names[namespace_name].require(attr)  # raises this instance's FactUnavailable
            return False
        return not outcome

    def _key(self, names: dict[str, Any]) -> tuple[Any, ...] | None:
        parts: list[Any] = []
        append = parts.append
        with_provenance = self._with_provenance
        for namespace_name, attr in self._lookups:
            try:
                setting = names[namespace_name].setting_of(attr)
            except (KeyError, AttributeError):
                return None
            if setting is None:
                append(_ABSENT)
            elif setting.source.kind == "unknown":
                append(_UNKNOWN)
            elif with_provenance:
                append((setting.value, setting.source.kind))
            else:
                append(setting.value)
        return tuple(parts)


_ABSENT = object()
_UNKNOWN = object()


def _context_function_arguments(node: ast.AST) -> set[str] | None:
    """The fact names passed as string literals to is_set()/known(); None if any argument is computed."""
    named: set[str] = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in CONTEXT_FUNCTIONS:
            for argument in call.args:
                if not (isinstance(argument, ast.Constant) and isinstance(argument.value, str)):
                    return None
                named.add(argument.value)
    return named




def _evaluate(rule: Rule, instance: ScopeInstance, evaluator: Evaluator) -> Finding | None:
    names: dict[str, Any] = dict(instance.names)
    if rule.when is not None and not evaluator.evaluate(rule.when, names):
        return None
    for let_name, expression in rule.lets:
        names[let_name] = evaluator.evaluate(expression, names)
    for phrase in rule.phrases:
        names[phrase.name] = phrase_text(phrase, evaluator, names)
    message = evaluator.render_line(rule.message, names)
    fix = evaluator.render_line(rule.fix, names) if rule.fix is not None else None
    explanation = evaluator.render_line(rule.explanation, names) if rule.explanation is not None else None
    primary = primary_location(rule, instance)
    related = related_locations(rule, instance, evaluator, names, primary)
    if instance.diagnostic is not None:
        related += diagnostic_related(instance.diagnostic)
    path, line, column = primary if primary else (None, None, None)
    # Loader diagnostics keep the loader's severity (e.g. an include glob matching nothing is only info).
    severity = (diagnostic_severity(instance.diagnostic) if instance.diagnostic is not None
                else rule.severity_for(evaluator, names))  # a rule's `escalate:` raises it on evidence
    return Finding(rule.code, rule.name, Severity(severity), message, fix, path, line, column, tuple(related),
                   instance.id, explanation)


def phrase_text(phrase: Phrase, evaluator: Evaluator, names: dict[str, Any]) -> str:
    """The text of a wording table for this finding. Like a template segment once `when` has matched, a selector
    whose fact is unavailable takes the `else` case, or reads "unknown" without one. A known value that no case
    covers is a rule bug (ValueError)."""
    try:
        value = evaluator.evaluate(phrase.by, names)
    except FactUnavailable:
        return "unknown" if phrase.default is None else evaluator.render(phrase.default, names, lenient=True)
    template = phrase.template_for(value)
    if template is None:
        raise ValueError(f"phrase {phrase.name!r}: no case for {value!r} and no `else`")
    return evaluator.render(template, names, lenient=True)


def diagnostic_severity(diagnostic: Diagnostic) -> Severity:
    """A missing input is a note about coverage: never above info, so it cannot fail a run by itself (also when a
    deployment was assembled without advisor.model.diagnostics.consolidate_diagnostics)."""
    return MISSING_INPUT_SEVERITY if diagnostic.missing is not None else Severity(diagnostic.severity)


def _fallback_finding(diagnostic: Diagnostic) -> Finding:
    return Finding(diagnostic.code, FALLBACK_DIAGNOSTIC_NAME, diagnostic_severity(diagnostic), diagnostic.message,
                   diagnostic.fix, diagnostic.path, (diagnostic.line or 1) if diagnostic.path else None,
                   (diagnostic.column or 1) if diagnostic.path else None, tuple(diagnostic_related(diagnostic)),
                   f"diagnostic {diagnostic.code}")


def diagnostic_related(diagnostic: Diagnostic) -> list[RelatedLocation]:
    """The other places of a consolidated diagnostic, as related locations."""
    return [RelatedLocation(place.path, place.line or 1, place.column or 1, place.message, "also")
            for place in diagnostic.related]
