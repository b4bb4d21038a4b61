"""Benchmark: can the open-loop load generator keep its schedule at >= 2,000 requests/s on this machine?

Runs the generator against a reference server (several workers, zero service time) over a unix socket and over
TCP loopback, and prints the offered rate it achieved, its send lag (actual - scheduled send time) and its own CPU
time. The schedule is honest if the achieved offered rate matches the nominal rate and the lag p99 stays in the
low milliseconds.

    python bench/bench_loadgen.py [--rate 2000] [--seconds 5] [--workers 4]
"""

from __future__ import annotations

import argparse
import resource
import time

from advisor.validation.loadgen import LoadSpec, run_load
from advisor.validation.refserver import RefServerConfig, start_refserver


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench(bind: str, arrivals: str, rate: float, seconds: float, workers: int) -> dict:
    config = RefServerConfig(bind=bind, workers=workers, backlog=1024, service="const:0", max_seconds=seconds + 60)
    with start_refserver(config) as server:
        spec = LoadSpec(
            target=str(server.address),
            arrivals=arrivals,
            rate=rate,
            max_requests=int(rate * seconds) + 1,
            duration_s=seconds,
            connect_timeout_s=2.0,
            read_timeout_s=5.0,
            seed=7,
        )
        cpu0, wall0 = _cpu_s(), time.monotonic()
        result = run_load(spec)
        cpu, wall = _cpu_s() - cpu0, time.monotonic() - wall0
    summary = result.summary()
    summary["loadgen_cpu_share"] = cpu / wall
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    print(f"{'target':6} {'arrivals':9} {'nominal/s':>9} {'offered/s':>9} {'n':>6} {'ok%':>6} "
          f"{'lag p50 ms':>10} {'lag p99 ms':>10} {'lag max ms':>10} {'lat p50 ms':>10} {'lat p99 ms':>10} "
          f"{'cpu':>5}  other outcomes")
    for bind, label in (("unix:", "unix"), ("127.0.0.1:0", "tcp")):
        for arrivals in ("poisson", "constant"):
            s = bench(bind, arrivals, args.rate, args.seconds, args.workers)
            others = {k: v for k, v in s["counts"].items() if k != "ok"}
            print(
                f"{label:6} {arrivals:9} {args.rate:9.0f} {s['offered_rate_per_s']:9.0f} {s['n']:6d} "
                f"{100 * s['p_ok']:6.2f} {1e3 * s['send_lag_p50_s']:10.3f} {1e3 * s['send_lag_p99_s']:10.3f} "
                f"{1e3 * s['send_lag_max_s']:10.3f} {1e3 * s['latency_p50_s']:10.3f} "
                f"{1e3 * s['latency_p99_s']:10.3f} {s['loadgen_cpu_share']:5.2f}  {others or ''}"
            )


if __name__ == "__main__":
    main()
