"""Suppression hygiene: ADV100 (suppressed nothing) and ADV101 (names no rule), with --select taken into account."""

from __future__ import annotations

from engine_builders import APP_PATH, NGINX_PATH, app_server, deployment, route

from advisor.engine.postprocess import drop_used_elsewhere
from advisor.engine.rules import parse_rule
from advisor.engine.run import run_rules
from advisor.model.deployment import Setting
from advisor.model.suppressions import Suppression


def _rule(code, name, when, enabled=True):
    return parse_rule({"code": code, "name": name, "severity": "warning", "scope": "link", "summary": "s",
                       "message": "m", "at": "route.read_timeout", "when": when, "enabled": enabled},
                      f"{code}.yaml")


def _meta(code, name, severity):
    return parse_rule({"code": code, "name": name, "severity": severity, "scope": "diagnostic", "summary": "s",
                       "message": "{diagnostic.message}", "fix": "{diagnostic.fix}"}, f"{code}.yaml")


FIRES = _rule("TST001", "read-below-app", "route.read_timeout < app.timeout")
QUIET = _rule("TST002", "never-fires", "route.read_timeout > 1000")
OPT_IN = _rule("TST003", "opt-in-rule", "route.read_timeout > 1000", enabled=False)
UNUSED = _meta("ADV100", "unused-suppression", "info")
UNKNOWN = _meta("ADV101", "unknown-suppression-code", "warning")
RULES = [FIRES, QUIET, OPT_IN, UNUSED, UNKNOWN]


def _line(codes, line=13, applies_to=14, path=NGINX_PATH):
    return Suppression(path, line, tuple(codes), False, applies_to)


def _run(suppressions, selection=None, app=None):
    deploy = deployment([route({"proxy_read_timeout": (20.0, 14)})], [app or app_server({"timeout": (60, 3)})],
                        suppressions=suppressions)
    return run_rules(deploy, RULES, selection, strict=True)


def _codes(result):
    return [(finding.code, finding.line) for finding in result.findings]


def test_used_suppression_is_not_reported():
    result = _run([_line(["TST001"])])
    assert result.findings == [] and len(result.suppressed) == 1


def test_unused_suppression_is_reported_at_the_comment():
    result = _run([_line(["TST002"])])
    assert _codes(result) == [("ADV100", 13), ("TST001", 14)]  # sorted by position
    finding = result.findings[0]
    assert finding.severity == "info" and finding.path == NGINX_PATH
    assert "TST002 suppressed nothing on line 14" in finding.message and finding.fix == "remove the comment"


def test_partly_used_suppression_names_the_unused_code():
    result = _run([_line(["TST001", "never-fires"])])
    (finding,) = result.findings
    assert finding.code == "ADV100"
    assert "never-fires suppressed nothing" in finding.message and "(the other codes did)" in finding.message
    assert finding.fix == "remove never-fires from the comment"


def test_unused_file_level_suppression():
    result = _run([Suppression(APP_PATH, 1, ("TST002",), True, None)])
    (finding,) = [finding for finding in result.findings if finding.code == "ADV100"]
    assert (finding.path, finding.line) == (APP_PATH, 1) and "on this file" in finding.message


def test_unselected_rules_make_a_suppression_undecidable():
    """--select TST001,ADV100: an ignore[TST002] cannot be judged, since TST002 did not run."""
    result = _run([_line(["TST002"])], selection={"TST001", "ADV100", "ADV101"})
    assert _codes(result) == [("TST001", 14)]
    # a prefix naming a rule that did not run is not judged either
    assert _codes(_run([_line(["TST"], applies_to=99)], selection={"TST002", "ADV100"})) == []


def test_opt_in_rules_do_not_block_the_judgement_of_a_prefix():
    """The default selection leaves TST003 (opt-in) out; ignore[TST] is still judged on the rules that ran."""
    default = {"TST001", "TST002", "ADV100", "ADV101"}
    result = _run([_line(["TST"], applies_to=99)], selection=default)
    assert ("ADV100", 13) in _codes(result)
    assert _codes(_run([_line(["TST003"], applies_to=99)], selection=default)) == [("TST001", 14)]


def test_rule_skipped_for_an_unknown_value_is_not_judged():
    app = app_server({"timeout": (60, 3)})
    app.settings["timeout"] = Setting.unknown("from $TIMEOUT", APP_PATH, 3)
    result = _run([_line(["TST001"])], app=app)
    assert [finding.code for finding in result.findings] == []
    assert [skip.code for skip in result.skips] == ["TST001"]


def test_adv100_not_selected_reports_nothing():
    result = _run([_line(["TST002"])], selection={"TST001", "TST002"})
    assert _codes(result) == [("TST001", 14)]


def test_unknown_code_with_suggestion():
    result = _run([_line(["TST01", "read-below-apps"])])
    unknown = [finding for finding in result.findings if finding.code == "ADV101"]
    (finding,) = unknown
    assert finding.severity == "warning" and finding.line == 13
    assert "'TST01' (did you mean TST001?)" in finding.message
    assert "'read-below-apps' (did you mean read-below-app?)" in finding.message
    assert not [f for f in result.findings if f.code == "ADV100"]  # unknown codes are not also "unused"


def test_all_and_loader_codes_are_known():
    result = _run([_line(["ALL"])])
    assert result.findings == []
    loader_only = _run([_line(["ADV007"], applies_to=99)])
    assert [f.code for f in loader_only.findings if f.code == "ADV101"] == ["ADV101"]


def test_hygiene_findings_can_be_suppressed_file_wide():
    result = _run([_line(["TST002"]), Suppression(NGINX_PATH, 1, ("ADV100",), True, None)])
    assert _codes(result) == [("TST001", 14)]
    assert [item.finding.code for item in result.suppressed] == ["ADV100"]


def test_a_suppression_used_in_another_pair_is_not_stale():
    """Two pairs share nginx.conf; the suppression applies to the app of the first pair only."""
    suppression = _line(["TST001"])
    used_run = _run([suppression])
    unused_run = _run([suppression], app=app_server({"timeout": (10, 3)}))
    assert [f.code for f in unused_run.findings] == ["ADV100"]
    merged = drop_used_elsewhere(unused_run.findings + used_run.findings, used_run.used_suppressions)
    assert merged == []
