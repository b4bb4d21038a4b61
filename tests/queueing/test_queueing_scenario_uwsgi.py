"""How a uWSGI link maps onto the queue: processes × threads (or async cores) in one pooled queue, the listen queue,
harakiri as the worker cut (502) and the master's 1-s respawn; an HTTP router and a protocol mismatch are refused;
notes for cheaper, threads under harakiri and the graceful timeout; recommendations in uWSGI's option names; the
narrative and the `check --rps` model facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.commands.options import HostFacts, Inputs
from advisor.loaders.deployment import build_deployment
from advisor.queueing.params import ServiceTime
from advisor.queueing.scenario import ScenarioError, scenario_for_link

EXP50 = ServiceTime.exponential(0.05)
UWSGI_PASS = """events {}
http {
    server {
        listen 80;
        location / {
            include uwsgi_params;
            uwsgi_pass unix:/run/uwsgi/app.sock;
            uwsgi_read_timeout 30s;
            uwsgi_connect_timeout 5s;
        }
    }
}
"""
PROXY_PASS = """events {}
http {
    server {
        listen 80;
        location / {
            proxy_pass http://127.0.0.1:8000;
            proxy_read_timeout 20s;
        }
    }
}
"""
UNIX_SOCKET = "[uwsgi]\nmodule = app.wsgi:application\nmaster = true\nsocket = /run/uwsgi/app.sock\n"


def _deployment(tmp_path: Path, nginx: str, ini: str):
    (tmp_path / "nginx.conf").write_text(nginx, encoding="utf-8")
    (tmp_path / "uwsgi.ini").write_text(ini, encoding="utf-8")
    inputs = Inputs(paths=[str(tmp_path / "nginx.conf"), str(tmp_path / "uwsgi.ini")])
    return build_deployment(inputs, HostFacts.build())


def _scenario(tmp_path: Path, ini: str, nginx: str = UWSGI_PASS, rps: float = 40.0, service=EXP50):
    deployment = _deployment(tmp_path, nginx, ini)
    (link,) = deployment.links
    return scenario_for_link(link, deployment, rps, service)


def test_processes_times_threads_with_listen_and_harakiri(tmp_path):
    scenario = _scenario(tmp_path, UNIX_SOCKET + "processes = 4\nthreads = 2\nlisten = 64\nharakiri = 20\n")
    s, params = scenario.settings, scenario.params
    assert (s.family, s.workers, s.threads, s.worker_class) == ("uwsgi", 4, 2, "uwsgi")
    assert (params.servers, params.queue_room, params.workers) == (8, 65, None)  # one pooled queue
    assert (params.worker_timeout_s, params.kill_lag_max_s, params.restart_s) == (20.0, 0.0, 1.0)
    assert params.worker_timeout_status == 502
    assert (params.socket, params.read_timeout_s, params.connect_timeout_s) == ("unix", 30.0, 5.0)
    assert scenario.nginx_prefix == "uwsgi"
    c = scenario.parameters["c"]
    assert c.meaning == "uWSGI processes 4 x threads 2"
    assert [name for name, _ in c.sources] == ["processes", "threads"]
    assert c.sources[0][1].line == 5 and scenario.setting_sources["listen"].line == 7
    assert scenario.setting_sources["backlog"] is scenario.setting_sources["listen"]  # the model's knob, uWSGI's line
    assert "listen 64" in scenario.parameters["Q"].meaning
    assert "harakiri" in scenario.parameters["Tw"].meaning
    assert any("other requests its 2 threads" in note for note in scenario.notes)


def test_defaults_are_one_process_listen_100_and_no_harakiri(tmp_path):
    scenario = _scenario(tmp_path, UNIX_SOCKET)
    assert (scenario.params.servers, scenario.params.queue_room) == (1, 101)
    assert scenario.params.worker_timeout_s is None and scenario.notes == ()


@pytest.mark.parametrize("extra, cores, kind", [
    ("processes = 2\nasync = 10\n", 10, "uwsgi-async"),
    ("processes = 2\ngevent = 100\n", 100, "uwsgi-gevent"),
    ("processes = 2\nthreads = 4\ngevent = 100\n", 4, "uwsgi"),  # threads win, as uWSGI's sanitize_args
])
def test_async_cores_count_only_without_threads(tmp_path, extra, cores, kind):
    scenario = _scenario(tmp_path, UNIX_SOCKET + extra)
    assert (scenario.settings.threads, scenario.settings.worker_class) == (cores, kind)
    assert scenario.params.servers == 2 * cores


def test_http_socket_behind_proxy_pass_is_modelled_over_tcp(tmp_path):
    ini = "[uwsgi]\nmodule = app:app\nhttp-socket = 127.0.0.1:8000\nprocesses = 3\n"
    scenario = _scenario(tmp_path, ini, PROXY_PASS)
    assert (scenario.params.servers, scenario.params.socket, scenario.nginx_prefix) == (3, "tcp", "proxy")
    assert scenario.params.read_timeout_s == 20.0


@pytest.mark.parametrize("ini, nginx, message", [
    ("[uwsgi]\nmodule = app:app\nhttp = 127.0.0.1:8000\nprocesses = 3\n", PROXY_PASS, "HTTP router"),
    ("[uwsgi]\nmodule = app:app\nsocket = 127.0.0.1:8000\nprocesses = 3\n", PROXY_PASS, "every request fails"),
    ("[uwsgi]\nmodule = app:app\nraw-socket = 127.0.0.1:8000\nprocesses = 3\n", PROXY_PASS,
     "raw socket is not modelled, so no outcome is predicted.*`http-socket` behind proxy_pass"),
])
def test_a_router_and_a_protocol_mismatch_are_refused(tmp_path, ini, nginx, message):
    with pytest.raises(ScenarioError, match=message):
        _scenario(tmp_path, ini, nginx)


def test_cheaper_and_graceful_timeout_are_noted(tmp_path):
    ini = UNIX_SOCKET + "processes = 8\ncheaper = 2\nharakiri = 30\nharakiri-graceful-timeout = 5\n"
    notes = " ".join(_scenario(tmp_path, ini).notes)
    assert "between 2 and 8 processes" in notes and "approximate" in notes
    assert "SIGTERM" in notes and "up to 5 s longer" in notes


def test_listen_above_somaxconn_says_uwsgi_refuses_to_start(tmp_path):
    notes = " ".join(_scenario(tmp_path, UNIX_SOCKET + "listen = 8192\n").notes)
    assert "uWSGI exits at start-up" in notes


def test_recommendations_use_uwsgi_option_names(tmp_path):
    from advisor.queueing.recommend import recommend

    scenario = _scenario(tmp_path, UNIX_SOCKET + "processes = 2\nlisten = 4096\n", rps=100.0)
    recommendations, _ = recommend(scenario)
    lines = {item.setting: item.line for item in recommendations}
    assert lines["workers"].startswith("processes = ")
    assert lines.get("backlog", "listen = ").startswith("listen = ")


@pytest.mark.parametrize("knob, path, line", [
    ("workers", "deploy/uwsgi.ini", "processes = 6"),
    ("backlog", "uwsgi.yaml", "listen: 6"),
    ("timeout", "uwsgi.json", '"harakiri": 6'),
    ("workers", "uwsgi.xml", "<processes>6</processes>"),
    ("workers", "docker-compose.yml:web", "--processes 6"),  # a command line
])
def test_option_lines_follow_the_config_syntax(knob, path, line):
    from advisor.queueing.uwsgi_pool import option_line

    assert option_line(knob, 6, path) == line


def test_the_narrative_speaks_of_uwsgi(tmp_path):
    from advisor.queueing.analytic import predict
    from advisor.queueing.narrative import what_happens_when_busy
    from advisor.queueing.uwsgi_narrative import adapt_uwsgi_narrative

    scenario = _scenario(tmp_path, UNIX_SOCKET + "processes = 2\nharakiri = 10\n", rps=60.0)
    prediction = predict(scenario.params)
    lines = adapt_uwsgi_narrative(scenario, what_happens_when_busy(scenario.params, prediction,
                                                                   upstream=scenario.upstream,
                                                                   sources=scenario.narrative_sources()),
                                  prediction.p_worker_killed)
    text = " ".join(lines)
    assert lines[0].startswith("All 2 request slots (2 uWSGI processes")
    assert "uwsgi_read_timeout" in text and "proxy_read_timeout" not in text
    assert "harakiri 10 s" in text and "answers 502" in text and "gunicorn" not in text


def test_check_with_a_workload_models_uwsgi_and_skips_the_router(tmp_path):
    from advisor.engine.expressions import FactUnavailable
    from advisor.engine.facts import FactIndex
    from advisor.engine.workload_facts import resolve_workload

    workload = resolve_workload(30.0, "100ms", 0.001)
    deployment = _deployment(tmp_path, UWSGI_PASS, UNIX_SOCKET + "processes = 2\n")
    (instance,) = FactIndex(deployment, workload).instances("link")
    model = instance.names["model"]
    assert model.modelled is True and model.servers == 2 and model.p_502 > 0.3  # 2 x 10/s served, 30/s offered

    router_dir = tmp_path / "router"
    router_dir.mkdir()
    router = _deployment(router_dir, PROXY_PASS, "[uwsgi]\nmodule = app:app\nhttp = 127.0.0.1:8000\n")
    (instance,) = FactIndex(router, workload).instances("link")
    namespace = instance.names["model"]
    assert namespace.modelled is False
    with pytest.raises(FactUnavailable) as refused:
        namespace.p_502
    assert refused.value.kind == "absent" and "HTTP router" in refused.value.reason
