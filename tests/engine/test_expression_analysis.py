"""What compiling an expression records for the memoisation (names used other than as `name.attr`), and the
compiled rule objects surviving the rule cache's pickling field for field."""

from __future__ import annotations

import ast
import dataclasses
import pickle

from advisor.engine import memo
from advisor.engine.expressions import compile_expression
from advisor.engine.rules import DeferredTemplate, Phrase, RelatedSpec, Rule, load_rules


def test_undotted_lists_names_used_other_than_as_name_attr():
    assert compile_expression("route.read_timeout > app.timeout").undotted == frozenset()
    assert compile_expression("len(route) > route.size").undotted == {"len", "route"}
    assert compile_expression("max(app.timeout, 3) > x").undotted == {"max", "x"}
    assert compile_expression("route.a.b == 1").undotted == frozenset()  # `route.a` is the value of `.b`
    assert compile_expression("[s.port for s in link.bind]").undotted == {"s"}


def test_a_namespace_used_whole_in_one_of_several_expressions_is_not_memoised():
    dotted = compile_expression("route.read_timeout > 1")
    whole = compile_expression("'x' in route.names and route")
    assert memo.fact_reads((dotted,), "route", frozenset()) == (("route", ("read_timeout",)),)
    assert memo.fact_reads((dotted, whole), "route", frozenset()) is None


def _plain(value):
    """A comparable rendering of compiled rule objects (AST nodes and deferred templates compare by identity)."""
    if isinstance(value, ast.AST):
        return ast.dump(value)
    if isinstance(value, DeferredTemplate):
        return ("deferred", value.text, value._context)
    if dataclasses.is_dataclass(value):
        return type(value).__name__, tuple((item.name, _plain(getattr(value, item.name)))
                                           for item in dataclasses.fields(value))
    if isinstance(value, (list, tuple)):
        return tuple(_plain(item) for item in value)
    if isinstance(value, dict):
        return tuple((key, _plain(item)) for key, item in value.items())
    return value


def test_compiled_rules_survive_pickling_field_for_field():
    rules = load_rules([])
    restored = pickle.loads(pickle.dumps(rules, protocol=pickle.HIGHEST_PROTOCOL))
    assert _plain(restored) == _plain(rules)
    kinds = {type(item) for rule in restored for item in (rule, *rule.related, *rule.phrases, rule.when)}
    assert {Rule, RelatedSpec, Phrase} <= kinds
    expression = next(rule.when for rule in restored if rule.when is not None)
    assert expression.undotted is not None and isinstance(expression.node, ast.AST)
