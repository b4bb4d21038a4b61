"""Every bundled rule's inline examples, run through the real loaders, builder and engine.

A failing example must produce exactly one finding of that rule, in the snippet and on the line marked
`# expect: CODE`; a passing example must produce none. A rule without both kinds of examples fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine.examples import expectations, run_example
from advisor.engine.rules import bundled_rules_dir, load_rules, rule_files

RULES = load_rules()
RULE_BY_CODE = {rule.code: rule for rule in RULES}


def _cases(kind: str) -> list:
    cases = []
    for rule in RULES:
        for index, example in enumerate(rule.examples.get(kind) or []):
            cases.append(pytest.param(rule.code, index, example, id=f"{rule.code}-{kind}{index}"))
    return cases


def test_rule_files_found():
    assert len(rule_files(bundled_rules_dir())) == len(RULES) >= 17


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_rule_has_failing_and_passing_examples(rule):
    assert rule.examples.get("fail"), f"{rule.path}: no failing example"
    assert rule.examples.get("pass"), f"{rule.path}: no passing example"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_each_failing_example_marks_exactly_one_expected_line(rule):
    for example in rule.examples.get("fail") or []:
        marks = [mark for mark in expectations(example) if mark.code == rule.code]
        assert len(marks) == 1, f"{rule.path}: a failing example needs one '# expect: {rule.code}' comment"


@pytest.mark.parametrize(("code", "index", "example"), _cases("fail"))
def test_failing_example(code: str, index: int, example: dict, tmp_path: Path):
    run = run_example(example, RULES, tmp_path)
    found = run.findings_for(code)
    (mark,) = [mark for mark in expectations(example) if mark.code == code]
    where = [(run.snippet_of(finding.path), finding.line, finding.message) for finding in found]
    assert len(found) == 1, f"{code} fail[{index}]: expected one finding, got {where}"
    assert (run.snippet_of(found[0].path), found[0].line) == (mark.snippet, mark.line), where
    assert found[0].message and "{" not in found[0].message


@pytest.mark.parametrize(("code", "index", "example"), _cases("pass"))
def test_passing_example(code: str, index: int, example: dict, tmp_path: Path):
    run = run_example(example, RULES, tmp_path)
    found = run.findings_for(code)
    assert not found, [(finding.path, finding.line, finding.message) for finding in found]


def test_cross_file_findings_point_into_the_other_file(tmp_path: Path):
    """A link-scope finding with a related fact carries the location in the other file."""
    rule = RULE_BY_CODE["TMO002"]
    run = run_example(rule.examples["fail"][0], RULES, tmp_path)
    (finding,) = run.findings_for("TMO002")
    assert run.snippet_of(finding.path) == "nginx"
    assert [run.snippet_of(item.path) for item in finding.related] == ["gunicorn"]
    assert finding.related[0].line == 2 and finding.related[0].message == "timeout = 60"
