"""The uWSGI side of `advisor validate`: nginx's generated uwsgi_pass config, the plan for a uWSGI link, and real
uWSGI (pyuwsgi, test extra) behind real nginx - start and clean stop, what a protocol mismatch looks like, how
harakiri cuts a request, and an interrupted run that leaves nothing behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from agreement_support import descendants, require_uwsgi

from advisor.validation.nginx_runner import NginxRoute, NginxRunner, render_nginx_conf
from advisor.validation.endpoints import parse_endpoint
from advisor.validation.procutil import process_alive, wait_gone
from advisor.validation.uwsgi_runner import UwsgiConfig, start_uwsgi

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parents[2]


def _deployment(pair: str):
    from advisor.commands.options import HostFacts, Inputs
    from advisor.loaders.deployment import build_deployment

    directory = FIXTURES / pair
    inputs = Inputs(paths=[str(directory / "nginx.conf"), str(directory / "uwsgi.ini")])
    return build_deployment(inputs, HostFacts.build())


# -- without processes ----------------------------------------------------------------------------------------------


def test_uwsgi_pass_config_includes_the_params_and_leaves_out_http_directives(tmp_path):
    route = NginxRoute(proxy_connect_timeout_s=0.5, proxy_read_timeout_s=0.15, pass_kind="uwsgi")
    unix = render_nginx_conf(parse_endpoint(f"unix:{tmp_path}/app.sock"), route, 18080, str(tmp_path))
    assert f"uwsgi_pass unix:{tmp_path}/app.sock;" in unix
    assert f"include {tmp_path}/uwsgi_params;" in unix
    assert "uwsgi_connect_timeout 500ms;" in unix and "uwsgi_read_timeout 150ms;" in unix
    location = unix[unix.index("location / {"):]
    assert "proxy_" not in location  # proxy_http_version, proxy_set_header: HTTP only
    tcp = render_nginx_conf(parse_endpoint("127.0.0.1:3031"), route, 18080, str(tmp_path))
    assert "uwsgi_pass 127.0.0.1:3031;" in tcp
    upstream = render_nginx_conf(parse_endpoint("127.0.0.1:3031"), NginxRoute(pass_kind="uwsgi", upstream_block=True),
                                 18080, str(tmp_path))
    assert "uwsgi_pass advisor_upstream;" in upstream
    with pytest.raises(ValueError, match="pass_kind"):
        NginxRoute(pass_kind="fastcgi").validate()


def test_route_settings_of_a_uwsgi_link_come_from_the_uwsgi_directives():
    from advisor.validation.plan import route_settings_from_model

    deployment = _deployment("uwsgi-tcp-b8")
    (link,) = deployment.links
    settings = route_settings_from_model(link.route)
    assert (settings.kind, settings.connect_timeout_s, settings.read_timeout_s) == ("uwsgi", 0.5, 0.15)


def test_a_uwsgi_link_plans_with_its_own_server_and_unscaled_master_cycle():
    from advisor.queueing.params import ServiceTime
    from advisor.queueing.scenario import scenario_for_link
    from advisor.validation.plan import PlanError, make_plan, route_settings_from_model

    deployment = _deployment("uwsgi-harakiri")
    (link,) = deployment.links
    scenario = scenario_for_link(link, deployment, 26.0, ServiceTime.lognormal_from_quantiles(0.3, 8.0))
    settings, route = scenario.settings, route_settings_from_model(link.route)

    def plan(**changes):
        options = dict(server="uwsgi", family=settings.family, worker_class=settings.worker_class,
                       processes=settings.workers, threads=settings.threads)
        return make_plan(scenario.params, route, **{**options, **changes})

    executed = plan()
    assert (executed.harakiri_s, executed.params.worker_timeout_s, executed.params.worker_timeout_status) == (3, 3.0,
                                                                                                             502)
    assert executed.route.pass_kind == "uwsgi" and executed.describe()["harakiri_s"] == 3.0
    slow = plan(time_scale=0.5)  # harakiri 1.5 s runs as 2 s; the master's 1-s respawn is not scaled
    assert slow.harakiri_s == 2 and slow.params.restart_s == scenario.params.restart_s
    assert any("whole seconds" in note for note in slow.notes)
    with pytest.raises(PlanError, match="--server uwsgi"):
        plan(server="ref")
    with pytest.raises(PlanError, match="processes x threads only"):
        plan(worker_class="uwsgi-gevent")


def test_a_gunicorn_link_is_refused_by_server_uwsgi():
    from advisor.commands.options import HostFacts, Inputs
    from advisor.commands.validate_cmd import UsageError, ValidateOptions, build_plan

    require_uwsgi()
    directory = FIXTURES / "unix-b8"
    options = ValidateOptions(
        inputs=Inputs(paths=[str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py")]),
        host=HostFacts.build(), rps=40, service_time="50ms", server="uwsgi", proxy="builtin", progress=False)
    with pytest.raises(UsageError, match="use --server gunicorn"):
        build_plan(options)


# -- real uWSGI -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bind, protocol", [("unix:", "uwsgi"), ("127.0.0.1:0", "http")])
def test_uwsgi_starts_serves_and_leaves_nothing_behind(bind, protocol):
    from advisor.validation.loadgen import LoadSpec, run_load

    require_uwsgi()
    config = UwsgiConfig(bind=bind, protocol=protocol, processes=2, threads=2, listen=8, max_seconds=60,
                         request_log=True)
    with start_uwsgi(config) as server:
        workers = server.worker_pids()
        tmpdir = server._tmpdir
        assert len(workers) == 2
        if protocol == "http":
            result = run_load(LoadSpec(target=str(server.address), arrivals="burst", max_requests=4, duration_s=1,
                                       path="/?t=0.2", connect_timeout_s=5, read_timeout_s=5))
            assert result.counts() == {"ok": 4}
    assert wait_gone(workers, 5) == []
    assert not os.path.exists(tmpdir)
    if protocol == "http":
        starts = sorted(record["start"] for record in server.request_records())
        assert len(starts) == 4 and starts[3] - starts[0] < 0.1  # 2 processes x 2 threads: all four at once
    assert "spawned uWSGI worker 2" in server.log()


@pytest.mark.nginx
@pytest.mark.usefixtures("nginx_binary")
def test_proxy_pass_to_a_uwsgi_socket_is_a_502_with_both_log_lines():
    from advisor.validation.loadgen import LoadSpec, run_load

    require_uwsgi()
    with start_uwsgi(UwsgiConfig(bind="unix:", protocol="uwsgi", max_seconds=60)) as server:
        with NginxRunner(server.address, NginxRoute(proxy_read_timeout_s=5)) as nginx:
            result = run_load(LoadSpec(target=str(nginx.address), arrivals="burst", max_requests=2, duration_s=1,
                                       path="/?t=0", connect_timeout_s=5, read_timeout_s=10))
            errors = nginx.wait_error_lines("premature_close", 2)
    assert result.counts() == {"http_502": 2}
    assert errors.counts == {"premature_close": 2}
    # "GET " read as a uwsgi packet header: a 21573-byte packet, more than buffer-size 4096
    assert server.log().count("invalid request block size: 21573 (max 4096)") == 2


@pytest.mark.slow
@pytest.mark.nginx
@pytest.mark.usefixtures("nginx_binary")
def test_harakiri_cuts_within_a_second_of_it_as_a_502_and_the_worker_comes_back():
    from advisor.validation.loadgen import LoadSpec, run_load

    require_uwsgi()
    config = UwsgiConfig(bind="unix:", protocol="uwsgi", processes=1, harakiri_s=2, max_seconds=60)
    with start_uwsgi(config) as server:
        with NginxRunner(server.address, NginxRoute(proxy_read_timeout_s=10, pass_kind="uwsgi")) as nginx:
            started = time.monotonic()
            slow = run_load(LoadSpec(target=str(nginx.address), arrivals="burst", max_requests=1, duration_s=1,
                                     path="/?t=8", connect_timeout_s=5, read_timeout_s=15))
            cut_after = time.monotonic() - started
            after = run_load(LoadSpec(target=str(nginx.address), arrivals="burst", max_requests=1, duration_s=1,
                                      path="/?t=0", connect_timeout_s=5, read_timeout_s=15))
            respawn = time.monotonic() - started - cut_after
            errors = nginx.wait_error_lines("premature_close", 1)
    assert slow.counts() == {"http_502": 1} and after.counts() == {"ok": 1}
    assert 1.0 < cut_after < 3.3  # harakiri 2 s: the master's whole-second clock cuts within about 1 s of it
    assert respawn < 1.8  # re-forked on the master's next 1-s cycle
    assert errors.counts == {"premature_close": 1}
    assert "HARAKIRI ON WORKER 1" in server.log()


@pytest.mark.slow
@pytest.mark.nginx
@pytest.mark.usefixtures("nginx_binary")
def test_an_interrupted_uwsgi_run_leaves_nothing_behind(tmp_path):
    require_uwsgi()
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    directory = FIXTURES / "uwsgi-unix-b8"
    proc = subprocess.Popen(
        [sys.executable, "-m", "advisor", "validate", str(directory / "nginx.conf"), str(directory / "uwsgi.ini"),
         "--rps", "64", "--service-time", "50ms", "--duration", "20s", "--server", "uwsgi", "--output-format",
         "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        env=dict(os.environ, TMPDIR=str(tmpdir), PYTHONPATH=str(REPO)))
    seen: set[int] = set()
    deadline = time.monotonic() + 30
    assert proc.stderr is not None
    while time.monotonic() < deadline and "sending" not in proc.stderr.readline():
        pass
    for _ in range(20):  # in the middle of the load: uWSGI's master and workers, nginx
        seen |= descendants(proc.pid)
        time.sleep(0.05)
    assert len([pid for pid in seen if process_alive(pid)]) >= 4
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert out == ""
    assert [pid for pid in seen if process_alive(pid)] == []
    assert list(tmpdir.iterdir()) == []
    assert not Path("/run/advisor-validate-fixture").exists()
