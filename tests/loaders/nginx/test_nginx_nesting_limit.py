"""Blocks nested beyond advisor's limit are one readable ADV001 at the line that crossed it, never Python's
recursion error at 1:1; the limit is advisor's, and the finding says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from advisor.loaders.nginx.parsing import parse_file
from advisor.loaders.nginx.statements import MAX_BLOCK_DEPTH

REPO = Path(__file__).resolve().parents[3]


def _nested(levels: int, inner: str = "proxy_pass http://127.0.0.1:8000;") -> str:
    return "location /a {\n" * levels + inner + "\n" + "}\n" * levels


def _depth(stmts: list[dict]) -> int:
    depth = 0
    while stmts and "block" in stmts[0]:
        stmts, depth = stmts[0]["block"], depth + 1
    return depth


def test_the_limit_itself_parses(tmp_path: Path):
    path = tmp_path / "nginx.conf"
    path.write_text(_nested(MAX_BLOCK_DEPTH))
    parsed = parse_file(str(path))
    assert parsed.errors == [] and _depth(parsed.stmts) == MAX_BLOCK_DEPTH


@pytest.mark.parametrize("levels", [MAX_BLOCK_DEPTH + 1, 5000])
def test_one_level_more_is_reported_where_the_limit_was_crossed(tmp_path: Path, levels: int):
    path = tmp_path / "nginx.conf"
    path.write_text("events {}\n" + _nested(levels))
    parsed = parse_file(str(path))
    assert [(error.message, error.line) for error in parsed.errors] == [
        (f"blocks nested too deeply (more than {MAX_BLOCK_DEPTH} levels)", MAX_BLOCK_DEPTH + 2)]


def test_skipping_a_wrongly_opened_block_does_not_recurse(tmp_path: Path):
    """`listen 80 {` is a syntax error whose block is skipped; deep nesting inside it is skipped, not recursed."""
    path = tmp_path / "nginx.conf"
    path.write_text("server {\nlisten 80 {\n" + _nested(3000) + "}\nserver_name x;\n}\n")
    parsed = parse_file(str(path))
    assert [error.line for error in parsed.errors] == [2]
    assert [stmt["directive"] for stmt in parsed.stmts[0]["block"]] == ["server_name"]


def test_the_finding_calls_it_advisors_limit(tmp_path: Path):
    (tmp_path / "nginx.conf").write_text(_nested(MAX_BLOCK_DEPTH + 1))
    (tmp_path / "gunicorn.conf.py").write_text('bind = "127.0.0.1:8000"\n')
    result = subprocess.run([sys.executable, "-m", "advisor", "check", "nginx.conf", "gunicorn.conf.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert f"nginx.conf:{MAX_BLOCK_DEPTH + 1}:1: ADV001 [error] blocks nested too deeply (more than " \
           f"{MAX_BLOCK_DEPTH} levels): a limit of advisor's, not of nginx" in result.stdout, result.stdout
    assert "recursion" not in result.stdout + result.stderr
    assert "nginx would refuse" not in result.stdout


def test_the_rule_docs_state_the_limit():
    assert f"more than {MAX_BLOCK_DEPTH} levels deep" in (REPO / "rules" / "meta" / "ADV001.yaml").read_text()
