"""The rule caches trust only private files: both levels skip a file owned by someone else or writable by others,
the directory is created 0700, writes never follow a planted symlink, and another interpreter's cache is a miss."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from advisor.engine import rule_cache
from advisor.engine.rules import read_yaml

from rule_cache_support import RULE, cache  # noqa: F401  (cache is a fixture)


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules" / "TST001.yaml"
    path.parent.mkdir()
    path.write_text(RULE)
    old = time.time() - 10  # settled: the compiled level stores only files that did not just change
    os.utime(path, (old, old))
    os.utime(path.parent, (old, old))
    return path


def _documents(path: Path, parsed: list[Path]) -> dict:
    return rule_cache.load_documents([path], lambda item: parsed.append(item) or read_yaml(item))


def _compiled(path: Path, built: list[int]) -> str:
    def build() -> tuple[list[Path], str]:
        built.append(1)
        return [path], "compiled result"
    return rule_cache.load_compiled([path.parent], "test", build)


skip_without_uids = pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX owners")


@skip_without_uids
def test_documents_owned_by_someone_else_are_not_read(cache: Path, rule_file: Path, monkeypatch):
    parsed: list[Path] = []
    _documents(rule_file, parsed)
    _documents(rule_file, parsed)
    assert len(parsed) == 1  # the second came from the cache
    monkeypatch.setattr(os, "getuid", lambda: os.geteuid() + 1)  # the file now belongs to "someone else"
    _documents(rule_file, parsed)
    assert len(parsed) == 2


@skip_without_uids
def test_documents_others_can_write_are_not_read(cache: Path, rule_file: Path):
    parsed: list[Path] = []
    _documents(rule_file, parsed)
    (cached,) = cache.glob("rules-*.json")
    stored = json.loads(cached.read_text())
    stored["documents"][str(rule_file)]["summary"] = "planted"
    cached.write_text(json.dumps(stored))
    os.chmod(cached, 0o666)
    assert _documents(rule_file, parsed)[str(rule_file)]["summary"] == "s"


@skip_without_uids
def test_compiled_rules_owned_by_someone_else_are_not_unpickled(cache: Path, rule_file: Path, monkeypatch):
    built: list[int] = []
    assert _compiled(rule_file, built) == _compiled(rule_file, built) == "compiled result"
    assert len(built) == 1
    monkeypatch.setattr(os, "getuid", lambda: os.geteuid() + 1)
    _compiled(rule_file, built)
    assert len(built) == 2


def test_the_cache_directory_is_private(cache: Path, rule_file: Path):
    _documents(rule_file, [])
    assert cache.stat().st_mode & 0o777 == 0o700
    (cached,) = cache.glob("rules-*.json")
    assert cached.stat().st_mode & 0o777 == 0o600
    assert [item.name for item in cache.iterdir()] == [cached.name]  # no temporary file left behind


def test_a_planted_symlink_at_a_predictable_temporary_name_is_not_followed(cache: Path, rule_file: Path,
                                                                          tmp_path: Path):
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    _documents(rule_file, [])
    (cached,) = cache.glob("rules-*.json")
    cached.unlink()
    for name in (f"{cached.stem}.{os.getpid()}.tmp", f".{cached.name}.tmp"):  # names a writer could be told to use
        (cache / name).symlink_to(victim)
    _documents(rule_file, [])
    assert victim.read_text() == "keep me"
    assert cached.exists() and not cached.is_symlink()


def test_another_interpreter_does_not_use_the_cache(cache: Path, rule_file: Path, monkeypatch):
    parsed: list[Path] = []
    built: list[int] = []
    _documents(rule_file, parsed)
    _compiled(rule_file, built)
    monkeypatch.setattr(sys.implementation, "cache_tag", "otherpython-399")
    _documents(rule_file, parsed)
    _compiled(rule_file, built)
    assert len(parsed) == 2 and len(built) == 2
