"""The one renderer of rule documentation: `advisor rule CODE`, docs/rules.md and SARIF rule help.

Every form has the same sections in the same order — a title `CODE: name`, a facts line, the summary, What it does,
Why is this bad?, Example, Use instead, Example finding (what advisor reports for the rule's first failing example:
message, fix and explanation, when the caller ran it), How to suppress, References — and the same reference
handling: a web address is a link; a page of this repository (a `docs/` page with an anchor, `README.md#exit-codes`)
is a relative link in docs/rules.md and, elsewhere, a link into the repository once its URL is set (see
advisor/distribution.py), plain text while it is not. `rule_text` is the plain-text form (SARIF `help.text`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal


def get_field(obj: Any, name: str, default: Any = None) -> Any:
    """`obj.name` or `obj[name]`: rule documentation comes from YAML (mappings: references, docs) as well as from
    the engine's Rule objects."""
    if obj is None:
        return default
    value = obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)
    return default if value is None else value


RULES_DOC_PATH = "docs/rules.md"
DOCS_DIR = posixpath.dirname(RULES_DOC_PATH)
GENERATOR_COMMAND = "python scripts/gen_rule_docs.py"

DOC_SECTIONS: tuple[tuple[str, str], ...] = (
    ("what", "What it does"),
    ("why", "Why is this bad?"),
    ("example", "Example"),
    ("instead", "Use instead"),
)
EXAMPLE_FINDING_TITLE = "Example finding"
SUPPRESS_TITLE = "How to suppress"
REFERENCES_TITLE = "References"

_WEB_ADDRESS = re.compile(r"https?://\S+$")
_REPOSITORY_PAGE = re.compile(r"(?:[\w.-]+/)*[\w.-]+\.md(?:#[\w-]+)?$")

# "docs": links as seen from docs/rules.md; "repository": absolute links into the repository when its URL is set.
LinkStyle = Literal["docs", "repository"]


@dataclass(frozen=True, slots=True)
class ExampleFinding:
    """What advisor reports for a rule's failing example (location left out: the example's files are temporary)."""

    code: str
    severity: str
    message: str
    fix: str | None = None
    explanation: str | None = None


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
    return repository_link(f"{RULES_DOC_PATH}#{rule_anchor(code, name)}", base_url)


def repository_link(page: str, base_url: str | None = None) -> str | None:
    """A page of the repository (a docs page with its anchor) as a web address; None while the URL is unset."""
    base = base_url or project_url()
    return f"{base.rstrip('/')}/blob/main/{page}" if base else None


def snippet_block(text: str) -> str:
    """Example snippets become fenced code blocks unless the author already wrote Markdown fences."""
    text = text.strip("\n")
    if "```" in text:
        return text
    return f"```\n{text}\n```"


def reference_markdown(reference: Any, links: LinkStyle = "repository", base_url: str | None = None) -> str:
    """One reference as a Markdown list item's text (see the module docstring for the forms)."""
    if not isinstance(reference, str):
        title = str(get_field(reference, "title", "") or "").strip()
        url = str(get_field(reference, "url", "") or "").strip()
        if title and url:
            return f"[{title}]({url})"
        return f"<{url}>" if url else title
    ref = reference.strip()
    if _WEB_ADDRESS.match(ref):
        return f"<{ref}>"
    if _REPOSITORY_PAGE.match(ref):
        if links == "docs":
            return f"[{ref}]({posixpath.relpath(ref.split('#')[0], DOCS_DIR)}{_fragment(ref)})"
        address = repository_link(ref, base_url)
        return f"[{ref}]({address})" if address else f"`{ref}`"
    return ref


def _fragment(reference: str) -> str:
    return "#" + reference.split("#", 1)[1] if "#" in reference else ""


def references(rule: Any, links: LinkStyle = "repository", base_url: str | None = None) -> list[str]:
    refs = get_field(_docs(rule), "references", []) or []
    if isinstance(refs, (str, dict)):
        refs = [refs]
    return [item for item in (reference_markdown(ref, links, base_url) for ref in refs) if item]


def _docs(rule: Any) -> Any:
    return get_field(rule, "docs", {}) or {}


def facts_line(rule: Any) -> str:
    code = str(get_field(rule, "code", ""))
    facts = [f"Code: `{code}`", f"name: `{get_field(rule, 'name', '')}`",
             f"default severity: **{get_field(rule, 'severity', 'warning')}**"]
    scope = get_field(rule, "scope")
    if scope:
        facts.append(f"scope: `{scope}`")
    if get_field(rule, "enabled", True) is False:
        facts.append(f"opt-in: enable with `--extend-select {code}`")
    return " · ".join(facts)


def example_finding_markdown(example: ExampleFinding) -> str:
    lines = [f"{example.code} [{example.severity}] {example.message}"]
    if example.fix:
        lines.append(f"  fix: {example.fix}")
    body = "```text\n" + "\n".join(lines) + "\n```"
    if example.explanation:
        body += f"\n\n{example.explanation}"
    return body


def suppress_markdown(code: str) -> str:
    return (f"Add `# advisor: ignore[{code}]` at the end of the line the finding points at, or on a line of its "
            f"own just above it; `# advisor: file-ignore[{code}]` anywhere in a file suppresses the rule for that "
            f"file, and `severity = {{{code} = \"info\"}}` in `.advisor.toml` re-levels it.")


def page_sections(rule: Any, *, links: LinkStyle = "repository", base_url: str | None = None,
                  example: ExampleFinding | None = None) -> list[tuple[str, str]]:
    """(title, Markdown body) of every section the rule has, in page order."""
    docs = _docs(rule)
    sections: list[tuple[str, str]] = []
    for key, title in DOC_SECTIONS:
        text = str(get_field(docs, key, "") or "").strip("\n")
        if text.strip():
            sections.append((title, snippet_block(text) if key in ("example", "instead") else text.strip()))
    if example is not None:
        sections.append((EXAMPLE_FINDING_TITLE, example_finding_markdown(example)))
    sections.append((SUPPRESS_TITLE, suppress_markdown(str(get_field(rule, "code", "")))))
    refs = references(rule, links, base_url)
    if refs:
        sections.append((REFERENCES_TITLE, "\n".join(f"- {ref}" for ref in refs)))
    return sections


def rule_markdown(rule: Any, *, heading_level: int = 2, include_heading: bool = True,
                  links: LinkStyle = "repository", base_url: str | None = None,
                  example: ExampleFinding | None = None) -> str:
    """The rule's page as Markdown; sections one heading level below the title."""
    code, name = str(get_field(rule, "code", "")), str(get_field(rule, "name", ""))
    lines: list[str] = []
    if include_heading:
        lines += [f"{'#' * heading_level} {rule_heading(code, name)}", ""]
    lines += [facts_line(rule), ""]
    summary = str(get_field(rule, "summary", "") or "").strip()
    if summary:
        lines += [summary, ""]
    sub = "#" * (heading_level + 1)
    for title, body in page_sections(rule, links=links, base_url=base_url, example=example):
        lines += [f"{sub} {title}", "", body, ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def rule_text(rule: Any, *, base_url: str | None = None, example: ExampleFinding | None = None) -> str:
    """The same page as plain text: `Title:` lines instead of headings, link targets instead of Markdown links."""
    parts = [str(get_field(rule, "summary", "") or "").strip()]
    for title, body in page_sections(rule, base_url=base_url, example=example):
        parts.append(f"{title}:\n{_plain(body)}")
    return "\n\n".join(part for part in parts if part)


def _plain(markdown: str) -> str:
    text = re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r"\2", markdown)  # [page](https://...) -> the address
    text = re.sub(r"<(https?://[^>]+)>", r"\1", text)
    return text.replace("```text\n", "").replace("```\n", "").replace("\n```", "").replace("`", "")


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def render_rules_document(rules: list[Any], examples: dict[str, ExampleFinding] | None = None) -> str:
    """docs/rules.md: an index table, then one section per rule (sorted by code), with repository pages linked
    relative to docs/ and each rule's example finding when `examples` has it."""
    ordered = sorted(rules, key=lambda rule: str(get_field(rule, "code", "")))
    examples = examples or {}
    lines = [
        "# Rules",
        "",
        f"<!-- Generated from rules/**/*.yaml by `{GENERATOR_COMMAND}`. Do not edit by hand. -->",
        "",
        f"{len(ordered)} rule{'s' if len(ordered) != 1 else ''}. The severity is the default; re-level a rule with "
        "`severity = {CODE = \"info\"}` in `.advisor.toml` (or `[tool.advisor.severity]`), select rules with "
        "`--select` / `--ignore` (codes, prefixes, names, `ALL`), and suppress one finding with "
        "`# advisor: ignore[CODE]` on or above the line. `advisor rule CODE` prints a rule's section; "
        "`advisor check --explain` prints each finding's explanation.",
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
        example = examples.get(str(get_field(rule, "code", "")))
        lines += [rule_markdown(rule, heading_level=2, links="docs", example=example).rstrip("\n"), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
