"""Discrete-event simulation of a gunicorn sync-worker pool behind nginx (standard library, heapq).

The simulated system is the one the analytic model describes, plus what the formulas cannot do:

* c workers take connections FIFO from an accept queue that holds Q (= backlog + 1) connections;
* nginx's proxy_read_timeout T is a deadline **without abandonment**: a request nginx answered with 504 stays
  queued and a worker still serves it (zombie work, counted in utilization and in ``wasted_work_fraction``);
* the gunicorn worker timeout kills a worker at Tw + U, U ~ U(0, kill_lag_max], then the slot is unavailable
  for the restart time R; the client gets 500 or 502 (``QueueParams.worker_timeout_status``);
* unix socket, queue full: immediate 502 (EAGAIN);
* TCP, queue full: the SYN is dropped and retried on the kernel's schedule until proxy_connect_timeout (504);
  optionally the 32-ms timer-wheel bunching of retransmitted SYNs and the SYN-RECV race it causes
  (docs/model.md#unix-socket-vs-tcp);
* exponential, lognormal or constant service; Poisson (optionally piecewise-constant rate), constant-rate and
  burst arrivals; a finite horizon with warm-up discard; seeded and reproducible.

Partitioned pools (gthread workers that queue connections inside themselves, ``QueueParams.partitioned``) run on
``simulate_workers.PartitionedEngine``: per-worker queues fed by a weighted random split; event loops without a
concurrency limit (``QueueParams.unbounded``) never run out of slots; event loops with one (uvicorn's
``limit_concurrency``) run on ``simulate_loops``.

Requests are counted when they arrive inside [warmup, horizon); the run continues after the horizon (without new
arrivals) until every counted request has an outcome.
"""

from __future__ import annotations

import random
import time
from typing import Any

from .des import (
    ACK_RETRY_SCHEDULE_S,
    OUTCOMES,
    SYN_BUNCH_GRID_S,
    RequestRecord,
    SimResult,
    _Engine,
    _quantile,
)
from .params import QueueParams
from .simulate_loops import simulate_limited_loops
from .simulate_workers import PartitionedEngine

__all__ = [
    "ACK_RETRY_SCHEDULE_S",
    "OUTCOMES",
    "SYN_BUNCH_GRID_S",
    "Band",
    "RequestRecord",
    "SimResult",
    "band",
    "simulate",
    "timeline",
]

def _burst_times(burst: int | tuple[float, ...] | None) -> list[float]:
    if burst is None:
        return []
    if isinstance(burst, int):
        count, at, spacing = burst, 0.0, 0.0
    else:
        count = int(burst[0])
        at = float(burst[1]) if len(burst) > 1 else 0.0
        spacing = float(burst[2]) if len(burst) > 2 else 0.0
    if count < 0 or at < 0 or spacing < 0:
        raise ValueError("burst must be count >= 0 [, at_s >= 0 [, spacing_s >= 0]]")
    return [at + i * spacing for i in range(count)]


def _rate_schedule(
    params: QueueParams, arrivals: str, rate_schedule: list[tuple[float, float]] | None
) -> list[tuple[float, float]]:
    if arrivals not in ("poisson", "constant", "burst", "none"):
        raise ValueError(f"arrivals must be 'poisson', 'constant', 'burst' or 'none', got {arrivals!r}")
    if arrivals in ("burst", "none"):
        return []
    schedule = list(rate_schedule) if rate_schedule else [(0.0, params.arrival_rate)]
    if any(rate < 0 for _, rate in schedule) or [t for t, _ in schedule] != sorted(t for t, _ in schedule):
        raise ValueError("rate_schedule must be (start_s, rate) pairs with rising start times and rates >= 0")
    return schedule


def simulate(
    params: QueueParams,
    horizon_s: float,
    warmup_s: float = 0.0,
    seed: int = 0,
    arrivals: str = "poisson",
    burst: int | tuple[float, ...] | None = None,
    max_requests: int | None = None,
    *,
    records: bool = False,
    syn_bunching: bool = False,
    rate_schedule: list[tuple[float, float]] | None = None,
    ack_retry_schedule_s: tuple[float, ...] = ACK_RETRY_SCHEDULE_S,
    max_seconds: float | None = None,
) -> SimResult:
    """Simulate ``params`` for ``horizon_s`` seconds and measure the requests arriving after ``warmup_s``.

    * ``arrivals``: "poisson" (rate params.arrival_rate, or the piecewise-constant ``rate_schedule`` of
      (start_s, rate) pairs), "constant" (evenly spaced), "burst"/"none" (only the burst).
    * ``burst``: N, (N, at_s) or (N, at_s, spacing_s): N extra requests at once (or spaced), e.g. 12 requests into
      one worker with backlog 2.
    * ``max_requests``: stop generating arrivals after this many.
    * ``records``: keep a :class:`RequestRecord` per counted request (for timelines and detailed checks).
    * ``syn_bunching``: TCP only: deliver retransmitted SYNs on the 32-ms timer-wheel grid; SYNs of one bunch all
      pass the "queue not full" check, the ones that do not fit end in SYN-RECV (nginx thinks it is connected) and
      complete on the client's ACK retransmissions (``ack_retry_schedule_s``).
    * ``max_seconds``: wall-clock limit. When it is spent the run stops generating arrivals, ends the measurement
      there and drains for at most half as long again (requests still unresolved then are left out); the result is
      marked ``truncated`` and its ``duration_s`` is what was measured.
    """
    if not horizon_s > 0 or warmup_s < 0 or warmup_s >= horizon_s:
        raise ValueError("need horizon_s > warmup_s >= 0")
    if syn_bunching and params.socket != "tcp":
        raise ValueError("syn_bunching only applies to TCP sockets")
    schedule = _rate_schedule(params, arrivals, rate_schedule)
    bursts = _burst_times(burst)
    if arrivals == "burst" and not bursts:
        raise ValueError("arrivals='burst' needs burst=N (or (N, at_s[, spacing_s]))")
    if params.limited_loop:
        return simulate_limited_loops(params, horizon_s, warmup_s, seed, arrivals, schedule, bursts, max_requests,
                                      max_seconds)
    rng = random.Random(seed)
    engine_class = PartitionedEngine if params.partitioned else _Engine
    engine = engine_class(params, rng, horizon_s, warmup_s, syn_bunching, ack_retry_schedule_s)
    engine.limit_wall_time(max_seconds)
    engine.run(arrivals, schedule, bursts, max_requests)
    return engine.result(seed, keep_records=records)


# -- transient view ---------------------------------------------------------------------------------------------


def timeline(result: SimResult, bin_s: float = 1.0) -> list[dict[str, float]]:
    """Outcome counts per arrival-time bin (e.g. the first 30 s of a spike); needs ``simulate(..., records=True)``."""
    if result.records is None:
        raise ValueError("timeline needs a result simulated with records=True")
    if not bin_s > 0:
        raise ValueError("bin_s must be > 0")
    bins: dict[int, dict[str, float]] = {}
    for record in result.records:
        index = int(record.arrival_s // bin_s)
        row = bins.setdefault(index, {"start_s": index * bin_s, "arrivals": 0, **dict.fromkeys(OUTCOMES, 0)})
        row["arrivals"] += 1
        row[record.outcome] += 1
    return [bins[i] for i in sorted(bins)]


# -- measurement scatter -------------------------------------------------------------------------------------------

BAND_KEYS = (
    "p_ok",
    "p_502",
    "p_503",
    "p_504",
    "p_504_connect",
    "p_500",
    "p_refused",
    "p_worker_killed",
    "utilization",
    "latency_p50_s",
    "latency_p99_s",
    "mean_wait_s",
)


class Band(dict[str, tuple[float, float]]):
    """key -> (lo, hi) quantiles over repeated runs; ``runs`` and ``elapsed_s`` say what it cost."""

    runs: int = 0
    elapsed_s: float = 0.0


def band(
    params: QueueParams,
    duration_s: float,
    warmup_s: float,
    runs: int = 200,
    seed: int = 0,
    quantiles: tuple[float, float] = (0.025, 0.975),
    *,
    max_seconds: float | None = None,
    min_runs: int = 20,
    budget_s: float | None = None,
    **simulate_kwargs: Any,
) -> Band:
    """The scatter of a measurement of ``duration_s`` (after ``warmup_s``): quantiles of each key over ``runs`` runs.

    ``max_seconds`` bounds the wall time: runs stop once it is spent (but not before ``min_runs``). ``budget_s`` is
    a hard limit instead: no run starts that would not finish within it (judged by the runs so far), a run cut
    short by it is left out, and the band may end with fewer than ``min_runs`` runs (``runs`` says how many).
    """
    if runs < 1:
        raise ValueError("runs must be >= 1")
    started = time.perf_counter()
    samples: dict[str, list[float]] = {key: [] for key in BAND_KEYS}
    done = 0
    for i in range(runs):
        limit = None
        if budget_s is not None:
            spent = time.perf_counter() - started
            left = budget_s - spent
            if left <= 0 or (done and spent / done > left):
                break
            limit = left / 1.5  # a cut-short run drains for up to half its limit again
        result = simulate(params, horizon_s=warmup_s + duration_s, warmup_s=warmup_s, seed=seed * 1_000_003 + i,
                          max_seconds=limit, **simulate_kwargs)
        if result.truncated:
            break
        done += 1
        for key in BAND_KEYS:
            value = getattr(result, key)
            if value is not None:
                samples[key].append(value)
        if max_seconds is not None and done >= min_runs and time.perf_counter() - started > max_seconds:
            break
    out = Band()
    for key, values in samples.items():
        if values:
            values.sort()
            out[key] = (_quantile(values, quantiles[0]), _quantile(values, quantiles[1]))
    out.runs = done
    out.elapsed_s = time.perf_counter() - started
    return out
