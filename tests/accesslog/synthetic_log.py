"""A small M/G/c/K simulation that writes what nginx would log for it (tests and the benchmark).

c sync workers behind a unix socket with Q accept-queue places, FIFO, Poisson arrivals; nginx gives up after
`read_timeout` (504, the worker still finishes the request) and a full queue refuses at once (502). Lines are in the
format advisor recommends (advisor.accesslog.formats.RECOMMENDED_TEXT), in the order nginx writes them (by end time).
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Truth:
    arrivals: int = 0
    counts: dict[str, int] = field(default_factory=lambda: {"200": 0, "502": 0, "504": 0})
    service_sum: float = 0.0

    @property
    def mean_service(self) -> float:
        return self.service_sum / max(1, self.arrivals - self.counts["502"])


def _time_local(epoch: float) -> str:
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(epoch))


def simulate_lines(*, rate: float, duration_s: float, servers: int, queue: int, read_timeout: float,
                   service: Callable[[random.Random], float], seed: int = 1, start: float = 1_700_000_000.0,
                   path: Callable[[random.Random], str] = lambda rng: "/api/items",
                   host: str = "shop.example.com", port: int = 80, tag_service: bool = False
                   ) -> tuple[list[str], Truth]:
    rng = random.Random(seed)
    truth = Truth()
    free = [start] * servers  # when each worker is next free
    heapq.heapify(free)
    in_system: list[float] = []  # departure times of the connections held (queued or in service)
    events: list[tuple[float, str]] = []
    now = start
    while True:
        now += rng.expovariate(rate)
        if now > start + duration_s:
            break
        truth.arrivals += 1
        while in_system and in_system[0] <= now:
            heapq.heappop(in_system)
        target = path(rng)
        s = service(rng)
        if tag_service:  # the drawn service time in the request, as `advisor validate`'s load generator does
            target += f"{'&' if '?' in target else '?'}t={s:.6f}"
        if len(in_system) >= servers + queue:
            truth.counts["502"] += 1
            events.append((now, _line(now, now, 502, target, "-", "-", "0.000", host, port)))
            continue
        truth.service_sum += s
        begin = max(now, heapq.heappop(free))
        done = begin + s
        heapq.heappush(free, done)
        heapq.heappush(in_system, done)
        if done - now <= read_timeout:
            truth.counts["200"] += 1
            events.append((done, _line(now, done, 200, target, "0.000", f"{done - now:.3f}", f"{done - now:.3f}",
                                       host, port)))
        else:
            truth.counts["504"] += 1
            end = now + read_timeout
            events.append((end, _line(now, end, 504, target, "0.000", "-", f"{read_timeout:.3f}", host, port)))
    events.sort(key=lambda item: item[0])
    return [line for _, line in events], truth


def _line(begin: float, end: float, status: int, target: str, uct: str, uht: str, urt: str, host: str,
          port: int) -> str:
    return (f'192.0.2.7 - - [{_time_local(end)}] "GET {target} HTTP/1.1" {status} 12 "-" "load/1.0" '
            f'msec={end:.3f} rt={end - begin:.3f} uct="{uct}" uht="{uht}" urt="{urt}" ua="unix:/run/app.sock" '
            f'us="{status if uht != "-" else ("-" if status == 502 else "504")}" host="{host}" port={port}\n')
