"""The queueing model on extreme inputs: bounded time, the same numbers as the per-place arrays where both apply,
clear refusals beyond physical limits, and --simulate within its time budget."""

from __future__ import annotations

import math
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from small_configs import UNIX_APP, nginx_proxy_conf, write_pair
from typer.testing import CliRunner

from advisor.cli import app
from advisor.queueing import partitioned
from advisor.queueing.analytic import load_curve, predict, recommend_backlog
from advisor.queueing.formulas import erlang_c, mmc_sojourn_sf, mmc_wait_sf
from advisor.queueing.params import (
    MAX_SERVERS,
    MAX_WORKERS,
    ParameterError,
    QueueParams,
    ServiceTime,
    check_pool,
    check_workload,
)
from advisor.queueing.poisson import log_erlang_b, log_poisson_interval, log_poisson_pmf
from advisor.queueing.simulate import band, simulate
from advisor.queueing.wait_segments import SegmentWait
from advisor.queueing.waiting import AdmittedWait

TIMES = (0.01, 0.05, 0.2, 1.0, 5.0, 30.0)


@contextmanager
def within(seconds: int):
    """Fail the test (instead of hanging) when the block takes longer than ``seconds``."""

    def expired(signum, frame):  # noqa: ARG001
        raise TimeoutError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _log_sum_direct(mu: float, lo: int, hi: int) -> float:
    logs = [log_poisson_pmf(k, mu) for k in range(lo, hi + 1)]
    top = max(logs)
    return top + math.log(math.fsum(math.exp(x - top) for x in logs))


# -- the Poisson primitive -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("mu", "lo", "hi"), [
    (0.5, 0, 6), (3.0, 4, 40), (50.0, 134, 400), (1000.0, 0, 525), (1000.0, 905, 1063),
    (20000.0, 0, 20000), (20000.0, 21697, 23000), (300000.0, 298356, 301095), (300000.0, 300001, 305000),
])
def test_poisson_interval_equals_the_sum_of_its_terms(mu, lo, hi):
    assert log_poisson_interval(mu, lo, hi) == pytest.approx(_log_sum_direct(mu, lo, hi), abs=1e-9)


def test_poisson_interval_takes_bounded_time_for_any_mean():
    with within(5):
        started = time.perf_counter()
        assert log_poisson_interval(1e18, 0, 10**18) == pytest.approx(math.log(0.5), abs=1e-6)
        assert log_poisson_interval(1e18, 0, 10) == pytest.approx(-1e18, rel=1e-12)
        assert log_poisson_interval(5.0, 10**15, math.inf) < -1e16
        assert log_poisson_interval(1e12, 0, math.inf) == pytest.approx(0.0, abs=1e-9)
        assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(("c", "a"), [(20000, 19000.0), (20000, 20000.0), (20000, 25000.0), (20000, 1e9),
                                      (100000, 99000.0)])
def test_erlang_b_without_the_recursion_equals_it(c, a):
    b = 1.0
    for n in range(1, c + 1):
        b = a * b / (n + a * b)
    assert math.exp(log_erlang_b(c, a)) == pytest.approx(b, rel=1e-10)


# -- the wait in closed form ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "lam", "mean_s", "room"), [
    (4, 50.0, 0.05, 64), (4, 100.0, 0.05, 64), (4, 80.0, 0.05, 3000), (4, 79.99, 0.05, 2000), (1, 0.8, 1.0, 50),
    (1, 1.5, 1.0, 50), (50, 450.0, 0.1, 1000), (3, 4.0, 0.5, 500), (8, 600.0, 0.1, 10000),
])
def test_segment_wait_equals_the_per_place_arrays(c, lam, mean_s, room):
    exact = AdmittedWait.from_mmck(c, lam, mean_s, room)
    assert isinstance(exact, AdmittedWait)
    closed = SegmentWait.mmck(c, lam, mean_s, room)
    for name in ("p_wait", "p_no_wait", "mean_wait_s"):
        assert getattr(closed, name) == pytest.approx(getattr(exact, name), rel=1e-9, abs=1e-15), name
    for t in TIMES:
        for name in ("wait_sf", "wait_cdf_positive", "sojourn_sf_exponential", "sojourn_cdf_exponential"):
            assert getattr(closed, name)(t) == pytest.approx(getattr(exact, name)(t), rel=1e-7, abs=1e-14), (name, t)


@pytest.mark.parametrize("ratio", [0.0, 0.3, 0.999, 1.0, 1.01])
def test_segment_wait_equals_the_arrays_for_a_stretched_queue(ratio):
    exact = AdmittedWait.geometric(4, 80.0, 0.3, ratio, 500)
    closed = SegmentWait.geometric(4, 80.0, 0.3, ratio, 500)
    assert closed.mean_wait_s == pytest.approx(exact.mean_wait_s, rel=1e-9)
    for t in (0.01, 0.1, 1.0, 5.0):
        assert closed.wait_sf(t) == pytest.approx(exact.wait_sf(t), rel=1e-7, abs=1e-14)
        assert closed.sojourn_cdf_exponential(t) == pytest.approx(exact.sojourn_cdf_exponential(t), rel=1e-7,
                                                                   abs=1e-14)


def test_a_queue_of_two_billion_places_below_saturation_is_the_infinite_queue():
    c, lam, mu = 4, 50.0, 20.0
    with within(10):
        wait = AdmittedWait.from_mmck(c, lam, 1 / mu, 2**31)
        assert isinstance(wait, SegmentWait)
        assert wait.p_wait == pytest.approx(erlang_c(c, lam / mu), rel=1e-9)
        for t in (0.05, 0.5, 2.0):
            assert wait.wait_sf(t) == pytest.approx(mmc_wait_sf(c, lam, mu, t), rel=1e-8)
            assert wait.sojourn_sf_exponential(t) == pytest.approx(mmc_sojourn_sf(c, lam, mu, t), rel=1e-8)


def test_a_full_queue_of_two_billion_places_makes_every_request_wait_for_all_of_it():
    with within(10):
        wait = AdmittedWait.from_mmck(4, 1000.0, 0.05, 2**31)  # rho = 12.5
        assert wait.mean_wait_s == pytest.approx(2**31 / 80.0, rel=1e-6)
        assert wait.wait_sf(3600.0) == pytest.approx(1.0, abs=1e-12)
        assert wait.sojourn_cdf_exponential(30.0) == 0.0


@pytest.mark.parametrize(("workers", "slots", "room", "rate", "bias", "split"), [
    (4, 4, 996, 100.0, 2.0, None), (4, 4, 996, 200.0, 2.0, None), (4, 4, 996, 170.0, 1.0, None),
    (8, 2, 10, 50.0, 2.0, None), (3, 1, 1, 20.0, 2.0, None), (2, 4, 996, 300.0, 2.0, (0.7, 0.3)),
])
def test_partitioned_chain_in_closed_form_equals_the_per_state_chain(workers, slots, room, rate, bias, split):
    params = QueueParams(servers=workers * slots, queue_room=workers * room + 65, arrival_rate=rate,
                         service=ServiceTime.exponential(0.1), workers=workers, worker_room=room,
                         queued_worker_weight=bias, split=split)
    exact = partitioned.partitioned_wait(params, rate, 0.1)
    closed = partitioned._large_partitioned_wait(params, rate, 0.1)
    assert closed.p_wait == pytest.approx(exact.p_wait, rel=1e-8, abs=1e-15)
    assert closed.mean_wait_s == pytest.approx(exact.mean_wait_s, rel=1e-8, abs=1e-15)
    for t in (0.01, 0.1, 1.0, 5.0):
        assert closed.sojourn_cdf_exponential(t) == pytest.approx(exact.sojourn_cdf_exponential(t), rel=1e-7)


# -- predict() in bounded time ------------------------------------------------------------------------------------

EXTREME_PARAMS = [
    dict(servers=100_000, queue_room=65, arrival_rate=50.0, service=ServiceTime.exponential(0.05)),
    dict(servers=4, queue_room=2**31, arrival_rate=50.0, service=ServiceTime.exponential(0.05)),
    dict(servers=4, queue_room=2**31, arrival_rate=80.0, service=ServiceTime.exponential(0.05)),
    dict(servers=4, queue_room=2**31, arrival_rate=1e9, service=ServiceTime.exponential(0.05)),
    dict(servers=4, queue_room=1, arrival_rate=1e308, service=ServiceTime.exponential(1e-6)),
    dict(servers=MAX_SERVERS, queue_room=2**31, arrival_rate=1e9, service=ServiceTime.exponential(1e-6)),
    dict(servers=6_400_000, queue_room=2049, arrival_rate=5000.0, service=ServiceTime.lognormal_from_quantiles(
        0.08, 3.0)),
    dict(servers=4, queue_room=2**31, arrival_rate=100.0, service=ServiceTime.constant(0.05),
         worker_timeout_s=20.0),
    dict(servers=2_000_000, queue_room=2**31, arrival_rate=1e7, service=ServiceTime.exponential(0.1),
         socket="tcp", connect_timeout_s=60.0),
    dict(servers=2 * 10**6, queue_room=2 + 65, arrival_rate=50.0, service=ServiceTime.exponential(0.05),
         workers=2, worker_room=1, queued_worker_weight=2.0),
    dict(servers=4 * MAX_WORKERS, queue_room=MAX_WORKERS * 10**6 + 65, arrival_rate=1e6,
         service=ServiceTime.exponential(0.05), workers=MAX_WORKERS, worker_room=10**6, queued_worker_weight=2.0),
    dict(servers=4, queue_room=65, arrival_rate=50.0, service=ServiceTime.exponential(0.05), read_timeout_s=1e15),
]


@pytest.mark.parametrize("values", EXTREME_PARAMS, ids=lambda values: ",".join(
    f"{key}={value:g}" if isinstance(value, (int, float)) else key for key, value in values.items()))
def test_predict_answers_any_size_quickly_with_shares_that_add_up(values):
    params = QueueParams(**values)
    with within(20):
        started = time.perf_counter()
        prediction = predict(params)
        elapsed = time.perf_counter() - started
    shares = prediction.fractions
    assert all(0.0 <= share <= 1.0 for share in shares.values())
    assert math.fsum(shares.values()) == pytest.approx(1.0, abs=1e-9)
    assert elapsed < 5.0


def test_the_backlog_scan_and_load_curve_of_a_huge_pool_answer_quickly():
    params = QueueParams.from_backlog(100_000, 2**31 - 1, 2**31 - 1, arrival_rate=1e6,
                                      service=ServiceTime.exponential(0.1), worker_timeout_s=30.0)
    with within(30):
        started = time.perf_counter()
        backlog, best = recommend_backlog(params, somaxconn=2**31 - 1)
        curve = load_curve(params, [0.5, 1.0, 1.2, 2.0])
        elapsed = time.perf_counter() - started
    assert 0 <= backlog < 2**31 and 0.0 <= best.p_ok <= 1.0
    assert [point.p_ok for point in curve] == sorted((point.p_ok for point in curve), reverse=True)
    assert elapsed < 10.0


# -- limits ---------------------------------------------------------------------------------------------------------


def test_values_beyond_physical_limits_are_refused_with_the_limit():
    with pytest.raises(ParameterError, match="up to 1e\\+09"):
        check_workload(1e12, ServiceTime.exponential(0.05))
    with pytest.raises(ParameterError, match="between 1 us"):
        check_workload(50.0, ServiceTime.exponential(1e-7))
    with pytest.raises(ParameterError, match="mean"):
        check_workload(50.0, ServiceTime.lognormal_from_quantiles(0.001, 1e6))
    with pytest.raises(ParameterError, match=str(MAX_WORKERS)):
        check_pool("sync", MAX_WORKERS + 1, 1)
    with pytest.raises(ParameterError, match="threads"):
        check_pool("gthread", 1000, 5000)
    with pytest.raises(ParameterError, match="request slots"):
        QueueParams(servers=MAX_SERVERS + 1, queue_room=1, arrival_rate=1.0, service=ServiceTime.exponential(1.0))
    check_workload(1e9, ServiceTime.exponential(1e-6))
    check_pool("gthread", 2, 10**6)


# -- the simulator's time budget -----------------------------------------------------------------------------------


def test_a_simulation_stops_at_its_wall_clock_limit_and_says_so():
    params = QueueParams.from_backlog(64, 2048, 4096, arrival_rate=20000.0, service=ServiceTime.exponential(0.002))
    started = time.perf_counter()
    result = simulate(params, horizon_s=61.0, warmup_s=1.0, max_seconds=0.2)
    assert time.perf_counter() - started < 1.0
    assert result.truncated and 0 < result.duration_s < 60.0
    assert math.fsum(result.fractions.values()) == pytest.approx(1.0)
    whole = simulate(params, horizon_s=1.5, warmup_s=1.0, seed=3)
    assert not whole.truncated and whole.duration_s == pytest.approx(0.5)


def test_a_band_within_a_budget_keeps_only_whole_runs():
    params = QueueParams.from_backlog(8, 2048, 4096, arrival_rate=300.0, service=ServiceTime.exponential(0.02))
    started = time.perf_counter()
    spread = band(params, 60.0, 1.0, runs=200, budget_s=0.5)
    assert time.perf_counter() - started < 1.0
    assert 1 <= spread.runs < 200 and "p_ok" in spread


# -- the commands, end to end ---------------------------------------------------------------------------------------

NGINX = nginx_proxy_conf(UNIX_APP, "proxy_read_timeout 30s")

CLI_CASES = [
    # (gunicorn.conf.py, options, expected exit codes, text that must be in the output)
    ("workers = 100000\nbacklog = 64\n", ("--rps", "50", "--service-time", "50ms"), {0}, ""),
    ("workers = 2\nthreads = 10**6\n", ("--rps", "50", "--service-time", "50ms"), {0}, ""),
    ("workers = 4\nbacklog = 2**31\n", ("--rps", "80", "--service-time", "50ms", "--somaxconn", str(2**31 - 1)),
     {1}, ""),
    ("workers = 64\nworker_class = 'gevent'\nworker_connections = 10**5\n",
     ("--rps", "5000", "--service-time", "p50=80ms,p99=3s"), {0}, ""),
    ("workers = 4\n", ("--rps", "1e9", "--service-time", "1us"), {1}, ""),
    ("workers = 10**7\n", ("--rps", "50", "--service-time", "50ms"), {2}, "more processes than Linux runs"),
    ("workers = 1000\nthreads = 5000\nworker_connections = 5000\n", ("--rps", "50", "--service-time", "50ms"), {2},
     "more threads than Linux runs"),
    ("workers = 4\n", ("--rps", "1e12", "--service-time", "50ms"), {2}, "up to 1e+09"),
    ("workers = 4\nbacklog = 0\n", ("--rps", "1e308", "--service-time", "1us"), {2}, "up to 1e+09"),
    ("workers = 4\n", ("--rps", "50", "--service-time", "1000000000s"), {2}, "between 1 us"),
]


def _write(tmp_path: Path, gunicorn: str) -> list[str]:
    bind = UNIX_APP.removeprefix("http://")
    return write_pair(tmp_path, NGINX, "gunicorn.conf.py", f"bind = '{bind}'\n" + gunicorn)


@pytest.mark.parametrize(("gunicorn", "options", "codes", "message"), CLI_CASES)
@pytest.mark.parametrize("command", ["model", "check"])
def test_commands_on_extreme_parameters_answer_in_time_with_a_clear_exit(tmp_path, command, gunicorn, options,
                                                                          codes, message):
    files = _write(tmp_path, gunicorn)
    with within(30):
        started = time.perf_counter()
        result = CliRunner().invoke(app, [command, *files, *options])
        elapsed = time.perf_counter() - started
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert elapsed < 10.0
    assert "Traceback" not in result.output and "internal error" not in result.output
    if command == "check":  # the findings decide the exit code; a workload beyond the limits is a usage error
        assert result.exit_code in (0, 1, 2)
        if message in ("up to 1e+09", "between 1 us"):
            assert result.exit_code == 2 and message in result.output
        return
    assert result.exit_code in codes, result.output
    if message:
        assert "advisor: error:" in result.output and message in result.output


def test_simulate_keeps_to_its_time_budget(tmp_path):
    files = _write(tmp_path, "workers = 64\nbacklog = 2048\n")
    with within(30):
        started = time.perf_counter()
        result = CliRunner().invoke(app, ["model", *files, "--rps", "20000", "--service-time", "2ms", "--simulate"])
        elapsed = time.perf_counter() - started
    assert result.exit_code in (0, 1), result.output
    assert elapsed < 8.0
    assert "simulated requests over" in result.output
    assert "band of" in result.output or "no band: the time budget" in result.output
    assert "to stay within its 2-s time budget" in result.output
