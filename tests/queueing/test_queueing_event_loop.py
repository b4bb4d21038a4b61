"""Event loops in the queueing model (event_loop.py, simulate_loops.py) and the one outcome record (outcome.py)."""

from __future__ import annotations

import math

import pytest

from advisor.queueing.analytic import predict
from advisor.queueing.event_loop import limit_refusal
from advisor.queueing.formulas import erlang_b
from advisor.queueing.outcome import OUTCOME_KEYS, SHARE_KEYS, Outcome
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.queueing.simulate import band, simulate

EXP50 = ServiceTime.exponential(0.05)


def _loops(workers: int, limit: int | None, rps: float, read_timeout_s: float | None = 0.15,
           service: ServiceTime = EXP50) -> QueueParams:
    slots = max(1, limit - 1) if limit is not None else 1
    return QueueParams(servers=workers * slots, queue_room=2049, arrival_rate=rps, service=service,
                       read_timeout_s=read_timeout_s, workers=workers, unbounded=True, concurrency_limit=limit)


# -- the outcome record ------------------------------------------------------------------------------------------


def test_outcome_from_counts_names_every_kind_once():
    outcome = Outcome.from_counts({"ok": 6, "503": 3, "504": 1})
    assert outcome.shares == {"p_ok": 0.6, "p_502": 0.0, "p_503": 0.3, "p_504": 0.1, "p_504_connect": 0.0,
                              "p_500": 0.0, "p_other": 0.0}
    assert outcome.counts == {"ok": 6, "502": 0, "503": 3, "504": 1, "504_connect": 0, "500": 0, "other": 0}
    assert outcome.errors == pytest.approx(0.4)
    assert tuple(outcome.fractions) == OUTCOME_KEYS and tuple(outcome.shares) == SHARE_KEYS
    assert all(math.isnan(value) for value in Outcome.from_counts({}).shares.values())


def test_prediction_and_simulation_carry_the_same_outcome_record_and_keep_their_json_keys():
    params = _loops(2, 4, 64.0)
    prediction = predict(params)
    result = simulate(params, horizon_s=20.0, warmup_s=1.0, seed=3)
    for record in (prediction, result):
        assert isinstance(record.outcome, Outcome)
        assert record.p_503 == record.outcome.p_503 and record.fractions == record.outcome.fractions
        flat = record.to_dict()
        assert "outcome" not in flat
        assert [key for key in flat if key in OUTCOME_KEYS] == list(OUTCOME_KEYS)
        assert flat["p_503"] == record.p_503 > 0
        assert math.fsum(record.fractions.values()) == pytest.approx(1.0)


# -- the formulas -----------------------------------------------------------------------------------------------------


def test_a_limit_is_an_erlang_loss_per_worker_with_the_requests_own_connection_counted():
    params = _loops(1, 4, 64.0)
    connection_s = EXP50.mean_below(0.15)  # nginx closes the connection at its read timeout
    assert limit_refusal(params) == pytest.approx(erlang_b(3, 64.0 * connection_s))
    two = _loops(2, 4, 64.0)
    assert limit_refusal(two) == pytest.approx(erlang_b(3, 32.0 * connection_s))
    prediction = predict(params)
    assert prediction.p_503 == pytest.approx(limit_refusal(params))
    assert prediction.p_504 == pytest.approx((1 - prediction.p_503) * EXP50.sf(0.15))
    assert prediction.p_502 == prediction.p_500 == prediction.p_504_connect == 0.0
    assert prediction.approximate and "limit_concurrency" in (prediction.approximation_reason or "")


def test_tasks_that_outlive_the_read_timeout_still_count_against_the_limit():
    # 10-s requests behind a 1-s read timeout: connections free up at 1 s, but the handlers keep running
    params = _loops(1, 10, 1.0, read_timeout_s=1.0, service=ServiceTime.exponential(10.0))
    assert limit_refusal(params) == pytest.approx(erlang_b(10, 10.0))


def test_limit_one_refuses_everything_and_no_limit_refuses_nothing():
    assert predict(_loops(2, 1, 10.0)).p_503 == 1.0
    unlimited = predict(_loops(2, None, 500.0))
    assert unlimited.p_503 == 0.0 and unlimited.p_ok == pytest.approx(EXP50.cdf(0.15))
    assert math.isinf(unlimited.max_throughput_rps)


def test_a_concurrency_limit_needs_an_event_loop():
    with pytest.raises(ValueError, match="concurrency_limit"):
        QueueParams(servers=4, queue_room=9, arrival_rate=1.0, service=EXP50, concurrency_limit=4)


@pytest.mark.parametrize(("workers", "limit", "rps"), [(1, 4, 64.0), (2, 4, 96.0), (4, 3, 60.0), (1, 20, 300.0)])
def test_formulas_lie_inside_the_simulators_band(workers, limit, rps):
    params = _loops(workers, limit, rps)
    prediction = predict(params)
    spread = band(params, duration_s=60.0, warmup_s=1.0, runs=40, quantiles=(0.01, 0.99))
    for key in ("p_ok", "p_503", "p_504"):
        lo, hi = spread[key]
        assert lo - 0.005 <= getattr(prediction, key) <= hi + 0.005, (key, lo, hi)
