"""One rule's documentation as Markdown and plain text, and the stable URL of its section in docs/rules.md.

Used by `scripts/gen_rule_docs.py` (docs/rules.md) and by the SARIF writer (`help`, `helpUri`), so the page and the
code-scanning help always say the same thing. The link exists only once the repository URL is set (see
advisor/distribution.py).
"""

from __future__ import annotations

import re
from typing import Any

from advisor.report.locations import get_field

RULES_DOC_PATH = "docs/rules.md"

DOC_SECTIONS: tuple[tuple[str, str], ...] = (
    ("what", "What it does"),
    ("why", "Why is this bad?"),
    ("example", "Example"),
    ("instead", "Use instead"),
)


def project_url() -> str | None:
    """The repository URL ([project.urls] in pyproject.toml), or None while it is unset."""
    from advisor.distribution import project_url as configured_url

    return configured_url()


def rule_heading(code: str, name: str) -> str:
    return f"{code}: {name}" if name else code


def rule_anchor(code: str, name: str) -> str:
    """The anchor GitHub generates for the rule's heading: lower-case, punctuation other than `-`/`_` dropped,
    spaces to `-`. Stable as long as the code and name are."""
    text = rule_heading(code, name).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def rule_help_uri(code: str, name: str, base_url: str | None = None) -> str | None:
    """The rule's section of docs/rules.md in the repository; None while the repository URL is unset."""
    base = base_url or project_url()
    if not base:
        return None
    return f"{base.rstrip('/')}/blob/main/{RULES_DOC_PATH}#{rule_anchor(code, name)}"


def _docs(rule: Any) -> Any:
    return get_field(rule, "docs", {}) or {}


def snippet_block(text: str) -> str:
    """Example snippets become fenced code blocks unless the author already wrote Markdown fences."""
    text = text.strip("\n")
    if "```" in text:
        return text
    return f"```\n{text}\n```"


def _reference_item(reference: Any) -> str:
    if isinstance(reference, str):
        ref = reference.strip()
        return f"<{ref}>" if re.match(r"https?://\S+$", ref) else ref
    title = str(get_field(reference, "title", "") or "").strip()
    url = str(get_field(reference, "url", "") or "").strip()
    if title and url:
        return f"[{title}]({url})"
    return f"<{url}>" if url else title


def references(rule: Any) -> list[str]:
    refs = get_field(_docs(rule), "references", []) or []
    if isinstance(refs, (str, dict)):
        refs = [refs]
    return [item for item in (_reference_item(ref) for ref in refs) if item]


def rule_markdown(rule: Any, *, heading_level: int = 2, include_heading: bool = True) -> str:
    """The rule's documentation: heading, a facts line, the summary, then the doc sections that are present."""
    code = str(get_field(rule, "code", ""))
    name = str(get_field(rule, "name", ""))
    docs = _docs(rule)
    hashes = "#" * heading_level
    sub = "#" * (heading_level + 1)
    lines: list[str] = []
    if include_heading:
        lines += [f"{hashes} {rule_heading(code, name)}", ""]
    facts = [f"Code: `{code}`", f"name: `{name}`", f"default severity: **{get_field(rule, 'severity', 'warning')}**"]
    scope = get_field(rule, "scope")
    if scope:
        facts.append(f"scope: `{scope}`")
    lines += [" · ".join(facts), ""]
    summary = str(get_field(rule, "summary", "") or "").strip()
    if summary:
        lines += [summary, ""]
    for key, title in DOC_SECTIONS:
        text = str(get_field(docs, key, "") or "").strip("\n")
        if not text.strip():
            continue
        body = snippet_block(text) if key in ("example", "instead") else text.strip()
        lines += [f"{sub} {title}", "", body, ""]
    refs = references(rule)
    if refs:
        lines += [f"{sub} References", ""] + [f"- {ref}" for ref in refs] + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def rule_text(rule: Any) -> str:
    """Plain-text help: summary, what, why, and the references' URLs."""
    docs = _docs(rule)
    parts = [str(get_field(rule, "summary", "") or "").strip()]
    for key in ("what", "why"):
        parts.append(str(get_field(docs, key, "") or "").strip())
    text = "\n\n".join(part for part in parts if part)
    refs = references(rule)
    if refs:
        text += "\n\nReferences:\n" + "\n".join(f"- {ref.strip('<>')}" for ref in refs)
    return text


GENERATOR_COMMAND = "python scripts/gen_rule_docs.py"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_rules_document(rules: list[Any]) -> str:
    """docs/rules.md: an index table, then one section per rule (sorted by code)."""
    ordered = sorted(rules, key=lambda rule: str(get_field(rule, "code", "")))
    lines = [
        "# Rules",
        "",
        f"<!-- Generated from rules/**/*.yaml by `{GENERATOR_COMMAND}`. Do not edit by hand. -->",
        "",
        f"{len(ordered)} rule{'s' if len(ordered) != 1 else ''}. The severity is the default; re-level a rule with "
        "`severity = {CODE = \"info\"}` in `.advisor.toml` (or `[tool.advisor.severity]`), select rules with "
        "`--select` / `--ignore` (codes, prefixes, names, `ALL`), and suppress one finding with "
        "`# advisor: ignore[CODE]` on or above the line. `advisor rule CODE` prints a rule's section.",
        "",
    ]
    if ordered:
        lines += ["| Code | Name | Severity | Scope | Summary |", "|---|---|---|---|---|"]
        for rule in ordered:
            code, name = str(get_field(rule, "code", "")), str(get_field(rule, "name", ""))
            lines.append(f"| [{code}](#{rule_anchor(code, name)}) | `{name}` | {get_field(rule, 'severity', '')} | "
                         f"{get_field(rule, 'scope', '')} | {_cell(str(get_field(rule, 'summary', '') or ''))} |")
        lines.append("")
    for rule in ordered:
        lines += [rule_markdown(rule, heading_level=2).rstrip("\n"), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
