"""One ordered severity vocabulary (advisor/model/severity.py) for rules, config, reports and exit codes."""

from __future__ import annotations

import json

import pytest

from advisor.model.severity import SEVERITY_NAMES, Severity, at_or_above


def test_ordered_by_rank_not_alphabetically():
    assert Severity.INFO < Severity.WARNING < Severity.ERROR
    assert sorted(["warning", Severity.ERROR, Severity.INFO], key=Severity) == ["info", "warning", "error"]
    assert Severity.ERROR > "warning" and Severity.INFO <= "info"
    assert SEVERITY_NAMES == ("error", "warning", "info")


def test_a_member_is_its_plain_string():
    assert Severity.ERROR == "error" and {"error": 1}[Severity.ERROR] == 1 and {Severity.INFO: 2}["info"] == 2
    assert json.dumps({"severity": Severity.WARNING}) == '{"severity": "warning"}'
    assert f"[{Severity.INFO}]" == "[info]" and "[" + Severity.INFO + "]" == "[info]"


def test_parse_names_the_choices():
    assert Severity.parse("warning") is Severity.WARNING
    with pytest.raises(ValueError, match="'fatal' is not one of error, warning, info"):
        Severity.parse("fatal")


def test_at_or_above_is_the_exit_code_threshold():
    assert at_or_above("error", "warning") and at_or_above(Severity.WARNING, "warning")
    assert not at_or_above("info", Severity.WARNING)
    assert not at_or_above("bogus", "warning")  # anything unknown counts as info
    with pytest.raises(ValueError):
        at_or_above("error", "fatal")
