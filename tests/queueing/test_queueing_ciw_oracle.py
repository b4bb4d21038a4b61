"""ciw (an independent simulator) as an oracle for the M/M/c/K formulas (queueing.md §5.2 setup).

Same tolerance recipe as the DES comparison: 20 batch means by arrival time, Bonferroni-corrected Student-t.
"""

from __future__ import annotations

from statistics import fmean

import pytest

from advisor.queueing.analytic import predict
from advisor.queueing.params import QueueParams, ServiceTime

from queueing_stats import binomial_floor, critical_value, tolerance

ciw = pytest.importorskip("ciw")

SERVERS, MU, ROOM, DEADLINE = 4, 20.0, 9, 0.15
WARMUP, END, BATCHES = 10.0, 600.0, 20
RHOS = (0.5, 0.8, 1.2)
COMPARISONS = 3 * len(RHOS)


def ciw_batches(rho: float, seed: int) -> dict[str, list[float]]:
    ciw.seed(seed)
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rho * SERVERS * MU)],
        service_distributions=[ciw.dists.Exponential(MU)],
        number_of_servers=[SERVERS],
        queue_capacities=[ROOM],
    )
    simulation = ciw.Simulation(network)
    simulation.simulate_until_max_time(END + 5.0)  # requests arriving before END have all left by then
    width = (END - WARMUP) / BATCHES
    arrivals = [0] * BATCHES
    blocked = [0] * BATCHES
    late = [0] * BATCHES
    waits: list[list[float]] = [[] for _ in range(BATCHES)]
    for record in simulation.get_all_records():
        if not WARMUP <= record.arrival_date < END:
            continue
        b = int((record.arrival_date - WARMUP) / width)
        arrivals[b] += 1
        if record.record_type == "rejection":
            blocked[b] += 1
        elif record.record_type == "service":
            waits[b].append(record.waiting_time)
            if record.waiting_time + record.service_time > DEADLINE:
                late[b] += 1
    return {
        "p_block": [x / n for x, n in zip(blocked, arrivals)],
        "p_late": [x / n for x, n in zip(late, arrivals)],
        "mean_wait": [fmean(w) for w in waits],
        "n": [float(sum(arrivals))],
    }


@pytest.mark.parametrize("rho", RHOS)
def test_formulas_agree_with_ciw(rho: float) -> None:
    params = QueueParams(SERVERS, ROOM, rho * SERVERS * MU, ServiceTime.exponential(1 / MU), read_timeout_s=DEADLINE)
    model = predict(params, latencies=False)
    batches = ciw_batches(rho, seed=int(rho * 100))
    n = int(batches["n"][0])
    critical = critical_value(COMPARISONS, BATCHES)
    checks = [
        ("P(block)", batches["p_block"], model.p_502, binomial_floor(model.p_502, n)),
        ("P(W > T) of all arrivals", batches["p_late"], model.p_504, binomial_floor(model.p_504, n)),
        ("E[Wq] of served", batches["mean_wait"], model.mean_wait_s, 0.0),
    ]
    for name, values, expected, floor in checks:
        allowed = tolerance(values, critical, floor)
        assert abs(fmean(values) - expected) <= allowed, f"{name}: ciw {fmean(values):.5f} vs {expected:.5f}"
