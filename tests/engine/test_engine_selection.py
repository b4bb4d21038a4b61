"""--select / --ignore / --extend-select resolution."""

from __future__ import annotations

import pytest

from advisor.engine.rules import parse_rule
from advisor.engine.selection import SelectionError, select_rules, split_selectors


def _rule(code, name, scope="link", severity="warning", enabled=True):
    data = {"code": code, "name": name, "severity": severity, "scope": scope, "summary": "s", "message": "m",
            "enabled": enabled}
    if scope != "diagnostic":
        data["when"] = "True"
    return parse_rule(data, f"{code}.yaml")


RULES = [
    _rule("TMO001", "races"), _rule("TMO002", "proxy-read-timeout-below-app-time"), _rule("TMO007", "explain",
                                                                                       enabled=False),
    _rule("TMO010", "ten"), _rule("ADR001", "port"), _rule("ADV001", "parse", "diagnostic", "error"),
    _rule("ADV003", "stock", "diagnostic", "info"),
]


def test_default_is_every_enabled_rule():
    assert select_rules(RULES) == {"TMO001", "TMO002", "TMO010", "ADR001", "ADV001", "ADV003"}


@pytest.mark.parametrize(("select", "expected"), [
    (["ALL"], {"TMO001", "TMO002", "TMO007", "TMO010", "ADR001", "ADV001", "ADV003"}),
    (["TMO"], {"TMO001", "TMO002", "TMO007", "TMO010", "ADV001"}),
    (["TMO0"], {"TMO001", "TMO002", "TMO007", "TMO010", "ADV001"}),
    (["TMO00"], {"TMO001", "TMO002", "TMO007", "ADV001"}),
    (["tmo002"], {"TMO002", "ADV001"}),
    (["proxy-read-timeout-below-app-time"], {"TMO002", "ADV001"}),
    (["ADR001,TMO001"], {"ADR001", "TMO001", "ADV001"}),
])
def test_select(select, expected):
    assert select_rules(RULES, select=select) == expected


def test_parse_errors_survive_a_narrow_select_unless_ignored():
    assert "ADV001" in select_rules(RULES, select=["TMO002"])
    assert "ADV001" not in select_rules(RULES, select=["TMO002"], ignore=["ADV001"])
    assert "ADV001" not in select_rules(RULES, ignore=["ADV"])


def test_ignore_and_extend():
    assert select_rules(RULES, ignore=["TMO"]) == {"ADR001", "ADV001", "ADV003"}
    assert select_rules(RULES, extend_select=["TMO007"]) == select_rules(RULES) | {"TMO007"}
    assert select_rules(RULES, select=["ADR"], extend_select=["races"]) == {"ADR001", "TMO001", "ADV001"}
    assert select_rules(RULES, select=["ALL"], ignore=["TMO0", "ADR001"]) == {"ADV001", "ADV003"}


@pytest.mark.parametrize("option", ["select", "ignore", "extend_select"])
def test_unknown_selector(option):
    with pytest.raises(SelectionError, match="unknown rule selector 'XYZ123'"):
        select_rules(RULES, **{option: ["XYZ123"]})


def test_split_selectors():
    assert split_selectors(["TMO, ADR", "", "KAL001"]) == ["TMO", "ADR", "KAL001"]
