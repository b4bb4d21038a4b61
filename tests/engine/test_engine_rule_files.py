"""Loading and validating rule files: every problem names the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine.rules import RuleFileError, bundled_rules_dir, load_rules, parse_rule

BASE = {
    "code": "TST001", "name": "test-rule", "severity": "warning", "scope": "link", "summary": "s",
    "when": "route.read_timeout < app.timeout", "message": "m {app.timeout}",
}


def _rule(**changes):
    data = {**BASE, **changes}
    return parse_rule({key: value for key, value in data.items() if value is not None}, "rules/x/TST001.yaml")


def test_valid_rule():
    rule = _rule(let={"gap": "app.timeout - route.read_timeout", "twice": "gap * 2"}, at="route.read_timeout",
                 related=["app.timeout", {"fact": "link.bind", "message": "binds {link.bind}"}],
                 fix="raise it by {duration(twice)}")
    assert rule.family == "TST" and [name for name, _ in rule.lets] == ["gap", "twice"]
    assert [spec.fact for spec in rule.related] == ["app.timeout", "link.bind"]
    assert rule.enabled is True


@pytest.mark.parametrize(("changes", "key", "problem"), [
    ({"code": "TMO02"}, "code", "family prefix"),
    ({"name": "Bad_Name"}, "name", "kebab-case"),
    ({"severity": "fatal"}, "severity", "not one of"),
    ({"scope": "server"}, "scope", "not one of"),
    ({"message": None}, "message", "missing"),
    ({"when": None}, "when", "missing"),
    ({"realted": ["app.timeout"]}, "realted", "unknown key"),
    ({"when": "route.proxy_red_timeout > 1"}, "when", "did you mean 'route.proxy_read_timeout'"),
    ({"when": "bogus > 1"}, "when", "unknown name 'bogus'"),
    ({"scope": "app", "when": "route.read_timeout > 1"}, "when", "not available in scope 'app'"),
    ({"when": "route.read_timeout >"}, "when", "invalid expression"),
    ({"message": "m {app.tiemout}"}, "message", "unknown fact 'app.tiemout'"),
    ({"message": "m {gap}"}, "message", "unknown name 'gap'"),
    ({"fix": "a } b"}, "fix", "unmatched"),
    ({"at": "app"}, "at", "not a fact name"),
    ({"at": "host.nothing"}, "at", "unknown fact"),
    ({"related": "app.timeout"}, "related", "must be a list"),
    ({"related": [{"fact": "app.timeout", "msg": "x"}]}, "related[0]", "expected a fact name"),
    ({"let": {"app": "1"}}, "let.app", "shadows"),
    ({"let": {"a": "b + 1", "b": "1"}}, "let.a", "unknown name 'b'"),
    ({"docs": {"what": "x", "whatever": "y"}}, "docs.whatever", "unknown section"),
    ({"docs": {"references": "http://x"}}, "docs.references", "list of strings"),
    ({"examples": {"fail": [{"nginx": "x", "apache": "y"}]}}, "examples.fail[0]", "keys from"),
    ({"examples": {"fail": [{"options": {}}]}}, "examples.fail[0]", "needs an nginx, gunicorn or compose snippet"),
    ({"examples": {"fail": [{"nginx": "x", "options": {"cores": 2}}]}}, "examples.fail[0].options", "allowed"),
    ({"examples": {"broken": []}}, "examples.broken", "unknown key"),
    ({"enabled": "no"}, "enabled", "true or false"),
])
def test_schema_errors_name_file_and_key(changes, key, problem):
    with pytest.raises(RuleFileError) as raised:
        _rule(**changes)
    text = str(raised.value)
    assert text.startswith("rules/x/TST001.yaml: key "), text
    assert f"key '{key}'" in text and problem in text, text


def test_diagnostic_rules_may_omit_when():
    rule = _rule(scope="diagnostic", when=None, message="{diagnostic.message}")
    assert rule.when is None


def test_not_a_mapping():
    with pytest.raises(RuleFileError, match="must be a YAML mapping"):
        parse_rule(["code"], "r.yaml")


def test_invalid_yaml_names_file_and_line(tmp_path: Path):
    (tmp_path / "bad.yaml").write_text("code: TST001\nname: [unclosed\nseverity: warning\n")
    with pytest.raises(RuleFileError, match=r"bad\.yaml:\d+: invalid YAML"):
        load_rules([str(tmp_path)], include_bundled=False)


def _write(directory: Path, filename: str, **changes) -> None:
    import yaml

    data = {**BASE, **changes}
    (directory / filename).write_text(yaml.safe_dump(data))


def test_extra_rule_directories_and_duplicates(tmp_path: Path):
    _write(tmp_path, "TST001.yaml")
    rules = load_rules([str(tmp_path)])
    assert "TST001" in {rule.code for rule in rules}
    assert {"ADR001", "TMO002", "ADV001"} <= {rule.code for rule in rules}
    _write(tmp_path, "TST002.yml", code="TMO002", name="other-name")
    with pytest.raises(RuleFileError, match="duplicate rule code TMO002"):
        load_rules([str(tmp_path)])


def test_duplicate_names(tmp_path: Path):
    _write(tmp_path, "a.yaml")
    _write(tmp_path, "b.yaml", code="TST002")
    with pytest.raises(RuleFileError, match="key 'name': duplicate rule name test-rule"):
        load_rules([str(tmp_path)], include_bundled=False)


def test_missing_rules_directory(tmp_path: Path):
    with pytest.raises(RuleFileError, match="not a directory"):
        load_rules([str(tmp_path / "nope")])


def test_bundled_rules_found_in_checkout():
    directory = bundled_rules_dir()
    assert directory.is_dir() and (directory / "timeouts" / "TMO002.yaml").is_file()
