"""`escalate:` — a rule's severity raised on evidence (a workload, a value), never because a fact is missing."""

from __future__ import annotations

import pytest
from engine_builders import app_server, deployment, route

from advisor.engine.rules import RuleFileError, parse_rule
from advisor.engine.run import run_rules


def _rule(escalate, severity="info", **extra):
    data = {"code": "TST001", "name": "read-below-app", "severity": severity, "scope": "link", "summary": "s",
            "message": "read {duration(route.read_timeout)} < app {app.timeout}", "at": "route.read_timeout",
            "when": "route.read_timeout < app.timeout", "escalate": escalate, **extra}
    return parse_rule(data, "TST001.yaml")


def _severity(rule, read=20.0, timeout=60, workload=None):
    deploy = deployment([route({"proxy_read_timeout": (read, 14)})], [app_server({"timeout": (timeout, 3)})])
    result = run_rules(deploy, [rule], strict=True, workload=workload)
    return [finding.severity for finding in result.findings]


def test_condition_true_raises_the_severity():
    assert _severity(_rule({"warning": "app.timeout >= 60"})) == ["warning"]
    assert _severity(_rule({"warning": "app.timeout >= 60"}), timeout=45) == ["info"]


def test_highest_matching_level_wins_and_lets_are_usable():
    rule = _rule({"warning": "gap > 10", "error": "gap > 30"}, let={"gap": "app.timeout - route.read_timeout"})
    assert _severity(rule, read=20.0, timeout=60) == ["error"]
    assert _severity(rule, read=40.0, timeout=60) == ["warning"]
    assert _severity(rule, read=55.0, timeout=60) == ["info"]


def test_missing_fact_keeps_the_base_severity_and_still_reports():
    """Without a workload the model facts are absent: the finding stays at its own severity, it is not skipped."""
    rule = _rule({"warning": "model.rps > 10"})
    assert _severity(rule) == ["info"]


@pytest.mark.parametrize(("escalate", "problem"), [
    ({"info": "True"}, "must be above"),
    ({"warning": "True"}, "must be above"),  # the rule below is already a warning
    ({"loud": "True"}, "not one of"),
    ({"error": "app.tiemout > 1"}, "unknown fact"),
    ("warning", "must be a mapping"),
])
def test_bad_escalations_are_rule_file_errors(escalate, problem):
    with pytest.raises(RuleFileError, match=problem):
        _rule(escalate, severity="warning")
