"""What advisor reports for a rule's first failing example, for the rule's page (`advisor rule`, docs/rules.md).

The example's snippets are written to a temporary directory and run through the real loaders and engine
(advisor/engine/examples.py); the temporary directory is cut out of the texts so that the page is the same on
every run. Results are kept per rule file for the life of the process (docs generation renders every page twice).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.report.rule_docs import ExampleFinding

if TYPE_CHECKING:
    from advisor.engine.rules import Rule

_CACHE: dict[tuple[str, str], ExampleFinding | None] = {}


def example_finding(rule: Rule, rules: list[Rule]) -> ExampleFinding | None:
    """The finding of `rule` for its first failing example; None when it has none or the run does not produce it."""
    key = (rule.path, rule.code)
    if key not in _CACHE:
        _CACHE[key] = _run(rule, rules)
    return _CACHE[key]


def _run(rule: Rule, rules: list[Rule]) -> ExampleFinding | None:
    from advisor.engine.examples import run_example

    failing = rule.examples.get("fail") or []
    if not failing:
        return None
    with tempfile.TemporaryDirectory(prefix="advisor-example-") as directory:
        try:
            run = run_example(failing[0], rules, Path(directory))
        except Exception:  # a page must render even if its example is broken; tests/rules runs every example
            return None
        found = run.findings_for(rule.code)
        if not found:
            return None
        finding = found[0]
        prefixes = (str(Path(directory).resolve()) + "/", directory.rstrip("/") + "/")

        def local(text: str | None) -> str | None:
            for prefix in prefixes:
                text = text.replace(prefix, "") if text else text
            return text

        return ExampleFinding(finding.code, finding.severity, local(finding.message) or "", local(finding.fix),
                              local(finding.explanation))
