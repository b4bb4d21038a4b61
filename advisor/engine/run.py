"""Run rules over a deployment: evaluate each selected rule once per instance of its scope, locate the findings,
turn loader diagnostics into findings (meta rules, scope `diagnostic`), deduplicate, set suppressed findings aside
(advisor/engine/postprocess.py owns that step), then report stale or misspelled suppressions (ADV100/ADV101, when
selected)."""

from __future__ import annotations

from typing import Any, Iterable

from advisor.engine.coverage import GivenInputs, coverage_notices
from advisor.engine.expressions import Evaluator, FactUnavailable
from advisor.engine.facts import FactIndex, ScopeInstance
from advisor.engine.findings import EngineResult, Finding, RelatedLocation, Skip
from advisor.engine.hygiene import UNKNOWN_CODE, UNUSED_CODE, suppression_diagnostics
from advisor.engine.locate import describe_fact, primary_location, related_locations, related_places
from advisor.engine.memo import Body, BodyCache, KeyMaker, WhenCache, WhenTree, raise_unavailable
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
    index = FactIndex(deployment, workload)  # workload: engine.workload_facts.Workload for the `model` facts
    try:
        return _run(index, rules, selection, strict, given)
    finally:
        index.release()


STREAMED_SCOPES = ("route", "link")  # evaluated one route at a time (FactIndex.route_groups)


def _run(index: FactIndex, rules: list[Rule], selection: Iterable[str] | None, strict: bool,
         given: GivenInputs | None) -> EngineResult:
    deployment = index.deployment
    wanted = None if selection is None else frozenset(selection)
    selected = [rule for rule in rules if wanted is None or rule.code in wanted]
    keys = KeyMaker()  # memoised evaluation (advisor/engine/memo.py)
    result = EngineResult(rules_run=len(selected), notices=coverage_notices(deployment, selected, given))
    outcomes = _Outcomes(Evaluator(), strict)
    runs = [_RuleRun(number, rule, keys) for number, rule in enumerate(selected)]
    for run in runs:
        if run.rule.scope not in STREAMED_SCOPES:
            instances = (index.diagnostics(run.rule.code) if run.rule.scope == "diagnostic"
                         else index.instances(run.rule.scope))
            for number, instance in enumerate(instances):
                outcomes.evaluate(run, instance, number)
    # Route and link rules: all of them on one route's instances, then the next route (the namespaces of a route are
    # dropped once it is done); the outcomes are ordered as a rule-by-rule run would have found them.
    by_scope = {scope: [run for run in runs if run.rule.scope == scope] for scope in STREAMED_SCOPES}
    trees = {scope: WhenTree([run.rule for run in scope_runs], scope) for scope, scope_runs in by_scope.items()}
    if by_scope["route"] or by_scope["link"]:
        for group in index.route_groups(bool(by_scope["route"]), bool(by_scope["link"])):
            if group.route is not None:
                outcomes.evaluate_all(by_scope["route"], trees["route"], *group.route)
            for number, instance in group.links:
                outcomes.evaluate_all(by_scope["link"], trees["link"], number, instance)
    findings, skips = outcomes.ordered()
    evaluator = outcomes.evaluator
    result.notices.extend(index.model_notices())

    known_codes = {rule.code for rule in rules}
    for diagnostic in deployment.diagnostics:
        if diagnostic.code not in known_codes:  # never drop a loader problem because no meta rule describes it
            finding = _fallback_finding(diagnostic)
            findings.setdefault(finding.dedup_key, finding)

    suppressions = SuppressionIndex(deployment.suppressions)
    result.findings, result.suppressed = suppress(findings.values(), suppressions)
    result.skips = skips
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
    return result


class _RuleRun:
    """One rule's memos for the run."""

    __slots__ = ("number", "rule", "when", "bodies")

    def __init__(self, number: int, rule: Rule, keys: KeyMaker) -> None:
        self.number = number  # the rule's position among the selected
        self.rule = rule
        self.when = WhenCache(rule, keys)
        self.bodies = BodyCache(rule, keys)


class _Outcomes:
    """Findings and skips of the run, each kept with its place in rule-by-rule order (rule, then instance), so that
    the first of duplicate findings and the order of skips do not depend on the order of evaluation."""

    def __init__(self, evaluator: Evaluator, strict: bool) -> None:
        self.evaluator = evaluator
        self.strict = strict
        self.findings: dict[tuple[Any, ...], tuple[tuple[int, int], Finding]] = {}
        self.skips: dict[tuple[str, str, str], tuple[tuple[int, int], Skip]] = {}
        self.error: tuple[tuple[int, int], RuleEvaluationError] | None = None
        self.plans: dict[int, list[tuple[_RuleRun, bool | str | None]]] = {}  # per WhenOutcomes: the rules to look at

    def evaluate_all(self, runs: list[_RuleRun], tree: WhenTree, number: int, instance: ScopeInstance) -> None:
        """Every rule of `runs` (one scope, the rules of `tree`) on one instance: the tree decides their `when`s
        (advisor/engine/memo.py), and the rules whose `when` is false are not looked at again."""
        leaf = tree.outcomes(instance, self.evaluator)
        if leaf is None:
            for run in runs:
                self.evaluate(run, instance, number)
            return
        plan = self.plans.get(id(leaf))
        if plan is None:
            plan = self.plans[id(leaf)] = [(run, outcome) for run, outcome in zip(runs, leaf.outcomes)
                                           if outcome is not False]
        for run, outcome in plan:
            self.evaluate(run, instance, number, outcome)

    def evaluate(self, run: _RuleRun, instance: ScopeInstance, number: int,
                 when: bool | str | None = None) -> None:
        """One rule on one instance. `when`: its `when` outcome when known (True, or the fact found unavailable);
        None: ask the rule's WhenCache."""
        rule, place = run.rule, (run.number, number)
        try:
            if when is None:
                if run.when.known_false(instance, self.evaluator):
                    return
            elif isinstance(when, str):
                raise_unavailable(instance, when)  # not unavailable here after all: evaluate plainly
            finding = _memoised(rule, instance, self.evaluator, run.bodies)
        except FactUnavailable as missing:
            self._skip(place, Skip(rule.code, instance.id, missing.fact, missing.reason, missing.kind))
            return
        except Exception as error:  # a rule bug (type error, bad function call): never crash the run
            if self.strict:
                if self.error is None or place < self.error[0]:
                    failure = RuleEvaluationError(f"{rule.code} ({rule.path}) on {instance.id}: "
                                                  f"{type(error).__name__}: {error}")
                    failure.__cause__, failure.__suppress_context__ = error, True
                    self.error = (place, failure)
                return
            self._skip(place, Skip(rule.code, instance.id, "", f"{type(error).__name__}: {error}", "error"))
            return
        if finding is not None:
            kept = self.findings.get(finding.dedup_key)
            if kept is None or place < kept[0]:
                self.findings[finding.dedup_key] = (place, finding)

    def _skip(self, place: tuple[int, int], skip: Skip) -> None:
        key = (skip.code, skip.scope_id, skip.fact)
        kept = self.skips.get(key)
        if kept is None or place < kept[0]:
            self.skips[key] = (place, skip)

    def ordered(self) -> tuple[dict[tuple[Any, ...], Finding], list[Skip]]:
        """(findings by dedup key, skips), in rule-by-rule order; raises the first rule bug when strict."""
        if self.error is not None:
            raise self.error[1]
        findings = {key: finding for key, (_, finding) in sorted(self.findings.items(), key=lambda item: item[1][0])}
        skips = [skip for _, skip in sorted(self.skips.values(), key=lambda item: item[0])]
        return findings, skips


def _memoised(rule: Rule, instance: ScopeInstance, evaluator: Evaluator, bodies: BodyCache) -> Finding | None:
    """_evaluate, once per distinct combination of the fact values the rule reads (advisor/engine/memo.py)."""
    key = bodies.key(instance)
    if key is None:
        return _evaluate(rule, instance, evaluator)
    outcome = bodies.get(key)
    if outcome is False:  # first seen: evaluate and remember what the finding says
        texts: dict[int, str] = {}
        try:
            finding = _evaluate(rule, instance, evaluator, texts)
        except FactUnavailable as missing:
            bodies.put(key, missing.fact)
            raise
        bodies.put(key, None if finding is None else Body(finding.message, finding.fix, finding.explanation,
                                                          finding.severity, texts))
        return finding
    if outcome is None:
        return None
    if isinstance(outcome, str):
        raise_unavailable(instance, outcome)
        return _evaluate(rule, instance, evaluator)  # not unavailable here after all
    finding = _from_body(rule, instance, outcome)  # type: ignore[arg-type]
    if finding is None:  # a related place no instance had before: render its text
        finding = _evaluate(rule, instance, evaluator, outcome.related_texts)  # type: ignore[union-attr]
    return finding


def _from_body(rule: Rule, instance: ScopeInstance, body: Body) -> Finding | None:
    """The finding of `instance` with a memoised body; None when a related text is not memoised yet."""
    primary = primary_location(rule, instance)
    related = []
    for index, spec, namespace, setting, found in related_places(rule, instance, primary):
        if spec.message is not None:
            text = body.related_texts.get(index)
            if text is None:
                return None
        else:
            text = describe_fact(spec.fact, setting, namespace)
        related.append(RelatedLocation(found[0], found[1], found[2], text))
    path, line, column = primary if primary else (None, None, None)
    return Finding(rule.code, rule.name, body.severity, body.message, body.fix, path, line, column, tuple(related),
                   instance.id, body.explanation)


def _evaluate(rule: Rule, instance: ScopeInstance, evaluator: Evaluator,
              texts: dict[int, str] | None = None) -> Finding | None:
    """Evaluate one rule on one instance. `texts` collects the related messages rendered (by spec index)."""
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
    related = related_locations(rule, instance, evaluator, names, primary, texts)
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
