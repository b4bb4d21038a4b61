#!/usr/bin/env python3
"""Generate docs/rules.md from the bundled rule files (rules/**/*.yaml), through the engine's rule loader; each
rule's example finding comes from running its first failing example (advisor/commands/rule_example.py).

    python scripts/gen_rule_docs.py           # rewrite docs/rules.md
    python scripts/gen_rule_docs.py --check   # exit 1 if docs/rules.md is out of date (CI / tests)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DOC_PATH = REPO_ROOT / "docs" / "rules.md"
if str(REPO_ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(REPO_ROOT))


def generate() -> str:
    """The text docs/rules.md should have, from the bundled rules."""
    from advisor.commands.rule_example import example_finding
    from advisor.engine.rules import load_rules
    from advisor.report.rule_docs import render_rules_document

    rules = load_rules()
    examples = {rule.code: found for rule in rules if (found := example_finding(rule, rules)) is not None}
    silent = [rule.code for rule in rules if rule.examples.get("fail") and rule.code not in examples]
    if silent:  # a broken engine or example must not quietly produce pages without their example finding
        raise ExampleError(f"the first failing example of {', '.join(silent)} produced no finding of its own; "
                           "run python -m pytest tests/rules to see why")
    return render_rules_document(rules, examples)


class ExampleError(Exception):
    """A rule's failing example did not produce its finding, so its page would lose the example."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that docs/rules.md is up to date")
    args = parser.parse_args(argv)
    from advisor.engine.rules import RuleFileError

    try:
        text = generate()
    except (RuleFileError, ExampleError) as error:
        sys.stderr.write(f"gen_rule_docs: {error}\n")
        return 2
    current = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.is_file() else None
    if args.check:
        if current != text:
            sys.stderr.write(f"{DOC_PATH.relative_to(REPO_ROOT)} is out of date: run python scripts/gen_rule_docs.py\n")
            return 1
        return 0
    if current != text:
        DOC_PATH.parent.mkdir(parents=True, exist_ok=True)
        DOC_PATH.write_text(text, encoding="utf-8")
        sys.stdout.write(f"wrote {DOC_PATH.relative_to(REPO_ROOT)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
