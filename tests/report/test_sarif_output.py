"""SARIF output: valid SARIF 2.1.0 and shaped the way GitHub code scanning reads it.

Every document is checked against the specification's object rules (tests/report/sarif_spec.py, no outside file
needed); where ../shared/schemas holds the OASIS JSON schema it is validated against that too.
"""

from __future__ import annotations

import copy
import json
import re
from urllib.parse import urlsplit

import pytest
from sarif_spec import sarif_problems
from shared_material import SHARED

from advisor.engine.findings import Finding, RelatedLocation
from advisor.report import rule_docs
from advisor.report.rule_docs import rule_anchor
from advisor.report.sarif import render_sarif

SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


def _schema_validator():
    """The full OASIS schema's validator, or None where ../shared/schemas is not beside the checkout."""
    if not SCHEMA.is_file():
        return None
    from jsonschema import Draft4Validator, FormatChecker

    checker = FormatChecker()

    # jsonschema only checks "uri" formats when an optional RFC 3986 package is installed; check the basics here.
    @checker.checks("uri")
    def _uri(value: object) -> bool:
        return not isinstance(value, str) or (bool(urlsplit(value).scheme) and " " not in value)

    @checker.checks("uri-reference")
    def _uri_reference(value: object) -> bool:
        return not isinstance(value, str) or " " not in value

    return Draft4Validator(json.loads(SCHEMA.read_text()), format_checker=checker)


@pytest.fixture(scope="module")
def validator():
    """Checks a SARIF document; returns the list of problems (empty when valid)."""
    schema = _schema_validator()

    def problems(log: dict) -> list[str]:
        found = sarif_problems(log)
        if schema is not None:
            errors = sorted(schema.iter_errors(log), key=lambda error: list(error.path))
            found += [f"{list(error.path)}: {error.message}" for error in errors]
        return found

    return problems


@pytest.fixture
def no_project_url(monkeypatch):
    """Runs as if the repository URL were not set in pyproject.toml (the state before the repository is public)."""
    monkeypatch.setattr(rule_docs, "project_url", lambda: None)


def _valid(validator, text: str) -> dict:
    log = json.loads(text)
    problems = validator(log)
    assert not problems, "\n".join(problems)
    return log


def test_spec_checks_reject_invalid_sarif(validator, findings, rules, repo):
    log = _valid(validator, render_sarif(findings, rules, root=str(repo), base_url="https://example.org/advisor"))
    broken = {
        "level": lambda log: log["runs"][0]["results"][0].update(level="critical"),
        "missing message": lambda log: log["runs"][0]["results"][0].pop("message"),
        "unknown property": lambda log: log["runs"][0]["results"][0].update(severity="error"),
        "line 0": lambda log: log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"].update(
            startLine=0),
        "missing driver name": lambda log: log["runs"][0]["tool"]["driver"].pop("name"),
        "relative helpUri": lambda log: log["runs"][0]["tool"]["driver"]["rules"][0].update(helpUri="docs/x.md"),
        "version": lambda log: log.update(version="2.0.0"),
        "base without slash": lambda log: log["runs"][0]["originalUriBaseIds"]["%SRCROOT%"].update(
            uri="file:///repo"),
        "ruleIndex": lambda log: log["runs"][0]["results"][0].update(ruleIndex=7),
    }
    for name, breaks in broken.items():
        copied = copy.deepcopy(log)
        breaks(copied)
        assert sarif_problems(copied), f"{name} was not caught"


def test_schema_validator_rejects_invalid_sarif(validator):
    from shared_material import require_shared

    example = json.loads((require_shared("schemas") / "advisor-example.sarif").read_text())
    assert not validator(example)
    example["runs"][0]["results"][0]["level"] = "critical"
    assert validator(example)


def test_document_is_schema_valid_and_has_github_fields(validator, findings, rules, repo):
    log = _valid(validator, render_sarif(findings, rules, root=str(repo), version="9.9.9",
                                         base_url="https://example.org/advisor"))
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "advisor"
    assert driver["version"] == "9.9.9"
    assert driver["informationUri"] == "https://example.org/advisor"
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


def test_links_are_left_out_while_the_repository_url_is_unset(validator, findings, rules, repo, no_project_url):
    log = _valid(validator, render_sarif(findings, rules, root=str(repo)))
    driver = log["runs"][0]["tool"]["driver"]
    assert "informationUri" not in driver
    for rule in driver["rules"]:
        assert "helpUri" not in rule
        assert "http" not in rule["help"]["text"].split("References:")[0]
        assert "[Documentation]" not in rule["help"]["markdown"]
    assert "example.invalid" not in json.dumps(log)


def test_links_come_from_the_configured_repository_url(validator, findings, rules, repo, monkeypatch):
    monkeypatch.setattr(rule_docs, "project_url", lambda: "https://git.example.org/team/proxy-advisor")
    log = _valid(validator, render_sarif(findings, rules, root=str(repo)))
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["informationUri"] == "https://git.example.org/team/proxy-advisor"
    assert {rule["helpUri"].split("#")[0] for rule in driver["rules"]} == {
        "https://git.example.org/team/proxy-advisor/blob/main/docs/rules.md"}
