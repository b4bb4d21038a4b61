"""JUnit XML: well-formed, one failing testcase per finding, one passing testcase when clean."""

from __future__ import annotations

from xml.etree import ElementTree

from advisor.engine.findings import Finding, RelatedLocation
from advisor.report.junit import render_junit


def test_one_failing_testcase_per_finding(findings, rules, repo):
    text = render_junit(findings, rules, root=str(repo))
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ElementTree.fromstring(text)
    [suite] = root.findall("testsuite")
    assert suite.get("name") == "advisor"
    assert (suite.get("tests"), suite.get("failures")) == ("3", "3")
    cases = suite.findall("testcase")
    assert len(cases) == 3
    first = cases[0]
    assert first.get("name") == "advisor.TMO002 proxy-read-timeout-below-app-time"
    assert (first.get("classname"), first.get("file"), first.get("line")) == (
        "deploy/gunicorn.conf.py", "deploy/gunicorn.conf.py", "1")
    failure = first.find("failure")
    assert failure.get("type") == "error"
    assert failure.get("message") == "nginx gives up after 60s but gunicorn lets a request run 120s"
    assert failure.text.splitlines() == [
        "deploy/gunicorn.conf.py:1:1: TMO002 nginx gives up after 60s but gunicorn lets a request run 120s",
        "related: deploy/nginx.conf:15:9: proxy_read_timeout 60s",
        "help: set proxy_read_timeout 125s",
    ]
    assert cases[2].get("line") is None


def test_clean_run_has_one_passing_testcase(repo):
    root = ElementTree.fromstring(render_junit([], [], root=str(repo)))
    [suite] = root.findall("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("1", "0")
    [case] = suite.findall("testcase")
    assert case.find("failure") is None


def test_markup_and_control_characters_stay_well_formed(repo, rules):
    message = 'a <b> & "c" ]]> \x00\x1b[31m\ud800 end'
    finding = Finding("KAL001", "keepalive-race", "warning", message, "use </failure>", str(repo / "x&y.conf"), 1,
                      1, (RelatedLocation(str(repo / "<z>.py"), 2, 1, "\x07bell"),))
    root = ElementTree.fromstring(render_junit([finding], rules, root=str(repo)).encode("utf-8"))
    failure = root.find("testsuite/testcase/failure")
    assert failure.get("message") == 'a <b> & "c" ]]> \ufffd\ufffd[31m\ufffd end'
    assert "help: use </failure>" in failure.text
    assert "related: <z>.py:2:1: \ufffdbell" in failure.text
    assert root.find("testsuite/testcase").get("file") == "x&y.conf"
