"""The approximate analytic variants stay within the accuracy queueing.md documents for them (checked by the DES)."""

from __future__ import annotations

from statistics import fmean

import pytest

from advisor.queueing.analytic import predict
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.queueing.simulate import simulate

EXP50 = ServiceTime.exponential(0.05)


@pytest.mark.slow
@pytest.mark.parametrize("rho", [0.8, 0.9, 0.95])
def test_lognormal_recipe_within_a_factor_of_two(rho: float) -> None:
    # §2.4: "The recipe is within about a factor of 2, and much better near saturation."
    service = ServiceTime.lognormal_from_quantiles(0.04, 0.4)
    params = QueueParams(4, 100_000, rho * 4 / service.mean_s, service, read_timeout_s=1.0)
    model = predict(params, latencies=False).p_504
    simulated = fmean(simulate(params, horizon_s=2050.0, warmup_s=50.0, seed=seed).p_504 for seed in range(4))
    assert 0.5 <= simulated / model <= 2.0, (simulated, model)


@pytest.mark.parametrize(("tw", "restart"), [(0.1, 0.2), (0.1, 0.0), (0.15, 0.5)])
def test_worker_timeout_approximation_against_the_simulator(tw: float, restart: float) -> None:
    # §2.6: the approximation "gets refusals and kills right but underestimates 504s by about 2x".
    params = QueueParams.from_backlog(4, 8, arrival_rate=64.0, service=EXP50, read_timeout_s=0.3,
                                      worker_timeout_s=tw, restart_s=restart, kill_lag_max_s=0.0)
    model = predict(params, latencies=False)
    simulated = simulate(params, horizon_s=1510.0, warmup_s=10.0, seed=7)
    assert abs(simulated.p_refused - model.p_refused) <= 0.04
    assert abs(simulated.p_worker_killed - model.p_worker_killed) <= 0.01
    if model.p_504 > 0.001:
        assert 1.0 <= simulated.p_504 / model.p_504 <= 3.0
    else:
        assert simulated.p_504 < 0.002
    # Restarts keep slots busy: occupancy is lambda (1 - p_refused) E[H] / c, so it inherits the refusal error.
    allowed = params.offered_load * 0.04 + 0.01
    assert simulated.utilization == pytest.approx(model.utilization, abs=allowed)


def test_constant_service_is_flagged_and_ordered() -> None:
    constant = predict(QueueParams.from_backlog(4, 8, arrival_rate=64.0, service=ServiceTime.constant(0.05),
                                                read_timeout_s=0.1))
    assert constant.approximate and "constant" in constant.approximation_reason
    simulated = simulate(QueueParams.from_backlog(4, 8, arrival_rate=64.0, service=ServiceTime.constant(0.05),
                                                  read_timeout_s=0.1), horizon_s=510.0, warmup_s=10.0, seed=3)
    # The 504 share (wait > 50 ms) is the quantity the Lee-Longton wait is for; it lands within 2 points here.
    assert constant.p_504 == pytest.approx(simulated.p_504, abs=0.02)
