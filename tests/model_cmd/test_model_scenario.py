"""scenario_for_link: fixture configs become queue parameters, each with the file:line (or default) it came from."""

from __future__ import annotations

import math

import pytest
from model_cmd_helpers import deployment_of, write_pair

from advisor.queueing.analytic import predict
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.queueing.recommend import recommend
from advisor.queueing.scenario import ScenarioError, scenario_for_link

EXP100 = ServiceTime.exponential(0.1)


def _scenarios(directory, rps=30.0, service=EXP100, **host):
    deployment = deployment_of(directory, **host)
    return [scenario_for_link(link, deployment, rps, service) for link in deployment.links]


def _where(scenario, symbol):
    return scenario.parameters[symbol].where()


def test_demo_gthread_pool_counts_threads_and_the_in_worker_queue():
    first, reports = _scenarios("fixtures/demo", cpus=2)
    params = first.params
    # workers = cpu_count() * 2 + 1 = 5 with --cpus 2; gthread with threads = 4 -> 20 request slots.
    assert first.settings.family == "gthread"
    assert params.servers == 5 * 4
    # accept queue min(2048, 4096) + 1, plus 5 workers x (worker_connections 1000 - 4 threads) inside the workers
    assert params.queue_room == 2049 + 5 * (1000 - 4)
    assert params.read_timeout_s == 20.0 and params.connect_timeout_s == 10.0
    assert params.socket == "tcp" and params.worker_timeout_s is None
    assert params.worker_timeout_status == 500  # gunicorn 27.0.1 by default
    assert _where(first, "c") == ("workers: fixtures/demo/gunicorn.conf.py:5 (multiprocessing.cpu_count() = 2); "
                                  "threads: fixtures/demo/gunicorn.conf.py:7")
    assert _where(first, "T") == "fixtures/demo/nginx.conf:30"
    assert _where(first, "Tc") == "fixtures/demo/nginx.conf:29"
    assert _where(first, "socket") == "fixtures/demo/nginx.conf:10"
    assert _where(first, "backlog") == "default (gunicorn 27.0.1 default)"
    assert first.parameters["Q"].sources[1][0] == "somaxconn"
    assert "Tw" in first.parameters and first.parameters["Tw"].value is None
    assert "fixtures/demo/gunicorn.conf.py:8" in _where(first, "Tw")  # the timeout that does not apply
    notes = "\n".join(first.notes)
    assert "nginx cannot see them" in notes
    assert "does not bound a request for gthread workers" in notes and "2 routes reach this app server" in notes
    # the second route: its own read timeout, and the nginx default connect timeout
    assert reports.params.read_timeout_s == 300.0 and reports.params.connect_timeout_s == 60.0
    assert _where(reports, "T") == "fixtures/demo/nginx.conf:38"
    assert _where(reports, "Tc") == "default (nginx 1.30.0 default)"


def test_demo_without_cpus_names_the_setting_the_reason_and_the_option():
    deployment = deployment_of("fixtures/demo")
    with pytest.raises(ScenarioError) as caught:
        scenario_for_link(deployment.links[0], deployment, 30.0, EXP100)
    message = str(caught.value)
    assert message.startswith("fixtures/demo/gunicorn.conf.py:5: ")
    assert "`workers` is unknown" in message and "cpu_count()" in message and "--cpus N" in message


def test_unix_socket_sync_pair():
    (scenario,) = _scenarios("fixtures/pairs/unix-socket-good")
    params = scenario.params
    assert scenario.settings.family == "sync"
    assert (params.servers, params.queue_room, params.capacity) == (5, 65, 70)
    assert params.socket == "unix" and scenario.upstream == "unix:/run/gunicorn/app.sock"
    assert params.worker_timeout_s == 30.0 and params.read_timeout_s == 40.0 and params.connect_timeout_s == 1.0
    assert _where(scenario, "c") == "fixtures/pairs/unix-socket-good/gunicorn.conf.py:2"
    assert _where(scenario, "Tw") == "fixtures/pairs/unix-socket-good/gunicorn.conf.py:3"
    assert _where(scenario, "T") == "fixtures/pairs/unix-socket-good/nginx.conf:31"
    assert _where(scenario, "Tc") == "fixtures/pairs/unix-socket-good/nginx.conf:30"
    assert _where(scenario, "socket") == "fixtures/pairs/unix-socket-good/nginx.conf:11"
    assert _where(scenario, "Q") == ("backlog: fixtures/pairs/unix-socket-good/gunicorn.conf.py:5; "
                                     "somaxconn: default (Linux >= 5.4 net.core.somaxconn)")
    assert scenario.notes == ()


def test_worker_timeout_status_follows_the_gunicorn_version():
    (old,) = _scenarios("fixtures/pairs/unix-socket-good", gunicorn_version="21.2.0")
    (new,) = _scenarios("fixtures/pairs/unix-socket-good", gunicorn_version="22.0.0")
    assert old.params.worker_timeout_status == 502 and new.params.worker_timeout_status == 500
    assert _where(old, "worker_timeout_status") == "--gunicorn-version 21.2.0"


def test_compose_service_and_inherited_nginx_timeouts():
    (compose,) = _scenarios("fixtures/pairs/compose-service")
    assert (compose.params.servers, compose.params.queue_room, compose.params.socket) == (3, 65, "tcp")
    assert compose.upstream == "web:8000" and compose.params.connect_timeout_s == 0.5
    (included,) = _scenarios("fixtures/pairs/includes")
    assert included.params.socket == "unix" and included.params.read_timeout_s == 45.0
    assert _where(included, "T") == "fixtures/pairs/includes/nginx.conf:12"  # http level, inherited


def test_env_driven_values_follow_env():
    (defaults,) = _scenarios("fixtures/pairs/env-driven", env={"LOG_LEVEL": "info"})
    assert defaults.params.servers == 2 * 2 and defaults.params.worker_timeout_s == 30.0
    assert "WEB_CONCURRENCY" in _where(defaults, "c")
    (given,) = _scenarios("fixtures/pairs/env-driven", env={"WEB_CONCURRENCY": "3", "GUNICORN_TIMEOUT": "50"})
    assert given.params.servers == 6 and given.params.worker_timeout_s == 50.0


def test_backlog_above_somaxconn_is_capped(tmp_path):
    (scenario,) = _scenarios("fixtures/pairs/tcp-good", somaxconn=32)
    assert scenario.params.queue_room == 33  # min(64, 32) + 1
    assert any("the kernel silently caps it" in note for note in scenario.notes)
    assert "capped by somaxconn" in scenario.parameters["Q"].meaning


def test_sync_with_threads_runs_as_gthread_and_gevent_counts_greenlets(tmp_path):
    threaded = write_pair(tmp_path / "threads", "bind = 'unix:/run/app/app.sock'\nworkers = 3\nthreads = 2\n"
                          "worker_connections = 5\n", "")
    (scenario,) = _scenarios(threaded)
    assert scenario.settings.family == "gthread"
    assert scenario.params.servers == 6 and scenario.params.queue_room == 2049 + 3 * (5 - 2)
    gevent = write_pair(tmp_path / "gevent", "bind = 'unix:/run/app/app.sock'\nworkers = 2\n"
                        "worker_class = 'gevent'\nworker_connections = 50\nbacklog = 10\n", "")
    (scenario,) = _scenarios(gevent)
    assert scenario.params.servers == 100 and scenario.params.queue_room == 11
    assert any("event loop is never the bottleneck" in note for note in scenario.notes)


@pytest.mark.parametrize("worker_class", ["uvicorn_worker.UvicornWorker", "asgi", "tornado"])
def test_event_loop_workers_are_refused(tmp_path, worker_class):
    pair = write_pair(tmp_path, f"bind = 'unix:/run/app/app.sock'\nworker_class = {worker_class!r}\n", "")
    deployment = deployment_of(pair)
    with pytest.raises(ScenarioError, match="event loop without a concurrency limit"):
        scenario_for_link(deployment.links[0], deployment, 10.0, EXP100)


def test_unknown_env_value_names_the_env_option(tmp_path):
    pair = write_pair(tmp_path, "import os\nbind = 'unix:/run/app/app.sock'\nbacklog = int(os.environ['B'])\n", "")
    deployment = deployment_of(pair)
    with pytest.raises(ScenarioError) as caught:
        scenario_for_link(deployment.links[0], deployment, 10.0, EXP100)
    assert "`backlog` is unknown" in str(caught.value) and "--env B=" in str(caught.value)


# -- recommendations ------------------------------------------------------------------------------------------------

SECTION6 = "workers = 4\nbind = 'unix:/run/app/app.sock'\n"  # backlog: default 2048, timeout 30


def test_backlog_recommendation_reproduces_queueing_md_section_6(tmp_path):
    """c = 4, S = 50 ms, T = 250 ms, rho = 0.9: B = 2048 gives 82.4 % ok, B = 8 93.6 % (queueing.md §6 table);
    at 1.2x capacity 2048 gives 0 % and 8 gives 77.6 %."""
    pair = write_pair(tmp_path, SECTION6, "            proxy_read_timeout 250ms;\n")
    deployment = deployment_of(pair)
    scenario = scenario_for_link(deployment.links[0], deployment, 0.9 * 80, ServiceTime.exponential(0.05))
    recs, final = recommend(scenario, target_utilization=0.95)
    (rec,) = recs
    assert rec.setting == "backlog" and rec.current == 2048 and 4 <= rec.recommended <= 16
    assert rec.where == f"{pair}/gunicorn.conf.py (not set there; add it)"
    assert rec.line == f"backlog = {rec.recommended}"
    assert rec.before.p_ok == pytest.approx(0.824, abs=0.001)
    assert rec.after.p_ok >= 0.936 - 0.001
    assert rec.overload_rps == pytest.approx(96.0)
    assert rec.overload_before.p_ok < 0.001 and rec.overload_after.p_ok > 0.70
    # the prediction is the formulas' for the recommended parameters
    expected = predict(QueueParams.from_backlog(4, rec.recommended, 4096, arrival_rate=72.0,
                                                service=ServiceTime.exponential(0.05), read_timeout_s=0.25,
                                                connect_timeout_s=60.0, worker_timeout_s=30.0))
    assert rec.after.p_ok == pytest.approx(expected.p_ok, rel=1e-12)
    assert final.settings.backlog == rec.recommended


def test_recommendations_are_cumulative_and_cover_workers_connect_and_queue(tmp_path):
    pair = write_pair(tmp_path, "workers = 4\nbind = '127.0.0.1:8000'\n",
                      "            proxy_read_timeout 250ms;\n            proxy_connect_timeout 5s;\n",
                      target="127.0.0.1:8000")
    deployment = deployment_of(pair, cpus=1)
    scenario = scenario_for_link(deployment.links[0], deployment, 96.0, ServiceTime.exponential(0.05))
    recs, final = recommend(scenario)
    settings = [rec.setting for rec in recs]
    assert settings[:2] == ["proxy_connect_timeout", "workers"] and "backlog" in settings
    connect, workers = recs[0], recs[1]
    assert connect.recommended == 0.5 and connect.line == "proxy_connect_timeout 500ms;"
    assert connect.where == f"{pair}/nginx.conf:8"
    # 96/s x 50 ms = 4.8 busy workers; at most 70 % busy -> ceil(4.8 / 0.7) = 7
    assert workers.recommended == math.ceil(96 * 0.05 / 0.7) and workers.line == "workers = 7"
    assert "2 x cpus + 1 = 3" in workers.reason
    for earlier, later in zip(recs, recs[1:]):
        assert later.before == earlier.after
    assert final.settings.workers == 7 and final.settings.connect_timeout_s == 0.5


def test_timeout_ordering_recommendation(tmp_path):
    pair = write_pair(tmp_path, "workers = 4\nbind = 'unix:/run/app/app.sock'\nbacklog = 16\ntimeout = 60\n",
                      "            proxy_read_timeout 30s;\n")
    deployment = deployment_of(pair)
    scenario = scenario_for_link(deployment.links[0], deployment, 10.0, ServiceTime.exponential(0.05))
    recs, _ = recommend(scenario)
    (rec,) = recs
    assert rec.setting == "timeout" and rec.current == 60.0 and rec.recommended == 28
    assert rec.where == f"{pair}/gunicorn.conf.py:4" and rec.line == "timeout = 28"
    off = write_pair(tmp_path / "off", "workers = 4\nbind = 'unix:/run/app/app.sock'\nbacklog = 16\ntimeout = 0\n",
                     "            proxy_read_timeout 30s;\n")
    deployment = deployment_of(off)
    scenario = scenario_for_link(deployment.links[0], deployment, 10.0, ServiceTime.exponential(0.05))
    assert scenario.params.worker_timeout_s is None  # 0 disables it
    (rec,) = recommend(scenario)[0]
    assert rec.setting == "timeout" and rec.recommended == 28 and "off" in rec.reason


def test_gthread_queue_recommendation_keeps_room_for_nginx_keepalive():
    first, _ = _scenarios("fixtures/demo", rps=30.0, cpus=2)
    recs, final = recommend(first)
    by_setting = {rec.setting: rec for rec in recs}
    # nginx keeps `keepalive 16` idle connections per worker process (worker_processes 2) over 5 gunicorn workers
    assert by_setting["worker_connections"].recommended == 4 + math.ceil(16 * 2 / 5)
    assert by_setting["worker_connections"].line == "worker_connections = 11"
    assert final.params.queue_room < first.params.queue_room
    assert by_setting["worker_connections"].overload_after.p_ok > by_setting["worker_connections"].overload_before.p_ok


def test_the_recommendation_api_lives_in_recommend_only():
    """recommend.py imports scenario.py, never the other way round (no import cycle, no lazy re-export)."""
    import advisor.queueing.recommend as recommend_module
    import advisor.queueing.scenario as scenario_module

    for name in ("Recommendation", "error_share", "outcome_summary", "recommend"):
        assert callable(getattr(recommend_module, name))
        assert not hasattr(scenario_module, name)


@pytest.mark.parametrize("socket", ["unix:/run/app/app.sock", "127.0.0.1:8000"])
@pytest.mark.parametrize("workers,backlog", [(1, 2), (4, 8), (4, 2048)])
@pytest.mark.parametrize("rho", [0.8, 1.2])
def test_no_recommendation_makes_the_users_own_load_worse(tmp_path, socket, workers, backlog, rho):
    """A change may trade ok share at the given load for ok share in overload only if it loses nothing at the given
    load (e.g. a short connect timeout turns SYN retries that still succeed into fast errors)."""
    target = {} if socket.startswith("unix") else {"target": socket}
    pair = write_pair(tmp_path, f"workers = {workers}\nbind = '{socket}'\nbacklog = {backlog}\n",
                      "            proxy_read_timeout 1s;\n", **target)
    deployment = deployment_of(pair)
    scenario = scenario_for_link(deployment.links[0], deployment, rho * workers * 20, ServiceTime.exponential(0.05))
    recs, _ = recommend(scenario)
    for rec in recs:
        assert rec.after.p_ok >= rec.before.p_ok - 1e-4, (rec.setting, rec.before.p_ok, rec.after.p_ok)
