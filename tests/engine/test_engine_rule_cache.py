"""The parsed-YAML cache: hits when nothing changed, misses on any edit, never required."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from advisor import cache_files
from advisor.engine import rule_cache
from advisor.engine.rules import RuleFileError, load_rules, read_yaml

from rule_cache_support import RULE, cache  # noqa: F401  (cache is a fixture)


def _rules_dir(tmp_path: Path, text: str = RULE) -> Path:
    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    (directory / "TST001.yaml").write_text(text)
    return directory


def test_second_load_does_not_parse_yaml(cache: Path, tmp_path: Path, monkeypatch):
    rules_dir = _rules_dir(tmp_path)
    first = load_rules([str(rules_dir)])
    files = list(cache.glob("rules-*.json"))
    assert len(files) == 1
    calls = []
    monkeypatch.setattr("advisor.engine.rules.read_yaml", lambda path: calls.append(path) or read_yaml(path))
    second = load_rules([str(rules_dir)])
    assert calls == [] and [rule.code for rule in second] == [rule.code for rule in first]
    assert second[-1].message.text == first[-1].message.text


def test_an_edit_misses_the_cache(cache: Path, tmp_path: Path):
    rules_dir = _rules_dir(tmp_path)
    load_rules([str(rules_dir)])
    time.sleep(0.01)
    (rules_dir / "TST001.yaml").write_text(RULE.replace("severity: warning", "severity: error"))
    rules = {rule.code: rule for rule in load_rules([str(rules_dir)])}
    assert rules["TST001"].severity == "error"


def test_an_invalid_rule_is_still_reported_from_the_cache(cache: Path, tmp_path: Path):
    rules_dir = _rules_dir(tmp_path, RULE.replace("severity: warning", "severity: loud"))
    for _ in range(2):
        with pytest.raises(RuleFileError, match="key 'severity'"):
            load_rules([str(rules_dir)])


def test_yaml_errors_are_not_cached(cache: Path, tmp_path: Path):
    rules_dir = _rules_dir(tmp_path, "code: [\n")
    with pytest.raises(RuleFileError, match="invalid YAML"):
        load_rules([str(rules_dir)])
    assert not list(cache.glob("rules-*.json")) if cache.exists() else True


def test_corrupt_or_unwritable_cache_is_ignored(cache: Path, tmp_path: Path):
    rules_dir = _rules_dir(tmp_path)
    load_rules([str(rules_dir)])
    (cached,) = cache.glob("rules-*.json")
    cached.write_text("{not json")
    assert "TST001" in {rule.code for rule in load_rules([str(rules_dir)])}
    cached.write_text(json.dumps({"other": 1}))
    assert "TST001" in {rule.code for rule in load_rules([str(rules_dir)])}


def test_unwritable_location(tmp_path: Path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.delenv("ADVISOR_NO_CACHE", raising=False)
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(blocker / "sub"))  # a directory cannot be created below a file
    assert "TST001" in {rule.code for rule in load_rules([str(_rules_dir(tmp_path))])}


def test_cache_location_and_switch():
    assert cache_files.cache_dir({"ADVISOR_NO_CACHE": "1", "ADVISOR_CACHE_DIR": "/x"}) is None
    assert cache_files.cache_dir({"ADVISOR_CACHE_DIR": "/x"}) == Path("/x")
    assert cache_files.cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/advisor")
    assert cache_files.cache_dir({}) == Path(os.path.expanduser("~")) / ".cache" / "advisor"


def test_old_cache_files_are_pruned(cache: Path, tmp_path: Path):
    for index in range(cache_files.KEEP_FILES + 3):
        directory = tmp_path / f"set{index}"
        directory.mkdir()
        (directory / "TST001.yaml").write_text(RULE)
        load_rules([str(directory)])
    assert len(list(cache.glob("rules-*.json"))) == cache_files.KEEP_FILES


def test_a_cache_file_for_other_rule_files_is_not_used(cache: Path, tmp_path: Path, monkeypatch):
    """The file name is only a checksum: the exact signature stored inside decides (a collision must miss)."""
    path = _rules_dir(tmp_path) / "TST001.yaml"
    rule_cache.load_documents([path], read_yaml)
    (cached,) = cache.glob("rules-*.json")
    stored = json.loads(cached.read_text())
    stored["signature"] += "-other"
    stored["documents"][str(path)]["summary"] = "stale"
    cached.write_text(json.dumps(stored))
    assert rule_cache.load_documents([path], read_yaml)[str(path)]["summary"] == "s"
