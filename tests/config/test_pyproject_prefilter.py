"""A pyproject.toml is parsed during config discovery only when its text could define [tool.advisor]: one that
merely mentions advisor (a script, a dependency) is skipped unparsed (and not an error when broken), while every
way TOML has to write the table is still found."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from advisor.project_config import _may_hold_advisor_table, find_config_file, load_project_config

DEFINES_TABLE = [
    '[tool.advisor]\nselect = ["TMO"]\n',
    '[[tool.advisor.pairs]]\nnginx = ["nginx.conf"]\napp = ["gunicorn.conf.py"]\n',
    '[tool.advisor.severity]\nTMO002 = "info"\n',
    '[ "tool" . \'advisor\' ]\nselect = ["TMO"]\n',
    '[tool]\nadvisor = {select = ["TMO"]}\n',
    '[tool]\nadvisor.select = ["TMO"]\n',
    'tool.advisor.select = ["TMO"]\n',
    'tool . "advisor" = {select = ["TMO"]}\n',
    'tool = {advisor = {select = ["TMO"]}}\n',
    '[project]\nname = "x"\n\n  [tool.advisor]\n  select = ["TMO"]\n',
    '[tool."adv\\u0069sor"]\nselect = ["TMO"]\n# advisor\n',
]
CANNOT_DEFINE_TABLE = [
    '[project]\nname = "proxy-advisor"\n[project.scripts]\nadvisor = "advisor.cli:main"\n[tool.hatch.build]\nx = 1\n',
    '[tool.advisorx]\na = 1\n',
    '[tool.ruff]\nline-length = 100  # advisor\n',
    '[project]\ndependencies = ["proxy-advisor>=1"]\n[tool.pytest.ini_options]\naddopts = "-q"\n',
]


@pytest.mark.parametrize("text", DEFINES_TABLE)
def test_every_spelling_of_the_table_is_parsed(text):
    document = tomllib.loads(text)
    assert "advisor" in document["tool"]  # the fixture is what it claims
    assert _may_hold_advisor_table(text)


@pytest.mark.parametrize("text", CANNOT_DEFINE_TABLE)
def test_a_pyproject_that_only_mentions_advisor_is_not_parsed(text):
    assert "advisor" not in tomllib.loads(text).get("tool", {})
    assert not _may_hold_advisor_table(text)


def test_discovery_skips_a_broken_pyproject_that_cannot_hold_the_table(tmp_path: Path):
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[project.scripts]\nadvisor = "shop:main"\n[tool.ruff\n')
    assert find_config_file(tmp_path) is None
    assert load_project_config(tmp_path) is None
    (tmp_path / "pyproject.toml").write_text(
        '[project.scripts]\nadvisor = "shop:main"\n[tool.advisor]\nfail-on = "error"\n')
    assert load_project_config(tmp_path).fail_on == "error"
