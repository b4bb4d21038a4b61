"""The wait of an admitted request in a partitioned pool: per-worker queues fed by a random split (gthread).

Each worker has ``t`` threads (slots) and holds at most ``cap = t + worker_room`` connections; an arriving
connection goes to an accepting worker chosen at random, weighted by the worker's share (``QueueParams.shares``:
an even split, a given one or the rank ladder of ``split_ratio``) and by
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
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from .formulas import erlang_b
from .numerics import solve_increasing
from .params import QueueParams, ServiceTime
from .poisson import log_erlang_b, log_geometric_sum
from .split_spread import tagged_shares
from .wait_segments import Segment, SegmentWait
from .waiting import ARRAY_ROOM_MAX, ARRAY_SERVERS_MAX, AdmittedWait, WaitDistribution

__all__ = ["partitioned_wait"]

MAX_ITERATIONS = 200
_RECURSION_SLOTS = 256
_NEGLIGIBLE_LOG = 60.0
TOLERANCE = 1e-10


def _chain(rate_free: float, rate_queued: float, slots: int, cap: int, mu: float) -> list[float]:
    """Stationary probabilities of n = 0..cap with arrival rate ``rate_free`` while n <= slots, ``rate_queued``
    above (none at cap), and departures min(n, slots) mu; computed in log space."""
    logs = [0.0]
    top = 0.0
    shrinking = rate_queued < slots * mu  # above the slots every step multiplies by the same ratio < 1
    for n in range(1, cap + 1):
        birth = rate_free if n - 1 <= slots else rate_queued  # from state n - 1
        if birth <= 0.0 or (shrinking and n > slots + 1 and logs[-1] < top - _NEGLIGIBLE_LOG):
            logs.extend([-math.inf] * (cap + 1 - n))  # empty, or below e^-60 of the peak from here on
            break
        logs.append(logs[-1] + math.log(birth) - math.log(min(n, slots) * mu))
        top = max(top, logs[-1])
    top = max(logs)
    weights = [math.exp(x - top) if x > -math.inf else 0.0 for x in logs]
    total = math.fsum(weights)
    return [w / total for w in weights]


def partitioned_wait(params: QueueParams, arrival_rate: float, mean_holding_s: float) -> WaitDistribution:
    """The departures an admitted request waits for, mixed over the workers it can land in.

    ``arrival_rate`` is the rate of connections the workers accept (after refusals). With ``split_spread`` (and an
    even split) the result is averaged over the per-run split bias (:mod:`.split_spread`): for each node a
    tagged worker with that share against the others, weighted by the node's probability and the tagged worker's
    flow.
    """
    workers = params.workers or 1
    if not params.even_split or params.split_spread <= 0.0 or workers < 2:
        return _mix([(group.flow * group.count, group.wait)
                     for group in _group_waits(params, arrival_rate, mean_holding_s)])
    # only these inputs matter (not the kernel backlog, which a recommendation search varies): remember the mixture
    return _spread_wait(workers, params.slots_per_worker, params.worker_room, params.queued_worker_weight,
                        params.split_spread, arrival_rate, mean_holding_s)


@lru_cache(maxsize=256)
def _spread_wait(workers: int, slots: int, room: int, weight: float, spread: float, arrival_rate: float,
                 mean_holding_s: float) -> WaitDistribution:
    """partitioned_wait averaged over the per-run split bias."""
    parts = []
    for probability, share in tagged_shares(workers, spread):
        rest = (1.0 - share) / (workers - 1)
        fixed = QueueParams(servers=workers * slots, queue_room=workers * room, arrival_rate=arrival_rate,
                            service=ServiceTime.exponential(mean_holding_s), workers=workers, worker_room=room,
                            split=(share,) + (rest,) * (workers - 1), queued_worker_weight=weight)
        (tagged,) = _group_waits(fixed, arrival_rate, mean_holding_s, only=round(fixed.shares[0], 12))
        parts.append((probability * tagged.flow, tagged.wait))
    return _mix(parts)


@dataclass(frozen=True)
class _Group:
    """Workers with one share: how many, the connections each accepts per second, the wait of one of them."""

    share: float
    count: int
    flow: float
    wait: WaitDistribution


def _large_partitioned_wait(params: QueueParams, arrival_rate: float, mean_holding_s: float) -> WaitDistribution:
    """partitioned_wait (fixed split) with every worker's wait in closed form, whatever its size."""
    return _mix([(group.flow * group.count, group.wait)
                 for group in _group_waits(params, arrival_rate, mean_holding_s, closed_form=True)])


def _group_waits(params: QueueParams, arrival_rate: float, mean_holding_s: float, *,
                 only: float | None = None, closed_form: bool = False) -> list[_Group]:
    """The mean-field fixed point for a fixed split, then each group's wait. The fixed point runs on the chains'
    closed form (:class:`_ChainSummary`, a few operations per chain); the waits use one probability per state
    unless ``closed_form`` or a worker has more than ARRAY_SERVERS_MAX threads or ARRAY_ROOM_MAX queued
    connections. ``only``: the group with that share alone."""
    slots, room = params.slots_per_worker, params.worker_room
    mu = 1.0 / mean_holding_s
    g = params.queued_worker_weight
    groups = _groups(params)

    def summary(share: float, others: float) -> _ChainSummary:
        return _ChainSummary(*_birth_rates(arrival_rate, share, others, g), slots, room, mu)

    mean_weight: dict[float, float] = {}
    if len(groups) == 1:
        # every worker alike: one scalar fixed point G = E[g] given the others' weight (w - 1) G; the chain's
        # E[g] falls as the others get more attractive, so G - F(G) rises and has one root in [0, max(g, 1)]
        ((share, count),) = groups.items()

        def excess(weight: float) -> float:
            return weight - summary(share, share * (count - 1) * weight).mean_weight(g)

        mean_weight[share] = solve_increasing(excess, 0.0, 0.0, max(g, 1.0), rel_tol=1e-9, abs_tol=1e-12)
    elif len(groups) == 2 and min(groups.values()) == 1:
        # one worker against the others (the split quadrature's tagged worker): given the others' weight G, the
        # tagged worker's follows directly, which leaves one scalar equation in G, bracketed by [0, max(g, 1)]
        (tagged, _), (share, count) = sorted(groups.items(), key=lambda item: item[1])

        def tagged_weight(weight: float) -> float:
            return summary(tagged, share * count * weight).mean_weight(g)

        def excess_two(weight: float) -> float:
            others = tagged * tagged_weight(weight) + share * (count - 1) * weight
            return weight - summary(share, others).mean_weight(g)

        root = solve_increasing(excess_two, 0.0, 0.0, max(g, 1.0), rel_tol=1e-9, abs_tol=1e-12)
        mean_weight = {tagged: tagged_weight(root), share: root}
    else:
        mean_weight = _fixed_point(groups, lambda share, others: summary(share, others).mean_weight(g))

    large = closed_form or room > ARRAY_ROOM_MAX or slots > ARRAY_SERVERS_MAX
    total = math.fsum(share * count * mean_weight[share] for share, count in groups.items())
    out = []
    for share, count in groups.items():
        if only is not None and share != only:
            continue
        others = total - share * mean_weight[share]
        if large:
            flow, wait = _summary_wait(summary(share, others), slots, room, mu)
        else:
            flow, wait = _array_wait(*_birth_rates(arrival_rate, share, others, g), slots, room, mu)
        out.append(_Group(share, count, flow, wait))
    return out


def _fixed_point(groups: dict[float, int], weight_given: Callable[[float, float], float]) -> dict[float, float]:
    """Each group's mean weight E[g] given the others' total weight (``weight_given(share, others)``), by
    Gauss-Seidel sweeps from an idle pool (each new weight enters the total at once): about a dozen sweeps where the
    damped Jacobi iteration needed fifty. A sweep that changes more than the one before (the iteration oscillates)
    switches to half steps for the rest."""
    weights = {share: 1.0 for share in groups}
    total = math.fsum(share * count * weights[share] for share, count in groups.items())
    step, last_change = 1.0, math.inf
    for _ in range(MAX_ITERATIONS):
        change = 0.0
        for share, count in groups.items():
            new = weight_given(share, total - share * weights[share])
            change = max(change, abs(new - weights[share]))
            moved = weights[share] + step * (new - weights[share])
            total += share * count * (moved - weights[share])
            weights[share] = moved
        if change < TOLERANCE:
            break
        if change > last_change:
            step = 0.5
        last_change = change
    return weights


def _array_wait(rate_free: float, rate_queued: float, slots: int, room: int, mu: float) -> tuple[float, AdmittedWait]:
    """(connections the worker accepts per second, the departures one of them waits for), one state at a time: an
    arrival joins in state n with probability proportional to the time in n x the birth rate in n."""
    cap = slots + room
    probs = _chain(rate_free, rate_queued, slots, cap, mu)
    seen = [p * (rate_free if n <= slots else rate_queued) for n, p in enumerate(probs[:cap])]
    flow = math.fsum(seen)
    k_probs = [0.0] * (room + 1)
    if flow <= 0.0:
        k_probs[0] = 1.0
        return 0.0, AdmittedWait(slots, slots * mu, k_probs)
    for n, p in enumerate(seen):
        k_probs[max(0, n - slots + 1)] += p / flow
    return flow, AdmittedWait(slots, slots * mu, k_probs)


def _summary_wait(chain: _ChainSummary, slots: int, room: int, mu: float) -> tuple[float, SegmentWait]:
    """_array_wait from the chain's closed form: an atom at k = 0, k = 1, and a geometric segment k = 2..room."""
    log_flow, no_wait, at_slots, queued = chain.seen()
    if log_flow == -math.inf:
        return 0.0, SegmentWait(slots, slots * mu, 1.0, ())
    segments = [Segment(at_slots, 0.0, 1, 1)]
    if room > 1 and queued > 0:
        segments.append(Segment(queued, chain.log_rho_q, 2, room))
    return math.exp(log_flow), SegmentWait(slots, slots * mu, no_wait, segments)


def _mix(parts: list[tuple[float, WaitDistribution]]) -> WaitDistribution:
    """The waits of several workers (or split nodes) mixed by their weights; all of one kind, slots and rate."""
    total = math.fsum(weight for weight, _ in parts)
    first = parts[0][1]
    if total <= 0.0:
        return first
    if isinstance(first, AdmittedWait):
        k_probs = [0.0] * len(first.k_probs)
        for weight, wait in parts:
            for k, p in enumerate(wait.k_probs):  # type: ignore[union-attr]
                k_probs[k] += weight / total * p
        return AdmittedWait(first.servers, first.rate, k_probs)
    p_no_wait, segments = 0.0, []
    for weight, wait in parts:
        p_no_wait += weight / total * wait.k0  # type: ignore[union-attr]
        segments.extend(Segment(weight / total * s.weight, s.log_ratio, s.start, s.stop)
                        for s in wait.segments)  # type: ignore[union-attr]
    return SegmentWait(first.servers, first.rate, p_no_wait, segments)


def _groups(params: QueueParams) -> dict[float, int]:
    """{share: number of workers with it}; an even split is one group, without a per-worker tuple."""
    if params.even_split:
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
            log_b = _log_erlang_b(slots, rate_free / mu)
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


def _log_erlang_b(slots: int, load: float) -> float:
    """log B(slots, load); the plain recursion (:func:`.formulas.erlang_b`) for the few threads of a gthread worker
    (it runs for every chain of the fixed point and every node of the split quadrature), the bounded-time Poisson
    form above that and where the recursion underflows (many threads, a light load)."""
    b = erlang_b(slots, load) if slots <= _RECURSION_SLOTS else 0.0
    return math.log(b) if b > 0.0 else log_erlang_b(slots, load)


def _log_sum(*logs: float) -> float:
    top = max(logs)
    if top == -math.inf:
        return -math.inf
    return top + math.log(math.fsum(math.exp(x - top) for x in logs))
