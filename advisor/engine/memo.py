"""Memoised rule evaluation: a rule's outcome is a function of the fact values it reads, and thousands of locations
share a handful of distinct values (inherited from http/server level), so each distinct combination is evaluated
once per rule and run.

The key of an instance is the tuple of the facts a rule reads, each as its value (typed: `1`, `1.0` and `True`
differ) and its source kind (`is_set()`/`known()` read it); an unknown or absent fact is a marker. Values other than
plain scalars and flat containers of them key on their identity (kept alive by the key). A rule is not memoised
when its expressions use a namespace other than as `namespace.fact` (the key would not cover what they read). An
outcome may be "fact X is unavailable": on a hit the instance's own namespace raises its FactUnavailable, so the
skip is recorded with this instance's reason.

Route and link rules have their `when`s decided together by one decision tree per scope (WhenTree): an instance
reads (derives) only the facts on its path, usually a few of its namespace's, and the rules whose `when` is false
there are not looked at. Other scopes use a WhenCache per rule.

Locations are never memoised: each finding points at its own instance's places.
"""

from __future__ import annotations

from typing import Any, Iterable

from advisor.engine.expressions import Evaluator, Expression, FactUnavailable
from advisor.engine.fact_registry import SCOPE_NAMESPACES
from advisor.engine.namespace import ScopeInstance
from advisor.engine.rules import Rule

Lookups = tuple[tuple[str, tuple[str, ...]], ...]  # (namespace, its facts read), in a fixed order

_ABSENT = object()
_UNKNOWN = object()
_SCALARS = (str, int, float, bool, type(None))
_MAX_CONTAINER = 32


class _Identity:
    """A key part for a value compared by identity (a list, an address): equal only to itself, and keeps it alive."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __hash__(self) -> int:
        return id(self.value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Identity) and other.value is self.value


def _scalar_key(value: Any) -> Any:
    kind = type(value)
    if kind is str or value is None:
        return value  # never equal to a part of another type
    if kind is float and (value == 0 or value != value):
        return (kind, repr(value))  # -0.0 and 0.0 render differently; nan never equals itself
    return (kind, value)


def value_key(value: Any) -> Any:
    """A hashable part that is equal for two values only when every rule expression sees them alike."""
    kind = type(value)
    if kind in _SCALARS:
        return _scalar_key(value)
    if kind in (list, tuple, frozenset, set) and len(value) <= _MAX_CONTAINER \
            and all(type(item) in _SCALARS for item in value):
        items = sorted(value, key=repr) if kind in (frozenset, set) else value
        return (kind, tuple(_scalar_key(item) for item in items))
    if kind is dict and len(value) <= _MAX_CONTAINER \
            and all(type(item) in _SCALARS for pair in value.items() for item in pair):
        return (kind, tuple((_scalar_key(name), _scalar_key(item)) for name, item in value.items()))
    return _Identity(value)


def fact_reads(expressions: Iterable[Expression], scope: str, local: frozenset[str]) -> Lookups | None:
    """The facts `expressions` read, grouped by namespace; None when a namespace is used other than as
    `namespace.fact` (passed whole, iterated) or a local name (let, phrase, comprehension variable) shadows one."""
    namespaces = frozenset(SCOPE_NAMESPACES[scope])
    expressions = list(expressions)
    local = local.union(*(expression.bound for expression in expressions))
    if local & namespaces:
        return None
    grouped: dict[str, set[str]] = {}
    for expression in expressions:
        if expression.undotted & namespaces:
            return None
        for fact in expression.facts:
            namespace, _, attr = fact.partition(".")
            if namespace in local:
                continue  # an attribute of a value computed from other facts
            if namespace not in namespaces or not attr:
                return None
            grouped.setdefault(namespace, set()).add(attr)
    return tuple((namespace, tuple(sorted(attrs))) for namespace, attrs in sorted(grouped.items()))


class KeyMaker:
    """Builds instance keys for one run. Each namespace's part for a group of facts is interned to a small int and
    kept on the namespace (the app, nginx and host namespaces are shared by every route, and a route's facts are read
    by many rules), so a key is a short tuple of ints."""

    __slots__ = ("_ids",)

    def __init__(self) -> None:
        self._ids: dict[Any, int] = {}

    def key(self, names: dict[str, Any], lookups: Lookups) -> tuple[int, ...] | None:
        """The key of one instance; None when a fact cannot be read here (the instance is evaluated plainly)."""
        parts: list[int] = []
        try:
            for namespace_name, attrs in lookups:
                namespace = names[namespace_name]
                part = namespace.memo.get(attrs)
                if part is None:
                    part = namespace.memo[attrs] = self._intern(_namespace_part(namespace, attrs))
                parts.append(part)
        except Exception:  # a namespace this instance lacks, a derivation that fails: evaluate plainly
            return None
        return tuple(parts)

    def _intern(self, part: tuple[Any, ...]) -> int:
        found = self._ids.get(part)
        if found is None:
            found = self._ids[part] = len(self._ids)
        return found


def _namespace_part(namespace: Any, attrs: tuple[str, ...]) -> tuple[Any, ...]:
    """The key parts of a namespace's facts `attrs` (each kept on the namespace)."""
    return tuple(fact_part(namespace, attr) for attr in attrs)


def raise_unavailable(instance: ScopeInstance, fact: str) -> None:
    """Raise this instance's own FactUnavailable for `fact` (a memoised outcome said it is unavailable)."""
    namespace_name, _, attr = fact.partition(".")
    instance.names[namespace_name].require(attr)


class WhenCache:
    """Remembers a rule's `when` outcome per combination of the fact values it reads. Route and link rules have
    their `when`s decided by a WhenTree; this is their fallback where the tree cannot read a fact."""

    __slots__ = ("_when", "_keys", "_lookups", "_results")

    def __init__(self, rule: Rule, keys: KeyMaker) -> None:
        self._when = rule.when
        self._keys = keys
        self._lookups = None if rule.when is None else fact_reads((rule.when,), rule.scope, frozenset())
        self._results: dict[tuple[int, ...], bool | str] = {}

    def known_false(self, instance: ScopeInstance, evaluator: Evaluator) -> bool:
        """True when `when` is false for this instance; raises FactUnavailable when it would skip."""
        if self._lookups is None:
            return False
        key = self._keys.key(instance.names, self._lookups)
        if key is None:
            return False
        outcome = self._results.get(key)
        if outcome is None:
            outcome = self._try(dict(instance.names), evaluator)
            if outcome is None:
                return False
            self._results[key] = outcome
        if isinstance(outcome, str):
            raise_unavailable(instance, outcome)
            return False  # not unavailable here after all: evaluate plainly
        return not outcome

    def _try(self, names: dict[str, Any], evaluator: Evaluator) -> bool | str | None:
        """`when`'s outcome: True/False, the name of the unavailable fact, or None for a rule bug (the plain
        evaluation raises it again and records it)."""
        try:
            return bool(evaluator.evaluate(self._when, names))  # type: ignore[arg-type]
        except FactUnavailable as missing:
            return missing.fact
        except Exception:
            return None


class Body:
    """What a finding says, apart from where it points: the same for every instance with the same key.

    A plain slotted class, not a dataclass: creating a dataclass costs every `advisor check` start-up ~0.3 ms."""

    __slots__ = ("message", "fix", "explanation", "severity", "related_texts")

    def __init__(self, message: str, fix: str | None, explanation: str | None, severity: Any,
                 related_texts: dict[int, str]) -> None:
        self.message = message
        self.fix = fix
        self.explanation = explanation
        self.severity = severity
        self.related_texts = related_texts  # related spec index -> its rendered message (the specs with a place)


def rule_expressions(rule: Rule) -> list[Expression]:
    """Every expression a rule evaluates for a finding (compiles deferred templates)."""
    expressions: list[Expression] = []
    if rule.when is not None:
        expressions.append(rule.when)
    expressions.extend(expression for _, expression in rule.lets)
    expressions.extend(condition for _, condition in rule.escalations)
    templates = [rule.message, rule.fix, rule.explanation, *(spec.message for spec in rule.related)]
    for phrase in rule.phrases:
        expressions.append(phrase.by)
        templates.extend(phrase.cases.values())
        templates.append(phrase.default)
    for template in templates:
        if template is not None:
            expressions.extend(part for part in template.parts if not isinstance(part, str))
    return expressions


class BodyCache:
    """Remembers what a rule's finding says per combination of the fact values it reads (any part of the rule).

    Built on the rule's first evaluation (deferred templates compile then). A diagnostic-scope rule is not memoised
    (each diagnostic differs)."""

    __slots__ = ("_rule", "_keys", "_lookups", "_results")

    def __init__(self, rule: Rule, keys: KeyMaker) -> None:
        self._rule = rule
        self._keys = keys
        self._lookups: Lookups | None | bool = False  # False: not analysed yet
        self._results: dict[tuple[Any, ...], Body | str | None] = {}

    def key(self, instance: ScopeInstance) -> tuple[int, ...] | None:
        if self._lookups is False:
            self._lookups = self._analyse()
        if self._lookups is None:
            return None
        return self._keys.key(instance.names, self._lookups)  # type: ignore[arg-type]

    def _analyse(self) -> Lookups | None:
        rule = self._rule
        if rule.scope == "diagnostic":
            return None
        local = frozenset(name for name, _ in rule.lets) | frozenset(phrase.name for phrase in rule.phrases)
        try:
            expressions = rule_expressions(rule)
        except Exception:  # a broken deferred template: evaluate plainly (it raises when it is used)
            return None
        return fact_reads(expressions, rule.scope, local)

    def get(self, key: tuple[Any, ...]) -> Body | str | None | bool:
        """The memoised outcome: a Body, an unavailable fact's name, None (no finding), False (not seen yet)."""
        return self._results.get(key, False)

    def put(self, key: tuple[Any, ...], outcome: Body | str | None) -> None:
        self._results[key] = outcome


class _Branch:
    """A decision node: the next fact the `when`s read, and the subtree per key part of its value."""

    __slots__ = ("namespace", "attr", "children")

    def __init__(self, namespace: str, attr: str) -> None:
        self.namespace = namespace
        self.attr = attr
        self.children: dict[Any, _Branch | WhenOutcomes] = {}


class WhenOutcomes:
    """The `when` outcomes of a scope's rules for every instance on one path of a WhenTree: per rule (by position)
    True/False, the name of the fact it found unavailable, or None (evaluate plainly: a rule bug, or a `when` the
    tree does not decide). A plain slotted class, like Body."""

    __slots__ = ("outcomes",)

    def __init__(self, outcomes: tuple[bool | str | None, ...]) -> None:
        self.outcomes = outcomes


class _Recording:
    """Stands for a namespace while the `when`s are evaluated, noting the key part of each fact read, in order."""

    __slots__ = ("_namespace", "_name", "_trace")

    def __init__(self, namespace: Any, name: str, trace: dict[tuple[str, str], Any]) -> None:
        self._namespace = namespace
        self._name = name
        self._trace = trace

    def _note(self, attr: str) -> None:
        key = (self._name, attr)
        if key not in self._trace:
            self._trace[key] = fact_part(self._namespace, attr)

    def setting_of(self, attr: str) -> Any:
        self._note(attr)
        return self._namespace.setting_of(attr)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        self._note(attr)
        return getattr(self._namespace, attr)


class WhenTree:
    """The `when` outcomes of all rules of one scope, per instance, in one decision tree over the facts they read.

    Evaluating the `when`s on a first instance notes every fact they read, in the order read (and/or short-circuit:
    usually a few of the scope's facts). The outcomes hold for every instance whose facts have the same key parts,
    read in the same order (evaluation is a function of the values read), so the path of those facts leads to them;
    the next instance walks the tree, reading (deriving) only the facts on its path, and is evaluated again only
    where it leaves it. Most routes of a large config share one path, and their facts off it are never derived."""

    __slots__ = ("_whens", "_root")

    def __init__(self, rules: Iterable[Rule], scope: str) -> None:
        self._whens = tuple(rule.when if rule.when is not None
                            and fact_reads((rule.when,), scope, frozenset()) is not None else None for rule in rules)
        self._root: _Branch | WhenOutcomes | None = None

    def outcomes(self, instance: ScopeInstance, evaluator: Evaluator) -> WhenOutcomes | None:
        """The outcomes for `instance`; None when a fact cannot be read here (evaluate each rule plainly)."""
        node = self._root
        names = instance.names
        try:
            while type(node) is _Branch:
                namespace = names[node.namespace]
                part = namespace.memo.get(node.attr)  # fact_part, inlined for the usual hit
                child = node.children.get(fact_part(namespace, node.attr) if part is None else part)
                if child is None:
                    break
                node = child
        except Exception:  # a namespace this instance lacks, a derivation that fails
            return None
        if isinstance(node, WhenOutcomes):
            return node
        return self._record(names, evaluator)

    def _record(self, names: dict[str, Any], evaluator: Evaluator) -> WhenOutcomes | None:
        trace: dict[tuple[str, str], Any] = {}
        recording = {name: _Recording(namespace, name, trace) for name, namespace in names.items()}
        outcomes: list[bool | str | None] = []
        for when in self._whens:
            if when is None:
                outcomes.append(None)
                continue
            try:
                outcomes.append(bool(evaluator.evaluate(when, dict(recording))))
            except FactUnavailable as missing:
                outcomes.append(missing.fact)
            except Exception as error:
                if isinstance(error, _PartFailed) or isinstance(error.__cause__, _PartFailed):
                    return None  # a derivation failed: evaluate this instance plainly
                outcomes.append(None)  # a rule bug: the plain evaluation records it
        leaf = WhenOutcomes(tuple(outcomes))
        self._insert(list(trace.items()), leaf)
        return leaf

    def _insert(self, path: list[tuple[tuple[str, str], Any]], leaf: WhenOutcomes) -> None:
        if not path:
            if self._root is None:
                self._root = leaf
            return
        if self._root is None:
            self._root = _Branch(*path[0][0])
        node = self._root
        for number, ((namespace, attr), part) in enumerate(path):
            if not isinstance(node, _Branch) or (node.namespace, node.attr) != (namespace, attr):
                return  # cannot happen for a deterministic evaluation; then the instance is just not remembered
            child = node.children.get(part)
            if child is None:
                child = node.children[part] = (_Branch(*path[number + 1][0]) if number + 1 < len(path) else leaf)
            node = child


class _PartFailed(Exception):
    """Reading a fact's key part failed while recording (a derivation raised)."""


def fact_part(namespace: Any, attr: str) -> Any:
    """The key part of one fact of a namespace (kept on the namespace): its value key and source kind, or absent
    or unknown."""
    memo = namespace.memo
    part = memo.get(attr)
    if part is None:
        try:
            setting = namespace.setting_of(attr)
        except Exception as error:
            raise _PartFailed(attr) from error
        if setting is None:
            part = _ABSENT
        elif setting.source.kind == "unknown":
            part = _UNKNOWN
        else:
            part = (value_key(setting.value), setting.source.kind)  # the kind: is_set(), known(), defaults
        memo[attr] = part
    return part
