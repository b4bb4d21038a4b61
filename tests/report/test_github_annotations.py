"""GitHub workflow-command annotations: format, levels, and actions/toolkit escaping."""

from __future__ import annotations

import re

from advisor.engine.findings import Finding, RelatedLocation
from advisor.report.github import escape_data, escape_property, render_github

COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<props>[^:]*)::(?P<message>.*)$")


def _unescape(text: str) -> str:
    # The runner's decoding: every %XX that escaping produced, % last.
    for encoded, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(encoded, raw)
    return text


def _parse(line: str) -> tuple[str, dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, line
    props = dict(item.split("=", 1) for item in match.group("props").split(","))
    return match.group("level"), {k: _unescape(v) for k, v in props.items()}, _unescape(match.group("message"))


def test_one_annotation_per_finding_with_levels(findings, rules, repo):
    lines = render_github(findings, rules, root=str(repo)).splitlines()
    assert len(lines) == 3
    parsed = [_parse(line) for line in lines]
    assert [level for level, _, _ in parsed] == ["error", "warning", "notice"]
    _, props, message = parsed[1]
    assert props == {"file": "deploy/nginx.conf", "line": "3", "endLine": "3", "col": "5",
                     "title": "advisor (KAL001)"}
    assert message == "deploy/nginx.conf:3:5: KAL001 keep-alive race"


def test_related_location_and_fix_are_in_the_message(findings, rules, repo):
    _, props, message = _parse(render_github(findings[:1], rules, root=str(repo)).splitlines()[0])
    assert props["file"] == "deploy/gunicorn.conf.py"
    assert message.splitlines() == [
        "deploy/gunicorn.conf.py:1:1: TMO002 nginx gives up after 60s but gunicorn lets a request run 120s",
        "  related: deploy/nginx.conf:15:9: proxy_read_timeout 60s",
        "  help: set proxy_read_timeout 125s",
    ]


def test_col_only_with_a_line(findings, rules, repo):
    _, props, _ = _parse(render_github(findings[2:], rules, root=str(repo)).strip())
    assert props == {"file": "deploy/gunicorn.conf.py", "title": "advisor (CAP003)"}
    no_column = Finding("KAL001", "keepalive-race", "warning", "m", None, str(repo / "a.conf"), 7, None)
    _, props, _ = _parse(render_github([no_column], rules, root=str(repo)).strip())
    assert props == {"file": "a.conf", "line": "7", "endLine": "7", "title": "advisor (KAL001)"}


def test_escaping_matches_actions_toolkit():
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext%3A a%2Cb"
    # `%` is escaped first, so an already-escaped-looking sequence survives a round trip.
    assert escape_data("%0A") == "%250A"
    assert _unescape(escape_property("%3A:,%2C")) == "%3A:,%2C"


def test_nasty_strings_cannot_break_out_of_the_command(repo, rules):
    nasty_path = repo / "we,ird: dir" / "nginx%0A.conf"
    nasty_message = "line one\r\n::error file=x::injected\n%25 100%, a:b"
    finding = Finding("TMO002", "x", "error", nasty_message, "fix: %\nnow", str(nasty_path), 2, 3,
                      (RelatedLocation(str(nasty_path), 4, 1, "other,side:\nhere"),))
    output = render_github([finding], rules, root=str(repo))
    assert output.count("\n") == 1 and output.endswith("\n")
    # The runner splits at the first `::` after the properties; `::` inside the message is harmless.
    assert ":" not in output[len("::error "):output.index("::", 2)]
    level, props, message = _parse(output.rstrip("\n"))
    assert level == "error"
    assert props["file"] == "we,ird: dir/nginx%0A.conf"
    assert props["title"] == "advisor (TMO002)"
    assert message.startswith(
        "we,ird: dir/nginx%0A.conf:2:3: TMO002 line one\r\n::error file=x::injected\n%25 100%, a:b")
    assert "related: we,ird: dir/nginx%0A.conf:4:1: other,side:\nhere" in message
    assert message.endswith("help: fix: %\nnow")


def test_no_findings_no_output(repo):
    assert render_github([], [], root=str(repo)) == ""
