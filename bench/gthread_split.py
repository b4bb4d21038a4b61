"""Measure gunicorn gthread pools behind real nginx: outcome shares and each worker's share of the connections, per run.

Runs every cell (workers x threads x rho) round-robin, so a busy period of the machine spreads over the cells
instead of biasing one of them, with a fresh seed per run. A run whose load-generator send lag p99 is above
``--max-lag`` (another process held the CPU) is discarded and repeated, up to ``--retries`` times; discarded runs
are written too, marked ``"discarded": true``. Loopback and temporary unix sockets only; every process is stopped
when its run ends.

    python bench/gthread_split.py --out runs.jsonl [--rounds 4] [--cells 2x2@0.8,4x1@0.5] [--duration 10]
    python bench/gthread_split.py --out long.jsonl --cells 5x4@0.75 --duration 120 --read-timeout 2 \
        --worker-connections 200   # does the bias last? a favoured worker fills up, then its requests time out
    python bench/gthread_split.py --out pinned.jsonl --cells 4x2@0.5 --cpus 0 --traces traces.jsonl
        # gunicorn (master, workers, their threads) on CPU 0 only; one line per run with every connection

``--traces`` writes, per run, every request the app served: the time nginx had the whole request (the load
generator's "sent"; nginx connects upstream within a fraction of a millisecond), the worker (fork order), and when
the app started and finished it (``bench/gthread_split_trace.py`` fits who wins the accept race from them).

Each output line: the cell, the seed, the measured ok/502/504 shares, the send lag p99 (ms) and ``by_worker`` (the
connections each worker served, in fork order).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import sys
import time
from pathlib import Path

from advisor.validation.gunicorn_runner import GunicornConfig, start_gunicorn
from advisor.validation.loadgen import LoadSpec, request_paths, run_load
from advisor.validation.measure import measure, window_records
from advisor.validation.nginx_runner import NginxRoute, NginxRunner
from advisor.validation.session import _wait_access_log

SERVICE_S = 0.05
READ_TIMEOUT_S = 0.15
CONNECT_TIMEOUT_S = 0.5
BACKLOG = 8
DEFAULT_CELLS = [
    *(f"1x2@{r}" for r in (0.5, 0.7, 0.9)),
    *(f"1x4@{r}" for r in (0.5, 0.7, 0.8, 0.9)),
    *(f"{w}x{t}@{r}" for w, t in ((2, 1), (2, 2), (4, 1), (4, 2)) for r in (0.5, 0.7, 0.8, 0.9)),
    *(f"2x4@{r}" for r in (0.5, 0.7, 0.9)),
]


def parse_cell(text: str) -> dict:
    """"2x2@0.8" or "2x2@0.8/tcp" or "gevent:2x2@0.8" (gevent: threads = worker_connections)."""
    worker_class = "gthread"
    if ":" in text:
        worker_class, text = text.split(":", 1)
    sock = "unix"
    if "/" in text:
        text, sock = text.split("/", 1)
    pool, rho = text.split("@")
    workers, threads = (int(x) for x in pool.split("x"))
    return {"cls": worker_class, "w": workers, "t": threads, "rho": float(rho), "sock": sock}


def pin(pids: list[int], cpus: set[int]) -> None:
    """Pin every thread of these processes to ``cpus`` (threads made later inherit it from their creator)."""
    for pid in pids:
        for task in os.listdir(f"/proc/{pid}/task"):
            os.sched_setaffinity(int(task), cpus)


def run_once(cell: dict, seed: int, duration_s: float, warmup_s: float, *, read_timeout_s: float = READ_TIMEOUT_S,
             worker_connections: int = 1000, cpus: set[int] | None = None) -> tuple[dict, dict]:
    """(the run's summary row, its per-connection trace)."""
    workers, threads = cell["w"], cell["t"]
    gevent = cell["cls"] == "gevent"
    rate = cell["rho"] * workers * threads / SERVICE_S
    config = GunicornConfig(bind="unix:" if cell["sock"] == "unix" else "127.0.0.1:0", workers=workers,
                            worker_class=cell["cls"], threads=1 if gevent else threads,
                            worker_connections=threads if gevent else worker_connections, backlog=BACKLOG,
                            timeout_s=30, max_seconds=duration_s + 120, request_log=True)
    route = NginxRoute(proxy_connect_timeout_s=CONNECT_TIMEOUT_S, proxy_read_timeout_s=read_timeout_s)
    with start_gunicorn(config) as server:
        pids = server.worker_pids()
        if cpus is not None:
            master = server.master_pid()
            pin([*([master] if master else []), *pids], cpus)
        with NginxRunner(server.address, route, max_seconds=duration_s + 120) as nginx:
            spec = LoadSpec(target=str(nginx.address), arrivals="poisson", rate=rate, max_requests=200_000,
                            duration_s=warmup_s + duration_s, path="/", service=f"mean={SERVICE_S}",
                            connect_timeout_s=30, read_timeout_s=30, seed=seed, tag_requests=True)
            result = run_load(spec)
            answered = {r.index for r in window_records(result, warmup_s, duration_s)
                        if r.outcome.startswith("http_")}
            access = _wait_access_log(nginx, answered)
    records = server.request_records()
    m = measure(result, warmup_s=warmup_s, duration_s=duration_s, workers=workers * threads,
                targets=request_paths(spec, len(result.records)), access=access,
                busy_spans=[(r["start"], r["done"]) for r in records], via_nginx=True)
    per_pid = collections.Counter(r["pid"] for r in records)
    order = {pid: k for k, pid in enumerate(sorted(set(pids) | set(per_pid)))}
    sent = {str(r.index): r.sent for r in result.records}
    t0 = result.extra["t0_monotonic"]
    trace = {"seed": seed, "w": workers, "t": threads, "rho": cell["rho"], "cpus": sorted(cpus) if cpus else None,
             "window": [t0 + warmup_s, t0 + warmup_s + duration_s],
             "conns": sorted([sent[str(r["i"])], order[r["pid"]], r["start"], r["done"]]
                             for r in records if str(r.get("i")) in sent)}
    logged = {str(r.get("i")) for r in records}
    # window requests the app never finished (still queued when the server stopped): the trace's worker states are
    # complete only before the first of them
    trace["unlogged"] = sorted(r.sent for r in window_records(result, warmup_s, duration_s)
                               if str(r.index) not in logged and r.sent == r.sent)
    return {**cell, "seed": seed, "rate": rate, "read_timeout_s": read_timeout_s, "wc": config.worker_connections,
            "duration_s": duration_s, "n": m["n"], "p_ok": m["p_ok"], "p_502": m["p_502"],
            "p_504": m["p_504"], "p_504c": m["p_504_connect"], "p_other": m["p_other"],
            "rho_measured": m["rho"], "lag99_ms": m["send_lag_p99_s"] * 1000,
            "by_worker": [per_pid[pid] for pid in sorted(per_pid)], "cpus": trace["cpus"]}, trace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--cells", default=",".join(DEFAULT_CELLS))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=100)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--max-lag", type=float, default=10.0, help="send lag p99 (ms) above which a run is redone")
    parser.add_argument("--retries", type=int, default=3)
    parser.add_argument("--read-timeout", type=float, default=READ_TIMEOUT_S, help="nginx proxy_read_timeout (s)")
    parser.add_argument("--worker-connections", type=int, default=1000, help="gthread worker_connections")
    parser.add_argument("--cpus", default=None, help="pin gunicorn to these CPUs (e.g. 0 or 0,1)")
    parser.add_argument("--traces", type=Path, default=None, help="append every run's per-connection trace here")
    args = parser.parse_args(argv)
    cpus = {int(x) for x in args.cpus.split(",")} if args.cpus else None
    cells = [parse_cell(text) for text in args.cells.split(",")]
    seed = args.first_seed
    with args.out.open("a", encoding="utf-8") as out:
        for round_ in range(args.rounds):
            for cell in cells:
                for _ in range(args.retries + 1):
                    seed += 1
                    began = time.monotonic()
                    row, trace = run_once(cell, seed, args.duration, args.warmup, read_timeout_s=args.read_timeout,
                                          worker_connections=args.worker_connections, cpus=cpus)
                    row["round"], row["wall_s"] = round_, round(time.monotonic() - began, 1)
                    row["discarded"] = row["lag99_ms"] > args.max_lag
                    out.write(json.dumps(row) + "\n")
                    out.flush()
                    if args.traces is not None:
                        with args.traces.open("a", encoding="utf-8") as traces:
                            traces.write(json.dumps({**trace, "discarded": row["discarded"]}) + "\n")
                    if not row["discarded"]:
                        break
                    print(f"discarded (lag p99 {row['lag99_ms']:.1f} ms): {cell}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
