"""The when-cache is an optimisation only: findings and skips are identical with and without it."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.commands.options import HostFacts, Inputs
from advisor.engine import run as engine_run
from advisor.engine.rules import load_rules
from advisor.loaders.deployment import build_deployment

LOCATIONS = [
    "proxy_pass http://app; proxy_read_timeout 20s;",
    "proxy_pass http://app; proxy_read_timeout ${READ_TIMEOUT};",
    "proxy_pass http://127.0.0.1:8000; proxy_connect_timeout 90s;",
    "proxy_pass http://127.0.0.1:8000; proxy_buffering off;",
    "proxy_pass http://pool; proxy_http_version 1.0;",
    "proxy_pass http://127.0.0.1:8000; proxy_read_timeout 20s;",
    "proxy_pass http://app; proxy_request_buffering off; proxy_read_timeout 3600s;",
    "proxy_pass http://127.0.0.1:9999;",
    "uwsgi_pass 127.0.0.1:8000;",
]


def _config(tmp_path: Path) -> list[str]:
    blocks = "\n".join(f"    location /l{index}/ {{ {body} }}" for index, body in enumerate(LOCATIONS * 3))
    (tmp_path / "nginx.conf").write_text(
        "events { worker_connections 64; }\nhttp {\n"
        "  upstream app { server 127.0.0.1:8000; keepalive 8; }\n"
        "  upstream pool { server 127.0.0.1:8000; server localhost:8000; keepalive 4; }\n"
        "  server {\n    listen 80 backlog=8192;\n" + blocks + "\n  }\n}\n")
    (tmp_path / "gunicorn.conf.py").write_text(
        'bind = "127.0.0.1:8000"\nworkers = 9\nworker_class = "gthread"\nthreads = 2\nkeepalive = 2\n'
        "timeout = 60\nmax_requests = 100\n")
    return [str(tmp_path / "nginx.conf"), str(tmp_path / "gunicorn.conf.py")]


def _summary(result):
    return (sorted((f.code, f.path, f.line, f.message) for f in result.findings),
            sorted((s.code, s.scope_id, s.fact, s.reason) for s in result.skips))


@pytest.mark.parametrize("host", [HostFacts.build(cpus=2), HostFacts.build(nginx_version="1.24.0")])
def test_findings_and_skips_do_not_depend_on_the_cache(tmp_path: Path, monkeypatch, host: HostFacts):
    deployment = build_deployment(Inputs(paths=_config(tmp_path)), host)
    rules = load_rules()
    cached = _summary(engine_run.run_rules(deployment, rules))
    monkeypatch.setattr(engine_run.WhenCache, "known_false", lambda self, instance, evaluator: False)
    monkeypatch.setattr(engine_run.WhenTree, "outcomes", lambda self, instance, evaluator: None)
    uncached = _summary(engine_run.run_rules(deployment, rules))
    assert cached == uncached
    assert cached[0] and cached[1], "the config should produce both findings and skips"
