"""Arrivals per second and the busiest window of an app server, with the outcomes of the requests in it.

Requests are counted in the second they started. Log lines come in the order requests end, so a second is closed
once the log has moved `horizon_s` past it; closed seconds slide through a window of `length_s` seconds, and the
window with the most arrivals is kept with its outcome counts per route. Memory: the open seconds and the window.
"""

from __future__ import annotations

from collections import deque

__all__ = ["OUTCOMES", "WindowTracker"]

OUTCOMES = ("ok", "502", "504", "500", "other")


def _zero() -> list[int]:
    return [0] * len(OUTCOMES)


class WindowTracker:
    def __init__(self, length_s: int | None, horizon_s: float) -> None:
        self.length_s = length_s  # None: the whole period is the window
        self.horizon_s = horizon_s
        self._open: dict[int, dict[str, list[int]]] = {}  # second -> route -> outcome counts
        self._window: deque[tuple[int, int, dict[str, list[int]]]] = deque()
        self._in_window = 0
        self._window_counts: dict[str, list[int]] = {}
        self._closed_until = -(2**62)
        self.best_arrivals = -1
        self.best_end = 0  # last second of the busiest window
        self.best_counts: dict[str, list[int]] = {}
        self.totals: dict[str, list[int]] = {}
        self.arrivals = 0
        self.first_second: int | None = None
        self.last_second: int | None = None

    def add(self, second: int, route: str, outcome: int, now: float) -> None:
        self.arrivals += 1
        total = self.totals.get(route)
        if total is None:
            total = self.totals[route] = _zero()
        total[outcome] += 1
        if self.first_second is None or second < self.first_second:
            self.first_second = second
        if self.last_second is None or second > self.last_second:
            self.last_second = second
        if self.length_s is None:
            return
        if second <= self._closed_until:
            return  # a request longer than the horizon: counted in the totals, not in a window
        routes = self._open.get(second)
        if routes is None:
            routes = self._open[second] = {}
        counts = routes.get(route)
        if counts is None:
            counts = routes[route] = _zero()
        counts[outcome] += 1
        if len(self._open) > 2 * self.horizon_s + 2:
            self._close(int(now - self.horizon_s))

    def _close(self, until: int) -> None:
        for second in sorted(s for s in self._open if s < until):
            self._slide(second, self._open.pop(second))
            self._closed_until = second

    def _slide(self, second: int, routes: dict[str, list[int]]) -> None:
        assert self.length_s is not None
        window, sums = self._window, self._window_counts
        while window and window[0][0] <= second - self.length_s:
            _, arrivals, old = window.popleft()
            self._in_window -= arrivals
            for route, counts in old.items():
                target = sums[route]
                for index, value in enumerate(counts):
                    target[index] -= value
        arrivals = sum(sum(counts) for counts in routes.values())
        window.append((second, arrivals, routes))
        self._in_window += arrivals
        for route, counts in routes.items():
            target = sums.get(route)
            if target is None:
                target = sums[route] = _zero()
            for index, value in enumerate(counts):
                target[index] += value
        if self._in_window > self.best_arrivals:
            self.best_arrivals = self._in_window
            self.best_end = second
            self.best_counts = {route: list(counts) for route, counts in sums.items() if any(counts)}

    def finish(self) -> None:
        if self.length_s is not None:
            self._close(2**62)
