"""Rule expressions and message templates: parsing, safety, formatting, context functions."""

from __future__ import annotations

import pytest

from advisor.engine.expressions import (
    Evaluator, ExpressionError, FactUnavailable, compile_expression, compile_template, format_value,
)
from advisor.engine.facts import Namespace
from advisor.model.provenance import Setting, Source


def _ns(name: str, **facts) -> Namespace:
    settings = {key: value if isinstance(value, Setting) else Setting(value, Source.file("f.conf", 3))
                for key, value in facts.items()}
    return Namespace(name, settings, Source.file("f.conf", 1), name)


def test_collects_names_and_facts():
    expression = compile_expression("not app.is_async and route.read_timeout < app.timeout")
    assert expression.names == {"app", "route"}
    assert expression.facts == {"app.is_async", "route.read_timeout", "app.timeout"}


def test_context_function_arguments_count_as_facts():
    assert "app.timeout" in compile_expression("is_set('app.timeout')").facts
    with pytest.raises(ExpressionError, match="one fact name in quotes"):
        compile_expression("is_set(app.timeout)")


@pytest.mark.parametrize("text", ["lambda: 1", "__import__('os')", "route.__class__", "(x := 1)", "a if", ""])
def test_rejects_unsafe_or_invalid(text):
    with pytest.raises(ExpressionError):
        compile_expression(text)


def test_evaluates_with_short_circuit():
    evaluator = Evaluator()
    app = _ns("app", is_async=True, timeout=Setting.unknown("computed at runtime"))
    # `and` stops at the first false operand, so the unknown timeout is never needed
    assert evaluator.evaluate(compile_expression("not app.is_async and app.timeout > 5"), {"app": app}) is False
    with pytest.raises(FactUnavailable) as raised:
        evaluator.evaluate(compile_expression("app.is_async and app.timeout > 5"), {"app": app})
    assert raised.value.fact == "app.timeout" and raised.value.reason == "computed at runtime"
    assert raised.value.kind == "unknown"


def test_absent_fact_is_reported_as_absent():
    evaluator = Evaluator()
    upstream = Namespace("upstream", {}, None, "implicit", absent_reason="implicit upstream")
    with pytest.raises(FactUnavailable) as raised:
        evaluator.evaluate(compile_expression("upstream.keepalive > 0"), {"upstream": upstream})
    assert (raised.value.fact, raised.value.kind, raised.value.reason) == ("upstream.keepalive", "absent",
                                                                           "implicit upstream")


def test_functions():
    evaluator = Evaluator()
    names = {"route": _ns("route", read_timeout=90.0, size=8192)}
    render = lambda text: evaluator.render(compile_template(text), names)  # noqa: E731
    assert render("{duration(route.read_timeout)} {duration(0.5)} {duration(600)}") == "90 s 500 ms 10 min"
    assert render("{size(route.size)} {pct(0.1234)} {plural(1, 'worker')} {plural(3, 'worker')}") == \
        "8k 12.3 % 1 worker 3 workers"
    assert render("{version('1.29.7') > version('1.29')} {max(1, 2)} {min(route.read_timeout, 5)}") == "on 2 5"
    assert render("{inf} {round(2.567, 1)} {lower('ABC')}") == "unlimited 2.6 abc"


def test_is_set_and_known():
    evaluator = Evaluator()
    names = {"app": _ns("app", timeout=Setting(30, Source.default("gunicorn default")), workers=4,
                        bind=Setting.unknown("env"))}
    check = lambda text: evaluator.evaluate(compile_expression(text), names)  # noqa: E731
    assert check("is_set('app.workers')") is True
    assert check("is_set('app.timeout')") is False
    assert check("known('app.timeout') and not known('app.bind') and not known('app.nothing')") is True


def test_template_literal_braces_and_escaped_quotes():
    evaluator = Evaluator()
    template = compile_template("location /x {{ proxy_pass {route.target}; }} {'it\\'s'}")
    names = {"route": _ns("route", target="http://app")}
    assert evaluator.render(template, names) == "location /x { proxy_pass http://app; } it's"


def test_template_parts():
    template = compile_template("a {{literal}} {x + 1} b {'}'}")
    assert [part if isinstance(part, str) else part.text for part in template.parts] == \
        ["a {literal} ", "x + 1", " b ", "'}'"]


@pytest.mark.parametrize("text", ["{unclosed", "stray }", "{1 +}"])
def test_template_errors(text):
    with pytest.raises(ExpressionError):
        compile_template(text)


@pytest.mark.parametrize(("value", "text"), [
    (60.0, "60"), (2.5, "2.5"), (float("inf"), "unlimited"), (True, "on"), ((1, 29, 7), "1.29.7"), (None, "none"),
    ("x", "x"),
])
def test_format_value(value, text):
    assert format_value(value) == text
