"""Rule `phrases` (wording tables picked by a value) and `explanation` (the long text of a finding)."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_builders import app_server, deployment, route

from advisor.engine.rules import RuleFileError, parse_rule, read_yaml
from advisor.engine.run import RuleEvaluationError, run_rules
from advisor.model.deployment import Setting

MESSAGE = "proxy_read_timeout {duration(route.read_timeout)}{default_note} < timeout {app.timeout}: {outcome}"
PHRASES = {
    "default_note": {"by": "is_set('route.read_timeout')", True: "", False: " (default)"},
    "kill": {"by": "500 if app.timeout > 30 else 502", 500: "500 from gunicorn", "else": "502"},
    "outcome": {"by": "app.timeout - route.read_timeout > 30", True: "long requests get 504, then {kill}",
                False: "some requests get 504"},
}


def rule(phrases=None, **extra):
    data = {"code": "TST001", "name": "read-below-app", "severity": "warning", "scope": "link", "summary": "s",
            "when": "route.read_timeout < app.timeout", "at": "route.read_timeout", "message": MESSAGE,
            "phrases": PHRASES if phrases is None else phrases,
            "explanation": "nginx waits {duration(route.read_timeout)}; gunicorn allows {duration(app.timeout)}.",
            **extra}
    return parse_rule(data, "TST001.yaml")


def _finding(check, read=(20.0, 14), timeout=60):
    settings = {"proxy_read_timeout": read} if read else None
    deploy = deployment([route(settings)], [app_server({"timeout": (timeout, 3)})])
    (finding,) = run_rules(deploy, [check], strict=True).findings
    return finding


def test_the_value_of_by_picks_the_case_and_later_phrases_use_earlier_ones():
    finding = _finding(rule())
    assert finding.message == "proxy_read_timeout 20 s < timeout 60: long requests get 504, then 500 from gunicorn"
    assert finding.explanation == "nginx waits 20 s; gunicorn allows 60 s."
    assert _finding(rule(), read=None, timeout=80).message == \
        "proxy_read_timeout 60 s (default) < timeout 80: some requests get 504"
    assert _finding(rule(), read=(20.0, 14), timeout=25).message.endswith("some requests get 504")


def test_else_is_the_default_case():
    check = rule(phrases={"default_note": {"by": "1", 2: "two", "else": ""},
                          "outcome": {"by": "app.timeout", 30: "thirty", "else": "{app.timeout} seconds"}})
    assert _finding(check).message.endswith(": 60 seconds")


def test_an_unknown_selector_takes_else_or_reads_unknown():
    app = app_server({"timeout": (60, 3)})
    app.settings["workers"] = Setting.unknown("WEB_CONCURRENCY is not set")
    check = rule(phrases={"default_note": {"by": "app.workers > 1", True: " many", "else": " (workers unknown)"},
                          "outcome": {"by": "app.workers", 1: "one"}})
    deploy = deployment([route({"proxy_read_timeout": (20.0, 14)})], [app])
    (finding,) = run_rules(deploy, [check], strict=True).findings
    assert finding.message == "proxy_read_timeout 20 s (workers unknown) < timeout 60: unknown"


def test_a_value_no_case_covers_is_a_rule_bug():
    check = rule(phrases={"default_note": {"by": "'x'", "y": ""}, "outcome": {"by": "1", 1: "o"}})
    with pytest.raises(RuleEvaluationError, match="no case for 'x'"):
        _finding(check)


@pytest.mark.parametrize(("phrases", "problem"), [
    ({"default_note": "x"}, "expected {by: expression"),
    ({"default_note": {"True": ""}}, "expected {by: expression"),
    ({"default_note": {"by": "1", "else": ""}}, "at least one case"),
    ({"route": {"by": "1", 1: ""}}, "shadows"),
    ({"default_note": {"by": "app.no_such_fact", 1: ""}}, "no_such_fact"),
    ({"default_note": {"by": "1", 1: "{outcome}"}, "outcome": {"by": "1", 1: ""}}, "unknown name 'outcome'"),
])
def test_bad_tables_are_rule_file_errors(phrases, problem):
    with pytest.raises(RuleFileError, match=problem):
        rule(phrases=phrases)


def test_templates_may_not_use_an_undefined_phrase():
    with pytest.raises(RuleFileError, match="unknown name 'nothing'"):
        rule(explanation="{nothing}")


def test_yaml_case_keys_load_as_strings_so_the_rule_cache_can_hold_them(tmp_path: Path):
    path = tmp_path / "TST001.yaml"
    path.write_text("code: TST001\nphrases:\n  note:\n    by: app.timeout > 1\n    true: 'a'\n    false: ''\n"
                    "    500: 'b'\n", encoding="utf-8")
    assert read_yaml(path)["phrases"]["note"] == {"by": "app.timeout > 1", "true": "a", "false": "", "500": "b"}
