"""The severity policy (rules/README.md) on whole hand-written deployments, through the real loaders and engine:
overload-only findings are info unless a workload shows the risk, TCP-only behaviour never fires for unix sockets,
and findings that depend on a command line that is not among the inputs stay info."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine.examples import run_example
from advisor.engine.rules import load_rules

RULES = load_rules()


def _findings(tmp_path: Path, code: str, **example) -> list:
    return run_example(example, RULES, tmp_path).findings_for(code)


def _server(body: str) -> str:
    return "server {\n    listen 80;\n    location / {\n" + body + "    }\n}\n"


@pytest.mark.parametrize(("target", "bind", "connect", "expected"), [
    ("http://127.0.0.1:8000", '"127.0.0.1:8000"', "300s", ["warning"]),   # above Linux's ~127 s SYN give-up
    ("http://127.0.0.1:8000", '"127.0.0.1:8000"', "90s", ["info"]),       # takes effect on Linux
    ("http://127.0.0.1:8000", '"127.0.0.1:8000"', "60s", []),
    ("http://unix:/run/app.sock", '"unix:/run/app.sock"', "300s", []),   # a unix connect never waits for SYNs
])
def test_connect_timeout_by_socket_kind(tmp_path, target, bind, connect, expected):
    nginx = _server(f"        proxy_pass {target};\n        proxy_connect_timeout {connect};\n")
    found = _findings(tmp_path, "TMO004", nginx=nginx, gunicorn=f"bind = {bind}\n")
    assert [finding.severity for finding in found] == expected


def test_connect_timeout_skips_an_upstream_of_unknown_kind(tmp_path):
    nginx = ("upstream app {\n    server 127.0.0.1:8000;\n    server ${SECOND_BACKEND};\n}\n"
             + _server("        proxy_pass http://app;\n        proxy_connect_timeout 300s;\n"))
    assert _findings(tmp_path, "TMO004", nginx=nginx) == []


def test_default_backlog_drain_is_info_without_a_workload(tmp_path):
    found = _findings(tmp_path, "CAP003", nginx=_server("        proxy_pass http://127.0.0.1:8000;\n"),
                      gunicorn='bind = "127.0.0.1:8000"\nworkers = 2\n')
    assert [finding.severity for finding in found] == ["info"]


@pytest.mark.parametrize(("rps", "expected"), [(5, "info"), (40, "warning")])
def test_overload_collapse_escalates_when_the_load_reaches_capacity(tmp_path, rps, expected):
    """2 sync workers at 100 ms serve 20 requests/s: at 5 requests/s the collapse needs overload (info), at 40 the
    model predicts it at the given load (warning)."""
    found = _findings(tmp_path, "CAP010", nginx=_server("        proxy_pass http://127.0.0.1:8000;\n"),
                      gunicorn='bind = "127.0.0.1:8000"\nworkers = 2\n',
                      options={"rps": rps, "service_time": "100ms"})
    assert [finding.severity for finding in found] == [expected]


NGINX_MAIN = """worker_processes 1;
events {
    worker_connections 512;
}
http {
    server {
        listen 80;
        location / {
            proxy_pass http://unix:/run/app.sock;
        }
    }
}
"""
GTHREAD = 'bind = "unix:/run/app.sock"\nworkers = 8\nworker_class = "gthread"\nthreads = 64\n'


@pytest.mark.parametrize(("options", "expected"), [
    ({}, "info"),
    ({"rps": 50, "service_time": "100ms"}, "info"),     # about 5 requests in flight: 10 connections
    ({"rps": 4000, "service_time": "100ms"}, "warning"),  # about 400 in flight: 800 connections > 512
])
def test_worker_connections_escalate_only_when_the_load_needs_them(tmp_path, options, expected):
    found = _findings(tmp_path, "CAP004", nginx=NGINX_MAIN, gunicorn=GTHREAD, options=options)
    assert [finding.severity for finding in found] == [expected]
    if expected == "warning":
        assert "in flight at 4000 requests/s" in found[0].message
        assert "requests are in flight" in found[0].explanation


RAISED_READ = _server("        proxy_pass http://127.0.0.1:8000;\n        proxy_read_timeout 180s;\n")
COMPOSE = """services:
  web:
    build: .
    command: gunicorn -c gunicorn.conf.py -b 127.0.0.1:8000 app:application
"""


def test_raised_read_timeout_over_default_worker_timeout(tmp_path):
    config_only = _findings(tmp_path, "TMO008", nginx=RAISED_READ, gunicorn='bind = "127.0.0.1:8000"\n')
    assert [finding.severity for finding in config_only] == ["info"]
    assert "unless set on its command line" in config_only[0].message
    (with_command,) = _findings(tmp_path / "..", "TMO008", nginx=RAISED_READ, gunicorn="workers = 2\n",
                                compose=COMPOSE)
    assert with_command.severity == "warning"
    assert with_command.message.startswith("proxy_read_timeout 180s but gunicorn keeps its 30 s default timeout")
    assert "unless" not in with_command.message


def test_raised_read_timeout_is_not_reported_twice_with_opt_in_tmo007(tmp_path):
    result = run_example({"nginx": RAISED_READ, "gunicorn": 'bind = "127.0.0.1:8000"\n'}, RULES, tmp_path)
    assert result.findings_for("TMO007") == [] and len(result.findings_for("TMO008")) == 1
    explicit = run_example({"nginx": RAISED_READ, "gunicorn": 'bind = "127.0.0.1:8000"\ntimeout = 120\n'}, RULES,
                           tmp_path)
    assert len(explicit.findings_for("TMO007")) == 1 and explicit.findings_for("TMO008") == []


TEMPLATE_CONFIG = """import multiprocessing
import os

cores = multiprocessing.cpu_count()
web_concurrency = None
if os.getenv("WEB_CONCURRENCY"):
    web_concurrency = int(os.getenv("WEB_CONCURRENCY"))
else:
    web_concurrency = max(cores, 2)
max_workers = 8
web_concurrency = min(web_concurrency, max_workers)
bind = "127.0.0.1:8000"
"""


def test_worker_count_never_assigned(tmp_path):
    (config_only,) = _findings(tmp_path, "SET005", gunicorn=TEMPLATE_CONFIG)
    assert config_only.severity == "info" and config_only.line == 7  # the first computed assignment
    (with_command,) = _findings(tmp_path, "SET005", gunicorn=TEMPLATE_CONFIG, compose=COMPOSE)
    assert with_command.severity == "warning"
    assert with_command.message.startswith("web_concurrency holds a worker count but nothing assigns workers")
    assert _findings(tmp_path, "SET001", gunicorn=TEMPLATE_CONFIG) == []  # helpers, not misspelled settings


def test_worker_count_with_workers_set_elsewhere_is_silent(tmp_path):
    assert _findings(tmp_path, "SET005", gunicorn=TEMPLATE_CONFIG,
                     compose=COMPOSE.replace("-b 127.0.0.1:8000", "-b 127.0.0.1:8000 -w 4")) == []
    assert _findings(tmp_path, "SET005", gunicorn=TEMPLATE_CONFIG + "workers = web_concurrency\n") == []
