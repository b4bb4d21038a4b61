"""The partitioned pool's fixed point (advisor/queueing/partitioned.py `_fixed_point`): Gauss-Seidel sweeps give the
damped iteration's answer, and an oscillating map still converges (half steps)."""

from __future__ import annotations

import math

import pytest

from advisor.queueing import partitioned
from advisor.queueing.params import QueueParams, ServiceTime


def _damped_jacobi(groups: dict[float, int], weight_given) -> dict[float, float]:
    """The iteration the sweeps replaced: every group from the same total, half steps."""
    weights = {share: 1.0 for share in groups}
    for _ in range(2000):
        total = math.fsum(share * count * weights[share] for share, count in groups.items())
        change = 0.0
        for share in groups:
            new = weight_given(share, total - share * weights[share])
            change = max(change, abs(new - weights[share]))
            weights[share] = 0.5 * weights[share] + 0.5 * new
        if change < 1e-13:
            break
    return weights


@pytest.mark.parametrize("rho", [0.5, 0.8, 0.95, 1.3])
def test_sweeps_agree_with_the_damped_iteration_on_a_ladder(rho: float):
    workers, threads = 5, 2
    params = QueueParams(servers=workers * threads, queue_room=9 + workers * 998, arrival_rate=rho * workers * threads
                         / 0.05, service=ServiceTime.exponential(0.05), read_timeout_s=0.15, connect_timeout_s=0.5,
                         workers=workers, worker_room=998, queued_worker_weight=1.4, split_ratio=0.7)
    groups = partitioned._groups(params)
    assert len(groups) == 4  # the ladder's four ranks (the fifth worker shares the fourth's)
    mu, g = 1.0 / 0.05, params.queued_worker_weight

    def weight_given(share: float, others: float) -> float:
        rates = partitioned._birth_rates(params.arrival_rate, share, others, g)
        return partitioned._ChainSummary(*rates, threads, 998, mu).mean_weight(g)

    swept = partitioned._fixed_point(groups, weight_given)
    reference = _damped_jacobi(groups, weight_given)
    assert swept == pytest.approx(reference, rel=1e-8, abs=1e-10)


def test_an_oscillating_map_converges_with_half_steps():
    # one group of two workers with share 0.5: others = 0.5 w, and w_new = 3 - 2.5 * others = 3 - 1.25 w, whose full
    # steps oscillate outwards (slope -1.25); the fixed point is w = 3 / 2.25
    weights = partitioned._fixed_point({0.5: 2}, lambda share, others: 3.0 - 2.5 * others)
    assert weights[0.5] == pytest.approx(3.0 / 2.25, rel=1e-9)
