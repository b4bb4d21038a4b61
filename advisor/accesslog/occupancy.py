"""Service times from upstream response times: where each request's service began.

nginx's connect to gunicorn completes as soon as the kernel queues the connection, before a worker accepts it, so
`$upstream_response_time` is the wait in the accept queue plus the service time. The wait can be taken out again:
the accept queue is first in, first out, so a request that connected while n requests of the same app server were
in flight (in service or queued ahead of it) started its service when n - c + 1 of them had left (c = the request
slots), or at once when n < c. The log says when every request connected ($msec - $request_time, plus the connect
time) and when its response ended, so that moment is known, and response end minus service start is the request's
service time. Which requests can be reconstructed depends only on the requests ahead of them, never on their own
service time, so they are an unbiased sample.

A request nginx gave up on (504, or 499 when the client left) still holds its worker until it finishes, at a time
the log cannot tell: while it may be running, the service start of a request that would wait for it is unknown and
that request is left out. It counts in flight for a typical service time (the running mean of the samples) after
nginx gave up. Log lines are written when requests end, so requests are held back for `horizon_s` (bounded memory:
the requests of that many seconds) and then swept in the order they connected.
"""

from __future__ import annotations

import heapq

__all__ = ["ServiceStarts"]

MAX_AHEAD = 256  # reconstruct service starts at most this deep into a queue (cost per request)
SHADOW = 3.0  # a request nginx gave up on counts in flight for this many mean service times more


class ServiceStarts:
    """Feed `add()` in log order; `sink(value, censored)` receives the service time of every request whose service
    start is known."""

    def __init__(self, servers: int, horizon_s: float, sink) -> None:
        self.servers = servers
        self.horizon_s = horizon_s
        self.sink = sink
        self._pending: list[tuple[float, int, float, int]] = []  # (connected, seq, end, kind)
        self._active: list[tuple[float, float, bool]] = []  # (leaves the count, left at least at, left at known)
        self._swept_until = float("-inf")
        self._seq = 0
        self._sum = 0.0
        self._count = 0
        self.selected = 0
        self.waited = 0  # of the selected: requests that waited in the accept queue
        self.seen = 0

    ANSWERED, KILLED, GAVE_UP = 0, 1, 2

    def add(self, connected: float, end: float, kind: int, now: float) -> None:
        """A request that got a connection at `connected`; nginx's upstream part ended at `end` with an answer
        (ANSWERED), a worker killed at its timeout (KILLED) or nginx giving up (GAVE_UP); `now`: the log's current
        end time."""
        self._seq += 1
        heapq.heappush(self._pending, (connected, self._seq, end, kind))
        if self._pending[0][0] < now - self.horizon_s:
            self._sweep(now - self.horizon_s)

    def _start_of(self, connected: float) -> float | None:
        """When the request connected at `connected` began its service; None when the log cannot tell."""
        active = self._active
        while active and active[0][0] <= connected:
            heapq.heappop(active)
        ahead = len(active) - self.servers + 1  # departures to wait for
        if ahead <= 0:
            return connected
        if ahead > MAX_AHEAD:
            return None
        first = heapq.nsmallest(ahead, active, key=lambda entry: entry[1])
        if not all(known for _, _, known in first):
            return None  # a request nginx gave up on may leave first, at a time the log does not say
        return max(connected, first[-1][1])

    def _sweep(self, until: float) -> None:
        pending, active = self._pending, self._active
        while pending and pending[0][0] < until:
            connected, _, end, kind = heapq.heappop(pending)
            late = connected < self._swept_until
            self._swept_until = max(self._swept_until, connected)
            self.seen += 1
            start = None if late else self._start_of(connected)
            if start is not None and (kind != self.GAVE_UP or start < end):
                self.selected += 1
                self.waited += start > connected
                value = max(end - start, 0.0)
                censored = kind != self.ANSWERED
                self.sink(value, censored)
                if not censored:
                    self._sum += value
                    self._count += 1
            if kind == self.GAVE_UP:
                # Still queued or running when nginx gave up: the worker is busy until an unknown time after
                # max(end, its service start); count it for a long service time (SHADOW x the mean).
                typical = SHADOW * self._sum / self._count if self._count else 0.0
                begun = end if start is None else max(end, start)
                heapq.heappush(active, (begun + typical, end, False))
            else:
                heapq.heappush(active, (end, end, True))

    def finish(self) -> None:
        self._sweep(float("inf"))
