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
