"""SARIF output: valid against the OASIS 2.1.0 schema and shaped the way GitHub code scanning reads it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft4Validator, FormatChecker

from advisor.engine.findings import Finding, RelatedLocation
from advisor.report.rule_docs import rule_anchor
from advisor.report.sarif import render_sarif

SCHEMAS = Path(__file__).resolve().parents[2].parent / "shared" / "schemas"


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads((SCHEMAS / "sarif-schema-2.1.0.json").read_text())
    checker = FormatChecker()

    # jsonschema only checks "uri" formats when an optional RFC 3986 package is installed; check the basics here.
    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or (bool(urlsplit(value).scheme) and " " not in value)

    @checker.checks("uri-reference")
    def _uri_reference(value: object) -> bool:
        return not isinstance(value, str) or " " not in value

    return Draft4Validator(schema, format_checker=checker)


def _valid(validator: Draft4Validator, text: str) -> dict:
    log = json.loads(text)
    errors = sorted(validator.iter_errors(log), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)
    return log


def test_validator_rejects_invalid_sarif(validator):
    example = json.loads((SCHEMAS / "advisor-example.sarif").read_text())
    assert not list(validator.iter_errors(example))
    example["runs"][0]["results"][0]["level"] = "critical"
    assert list(validator.iter_errors(example))


def test_document_is_schema_valid_and_has_github_fields(validator, findings, rules, repo):
    log = _valid(validator, render_sarif(findings, rules, root=str(repo), version="9.9.9"))
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "advisor"
    assert driver["version"] == "9.9.9"
    assert urlsplit(driver["informationUri"]).scheme == "https"
    assert run["invocations"] == [{"executionSuccessful": True}]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"

    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted({"TMO002", "KAL001", "CAP003"})
    for result in run["results"]:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    levels = {result["ruleId"]: result["level"] for result in run["results"]}
    assert levels == {"TMO002": "error", "KAL001": "warning", "CAP003": "note"}
    defaults = {rule["id"]: rule["defaultConfiguration"]["level"] for rule in driver["rules"]}
    assert defaults == {"TMO002": "error", "KAL001": "warning", "CAP003": "note"}


def test_rule_descriptor_carries_docs_and_stable_help_uri(findings, rules, repo):
    log = json.loads(render_sarif(findings, rules, root=str(repo), base_url="https://example.org/advisor"))
    rule = next(r for r in log["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "TMO002")
    assert rule["name"] == "proxy-read-timeout-below-app-time"
    assert rule["shortDescription"]["text"] == "summary of proxy-read-timeout-below-app-time"
    assert rule["fullDescription"]["text"] == "What proxy-read-timeout-below-app-time checks."
    assert rule["helpUri"] == ("https://example.org/advisor/blob/main/docs/rules.md"
                               "#tmo002-proxy-read-timeout-below-app-time")
    assert "Why proxy-read-timeout-below-app-time matters." in rule["help"]["text"]
    assert "### Why is this bad?" in rule["help"]["markdown"]
    assert "https://nginx.org/en/docs/http/ngx_http_proxy_module.html" in rule["help"]["markdown"]
    assert rule["properties"]["tags"] == ["diagnostic"]
    assert rule_anchor("TMO002", "proxy-read-timeout-below-app-time") == "tmo002-proxy-read-timeout-below-app-time"


def test_locations_are_repo_relative_under_srcroot(findings, rules, repo):
    log = json.loads(render_sarif(findings, rules, root=str(repo)))
    results = {result["ruleId"]: result for result in log["runs"][0]["results"]}
    location = results["KAL001"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "deploy/nginx.conf", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 3, "startColumn": 5}
    # No line known: the location names the file only.
    assert results["CAP003"]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "deploy/gunicorn.conf.py", "uriBaseId": "%SRCROOT%"}}


def test_cross_file_finding_links_related_location_from_message(validator, findings, rules, repo):
    log = _valid(validator, render_sarif(findings[:1], rules, root=str(repo)))
    [result] = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "deploy/gunicorn.conf.py"
    [related] = result["relatedLocations"]
    assert related["id"] == 1
    assert related["message"]["text"] == "proxy_read_timeout 60s"
    assert related["physicalLocation"] == {
        "artifactLocation": {"uri": "deploy/nginx.conf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 15, "startColumn": 9}}
    text = result["message"]["text"]
    assert "[proxy_read_timeout 60s](1)" in text
    assert text.startswith("nginx gives up after 60s")
    assert "set proxy_read_timeout 125s" in text
    assert [int(i) for i in re.findall(r"\]\((\d+)\)", text)] == [r["id"] for r in result["relatedLocations"]]


def test_empty_run_is_valid(validator, rules, repo):
    log = _valid(validator, render_sarif([], rules, root=str(repo)))
    [run] = log["runs"]
    assert run["results"] == []
    assert run["tool"]["driver"]["rules"] == []
    assert run["invocations"][0]["executionSuccessful"] is True


def test_failed_execution_is_reported(validator, repo):
    log = _valid(validator, render_sarif([], [], root=str(repo), execution_successful=False))
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": False}]


def test_awkward_paths_and_unknown_rules_stay_valid(validator, rules, repo, tmp_path_factory):
    spaced = repo / "my deploy" / "nginx [prod].conf"
    spaced.parent.mkdir()
    spaced.write_text("events {}\n")
    outside = tmp_path_factory.mktemp("elsewhere") / "gunicorn.conf.py"
    outside.write_text("")
    findings = [
        Finding("ADV001", "parse-error", "error", "unexpected '}' [in block]", None, str(spaced), 2, 1,
                (RelatedLocation(str(outside), 1, 1, "see [this] file"),)),
        Finding("TMO002", "proxy-read-timeout-below-app-time", "error", "no path", None, None, None, None,
                (RelatedLocation(str(spaced), 4, 2, "the route"),)),
    ]
    log = _valid(validator, render_sarif(findings, rules, root=str(repo)))
    run = log["runs"][0]
    first, second = run["results"]
    assert first["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "my%20deploy/nginx%20%5Bprod%5D.conf", "uriBaseId": "%SRCROOT%"}
    assert first["relatedLocations"][0]["physicalLocation"]["artifactLocation"] == {"uri": outside.as_uri()}
    assert r"[see \[this\] file](1)" in first["message"]["text"]
    # A rule that is not among the loaded rules still gets a descriptor.
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "ADV001"
    # A finding without a path of its own is placed at its first related location.
    assert second["locations"][0]["physicalLocation"]["region"] == {"startLine": 4, "startColumn": 2}
    assert "relatedLocations" not in second
