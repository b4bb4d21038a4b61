"""docs/rules.md is generated from the rule files and must be up to date; its anchors are what SARIF links to."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

from advisor.report.rule_docs import render_rules_document, rule_anchor, rule_help_uri, rule_markdown

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = REPO_ROOT / "scripts" / "gen_rule_docs.py"


def _generator():
    spec = importlib.util.spec_from_file_location("gen_rule_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def github_slug(heading: str) -> str:
    """GitHub's heading anchor: lower-case, drop punctuation except `-` and `_`, spaces to `-`."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_committed_rules_md_is_up_to_date():
    committed = (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert _generator().generate() == committed, "docs/rules.md is stale: run python scripts/gen_rule_docs.py"


def test_check_mode_detects_a_stale_file(tmp_path, monkeypatch):
    generator = _generator()
    stale = tmp_path / "rules.md"
    stale.write_text("# Rules\n")
    monkeypatch.setattr(generator, "DOC_PATH", stale)
    monkeypatch.setattr(generator, "REPO_ROOT", tmp_path)
    assert generator.main(["--check"]) == 1
    assert generator.main([]) == 0
    assert generator.main(["--check"]) == 0
    assert stale.read_text() == generator.generate()


def test_an_example_that_produces_no_finding_stops_the_generator(monkeypatch, capsys):
    """A broken engine or example must not quietly write pages that lost their example finding."""
    from advisor.commands import rule_example

    generator = _generator()
    monkeypatch.setattr(rule_example, "example_finding", lambda rule, rules: None)
    assert generator.main(["--check"]) == 2
    assert "produced no finding of its own" in capsys.readouterr().err


def test_script_runs_as_a_command():
    result = subprocess.run([sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_every_bundled_rule_is_documented():
    from advisor.engine.rules import load_rules

    text = (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in load_rules():
        assert rule.docs.get("what", "").strip(), f"{rule.code}: docs.what is missing"
        assert rule.docs.get("why", "").strip(), f"{rule.code}: docs.why is missing"
        assert f"\n## {rule.code}: {rule.name}\n" in text


def test_document_sections_and_index_links(rules):
    text = render_rules_document(list(reversed(rules)))
    headings = re.findall(r"^## (.+)$", text, flags=re.M)
    assert headings == ["CAP003: backlog-hides-overload", "KAL001: keepalive-race",
                        "TMO002: proxy-read-timeout-below-app-time"]
    links = re.findall(r"^\| \[(\w+)\]\(#([^)]+)\)", text, flags=re.M)
    assert [code for code, _ in links] == ["CAP003", "KAL001", "TMO002"]
    assert [anchor for _, anchor in links] == [github_slug(heading) for heading in headings]
    section = rule_markdown(rules[0])
    for title in ("### What it does", "### Why is this bad?", "### Example", "### Use instead", "### References"):
        assert title in section
    assert "default severity: **error**" in section
    assert "```\nproxy_read_timeout 60s;\n```" in section
    assert "- <https://nginx.org/en/docs/http/ngx_http_proxy_module.html>" in section


def test_help_uri_points_at_the_heading_anchor():
    assert rule_anchor("TMO002", "proxy-read-timeout-below-app-time") == github_slug(
        "TMO002: proxy-read-timeout-below-app-time")
    assert rule_help_uri("KAL001", "keepalive-race", "https://example.org/x/") == (
        "https://example.org/x/blob/main/docs/rules.md#kal001-keepalive-race")


def test_repository_pages_are_links_relative_to_docs_or_into_the_repository(monkeypatch):
    from advisor.report import rule_docs

    assert rule_docs.reference_markdown("docs/failures.md#x", "docs") == "[docs/failures.md#x](failures.md#x)"
    assert rule_docs.reference_markdown("README.md#exit-codes", "docs") == (
        "[README.md#exit-codes](../README.md#exit-codes)")
    monkeypatch.setattr(rule_docs, "project_url", lambda: None)
    assert rule_docs.reference_markdown("docs/failures.md#x") == "`docs/failures.md#x`"
    assert rule_docs.reference_markdown("docs/failures.md#x", base_url="https://git.example.org/p") == (
        "[docs/failures.md#x](https://git.example.org/p/blob/main/docs/failures.md#x)")
    assert rule_docs.reference_markdown("https://nginx.org/x", "docs") == "<https://nginx.org/x>"


def test_rule_command_page_and_docs_section_have_the_same_sections():
    from advisor.commands.rules_cmd import rule_markdown as command_page
    from advisor.engine.rules import load_rules

    rules = load_rules()
    committed = (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in rules:
        page = command_page(rule, rules)
        section = committed.split(f"\n## {rule.code}: {rule.name}\n", 1)[1].split("\n## ", 1)[0]
        assert re.findall(r"^## (.+)$", page, flags=re.M) == re.findall(r"^### (.+)$", section, flags=re.M), rule.code
        assert "### Example finding" in section and f"{rule.code} [" in section, rule.code
