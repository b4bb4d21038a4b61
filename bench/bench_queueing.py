"""Benchmark of the queueing model and simulator (standard library only).

Run: python bench/bench_queueing.py [--quick]

Times one prediction at K = 4097 (c = 4, S = 50 ms, T = 60 s), full backlog scans and recommendations, the
simulator's throughput in customers (and events) per second, and the cost of a 200-run scatter band.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from advisor.queueing.analytic import predict, recommend_backlog, scan_backlog
from advisor.queueing.params import QueueParams, ServiceTime
from advisor.queueing.simulate import band, simulate

EXP50 = ServiceTime.exponential(0.05)
LOGNORMAL = ServiceTime.lognormal_from_quantiles(0.04, 0.4)


def best_of(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def pool(rho: float, backlog: int = 4096, service: ServiceTime = EXP50, **kwargs: object) -> QueueParams:
    return QueueParams.from_backlog(
        4, backlog, arrival_rate=rho * 4 / service.mean_s, service=service, read_timeout_s=60.0, **kwargs
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and shorter simulations")
    args = parser.parse_args()
    repeat = 2 if args.quick else 5
    rows: list[tuple[str, str]] = []

    for rho in (0.8, 1.2, 3.0):
        seconds = best_of(lambda: predict(pool(rho)), repeat)
        rows.append((f"predict K=4097 T=60s c=4 S=50ms rho={rho}", f"{seconds * 1000:.1f} ms"))
    seconds = best_of(lambda: predict(pool(0.8, service=LOGNORMAL)), repeat)
    rows.append(("predict K=4097 lognormal (p50 40ms, p99 400ms) rho=0.8", f"{seconds * 1000:.1f} ms"))
    seconds = best_of(lambda: predict(pool(1.2, worker_timeout_s=0.3)), repeat)
    rows.append(("predict K=4097 worker timeout 0.3 s rho=1.2", f"{seconds * 1000:.1f} ms"))
    seconds = best_of(lambda: predict(pool(1.2, socket="tcp")), repeat)
    rows.append(("predict K=4097 TCP SYN-retry fixed point rho=1.2", f"{seconds * 1000:.1f} ms"))

    count = len(scan_backlog(pool(0.8), latencies=False))
    for label, params in (("exponential", pool(0.8)), ("lognormal", pool(0.8, service=LOGNORMAL))):
        seconds = best_of(lambda: scan_backlog(params), max(1, repeat // 2))
        rows.append((f"scan_backlog 0..4096 ({count} backlogs, {label}, with latencies)", f"{seconds:.3f} s"))
        seconds = best_of(lambda: recommend_backlog(params), max(1, repeat // 2))
        rows.append((f"recommend_backlog ({label})", f"{seconds:.3f} s"))

    horizon = 300.0 if args.quick else 2000.0
    for label, params, kwargs in (
        ("unix rho=0.8 B=8", pool(0.8, backlog=8), {}),
        ("unix rho=1.2 B=2048", pool(1.2, backlog=2048), {}),
        ("tcp retries rho=1.2 B=8 Tc=2.5s", pool(1.2, backlog=8, socket="tcp", connect_timeout_s=2.5), {}),
        ("tcp + SYN bunching", pool(1.2, backlog=8, socket="tcp", connect_timeout_s=2.5), {"syn_bunching": True}),
        ("worker timeout 0.1 s", pool(0.8, backlog=8, worker_timeout_s=0.1, restart_s=0.2), {}),
        ("lognormal rho=0.9", pool(0.9, backlog=2048, service=LOGNORMAL), {}),
    ):
        start = time.perf_counter()
        result = simulate(params, horizon_s=horizon, warmup_s=10.0, seed=1, **kwargs)
        seconds = time.perf_counter() - start
        customers = result.counts["arrivals"] * horizon / result.duration_s
        speed = f"{customers / seconds / 1000:.0f}k customers/s ({result.events / seconds / 1000:.0f}k events/s)"
        rows.append((f"simulate {label}", speed))

    runs = 50 if args.quick else 200
    params = QueueParams.from_backlog(4, 8, arrival_rate=64.0, service=EXP50, read_timeout_s=0.15)
    measured = band(params, duration_s=18.0, warmup_s=2.0, runs=runs)
    rows.append((f"band {measured.runs} runs x 20 s (c=4, rho=0.8)", f"{measured.elapsed_s:.2f} s"))
    lo, hi = measured["p_504"]
    rows.append(("  its 95 % band of the 504 share", f"{100 * lo:.1f}-{100 * hi:.1f} %"))

    width = max(len(name) for name, _ in rows)
    print(f"{'measurement':<{width}}  result")
    print(f"{'-' * width}  {'-' * 30}")
    for name, value in rows:
        print(f"{name:<{width}}  {value}")


if __name__ == "__main__":
    main()
