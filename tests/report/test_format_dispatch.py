"""The output-format dispatcher."""

from __future__ import annotations

import json

import pytest

from advisor.report.formats import OUTPUT_FORMATS, UnknownFormatError, render


@pytest.mark.parametrize("name", ["sarif", "gitlab"])
def test_json_documents(name, findings, rules, repo):
    assert json.loads(render(name, findings, rules, root=str(repo)))


def test_routes_to_each_writer(findings, rules, repo):
    assert render("github", findings, rules, root=str(repo)).startswith("::error ")
    assert render("junit", findings, rules, root=str(repo)).startswith("<?xml")
    assert len(render("json-lines", findings, rules, root=str(repo)).splitlines()) == 3
    sarif = json.loads(render("sarif", findings, rules, root=str(repo), version="1.2.3",
                              execution_successful=False, color=True))
    assert sarif["runs"][0]["tool"]["driver"]["version"] == "1.2.3"
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_statistics_text_or_json(findings, rules, repo):
    assert render("concise", findings, rules, root=str(repo), statistics=True).startswith("1\tCAP003\t")
    rows = json.loads(render("json", findings, rules, root=str(repo), statistics=True))
    assert {row["code"] for row in rows} == {"TMO002", "KAL001", "CAP003"}


def test_unknown_format(findings, rules, repo):
    with pytest.raises(UnknownFormatError, match="unknown output format 'xml'"):
        render("xml", findings, rules, root=str(repo))
    assert {"full", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit"} == set(OUTPUT_FORMATS)


@pytest.mark.parametrize("name", OUTPUT_FORMATS)
def test_every_listed_format_renders_every_finding(name, findings, rules, repo):
    """Each name `--output-format` accepts reaches a writer that shows every finding's code."""
    output = render(name, findings, rules, root=str(repo))
    for finding in findings:
        assert finding.code in output, f"{name}: {finding.code} missing"
