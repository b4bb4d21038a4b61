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
that request is left out. It counts in flight for SHADOW mean service times (the running mean of the samples) after
the later of nginx giving up and the earliest moment its own service can have begun. Log lines are written when
requests end, so requests are held back for `horizon_s` (bounded memory: the requests of that many seconds) and then
swept in the order they connected.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort

__all__ = ["ServiceStarts"]

MAX_AHEAD = 256  # reconstruct service starts at most this deep into a queue (cost per request)
SHADOW = 2.0  # a request nginx gave up on counts in flight for this many mean service times more


def _connected(entry: tuple[float, float, int]) -> float:
    return entry[0]


class ServiceStarts:
    """Feed `add()` in log order; `sink(value, censored)` receives the service time of every request whose service
    start is known."""

    ANSWERED, KILLED, GAVE_UP = 0, 1, 2

    def __init__(self, servers: int, horizon_s: float, sink) -> None:
        self.servers = servers
        self.horizon_s = horizon_s
        self.sink = sink
        self._pending: list[tuple[float, float, int]] = []  # (connected, end, kind), not yet swept
        self._next_sweep = float("-inf")
        self._departures: list[float] = []  # sorted: when the requests in flight with a known departure leave
        self._unknown: list[tuple[float, float]] = []  # (counted until, leaves no earlier than): nginx gave up
        self._swept_until = float("-inf")
        self._sum = 0.0
        self._count = 0
        self.selected = 0
        self.waited = 0  # of the selected: requests that waited in the accept queue
        self.seen = 0

    def add(self, connected: float, end: float, kind: int, now: float) -> None:
        """A request that got a connection at `connected`; nginx's upstream part ended at `end` with an answer
        (ANSWERED), a worker killed at its timeout (KILLED) or nginx giving up (GAVE_UP); `now`: the log's current
        end time."""
        self._pending.append((connected, end, kind))
        if now >= self._next_sweep:
            self._next_sweep = now + self.horizon_s / 4
            self._sweep(now - self.horizon_s)

    def _start_of(self, connected: float) -> tuple[float | None, float]:
        """(when the request connected at `connected` began its service, or None when the log cannot tell; the
        earliest it can have begun)."""
        departures = self._departures
        gone = bisect_right(departures, connected)
        if gone:
            del departures[:gone]
        if self._unknown:
            self._unknown = [entry for entry in self._unknown if entry[0] > connected]
        unknown = self._unknown
        ahead = len(departures) + len(unknown) - self.servers + 1  # departures to wait for
        if ahead <= 0:
            return connected, connected
        if ahead > MAX_AHEAD:
            return None, connected
        if not unknown:  # FIFO: it starts when the ahead-th of those in flight leaves
            earliest = max(connected, departures[ahead - 1])
            return earliest, earliest
        merged = sorted(departures[:ahead] + [left for _, left in unknown])
        earliest = max(connected, merged[ahead - 1])
        if ahead > len(departures) or any(left <= departures[ahead - 1] for _, left in unknown):
            return None, earliest  # a request nginx gave up on may leave first, at a time the log does not say
        return earliest, earliest

    def _sweep(self, until: float) -> None:
        """Process the requests that connected before `until`, in the order they connected (log lines come
        nearly in that order, so the sort is cheap)."""
        pending = self._pending
        pending.sort(key=_connected)
        cut = bisect_left(pending, until, key=_connected)
        ready, self._pending = pending[:cut], pending[cut:]
        for connected, end, kind in ready:
            late = connected < self._swept_until
            self._swept_until = max(self._swept_until, connected)
            self.seen += 1
            start, earliest = (None, connected) if late else self._start_of(connected)
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
                # Queued or running when nginx gave up: its worker is busy until an unknown time after it began,
                # which is no earlier than `earliest`; it counts for a long service time (SHADOW x the mean).
                typical = SHADOW * self._sum / self._count if self._count else 0.0
                begun = max(end, earliest)
                self._unknown.append((begun + typical, begun))
            else:
                insort(self._departures, end)

    def finish(self) -> None:
        self._sweep(float("inf"))
