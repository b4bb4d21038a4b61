"""Discrete-event simulator: exact small scenarios, TCP retries, worker timeout, zombie work, reproducibility."""

from __future__ import annotations

import math

import pytest

from advisor.queueing.analytic import predict
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.queueing.simulate import SYN_BUNCH_GRID_S, band, simulate, timeline

EXP50 = ServiceTime.exponential(0.05)
SHARED_KEYS = ("p_ok", "p_502", "p_504", "p_504_connect", "p_500", "utilization", "latency_p50_s", "latency_p99_s",
               "mean_wait_s", "offered_rps", "goodput_rps", "servers", "queue_capacity")


def one_worker(backlog: int, **kwargs) -> QueueParams:
    kwargs.setdefault("service", EXP50)
    return QueueParams.from_backlog(1, backlog, arrival_rate=0.0, **kwargs)


def test_burst_into_one_worker_on_unix() -> None:
    # 12 requests at once, 1 worker, backlog 2: the accept queue takes 3 before the worker wakes, 9 get EAGAIN.
    result = simulate(one_worker(2), horizon_s=1.0, arrivals="burst", burst=12, records=True)
    assert result.counts["ok"] == 3
    assert result.counts["refused"] == 9
    assert result.p_502 == pytest.approx(9 / 12)
    refused = [r for r in result.records if r.outcome == "refused"]
    assert all(r.status == 502 and r.latency_s == 0.0 and r.admitted_s is None for r in refused)


def test_burst_into_one_worker_on_tcp_with_short_connect_timeout() -> None:
    params = one_worker(2, socket="tcp", connect_timeout_s=0.5)
    result = simulate(params, horizon_s=1.0, arrivals="burst", burst=12, records=True)
    assert result.counts["ok"] == 3
    assert result.counts["connect_timeout"] == 9
    assert result.p_504_connect == pytest.approx(0.75)
    timed_out = [r for r in result.records if r.outcome == "connect_timeout"]
    assert all(r.status == 504 and r.latency_s == pytest.approx(0.5) and r.syn_attempts == 1 for r in timed_out)


def test_burst_on_tcp_with_syn_retries() -> None:
    # Constant 50-ms service: the first 3 are done long before the 1-s retry. Retries at 1 s and 2 s each admit 3;
    # the last 3 give up at proxy_connect_timeout 2.5 s.
    params = one_worker(2, socket="tcp", connect_timeout_s=2.5, service=ServiceTime.constant(0.05))
    result = simulate(params, horizon_s=1.0, arrivals="burst", burst=12, records=True)
    assert result.counts["ok"] == 9
    assert result.counts["connect_timeout"] == 3
    by_attempts = sorted((r.syn_attempts, r.outcome) for r in result.records)
    assert by_attempts.count((1, "ok")) == 3
    assert by_attempts.count((2, "ok")) == 3
    assert by_attempts.count((3, "ok")) == 3
    late = sorted(r.admitted_s for r in result.records if r.syn_attempts == 2)
    assert late == pytest.approx([1.0, 1.0, 1.0])
    assert all(r.latency_s == pytest.approx(2.5) for r in result.records if r.outcome == "connect_timeout")


def test_spaced_burst_lets_the_worker_accept_first() -> None:
    # failure-modes.md e04: 8 connects spread out, 1 worker, backlog 1 -> 3 served (1 active + 2 queued), 5 x 502.
    params = one_worker(1, service=ServiceTime.constant(5.0))
    result = simulate(params, horizon_s=1.0, arrivals="burst", burst=(8, 0.0, 0.001))
    assert result.counts["ok"] == 3 and result.counts["refused"] == 5


def test_zombie_work_is_served_and_counted() -> None:
    # 1 worker, 3 requests at once, 1-s service, T = 1.5 s: the 2nd and 3rd get 504 but are still served.
    params = one_worker(8, service=ServiceTime.constant(1.0), read_timeout_s=1.5)
    result = simulate(params, horizon_s=3.0, arrivals="burst", burst=3, records=True)
    outcomes = [r.outcome for r in sorted(result.records, key=lambda r: r.started_s)]
    assert outcomes == ["ok", "read_timeout", "read_timeout"]
    zombies = [r for r in result.records if r.outcome == "read_timeout"]
    assert all(r.answered_s == pytest.approx(1.5) for r in zombies)  # nginx answers 504 at T...
    assert sorted(r.worker_done_s for r in zombies) == pytest.approx([2.0, 3.0])  # ...the worker still works
    assert result.utilization == pytest.approx(1.0)
    assert result.wasted_work_fraction == pytest.approx(2 / 3)


def test_worker_timeout_kills_and_restarts() -> None:
    # Constant 2-s requests, Tw = 1 s, no kill lag, restart 0.5 s: kills at 1.0 and 2.5 (1.5 + 1.0).
    params = one_worker(8, service=ServiceTime.constant(2.0), read_timeout_s=10.0, worker_timeout_s=1.0,
                        kill_lag_max_s=0.0, restart_s=0.5, worker_timeout_status=502)
    result = simulate(params, horizon_s=3.0, arrivals="burst", burst=2, records=True)
    records = sorted(result.records, key=lambda r: r.started_s)
    assert [r.outcome for r in records] == ["worker_killed", "worker_killed"]
    assert [r.status for r in records] == [502, 502]
    assert [r.started_s for r in records] == pytest.approx([0.0, 1.5])
    assert [r.answered_s for r in records] == pytest.approx([1.0, 2.5])
    assert result.p_502 == 1.0 and result.p_500 == 0.0
    assert result.utilization == pytest.approx(1.0)  # restart time keeps the slot busy

    as_500 = simulate(QueueParams(**{**params.__dict__, "worker_timeout_status": 500}), horizon_s=3.0,
                      arrivals="burst", burst=2)
    assert as_500.p_500 == 1.0 and as_500.p_502 == 0.0


def test_deadline_before_kill_is_a_504() -> None:
    params = one_worker(8, service=ServiceTime.constant(2.0), read_timeout_s=0.8, worker_timeout_s=1.0,
                        kill_lag_max_s=1.0)
    result = simulate(params, horizon_s=1.0, arrivals="burst", burst=1, records=True, seed=3)
    (record,) = result.records
    assert record.outcome == "read_timeout" and record.answered_s == pytest.approx(0.8)
    assert 1.0 < record.worker_done_s <= 2.0  # killed at Tw + U, U in (0, 1]


def test_kill_lag_is_uniform() -> None:
    params = QueueParams(1, 100_000, 0.0, ServiceTime.constant(2.0), read_timeout_s=None, worker_timeout_s=1.0,
                         kill_lag_max_s=1.0, restart_s=0.0)
    result = simulate(params, horizon_s=1.0, arrivals="burst", burst=4000, records=True, seed=11)
    lags = [r.worker_done_s - r.started_s - 1.0 for r in result.records]
    assert min(lags) > 0 and max(lags) <= 1.0
    mean = sum(lags) / len(lags)
    assert mean == pytest.approx(0.5, abs=5 * math.sqrt(1 / 12 / len(lags)))


def test_reproducible_with_a_seed() -> None:
    params = QueueParams.from_backlog(4, 8, arrival_rate=64.0, service=EXP50, read_timeout_s=0.15)
    first = simulate(params, horizon_s=30.0, warmup_s=2.0, seed=42).to_dict()
    again = simulate(params, horizon_s=30.0, warmup_s=2.0, seed=42).to_dict()
    other = simulate(params, horizon_s=30.0, warmup_s=2.0, seed=43).to_dict()
    assert first == again
    assert first["counts"] != other["counts"]


def test_result_has_the_prediction_keys() -> None:
    params = QueueParams.from_backlog(4, 8, arrival_rate=64.0, service=EXP50, read_timeout_s=0.15)
    result = simulate(params, horizon_s=10.0, warmup_s=1.0).to_dict()
    prediction = predict(params).to_dict()
    for key in SHARED_KEYS:
        assert key in result and key in prediction
    fractions = [result[k] for k in ("p_ok", "p_502", "p_504", "p_504_connect", "p_500")]
    assert math.fsum(fractions) == pytest.approx(1.0)
    assert result["counts"]["arrivals"] == sum(v for k, v in result["counts"].items() if k != "arrivals")


def test_constant_rate_arrivals_below_capacity_never_queue() -> None:
    # Deterministic D/D/1 at 80 % load: nobody waits, nobody fails.
    params = QueueParams(1, 8, 16.0, ServiceTime.constant(0.05), read_timeout_s=0.06)
    result = simulate(params, horizon_s=20.0, warmup_s=1.0, arrivals="constant")
    assert result.p_ok == 1.0 and result.mean_wait_s == 0.0
    assert result.utilization == pytest.approx(0.8, abs=0.01)
    assert result.latency_p99_s == pytest.approx(0.05)


def test_max_requests_stops_arrivals() -> None:
    params = QueueParams.from_backlog(4, 8, arrival_rate=64.0, service=EXP50, read_timeout_s=0.15)
    result = simulate(params, horizon_s=1000.0, max_requests=500)
    assert result.counts["arrivals"] == 500
    assert result.duration_s < 30


def test_spike_timeline() -> None:
    # A spike to rho = 2 into 4 workers with backlog 64: the queue fills in 65/(160 - 80) ~ 0.8 s, after which
    # every admitted request waits ~0.8 s > T = 0.25 s and gets 504.
    params = QueueParams.from_backlog(4, 64, arrival_rate=0.0, service=EXP50, read_timeout_s=0.25)
    result = simulate(params, horizon_s=30.0, rate_schedule=[(0.0, 40.0), (10.0, 160.0)], records=True, seed=5)
    rows = timeline(result, bin_s=1.0)
    assert len(rows) == 30
    calm = rows[:10]
    spike = rows[12:]
    assert sum(r["ok"] for r in calm) / sum(r["arrivals"] for r in calm) > 0.95
    assert sum(r["ok"] for r in spike) / sum(r["arrivals"] for r in spike) < 0.05
    assert sum(r["refused"] for r in spike) / sum(r["arrivals"] for r in spike) == pytest.approx(0.5, abs=0.05)
    with pytest.raises(ValueError):
        timeline(simulate(params, horizon_s=1.0, burst=1, arrivals="burst"))


def test_syn_bunching_aligns_retries_and_creates_half_open_connections() -> None:
    params = QueueParams.from_backlog(4, 8, arrival_rate=96.0, service=EXP50, read_timeout_s=0.15, socket="tcp",
                                      connect_timeout_s=2.5)
    result = simulate(params, horizon_s=120.0, warmup_s=5.0, seed=2, syn_bunching=True, records=True)
    retried = [r for r in result.records if r.syn_attempts > 1 and r.connected_s is not None]
    assert retried
    for record in retried:
        slots = record.connected_s / SYN_BUNCH_GRID_S
        assert abs(slots - round(slots)) < 1e-6  # retransmitted SYNs land on the 32-ms grid
    half_open = [r for r in result.records if r.admitted_s is not None and r.admitted_s > r.connected_s]
    assert half_open  # SYN-RECV: connected for nginx, admitted only on a later ACK
    assert all(r.outcome == "read_timeout" for r in half_open if r.admitted_s - r.connected_s > 0.15)
    assert math.fsum(result.fractions.values()) == pytest.approx(1.0)
    with pytest.raises(ValueError):
        simulate(QueueParams(1, 1, 1.0, EXP50), horizon_s=1.0, syn_bunching=True)


def test_band_brackets_the_model_and_reports_its_cost() -> None:
    params = QueueParams.from_backlog(4, 8, arrival_rate=64.0, service=EXP50, read_timeout_s=0.15)
    measured = band(params, duration_s=18.0, warmup_s=2.0, runs=60, seed=1)
    assert measured.runs == 60 and measured.elapsed_s > 0
    prediction = predict(params)
    for key in ("p_ok", "p_502", "p_504", "utilization"):
        lo, hi = measured[key]
        assert lo <= getattr(prediction, key) <= hi, key
    # queueing.md §5.3 A, rho = 0.8: the 20-s band is 0.3-4.0 % overflow and 7.3-17.2 % 504.
    assert measured["p_502"][1] == pytest.approx(0.040, abs=0.012)
    assert measured["p_504"][0] == pytest.approx(0.073, abs=0.015)
    assert measured["p_504"][1] == pytest.approx(0.172, abs=0.02)
    capped = band(params, duration_s=18.0, warmup_s=2.0, runs=500, max_seconds=0.0, min_runs=5)
    assert capped.runs == 5


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"horizon_s": 1.0, "warmup_s": 2.0}, "horizon_s > warmup_s"),
        ({"horizon_s": 1.0, "arrivals": "bursty"}, "arrivals must be"),
        ({"horizon_s": 1.0, "arrivals": "burst"}, "needs burst"),
        ({"horizon_s": 1.0, "rate_schedule": [(5.0, 1.0), (1.0, 2.0)]}, "rate_schedule"),
    ],
)
def test_simulate_rejects_bad_arguments(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        simulate(QueueParams(1, 1, 1.0, EXP50), **kwargs)
    assert fragment in str(info.value)


def test_prediction_and_simulation_report_the_same_outcome_fractions() -> None:
    from advisor.queueing.params import OUTCOME_KEYS

    params = QueueParams(2, 4, 30.0, EXP50, read_timeout_s=0.2)
    predicted, simulated = predict(params), simulate(params, horizon_s=20.0, warmup_s=1.0, seed=3)
    for result, as_dict in ((predicted, predicted.to_dict()), (simulated, simulated.to_dict())):
        assert tuple(result.fractions) == OUTCOME_KEYS
        assert result.fractions == {key: as_dict[key] for key in OUTCOME_KEYS}
        assert math.fsum(result.fractions.values()) == pytest.approx(1.0)
