"""Every bundled rule is documented (ruff's sections) and filed where its family lives."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.commands.rules_cmd import rule_markdown
from advisor.engine.rules import DOC_SECTIONS, bundled_rules_dir, load_rules

RULES = load_rules()
FAMILY_FOLDERS = {"ADR": "addressing", "TMO": "timeouts", "KAL": "keepalive", "CAP": "capacity", "BUF": "buffering",
                  "LIF": "lifecycle", "SET": "settings", "ADV": "meta"}
PATTERN_REFERENCE = re.compile(r"\bP\d{2}\b|queueing\.md|linter-conventions\.md|https?://")


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_doc_sections_present(rule):
    for section in DOC_SECTIONS:
        value = rule.docs.get(section)
        assert value, f"{rule.path}: docs.{section} is missing or empty"
    assert all(str(item).strip() for item in rule.docs["references"])


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_references_cite_a_source(rule):
    assert any(PATTERN_REFERENCE.search(item) for item in rule.docs["references"]), rule.path


INTERNAL_CITATION = re.compile(r"failure-modes\.md|queueing\.md|linter-conventions\.md|§|\bP\d{2}\b")


@pytest.mark.parametrize("rule", [rule for rule in RULES if rule.family != "ADV"], ids=lambda rule: rule.code)
def test_rule_text_cites_only_public_sources(rule):
    """Rule pages are product text: they cite public documentation, never internal notes or pattern numbers."""
    import yaml

    data = yaml.safe_load(Path(rule.path).read_text(encoding="utf-8"))
    texts = [data["summary"], data["message"], data.get("fix") or "", data.get("explanation") or ""]
    texts += [str(case) for table in (data.get("phrases") or {}).values() for case in table.values()]
    texts += [str(value) for value in (data.get("docs") or {}).values()]
    assert not [text for text in texts if INTERNAL_CITATION.search(text)], rule.path
    assert any(item.startswith("https://") for item in rule.docs["references"]), rule.path


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_file_named_by_code_in_family_folder(rule):
    path = Path(rule.path)
    assert path.stem == rule.code
    assert path.parent.name == FAMILY_FOLDERS[rule.family]
    assert path.parent.parent == bundled_rules_dir()


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_markdown_page_has_every_heading(rule):
    page = rule_markdown(rule)
    for heading in ("# ", "## What it does", "## Why is this bad?", "## Example", "## Use instead",
                    "## How to suppress", "## References"):
        assert heading in page, (rule.code, heading)
    assert page.splitlines()[0] == f"# {rule.code}: {rule.name}"


def test_codes_and_names_unique():
    assert len({rule.code for rule in RULES}) == len(RULES)
    assert len({rule.name for rule in RULES}) == len(RULES)


def test_names_do_not_start_with_no():
    """ruff's naming convention: a name reads as "allow <name>" and names the bad pattern."""
    assert not [rule.name for rule in RULES if rule.name.startswith(("no-", "disallow", "missing-fix"))]
