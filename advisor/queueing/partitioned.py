"""The wait of an admitted request in a partitioned pool: per-worker queues fed by a random split (gthread).

Each worker has ``t`` threads (slots) and holds at most ``cap = t + worker_room`` connections; an arriving
connection goes to an accepting worker chosen at random, weighted by the worker's share and by
``queued_worker_weight`` g when connections are queued inside it. A worker is then a birth-death chain in n, the
connections it holds:

    birth(n) = lambda s_i g(n) / (s_i g(n) + sum_{j != i} s_j E[g(n_j)]),  g(n) = g if n > t else 1, 0 at cap
    death(n) = min(n, t) mu

with the other workers replaced by their mean weight E[g(n_j)] (a mean-field fixed point). With g = 1 and an even
split this is exact: Poisson thinning makes every worker an independent M/M/t/cap queue. With g != 1 the workers are
correlated (while one captures arrivals the others starve), which the mean field averages away; docs/model-worker-
classes.md has its error against the simulator and against real gunicorn.

An arrival that joins worker i in state n waits for k = max(0, n - t + 1) departures at rate t mu, so the result is
an :class:`~advisor.queueing.waiting.AdmittedWait` with ``servers = t``: the same sojourn sums as the pooled model.
"""

from __future__ import annotations

import math

from .numerics import solve_increasing
from .params import QueueParams
from .waiting import AdmittedWait

__all__ = ["partitioned_wait"]

MAX_ITERATIONS = 200
TOLERANCE = 1e-10


def _chain(rate_free: float, rate_queued: float, slots: int, cap: int, mu: float) -> list[float]:
    """Stationary probabilities of n = 0..cap with arrival rate ``rate_free`` while n <= slots, ``rate_queued``
    above (none at cap), and departures min(n, slots) mu; computed in log space."""
    logs = [0.0]
    for n in range(1, cap + 1):
        birth = rate_free if n - 1 <= slots else rate_queued  # from state n - 1
        if birth <= 0.0:
            logs.extend([-math.inf] * (cap + 1 - n))
            break
        logs.append(logs[-1] + math.log(birth) - math.log(min(n, slots) * mu))
    top = max(logs)
    weights = [math.exp(x - top) if x > -math.inf else 0.0 for x in logs]
    total = math.fsum(weights)
    return [w / total for w in weights]


def partitioned_wait(params: QueueParams, arrival_rate: float, mean_holding_s: float) -> AdmittedWait:
    """The departures an admitted request waits for, mixed over the workers it can land in.

    ``arrival_rate`` is the rate of connections the workers accept (after refusals).
    """
    slots = params.slots_per_worker
    cap = slots + params.worker_room
    mu = 1.0 / mean_holding_s
    g = params.queued_worker_weight
    shares = params.shares
    groups = _share_groups(shares)

    def weight_of(n: int) -> float:
        if n >= cap:
            return 0.0
        return g if n > slots else 1.0

    def chain_of(share: float, others: float) -> list[float]:
        return _chain(*_birth_rates(arrival_rate, share, others, g), slots, cap, mu)

    def mean_weight_of(probs: list[float]) -> float:
        return math.fsum(p * weight_of(n) for n, p in enumerate(probs))

    mean_weight: dict[float, float] = {}
    chains: dict[float, list[float]] = {}
    if len(groups) == 1:
        # every worker alike: one scalar fixed point G = E[g] given the others' weight (w - 1) G; the chain's
        # E[g] falls as the others get more attractive, so G - F(G) rises and has one root in [0, max(g, 1)]
        ((share, count),) = groups.items()

        def excess(weight: float) -> float:
            return weight - mean_weight_of(chain_of(share, share * (count - 1) * weight))

        root = solve_increasing(excess, 0.0, 0.0, max(g, 1.0), rel_tol=1e-9, abs_tol=1e-12)
        mean_weight[share], chains[share] = root, chain_of(share, share * (count - 1) * root)
    else:
        mean_weight = {share: 1.0 for share in groups}  # start from an idle pool; damped iteration
        for _ in range(MAX_ITERATIONS):
            total = math.fsum(share * count * mean_weight[share] for share, count in groups.items())
            change = 0.0
            for share, count in groups.items():
                probs = chains[share] = chain_of(share, total - share * mean_weight[share])
                new = mean_weight_of(probs)
                change = max(change, abs(new - mean_weight[share]))
                mean_weight[share] = 0.5 * mean_weight[share] + 0.5 * new
            if change < TOLERANCE:
                break

    # state seen by an arrival that joins a worker: proportional to time in n x birth rate in n
    total = math.fsum(share * count * mean_weight[share] for share, count in groups.items())
    k_probs = [0.0] * (params.worker_room + 1)
    flows: list[tuple[float, list[float]]] = []
    for share, count in groups.items():
        others = total - share * mean_weight[share]
        free_rate, queued_rate = _birth_rates(arrival_rate, share, others, g)
        probs = chains[share]
        seen = [p * (free_rate if n <= slots else queued_rate) * (n < cap) for n, p in enumerate(probs)]
        flows.append((count * math.fsum(seen), seen))
    flow_total = math.fsum(flow for flow, _ in flows)
    if flow_total <= 0.0:
        return AdmittedWait(slots, slots * mu, [1.0] + [0.0] * params.worker_room)
    for flow, seen in flows:
        scale = flow / flow_total / math.fsum(seen) if math.fsum(seen) > 0 else 0.0
        for n, p in enumerate(seen):
            if n < cap:
                k_probs[max(0, n - slots + 1)] += p * scale
    return AdmittedWait(slots, slots * mu, k_probs)


def _share_groups(shares: tuple[float, ...]) -> dict[float, int]:
    """Workers with the same share behave alike: solve one chain per distinct share."""
    groups: dict[float, int] = {}
    for share in shares:
        key = round(share, 12)
        groups[key] = groups.get(key, 0) + 1
    return groups


def _birth_rates(arrival_rate: float, share: float, others: float, g: float) -> tuple[float, float]:
    """(rate while the worker has a free slot or none queued, rate while connections are queued inside it)."""
    free = arrival_rate * share / (share + others) if share + others > 0 else 0.0
    queued = arrival_rate * share * g / (share * g + others) if share * g + others > 0 else 0.0
    return free, queued
