"""`phrases_from`: wording tables shared by several rule files, defined once in a `*.phrases.yaml` file."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine.rules import RuleFileError, bundled_rules_dir, load_rule_file, load_rules

RULE = """code: TST001
name: shared-wording
severity: warning
scope: link
summary: s
when: route.read_timeout < app.timeout
phrases_from: wording.phrases.yaml
{own}message: "{{outcome}}"
"""
SHARED = """phrases:
  who:
    by: app.timeout > 30
    true: "long requests"
    false: "some requests"
  outcome:
    by: app.timeout > 60
    true: "{who} get 504 and then 500"
    false: "{who} get 504"
"""


def _write(directory: Path, own: str = "", shared: str = SHARED) -> Path:
    (directory / "wording.phrases.yaml").write_text(shared)
    path = directory / "TST001.yaml"
    path.write_text(RULE.format(own=own))
    return path


def test_shared_tables_come_first_and_a_rule_replaces_one_in_place(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ADVISOR_NO_CACHE", "1")
    own = 'phrases:\n  who: {by: "1", 2: "two", else: "all requests"}\n  extra: {by: "1", 2: "x", else: "y"}\n'
    rule = load_rule_file(_write(tmp_path, own))
    assert [phrase.name for phrase in rule.phrases] == ["who", "outcome", "extra"]
    assert set(rule.phrases[0].cases) == {"2"} and set(rule.phrases[1].cases) == {"true", "false"}
    (loaded,) = load_rules([str(tmp_path)], include_bundled=False)  # the phrases file is no rule
    assert [phrase.name for phrase in loaded.phrases] == ["who", "outcome", "extra"]


def test_a_missing_or_malformed_phrases_file_is_a_rule_file_error(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (tmp_path / "wording.phrases.yaml").unlink()
    with pytest.raises(RuleFileError, match="phrases_from.*not found"):
        load_rule_file(path)
    path = _write(tmp_path, shared="who: {by: '1', 2: x}\n")
    with pytest.raises(RuleFileError, match="one key"):
        load_rule_file(path)
    path.write_text(RULE.format(own="").replace("wording.phrases.yaml", "../wording.phrases.yaml"))
    with pytest.raises(RuleFileError, match="beside the rule file"):
        load_rule_file(path)


def test_the_address_rules_share_one_wording_table() -> None:
    """The bind caveat is written once; ADR001-ADR006 all use it (ADR005/ADR006 name only --host for uvicorn)."""
    addressing = bundled_rules_dir() / "addressing"
    holders = [path.name for path in sorted(addressing.glob("*.yaml"))
               if "The command that starts {route.link_server}" in path.read_text()]
    assert holders == ["bind.phrases.yaml"]
    rules = {rule.code: rule for rule in load_rules()}
    for code in ("ADR001", "ADR002", "ADR003", "ADR004", "ADR005", "ADR006"):
        names = [phrase.name for phrase in rules[code].phrases]
        assert names[:4] == ["bind_option", "option", "unless", "caveat"], code
