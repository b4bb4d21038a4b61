"""Findings after the rules (advisor/engine/postprocess.py): inline suppressions, the project's per-file ignores and
severity table, and unused-suppression findings across config pairs — one step, one owner."""

from __future__ import annotations

from advisor.engine.findings import Finding
from advisor.engine.postprocess import FindingPolicy, apply_policy, drop_used_elsewhere, suppress
from advisor.engine.suppress import SuppressionIndex
from advisor.model.severity import Severity
from advisor.model.suppressions import Suppression


def _finding(code: str, path: str | None = "deploy/nginx.conf", line: int = 3, severity: str = "warning",
             name: str = "some-rule") -> Finding:
    return Finding(code, name, severity, f"{code} message", None, path, line, 1)


def test_suppress_sets_findings_aside_in_sort_order():
    comment = Suppression("deploy/nginx.conf", 3, ("TMO002",), False, 3)
    kept, suppressed = suppress([_finding("TMO002"), _finding("KAL001", line=1), _finding("TMO002", line=9)],
                                SuppressionIndex([comment]))
    assert [(item.code, item.line) for item in kept] == [("KAL001", 1), ("TMO002", 9)]
    assert [(item.finding.code, item.suppression) for item in suppressed] == [("TMO002", comment)]


def test_policy_ignores_by_file_and_relevels_by_the_most_specific_selector():
    policy = FindingPolicy(lambda path: ("TMO",) if path.startswith("legacy/") else (),
                           {"ALL": "info", "KAL": "warning", "KAL001": "error", "slow-rule": "warning"}, True)
    result = apply_policy([
        _finding("TMO002", "legacy/old.conf"),
        _finding("TMO002"),
        _finding("KAL001", "legacy/old.conf"),
        _finding("KAL002", None),
        _finding("CAP003", name="slow-rule"),
    ], policy)
    assert [(item.code, item.severity) for item in result] == [
        ("TMO002", "info"), ("KAL001", "error"), ("KAL002", "warning"), ("CAP003", "warning")]
    assert result[0].severity is Severity.INFO  # a re-levelled finding carries the enum


def test_an_empty_policy_changes_nothing():
    findings = [_finding("TMO002")]
    assert apply_policy(findings, None) == findings == apply_policy(findings, FindingPolicy())


def test_an_unused_suppression_used_by_another_pair_is_dropped():
    shared = Suppression("deploy/nginx.conf", 3, ("TMO002",), False, 3)
    findings = [_finding("ADV100"), _finding("ADV100", line=7), _finding("TMO002")]
    assert [(item.code, item.line) for item in drop_used_elsewhere(findings, [shared])] == [
        ("ADV100", 7), ("TMO002", 3)]
