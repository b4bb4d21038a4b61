"""`advisor rules` (a table of every rule) and `advisor rule CODE|NAME` (one rule's Markdown page).

The page is generated from the rule's YAML, with the sections ruff uses: What it does / Why is this bad? /
Example / Use instead / References.
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

    return rule_markdown(find_rule(code_or_name, load_rules(rules_dirs)))


def rule_markdown(rule: Rule) -> str:
    from advisor.report.rule_docs import snippet_block

    docs = rule.docs
    opt_in = "" if rule.enabled else f" · opt-in (enable with `--extend-select {rule.code}`)"
    out = [f"# {rule.name} ({rule.code})", "",
           f"Severity: **{rule.severity}** · scope: {rule.scope}{opt_in}", "",
           rule.summary, "", "## What it does", "", (docs.get("what") or rule.summary).strip(), ""]
    if docs.get("why"):
        out += ["## Why is this bad?", "", docs["why"].strip(), ""]
    if docs.get("example"):
        out += ["## Example", "", snippet_block(docs["example"]), ""]
    if docs.get("instead"):
        out += ["Use instead:", "", snippet_block(docs["instead"]), ""]
    out += ["## How to suppress", "",
            f"Add `# advisor: ignore[{rule.code}]` to the line the finding points at, or "
            f"`# advisor: file-ignore[{rule.code}]` anywhere in that file.", ""]
    references = docs.get("references") or []
    if references:
        out += ["## References", ""] + [f"- {reference}" for reference in references] + [""]
    return "\n".join(out)


def rule_to_dict(rule: Rule) -> dict:
    """JSON form of a rule for `advisor rules --output-format json` / `advisor rule X --output-format json`."""
    return {"code": rule.code, "name": rule.name, "severity": rule.severity, "scope": rule.scope,
            "enabled": rule.enabled, "summary": rule.summary, "message": rule.message.text,
            "fix": rule.fix.text if rule.fix else None,
            "docs": rule.docs, "explanation": rule_markdown(rule), "source_location": rule.path}


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
            keys = ("code", "name", "severity", "scope", "enabled", "summary")
            rows = [{key: value for key, value in rule_to_dict(rule).items() if key in keys} for rule in rules]
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
        rule = find_rule(code_or_name, load_rules(rules_dirs))
    except RuleNotFound as error:
        print(f"advisor: error: {error.args[0]}", file=err)
        return 2
    except RuleFileError as error:
        print(f"advisor: error: invalid rule file: {error}", file=err)
        return 2
    text = (json.dumps(rule_to_dict(rule), indent=2, ensure_ascii=False) + "\n" if output_format == "json"
            else rule_markdown(rule))
    (stdout or sys.stdout).write(text)
    return 0
