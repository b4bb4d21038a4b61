"""Bundled rules compile their message/fix templates on first use; every one of them must still be valid."""

from __future__ import annotations

import pytest

from advisor.engine.rules import DeferredTemplate, RuleFileError, load_rules, parse_rule


def test_every_bundled_template_compiles_and_uses_known_names():
    rules = load_rules(eager_templates=True)
    assert rules and all(not isinstance(rule.message, DeferredTemplate) for rule in rules)


def test_bundled_rules_defer_their_templates():
    rules = load_rules()
    assert all(isinstance(rule.message, DeferredTemplate) for rule in rules)


RULE = {
    "code": "ORG123", "name": "broken-template", "severity": "warning", "scope": "route",
    "summary": "x", "when": "route.read_timeout > 30", "at": "route.read_timeout",
    "message": "waits {duration(route.no_such_fact)}",
    "docs": {"what": "w", "why": "y", "example": "e", "instead": "i", "references": ["r"]},
    "examples": {"fail": [{"nginx": "x"}], "pass": [{"nginx": "y"}]},
}


def test_a_broken_template_fails_at_load_when_eager():
    with pytest.raises(RuleFileError, match="no_such_fact"):
        parse_rule(dict(RULE), "org/ORG123.yaml")


def test_a_broken_deferred_template_fails_on_first_use():
    rule = parse_rule(dict(RULE), "org/ORG123.yaml", lazy_templates=True)
    with pytest.raises(RuleFileError, match="no_such_fact"):
        rule.message.parts
