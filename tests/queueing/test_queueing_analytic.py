"""predict(), scan_backlog(), recommend_backlog() and load_curve() against the tables of queueing.md."""

from __future__ import annotations

import math

import pytest

from advisor.queueing.analytic import Prediction, load_curve, predict, recommend_backlog, scan_backlog
from advisor.queueing.params import QueueParams, ServiceTime

EXP50 = ServiceTime.exponential(0.05)
OUTCOME_KEYS = ("p_ok", "p_502", "p_504", "p_504_connect", "p_500")
REQUIRED_KEYS = {
    "offered_rps", "utilization", "p_ok", "p_502", "p_504", "p_504_connect", "p_500", "latency_p50_s",
    "latency_p99_s", "max_throughput_rps", "queue_capacity", "servers", "drain_time_s", "fill_time_s",
    "goodput_rps", "mean_wait_s", "collapse", "model", "approximate",
}


def pool(rho: float, backlog: int, deadline: float | None, servers: int = 4, **kwargs) -> QueueParams:
    return QueueParams.from_backlog(
        servers, backlog, arrival_rate=rho * servers / 0.05, service=kwargs.pop("service", EXP50),
        read_timeout_s=deadline, **kwargs,
    )


def assert_consistent(prediction: Prediction) -> None:
    values = [getattr(prediction, key) for key in OUTCOME_KEYS]
    assert all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values), values
    assert math.fsum(values) == pytest.approx(1.0, abs=1e-9)
    assert 0.0 <= prediction.utilization <= 1.0
    for key in ("latency_p50_s", "latency_p99_s"):
        value = getattr(prediction, key)
        assert value is None or (math.isfinite(value) and value >= 0)


# queueing.md §5.2: c = 4, mu = 20/s, K = 13 (backlog 8), T = 150 ms; formula column.
TABLE_5_2 = [
    # rho, P(block), P(W > T) of all arrivals, utilization, E[Wq] of served (ms)
    (0.5, 0.00017, 0.0578, 0.500, 4.30),
    (0.8, 0.0171, 0.1145, 0.786, 25.3),
    (0.95, 0.0602, 0.1699, 0.893, 43.8),
    (1.2, 0.1871, 0.2375, 0.975, 71.5),
]


@pytest.mark.parametrize(("rho", "block", "late", "util", "wait_ms"), TABLE_5_2)
def test_table_5_2(rho: float, block: float, late: float, util: float, wait_ms: float) -> None:
    prediction = predict(pool(rho, 8, 0.15))
    assert prediction.queue_capacity == 9
    assert prediction.p_502 == pytest.approx(block, abs=5e-6 if block < 0.001 else 5e-5)
    assert prediction.p_504 == pytest.approx(late, abs=5e-5)
    assert prediction.utilization == pytest.approx(util, abs=5e-4)
    assert prediction.mean_wait_s * 1000 == pytest.approx(wait_ms, abs=0.05)
    assert prediction.model.startswith("M/M/c/K") and not prediction.approximate
    assert_consistent(prediction)


# queueing.md §5.3, rows A (unix, B = 8, T = 150 ms): M/M/c/K column and the latency predictions.
TABLE_5_3_A = [
    # rho, overflow %, 504 %, ok %, util, p50 ok (ms), p99 ok (ms)
    (0.5, 0.0, 5.8, 94.2, 0.500, 36, 142),
    (0.8, 1.7, 11.5, 86.8, 0.786, 53, 146),
    (0.95, 6.0, 17.0, 77.0, 0.893, 68, 147),
    (1.2, 18.7, 23.8, 57.5, 0.975, 91, 149),
]


@pytest.mark.parametrize(("rho", "overflow", "late", "ok", "util", "p50", "p99"), TABLE_5_3_A)
def test_table_5_3_unix(rho, overflow, late, ok, util, p50, p99) -> None:
    prediction = predict(pool(rho, 8, 0.15))
    assert 100 * prediction.p_502 == pytest.approx(overflow, abs=0.05)
    assert 100 * prediction.p_504 == pytest.approx(late, abs=0.05)
    assert 100 * prediction.p_ok == pytest.approx(ok, abs=0.05)
    assert prediction.utilization == pytest.approx(util, abs=5e-4)
    assert 1000 * prediction.latency_p50_s == pytest.approx(p50, abs=0.5)
    assert 1000 * prediction.latency_p99_s == pytest.approx(p99, abs=0.5)
    assert prediction.p_504_connect == 0.0


@pytest.mark.parametrize("rho", [0.5, 0.8, 0.95, 1.2])
def test_tcp_with_short_connect_timeout_is_the_same_loss_system(rho: float) -> None:
    # Rows B of §5.3: Tc = 0.5 s < first SYN retry, so an overflow is a loss -> 504 (connect).
    unix = predict(pool(rho, 8, 0.15))
    tcp = predict(pool(rho, 8, 0.15, socket="tcp", connect_timeout_s=0.5))
    assert tcp.p_504_connect == pytest.approx(unix.p_502, rel=1e-12)
    assert tcp.p_502 == 0.0
    assert tcp.p_504 == pytest.approx(unix.p_504, rel=1e-12)
    assert not tcp.approximate


def test_tcp_with_syn_retries_is_flagged_approximate() -> None:
    prediction = predict(pool(1.2, 8, 0.15, socket="tcp", connect_timeout_s=2.5))
    assert prediction.approximate
    assert "retrial" in prediction.approximation_reason
    assert "SYN retries at 1, 2 s" in prediction.model
    assert_consistent(prediction)
    # Retries turn some losses into late admissions: fewer connect failures than the loss system has 504s.
    loss = predict(pool(1.2, 8, 0.15, socket="tcp", connect_timeout_s=0.5))
    assert prediction.p_504_connect < loss.p_504_connect
    # Retried requests that get through arrive >= 1 s late: the ok p99 jumps past the first retry.
    assert prediction.latency_p99_s > 1.0


# queueing.md §6 backlog scan: c = 4, S = 50 ms, T = 250 ms, % ok.
TABLE_6 = {
    0.9: {0: 79.8, 8: 93.6, 12: 93.4, 16: 91.5, 32: 84.3, 64: 82.5, 2048: 82.4},
    1.2: {0: 68.0, 8: 77.6, 12: 72.2, 16: 59.1, 32: 6.0, 64: 0.02, 2048: 0.0},
    1.5: {0: 58.2, 8: 62.4, 12: 55.2, 16: 40.5, 32: 0.7, 64: 0.0, 2048: 0.0},
}
TABLE_6_DEFAULT_BACKLOG = {0.9: (0.0, 17.6), 1.2: (16.7, 83.3), 1.5: (33.3, 66.7)}


@pytest.mark.parametrize("rho", sorted(TABLE_6))
def test_table_6_backlog_scan(rho: float) -> None:
    rows = dict(scan_backlog(pool(rho, 8, 0.25), backlogs=sorted(TABLE_6[rho])))
    for backlog, ok in TABLE_6[rho].items():
        assert 100 * rows[backlog].p_ok == pytest.approx(ok, abs=0.05 if ok >= 0.1 else 0.005), backlog
        assert_consistent(rows[backlog])
    refused, late = TABLE_6_DEFAULT_BACKLOG[rho]
    assert 100 * rows[2048].p_502 == pytest.approx(refused, abs=0.05)
    assert 100 * rows[2048].p_504 == pytest.approx(late, abs=0.05)


def test_default_backlog_collapse_at_rho_1_2() -> None:
    prediction = predict(pool(1.2, 2048, 0.25))
    assert prediction.collapse
    assert prediction.drain_time_s == pytest.approx(25.6125)  # 2049 * 50 ms / 4
    assert prediction.fill_time_s == pytest.approx(2049 / (96 - 80))
    assert prediction.goodput_rps < 0.01
    assert prediction.utilization == pytest.approx(1.0, abs=1e-6)
    assert prediction.latency_p50_s is None and prediction.latency_p99_s is None
    assert not predict(pool(0.9, 2048, 0.25)).collapse


def test_recommend_backlog_maximises_ok() -> None:
    params = pool(1.2, 2048, 0.25)
    backlog, best = recommend_backlog(params)
    scan = scan_backlog(params, latencies=False)
    top = max(p.p_ok for _, p in scan)
    assert best.p_ok == pytest.approx(top, abs=1e-12)
    # Among the table's columns B = 8 is best (77.6 %); the full scan finds an at least as good small backlog.
    assert best.p_ok >= predict(pool(1.2, 8, 0.25)).p_ok
    assert backlog <= 12
    assert best.latency_p50_s is not None  # the returned prediction is complete
    # Ties go to the smaller backlog: with no arrivals every backlog is perfect, so 0 wins.
    idle = pool(0.0, 2048, 0.25)
    assert recommend_backlog(idle)[0] == 0


def test_scan_covers_the_whole_range() -> None:
    rows = scan_backlog(pool(0.8, 2048, 60.0))
    backlogs = [b for b, _ in rows]
    assert backlogs[0] == 0 and backlogs[-1] == 4096 and 2048 in backlogs
    assert len(rows) < 120
    assert rows[-1][1].queue_capacity == 4097


@pytest.mark.parametrize(
    ("tw", "restart", "refused", "killed", "late"),
    [(0.1, 0.2, 14.6, 10.9, 1.6), (0.1, 0.0, 0.5, 13.5, 0.0), (0.15, 0.5, 16.4, 3.3, 3.0)],
)
def test_worker_timeout_approximation_table_2_6(tw, restart, refused, killed, late) -> None:
    # queueing.md §2.6 / §5.5 (config E: rho = 0.8, unix, B = 8, T = 0.3 s, kill lag 0).
    params = pool(0.8, 8, 0.3, worker_timeout_s=tw, restart_s=restart, kill_lag_max_s=0.0, worker_timeout_status=502)
    prediction = predict(params)
    assert 100 * prediction.p_refused == pytest.approx(refused, abs=0.1)
    assert 100 * prediction.p_worker_killed == pytest.approx(killed, abs=0.1)
    assert 100 * prediction.p_504 == pytest.approx(late, abs=0.1)
    assert prediction.p_502 == pytest.approx(prediction.p_refused + prediction.p_worker_killed)
    assert prediction.p_500 == 0.0
    assert prediction.approximate and "worker timeout" in prediction.approximation_reason
    assert_consistent(prediction)


def test_worker_timeout_status_500() -> None:
    params = pool(0.8, 8, 0.3, worker_timeout_s=0.1, restart_s=0.2, kill_lag_max_s=0.0, worker_timeout_status=500)
    prediction = predict(params)
    assert prediction.p_500 == pytest.approx(prediction.p_worker_killed)
    assert prediction.p_502 == pytest.approx(prediction.p_refused)


def test_worker_timeout_above_deadline_kills_after_504() -> None:
    # Tw >= T: nginx gives up first, so no request is reported as killed.
    prediction = predict(pool(0.5, 8, 0.3, worker_timeout_s=0.5, kill_lag_max_s=1.0))
    assert prediction.p_worker_killed == 0.0
    assert prediction.p_504 > 0.0


def test_worker_timeout_that_never_fires_keeps_the_exact_model() -> None:
    prediction = predict(pool(0.8, 2048, 60.0, worker_timeout_s=30.0))
    assert not prediction.approximate
    assert prediction.p_worker_killed == 0.0


# queueing.md §2.4: lognormal p50 40 ms / p99 400 ms, c = 4, T = 1 s, "recipe" column for P(W > 1 s).
LOGNORMAL_RECIPE = [(0.5, 0.0006), (0.8, 0.0010), (0.9, 0.0126), (0.95, 0.106)]


@pytest.mark.parametrize(("rho", "recipe"), LOGNORMAL_RECIPE)
def test_lognormal_recipe_table_2_4(rho: float, recipe: float) -> None:
    service = ServiceTime.lognormal_from_quantiles(0.04, 0.4)
    params = QueueParams(4, 100_000, rho * 4 / service.mean_s, service, read_timeout_s=1.0)
    prediction = predict(params, latencies=False)
    assert prediction.p_504 == pytest.approx(recipe, rel=0.06, abs=5e-5)
    assert prediction.approximate and "Lee-Longton" in prediction.model
    # The exponential model with the same mean underestimates the tail (factor 2 to infinity).
    exponential = predict(QueueParams(4, 100_000, params.arrival_rate, ServiceTime.exponential(service.mean_s),
                                      read_timeout_s=1.0), latencies=False)
    assert exponential.p_504 < prediction.p_504


def test_non_exponential_convolution_reduces_to_exact_for_exponential_shape() -> None:
    # The Lee-Longton stretch factor is 1 for SCV 1, so a lognormal-free check: constant vs exponential ordering.
    constant = predict(pool(0.8, 8, 0.15, service=ServiceTime.constant(0.05)))
    exponential = predict(pool(0.8, 8, 0.15))
    assert constant.p_504 < exponential.p_504  # less variable service, fewer late requests
    assert constant.latency_p50_s >= 0.05  # every request takes at least its constant service time
    assert_consistent(constant)


@pytest.mark.parametrize("rho", [0.01, 0.5, 0.999, 1.0, 1.001, 1.5, 3.0])
@pytest.mark.parametrize("backlog", [0, 4096])
@pytest.mark.parametrize("socket", ["unix", "tcp"])
def test_stable_at_large_queues_and_overload(rho: float, backlog: int, socket: str) -> None:
    prediction = predict(pool(rho, backlog, 60.0, socket=socket, connect_timeout_s=0.5))
    assert_consistent(prediction)
    assert set(prediction.to_dict()) >= REQUIRED_KEYS
    if rho > 1:
        assert prediction.p_refused == pytest.approx(1 - 1 / rho, abs=0.02 if backlog else 0.3)


def test_stable_with_many_workers_and_long_deadline() -> None:
    for servers, rho in ((64, 0.95), (512, 1.5), (1000, 3.0)):
        prediction = predict(pool(rho, 4096, 60.0, servers=servers))
        assert_consistent(prediction)


def test_stable_for_lognormal_and_worker_timeout_at_k_4097() -> None:
    service = ServiceTime.lognormal_from_quantiles(0.04, 0.4)
    for rho in (0.5, 1.0, 3.0):
        assert_consistent(predict(pool(rho, 4096, 60.0, service=service)))
        assert_consistent(predict(pool(rho, 4096, 60.0, worker_timeout_s=0.3)))


def test_no_deadline_and_no_load() -> None:
    assert predict(pool(0.8, 8, None)).p_504 == 0.0
    idle = predict(pool(0.0, 8, 0.15))
    assert idle.p_ok == pytest.approx(1.0 - math.exp(-0.15 / 0.05))  # only slow service can miss T
    assert idle.utilization == 0.0


def test_load_curve_is_monotone() -> None:
    curve = load_curve(pool(0.5, 64, 0.25), [0.3, 0.6, 0.9, 1.2, 1.5])
    assert [round(p.rho, 6) for p in curve] == [0.3, 0.6, 0.9, 1.2, 1.5]
    refused = [p.p_502 for p in curve]
    assert refused == sorted(refused)
    ok = [p.p_ok for p in curve]
    assert ok == sorted(ok, reverse=True)
