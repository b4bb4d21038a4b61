"""`advisor rules` (a table of every rule) and `advisor rule CODE|NAME` (one rule's Markdown page).

The page is the one docs/rules.md has for the rule (advisor/report/rule_docs.py renders both and SARIF's help),
with ruff's sections (What it does / Why is this bad? / Example / Use instead) plus the finding the rule's first
failing example produces, how to suppress it, and the references.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Iterable, TextIO

if TYPE_CHECKING:
    from advisor.engine.rules import Rule


class RuleNotFound(LookupError):
    pass


def list_rules(rules_dirs: Iterable[str] = ()) -> str:
    """A plain table: code, name, severity, summary (one rule per line, sorted by code)."""
    from advisor.engine.rules import load_rules

    rules = load_rules(rules_dirs)
    code_width = max((len(rule.code) for rule in rules), default=4)
    name_width = max((len(rule.name) for rule in rules), default=4)
    lines = [f"{'CODE'.ljust(code_width)}  {'NAME'.ljust(name_width)}  {'SEVERITY':<8}  SUMMARY"]
    for rule in rules:
        opt_in = "" if rule.enabled else " (opt-in: --extend-select " + rule.code + ")"
        lines.append(f"{rule.code.ljust(code_width)}  {rule.name.ljust(name_width)}  {rule.severity:<8}  "
                     f"{rule.summary}{opt_in}")
    return "\n".join(lines) + "\n"


def find_rule(code_or_name: str, rules: list[Rule]) -> Rule:
    wanted = code_or_name.strip()
    for rule in rules:
        if rule.code == wanted.upper() or rule.name == wanted:
            return rule
    raise RuleNotFound(f"no rule {code_or_name!r} (see `advisor rules` for the list)")


def explain_rule(code_or_name: str, rules_dirs: Iterable[str] = ()) -> str:
    """The Markdown page for one rule. Raises RuleNotFound."""
    from advisor.engine.rules import load_rules

    rules = load_rules(rules_dirs)
    return rule_markdown(find_rule(code_or_name, rules), rules)


def rule_markdown(rule: Rule, rules: list[Rule] | None = None) -> str:
    """The rule's page (advisor/report/rule_docs.py, as in docs/rules.md), with the finding its first failing
    example produces when `rules` (the rules to run it with) is given."""
    from advisor.commands.rule_example import example_finding
    from advisor.report.rule_docs import rule_markdown as render_page

    example = example_finding(rule, rules) if rules is not None else None
    return render_page(rule, heading_level=1, example=example)


def rule_to_dict(rule: Rule, rules: list[Rule] | None = None) -> dict:
    """JSON form of a rule for `advisor rules --output-format json` / `advisor rule X --output-format json`: the
    message, fix and explanation templates, the docs, and the page as Markdown."""
    return {"code": rule.code, "name": rule.name, "severity": rule.severity, "scope": rule.scope,
            "enabled": rule.enabled, "summary": rule.summary, "message": rule.message.text,
            "fix": rule.fix.text if rule.fix else None,
            "explanation": rule.explanation.text if rule.explanation else None,
            "docs": rule.docs, "page": rule_markdown(rule, rules), "source_location": rule.path}


def _known_format(output_format: str, err: TextIO) -> bool:
    """False (after the usage message) unless `output_format` is text or json."""
    if output_format in ("text", "json"):
        return True
    print(f"advisor: error: --output-format {output_format!r}: expected text or json", file=err)
    return False


def list_rules_command(rules_dirs: Iterable[str] = (), output_format: str = "text", stdout: TextIO | None = None,
                       stderr: TextIO | None = None) -> int:
    """`advisor rules [--output-format text|json]`; returns the exit code (2 for a bad rule file or format)."""
    import json

    from advisor.engine.rules import RuleFileError, load_rules

    err = stderr or sys.stderr
    if not _known_format(output_format, err):
        return 2
    try:
        if output_format == "json":
            rules = load_rules(rules_dirs)
            rows = [{"code": rule.code, "name": rule.name, "severity": rule.severity, "scope": rule.scope,
                     "enabled": rule.enabled, "summary": rule.summary} for rule in rules]
            text = json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
        else:
            text = list_rules(rules_dirs)
    except RuleFileError as error:
        print(f"advisor: error: invalid rule file: {error}", file=err)
        return 2
    (stdout or sys.stdout).write(text)
    return 0


def explain_rule_command(code_or_name: str, rules_dirs: Iterable[str] = (), output_format: str = "text",
                         stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """`advisor rule CODE|NAME [--output-format text|json]`; exit 2 for an unknown rule, bad file or format."""
    import json

    from advisor.engine.rules import RuleFileError, load_rules

    err = stderr or sys.stderr
    if not _known_format(output_format, err):
        return 2
    try:
        rules = load_rules(rules_dirs)
        rule = find_rule(code_or_name, rules)
    except RuleNotFound as error:
        print(f"advisor: error: {error.args[0]}", file=err)
        return 2
    except RuleFileError as error:
        print(f"advisor: error: invalid rule file: {error}", file=err)
        return 2
    text = (json.dumps(rule_to_dict(rule, rules), indent=2, ensure_ascii=False) + "\n" if output_format == "json"
            else rule_markdown(rule, rules))
    (stdout or sys.stdout).write(text)
    return 0
