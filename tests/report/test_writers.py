"""The one output dispatcher (advisor/report/formats.py): every format is a typed writer over the same ReportData."""

from __future__ import annotations

import json

import pytest

from advisor.engine.findings import Notice
from advisor.report import ReportData
from advisor.report.formats import OUTPUT_FORMATS, RenderOptions, UnknownFormatError, write


@pytest.mark.parametrize("name", OUTPUT_FORMATS)
def test_every_format_writes_typed_report_data(name, findings, rules, repo):
    data = ReportData(findings, rules_run=3, files=["a", "b"], root=str(repo),
                      notices=[Notice("no app server config was given")])
    output = write(name, data, rules, RenderOptions())
    assert all(finding.code in output for finding in findings)
    if name in ("full", "concise", "json", "sarif", "github", "junit"):
        assert "no app server config was given" in output


def test_options_reach_the_writer_that_understands_them(findings, rules, repo):
    data = ReportData(findings, root=str(repo))
    sarif = json.loads(write("sarif", data, rules, RenderOptions(version="2.0.0", execution_successful=False)))
    assert sarif["runs"][0]["tool"]["driver"]["version"] == "2.0.0"
    assert "\x1b[" in write("concise", data, rules, RenderOptions(color=True))
    counts = json.loads(write("json-lines", data, rules, RenderOptions(statistics=True)))
    assert sorted(row["code"] for row in counts) == ["CAP003", "KAL001", "TMO002"]


def test_unknown_format_is_a_usage_error(findings, rules):
    with pytest.raises(UnknownFormatError):
        write("xml", ReportData(findings), rules)
