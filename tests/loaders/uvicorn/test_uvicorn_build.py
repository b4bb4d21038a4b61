"""Standalone uvicorn AppServers: defaults (failure-modes.md §1.3, defaults.json), environment, binds, and the
facts rules read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from advisor.engine.facts import FactIndex
from advisor.loaders.uvicorn import parse_uvicorn_args, uvicorn_app_server
from advisor.model.addresses import Address
from advisor.model.deployment import Deployment, HostFacts
from advisor.model.provenance import Source

DEFAULTS = Path(__file__).resolve().parents[4] / "shared" / "knowledge" / "defaults.json"
SOURCE = Source.file("run.sh", 3, 6, "uvicorn")


def build(text: str, **host: object):
    parsed = parse_uvicorn_args(text.split(), lambda index: Source.file("run.sh", 3, 10 + index))
    return uvicorn_app_server(parsed, SOURCE, HostFacts.build(**host), id="run.sh:3")  # type: ignore[arg-type]


def values(result, *names):
    return tuple(result.app.settings[name].value for name in names)


@pytest.mark.skipif(not DEFAULTS.is_file(), reason="shared knowledge not available")
def test_defaults_match_the_reference():
    expected = json.loads(DEFAULTS.read_text())["uvicorn"]
    result = build("main:app")
    for name, default in expected.items():
        setting = result.app.settings[name]
        assert setting.value == default and setting.is_default, name


def test_model_facts_of_a_standalone_server():
    result = build("main:app")
    app = result.app
    assert app.kind == "uvicorn" and result.diagnostics == []
    assert values(result, "workers", "worker_class", "timeout", "bind") == (
        1, "uvicorn", 0, [Address("tcp", host="127.0.0.1", port=8000)])
    assert "no worker timeout" in app.settings["timeout"].source.detail


def test_binds_from_host_port_uds_and_fd():
    tcp = build("main:app --host 0.0.0.0 --port 8001")
    assert values(tcp, "bind") == ([Address("tcp", host="0.0.0.0", port=8001)],)
    assert tcp.app.settings["bind"].source.column == 11  # the first of --host/--port as written (argv[1])
    assert values(build("main:app --uds /run/api.sock --port 1"), "bind") == ([Address("unix", path="/run/api.sock")],)
    assert values(build("main:app --fd 3"), "bind") == ([Address("fd", fd=3)],)
    assert values(build("main:app --host ::"), "bind") == ([Address("tcp", host="::", port=8000)],)


def test_workers_from_web_concurrency_and_uvicorn_environment():
    assert values(build("main:app", env={"WEB_CONCURRENCY": "3"}), "workers") == (3,)
    assert values(build("main:app --workers 2", env={"WEB_CONCURRENCY": "3"}), "workers") == (2,)
    env = {"UVICORN_WORKERS": "5", "UVICORN_TIMEOUT_KEEP_ALIVE": "30", "UVICORN_PORT": "9000"}
    result = build("main:app --port 9001", env=env)
    assert values(result, "workers", "timeout_keep_alive") == (5, 30)
    assert values(result, "bind") == ([Address("tcp", host="127.0.0.1", port=9001)],)  # the CLI wins


def test_invalid_environment_values_are_errors():
    result = build("main:app", env={"WEB_CONCURRENCY": "four"})
    assert not result.app.settings["workers"].known
    assert [d.severity for d in result.diagnostics] == ["error"]
    assert "UVICORN_BACKLOG" in build("main:app", env={"UVICORN_BACKLOG": "x"}).diagnostics[0].message


def test_reload_runs_one_process():
    result = build("main:app --reload --workers 4")
    assert values(result, "workers") == (1,)
    assert [d.severity for d in result.diagnostics] == ["warning"]


def test_missing_app_argument():
    result = build("--port 8000")
    assert any("names no application" in d.message for d in result.diagnostics)
    assert values(build("--port 8000", env={"UVICORN_APP": "main:app"}), "app") == ("main:app",)


def test_rule_facts_read_uvicorn_settings():
    app = build("main:app --workers 2 --timeout-keep-alive 5 --limit-concurrency 20 --backlog 512").app
    deployment = Deployment(host=HostFacts.build(somaxconn=4096), nginx=None, upstreams={}, routes=[], apps=[app],
                            links=[])
    facts = FactIndex(deployment).app_namespace(app)
    assert (facts.kind, facts.timeout_keep_alive, facts.limit_concurrency) == ("uvicorn", 5, 20)
    assert (facts.effective_worker_class, facts.is_async, facts.backend_idle) == ("uvicorn", True, 5)
    assert (facts.timeout_bounds_requests, facts.max_request_time) == (False, float("inf"))
    assert facts.accept_queue == 513


def test_gunicorn_with_uvicorn_worker_stays_gunicorn():
    from advisor.loaders.gunicorn import app_server_from_command_line, parse_gunicorn_args

    parsed = parse_gunicorn_args(["-k", "uvicorn_worker.UvicornWorker", "app:app"])
    app = app_server_from_command_line(parsed, SOURCE, HostFacts.build(), base_dir="/nonexistent", id="x").app
    deployment = Deployment(host=HostFacts.build(), nginx=None, upstreams={}, routes=[], apps=[app], links=[])
    facts = FactIndex(deployment).app_namespace(app)
    assert (facts.kind, facts.effective_worker_class, facts.backend_idle) == ("gunicorn", "uvicorn", 2)
