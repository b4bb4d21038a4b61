"""A missing input is a note about coverage: never above info (so never fails a run by itself), reported once, with
every other place that refers to it shown in every format ("also: path:line" in the text output)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from advisor.commands import check
from advisor.commands.options import CheckOptions, HostFacts, Inputs
from advisor.engine.findings import Finding, RelatedLocation
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.model.deployment import Deployment, Diagnostic, DiagnosticPlace, HostFacts
from advisor.report import ReportData, text
from advisor.report.formats import render as render_format

NGINX = """\
events {}
http {
    include /etc/nginx/conf.d/generated-upstreams.conf;
    server {
        listen 80;
        include /etc/nginx/conf.d/generated-upstreams.conf;
        location / {
            proxy_pass http://127.0.0.1:8000;
            proxy_read_timeout 60s;
        }
    }
}
"""
MESSAGE = "include /etc/nginx/conf.d/generated-upstreams.conf is not here"
FINDING = Finding("ADV002", "include-not-found", "info", MESSAGE, None, "nginx.conf", 3, 5,
                  (RelatedLocation("nginx.conf", 6, 9, MESSAGE, "also"),
                   RelatedLocation("sites/shop.conf", 2, 1, "include from another file", "also")))


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "nginx.conf").write_text(NGINX)
    (tmp_path / "gunicorn.conf.py").write_text('bind = "127.0.0.1:8000"\ntimeout = 30\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_engine_caps_a_missing_input_at_info_even_unconsolidated():
    diagnostic = Diagnostic("ADV002", "warning", MESSAGE, "nginx.conf", 3, 5, missing="generated-upstreams.conf",
                            related=(DiagnosticPlace("nginx.conf", 6, 9, MESSAGE),))
    deployment = Deployment(host=HostFacts.build(), nginx=None, upstreams={}, routes=[], apps=[], links=[],
                            diagnostics=[diagnostic])
    [finding] = [f for f in run_rules(deployment, load_rules(), ["ADV002"]).findings if f.code == "ADV002"]
    assert finding.severity == "info"
    assert [(r.path, r.line, r.kind) for r in finding.related] == [("nginx.conf", 6, "also")]


def test_unknown_code_fallback_is_capped_too():
    diagnostic = Diagnostic("ZZZ999", "error", "secrets.env is not here", "compose.yaml", 4, 1, missing="secrets.env")
    deployment = Deployment(host=HostFacts.build(), nginx=None, upstreams={}, routes=[], apps=[], links=[],
                            diagnostics=[diagnostic])
    [finding] = run_rules(deployment, load_rules(), []).findings
    assert (finding.code, finding.severity) == ("ZZZ999", "info")


def test_missing_include_does_not_fail_the_run_and_lists_every_place(site: Path):
    out = io.StringIO()
    code = check.run(CheckOptions(inputs=Inputs(paths=["nginx.conf", "gunicorn.conf.py"]), host=HostFacts.build(),
                                  select=["ADV002"]), stdout=out, stderr=io.StringIO())
    assert code == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("nginx.conf:3:") and "ADV002 [info]" in lines[0]
    assert any(line.startswith("  also: nginx.conf:6:") for line in lines)


def test_full_text_also_lines():
    lines = text.render(ReportData([FINDING])).splitlines()
    assert lines[1:3] == ["  also: nginx.conf:6:9", "  also: sites/shop.conf:2:1 (include from another file)"]


def test_github_and_junit_also_lines():
    github = render_format("github", [FINDING], [], root=".")
    assert "%0A  also: nginx.conf:6:9%0A  also: sites/shop.conf:2:1: include from another file" in github
    junit = ElementTree.fromstring(render_format("junit", [FINDING], [], root=".").split("\n", 1)[1])
    body = junit.find("testsuite/testcase/failure").text.splitlines()
    assert body[1:] == ["also: nginx.conf:6:9", "also: sites/shop.conf:2:1: include from another file"]


def test_gitlab_sarif_and_json_carry_the_places():
    [issue] = json.loads(render_format("gitlab", [FINDING], [], root="."))
    assert issue["description"] == f"ADV002: {MESSAGE} (also: nginx.conf:6, sites/shop.conf:2)"
    sarif = json.loads(render_format("sarif", [FINDING], [], root=".", version="1.0.0"))
    related = sarif["runs"][0]["results"][0]["relatedLocations"]
    assert [r["physicalLocation"]["region"]["startLine"] for r in related] == [6, 2]
    document = json.loads(render_format("json", [FINDING], [], root="."))
    assert [(r["path"], r["line"]) for r in document["findings"][0]["related"]] == [("nginx.conf", 6),
                                                                                  ("sites/shop.conf", 2)]
