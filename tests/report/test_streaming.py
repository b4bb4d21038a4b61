"""Reports are written to the output as they are rendered: no writer holds the whole report (or one object per
finding for all findings) before the first byte goes out, and the streamed text is the one-string text."""

from __future__ import annotations

import hashlib
import io
import json
import time

import pytest

from advisor.engine.findings import Finding, RelatedLocation
from advisor.report import ReportData
from advisor.report.formats import RenderOptions, write, write_to
from advisor.report.gitlab import gitlab_issues
from advisor.report.json_stream import ITEMS, dump

STREAMED = ("full", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit")


class RecordingStream(io.StringIO):
    """Records the size of each write."""

    def __init__(self) -> None:
        super().__init__()
        self.sizes: list[int] = []

    def write(self, text: str) -> int:
        self.sizes.append(len(text))
        return super().write(text)


def _findings(count: int) -> list[Finding]:
    return [Finding("TMO005", "connect-timeout", "info", f"route /{index}: proxy_connect_timeout 60s", "set 500ms",
                    "/srv/nginx.conf", index + 1, 5,
                    (RelatedLocation("/srv/gunicorn.conf.py", 1, 1, "gunicorn listens on TCP"),),
                    explanation="SYN retries")
            for index in range(count)]


@pytest.mark.parametrize("name", STREAMED)
def test_each_format_writes_finding_by_finding(name):
    data = ReportData(_findings(200), root="/srv")
    stream = RecordingStream()
    write_to(stream, name, data, None, RenderOptions(explain=True))
    total = sum(stream.sizes)
    assert len(stream.sizes) >= 200
    assert max(stream.sizes) < total / 20  # no write carries the report (or a large part of it)
    assert stream.getvalue() == write(name, data, None, RenderOptions(explain=True))


@pytest.mark.parametrize("document", [
    {"findings": ITEMS, "summary": {"errors": 0, "notices": ["a\nb"]}},
    ITEMS,
    {"runs": [{"tool": {"name": "x"}, "results": ITEMS}], "version": "2.1.0"},
])
@pytest.mark.parametrize("items", [[], [{"a": [1, {"b": []}], "c": "x\ny", "d": {}}], [1, "é", None, [2, 3]]])
def test_streamed_json_is_the_one_shot_json(document, items):
    stream = io.StringIO()
    dump(document, iter(items), stream)

    def filled(value):
        if value is ITEMS:
            return items
        if isinstance(value, dict):
            return {key: filled(inner) for key, inner in value.items()}
        if isinstance(value, list):
            return [filled(inner) for inner in value]
        return value

    assert stream.getvalue() == json.dumps(filled(document), indent=2, ensure_ascii=False) + "\n"


def _old_fingerprints(findings: list[Finding], root: str) -> list[str]:
    """The fingerprint search as first written: every issue searches from salt 0."""
    seen: set[str] = set()
    digests = []
    for finding in findings:
        salt = 0
        while True:
            material = "\0".join((finding.code, "nginx.conf", finding.message, str(salt) if salt else ""))
            digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
            if digest not in seen:
                seen.add(digest)
                digests.append(digest)
                break
            salt += 1
    return digests


def test_equal_gitlab_issues_get_the_same_fingerprints_in_linear_time():
    same = [Finding("TMO005", "n", "info", "same message", None, "/srv/nginx.conf", line, 1) for line in range(1, 301)]
    mixed = same[:100] + [Finding("TMO006", "n", "info", "other", None, "/srv/nginx.conf", 1, 1)] + same[100:]
    issues = gitlab_issues(mixed, root="/srv")
    assert [issue["fingerprint"] for issue in issues] == _old_fingerprints(mixed, "/srv")
    many = same * 67  # 20,100 equal issues: quadratic search would take minutes
    started = time.perf_counter()
    assert len({issue["fingerprint"] for issue in gitlab_issues(many, root="/srv")}) == len(many)
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize("notices", [(), ("advisor could not read /srv/app.env: not found",)])
def test_streamed_junit_is_the_whole_tree_serialised(notices):
    """The testcases written one by one read exactly as one indented tree: re-indenting the parsed document and
    serialising it again gives the same text."""
    from xml.etree import ElementTree

    data = ReportData(_findings(3), root="/srv", notices=list(notices))
    text = write("junit", data, None, RenderOptions())
    declaration, body = text.split("\n", 1)
    tree = ElementTree.fromstring(body)
    ElementTree.indent(tree)
    assert body == ElementTree.tostring(tree, encoding="unicode") + "\n"
    assert len(tree.findall("./testsuite/testcase")) == 3 and (tree.find("./testsuite/system-out") is not None) == \
        bool(notices)
