"""Memoised rule evaluation (advisor/engine/memo.py) is an optimisation only: findings, their order and texts, skips
and their reasons are identical to evaluating every rule on every instance, on routes that share some values and
differ in others; and the memo really is used (a hit evaluates nothing)."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine import memo
from advisor.engine import run as engine_run
from advisor.engine.expressions import Evaluator
from advisor.engine.rules import load_rules
from advisor.loaders.deployment import build_deployment
from advisor.model.deployment import HostFacts
from advisor.model.inputs import Inputs

# Locations that share inherited values, differ in one, or have one unknown; upstreams with and without keepalive;
# uwsgi and an unlinked port; a repeated block so every combination occurs more than once.
LOCATIONS = [
    "proxy_pass http://app;",
    "proxy_pass http://app; proxy_read_timeout 20s;",
    "proxy_pass http://app; proxy_read_timeout ${READ_TIMEOUT};",
    "proxy_pass http://127.0.0.1:8000; proxy_connect_timeout 90s;",
    "proxy_pass http://127.0.0.1:8000; proxy_connect_timeout 60s;",
    "proxy_pass http://127.0.0.1:8000;",
    "proxy_pass http://pool; proxy_http_version 1.0; proxy_buffering off;",
    "proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection \"\";",
    "proxy_pass http://app; proxy_request_buffering off; proxy_read_timeout 3600s;",
    "proxy_pass http://127.0.0.1:9999;",
    "uwsgi_pass 127.0.0.1:8000;",
]


def _config(tmp_path: Path) -> list[str]:
    servers = []
    for number in range(3):
        blocks = "\n".join(f"    location /s{number}/l{index}/ {{ {body} }}" for index, body in enumerate(LOCATIONS))
        timeout = "    proxy_connect_timeout 5s;\n" if number == 1 else ""
        servers.append(f"  server {{\n    listen {80 + number} backlog=8192;\n{timeout}{blocks}\n  }}\n")
    (tmp_path / "nginx.conf").write_text(
        "events { worker_connections 64; }\nhttp {\n  proxy_read_timeout 30s;\n"
        "  upstream app { server 127.0.0.1:8000; keepalive 8; }\n"
        "  upstream pool { server 127.0.0.1:8000; server localhost:8000; keepalive 4; }\n" + "".join(servers) + "}\n")
    (tmp_path / "gunicorn.conf.py").write_text(
        'bind = "127.0.0.1:8000"\nworkers = 9\nworker_class = "gthread"\nthreads = 2\nkeepalive = 2\n'
        "timeout = 30\nbacklog = 10000\n")
    return [str(tmp_path / "nginx.conf"), str(tmp_path / "gunicorn.conf.py")]


def _everything(result):
    return ([(f.code, f.severity, f.message, f.fix, f.explanation, f.path, f.line, f.column, f.related, f.scope_id)
             for f in result.findings],
            [(s.code, s.scope_id, s.fact, s.reason, s.kind) for s in result.skips])


def _plain(monkeypatch) -> None:
    """Evaluate every rule on every instance: no `when` memo, no finding memo."""
    monkeypatch.setattr(engine_run.WhenCache, "known_false", lambda self, instance, evaluator: False)
    monkeypatch.setattr(engine_run.WhenTree, "outcomes", lambda self, instance, evaluator: None)
    monkeypatch.setattr(engine_run, "_memoised",
                        lambda rule, instance, evaluator, bodies: engine_run._evaluate(rule, instance, evaluator))


@pytest.mark.parametrize("host", [dict(cpus=2), dict(nginx_version="1.24.0", somaxconn=128)])
def test_memoised_evaluation_gives_exactly_the_plain_result(tmp_path: Path, monkeypatch, host):
    deployment = build_deployment(Inputs(paths=_config(tmp_path)), HostFacts.build(**host))
    rules = load_rules()
    memoised = _everything(engine_run.run_rules(deployment, rules, strict=True))
    with monkeypatch.context() as patch:
        _plain(patch)
        plain = _everything(engine_run.run_rules(deployment, rules, strict=True))
    assert memoised == plain
    findings, skips = memoised
    assert skips and len({code for code, *_ in findings}) >= 5, "the fixture should exercise many rules"
    assert len({(code, message) for code, _, message, *_ in findings}) < len(findings), \
        "some findings should share their text (memo hits)"


def test_a_hit_evaluates_nothing(tmp_path: Path, monkeypatch):
    deployment = build_deployment(Inputs(paths=_config(tmp_path)), HostFacts.build(cpus=2))
    rules = load_rules()
    calls = []
    evaluate = Evaluator.evaluate

    def counting(self, expression, names):
        calls.append(expression.text)
        return evaluate(self, expression, names)

    monkeypatch.setattr(Evaluator, "evaluate", counting)
    engine_run.run_rules(deployment, rules)
    memoised = len(calls)
    calls.clear()
    _plain(monkeypatch)
    engine_run.run_rules(deployment, rules)
    assert memoised * 3 < len(calls), (memoised, len(calls))


def test_values_that_look_alike_do_not_share_a_key():
    keys = {memo.value_key(value) for value in (1, 1.0, True, "1", 0.0, -0.0, None, (1, 2), [1, 2], (True, 2))}
    assert len(keys) == 10
    assert memo.value_key([1, 2]) == memo.value_key([1, 2])  # flat lists of scalars compare by value
    first, second = [object()], [object()]
    assert memo.value_key(first) != memo.value_key(second) and memo.value_key(first) == memo.value_key(first)


def test_a_namespace_used_whole_is_not_memoised():
    from advisor.engine.expressions import compile_expression

    dotted = compile_expression("route.read_timeout > app.timeout and is_set('app.workers')")
    assert memo.fact_reads((dotted,), "link", frozenset()) == (
        ("app", ("timeout", "workers")), ("route", ("read_timeout",)))
    assert memo.fact_reads((compile_expression("len(route) > 1"),), "link", frozenset()) is None
    # a comprehension variable's attributes come from a fact already in the key
    bound = compile_expression("[s.port for s in link.bind] == []")
    assert memo.fact_reads((bound,), "link", frozenset()) == (("link", ("bind",)),)
