"""The README's custom-rule example must be a working rule: it loads with --rules and its examples hold."""

from __future__ import annotations

import re
from pathlib import Path

from advisor.engine.examples import expectations, run_example
from advisor.engine.rules import load_rules

README = Path(__file__).resolve().parents[2] / "README.md"


def _custom_rule_yaml() -> str:
    match = re.search(r"# ci/advisor-rules/ORG001\.yaml\n(.*?)```", README.read_text(), re.S)
    assert match, "README lost its custom rule example"
    return match.group(1)


def test_readme_custom_rule_loads_and_its_examples_hold(tmp_path: Path):
    rules_dir = tmp_path / "rules"
    rules_dir.mkdir()
    (rules_dir / "ORG001.yaml").write_text(_custom_rule_yaml())
    rules = load_rules([str(rules_dir)])
    rule = next(rule for rule in rules if rule.code == "ORG001")
    failing, passing = rule.examples["fail"], rule.examples["pass"]
    for index, example in enumerate(failing):
        (tmp_path / f"fail{index}").mkdir()
        run = run_example(example, rules, tmp_path / f"fail{index}")
        [expected] = expectations(example)
        found = run.findings_for("ORG001")
        assert [(Path(f.path).name, f.line) for f in found] == [("nginx.conf", expected.line)]
    for index, example in enumerate(passing):
        (tmp_path / f"pass{index}").mkdir()
        run = run_example(example, rules, tmp_path / f"pass{index}")
        assert run.findings_for("ORG001") == []
