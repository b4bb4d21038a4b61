"""Whole deployments: clean pairs stay silent, the broken pair reports exactly what expected.json says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.commands.options import HostFacts, Inputs
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.engine.selection import select_rules
from advisor.loaders.deployment import build_deployment

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
RULES = load_rules()


def _check(directory: Path, selection=None):
    inputs = Inputs(nginx=[str(directory / "nginx.conf")], app=[str(directory / "gunicorn.conf.py")])
    deployment = build_deployment(inputs, HostFacts.build())
    return run_rules(deployment, RULES, select_rules(RULES) if selection is None else selection, strict=True)


@pytest.mark.parametrize("name", ["clean-unix", "clean-tcp"])
def test_clean_pair_has_no_warnings_or_errors(name):
    result = _check(FIXTURES / "rules" / name)
    serious = [(f.code, f.line, f.message) for f in result.findings if f.severity != "info"]
    assert serious == []
    assert not [skip for skip in result.skips if skip.kind == "error"]


@pytest.mark.parametrize("name", ["clean-unix", "clean-tcp"])
def test_clean_pair_is_linked(name):
    """Guard against a vacuous pass: the rules did see a linked route and app server."""
    inputs = Inputs(nginx=[str(FIXTURES / "rules" / name / "nginx.conf")],
                    app=[str(FIXTURES / "rules" / name / "gunicorn.conf.py")])
    deployment = build_deployment(inputs, HostFacts.build())
    assert deployment.links
    assert {d.status for d in deployment.route_diagnoses.values()} == {"linked"}


def test_broken_pair_matches_expected():
    directory = FIXTURES / "rules" / "broken-pair"
    expected = json.loads((directory / "expected.json").read_text())
    result = _check(directory)
    got = [[f.code, Path(f.path).name, f.line] for f in result.findings]
    assert got == expected["findings"]
    suppressed = [[s.finding.code, Path(s.finding.path).name, s.finding.line] for s in result.suppressed]
    assert suppressed == expected["suppressed"]
    assert result.used_suppressions and result.used_suppressions[0].line == 19


@pytest.mark.parametrize("pair", sorted(p.name for p in (FIXTURES / "pairs").iterdir() if p.is_dir()))
def test_shared_fixture_pairs_raise_no_rule_errors(pair):
    """Every rule evaluates on the shared fixture pairs (fixtures/pairs) without an expression error."""
    result = _check(FIXTURES / "pairs" / pair)
    assert result.rules_run >= 15
    assert not [skip for skip in result.skips if skip.kind == "error"]


def _run_texts(tmp_path: Path, nginx: str, gunicorn: str):
    (tmp_path / "nginx.conf").write_text(nginx)
    (tmp_path / "gunicorn.conf.py").write_text(gunicorn)
    return _check(tmp_path)


NGINX = "server {\n  location / {\n    proxy_pass http://127.0.0.1:8000;\n    proxy_connect_timeout 100s;\n  }\n}\n"
GUNICORN = 'bind = "127.0.0.1:8000"\ntimeout = 0\nbacklog = 64\n'


def test_inline_suppressions_through_the_real_loaders(tmp_path: Path):
    plain = _run_texts(tmp_path, NGINX, GUNICORN)
    assert {f.code for f in plain.findings} == {"TMO004", "TMO006"}
    suppressed = _run_texts(
        tmp_path, "# advisor: file-ignore[TMO]\n" + NGINX,
        'bind = "127.0.0.1:8000"\n# advisor: ignore[worker-timeout-disabled] -- batch jobs run for hours\n'
        "timeout = 0\nbacklog = 64\n")
    assert suppressed.findings == []
    assert sorted(item.finding.code for item in suppressed.suppressed) == ["TMO004", "TMO006"]
    assert {item.suppression.file_level for item in suppressed.suppressed} == {True, False}


def test_suppression_for_another_code_keeps_the_finding(tmp_path: Path):
    result = _run_texts(tmp_path, NGINX,
                        'bind = "127.0.0.1:8000"\ntimeout = 0  # advisor: ignore[TMO001]\nbacklog = 64\n')
    assert "TMO006" in {f.code for f in result.findings}
    assert result.used_suppressions == []
