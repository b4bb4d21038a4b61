"""The distribution name of our own (`proxy-advisor`), install hints that use it, and the repository URL kept in
one place (pyproject.toml `[project.urls]`) with no placeholder while it is unset."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from advisor import distribution
from advisor.distribution import DIST_NAME, install_hint, project_url

REPO = Path(__file__).resolve().parents[2]


def _pyproject(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    return path


def test_distribution_name_is_ours_and_the_command_stays_advisor():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["name"] == DIST_NAME == "proxy-advisor"
    assert project["scripts"] == {"advisor": "advisor.cli:main"}
    assert install_hint() == "pip install proxy-advisor"
    assert install_hint("plot") == "pip install 'proxy-advisor[plot]'"


def test_repository_url_is_read_from_project_urls(tmp_path: Path):
    path = _pyproject(tmp_path, '[project]\nname = "proxy-advisor"\n\n[project.urls]\n'
                                'Homepage = "https://proxy-advisor.example.org"\n'
                                'Repository = "https://git.example.org/team/proxy-advisor/"\n')
    assert project_url(path) == "https://git.example.org/team/proxy-advisor"


def test_unset_repository_url_is_none(tmp_path: Path):
    path = _pyproject(tmp_path, '[project]\nname = "proxy-advisor"\n\n[project.urls]\n'
                                '# Repository = "https://github.com/OWNER/proxy-advisor"\n')
    assert project_url(path) is None


def test_another_projects_pyproject_is_not_read(tmp_path: Path, monkeypatch):
    """Installed in site-packages, a stray pyproject.toml there is not ours: the installed metadata decides."""
    path = _pyproject(tmp_path, '[project]\nname = "other"\n[project.urls]\nRepository = "https://other.example"\n')
    monkeypatch.setattr(distribution, "_metadata_urls", lambda: {"Source": "https://git.example.org/p-a"})
    assert project_url(path) == "https://git.example.org/p-a"
    monkeypatch.setattr(distribution, "_metadata_urls", lambda: {})
    assert project_url(path) is None


def _product_texts() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "advisor").rglob("*.py")), *sorted((REPO / "docs").rglob("*.md"))]


@pytest.mark.parametrize("path", _product_texts(), ids=lambda path: str(path.relative_to(REPO)))
def test_no_install_hint_names_the_unrelated_advisor_package_or_a_placeholder_url(path: Path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"pip install\s+['\"]?advisor\b", text), "install hints must name proxy-advisor"
    assert "example.invalid" not in text
