"""The rank ladder of a partitioned pool's split: each gthread worker wins the accept race ``split_ratio`` times as
often as the one before it (measured on Linux), in the formula and in the simulator."""

from __future__ import annotations

import math
from dataclasses import replace
from statistics import fmean

import pytest

from advisor.queueing.analytic import predict
from advisor.queueing.params import LINUX_SPLIT_RATIO, QueueParams, ServiceTime, rank_ladder
from advisor.queueing.simulate import simulate

EXP50 = ServiceTime.exponential(0.05)


def ladder_pool(workers: int, threads: int, rps: float, ratio: float, *, weight: float = 1.0,
                spread: float = 0.0) -> QueueParams:
    room = 996
    return QueueParams(servers=workers * threads, queue_room=9 + workers * room, arrival_rate=rps, service=EXP50,
                       read_timeout_s=0.15, connect_timeout_s=0.5, workers=workers, worker_room=room,
                       split_ratio=ratio, queued_worker_weight=weight, split_spread=spread)


def test_ladder_shares_by_hand() -> None:
    # weights 1, 0.7, 0.49, 0.343 (sum 2.533)
    assert rank_ladder(4, 0.7) == pytest.approx((0.394789, 0.276352, 0.193447, 0.135413), abs=1e-6)
    # beyond the fourth rank (as far as the ladder was measured) the workers get the fourth's share: sum 3.219
    assert rank_ladder(6, 0.7) == pytest.approx((0.310655, 0.217459, 0.152221) + (0.106555,) * 3, abs=1e-6)
    assert rank_ladder(3, 1.0) == pytest.approx((1 / 3,) * 3)
    assert rank_ladder(1, 0.7) == (1.0,)


def test_params_take_the_ladder_unless_a_split_is_given() -> None:
    params = ladder_pool(2, 2, 40.0, 0.7)
    assert params.shares == pytest.approx((1 / 1.7, 0.7 / 1.7)) and not params.even_split
    assert replace(params, split=(0.5, 0.5)).shares == (0.5, 0.5)
    assert ladder_pool(2, 2, 40.0, 1.0).even_split
    for bad in (0.0, -0.5, 1.5, math.nan):
        with pytest.raises(ValueError, match="split_ratio"):
            ladder_pool(2, 2, 40.0, bad)
    assert 0.0 < LINUX_SPLIT_RATIO < 1.0


# 4 workers x 1 thread, 20 requests/s, ratio 0.5: shares 8, 4, 2, 1 (/15), so 10.67, 5.33, 2.67 and 1.33 requests/s.
# Without a preference for queued workers each worker is an independent M/M/1 queue (Poisson thinning), and
# P(sojourn > 150 ms) = e^(-(20 - lambda_i) 0.15) = e^-1.4, e^-2.2, e^-2.6, e^-2.8, weighted by the shares:
# 8/15 x 0.246597 + 4/15 x 0.110803 + 2/15 x 0.074274 + 1/15 x 0.060810 = 0.17502.
LADDER_504 = 0.17502
EVEN_504 = math.exp(-(20.0 - 5.0) * 0.15)  # the even split: four M/M/1 queues at 5 requests/s, 0.105


def test_formula_of_a_fixed_ladder_is_independent_mm1_queues() -> None:
    assert predict(ladder_pool(4, 1, 20.0, 0.5), latencies=False).p_504 == pytest.approx(LADDER_504, abs=2e-4)
    assert predict(ladder_pool(4, 1, 20.0, 1.0), latencies=False).p_504 == pytest.approx(EVEN_504, abs=2e-4)


def test_simulator_follows_the_same_ladder() -> None:
    params = ladder_pool(4, 1, 20.0, 0.5)
    runs = [simulate(params, horizon_s=210.0, warmup_s=10.0, seed=seed).p_504 for seed in range(3)]
    assert fmean(runs) == pytest.approx(LADDER_504, abs=0.03)  # ~12,000 requests; the even split gives 0.105


def test_the_per_run_spread_applies_to_an_even_split_only() -> None:
    ladder = ladder_pool(4, 2, 80.0, 0.7, weight=1.4)
    assert predict(replace(ladder, split_spread=0.3)).p_504 == predict(ladder).p_504
    even = ladder_pool(4, 2, 80.0, 1.0, weight=1.4)
    assert predict(replace(even, split_spread=0.3)).p_504 > predict(even).p_504


def test_the_ladder_makes_a_four_worker_pool_worse_at_half_load() -> None:
    """The measured case the even split missed most: 4 x 2 at rho 0.5 (43 % of requests over 150 ms measured)."""
    ladder = predict(ladder_pool(4, 2, 80.0, 0.7, weight=1.4), latencies=False).p_504
    even = predict(ladder_pool(4, 2, 80.0, 1.0, weight=1.4), latencies=False).p_504
    assert 0.30 < ladder < 0.45 and even < 0.25
