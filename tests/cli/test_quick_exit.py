"""A finished plain command ends the process without interpreter teardown (advisor/cli/quick_exit.py): same output
and exit status as an ordinary exit, everything flushed, atexit handlers run; and it stands back when the output
cannot be flushed or other threads still run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.cli.quick_exit import exit_status

from small_configs import gunicorn_tcp_conf, nginx_proxy_conf

NGINX_CONF = nginx_proxy_conf("http://app", "proxy_read_timeout 20s", upstream="app")


def _project(tmp_path: Path, locations: int = 1) -> Path:
    (tmp_path / ".git").mkdir()
    extra = "".join(f"    location /r{index} {{ proxy_pass http://127.0.0.1:8000; proxy_read_timeout 20s; }}\n"
                    for index in range(locations))
    (tmp_path / "nginx.conf").write_text(NGINX_CONF.replace("    location /", extra + "    location /", 1))
    (tmp_path / "gunicorn.conf.py").write_text(gunicorn_tcp_conf(workers=2))
    return tmp_path


def _advisor(cwd: Path, *argv: str, **options) -> subprocess.CompletedProcess:
    env = {**os.environ, "ADVISOR_CACHE_DIR": str(cwd / ".cache")}
    env.pop("ADVISOR_NO_CACHE", None)
    streams = options or {"capture_output": True}
    return subprocess.run([sys.executable, "-m", "advisor", *argv], cwd=cwd, text=True, env=env, timeout=120,
                          **streams)


@pytest.mark.parametrize("argv", [
    ["check", "nginx.conf", "gunicorn.conf.py", "--color", "never"],
    ["check", "nginx.conf", "gunicorn.conf.py", "--color", "never", "--fail-on", "never"],
    ["check", "missing.conf", "--color", "never"],
])
def test_output_and_status_are_those_of_an_ordinary_exit(tmp_path: Path, monkeypatch, argv: list[str]):
    project = _project(tmp_path)
    done = _advisor(project, *argv)
    monkeypatch.chdir(project)
    expected = CliRunner().invoke(app, argv)
    assert (done.returncode, done.stdout) == (expected.exit_code, expected.stdout)


def test_a_long_report_reaches_a_pipe_whole_and_atexit_handlers_run(tmp_path: Path):
    project = _project(tmp_path, locations=300)
    done = _advisor(project, "check", "nginx.conf", "gunicorn.conf.py", "--output-format", "json")
    report = json.loads(done.stdout)  # complete: it parses
    assert len(report["findings"]) >= 300
    # the dataclass code cache is written by an atexit handler
    assert list((project / ".cache").glob("dataclass-code-*.marshal"))


def test_a_closed_stdout_is_reported_as_before(tmp_path: Path):
    project = _project(tmp_path, locations=50)
    reader, writer = os.pipe()
    os.close(reader)  # nobody reads: writing fails with EPIPE
    try:
        done = _advisor(project, "check", "nginx.conf", "gunicorn.conf.py", "--color", "never", stdout=writer,
                        stderr=subprocess.PIPE)
    finally:
        os.close(writer)
    assert done.returncode == 2
    assert "Broken pipe" in done.stderr and "Traceback" not in done.stderr


def test_another_running_thread_keeps_the_ordinary_exit(tmp_path: Path):
    script = ("import threading, time, sys\nfrom advisor.cli import quick_exit\n"
              "worker = threading.Thread(target=lambda: (time.sleep(0.3), print('thread finished', flush=True)))\n"
              "worker.start()\nquick_exit.leave(3)\nprint('leave returned', flush=True)\nsys.exit(4)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.splitlines() == ["leave returned", "thread finished"]
    assert done.returncode == 4


def test_leave_ends_the_process_with_the_status_and_flushed_output():
    script = ("import atexit, sys\nfrom advisor.cli import quick_exit\n"
              "atexit.register(lambda: print('atexit ran'))\nsys.stdout.write('unflushed')\nquick_exit.leave(5)\n"
              "print('not reached')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (5, "unflushedatexit ran\n")


@pytest.mark.parametrize(("code", "status"), [(None, 0), (0, 0), (1, 1), (2, 2), (256 + 3, 3), (True, 1)])
def test_exit_status_is_what_systemexit_gives(code: object, status: int):
    assert exit_status(code) == status
