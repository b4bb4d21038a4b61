"""Request-by-request simulation of event loops with a concurrency limit (uvicorn's ``limit_concurrency``).

Each arriving connection goes to a worker drawn at random (``QueueParams.shares``); the worker refuses it with an
immediate 503 when it already holds ``L - 1`` other connections or runs ``L`` requests, else it serves it at once.
nginx closes the connection at its read timeout (504) while the handler keeps running until it is done, so a
connection is held for min(S, T) and a task for S (event_loop.py). Nothing else is modelled: no accept queue
(an event loop accepts every connection at once), no worker timeout.
"""

from __future__ import annotations

import heapq
import math
import random
import time

from .des import SimResult, _quantile
from .outcome import Outcome
from .params import QueueParams

__all__ = ["simulate_limited_loops"]


def _arrival_times(rng: random.Random, horizon_s: float, arrivals: str, schedule: list[tuple[float, float]],
                   bursts: list[float], max_requests: int | None) -> list[float]:
    times = [t for t in bursts if t < horizon_s]
    poisson = arrivals == "poisson"
    for index, (start, rate) in enumerate(schedule):
        end = min(horizon_s, schedule[index + 1][0] if index + 1 < len(schedule) else horizon_s)
        if rate <= 0:
            continue
        t = start + (rng.expovariate(rate) if poisson else 0.0)
        while t < end:
            times.append(t)
            t += rng.expovariate(rate) if poisson else 1.0 / rate
    times.sort()
    return times[:max_requests] if max_requests is not None else times


def simulate_limited_loops(params: QueueParams, horizon_s: float, warmup_s: float, seed: int, arrivals: str,
                           schedule: list[tuple[float, float]], bursts: list[float], max_requests: int | None,
                           max_seconds: float | None = None) -> SimResult:
    """One run (``simulate`` dispatches here for ``QueueParams.limited_loop``)."""
    rng = random.Random(seed)
    limit = int(params.concurrency_limit)  # type: ignore[arg-type]
    workers = params.workers or 1
    shares = params.shares
    draw = params.service.sampler(rng)
    deadline = params.read_timeout_s if params.read_timeout_s is not None else math.inf
    connections: list[list[float]] = [[] for _ in range(workers)]  # end times (heaps) per worker
    tasks: list[list[float]] = [[] for _ in range(workers)]
    stop_at = time.perf_counter() + max_seconds if max_seconds is not None else None
    end = horizon_s
    truncated = False
    counts = {"ok": 0, "503": 0, "504": 0}
    ok_latencies: list[float] = []
    wasted = work = 0.0  # seconds of handler work started by counted requests, and the part after a 504
    events = 0
    for t in _arrival_times(rng, horizon_s, arrivals, schedule, bursts, max_requests):
        events += 1
        if stop_at is not None and not events & 1023 and time.perf_counter() > stop_at:
            end, truncated = t, True
            break
        worker = rng.choices(range(workers), shares)[0] if workers > 1 else 0
        held, running = connections[worker], tasks[worker]
        while held and held[0] <= t:
            heapq.heappop(held)
        while running and running[0] <= t:
            heapq.heappop(running)
        service = draw()
        counted = warmup_s <= t < end
        if len(held) + 1 >= limit or len(running) >= limit:
            if counted:
                counts["503"] += 1
            continue
        heapq.heappush(held, t + min(service, deadline))
        heapq.heappush(running, t + service)
        if counted:
            work += service
            if service <= deadline:
                counts["ok"] += 1
                ok_latencies.append(service)
            else:
                counts["504"] += 1
                wasted += service - deadline
    duration = max(0.0, end - warmup_s)
    n = sum(counts.values())
    per_s = 1.0 / duration if duration > 0 else 0.0
    outcome = Outcome.from_counts(counts) if n else Outcome(p_ok=0.0)
    ok_latencies.sort()
    admitted = counts["ok"] + counts["504"]
    return SimResult(
        servers=params.servers,
        queue_capacity=params.queue_room,
        offered_rps=n * per_s,
        rho=params.offered_load,
        utilization=work * per_s / params.servers,
        outcome=outcome,
        p_refused=0.0,
        p_worker_killed=0.0,
        latency_p50_s=_quantile(ok_latencies, 0.5) if ok_latencies else None,
        latency_p99_s=_quantile(ok_latencies, 0.99) if ok_latencies else None,
        mean_wait_s=0.0 if admitted else None,
        p_wait=0.0 if admitted else None,
        max_throughput_rps=params.servers / params.mean_holding_s,
        throughput_rps=admitted * per_s,
        goodput_rps=counts["ok"] * per_s,
        wasted_work_fraction=wasted / work if work else 0.0,
        counts={"arrivals": n, "ok": counts["ok"], "app_refused": counts["503"], "read_timeout": counts["504"]},
        duration_s=duration,
        seed=seed,
        events=events,
        model="discrete-event simulation of event loops with a concurrency limit",
        truncated=truncated,
    )
