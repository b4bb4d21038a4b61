"""Product text cites only what users have: our own docs pages (path + section) and public URLs.

Internal research notes, their section numbers, pattern numbers and experiment ids never appear in the package's
code and strings, the rule files, the docs pages or the README; every `docs/PAGE.md#section` cited there exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FORBIDDEN = {
    "an internal notes file": re.compile(r"\b(?:queueing|failure-modes|linter-conventions|peers)\.md\b"),
    "a section sign": re.compile("§"),
    "a pattern number": re.compile(r"\bP[0-4][0-9]\b"),  # P50..P99 are percentiles and allowed
    "an experiment id": re.compile(r"\be[01][0-9][a-z]?\b"),
    "a reproduction note": re.compile(r"reproduced in", re.I),
    "the shared material": re.compile(r"(?:\.\./|/work/)shared\b|shared/knowledge"),
}
CITED_ANCHOR = re.compile(r"\bdocs/([\w.-]+\.md)#([\w-]+)")
LINKED_ANCHOR = re.compile(r"\]\(([\w.-]+\.md)#([\w-]+)\)")  # relative links between docs pages
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def product_files() -> list[Path]:
    files = sorted((REPO / "advisor").rglob("*.py"))
    files += sorted((REPO / "rules").rglob("*.yaml"))
    files += sorted((REPO / "docs").glob("*.md"))
    files.append(REPO / "README.md")
    return [path for path in files if path.is_file()]


def slug(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]|\[|\]\([^)]*\)", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {slug(match.group(1)) for match in HEADING.finditer(text)}


def test_slug_follows_github():
    assert slug("Unix socket vs TCP") == "unix-socket-vs-tcp"
    assert slug("The queueing model behind `advisor model`") == "the-queueing-model-behind-advisor-model"
    assert slug("Error-log lines") == "error-log-lines"


@pytest.mark.parametrize("path", product_files(), ids=lambda path: str(path.relative_to(REPO)))
def test_no_internal_citations(path: Path):
    text = path.read_text(encoding="utf-8")
    found = []
    for what, pattern in FORBIDDEN.items():
        for match in pattern.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            found.append(f"{path.relative_to(REPO)}:{line}: {what}: {match.group(0)!r}")
    assert not found, "\n".join(found)


def test_cited_docs_sections_exist():
    missing = []
    for path in product_files():
        text = path.read_text(encoding="utf-8")
        cited = [(m.group(1), m.group(2)) for m in CITED_ANCHOR.finditer(text)]
        if path.parent == REPO / "docs":
            cited += [(m.group(1), m.group(2)) for m in LINKED_ANCHOR.finditer(text)]
        for page, anchor in cited:
            target = REPO / "docs" / page
            if not target.is_file() or anchor not in anchors(target):
                missing.append(f"{path.relative_to(REPO)}: docs/{page}#{anchor}")
    assert not missing, "\n".join(sorted(set(missing)))


def test_rule_pages_and_model_output_cite_the_docs():
    from advisor.engine.rules import load_rules

    uncited = [rule.code for rule in load_rules() if rule.family != "ADV"
               and not any(str(ref).startswith("docs/") for ref in rule.docs["references"])]
    assert not uncited
