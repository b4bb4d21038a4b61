"""Bounded structure: globs without backtracking, YAML aliases and depth, TOML depth, rule expressions, shell
expansion, script sizes and fuzzy suggestions."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from advisor.engine.expressions import ExpressionError, compile_expression
from advisor.engine.rules import RuleFileError, read_yaml
from advisor.globs import Glob, GlobError
from advisor.loaders.gunicorn.config_file import MAX_UNKNOWN_SETTINGS, parse_config_source
from advisor.loaders.sources.loader import MAX_SCRIPT_CHARS, load_source
from advisor.model.deployment import HostFacts
from advisor.project_config import ConfigError, parse_config_file
from advisor.yaml_limits import YamlLimitError, check_yaml


@pytest.mark.parametrize(("pattern", "path", "expected"), [
    ("**/*.conf", "deploy/nginx/site.conf", True), ("**/*.conf", "site.conf", True),
    ("*.conf", "deploy/site.conf", False), ("deploy/**", "deploy/a/b", True), ("a?c", "abc", True),
    ("a?c", "a/c", False), ("[!a]bc", "xbc", True), ("[!a]bc", "abc", False), ("[a-c]x", "bx", True),
    ("[]a]x", "]x", True), ("legacy/[", "legacy/[", True),
])
def test_glob_semantics(pattern: str, path: str, expected: bool) -> None:
    assert Glob(pattern).matches(path) is expected


def test_globs_do_not_backtrack() -> None:
    start = time.perf_counter()
    assert not Glob("**/" * 30 + "x").matches("a/" * 60 + "y")
    assert not Glob("*a" * 20 + "b").matches("a" * 200)
    assert time.perf_counter() - start < 5  # backtracking: hours


def test_a_reversed_range_is_a_glob_error_and_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(GlobError, match="invalid range z-a"):
        Glob("[z-a]")
    config = tmp_path / ".advisor.toml"
    config.write_text('per-file-ignores = {"[z-a]" = ["TMO"]}\n')
    with pytest.raises(ConfigError, match="invalid range"):
        parse_config_file(config)


def test_deep_toml_and_large_configs_are_config_errors(tmp_path: Path) -> None:
    config = tmp_path / ".advisor.toml"
    config.write_text("select = " + "[" * 10_000 + "]" * 10_000 + "\n")
    with pytest.raises(ConfigError, match="nested more than"):
        parse_config_file(config)
    config.write_text("# " + "x" * (1 << 20) + "\n")
    with pytest.raises(ConfigError, match=r"too large \(1048579 bytes; the limit is 1 MB\)"):
        parse_config_file(config)


def test_many_unknown_keys_are_warned_about_in_bounded_time(tmp_path: Path) -> None:
    config = tmp_path / ".advisor.toml"
    config.write_text("".join(f"unknown-key-{index} = {index}\n" for index in range(20_000)))
    start = time.perf_counter()
    parsed = parse_config_file(config)
    assert time.perf_counter() - start < 15  # quadratic: minutes
    assert len(parsed.warnings) == 101 and parsed.warnings[-1].message == "19900 more unknown keys ignored"
    assert parsed.warnings[0].line == 1


def _alias_bomb() -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(lines) + "\n"


def test_yaml_alias_bombs_and_depth() -> None:
    with pytest.raises(YamlLimitError, match="aliases expand"):
        check_yaml(_alias_bomb())
    with pytest.raises(YamlLimitError, match="nested more than 100 levels") as caught:
        check_yaml("x: 1\ny: " + "[" * 1000 + "]" * 1000)
    assert caught.value.line == 2
    check_yaml("x-base: &base {image: app}\nservices:\n  web: {<<: *base, command: gunicorn app:app}\n")


def test_rule_files_with_alias_bombs_are_rule_file_errors(tmp_path: Path) -> None:
    rule = tmp_path / "X1.yaml"
    rule.write_text(_alias_bomb())
    with pytest.raises(RuleFileError, match="aliases expand"):
        read_yaml(rule)


def test_compose_alias_bomb_and_merge_chain_are_findings(tmp_path: Path) -> None:
    compose = tmp_path / "compose.yaml"
    lines = ["x-m0: &m0 {command: gunicorn app:app}"]
    lines += [f"x-m{i}: &m{i} {{<<: [*m{i - 1}, *m{i - 1}], k{i}: v}}" for i in range(1, 40)]
    compose.write_text("\n".join(lines) + "\nservices:\n  web:\n    <<: *m39\n    image: app\n")
    start = time.perf_counter()
    result = load_source(str(compose), "compose", HostFacts.build())
    assert time.perf_counter() - start < 15  # quadratic: minutes
    assert any("aliases expand" in diagnostic.message for diagnostic in result.diagnostics)


def test_rule_expressions_are_bounded() -> None:
    with pytest.raises(ExpressionError, match="nested more than"):
        compile_expression("-" * 1000 + "1 > 0")
    with pytest.raises(ExpressionError, match="longer than"):
        compile_expression(" or ".join(["True"] * 2000))
    assert compile_expression("app.timeout > 2 * route.read_timeout").facts


def test_self_doubling_shell_variables_become_unknown(tmp_path: Path) -> None:
    script = tmp_path / "start.sh"
    script.write_text("#!/bin/sh\nW=4\nA=xxxxxxxx\n" + "A=$A$A\n" * 60 + "exec gunicorn app:app -w $W --name \"$A\"\n")
    start = time.perf_counter()
    result = load_source(str(script), "shell", HostFacts.build())
    assert time.perf_counter() - start < 15  # quadratic: minutes
    assert result.servers and result.servers[0].result.app.settings["workers"].value == 4


def test_a_huge_script_is_not_read(tmp_path: Path) -> None:
    script = tmp_path / "start.sh"
    script.write_text("#!/bin/sh\n" + "echo hello\n" * (MAX_SCRIPT_CHARS // 10) + "exec gunicorn app:app\n")
    result = load_source(str(script), "shell", HostFacts.build())
    assert not result.servers
    assert [d.severity for d in result.diagnostics] == ["info"]
    assert "is not read" in result.diagnostics[0].message


def test_a_long_procfile_is_linear_and_capped(tmp_path: Path) -> None:
    procfile = tmp_path / "Procfile"
    procfile.write_text("".join(f"web{index}: gunicorn app:app -w 2\n" for index in range(3000)))
    start = time.perf_counter()
    result = load_source(str(procfile), "procfile", HostFacts.build())
    assert time.perf_counter() - start < 20
    assert len(result.servers) == 200
    assert any("only the first 200" in diagnostic.message for diagnostic in result.diagnostics)


def test_many_unknown_gunicorn_settings_are_capped() -> None:
    text = "workers = 2\n" + "".join(f"setting_{index}x = {index}\n" for index in range(5000))
    start = time.perf_counter()
    layer = parse_config_source(text.encode(), "gunicorn.conf.py", HostFacts.build())
    assert time.perf_counter() - start < 10
    assert len(layer.unknown_settings) == MAX_UNKNOWN_SETTINGS
    assert any("more names that are not gunicorn settings" in d.message for d in layer.diagnostics)
    assert layer.unknown_settings[0].suggestion is not None or layer.unknown_settings[0].name == "setting_0x"
