"""The dataclass code cache (advisor/dataclass_code_cache.py): classes built with cached code behave exactly as
classes built by dataclasses alone, a second process compiles nothing, and a cache file that is not this user's
private file, is damaged or was written by another interpreter is not used."""

from __future__ import annotations

import dataclasses
import marshal
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from advisor import dataclass_code_cache
from advisor.dataclass_code_cache import CodeCache


def _declare() -> dict[str, type]:
    """A few classes covering the options advisor uses (defined in a function: built on each call)."""

    @dataclasses.dataclass(frozen=True, slots=True)
    class Point:
        x: int
        y: int = 0
        tags: tuple[str, ...] = ()

    @dataclasses.dataclass(order=True)
    class Version:
        major: int
        minor: int = 0
        notes: list[str] = dataclasses.field(default_factory=list, compare=False)

    @dataclasses.dataclass(kw_only=True)
    class Options:
        name: str
        retries: int = 3

        def __post_init__(self) -> None:
            self.name = self.name.strip()

    return {"Point": Point, "Version": Version, "Options": Options}


def _behaviour(classes: dict[str, type]) -> list[Any]:
    point, version, options = classes["Point"], classes["Version"], classes["Options"]
    seen: list[Any] = [repr(point(1, 2)), point(1) == point(1, 0), hash(point(3, 4)) == hash(point(3, 4)),
                       version(1, 2) < version(1, 3), version(1, notes=["a"]) == version(1),
                       repr(options(name=" web ")), point.__init__.__annotations__, version.__init__.__defaults__]
    try:
        point(1).x = 5  # type: ignore[misc]
    except dataclasses.FrozenInstanceError as error:
        seen.append(type(error).__name__)
    try:
        options("positional")  # type: ignore[misc]
    except TypeError:
        seen.append("keyword only")
    return seen


def _with_cache(cache: CodeCache, monkeypatch: pytest.MonkeyPatch) -> dict[str, type]:
    with monkeypatch.context() as patch:
        patch.setattr(dataclasses, "exec", cache.exec, raising=False)
        return _declare()


def test_classes_built_with_cached_code_behave_like_plain_dataclasses(tmp_path: Path, monkeypatch):
    plain = _behaviour(_declare())
    first = CodeCache(str(tmp_path / "code.marshal"))
    assert _behaviour(_with_cache(first, monkeypatch)) == plain
    assert first.compiled > 0
    first.save()
    second = CodeCache(str(tmp_path / "code.marshal"))
    classes = _with_cache(second, monkeypatch)
    assert second.compiled == 0  # everything came from the file
    assert _behaviour(classes) == plain
    assert classes["Point"].__init__.__code__.co_code == _declare()["Point"].__init__.__code__.co_code
    # compiled without advisor's `from __future__ import annotations`: the annotation is the field's, not the text
    # of the generated parameter (`_type_x`)
    assert classes["Point"].__init__.__annotations__["x"] == "int"


def _saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    path = str(tmp_path / "code.marshal")
    cache = CodeCache(path)
    _with_cache(cache, monkeypatch)
    cache.save()
    return path


def test_a_file_others_can_write_is_not_used(tmp_path: Path, monkeypatch):
    path = _saved(tmp_path, monkeypatch)
    os.chmod(path, 0o666)
    assert CodeCache(path).codes == {}


@pytest.mark.parametrize("damage", ["truncate", "other build", "not a mapping"])
def test_a_damaged_or_foreign_file_is_a_miss(tmp_path: Path, monkeypatch, damage: str):
    path = _saved(tmp_path, monkeypatch)
    with open(path, "rb") as handle:
        build, codes = marshal.loads(handle.read())
    data = {"truncate": marshal.dumps((build, codes))[:100], "other build": marshal.dumps(("Python 0.1", codes)),
            "not a mapping": marshal.dumps((build, [1, 2]))}[damage]
    with open(path, "wb") as handle:
        handle.write(data)
    cache = CodeCache(path)
    assert cache.codes == {}
    assert _behaviour(_with_cache(cache, monkeypatch)) == _behaviour(_declare())


def test_nothing_is_written_without_new_code_or_without_a_cache_directory(tmp_path: Path, monkeypatch):
    path = _saved(tmp_path, monkeypatch)
    before = os.stat(path).st_mtime_ns
    unchanged = CodeCache(path)
    _with_cache(unchanged, monkeypatch)
    unchanged.save()
    assert os.stat(path).st_mtime_ns == before
    monkeypatch.setenv("ADVISOR_NO_CACHE", "1")
    assert dataclass_code_cache.cache_path() is None


def test_the_command_line_fills_the_cache_once(tmp_path: Path):
    """A first `advisor --help`-free run writes the file; a second run compiles nothing and prints the same."""
    (tmp_path / "nginx.conf").write_text("events {}\nhttp { server { listen 80; location / { return 200; } } }\n")
    (tmp_path / ".git").mkdir()
    env = {**os.environ, "ADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("ADVISOR_NO_CACHE", None)
    probe = ("import sys, dataclasses\nfrom advisor.cli import main\nsys.argv = ['advisor', *sys.argv[1:]]\n"
             "try:\n    main(leave_quickly=False)\nfinally:\n"
             "    sys.stderr.write('\\ncompiled=%d' % dataclasses.exec.__self__.compiled)\n")
    runs = [subprocess.run([sys.executable, "-c", probe, "check", "nginx.conf", "--color", "never"], cwd=tmp_path,
                           capture_output=True, text=True, env=env, timeout=120) for _ in range(2)]
    assert int(runs[0].stderr.rsplit("compiled=", 1)[1]) > 0
    assert int(runs[1].stderr.rsplit("compiled=", 1)[1]) == 0
    assert runs[0].stdout == runs[1].stdout and runs[0].returncode == runs[1].returncode
    assert list((tmp_path / "cache").glob("dataclass-code-*.marshal"))


def test_a_full_cache_keeps_only_what_the_last_run_used(tmp_path: Path, monkeypatch):
    path = str(tmp_path / "code.marshal")
    stale = CodeCache(path)
    stale.codes.update({f"# old text {index}\n": compile("", "<string>", "exec")
                        for index in range(dataclass_code_cache.MAX_ENTRIES)})
    stale.compiled = 1
    stale.save()
    cache = CodeCache(path)
    assert len(cache.codes) == dataclass_code_cache.MAX_ENTRIES
    _with_cache(cache, monkeypatch)  # compiles this test's classes: now over the limit
    cache.save()
    kept = CodeCache(path).codes
    assert kept and set(kept) == cache.used
