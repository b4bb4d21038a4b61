"""Text (full/concise) and JSON reporters, colour decisions, summary lines."""

from __future__ import annotations

import json

import pytest

from advisor.engine.findings import Finding, RelatedLocation, Skip
from advisor.report import ReportData, at_or_above, display_path, use_color
from advisor.report import json_report, text

FINDINGS = [
    Finding("ADR001", "proxy-target-port-not-bound", "error", "nginx connects to 127.0.0.1:8000 ...", "fix it",
            "/srv/deploy/nginx.conf", 4, 9, (RelatedLocation("/srv/deploy/gunicorn.conf.py", 1, 1, "binds x"),)),
    Finding("TMO002", "proxy-read-timeout-below-app-time", "warning", "read below app", None, "nginx.conf", 8, 1),
    Finding("TMO005", "long-connect-timeout-over-tcp", "info", "tcp", None, "nginx.conf", 9, 1),
]


def test_concise_lines_and_summary_relative_to_root():
    data = ReportData(FINDINGS, root="/srv")
    assert text.render(data, concise=True).splitlines() == [
        "deploy/nginx.conf:4:9: ADR001 [error] nginx connects to 127.0.0.1:8000 ...",
        "nginx.conf:8:1: TMO002 [warning] read below app",
        "nginx.conf:9:1: TMO005 [info] tcp",
        "Found 3 problems (1 error, 1 warning, 1 info).",
    ]


def test_full_block_without_readable_source():
    out = text.render(ReportData(FINDINGS[:1], root="/srv"))
    assert out.splitlines() == [
        "deploy/nginx.conf:4:9: ADR001 [error] nginx connects to 127.0.0.1:8000 ...",
        "  fix: fix it",
        "  --> related: deploy/gunicorn.conf.py:1:1 (binds x)",
        "",
        "Found 1 problem (1 error, 0 warnings, 0 info).",
    ]


def test_full_block_shows_the_source_line(tmp_path):
    config = tmp_path / "nginx.conf"
    config.write_text("events {}\nhttp {\n    proxy_read_timeout 5s;\n}\n")
    finding = Finding("TMO002", "n", "warning", "m", None, str(config), 3, 5)
    assert "     3 |     proxy_read_timeout 5s;" in text.render(ReportData([finding])).splitlines()


def test_clean_summary_and_skip_hint():
    skips = [Skip("TMO002", "route", "app.timeout", "from env", "unknown"), Skip("KAL001", "r", "upstream.x",
                                                                                "implicit", "absent")]
    out = text.render(ReportData([], skips))
    assert out.splitlines() == ["All checks passed!",
                                "1 check could not be decided because a value is unknown (--explain-skips lists them)."]
    explained = text.render(ReportData([], skips), explain_skips=True)
    assert "  TMO002 route: [unknown] app.timeout: from env" in explained
    assert "  KAL001 r: [absent] upstream.x: implicit" in explained


def test_colour_codes_only_when_enabled():
    assert "\x1b[1;31m[error]\x1b[0m" in text.render(ReportData(FINDINGS[:1]), concise=True, color=True)
    assert "\x1b" not in text.render(ReportData(FINDINGS[:1]), concise=True, color=False)


@pytest.mark.parametrize(("choice", "tty", "env", "expected"), [
    ("always", False, {}, True), ("never", True, {"FORCE_COLOR": "1"}, False),
    ("auto", True, {}, True), ("auto", False, {}, False), ("auto", True, {"TERM": "dumb"}, False),
    ("auto", True, {"NO_COLOR": "1"}, False), ("auto", False, {"FORCE_COLOR": "1"}, True),
    ("auto", False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False), ("always", False, {"NO_COLOR": "1"}, True),
    ("auto", True, {"NO_COLOR": ""}, True),
])
def test_use_color(choice, tty, env, expected):
    assert use_color(choice, tty, env) is expected


def test_json_document():
    skips = [Skip("TMO002", "route", "app.timeout", "from env", "unknown")]
    document = json.loads(json_report.render(ReportData(FINDINGS, skips, 12, ["a", "b"], root="/srv")))
    assert document["summary"] == {"errors": 1, "warnings": 1, "info": 1, "files": 2, "rules_run": 12, "skipped": 1,
                                   "notices": []}
    assert document["findings"][0]["path"] == "deploy/nginx.conf"
    assert document["findings"][0]["related"][0]["path"] == "deploy/gunicorn.conf.py"
    assert document["findings"][1]["fix"] is None
    with_skips = json.loads(json_report.render(ReportData(FINDINGS, skips), explain_skips=True))
    assert with_skips["skips"] == [{"code": "TMO002", "scope": "route", "fact": "app.timeout", "kind": "unknown",
                                    "reason": "from env"}]


def test_the_formats_dispatcher_reaches_the_text_and_json_writers():
    from advisor.report.formats import render

    out = render("concise", FINDINGS, [], root="/srv")
    assert out.splitlines()[0].startswith("deploy/nginx.conf:4:9: ADR001")
    document = json.loads(render("json", FINDINGS, ["r1", "r2"], root="/srv"))
    assert document["summary"]["rules_run"] == 2


def test_threshold_and_paths():
    assert at_or_above(FINDINGS[1:], "warning") and not at_or_above(FINDINGS[2:], "warning")
    assert at_or_above(FINDINGS[2:], "info")
    assert display_path("/elsewhere/x.conf", "/srv") == "/elsewhere/x.conf"
    assert display_path("rel/x.conf", "/srv") == "rel/x.conf"
    assert display_path(None) is None
