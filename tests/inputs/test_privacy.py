"""Nothing from a file outside the project is printed; Dockerfile COPY stays inside the build context."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from helpers_hostile import GUNICORN, NGINX, run_advisor

from advisor import privacy
from advisor.loaders.sources.dockerfile import parse_dockerfile
from advisor.loaders.sources.text import SourceText

SECRET = "hunter2-sk_live_51H"


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """project/ (a git work tree) next to outside/ holding a secret."""
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / "deploy").mkdir()
    (project / "deploy" / "gunicorn.conf.py").write_text(GUNICORN)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.conf").write_text(f'proxy_read_timeout {SECRET};\nadd_header X-Key "{SECRET}";\n{SECRET};\n')
    (outside / "secret.py").write_text(f"bind = '{SECRET}'\nworkers = '{SECRET}'\n")
    return project


def _nginx(project: Path, include: str) -> None:
    (project / "deploy" / "nginx.conf").write_text(NGINX.replace("http {", f"http {{\n    include {include};"))


@pytest.mark.parametrize("output_format", ["full", "concise", "json", "sarif", "github"])
def test_an_included_file_outside_the_project_is_not_quoted(layout: Path, output_format: str) -> None:
    _nginx(layout, str(layout.parent / "outside" / "secret.conf"))
    result = run_advisor("check", "--output-format", output_format, "deploy/nginx.conf", "deploy/gunicorn.conf.py",
                         cwd=layout)
    assert result.returncode == 1, result.stderr
    assert SECRET not in result.stdout + result.stderr
    assert "secret.conf" in result.stdout  # the path and line are still there


def test_a_symlink_to_a_secret_counts_as_outside(layout: Path) -> None:
    os.symlink(layout.parent / "outside" / "secret.conf", layout / "deploy" / "linked.conf")
    _nginx(layout, "linked.conf")
    result = run_advisor("check", "deploy/nginx.conf", cwd=layout)
    assert SECRET not in result.stdout + result.stderr
    assert "linked.conf:1" in result.stdout


def test_show_hides_values_read_outside(layout: Path) -> None:
    _nginx(layout, str(layout.parent / "outside" / "secret.conf"))
    text = run_advisor("show", "deploy/nginx.conf", "deploy/gunicorn.conf.py", cwd=layout)
    document = run_advisor("show", "--output-format", "json", "deploy/nginx.conf", cwd=layout)
    assert SECRET not in text.stdout + document.stdout
    assert "(not shown: outside the project)" in text.stdout
    json.loads(document.stdout)


def test_an_app_config_outside_the_project(layout: Path) -> None:
    # A relative -c that leaves the project: advisor reads the file (its invalid workers value is reported at its
    # line), but the value itself is not printed.
    (layout / "deploy" / "start.sh").write_text("#!/bin/sh\nexec gunicorn -c ../../outside/secret.py app:app\n")
    _nginx(layout, "mime.types")
    result = run_advisor("check", "deploy/nginx.conf", "--app", "deploy/start.sh", cwd=layout)
    assert "secret.py:2" in result.stdout, result.stdout  # the file was read: the finding points into it
    assert SECRET not in result.stdout + result.stderr


def test_files_in_the_git_work_tree_are_the_project(layout: Path, tmp_path: Path) -> None:
    other = layout / "other" / "snippet.conf"
    other.parent.mkdir()
    other.write_text("x;\n")
    with privacy.project([str(layout / "deploy" / "nginx.conf")]):
        assert privacy.inside_project(str(other))
        assert not privacy.inside_project(str(tmp_path / "outside" / "secret.conf"))
    assert privacy.inside_project(str(tmp_path / "outside" / "secret.conf"))  # no run declared: no filtering


def test_redaction_keeps_syntax_and_hides_values() -> None:
    assert privacy.redact('unexpected ";"', note=False) == 'unexpected ";"'
    assert privacy.redact('invalid value "abc" in "x" directive', note=False) == \
        'invalid value "…" in "…" directive'


def test_dockerfile_copy_sources_stay_in_the_build_context(tmp_path: Path) -> None:
    context = tmp_path / "context"
    (context / "etc").mkdir(parents=True)
    (context / "etc" / "app.py").write_text("workers = 2\n")
    (tmp_path / "secret.py").write_text("x = 1\n")
    os.symlink(tmp_path / "secret.py", context / "escape.py")
    text = ("FROM python\nCOPY /etc/app.py /app/a.py\nCOPY ../secret.py /app/b.py\nCOPY ../../x/../secret.py /app/c.py\n"
            "COPY escape.py /app/d.py\n")
    dockerfile = parse_dockerfile(SourceText(str(context / "Dockerfile"), text), str(context))
    copies = dict(dockerfile.final.copies)
    assert copies["/app/a.py"] == str(context / "etc" / "app.py")  # absolute: from the context's root
    assert copies["/app/b.py"] == str(context / "secret.py")  # `..` stops at the context
    assert copies["/app/c.py"] == str(context / "secret.py")
    assert "/app/d.py" not in copies  # a link leading out of the context
