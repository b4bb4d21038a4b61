"""The discrete-event engine of the pooled system (one FIFO accept queue in front of c workers) and the result
types every engine shares. ``simulate.py`` runs it (and ``simulate_workers.py``'s engine for per-worker queues);
see ``simulate.py`` for what is modelled.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from .outcome import Outcome, OutcomeShares, flatten_outcome
from .params import QueueParams

UNBOUNDED_SLOTS = 10**9

# Outcome codes (index into OUTCOMES).
OK, REFUSED, CONNECT_TIMEOUT, DEADLINE, KILLED = range(5)
OUTCOMES = ("ok", "refused", "connect_timeout", "read_timeout", "worker_killed")
_STATUS = (200, 502, 504, 504, 0)  # the status of a killed worker's request comes from QueueParams

# Event kinds; priority 0 events (connection attempts) run before priority 1 (workers) at the same instant, so
# simultaneous arrivals all reach the accept queue before an idle worker wakes up to accept one.
_SYN, _BUNCH, _ACK, _BURST, _WAKE, _FREE = range(6)

# 8 jiffies at HZ=250: the timer-wheel granularity for 1-s timers (docs/model.md#unix-socket-vs-tcp)
SYN_BUNCH_GRID_S = 0.032
# When a SYN-RECV connection's final ACK was dropped, the client's retransmissions (RTO 200 ms, doubling) are the
# later chances to complete; cumulative times after the SYN-ACK.
ACK_RETRY_SCHEDULE_S: tuple[float, ...] = (0.2, 0.6, 1.4, 3.0, 6.2, 12.6, 25.4, 51.0)


@dataclass(slots=True)
class RequestRecord:
    """One simulated request. Times are seconds since the start of the run."""

    arrival_s: float
    outcome: str  # one of OUTCOMES
    status: int  # what the client got: 200, 500, 502 or 504
    answered_s: float  # when the client got its answer (or error)
    connected_s: float | None  # when nginx's connect finished (proxy_read_timeout counts from here)
    admitted_s: float | None  # when the connection entered the accept queue
    started_s: float | None  # when a worker accepted it
    worker_done_s: float | None  # when the worker let go of it (after a 504 this is zombie work)
    syn_attempts: int

    @property
    def latency_s(self) -> float:
        return self.answered_s - self.arrival_s


@dataclass
class SimResult(OutcomeShares):
    """Measured fractions of the requests that arrived in [warmup, horizon), with the same keys as Prediction."""

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
    mean_wait_s: float | None
    p_wait: float | None
    max_throughput_rps: float
    throughput_rps: float
    goodput_rps: float
    wasted_work_fraction: float
    counts: dict[str, int]
    duration_s: float
    seed: int
    events: int
    model: str = "discrete-event simulation"
    approximate: bool = False
    records: list[RequestRecord] | None = field(default=None, repr=False)
    truncated: bool = False  # the run hit its wall-clock limit: arrivals stopped early (duration_s says when)

    def to_dict(self, *, records: bool = False) -> dict[str, Any]:
        out = flatten_outcome({k: (asdict(v) if k == "outcome" else v) for k, v in self.__dict__.items()
                               if k not in ("records", "truncated")})
        out["counts"] = dict(self.counts)
        if records and self.records is not None:
            out["records"] = [asdict(r) for r in self.records]
        return out


def _quantile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolation quantile of an already sorted list."""
    pos = q * (len(sorted_values) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


class _Engine:
    """State of one run. The hot loop lives in :meth:`run`; rarer paths (TCP retries, SYN-RECV) are methods."""

    def __init__(
        self,
        params: QueueParams,
        rng: random.Random,
        horizon_s: float,
        warmup_s: float,
        syn_bunching: bool,
        ack_retry_schedule_s: tuple[float, ...],
    ) -> None:
        self.params = params
        self.rng = rng
        self.horizon = horizon_s
        self.warmup = warmup_s
        self.measure_end = horizon_s
        self.bunching = syn_bunching
        self.ack_schedule = ack_retry_schedule_s
        self.retries = params.syn_retries_before_timeout if params.socket == "tcp" else ()
        self.heap: list[tuple[float, int, int, int, int, int]] = []
        self.seq = 0
        self.queue: deque[int] = deque()
        self.room = params.queue_room
        # an event loop without a concurrency limit never runs out of slots (utilisation then counts requests in
        # progress per worker, as the analytic model does)
        self.slots = UNBOUNDED_SLOTS if params.unbounded else params.servers
        self.idle = self.slots
        self.pending_wakes = 0
        self.synrecv = 0
        self.synrecv_cap = max(1, params.queue_room - 1)  # the request-sock queue limit is the backlog
        self.bunches: dict[float, list[int]] = {}
        # Per-request columns (index = request id).
        self.arrival: list[float] = []
        self.connected: list[float] = []
        self.admitted: list[float] = []
        self.started: list[float] = []
        self.answered: list[float] = []
        self.worker_done: list[float] = []
        self.outcome: list[int] = []
        self.attempts: list[int] = []
        # Accounting.
        self.busy_area = 0.0
        self.work_total = 0.0
        self.work_wasted = 0.0
        self.events = 0
        # Wall-clock limit (simulate(max_seconds=...)): past stop_at no new arrivals; past abort_at no more events.
        self.stop_at: float | None = None
        self.abort_at = math.inf
        self.truncated = False

    def limit_wall_time(self, max_seconds: float | None) -> None:
        """Stop generating arrivals after ``max_seconds`` of wall time, and stop draining half as long again."""
        if max_seconds is not None:
            self.stop_at = time.perf_counter() + max_seconds
            self._drain_s = max(0.05, 0.5 * max_seconds)

    def out_of_time(self, t: float) -> int:
        """0: carry on; 1: the time is up, stop arrivals (the measurement ends at t); 2: stop at once."""
        now = time.perf_counter()
        if not self.truncated:
            if self.stop_at is None or now <= self.stop_at:
                return 0
            self.truncated = True
            self.measure_end = min(self.measure_end, t)
            self.abort_at = now + self._drain_s
            return 1
        return 2 if now > self.abort_at else 1

    # -- event helpers ---------------------------------------------------------------------------------------------
    def push(self, t: float, prio: int, kind: int, a: int = 0, b: int = 0) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (t, prio, self.seq, kind, a, b))

    def new_request(self, t: float) -> int:
        rid = len(self.arrival)
        self.arrival.append(t)
        self.connected.append(math.nan)
        self.admitted.append(math.nan)
        self.started.append(math.nan)
        self.answered.append(math.nan)
        self.worker_done.append(math.nan)
        self.outcome.append(-1)
        self.attempts.append(1)
        return rid

    def finish(self, rid: int, outcome: int, at: float) -> None:
        self.outcome[rid] = outcome
        self.answered[rid] = at

    def admit(self, rid: int, t: float) -> None:
        """Put a connection into the accept queue and wake an idle worker (after same-instant arrivals)."""
        if self.connected[rid] != self.connected[rid]:  # NaN: connected now
            self.connected[rid] = t
        self.admitted[rid] = t
        self.queue.append(rid)
        if self.idle > self.pending_wakes:
            self.pending_wakes += 1
            self.push(t, 1, _WAKE)

    def overflow(self, rid: int, t: float) -> None:
        """The accept queue is full: EAGAIN on unix, a dropped SYN on TCP."""
        if self.params.socket == "unix":
            self.finish(rid, REFUSED, t)
            return
        self.retry_later(rid)

    def retry_later(self, rid: int) -> None:
        attempt = self.attempts[rid]  # attempts made so far; the next retry is retries[attempt - 1]
        arrival = self.arrival[rid]
        give_up = arrival + self.params.connect_timeout_s
        if attempt > len(self.retries):
            self.finish(rid, CONNECT_TIMEOUT, give_up)
            return
        when = arrival + self.retries[attempt - 1]
        self.attempts[rid] = attempt + 1
        if not self.bunching:
            self.push(when, 0, _SYN, rid)
            return
        slot = math.ceil(when / SYN_BUNCH_GRID_S - 1e-9) * SYN_BUNCH_GRID_S
        if slot >= give_up:
            self.finish(rid, CONNECT_TIMEOUT, give_up)
            return
        members = self.bunches.get(slot)
        if members is None:
            self.bunches[slot] = [rid]
            self.push(slot, 0, _BUNCH)
        else:
            members.append(rid)

    def syn_bunch(self, t: float) -> None:
        """A bunch of retransmitted SYNs arrives together: all pass the 'queue not full' test before any ACK."""
        members = self.bunches.pop(t)
        free = self.room - len(self.queue)
        if free <= 0:
            for rid in members:
                self.retry_later(rid)
            return
        for rid in members:
            if free > 0:
                free -= 1
                self.admit(rid, t)
            elif self.synrecv < self.synrecv_cap:
                # The client got its SYN-ACK, so nginx is connected and its read timer runs; the final ACK was
                # dropped because the accept queue filled in between.
                self.synrecv += 1
                self.connected[rid] = t
                self.push(t + self.ack_schedule[0], 0, _ACK, rid, 0)
            else:
                self.retry_later(rid)

    def ack_retry(self, rid: int, index: int, t: float) -> None:
        if len(self.queue) < self.room:
            self.synrecv -= 1
            self.admit(rid, t)
            return
        if index + 1 < len(self.ack_schedule):
            self.push(self.connected[rid] + self.ack_schedule[index + 1], 0, _ACK, rid, index + 1)
            return
        self.synrecv -= 1  # the server gives up the half-open connection; nginx has long answered 504
        deadline = self.params.read_timeout_s
        self.finish(rid, DEADLINE, self.connected[rid] + deadline if deadline is not None else t)

    # -- the run ---------------------------------------------------------------------------------------------------
    def run(
        self,
        arrivals: str,
        schedule: list[tuple[float, float]],
        bursts: list[float],
        max_requests: int | None,
    ) -> None:
        params, rng, heap = self.params, self.rng, self.heap
        horizon, warmup = self.horizon, self.warmup
        room = self.room
        queue = self.queue
        draw = params.service.sampler(rng)
        uniform = rng.random
        expovariate = rng.expovariate
        tw = float(params.worker_timeout_s) if params.worker_timeout_enabled else 0.0  # type: ignore[arg-type]
        lag_max, restart = params.kill_lag_max_s, params.restart_s
        deadline = params.read_timeout_s
        servers = self.slots
        arrival, connected, started, worker_done = self.arrival, self.connected, self.started, self.worker_done
        heappush, heappop = heapq.heappush, heapq.heappop

        for at in bursts:
            self.push(at, 0, _BURST)

        # Background arrival process: next arrival time, current rate, and the next rate change.
        poisson = arrivals == "poisson"
        phase = 0
        rate = schedule[0][1] if schedule else 0.0
        next_change = schedule[1][0] if len(schedule) > 1 else math.inf
        next_arrival = math.inf
        if schedule:
            next_arrival = schedule[0][0] + (expovariate(rate) if poisson else 0.0) if rate > 0 else next_change
        remaining = max_requests if max_requests is not None else -1

        clock = 0.0
        events = 0
        limited = self.stop_at is not None
        while True:
            # Pick the next event: a background arrival or the heap's head (priority-0 heap events first on ties).
            if heap and (heap[0][0] < next_arrival or (heap[0][0] == next_arrival and heap[0][1] == 0)):
                t, _, _, kind, a, b = heappop(heap)
            elif next_arrival <= horizon and next_arrival < math.inf:
                t, kind = next_arrival, -1
                if t >= next_change:  # rate change: restart the (memoryless) process at the boundary
                    t = next_change
                    phase += 1
                    rate = schedule[phase][1]
                    next_change = schedule[phase + 1][0] if phase + 1 < len(schedule) else math.inf
                    next_arrival = t + (expovariate(rate) if poisson else 0.0) if rate > 0 else next_change
                    if rate <= 0 and next_change == math.inf:
                        next_arrival = math.inf
                    continue
                if rate > 0:
                    next_arrival = t + (expovariate(rate) if poisson else 1.0 / rate)
                else:
                    next_arrival = math.inf
            elif heap:
                t, _, _, kind, a, b = heappop(heap)
            else:
                break
            events += 1
            if limited and not events & 1023:
                state = self.out_of_time(t)
                if state == 2:
                    break
                if state == 1:
                    next_arrival, remaining = math.inf, 0

            # Integrate busy worker slots over the measurement window.
            if t > clock:
                lo = clock if clock > warmup else warmup
                hi = t if t < self.measure_end else self.measure_end
                if hi > lo:
                    self.busy_area += (servers - self.idle) * (hi - lo)
                clock = t

            if kind == -1 or kind == _BURST:
                if remaining == 0:
                    if kind == -1:
                        next_arrival = math.inf
                        if t < self.measure_end:
                            self.measure_end = t
                    continue
                remaining -= 1
                rid = self.new_request(t)
                if len(queue) < room:
                    self.admit(rid, t)
                else:
                    self.overflow(rid, t)
            elif kind == _FREE or kind == _WAKE:
                if kind == _WAKE:
                    self.pending_wakes -= 1
                    if not self.idle or not queue:
                        continue
                    self.idle -= 1
                elif not queue:
                    self.idle += 1
                    continue
                # A worker accepts the head of the queue and serves it.
                rid = queue.popleft()
                started[rid] = t
                s = draw()
                ref = connected[rid]
                if tw and s > tw:
                    kill = t + tw + (lag_max * (1.0 - uniform()) if lag_max > 0 else 0.0)
                    free_at = kill + restart
                    worker_done[rid] = kill
                    if deadline is None or kill - ref <= deadline:
                        self.finish(rid, KILLED, kill)
                    else:
                        self.finish(rid, DEADLINE, ref + deadline)
                else:
                    free_at = t + s
                    worker_done[rid] = free_at
                    if deadline is None or free_at - ref <= deadline:
                        self.finish(rid, OK, free_at)
                    else:
                        self.finish(rid, DEADLINE, ref + deadline)
                if warmup <= arrival[rid] < self.measure_end:
                    held = free_at - t
                    self.work_total += held
                    if self.outcome[rid] != OK:
                        self.work_wasted += held
                self.seq += 1
                heappush(heap, (free_at, 1, self.seq, _FREE, 0, 0))
            elif kind == _SYN:
                if len(queue) < room:
                    self.admit(a, t)
                else:
                    self.overflow(a, t)
            elif kind == _BUNCH:
                self.syn_bunch(t)
            elif kind == _ACK:
                self.ack_retry(a, b, t)
        self.events = events
        self.clock = clock

    # -- results ---------------------------------------------------------------------------------------------------
    def result(self, seed: int, keep_records: bool) -> SimResult:
        params = self.params
        warmup, end = self.warmup, self.measure_end
        duration = end - warmup
        counts = dict.fromkeys(OUTCOMES, 0)
        if duration <= 0:  # stopped (out of wall time) before the warm-up ended: nothing measured
            end, duration = warmup, 0.0
        ok_latencies: list[float] = []
        waits: list[float] = []
        kept: list[RequestRecord] = []
        killed_status = params.worker_timeout_status
        for rid, t in enumerate(self.arrival):
            if not warmup <= t < end:
                continue
            outcome = self.outcome[rid]
            if outcome < 0:  # unresolved when a wall-clock limit cut the run short
                continue
            counts[OUTCOMES[outcome]] += 1
            if outcome == OK:
                ok_latencies.append(self.answered[rid] - t)
            started = self.started[rid]
            if started == started:
                waits.append(started - self.admitted[rid])
            if keep_records:
                kept.append(self._record(rid, killed_status))
        n = sum(counts.values())
        frac = {k: (v / n if n else 0.0) for k, v in counts.items()}
        p_refused_unix = frac["refused"]
        p_killed = frac["worker_killed"]
        p_502 = p_refused_unix + (p_killed if killed_status == 502 else 0.0)
        p_500 = p_killed if killed_status == 500 else 0.0
        ok_latencies.sort()
        admitted = len(waits)
        per_s = 1.0 / duration if duration > 0 else 0.0
        return SimResult(
            servers=params.servers,
            queue_capacity=params.queue_room,
            offered_rps=n * per_s,
            rho=params.offered_load,
            utilization=self.busy_area * per_s / params.servers,
            outcome=Outcome(p_ok=frac["ok"], p_502=p_502, p_504=frac["read_timeout"],
                            p_504_connect=frac["connect_timeout"], p_500=p_500),
            p_refused=p_refused_unix + frac["connect_timeout"],
            p_worker_killed=p_killed,
            latency_p50_s=_quantile(ok_latencies, 0.5) if ok_latencies else None,
            latency_p99_s=_quantile(ok_latencies, 0.99) if ok_latencies else None,
            mean_wait_s=math.fsum(waits) / admitted if admitted else None,
            p_wait=sum(1 for w in waits if w > 0) / admitted if admitted else None,
            max_throughput_rps=params.servers / params.mean_holding_s,
            throughput_rps=admitted * per_s,
            goodput_rps=counts["ok"] * per_s,
            wasted_work_fraction=self.work_wasted / self.work_total if self.work_total else 0.0,
            counts={"arrivals": n, **counts},
            duration_s=duration,
            seed=seed,
            events=self.events,
            model="discrete-event simulation" + (" with SYN bunching" if self.bunching else ""),
            records=kept if keep_records else None,
            truncated=self.truncated,
        )

    def _record(self, rid: int, killed_status: int) -> RequestRecord:
        outcome = self.outcome[rid]
        connected, admitted = self.connected[rid], self.admitted[rid]
        started, done = self.started[rid], self.worker_done[rid]
        return RequestRecord(
            self.arrival[rid],
            OUTCOMES[outcome],
            killed_status if outcome == KILLED else _STATUS[outcome],
            self.answered[rid],
            None if connected != connected else connected,  # NaN -> None
            None if admitted != admitted else admitted,
            None if started != started else started,
            None if done != done else done,
            self.attempts[rid],
        )
