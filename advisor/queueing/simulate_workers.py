"""The simulator's engine for partitioned pools: worker processes that each queue connections inside themselves.

A gthread worker's main thread keeps accepting while its threads are busy, up to ``worker_connections``
connections, and hands each one to its own thread pool (a FIFO queue). So, unlike the sync pool of ``simulate.py``:

* an arriving connection goes to one of the workers that still accept (fewer than ``threads + worker_room``
  connections), chosen at random with the ``QueueParams.shares`` weights (even, given, or the ``split_ratio`` rank
  ladder; an even split times a per-run weight per worker when ``split_spread`` is set) and
  ``queued_worker_weight`` - not to a worker with a free thread;
* it waits inside that worker, behind that worker's busy threads, even when another worker is idle;
* only when every worker holds its maximum do connections wait in the kernel accept queue (FIFO, shared); a worker
  that lets go of a connection takes the head of that queue; a full accept queue overflows as in the pooled model.

The events, arrivals, TCP retries, records and results are the pooled engine's (:class:`~.simulate._Engine`).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from collections import deque
from itertools import accumulate

from .des import _ACK, _BUNCH, _BURST, _FREE, _SYN, DEADLINE, OK, _Engine

__all__ = ["PartitionedEngine"]


class PartitionedEngine(_Engine):
    """Per-worker queues with a random, state-independent split of the accepted connections."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        params = self.params
        self.n_workers = int(params.workers or 1)
        self.slots = params.slots_per_worker
        self.cap = self.slots + params.worker_room  # connections a worker holds before it stops accepting
        self.room = params.kernel_room  # the pooled engine's queue is the kernel accept queue here
        self.synrecv_cap = max(1, self.room - 1)
        self.shares = self.run_shares(params.shares, params.split_spread if params.even_split else 0.0)
        self.cumulative = list(accumulate(self.shares))
        self.held = [0] * self.n_workers  # connections accepted and not finished (in service + queued)
        self.busy = [0] * self.n_workers  # threads serving a request
        self.waiting: dict[int, deque[int]] = {}  # per-worker FIFO queues, made on first use
        self.full = 0  # workers at their maximum (not accepting)
        self.bias = params.queued_worker_weight
        self.with_queue = 0  # workers with connections queued inside them (matters when bias != 1)

    def run_shares(self, shares: tuple[float, ...], spread: float) -> tuple[float, ...]:
        """This run's split: each worker's share times its per-run weight e^(spread Z) (the bias that holds for a
        whole run; :mod:`.split_spread` is the formula's side of it)."""
        if spread <= 0.0:
            return shares
        weights = [share * math.exp(spread * self.rng.gauss(0.0, 1.0)) for share in shares]
        total = math.fsum(weights)
        return tuple(weight / total for weight in weights)

    # -- who takes a connection -------------------------------------------------------------------------------------
    def pick_worker(self) -> int:
        """A random accepting worker, weighted by its share and by ``queued_worker_weight`` when connections are
        queued inside it (workers at their maximum do not accept)."""
        u = self.rng.random()
        if not self.full and not self.with_queue:
            return min(bisect_right(self.cumulative, u * self.cumulative[-1]), self.n_workers - 1)
        held, slots, cap, bias = self.held, self.slots, self.cap, self.bias
        weights = [0.0 if held[i] >= cap else share * (bias if held[i] > slots else 1.0)
                   for i, share in enumerate(self.shares)]
        target = u * math.fsum(weights)
        acc = 0.0
        last = 0
        for i, weight in enumerate(weights):
            if weight > 0.0:
                acc += weight
                last = i
                if target < acc:
                    return i
        return last

    def free_places(self) -> int:
        """Connections the pool can take right now (accepting workers, then the kernel accept queue)."""
        in_workers = sum(self.cap - held for held in self.held)
        return in_workers + self.room - len(self.queue)

    def admit(self, rid: int, t: float) -> None:
        if self.connected[rid] != self.connected[rid]:  # NaN: connected now
            self.connected[rid] = t
        self.admitted[rid] = t
        if self.full < self.n_workers and not self.queue:
            self.hand_over(self.pick_worker(), rid, t)
        else:
            self.queue.append(rid)

    def hand_over(self, worker: int, rid: int, t: float) -> None:
        """``worker`` accepts ``rid``: a free thread starts it, else it waits in the worker's queue."""
        self.held[worker] += 1
        if self.held[worker] == self.cap:
            self.full += 1
        if self.held[worker] == self.slots + 1 and self.bias != 1.0:
            self.with_queue += 1
        if self.busy[worker] < self.slots:
            self.start(worker, rid, t)
        else:
            self.waiting.setdefault(worker, deque()).append(rid)

    def start(self, worker: int, rid: int, t: float) -> None:
        self.busy[worker] += 1
        self.started[rid] = t
        done = t + self.draw()
        self.worker_done[rid] = done
        ref = self.connected[rid]
        if self.deadline is None or done - ref <= self.deadline:
            self.finish(rid, OK, done)
        else:
            self.finish(rid, DEADLINE, ref + self.deadline)
        if self.warmup <= self.arrival[rid] < self.measure_end:
            held = done - t
            self.work_total += held
            if self.outcome[rid] != OK:
                self.work_wasted += held
        self.push(done, 1, _FREE, worker)

    def release(self, worker: int, t: float) -> None:
        """A thread of ``worker`` finished: it takes the next queued connection; the worker accepts again."""
        self.busy[worker] -= 1
        if self.held[worker] == self.cap:
            self.full -= 1
        if self.held[worker] == self.slots + 1 and self.bias != 1.0:
            self.with_queue -= 1
        self.held[worker] -= 1
        waiting = self.waiting.get(worker)
        if waiting:
            self.start(worker, waiting.popleft(), t)
        if self.queue and self.held[worker] < self.cap:
            self.hand_over(worker, self.queue.popleft(), t)

    # -- overrides of the pooled engine's helpers -----------------------------------------------------------------
    def syn_bunch(self, t: float) -> None:
        members = self.bunches.pop(t)
        free = self.free_places()
        for rid in members:
            if free > 0:
                free -= 1
                self.admit(rid, t)
            elif self.synrecv < self.synrecv_cap:
                self.synrecv += 1
                self.connected[rid] = t
                self.push(t + self.ack_schedule[0], 0, _ACK, rid, 0)
            else:
                self.retry_later(rid)

    def ack_retry(self, rid: int, index: int, t: float) -> None:
        if self.free_places() > 0:
            self.synrecv -= 1
            self.admit(rid, t)
            return
        if index + 1 < len(self.ack_schedule):
            self.push(self.connected[rid] + self.ack_schedule[index + 1], 0, _ACK, rid, index + 1)
            return
        self.synrecv -= 1
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
        self.draw = params.service.sampler(rng)
        self.deadline = params.read_timeout_s
        expovariate = rng.expovariate
        servers = params.servers
        busy = self.busy
        heappop = heapq.heappop

        for at in bursts:
            self.push(at, 0, _BURST)
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
        in_service = 0
        while True:
            if heap and (heap[0][0] < next_arrival or (heap[0][0] == next_arrival and heap[0][1] == 0)):
                t, _, _, kind, a, b = heappop(heap)
            elif next_arrival <= horizon and next_arrival < math.inf:
                t, kind = next_arrival, -1
                if t >= next_change:
                    t = next_change
                    phase += 1
                    rate = schedule[phase][1]
                    next_change = schedule[phase + 1][0] if phase + 1 < len(schedule) else math.inf
                    next_arrival = t + (expovariate(rate) if poisson else 0.0) if rate > 0 else next_change
                    if rate <= 0 and next_change == math.inf:
                        next_arrival = math.inf
                    continue
                next_arrival = t + (expovariate(rate) if poisson else 1.0 / rate) if rate > 0 else math.inf
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

            if t > clock:
                lo = clock if clock > warmup else warmup
                hi = t if t < self.measure_end else self.measure_end
                if hi > lo:
                    self.busy_area += in_service * (hi - lo)
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
                if self.full < self.n_workers or len(self.queue) < self.room:
                    self.admit(rid, t)
                else:
                    self.overflow(rid, t)
            elif kind == _FREE:
                self.release(a, t)
            elif kind == _SYN:
                if self.full < self.n_workers or len(self.queue) < self.room:
                    self.admit(a, t)
                else:
                    self.overflow(a, t)
            elif kind == _BUNCH:
                self.syn_bunch(t)
            elif kind == _ACK:
                self.ack_retry(a, b, t)
            in_service = sum(busy)
        self.idle = servers - in_service
        self.events = events
        self.clock = clock
