"""Analytic predictions for one gunicorn sync-worker pool behind nginx (docs/model.md).

The model is M/M/c/K with a deadline and **no abandonment**: a request nginx gave up on (504) stays queued and is
still served. Variants, each flagged ``approximate`` with the reason:

* non-exponential service: M/M/c/K blocking at the same mean, the Lee-Longton stretched wait and a numerical
  convolution with the service distribution (docs/model.md#service-time-distributions);
* the gunicorn worker timeout: M/M/c/K with the mean slot-holding time E[H]
  (docs/model.md#the-gunicorn-worker-timeout);
* TCP overflow with SYN retries before proxy_connect_timeout: an independent-retry fixed point
  (docs/model.md#unix-socket-vs-tcp).

Fractions are of all arriving requests and always sum to 1.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from .convolution import done_within, killed_within_deadline
from .event_loop import LIMITED_REASON, UNBOUNDED_MODEL, UNBOUNDED_REASON, limit_refusal, limited_model
from .formulas import (
    erlang_b,
    erlang_c,
    mmc_mean_wait,
    mmc_sojourn_sf,
    mmc_wait_sf,
    mmck_blocking,
    mmck_log_weights,
    mmck_state_probs,
)
from .numerics import solve_increasing
from .outcome import Outcome, OutcomeShares, flatten_outcome
from .params import LADDER_RANKS, QueueParams
from .partitioned import partitioned_wait
from .waiting import AdmittedWait, WaitDistribution

__all__ = [
    "Prediction",
    "default_backlog_grid",
    "erlang_b",
    "erlang_c",
    "load_curve",
    "mmc_mean_wait",
    "mmc_sojourn_sf",
    "mmc_wait_sf",
    "mmck_blocking",
    "mmck_log_weights",
    "mmck_sojourn_quantile",
    "mmck_sojourn_sf",
    "mmck_state_probs",
    "mmck_wait_sf",
    "predict",
    "recommend_backlog",
    "scan_backlog",
]

QUANTILE_NODES = 20  # convolution cells for latency quantiles (CDF error ~2e-4; the fractions use 40)
OK_NEGLIGIBLE = 1e-9  # below this P(ok) the latency quantiles of successful requests are reported as None
EXACT_MODEL = "M/M/c/K with a deadline, no abandonment (exact)"


@dataclass(frozen=True)
class Prediction(OutcomeShares):
    """Predicted outcome of the pool at one arrival rate. Fractions are of all arrivals."""

    servers: int
    queue_capacity: int
    offered_rps: float
    rho: float
    utilization: float
    outcome: Outcome
    p_refused: float
    p_worker_killed: float
    latency_p50_s: float | None
    latency_p99_s: float | None
    mean_wait_s: float
    p_wait: float
    max_throughput_rps: float
    throughput_rps: float
    goodput_rps: float
    mean_holding_s: float
    drain_time_s: float
    fill_time_s: float | None
    relaxation_time_s: float
    collapse: bool
    model: str
    approximate: bool
    approximation_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return flatten_outcome(asdict(self))


# -- M/M/c/K tails of an admitted request (docs/model.md#outcomes) -------------------------------------------------


def mmck_wait_sf(servers: int, arrival_rate: float, mean_service_s: float, room: int, t: float) -> float:
    """P(Wq > t) of a request admitted to M/M/c/K with K = servers + room."""
    return AdmittedWait.from_mmck(servers, arrival_rate, mean_service_s, room).wait_sf(t)


def mmck_sojourn_sf(servers: int, arrival_rate: float, mean_service_s: float, room: int, t: float) -> float:
    """P(W > t), W = wait + service, of a request admitted to M/M/c/K (exact, by uniformisation)."""
    return AdmittedWait.from_mmck(servers, arrival_rate, mean_service_s, room).sojourn_sf_exponential(t)


def mmck_sojourn_quantile(servers: int, arrival_rate: float, mean_service_s: float, room: int, q: float) -> float:
    """The q-quantile of W for an admitted M/M/c/K request (root of P(W <= t) = q)."""
    if not 0.0 < q < 1.0:
        raise ValueError(f"quantile level must be in (0, 1), got {q!r}")
    wait = AdmittedWait.from_mmck(servers, arrival_rate, mean_service_s, room)
    hi = max(1e-6, wait.mean_wait_s + mean_service_s)
    for _ in range(2048):  # doubling reaches any float; the CDF is 1 at the largest
        if wait.sojourn_cdf_exponential(hi) >= q or hi > 1e300:
            break
        hi *= 2
    return solve_increasing(wait.sojourn_cdf_exponential, q, 0.0, hi, rel_tol=1e-9)


# -- admission: who gets into the accept queue ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Admission:
    queue_arrival_rate: float  # connection attempts per second that reach the listener
    p_lost: float  # never admitted (502 EAGAIN on unix, 504 connect timeout on TCP)
    delays_s: tuple[float, ...]  # connect delay of an admitted request: 0, then each SYN retry time
    delay_weights: tuple[float, ...]  # P(admitted at that attempt | admitted)


def _admission(params: QueueParams, mean_holding_s: float) -> _Admission:
    c, capacity, lam = params.servers, params.capacity, params.arrival_rate
    if params.unbounded:
        return _Admission(lam, 0.0, (0.0,), (1.0,))
    retries = params.syn_retries_before_timeout if params.socket == "tcp" else ()
    if not retries or lam <= 0:
        p_block = mmck_blocking(c, lam * mean_holding_s, capacity)
        return _Admission(lam, p_block, (0.0,), (1.0,))

    # Every attempt is blocked with the same probability p (retries treated as independent, Poisson arrivals):
    # attempts per request = 1 + p + ... + p^n, and p = p_K at that attempt rate.
    def attempts(p: float) -> float:
        return lam * math.fsum(p**i for i in range(len(retries) + 1))

    def excess(p: float) -> float:
        return p - mmck_blocking(c, attempts(p) * mean_holding_s, capacity)

    p = solve_increasing(excess, 0.0, 0.0, 1.0, rel_tol=1e-12, abs_tol=1e-14)
    n = len(retries)
    p_lost = p ** (n + 1)
    admitted = 1.0 - p_lost
    if admitted <= 0.0:
        return _Admission(attempts(p), 1.0, (0.0,), (1.0,))
    weights = tuple((p**i) * (1.0 - p) / admitted for i in range(n + 1))
    return _Admission(attempts(p), p_lost, (0.0, *retries), weights)


# -- what happens to an admitted request ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _AdmittedOutcomes:
    ok: float
    killed: float
    wait: WaitDistribution
    model: str
    reasons: tuple[str, ...]


def _admitted_outcomes(params: QueueParams, queue_rate: float, mean_holding_s: float) -> _AdmittedOutcomes:
    c, room, service, deadline = params.servers, params.queue_room, params.service, params.read_timeout_s
    if params.unbounded:
        return _unbounded_outcomes(params, queue_rate, mean_holding_s)
    if params.partitioned:
        return _partitioned_outcomes(params, queue_rate, mean_holding_s)
    if _worker_timeout_matters(params):
        tw = float(params.worker_timeout_s)  # type: ignore[arg-type]
        wait = AdmittedWait.from_mmck(c, queue_rate, mean_holding_s, room)
        ok = done_within(wait, service, math.inf if deadline is None else deadline, service_cap_s=tw)
        killed = service.sf(tw) * killed_within_deadline(wait, deadline, tw, params.kill_lag_max_s)
        model = (
            f"M/G/c/K approximation with the gunicorn worker timeout: M/M/c/K with the mean slot-holding time "
            f"E[H] = {mean_holding_s * 1000:.4g} ms (service cut at Tw + U, then restart R), convolved with the "
            f"service distribution (docs/model.md#the-gunicorn-worker-timeout)"
        )
        reason = (
            "worker timeout: the slot-holding time is not exponential; this approximation gets refusals and kills "
            "right but tends to underestimate 504s about 2x (docs/model.md#the-gunicorn-worker-timeout) - simulate "
            "when the 504 share matters"
        )
        return _AdmittedOutcomes(ok, killed, wait, model, (reason,))

    if service.kind == "exponential":
        wait = AdmittedWait.from_mmck(c, queue_rate, mean_holding_s, room)
        ok = 1.0 if deadline is None else wait.sojourn_cdf_exponential(deadline)
        return _AdmittedOutcomes(ok, 0.0, wait, EXACT_MODEL, ())

    wait = _lee_longton_wait(c, queue_rate, service.mean_s, room, service.scv)
    ok = 1.0 if deadline is None else done_within(wait, service, deadline)
    model = (
        f"M/G/c/K approximation: M/M/c/K blocking at the same mean, Lee-Longton wait for SCV {service.scv:.2f}, "
        f"numerical convolution with the {service.kind} service time (docs/model.md#service-time-distributions)"
    )
    reason = (
        f"{service.kind} service time: two-moment approximation (no formula is accurate for every service "
        "distribution; errors are largest at light load and high SCV) - simulate for a check"
    )
    return _AdmittedOutcomes(ok, 0.0, wait, model, (reason,))


def _unbounded_outcomes(params: QueueParams, queue_rate: float, mean_holding_s: float) -> _AdmittedOutcomes:
    """Every admitted connection is served at once (M/G/infinity, event_loop.py): ok iff S <= T."""
    wait = AdmittedWait.from_mmck(params.servers, queue_rate, mean_holding_s, 0)
    deadline = params.read_timeout_s
    ok = 1.0 if deadline is None else params.service.cdf(deadline)
    if params.limited_loop:
        return _AdmittedOutcomes(ok, 0.0, wait, limited_model(params), (LIMITED_REASON,))
    return _AdmittedOutcomes(ok, 0.0, wait, UNBOUNDED_MODEL, (UNBOUNDED_REASON,))


def _partitioned_outcomes(params: QueueParams, queue_rate: float, mean_holding_s: float) -> _AdmittedOutcomes:
    """Per-worker queues (gthread with worker_connections > threads): partitioned.py's mean-field chain."""
    service, deadline = params.service, params.read_timeout_s
    wait = partitioned_wait(params, queue_rate, mean_holding_s)
    if deadline is None:
        ok = 1.0
    elif service.kind == "exponential":
        ok = wait.sojourn_cdf_exponential(deadline)
    else:
        ok = done_within(wait, service, deadline)
    ok = ok if ok > OK_NEGLIGIBLE else 0.0  # the chain's far tail, not a request that finishes in time
    workers, slots = params.workers, params.slots_per_worker
    split = "an even split" if params.even_split else "the given split"
    if params.split is None and not params.even_split:
        split = (f"a ladder by rank, each worker {params.split_ratio:g}x the share of the one before it"
                 + (f" down to the {LADDER_RANKS}th" if workers > LADDER_RANKS else ""))
    if params.even_split and params.split_spread > 0:
        split += f" biased per run (worker weights e^({params.split_spread:g} Z))"
    bias = params.queued_worker_weight
    model = (f"per-worker queues: {workers} workers x M/M/{slots}/{slots + params.worker_room}, connections split at "
             f"random over the workers ({split}"
             + (f", a worker with connections queued inside it {bias:g}x as likely to accept" if bias != 1 else "")
             + ") regardless of free threads")
    reasons = [f"per-worker queues: the kernel, not the configuration, decides which worker accepts; the model "
               f"assumes {split}" + (f" with a {bias:g}x preference for workers that already queue (measured on "
                                     "Linux)" if bias != 1 else "")
               + " - measured on one machine, where with 2-4 workers the 504 share was within 5 points in 15 of 19 "
               "cells in one session and in 6 of 19 in another (up to 44 points too low: one of two workers took "
               "four fifths of the connections); the split changes between sessions and machines, so measure the "
               "pool where it runs (advisor validate --server gunicorn; docs/model-worker-classes.md)"]
    if service.kind != "exponential":
        reasons.append(f"{service.kind} service time: the per-worker queue lengths assume exponential service")
    return _AdmittedOutcomes(ok, 0.0, wait, model, tuple(reasons))


def _worker_timeout_matters(params: QueueParams) -> bool:
    """The timeout is on and some request can exceed it (for 50-ms requests and Tw = 30 s it never fires)."""
    if not params.worker_timeout_enabled:
        return False
    return params.service.sf(float(params.worker_timeout_s)) > 1e-15  # type: ignore[arg-type]


def _lee_longton_wait(c: int, lam: float, mean_s: float, room: int, scv: float) -> WaitDistribution:
    """Wait of an admitted M/G/c/K request: P(wait) from M/M/c/K, the queue stretched by f = (1 + SCV)/2.

    Conditional on waiting, k is geometric with ratio r = 1 + (rho - 1)/f truncated at the room. For an infinite
    room and rho < 1 that is an exponential wait with mean f/(c mu - lambda) (Lee-Longton); for f = 1 it is exactly
    M/M/c/K.
    """
    base = AdmittedWait.from_mmck(c, lam, mean_s, room)
    if room == 0:
        return base
    f = (1.0 + scv) / 2.0
    rho = lam * mean_s / c
    ratio = max(0.0, 1.0 + (rho - 1.0) / f)
    return AdmittedWait.geometric(c, c / mean_s, base.p_no_wait, ratio, room)


# -- latency quantiles of successful requests -------------------------------------------------------------------------


def _ok_latency_quantiles(
    params: QueueParams, admission: _Admission, wait: WaitDistribution, levels: tuple[float, ...]
) -> list[float | None]:
    service, deadline = params.service, params.read_timeout_s
    cap = float(params.worker_timeout_s) if _worker_timeout_matters(params) else None  # type: ignore[arg-type]
    exact = cap is None and service.kind == "exponential"

    def done_by(t: float) -> float:  # P(W <= t, ok) for an admitted request, t measured from the connect
        if t <= 0:
            return 0.0
        if deadline is not None:
            t = min(t, deadline)
        return wait.sojourn_cdf_exponential(t) if exact else done_within(wait, service, t, cap, QUANTILE_NODES)

    def ok_cdf(t: float) -> float:
        return math.fsum(w * done_by(t - d) for w, d in zip(admission.delay_weights, admission.delays_s, strict=True))

    total = ok_cdf(math.inf)
    if total <= OK_NEGLIGIBLE:
        return [None for _ in levels]
    upper = admission.delays_s[-1] + (deadline if deadline is not None else math.inf)
    # Bracket each quantile by doubling from a typical latency, then refine: far fewer evaluations than
    # searching all of [0, T] when T is long.
    results: list[float | None] = []
    lo, t = 0.0, max(1e-6, 0.25 * (wait.mean_wait_s + service.mean_s))
    for level in sorted(levels):
        target = level * total
        while t < upper and ok_cdf(t) < target:
            lo, t = t, 2 * t
        hi = min(t, upper)
        results.append(solve_increasing(ok_cdf, target, lo, hi, rel_tol=1e-4))
        lo = max(lo, results[-1])
    order = sorted(range(len(levels)), key=lambda i: levels[i])
    return [results[order.index(i)] for i in range(len(levels))]


# -- the public entry points ----------------------------------------------------------------------------------------


def predict(params: QueueParams, *, latencies: bool = True) -> Prediction:
    """Predict the outcome fractions, utilization, latency and overload timings for ``params``.

    ``latencies=False`` skips the latency quantiles (they are the slowest part for non-exponential service).
    """
    c, room = params.servers, params.queue_room
    lam = params.arrival_rate
    mean_holding = params.mean_holding_s
    max_rate = c / mean_holding
    rho = lam / max_rate

    admission = _admission(params, mean_holding)
    outcomes = _admitted_outcomes(params, admission.queue_arrival_rate, mean_holding)
    p_503 = limit_refusal(params)  # refused by the app server itself (event loops at their concurrency limit)
    admitted = (1.0 - admission.p_lost) * (1.0 - p_503)
    p_ok = admitted * outcomes.ok
    p_killed = admitted * outcomes.killed
    p_deadline = max(0.0, admitted - p_ok - p_killed)

    p_502 = admission.p_lost if params.socket == "unix" else 0.0
    p_504_connect = admission.p_lost if params.socket == "tcp" else 0.0
    p_500 = 0.0
    if params.worker_timeout_status == 500:
        p_500 = p_killed
    else:
        p_502 += p_killed

    model = outcomes.model
    reasons = list(outcomes.reasons)
    if len(admission.delays_s) > 1:
        retries = ", ".join(f"{r:g}" for r in admission.delays_s[1:])
        model += f"; TCP SYN retries at {retries} s before proxy_connect_timeout as an independent-retry fixed point"
        reasons.append(
            f"TCP overflow with proxy_connect_timeout {params.connect_timeout_s:g} s >= the first SYN retry is a "
            "retrial queue; the fixed point ignores retry correlation and the kernel's SYN bunching "
            "(docs/model.md#unix-socket-vs-tcp) - use the simulator"
        )

    if latencies and p_ok > OK_NEGLIGIBLE:
        p50, p99 = _ok_latency_quantiles(params, admission, outcomes.wait, (0.5, 0.99))
    else:
        p50 = p99 = None

    throughput = lam * admitted
    utilization = min(1.0, throughput * mean_holding / c)
    drain = room * mean_holding / c
    if params.partitioned:  # the last place: behind the kernel queue, then behind a full worker's own queue
        drain = params.kernel_room * mean_holding / c + params.worker_room * mean_holding / params.slots_per_worker
    fill = room / (lam - max_rate) if rho > 1.0 else None
    deadline = params.read_timeout_s
    collapse = rho > 1.0 and deadline is not None and drain + mean_holding > deadline
    if params.unbounded:  # nothing queues: "utilisation" is the mean number of requests in progress per slot
        utilization, drain, fill, collapse = throughput * mean_holding / c, 0.0, None, False
        if not params.limited_loop:  # nothing saturates either
            max_rate = math.inf
    return Prediction(
        servers=c,
        queue_capacity=room,
        offered_rps=lam,
        rho=rho,
        utilization=utilization,
        outcome=Outcome(p_ok=p_ok, p_502=p_502, p_503=p_503, p_504=p_deadline, p_504_connect=p_504_connect,
                        p_500=p_500),
        p_refused=admission.p_lost,
        p_worker_killed=p_killed,
        latency_p50_s=p50,
        latency_p99_s=p99,
        mean_wait_s=outcomes.wait.mean_wait_s,
        p_wait=outcomes.wait.p_wait,
        max_throughput_rps=max_rate,
        throughput_rps=throughput,
        goodput_rps=lam * p_ok,
        mean_holding_s=mean_holding,
        drain_time_s=drain,
        fill_time_s=fill,
        relaxation_time_s=(_relaxation_time(lam / params.workers, max_rate / params.workers, params.worker_room)
                           if params.partitioned else _relaxation_time(lam, max_rate, room)),
        collapse=collapse,
        model=model,
        approximate=bool(reasons),
        approximation_reason="; ".join(reasons) if reasons else None,
    )


def _relaxation_time(lam: float, max_rate: float, room: int) -> float:
    """Order of magnitude of the time the queue needs to reach its steady state
    (docs/model.md#overload-and-the-drain-time).

    Birth-death walk: 1/(sqrt(lambda) - sqrt(c mu))^2 away from rho = 1, bounded by room^2/(lambda + c mu) near it.
    """
    if room == 0 or lam <= 0:
        return 0.0
    bounded = room * room / (lam + max_rate)
    gap = (math.sqrt(lam) - math.sqrt(max_rate)) ** 2
    return bounded if gap == 0 else min(bounded, 1.0 / gap)


def default_backlog_grid(somaxconn: int = 4096) -> list[int]:
    """Backlogs to scan: every value up to 32, then about 12 % steps, plus the usual powers of two."""
    grid = set(range(0, min(32, somaxconn) + 1))
    value = 32.0
    while value < somaxconn:
        value *= 1.12
        grid.add(min(int(round(value)), somaxconn))
    grid.update(b for b in (64, 128, 256, 511, 512, 1024, 2048, 4096) if b <= somaxconn)
    grid.add(somaxconn)
    return sorted(grid)


def scan_backlog(
    params: QueueParams, backlogs: list[int] | None = None, somaxconn: int = 4096, *, latencies: bool = True
) -> list[tuple[int, Prediction]]:
    """Predictions for each backlog (the accept queue holds min(backlog, somaxconn) + 1)."""
    grid = default_backlog_grid(somaxconn) if backlogs is None else list(backlogs)
    return [(b, predict(params.with_backlog(b, somaxconn), latencies=latencies)) for b in grid]


def recommend_backlog(params: QueueParams, somaxconn: int = 4096) -> tuple[int, Prediction]:
    """The backlog that maximises P(ok) at this load (ties go to the smaller backlog), with its full prediction."""
    best_backlog, best_ok = 0, -1.0
    for backlog, prediction in scan_backlog(params, somaxconn=somaxconn, latencies=False):
        if prediction.p_ok > best_ok + 1e-9:
            best_backlog, best_ok = backlog, prediction.p_ok
    return best_backlog, predict(params.with_backlog(best_backlog, somaxconn))


def load_curve(params: QueueParams, rho_values: list[float], *, latencies: bool = True) -> list[Prediction]:
    """Predictions for the same pool at each offered load rho (for ok/502/504-vs-load plots)."""
    return [predict(params.with_rho(rho), latencies=latencies) for rho in rho_values]
