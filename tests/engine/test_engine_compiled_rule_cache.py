"""The compiled-rules cache: a hit skips validation and compilation; any change to what the rules were compiled from
misses; a foreign, corrupt or unwritable cache is never needed."""

from __future__ import annotations

import ast
import os
import pickle
import time
from pathlib import Path

import pytest

from advisor.engine import rule_cache, rules as rules_module
from advisor.engine.expressions import Expression, Template
from advisor.engine.rules import DeferredTemplate, RuleFileError, load_rules

from rule_cache_support import RULE, cache  # noqa: F401  (cache is a fixture)


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The rule files validated and compiled (not served from the cache)."""
    calls: list[str] = []
    original = rules_module.parse_rule
    monkeypatch.setattr(rules_module, "parse_rule", lambda data, path, **kw: calls.append(path) or original(
        data, path, **kw))
    return calls


def _rules_dir(tmp_path: Path, text: str = RULE, name: str = "TST001.yaml") -> Path:
    directory = tmp_path / "rules"
    directory.mkdir(exist_ok=True)
    (directory / name).write_text(text)
    old = time.time() - 10  # written "long ago": a file changed while it is compiled is not cached
    os.utime(directory / name, (old, old))
    os.utime(directory, (old, old))
    return directory


def _codes(rules_dir: Path) -> dict[str, str]:
    return {rule.code: rule.severity for rule in load_rules([str(rules_dir)], include_bundled=False)}


def test_a_second_load_compiles_nothing(cache: Path, tmp_path: Path, parses: list[str]):
    rules_dir = _rules_dir(tmp_path)
    first = load_rules([str(rules_dir)], include_bundled=False)
    assert len(parses) == 1 and len(list(cache.glob("compiled-*.pickle"))) == 1
    second = load_rules([str(rules_dir)], include_bundled=False)
    assert len(parses) == 1
    assert [_shape(rule) for rule in second] == [_shape(rule) for rule in first]


def _shape(rule) -> tuple:
    """What a rule compares by: its fields, with expressions as their syntax trees (ast nodes compare by identity)."""
    def plain(value):
        if isinstance(value, Expression):
            return value.text, ast.dump(value.node), value.names, value.facts, value.bound
        if isinstance(value, (Template, DeferredTemplate)):
            return tuple(plain(part) for part in value.parts)
        if isinstance(value, (tuple, list)):
            return tuple(plain(item) for item in value)
        return value

    return tuple(plain(getattr(rule, name)) for name in rule.__slots__ if name not in ("phrases", "related"))


def test_bundled_rules_keep_their_templates_deferred_through_the_cache(cache: Path, parses: list[str]):
    first = load_rules()
    count = len(parses)
    second = load_rules()
    assert len(parses) == count  # the second load came from the cache
    deferred = [rule for rule in second if isinstance(rule.message, DeferredTemplate)]
    assert deferred and [rule.code for rule in second] == [rule.code for rule in first]
    by_code = {rule.code: rule for rule in first}
    for rule in deferred:  # compiled and checked on first use
        assert _shape(rule) == _shape(by_code[rule.code])


@pytest.mark.parametrize("change", ["edit", "add", "remove"])
def test_a_changed_rules_directory_misses(cache: Path, tmp_path: Path, change: str):
    rules_dir = _rules_dir(tmp_path)
    _rules_dir(tmp_path, RULE.replace("TST001", "TST002").replace("test-rule", "other-rule"), "TST002.yaml")
    assert _codes(rules_dir) == {"TST001": "warning", "TST002": "warning"}
    if change == "edit":
        (rules_dir / "TST001.yaml").write_text(RULE.replace("severity: warning", "severity: error"))
        expected = {"TST001": "error", "TST002": "warning"}
    elif change == "add":
        sub = rules_dir / "more"
        sub.mkdir()
        (sub / "TST003.yaml").write_text(RULE.replace("TST001", "TST003").replace("test-rule", "third-rule"))
        expected = {"TST001": "warning", "TST002": "warning", "TST003": "warning"}
    else:
        (rules_dir / "TST002.yaml").unlink()
        expected = {"TST001": "warning"}
    assert _codes(rules_dir) == expected


def test_the_stamps_cover_version_rule_files_directories_and_loaded_modules(tmp_path: Path):
    rules_dir = _rules_dir(tmp_path)
    stamps = dict(rule_cache._stamps([rules_dir], [rules_dir / "TST001.yaml"]))
    assert stamps["version"] and str(rules_dir / "TST001.yaml") in stamps and str(rules_dir) in stamps
    assert rules_module.__file__ in stamps  # a changed rule class or fact catalogue misses too


def test_a_changed_stamp_misses(cache: Path, tmp_path: Path, parses: list[str]):
    rules_dir = _rules_dir(tmp_path)
    _codes(rules_dir)
    (cached,) = cache.glob("compiled-*.pickle")
    name, stamps, blob = pickle.loads(cached.read_bytes())
    path, (size, mtime, inode) = stamps[-1]  # a module file, as if it had been edited since
    stamps[-1] = (path, (size + 1, mtime, inode))
    cached.write_bytes(pickle.dumps((name, stamps, blob)))
    os.chmod(cached, 0o600)
    _codes(rules_dir)
    assert len(parses) == 2


def test_a_cache_file_others_can_write_is_not_read(cache: Path, tmp_path: Path, parses: list[str]):
    rules_dir = _rules_dir(tmp_path)
    _codes(rules_dir)
    (cached,) = cache.glob("compiled-*.pickle")
    assert cached.stat().st_mode & 0o077 == 0
    os.chmod(cached, 0o666)
    _codes(rules_dir)
    assert len(parses) == 2


def test_a_corrupt_cache_file_is_a_miss(cache: Path, tmp_path: Path):
    rules_dir = _rules_dir(tmp_path)
    _codes(rules_dir)
    (cached,) = cache.glob("compiled-*.pickle")
    for garbage in (b"", b"not a pickle", pickle.dumps(("other", [], b"")), pickle.dumps(42)):
        cached.write_bytes(garbage)
        assert _codes(rules_dir) == {"TST001": "warning"}


def test_an_unwritable_cache_location_only_costs_time(tmp_path: Path, monkeypatch, parses: list[str]):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.delenv("ADVISOR_NO_CACHE", raising=False)
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(blocker / "sub"))  # no directory can be made below a file
    rules_dir = _rules_dir(tmp_path)
    assert _codes(rules_dir) == _codes(rules_dir) == {"TST001": "warning"}
    assert len(parses) == 2


def test_invalid_rules_are_reported_every_time(cache: Path, tmp_path: Path):
    rules_dir = _rules_dir(tmp_path, RULE.replace("app.timeout == 0", "app.no_such_fact == 0"))
    for _ in range(2):
        with pytest.raises(RuleFileError, match="unknown fact"):
            _codes(rules_dir)
    assert not list(cache.glob("compiled-*.pickle"))


def test_a_file_changed_while_it_was_compiled_is_not_cached(cache: Path, tmp_path: Path):
    rules_dir = _rules_dir(tmp_path)
    (rules_dir / "TST001.yaml").write_text(RULE)  # just now: it may change again while it is compiled
    _codes(rules_dir)
    assert not list(cache.glob("compiled-*.pickle"))
    settled = time.time() - rule_cache.SETTLE_NS / 1e9 - 1
    os.utime(rules_dir / "TST001.yaml", (settled, settled))
    _codes(rules_dir)
    assert list(cache.glob("compiled-*.pickle"))
