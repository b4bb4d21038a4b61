"""The simulator and the analytic model describe the same M/M/c/K-with-deadline system: they must agree.

Tolerances are derived, not chosen: each simulation is cut (after a warm-up of 10 relaxation times, and twice the
fill time in overload) into 20 batches of at least 5 correlation times (the relaxation time, or the mean wait when
longer: a wait sums the service times of everyone ahead); the standard error of the batch means times
a Bonferroni-corrected Student-t critical value (1 % family-wise false-alarm rate over all comparisons of the grid)
is the tolerance. Probabilities get a binomial floor (so all-zero batches still allow ~1/n), mean waits a floor of
one departure interval S/c per sqrt(admitted requests).

The deadline does not change the dynamics (no abandonment), so one run with no deadline is classified for several
values of T from its records.
"""

from __future__ import annotations

import math
from dataclasses import replace
from statistics import fmean

import pytest

from advisor.queueing.analytic import predict
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.queueing.simulate import simulate

from queueing_stats import binomial_floor, critical_value, tolerance

SERVICE_S = 0.05
DEADLINES = (0.1, 0.3, 60.0)
BATCHES = 20
FAST_POINTS = [(1, 8, 0.7), (2, 0, 1.2), (4, 8, 0.95), (4, 128, 0.5), (16, 8, 1.5), (4, 128, 1.5)]
GRID = [
    (servers, backlog, rho)
    for servers in (1, 2, 4, 16)
    for backlog in (0, 8, 128, 2048)
    for rho in (0.3, 0.7, 0.95, 1.2, 1.5)
    if not (backlog == 2048 and rho == 1.5)  # same fluid regime as rho = 1.2, but 3x the simulated requests
]
SLOW_POINTS = [point for point in GRID if point not in FAST_POINTS]
COMPARISONS_PER_POINT = 1 + 2 * len(DEADLINES) + 2  # p_502, (p_ok, p_504) per T, utilization, mean wait


def batch_statistics(params: QueueParams, seed: int) -> dict[str, list[float]]:
    """Per-batch measurements of one long run."""
    base = predict(replace(params, read_timeout_s=60.0), latencies=False)
    warmup = max(10 * base.relaxation_time_s, 2 * (base.fill_time_s or 0.0), 20 * SERVICE_S)
    # A wait sums the service times of everyone ahead, so waits stay correlated over about one mean wait.
    memory = max(base.relaxation_time_s, base.mean_wait_s + SERVICE_S)
    batch = max(5 * memory, 1500 / params.arrival_rate)
    horizon = warmup + BATCHES * batch
    result = simulate(params, horizon_s=horizon, warmup_s=warmup, seed=seed, records=True)

    arrivals = [0] * BATCHES
    refused = [0] * BATCHES
    late = {t: [0] * BATCHES for t in DEADLINES}
    waits: list[list[float]] = [[] for _ in range(BATCHES)]
    busy = [0.0] * BATCHES
    for record in result.records:
        b = min(BATCHES - 1, int((record.arrival_s - warmup) / batch))
        arrivals[b] += 1
        if record.outcome == "refused":
            refused[b] += 1
            continue
        sojourn = record.worker_done_s - record.connected_s
        for t in DEADLINES:
            if sojourn > t:
                late[t][b] += 1
        waits[b].append(record.started_s - record.admitted_s)
        started_batch = int((record.started_s - warmup) / batch)
        if started_batch < BATCHES:
            busy[started_batch] += record.worker_done_s - record.started_s

    stats: dict[str, list[float]] = {
        "p_502": [r / n for r, n in zip(refused, arrivals)],
        "utilization": [x / (params.servers * batch) for x in busy],
        "mean_wait_s": [fmean(w) if w else 0.0 for w in waits],
        "_arrivals": [float(n) for n in arrivals],
    }
    for t in DEADLINES:
        stats[f"p_504@{t}"] = [x / n for x, n in zip(late[t], arrivals)]
        stats[f"p_ok@{t}"] = [(n - r - x) / n for n, r, x in zip(arrivals, refused, late[t])]
    return stats


def check_point(servers: int, backlog: int, rho: float, comparisons: int) -> None:
    params = QueueParams.from_backlog(
        servers, backlog, arrival_rate=rho * servers / SERVICE_S, service=ServiceTime.exponential(SERVICE_S),
        read_timeout_s=None,
    )
    stats = batch_statistics(params, seed=1000 * servers + 10 * backlog + int(100 * rho))
    total = int(sum(stats["_arrivals"]))
    critical = critical_value(comparisons, BATCHES)
    failures = []

    def compare(key: str, measured: list[float], expected: float, floor: float) -> None:
        allowed = tolerance(measured, critical, floor)
        value = fmean(measured)
        if not abs(value - expected) <= allowed:
            failures.append(f"{key}: simulated {value:.5f} vs model {expected:.5f} (allowed +-{allowed:.5f})")

    model = predict(params, latencies=False)
    compare("p_502", stats["p_502"], model.p_502, binomial_floor(model.p_502, total))
    compare("utilization", stats["utilization"], model.utilization, 0.0)
    admitted = max(1, round(total * (1 - model.p_502)))
    compare("mean_wait_s", stats["mean_wait_s"], model.mean_wait_s, SERVICE_S / servers / math.sqrt(admitted))
    for t in DEADLINES:
        at_t = predict(replace(params, read_timeout_s=t), latencies=False)
        compare(f"p_504@{t}", stats[f"p_504@{t}"], at_t.p_504, binomial_floor(at_t.p_504, total))
        compare(f"p_ok@{t}", stats[f"p_ok@{t}"], at_t.p_ok, binomial_floor(at_t.p_ok, total))
    assert not failures, f"c={servers} B={backlog} rho={rho} ({total} requests): " + "; ".join(failures)


@pytest.mark.parametrize(("servers", "backlog", "rho"), FAST_POINTS)
def test_simulator_agrees_with_model(servers: int, backlog: int, rho: float) -> None:
    check_point(servers, backlog, rho, comparisons=len(FAST_POINTS) * COMPARISONS_PER_POINT)


@pytest.mark.slow
@pytest.mark.parametrize(("servers", "backlog", "rho"), SLOW_POINTS)
def test_simulator_agrees_with_model_on_the_grid(servers: int, backlog: int, rho: float) -> None:
    check_point(servers, backlog, rho, comparisons=len(SLOW_POINTS) * COMPARISONS_PER_POINT)
