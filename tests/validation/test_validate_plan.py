"""`advisor validate` without running load: time scaling, limits, route copying, classification, verdicts, CLI
usage errors and exit codes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.commands.options import HostFacts, Inputs
from advisor.loaders.deployment import build_deployment
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.validation.compare import compare, overall_verdict
from advisor.validation.loadresult import LoadResult, RequestRecord
from advisor.validation.measure import classify, measure
from advisor.validation.nginx_accesslog import parse_access_log
from advisor.validation.plan import PlanError, RouteSettings, make_plan, route_settings_from_model

FIXTURES = Path(__file__).parent / "fixtures"
ROUTE = RouteSettings(connect_timeout_s=0.5, read_timeout_s=0.15)


def pool(workers=4, backlog=8, rps=64.0, mean=0.05, read=0.15, connect=0.5, tw=None, socket="unix", somaxconn=4096):
    return QueueParams.from_backlog(workers, backlog, somaxconn=somaxconn, arrival_rate=rps,
                                    service=ServiceTime.exponential(mean), read_timeout_s=read,
                                    connect_timeout_s=connect, worker_timeout_s=tw, socket=socket)


def test_time_scaling_keeps_rho_and_every_timeout_to_service_ratio():
    user = pool(rps=0.64, mean=5.0, read=15.0, connect=60.0, tw=30.0)
    route = RouteSettings(connect_timeout_s=60.0, read_timeout_s=15.0, send_timeout_s=60.0)
    plan = make_plan(user, route, time_scale=0.01)
    p = plan.params
    assert p.offered_load == pytest.approx(user.offered_load)
    assert p.arrival_rate == pytest.approx(64.0)
    assert p.service.mean_s == pytest.approx(0.05)
    for scaled, original in ((p.read_timeout_s, 15.0), (p.connect_timeout_s, 60.0), (p.worker_timeout_s, 30.0)):
        assert scaled / p.service.mean_s == pytest.approx(original / user.service.mean_s)
    assert plan.route.proxy_read_timeout_s == pytest.approx(0.15)
    assert plan.route.proxy_send_timeout_s == pytest.approx(0.6)
    assert p.kill_lag_max_s == pytest.approx(0.01)  # the reference server's arbiter loop is scaled too
    assert plan.to_user_time(0.05) == pytest.approx(5.0)
    assert any("time-scaled by 0.01" in note for note in plan.notes)


def test_gunicorn_runs_whole_second_timeouts_and_an_unscaled_arbiter_loop():
    user = pool(rps=0.64, mean=5.0, read=15.0, connect=60.0, tw=150.0)
    plan = make_plan(user, RouteSettings(connect_timeout_s=60.0, read_timeout_s=15.0), time_scale=0.01,
                     server="gunicorn")
    assert plan.gunicorn_timeout_s == 2  # 1.5 s rounded up
    assert plan.params.worker_timeout_s == 2.0  # the prediction describes what runs
    assert plan.params.kill_lag_max_s == 1.0
    assert any("whole seconds" in note for note in plan.notes)


def test_too_many_workers_are_refused_with_a_reduced_setting():
    with pytest.raises(PlanError, match=r"at most 64 reference workers.*workers = 64 with --rps 640"):
        make_plan(pool(workers=100, rps=1000.0), ROUTE)
    with pytest.raises(PlanError, match="at most 32 gunicorn workers"):
        make_plan(pool(workers=33, rps=64.0), ROUTE, server="gunicorn")
    assert make_plan(pool(workers=33, rps=64.0), ROUTE).params.servers == 33


def test_a_rate_above_the_machine_limit_suggests_a_time_scale_that_works():
    user = pool(rps=5000.0, mean=0.002, read=0.1, connect=0.5)
    with pytest.raises(PlanError, match=r"--time-scale 5\b"):
        make_plan(user, RouteSettings(connect_timeout_s=0.5, read_timeout_s=0.1))
    plan = make_plan(user, RouteSettings(connect_timeout_s=0.5, read_timeout_s=0.1), time_scale=5)
    assert plan.params.arrival_rate == pytest.approx(1000.0)


@pytest.mark.parametrize("changes, message", [
    ({"mean": 0.002, "rps": 100.0}, "below the 5 ms"),
    ({"read": 0.005}, "proxy_read_timeout 5 ms"),
])
def test_settings_too_small_for_the_timers_are_refused(changes, message):
    with pytest.raises(PlanError, match=message):
        make_plan(pool(**changes), ROUTE)


def test_options_out_of_range_are_refused():
    with pytest.raises(PlanError, match="--duration"):
        make_plan(pool(), ROUTE, duration_s=3600)
    with pytest.raises(PlanError, match="--server"):
        make_plan(pool(), ROUTE, server="uwsgi")
    with pytest.raises(PlanError, match="--server gunicorn"):
        make_plan(pool(), ROUTE, family="gthread", worker_class="gthread")
    with pytest.raises(PlanError, match="cannot run"):
        make_plan(pool(), ROUTE, server="gunicorn", family="event-loop", worker_class="tornado")
    with pytest.raises(PlanError, match="127.0.0.1 or ::1"):
        make_plan(pool(), ROUTE, tcp_host="0.0.0.0")


def test_the_accept_queue_of_the_app_host_is_reproduced():
    assert make_plan(pool(backlog=8, somaxconn=4), ROUTE).listen_backlog == 4
    assert make_plan(pool(backlog=8), ROUTE).listen_backlog == 8
    with pytest.raises(PlanError, match="net.core.somaxconn"):
        make_plan(pool(backlog=10**6, somaxconn=10**6), ROUTE)


def _deployment(name: str):
    directory = FIXTURES / name
    inputs = Inputs(paths=[str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py")])
    return build_deployment(inputs, HostFacts.build())


def test_route_settings_come_from_the_deployment_model():
    deployment = _deployment("unix-b8")
    route = route_settings_from_model(deployment.links[0].route)
    assert route.connect_timeout_s == pytest.approx(0.5)
    assert route.read_timeout_s == pytest.approx(0.15)
    assert route.upstream_block is True  # proxy_pass http://app_server
    tcp = route_settings_from_model(_deployment("tcp-b8").links[0].route)
    assert tcp.upstream_block is False


# -- measurement ---------------------------------------------------------------------------------------------------

ACCESS_LOG = "".join(f"{line}\n" for line in (
    '1795716095.810 504 "GET /?t=0.800000&i=3 HTTP/1.1" upstream_status=504 connect=- header=- '
    'response=0.301 request_time=0.301',
    '1795716096.010 504 "GET /?t=0.800000&i=4 HTTP/1.1" upstream_status=504 connect=0.000 header=- '
    'response=0.500 request_time=0.501',
    '1795716096.020 200 "GET /?t=0.010000&i=5 HTTP/1.1" upstream_status=200 connect=0.000 header=0.011 '
    'response=0.011 request_time=0.011',
    '1795716096.030 200 "GET /healthz HTTP/1.1" upstream_status=200 connect=0.000 header=0.001 '
    'response=0.001 request_time=0.001',
))


def test_access_log_tells_connect_timeouts_from_read_timeouts():
    entries = parse_access_log(ACCESS_LOG)
    assert sorted(entries) == [3, 4, 5]  # untagged requests are skipped
    assert not entries[3].connected and entries[4].connected and entries[5].status == 200
    connect_504 = RequestRecord(index=3, scheduled=0.0, outcome="http_504")
    read_504 = RequestRecord(index=4, scheduled=0.0, outcome="http_504")
    assert classify(connect_504, entries, via_nginx=True) == "504_connect"
    assert classify(read_504, entries, via_nginx=True) == "504"


@pytest.mark.parametrize("outcome, detail, via_nginx, expected", [
    ("ok", "", True, "ok"),
    ("http_502", "", True, "502"),
    ("http_500", "", True, "500"),
    ("eagain", "", False, "502"),
    ("connect_timeout", "", False, "504_connect"),
    ("read_timeout", "", False, "504"),
    ("read_timeout", "", True, "other"),  # behind nginx the generator's own timeout is not nginx's answer
    ("reset", "truncated response", True, "504"),  # nginx's read timeout cut the body
    ("reset", "recv: [Errno 104] Connection reset by peer", True, "other"),
    ("http_404", "", True, "other"),
])
def test_outcomes_map_onto_the_model_outcomes(outcome, detail, via_nginx, expected):
    record = RequestRecord(index=0, scheduled=0.0, outcome=outcome, detail=detail)
    assert classify(record, {}, via_nginx=via_nginx) == expected


def test_measure_keeps_only_the_window_and_computes_shares_latency_and_utilisation():
    t0 = 100.0
    records = []
    for k in range(40):  # one request every 0.25 s for 10 s; odd ones 502
        scheduled = t0 + 0.25 * k
        records.append(RequestRecord(index=k, scheduled=scheduled, started=scheduled, done=scheduled + 0.1,
                                     outcome="ok" if k % 2 == 0 else "eagain"))
    result = LoadResult(records=records, target="unix:/x", schedule_kind="poisson", nominal_rate=4.0,
                        wall_start=0.0, extra={"t0_monotonic": t0})
    targets = [f"/?t=0.100000&i={k}" for k in range(40)]
    spans = [(t0 + 0.25 * k, t0 + 0.25 * k + 0.1) for k in range(0, 40, 2)]
    m = measure(result, warmup_s=2.0, duration_s=5.0, workers=2, targets=targets, busy_spans=spans)
    assert m["n"] == 20  # scheduled in [2 s, 7 s)
    assert m["p_ok"] == pytest.approx(0.5) and m["p_502"] == pytest.approx(0.5)
    assert m["latency_p50_s"] == pytest.approx(0.1)
    assert m["utilization"] == pytest.approx(10 * 0.1 / (2 * 5.0))
    assert m["offered_rps"] == pytest.approx(4.0)
    assert m["rho"] == pytest.approx(4.0 * 0.1 / 2)


def test_verdict_is_decided_by_the_shares_only():
    predicted = {"p_ok": 0.9, "p_502": 0.02, "p_504": 0.08, "p_504_connect": 0.0, "p_500": 0.0, "p_other": 0.0,
                 "latency_p50_s": 0.05, "latency_p99_s": 0.14, "utilization": 0.8}
    bands = {"p_ok": (0.85, 0.95), "p_502": (0.0, 0.05), "p_504": (0.04, 0.12), "p_504_connect": (0.0, 0.0),
             "p_500": (0.0, 0.0), "latency_p50_s": (0.04, 0.06), "latency_p99_s": (0.13, 0.145),
             "utilization": (0.7, 0.9)}
    measured = dict(predicted, latency_p99_s=0.15)  # an info row outside
    rows = compare(predicted, measured, bands)
    assert {row.key: row.verdict for row in rows}["latency_p99_s"] == "outside"
    assert overall_verdict(rows) == "inside"
    rows = compare(predicted, dict(measured, p_other=0.001), bands)  # one unexplained request
    assert overall_verdict(rows) == "outside"
    rows = compare(predicted, dict(measured, p_ok=math.nan), bands)
    assert overall_verdict(rows) == "outside"


# -- command line --------------------------------------------------------------------------------------------------


def _validate(*args: str):
    pair = FIXTURES / "unix-b8"
    return CliRunner().invoke(app, ["validate", str(pair / "nginx.conf"), str(pair / "gunicorn.conf.py"), *args])


@pytest.mark.parametrize("args, message", [
    (["--service-time", "50ms"], "needs --rps and --service-time"),
    (["--rps", "64", "--service-time", "50ms", "--proxy", "haproxy"], "unknown --proxy"),
    (["--rps", "64", "--service-time", "50ms", "--server", "apache"], "unknown --server"),
    (["--rps", "64", "--service-time", "50ms", "--output-format", "sarif"], "unknown --output-format"),
    (["--rps", "64", "--service-time", "fast"], "--service-time"),
    (["--rps", "64", "--service-time", "50ms", "--duration", "20m"], "--duration must be between"),
    (["--rps", "64", "--service-time", "50ms", "--link", "3"], "--link 3: there are 1 link"),
    (["--rps", "6.4", "--service-time", "50ms", "--time-scale", "0.01"], "below the 5 ms"),
    (["--rps", "64", "--service-time", "50ms", "--time-scale", "0.01"], "--time-scale 0.1 (or larger)"),
    (["--rps", "0.1", "--service-time", "50ms", "--duration", "20s"], "longer --duration"),
])
def test_usage_errors_exit_2_with_a_message(args, message):
    result = _validate(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_too_many_workers_exit_2(tmp_path):
    (tmp_path / "gunicorn.conf.py").write_text('bind = "127.0.0.1:8000"\nworkers = 200\n', encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        "events {}\nhttp { server { listen 80; location / { proxy_pass http://127.0.0.1:8000; } } }\n",
        encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "nginx.conf"), str(tmp_path / "gunicorn.conf.py"),
                                      "--rps", "100", "--service-time", "50ms"])
    assert result.exit_code == 2
    assert "200 workers" in result.output and "Validate a reduced copy" in result.output


def test_proxy_nginx_without_nginx_exits_2(monkeypatch):
    monkeypatch.setattr("advisor.validation.nginx_runner.nginx_binary", lambda: None)
    result = _validate("--rps", "64", "--service-time", "50ms", "--proxy", "nginx")
    assert result.exit_code == 2
    assert "nginx is not installed" in result.output


def test_a_share_outside_its_band_exits_1(monkeypatch):
    """The exit-code contract with a run whose every request failed (the run itself is replaced)."""
    from advisor.validation import session

    def all_502(plan, **kwargs):
        measured = {"n": 500, "p_ok": 0.0, "p_502": 1.0, "p_504": 0.0, "p_504_connect": 0.0, "p_500": 0.0,
                    "p_other": 0.0, "latency_p50_s": None, "latency_p99_s": None, "utilization": 0.0,
                    "offered_rps": 64.0, "mean_service_s": 0.05, "rho": 0.8}
        return session.RunData(measured=measured, nginx_error_log=None, server={"kind": "ref"})

    monkeypatch.setattr(session, "run_plan", all_502)
    result = _validate("--rps", "64", "--service-time", "50ms", "--duration", "5s", "--proxy", "builtin")
    assert result.exit_code == 1, result.output
    assert "verdict: outside - ok, 502, 504 read timeout outside" in result.output


def test_progress_prints_plain_lines_off_a_terminal_and_one_updating_line_on_it():
    import io
    import time as clock

    from advisor.validation.progress import Progress

    for tty in (False, True):
        stream = io.StringIO()
        progress = Progress(stream, tty=tty, interval_s=0.02)
        records = [RequestRecord(index=k, scheduled=0.0) for k in range(3)]
        progress.watch(10.0)(records, clock.monotonic())
        records[0].started, records[0].outcome = 1.0, "ok"
        records[1].started, records[1].outcome = 1.0, "eagain"
        clock.sleep(0.2)
        progress.done()
        text = stream.getvalue()
        assert "2 sent, ok 1, 502 1" in text
        if tty:
            assert "\r\x1b[K" in text and text.endswith("\n")
        else:
            assert "\r" not in text and text.count("\n") >= 2


def test_gunicorn_runs_the_links_worker_class():
    plan = make_plan(pool(), ROUTE, server="gunicorn", family="gthread", worker_class="gthread", processes=2,
                     threads=2, worker_connections=1000)
    described = plan.describe()
    assert (plan.worker_class, plan.processes, plan.threads) == ("gthread", 2, 2)
    assert (described["workers"], described["threads"], described["worker_connections"]) == (2, 2, 1000)
    assert any("real gunicorn (gthread)" in note for note in plan.notes)
    uvicorn = make_plan(pool(), ROUTE, server="gunicorn", family="event-loop", worker_class="uvicorn", processes=4)
    assert uvicorn.worker_class == "uvicorn" and any("ASGI app" in note for note in uvicorn.notes)
    sync = make_plan(pool(), ROUTE, server="gunicorn")
    assert (sync.worker_class, sync.processes) == ("sync", pool().servers)
