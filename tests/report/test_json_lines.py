"""json-lines: one JSON object per finding, same keys as the json format."""

from __future__ import annotations

import json

from advisor.report.json_lines import render_json_lines

KEYS = ["code", "name", "severity", "message", "fix", "explanation", "path", "line", "column", "related"]


def test_one_object_per_line(findings, rules, repo):
    lines = render_json_lines(findings, rules, root=str(repo)).splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 3
    assert all(list(record) == KEYS for record in records)
    assert records[0] == {
        "code": "TMO002", "name": "proxy-read-timeout-below-app-time", "severity": "error",
        "message": "nginx gives up after 60s but gunicorn lets a request run 120s",
        "fix": "set proxy_read_timeout 125s", "explanation": None, "path": "deploy/gunicorn.conf.py", "line": 1,
        "column": 1,
        "related": [{"path": "deploy/nginx.conf", "line": 15, "column": 9, "message": "proxy_read_timeout 60s"}],
    }
    assert records[2]["line"] is None and records[2]["related"] == []


def test_records_match_the_json_format(findings, rules, repo):
    from advisor.report.formats import render

    lines = render_json_lines(findings, rules, root=str(repo)).splitlines()
    assert [json.loads(line) for line in lines] == json.loads(render("json", findings, rules, root=str(repo)))["findings"]


def test_newlines_in_messages_stay_inside_one_line(findings, rules, repo):
    from dataclasses import replace

    finding = replace(findings[1], message="two\nlines")
    output = render_json_lines([finding], rules, root=str(repo))
    assert output.count("\n") == 1
    assert json.loads(output)["message"] == "two\nlines"


def test_no_findings_no_lines(repo):
    assert render_json_lines([], [], root=str(repo)) == ""
