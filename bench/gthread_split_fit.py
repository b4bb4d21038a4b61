"""Fit the per-run split bias of gthread pools to measured runs, and compare the model with the measured 504 shares.

Reads the runs that ``bench/gthread_split.py`` wrote (undiscarded gthread runs over unix sockets) and

1. fits ``split_spread`` from the per-run, per-worker accept counts only: the simulator (with the queued-worker
   preference) runs every measured cell with each candidate spread, and the spread whose mean coefficient of
   variation of the per-worker counts matches the measured one is chosen (``--fit-workers`` picks the cells it
   is fitted on; the 504 shares are never fitted); without ``--fit-workers``, the model's own split;
2. prints, per cell, the measured mean 502 + 504 share with its standard error and the number of runs, the
   formula, the simulator's mean over runs of the same length, and the model without the bias, and counts the
   cells within 5 points.

    python bench/gthread_split_fit.py runs.jsonl [more.jsonl]                 # the model as it is
    python bench/gthread_split_fit.py runs.jsonl --fit-workers 4 --workers 4  # fit on 4-worker shares
    python bench/gthread_split_fit.py runs.jsonl --spread 2:0.25,4:1.3 --weight 1.5   # candidates, by workers
    python bench/gthread_split_fit.py runs.jsonl --ladder 0.65 --spread 0 --weight 1.3 --sim-runs 0  # formula only
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import statistics
from dataclasses import replace
from pathlib import Path

from advisor.queueing import simulate as simulate_module
from advisor.queueing.analytic import predict
from advisor.queueing.params import LINUX_QUEUED_WORKER_WEIGHT, LINUX_SPLIT_RATIO, QueueParams, ServiceTime
from advisor.queueing.simulate import simulate
from advisor.queueing.simulate_workers import PartitionedEngine

SERVICE_S, READ_TIMEOUT_S, BACKLOG, WORKER_CONNECTIONS = 0.05, 0.15, 8, 1000
RUN_S, WARMUP_S = 10.0, 2.0


class _CountingEngine(PartitionedEngine):
    """The partitioned engine, counting the connections each worker accepts (the bench's only addition)."""

    last: list[int] = []

    def hand_over(self, worker: int, rid: int, t: float) -> None:
        if not hasattr(self, "accepted"):
            self.accepted = [0] * self.n_workers
            _CountingEngine.last = self.accepted
        self.accepted[worker] += 1
        super().hand_over(worker, rid, t)


def ladder(workers: int, ratio: float, last: float = 1.0) -> tuple[float, ...]:
    """Fork-order shares: worker k's weight ratio^k, the last-forked one's times ``last``."""
    weights = [ratio ** k for k in range(workers)]
    if workers > 2:
        weights[-1] *= last
    total = math.fsum(weights)
    return tuple(w / total for w in weights)


SPLIT: dict[int, tuple[float, ...]] = {}  # --ladder: a fixed fork-order split instead of the model's


def cell_params(workers: int, threads: int, rho: float, spread: float | dict[int, float] | None,
                weight: float | None = None) -> QueueParams:
    """The measured configuration; ``spread`` None: the model's own split (its rank ladder), else an even split
    with this per-run bias (a dict: by the number of workers); ``weight`` None: the model's queued-worker
    preference."""
    room = WORKER_CONNECTIONS - threads
    if isinstance(spread, dict):
        spread = spread.get(workers, spread.get(0))
    ratio = LINUX_SPLIT_RATIO if spread is None else 1.0
    spread = 0.0 if spread is None else spread
    weight = LINUX_QUEUED_WORKER_WEIGHT if weight is None else weight
    several = workers > 1
    return QueueParams(servers=workers * threads, queue_room=BACKLOG + 1 + workers * room,
                       arrival_rate=rho * workers * threads / SERVICE_S, service=ServiceTime.exponential(SERVICE_S),
                       read_timeout_s=READ_TIMEOUT_S, connect_timeout_s=0.5, workers=workers, worker_room=room,
                       queued_worker_weight=weight if several else 1.0,
                       split_spread=spread if several else 0.0, split_ratio=ratio,
                       split=SPLIT[workers] if several and workers in SPLIT else None)


def dispersion(counts: list[int]) -> float:
    """Squared coefficient of variation of the per-worker counts of one run."""
    mean = statistics.fmean(counts)
    return statistics.pvariance(counts) / mean / mean if mean else 0.0


def load(paths: list[Path], cpus: str | None = None) -> dict[tuple[int, int, float], list[dict]]:
    cells: dict[tuple[int, int, float], list[dict]] = collections.defaultdict(list)
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["discarded"] or row["cls"] != "gthread" or row["sock"] != "unix":
                continue
            if cpus is not None and str(row.get("cpus")) != cpus:
                continue
            if (row.get("read_timeout_s", READ_TIMEOUT_S), row.get("wc", WORKER_CONNECTIONS),
                    row.get("duration_s", RUN_S)) != (READ_TIMEOUT_S, WORKER_CONNECTIONS, RUN_S):
                continue  # another kind of run (bench/gthread_split.py options)
            cells[(row["w"], row["t"], round(row["rho"], 2))].append(row)
    return cells


def simulated_dispersion(cells: dict, spread: float, runs: int) -> float:
    values = []
    original = simulate_module.PartitionedEngine
    simulate_module.PartitionedEngine = _CountingEngine  # type: ignore[misc]
    try:
        for workers, threads, rho in cells:
            for seed in range(runs):
                simulate(cell_params(workers, threads, rho, spread), horizon_s=WARMUP_S + RUN_S, warmup_s=WARMUP_S,
                         seed=10_000 + seed)
                values.append(dispersion(_CountingEngine.last))
    finally:
        simulate_module.PartitionedEngine = original  # type: ignore[misc]
    return statistics.fmean(values)


def fit_spread(cells: dict, spreads: list[float], runs: int) -> float:
    measured = statistics.fmean(dispersion(row["by_worker"]) for rows in cells.values() for row in rows)
    simulated = [(spread, simulated_dispersion(cells, spread, runs)) for spread in spreads]
    print(f"fit on {sorted(cells)}: measured mean CV^2 of the per-worker counts {measured:.4f}")
    for spread, value in simulated:
        print(f"  spread {spread:g}: simulated {value:.4f}")
    for (s0, v0), (s1, v1) in zip(simulated, simulated[1:]):  # the simulated statistic rises with the spread
        if v0 <= measured <= v1:
            return s0 + (s1 - s0) * (measured - v0) / (v1 - v0) if v1 > v0 else s0
    return simulated[0][0] if measured < simulated[0][1] else simulated[-1][0]


def compare(cells: dict, spread: float | dict[int, float] | None, runs: int, weight: float | None = None) -> None:
    shown = "the model's" if spread is None else str(spread)
    print(f"\nspread {shown}; 502 + 504 in %: measured mean +- standard error (runs) | formula | simulated "
          f"{RUN_S:g}-s runs | without the bias (formula)")
    within = {"formula": 0, "simulated": 0, "without": 0}
    errors: dict[str, list[float]] = {"formula": [], "simulated": [], "without": []}
    for workers, threads, rho in sorted(cells):
        values = [row["p_502"] + row["p_504"] for row in cells[(workers, threads, rho)]]
        mean = statistics.fmean(values)
        error = statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else math.nan
        params = cell_params(workers, threads, rho, spread, weight)
        formula = predict(params, latencies=False)
        formula_bad = formula.p_502 + formula.p_504
        sims = [simulate(params, horizon_s=WARMUP_S + RUN_S, warmup_s=WARMUP_S, seed=20_000 + k) for k in range(runs)]
        simulated = statistics.fmean(s.p_502 + s.p_504 for s in sims) if sims else math.nan  # --sim-runs 0: none
        plain = predict(replace(params, split_spread=0.0, split_ratio=1.0, split=None), latencies=False)
        without = plain.p_502 + plain.p_504
        marks = []
        for name, value in (("formula", formula_bad), ("simulated", simulated), ("without", without)):
            ok = abs(value - mean) <= 0.05
            within[name] += ok
            errors[name].append(abs(value - mean))
            marks.append(f"{100 * value:5.1f}{' ' if ok else '*'}")
        print(f"{workers} x {threads} rho {rho:.1f}: {100 * mean:5.1f} +- {100 * error:4.1f} ({len(values):2d}) | "
              + " | ".join(marks))
    print(f"within 5 points (* = not): {within} of {len(cells)} cells; mean absolute error (points): "
          + ", ".join(f"{name} {100 * statistics.fmean(values):.1f}" for name, values in errors.items()
                      if values and not math.isnan(values[0])))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--fit-workers", default=None,
                        help="fit the spread on the cells with these worker counts (e.g. 2 or 2,4) and compare with it")
    parser.add_argument("--spreads", default="0,0.1,0.2,0.3,0.4")
    parser.add_argument("--sim-runs", type=int, default=40)
    parser.add_argument("--spread", default=None,
                        help="compare with this spread (default: the model's), or by workers: 2:0.2,4:1.0")
    parser.add_argument("--weight", type=float, default=None,
                        help="compare with this queued-worker preference (default: the model's)")
    parser.add_argument("--load-filter", default=None, help="only rows whose 'cpus' field is this (e.g. None or [0])")
    parser.add_argument("--workers", default=None, help="only the cells with these worker counts (e.g. 4)")
    parser.add_argument("--ladder", default=None,
                        help="RATIO[,LAST]: a fixed fork-order split (worker k: RATIO^k, the last times LAST), "
                             "no per-run spread")
    args = parser.parse_args(argv)
    if args.ladder:
        ratio, _, last = args.ladder.partition(",")
        SPLIT.update({w: ladder(w, float(ratio), float(last or 1.0)) for w in range(2, 9)})
    cells = load(args.runs, args.load_filter)
    if args.workers:
        cells = {key: rows for key, rows in cells.items() if key[0] in {int(x) for x in args.workers.split(",")}}
    spread: float | dict[int, float] | None = None
    if args.spread and ":" in args.spread:
        spread = {int(k): float(v) for k, v in (item.split(":") for item in args.spread.split(","))}
    elif args.spread:
        spread = float(args.spread)
    if args.fit_workers:
        fit_on = {int(x) for x in args.fit_workers.split(",")}
        fit_cells = {key: rows for key, rows in cells.items() if key[0] in fit_on}
        spread = fit_spread(fit_cells, [float(x) for x in args.spreads.split(",")], max(10, args.sim_runs // 2))
        print(f"fitted spread {spread:.3f}")
    compare(cells, spread, args.sim_runs, args.weight)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
