"""The CLI on hostile inputs: a clear message and exit 0/1/2, never a hang, a traceback or a crash."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers_hostile import GUNICORN, NGINX, run_advisor


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "nginx.conf").write_text(NGINX)
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN)
    return tmp_path


def test_a_named_pipe_given_as_the_nginx_config_is_a_finding(project: Path) -> None:
    os.mkfifo(project / "pipe.conf")
    result = run_advisor("check", "--nginx", "pipe.conf", "gunicorn.conf.py", cwd=project, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "pipe.conf" in result.stdout and "named pipe" in result.stdout


def test_an_included_device_is_reported_not_read(project: Path) -> None:
    (project / "nginx.conf").write_text(NGINX.replace("http {", "http {\n    include /dev/zero;"))
    result = run_advisor("check", "nginx.conf", "gunicorn.conf.py", cwd=project, timeout=60)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    assert "include /dev/zero cannot be read here: is a device" in result.stdout


def test_max_file_size_option(project: Path) -> None:
    (project / "nginx.conf").write_text(NGINX + "# " + "x" * 5000 + "\n")
    result = run_advisor("check", "--max-file-size", "4K", "nginx.conf", "gunicorn.conf.py", cwd=project)
    assert result.returncode == 1
    assert "too large" in result.stdout and "the limit is 4 KB" in result.stdout
    bad = run_advisor("check", "--max-file-size", "lots", "nginx.conf", cwd=project)
    assert bad.returncode == 2 and "advisor: error: --max-file-size" in bad.stderr


def test_output_to_a_pipe_nobody_reads_is_an_error(project: Path) -> None:
    os.mkfifo(project / "report.pipe")
    result = run_advisor("check", "nginx.conf", "gunicorn.conf.py", "-o", "report.pipe", cwd=project, timeout=60)
    assert result.returncode == 2
    assert "advisor: error: report.pipe: is a named pipe with no reader" in result.stderr


def test_standard_input_over_the_limit(project: Path) -> None:
    result = run_advisor("check", "--max-file-size", "1K", "-", "gunicorn.conf.py", cwd=project,
                         stdin=b"# " + b"x" * 4000 + b"\n")
    assert result.returncode == 2 and "advisor: error: standard input (-) is too large" in result.stderr


def test_an_ascii_terminal_gets_ascii_symbols(project: Path) -> None:
    (project / "gunicorn.conf.py").write_text(GUNICORN.replace("workers = 4", "workers = 2\nthreads = 4"))
    result = run_advisor("check", "nginx.conf", "gunicorn.conf.py", cwd=project, encoding="ascii")
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.isascii()


def test_a_reversed_range_in_per_file_ignores_is_a_config_error(project: Path) -> None:
    (project / ".advisor.toml").write_text('per-file-ignores = {"[z-a].conf" = ["TMO"]}\n')
    result = run_advisor("check", "nginx.conf", cwd=project)
    assert result.returncode == 2
    assert "per-file-ignores: invalid range z-a" in result.stderr


def test_deep_toml_is_a_config_error(project: Path) -> None:
    (project / ".advisor.toml").write_text("select = " + "[" * 5000 + "]" * 5000 + "\n")
    result = run_advisor("check", "nginx.conf", cwd=project)
    assert result.returncode == 2 and "nested more than 64 deep" in result.stderr


def test_a_deep_rule_expression_is_a_rule_file_error(project: Path) -> None:
    (project / "rules").mkdir()
    (project / "rules" / "X901.yaml").write_text(
        "code: X901\nname: deep\nseverity: info\nsummary: s\nscope: route\nmessage: m\n"
        "when: \"" + "-" * 10000 + "1 > 0\"\n")
    result = run_advisor("check", "--rules", "rules", "nginx.conf", cwd=project)
    assert result.returncode == 2
    assert "invalid rule file" in result.stderr and "X901.yaml" in result.stderr


def test_an_alias_bomb_in_a_rule_file(project: Path) -> None:
    (project / "rules").mkdir()
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    (project / "rules" / "X902.yaml").write_text("\n".join(lines) + "\ncode: X902\n")
    result = run_advisor("check", "--rules", "rules", "nginx.conf", cwd=project)
    assert result.returncode == 2 and "aliases expand the document" in result.stderr


def test_show_on_a_location_fragment(project: Path) -> None:
    (project / "frag.conf").write_text("location / { proxy_pass http://127.0.0.1:8000; }\n")
    result = run_advisor("show", "frag.conf", cwd=project)
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
