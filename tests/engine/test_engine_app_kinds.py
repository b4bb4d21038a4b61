"""Facts and rule texts for the kind of app server (gunicorn vs uvicorn) and the shared worker-class table."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from engine_builders import app_server

from advisor.commands.options import HostFacts, Inputs
from advisor.engine import derived
from advisor.engine.facts import FactIndex
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.loaders.deployment import build_deployment
from advisor.model.provenance import Setting, Source
from advisor.model.workers import effective_family, queue_family, worker_family
from advisor.queueing.scenario import ScenarioError, scenario_for_link

INF = float("inf")
RULES = load_rules()


@pytest.mark.parametrize(("worker_class", "threads", "family", "queue"), [
    ("sync", 1, "sync", "sync"), ("sync", 4, "gthread", "gthread"), ("'gthread'", 1, "gthread", "gthread"),
    ("gunicorn.workers.ggevent.GeventWorker", 1, "gevent", "gevent"), ("eventlet", 1, "eventlet", "gevent"),
    ("egg:gunicorn#tornado", 1, "tornado", "event-loop"), ("uvicorn_worker.UvicornWorker", 1, "uvicorn",
                                                           "event-loop"),
])
def test_one_worker_table_for_facts_and_model(worker_class, threads, family, queue):
    named = worker_family(worker_class)
    assert effective_family(named, threads) == family
    assert queue_family(effective_family(named, threads)) == queue
    assert derived.worker_family(worker_class) == named  # the engine reads the same table
    assert worker_family("myapp.workers.Custom") is None


def _uvicorn(limit: object) -> object:
    app = app_server()
    settings = dict(app.settings)
    settings["workers"] = Setting(2, Source.file("run.sh", 3))
    if limit is not None:
        settings["limit_concurrency"] = Setting(limit, Source.file("run.sh", 4))
    else:
        settings["limit_concurrency"] = Setting(None, Source.default("uvicorn 0.54.0 default"))
    return dataclasses.replace(app, kind="uvicorn", settings=settings)


@pytest.mark.parametrize(("limit", "slots", "concurrency"), [(20, 20, 40), (None, INF, INF)])
def test_standalone_uvicorn_slots_are_its_limit_concurrency(limit, slots, concurrency):
    app = _uvicorn(limit)
    effective = derived.effective_worker_class(app)
    slot_setting = derived.slots_per_worker(app, effective)
    assert slot_setting.value == slots
    assert derived.concurrency(app, slot_setting).value == concurrency
    if limit is not None:
        assert slot_setting.source.position().line == 4  # points at --limit-concurrency


def _check(tmp_path: Path, nginx: str, compose: str, codes: tuple[str, ...]):
    (tmp_path / "nginx.conf").write_text(nginx)
    (tmp_path / "docker-compose.yml").write_text(compose)
    inputs = Inputs(nginx=[str(tmp_path / "nginx.conf")], app=[str(tmp_path / "docker-compose.yml")])
    deployment = build_deployment(inputs, HostFacts.build())
    return deployment, run_rules(deployment, [rule for rule in RULES if rule.code in codes], strict=True)


NGINX = """\
server {
    listen 80;
    location / {
        proxy_pass http://api:8001;
    }
}
"""


def test_addressing_texts_name_uvicorn(tmp_path):
    compose = "services:\n  api:\n    command: uvicorn app:app --host 0.0.0.0 --port 8000\n"
    deployment, result = _check(tmp_path, NGINX, compose, ("ADR001",))
    route = FactIndex(deployment).instances("route")[0].names["route"]
    assert route.link_server == "uvicorn"
    (finding,) = result.findings
    assert "but uvicorn binds 0.0.0.0:8000" in finding.message and "gunicorn" not in finding.message
    assert finding.fix.endswith("or start uvicorn with --port 8001")
    assert finding.related[0].message == "uvicorn binds 0.0.0.0:8000"


def test_default_bind_text_for_uvicorn(tmp_path):
    compose = "services:\n  api:\n    command: uvicorn app:app\n"
    _, result = _check(tmp_path, NGINX, compose, ("ADR007",))
    (finding,) = result.findings
    assert "uvicorn listens on 127.0.0.1:8000, not api:8001" in finding.message
    assert "unless its command line passes --host/--port" in finding.message and "gunicorn" not in finding.message
    assert finding.fix.startswith("pass --host 0.0.0.0 --port 8001 to uvicorn")


def test_connect_timeout_text_for_uvicorn(tmp_path):
    compose = "services:\n  api:\n    command: uvicorn app:app --host 0.0.0.0 --port 8001\n"
    _, result = _check(tmp_path, NGINX, compose, ("TMO005",))
    (finding,) = result.findings
    assert "to TCP uvicorn" in finding.message and "gunicorn" not in finding.message
    assert "uvicorn's accept queue is full" in finding.explanation
    assert "(--uds PATH)" in finding.fix and finding.related[0].message == "uvicorn listens on TCP 0.0.0.0:8001"


def test_uvicorn_is_not_modelled(tmp_path):
    compose = "services:\n  api:\n    command: uvicorn app:app --host 0.0.0.0 --port 8001\n"
    deployment, _ = _check(tmp_path, NGINX, compose, ())
    from advisor.queueing.params import parse_service_time

    with pytest.raises(ScenarioError, match="event loop"):
        scenario_for_link(deployment.links[0], deployment, 10, parse_service_time("10ms"))
