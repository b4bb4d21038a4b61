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
from .poisson import log_erlang_b, log_geometric_sum
from .wait_segments import Segment, SegmentWait
from .waiting import ARRAY_ROOM_MAX, ARRAY_SERVERS_MAX, AdmittedWait, WaitDistribution

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


def partitioned_wait(params: QueueParams, arrival_rate: float, mean_holding_s: float) -> WaitDistribution:
    """The departures an admitted request waits for, mixed over the workers it can land in.

    ``arrival_rate`` is the rate of connections the workers accept (after refusals). Workers with more than
    ARRAY_SERVERS_MAX threads or ARRAY_ROOM_MAX queued connections are described by their chain's closed form
    (:class:`_ChainSummary`) instead of one probability per state.
    """
    slots = params.slots_per_worker
    if params.worker_room > ARRAY_ROOM_MAX or slots > ARRAY_SERVERS_MAX:
        return _large_partitioned_wait(params, arrival_rate, mean_holding_s)
    cap = slots + params.worker_room
    mu = 1.0 / mean_holding_s
    g = params.queued_worker_weight
    groups = _groups(params)

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


def _groups(params: QueueParams) -> dict[float, int]:
    """{share: number of workers with it}; an even split is one group, without a per-worker tuple."""
    if params.split is None:
        n = params.workers or 1
        return {round(1.0 / n, 12): n}
    return _share_groups(params.shares)


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


# -- the same chain in closed form, for very large workers --------------------------------------------------------


class _ChainSummary:
    """One worker's chain by its four parts, in logs relative to the state n = slots: below (n < slots, an Erlang
    B sum), at (n = slots), queued (slots < n < cap, geometric with ratio rho_q) and full (n = cap)."""

    def __init__(self, rate_free: float, rate_queued: float, slots: int, room: int, mu: float) -> None:
        self.rate_free, self.rate_queued, self.room = rate_free, rate_queued, room
        self.log_rho_q = math.log(rate_queued / (slots * mu)) if rate_queued > 0 else -math.inf
        if rate_free <= 0.0:  # nothing arrives: the worker is idle
            self.below, self.at, self.queued, self.full = 0.0, -math.inf, -math.inf, -math.inf
        else:
            log_b = log_erlang_b(slots, rate_free / mu)
            self.below = math.log(-math.expm1(log_b)) - log_b if log_b < 0 else -math.inf
            self.at = 0.0
            log_rho_f = math.log(rate_free / (slots * mu))
            self.queued = (log_rho_f + log_geometric_sum(self.log_rho_q, room - 1)
                           if room > 1 and rate_queued > 0 else -math.inf)
            if room == 1:
                self.full = log_rho_f
            else:
                self.full = log_rho_f + (room - 1) * self.log_rho_q if rate_queued > 0 else -math.inf
        self.total = _log_sum(self.below, self.at, self.queued, self.full)

    def mean_weight(self, g: float) -> float:
        """E[weight of this worker]: 1 while it has a free thread or none queued, g while queueing, 0 when full."""
        return (math.exp(self.below - self.total) + math.exp(self.at - self.total)
                + g * math.exp(self.queued - self.total))

    def seen(self) -> tuple[float, float, float, float]:
        """(log flow of joining connections, then the shares of k = 0, k = 1 and k = 2..room among them)."""
        no_wait = math.log(self.rate_free) + self.below if self.rate_free > 0 else -math.inf
        first = math.log(self.rate_free) + self.at if self.rate_free > 0 else -math.inf
        queued = math.log(self.rate_queued) + self.queued if self.rate_queued > 0 else -math.inf
        flow = _log_sum(no_wait, first, queued)
        if flow == -math.inf:
            return -math.inf, 1.0, 0.0, 0.0
        return flow - self.total, math.exp(no_wait - flow), math.exp(first - flow), math.exp(queued - flow)


def _log_sum(*logs: float) -> float:
    top = max(logs)
    if top == -math.inf:
        return -math.inf
    return top + math.log(math.fsum(math.exp(x - top) for x in logs))


def _large_partitioned_wait(params: QueueParams, arrival_rate: float, mean_holding_s: float) -> SegmentWait:
    """partitioned_wait with each worker's chain in closed form (same mean-field fixed point)."""
    slots, room = params.slots_per_worker, params.worker_room
    mu = 1.0 / mean_holding_s
    g = params.queued_worker_weight
    groups = _groups(params)

    def chain_of(share: float, others: float) -> _ChainSummary:
        return _ChainSummary(*_birth_rates(arrival_rate, share, others, g), slots, room, mu)

    mean_weight: dict[float, float] = {}
    chains: dict[float, _ChainSummary] = {}
    if len(groups) == 1:
        ((share, count),) = groups.items()

        def excess(weight: float) -> float:
            return weight - chain_of(share, share * (count - 1) * weight).mean_weight(g)

        root = solve_increasing(excess, 0.0, 0.0, max(g, 1.0), rel_tol=1e-9, abs_tol=1e-12)
        mean_weight[share], chains[share] = root, chain_of(share, share * (count - 1) * root)
    else:
        mean_weight = {share: 1.0 for share in groups}
        for _ in range(MAX_ITERATIONS):
            total = math.fsum(share * count * mean_weight[share] for share, count in groups.items())
            change = 0.0
            for share, count in groups.items():
                chains[share] = chain_of(share, total - share * mean_weight[share])
                new = chains[share].mean_weight(g)
                change = max(change, abs(new - mean_weight[share]))
                mean_weight[share] = 0.5 * mean_weight[share] + 0.5 * new
            if change < TOLERANCE:
                break

    flows = []
    for share, count in groups.items():
        log_flow, no_wait, at_slots, queued = chains[share].seen()
        log_flow = math.log(count) + log_flow if log_flow > -math.inf else -math.inf
        flows.append((log_flow, no_wait, at_slots, queued, chains[share]))
    log_total = _log_sum(*(flow[0] for flow in flows))
    if log_total == -math.inf:
        return SegmentWait(slots, slots * mu, 1.0, ())
    p_no_wait, first = 0.0, 0.0
    segments = []
    for log_flow, no_wait, at_slots, queued, chain in flows:
        weight = math.exp(log_flow - log_total)
        p_no_wait += weight * no_wait
        first += weight * at_slots
        if room > 1 and weight * queued > 0:
            segments.append(Segment(weight * queued, chain.log_rho_q, 2, room))
    return SegmentWait(slots, slots * mu, p_no_wait, [Segment(first, 0.0, 1, 1), *segments])
