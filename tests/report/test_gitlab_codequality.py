"""GitLab Code Quality report."""

from __future__ import annotations

import json

from advisor.engine.findings import Finding
from advisor.report.gitlab import render_gitlab


def test_issues_have_the_fields_gitlab_reads(findings, rules, repo):
    issues = json.loads(render_gitlab(findings, rules, root=str(repo)))
    assert isinstance(issues, list) and len(issues) == 3
    first = issues[0]
    assert first["description"] == ("TMO002: nginx gives up after 60s but gunicorn lets a request run 120s "
                                    "(fix: set proxy_read_timeout 125s)")
    assert first["check_name"] == "TMO002"
    assert first["location"] == {"path": "deploy/gunicorn.conf.py", "lines": {"begin": 1}}
    assert [issue["severity"] for issue in issues] == ["critical", "major", "info"]
    # A finding without a line starts at line 1 (GitLab requires lines.begin).
    assert issues[2]["location"] == {"path": "deploy/gunicorn.conf.py", "lines": {"begin": 1}}


def test_fingerprints_are_stable_unique_and_ignore_line_moves(findings, rules, repo):
    once = json.loads(render_gitlab(findings, rules, root=str(repo)))
    again = json.loads(render_gitlab(findings, rules, root=str(repo)))
    assert [i["fingerprint"] for i in once] == [i["fingerprint"] for i in again]
    assert len({i["fingerprint"] for i in once}) == len(once)
    moved = Finding(**{**{f: getattr(findings[1], f) for f in findings[1].__dataclass_fields__}, "line": 40})
    assert json.loads(render_gitlab([moved], rules, root=str(repo)))[0]["fingerprint"] == once[1]["fingerprint"]


def test_identical_issues_get_distinct_fingerprints(findings, rules, repo):
    twin = findings[1]
    issues = json.loads(render_gitlab([twin, twin, twin], rules, root=str(repo)))
    assert len({issue["fingerprint"] for issue in issues}) == 3
    assert issues[0]["fingerprint"] == json.loads(render_gitlab([twin], rules, root=str(repo)))[0]["fingerprint"]


def test_clean_run_is_an_empty_array(repo):
    assert json.loads(render_gitlab([], [], root=str(repo))) == []
