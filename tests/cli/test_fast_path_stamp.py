"""The fast path is off under another typer/click than the spec was generated with, and a required variadic
argument left empty is typer's to refuse."""

from __future__ import annotations

import importlib.metadata
import sys
from pathlib import Path

import pytest

from advisor.cli import fast_path, fast_spec


def test_the_spec_is_stamped_with_the_installed_parser_versions():
    assert fast_spec.PARSER_VERSIONS == fast_path.parser_versions()
    typer_version, click_version = fast_spec.PARSER_VERSIONS
    assert typer_version == importlib.metadata.version("typer")
    assert click_version in (f"typer {typer_version}", importlib.metadata.version("click"))


def test_another_typer_or_click_turns_the_fast_path_off(monkeypatch):
    assert fast_path.current_spec() is fast_spec.COMMANDS
    monkeypatch.setattr(fast_spec, "PARSER_VERSIONS", ("0.0.1", "8.0.0"))
    assert fast_path.current_spec() == {}
    fast_path.run(["advisor", "check", "nginx.conf"])  # returns: typer reads it


def _site(tmp_path: Path, *names: str, vendored_click: bool) -> Path:
    (tmp_path / "typer").mkdir()
    (tmp_path / "typer" / "__init__.py").write_text("")
    if vendored_click:
        (tmp_path / "typer" / "_click").mkdir()
    for name in names:
        (tmp_path / name).mkdir()
    return tmp_path


@pytest.mark.parametrize("names, vendored, expected", [
    (("typer-0.30.1.dist-info", "click-8.2.0.dist-info"), False, ("0.30.1", "8.2.0")),
    (("typer-0.30.1.dist-info", "click-8.2.0.dist-info"), True, ("0.30.1", "typer 0.30.1")),
    (("typer-0.30.1.dist-info", "typer-0.29.0.dist-info"), True, None),  # two installs: cannot tell
    (("typer-0.30.1.dist-info",), False, None),  # the click package's metadata is missing
    (("typer_slim-0.30.1.dist-info",), True, None),
])
def test_the_versions_are_read_from_the_first_typer_on_the_path(tmp_path, monkeypatch, names, vendored, expected):
    site = _site(tmp_path, *names, vendored_click=vendored)
    monkeypatch.setattr(sys, "path", [str(tmp_path / "empty"), str(site), *sys.path])
    assert fast_path.parser_versions() == expected


@pytest.mark.parametrize("required", [True, False])
def test_a_required_variadic_argument_left_empty_is_left_to_typer(required):
    spec = {"handler": "check", "arguments": (("paths", -1, required),), "options": {}, "defaults": {"paths": None}}
    assert (fast_path.parse([], spec) is None) is required
    assert fast_path.parse(["a.conf", "b.conf"], spec) == {"paths": ["a.conf", "b.conf"]}
