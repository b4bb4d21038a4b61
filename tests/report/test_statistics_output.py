"""--statistics: counts per rule, most frequent first."""

from __future__ import annotations

import json
from dataclasses import replace

from advisor.report.statistics import render_statistics


def test_text_and_json(findings, rules, repo):
    many = findings + [replace(findings[1], line=9), replace(findings[1], line=10), replace(findings[2])]
    text = render_statistics(many, rules, root=str(repo))
    assert text.splitlines() == [
        "3\tKAL001\tkeepalive-race",
        "2\tCAP003\tbacklog-hides-overload",
        "1\tTMO002\tproxy-read-timeout-below-app-time",
    ]
    assert json.loads(render_statistics(many, rules, root=str(repo), as_json=True)) == [
        {"code": "KAL001", "name": "keepalive-race", "count": 3},
        {"code": "CAP003", "name": "backlog-hides-overload", "count": 2},
        {"code": "TMO002", "name": "proxy-read-timeout-below-app-time", "count": 1},
    ]


def test_ties_are_ordered_by_code_and_empty_is_empty(findings, rules, repo):
    assert [line.split("\t")[1] for line in render_statistics(findings, rules, root=str(repo)).splitlines()] == [
        "CAP003", "KAL001", "TMO002"]
    assert render_statistics([], rules, root=str(repo)) == ""
    assert json.loads(render_statistics([], rules, root=str(repo), as_json=True)) == []
