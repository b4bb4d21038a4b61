"""Who wins a gthread pool's accept race: a conditional-logit fit over per-connection traces.

Reads the traces ``bench/gthread_split.py --traces`` wrote. At each connection's arrival every worker's state is
rebuilt from the trace (connections accepted and not finished: threads busy b, connections queued q), and the
winner is modelled as a choice among the workers with weight

    w_i = exp(beta[state_i] + alpha[run, i])

``beta`` one log-weight per state (relative to an idle worker), ``alpha`` a per-run effect of every worker (the
per-run bias; worker 0's is 0). Fitted by maximum likelihood with block Newton steps (the few ``beta`` jointly, each
run's ``alpha`` on its own). Prints, per group of runs (workers x threads, CPUs), the state weights e^beta with
standard errors and the spread of the per-run effects (their standard deviation, less the part the estimation
noise explains).

    python bench/gthread_split_trace.py free_tr.jsonl pin1_tr.jsonl [--by w,t,cpus]
        [--states queued|depth|busy|recent|previous]

``--states``: ``queued`` (idle / some threads busy / all busy / queued 1 / queued 2+), ``depth`` (queued 1, 2-4,
5-19, 20+), ``busy`` (the same with every
busy-thread count apart) or ``recent`` (``queued`` crossed with whether a request of that worker finished in the
last millisecond: the main thread was awake for it) or ``previous`` (``queued`` crossed with whether the worker
accepted the connection before this one).
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import statistics
from pathlib import Path

RECENT_S = 0.001


def state_of(held: int, threads: int, scheme: str, recent: bool, previous: bool = False) -> str:
    """The category of a worker holding ``held`` connections with ``threads`` threads."""
    busy, queued = min(held, threads), max(0, held - threads)
    if scheme == "depth":
        return (("idle" if busy == 0 else "part" if busy < threads else "full") if queued == 0 else
                "q1" if queued == 1 else "q2-4" if queued < 5 else "q5-19" if queued < 20 else "q20+")
    if scheme == "busy":
        name = f"b{busy}" if queued == 0 else ("q1" if queued == 1 else "q2+")
    else:
        name = ("idle" if busy == 0 else "part" if busy < threads else "full") if queued == 0 else (
            "q1" if queued == 1 else "q2+")
    if scheme == "recent":
        name += "/recent" if recent else ""
    if scheme == "previous":
        name += "/previous" if previous else ""
    return name


def choices(trace: dict, scheme: str) -> list[tuple[int, list[str]]]:
    """[(the winner, every worker's state at the arrival)] for the connections that arrived in the window."""
    workers, threads = trace["w"], trace["t"]
    lo, hi = trace["window"]
    hi = min([hi, *trace.get("unlogged", ())])  # states are complete only before the first unlogged connection
    conns = [c for c in trace["conns"] if c[0] == c[0]]  # arrival, worker, start, done
    conns.sort()
    events = []  # (time, +1 accept / -1 finish, worker)
    for arrival, worker, _start, done in conns:
        events.append((arrival, 1, worker))
        events.append((done, -1, worker))
    events.sort(key=lambda e: (e[0], e[1]))
    held = [0] * workers
    last_done = [-math.inf] * workers
    previous = -1  # the worker that accepted the connection before
    out = []
    for time, kind, worker in events:
        if kind == -1:
            held[worker] -= 1
            last_done[worker] = time
            continue
        if lo <= time < hi:
            states = [state_of(held[i], threads, scheme, time - last_done[i] < RECENT_S, i == previous)
                      for i in range(workers)]
            out.append((worker, states))
        held[worker] += 1
        previous = worker
    return out


def fit(runs: list[list[tuple[int, list[str]]]], workers: int, iterations: int = 30):
    """Maximum likelihood (beta by state, alpha per run and worker); returns (beta, its standard errors, alphas,
    their standard errors)."""
    names = sorted({s for run in runs for _, states in run for s in states} - {"idle", "b0"})
    index = {name: k for k, name in enumerate(names)}
    beta = [0.0] * len(names)
    alphas = [[0.0] * workers for _ in runs]
    alpha_se = [[0.0] * workers for _ in runs]
    encoded = [[(winner, [index.get(s, -1) for s in states]) for winner, states in run] for run in runs]
    beta_se = [math.nan] * len(names)
    for _ in range(iterations):
        # beta given alpha: Newton on the few state weights
        grad = [0.0] * len(names)
        hess = [[0.0] * len(names) for _ in names]
        for run, alpha in zip(encoded, alphas):
            for winner, cats in run:
                p = _choice_probabilities(alpha, beta, cats)
                mean = [0.0] * len(names)
                for i, c in enumerate(cats):
                    if c >= 0:
                        mean[c] += p[i]
                if cats[winner] >= 0:
                    grad[cats[winner]] += 1.0
                for a in range(len(names)):
                    grad[a] -= mean[a]
                    if mean[a]:
                        hess[a][a] += mean[a]
                        for b in range(len(names)):
                            hess[a][b] -= mean[a] * mean[b]
        step = _solve(hess, grad)
        beta = [b + s for b, s in zip(beta, step)]
        inverse = _inverse(hess)
        beta_se = [math.sqrt(inverse[k][k]) if inverse[k][k] > 0 else math.nan for k in range(len(names))]
        # alpha given beta: each run on its own (worker 0 fixed at 0)
        for r, run in enumerate(encoded):
            g = [0.0] * workers
            h = [[0.0] * workers for _ in range(workers)]
            alpha = alphas[r]
            for winner, cats in run:
                p = _choice_probabilities(alpha, beta, cats)
                g[winner] += 1.0
                for i in range(workers):
                    g[i] -= p[i]
                    h[i][i] += p[i]
                    for j in range(workers):
                        h[i][j] -= p[i] * p[j]
            sub_h = [row[1:] for row in h[1:]]
            step = _solve(sub_h, g[1:])
            alphas[r] = [0.0] + [a + s for a, s in zip(alpha[1:], step)]
            inv = _inverse(sub_h)
            alpha_se[r] = [0.0] + [math.sqrt(inv[k][k]) if inv[k][k] > 0 else math.nan for k in range(workers - 1)]
        if max((abs(s) for s in step), default=0.0) < 1e-6 and all(abs(x) < 1e-6 for x in grad):
            break
    return dict(zip(names, beta)), dict(zip(names, beta_se)), alphas, alpha_se


def _choice_probabilities(alpha: list[float], beta: list[float], cats: list[int]) -> list[float]:
    """Every worker's chance to win: the softmax of its run effect plus its state's weight (-1: the idle state)."""
    logits = [alpha[i] + (beta[c] if c >= 0 else 0.0) for i, c in enumerate(cats)]
    top = max(logits)
    weights = [math.exp(x - top) for x in logits]
    total = sum(weights)
    return [w / total for w in weights]


def _solve(matrix: list[list[float]], vector: list[float]) -> list[float]:
    inverse = _inverse(matrix)
    return [sum(inverse[i][j] * vector[j] for j in range(len(vector))) for i in range(len(vector))]


def _inverse(matrix: list[list[float]]) -> list[list[float]]:
    """Gauss-Jordan inverse of a small positive definite matrix (a tiny ridge keeps empty states harmless)."""
    n = len(matrix)
    a = [[matrix[i][j] + (1e-9 if i == j else 0.0) for j in range(n)] + [1.0 if i == j else 0.0 for j in range(n)]
         for i in range(n)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(a[r][col]))
        a[col], a[pivot] = a[pivot], a[col]
        div = a[col][col]
        a[col] = [x / div for x in a[col]]
        for r in range(n):
            if r != col and a[r][col]:
                factor = a[r][col]
                a[r] = [x - factor * y for x, y in zip(a[r], a[col])]
    return [row[n:] for row in a]


def spread(alphas: list[list[float]], alpha_se: list[list[float]]) -> tuple[float, float]:
    """(raw standard deviation of the per-run worker effects around each run's mean, the same less the noise)."""
    deviations, noise = [], []
    for alpha, se in zip(alphas, alpha_se):
        mean = statistics.fmean(alpha)
        deviations.extend((a - mean) ** 2 for a in alpha)
        noise.extend(s * s for s in se[1:])
    workers = len(alphas[0])
    raw = statistics.fmean(deviations) * workers / (workers - 1)
    return math.sqrt(raw), math.sqrt(max(0.0, raw - statistics.fmean(noise) / 2 if noise else raw))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("traces", nargs="+", type=Path)
    parser.add_argument("--by", default="w,t,cpus", help="group runs by these fields (w, t, rho, cpus)")
    parser.add_argument("--states", default="queued", choices=("queued", "busy", "recent", "previous", "depth"))
    parser.add_argument("--max-missing", type=float, default=0.02,
                        help="traces without an unlogged list: the largest share of unlogged window connections")
    args = parser.parse_args(argv)
    keys = args.by.split(",")
    groups: dict[tuple, list[dict]] = collections.defaultdict(list)
    for path in args.traces:
        for line in path.read_text(encoding="utf-8").splitlines():
            trace = json.loads(line)
            if trace.get("discarded") or trace["w"] < 2:
                continue
            if "unlogged" not in trace and trace.get("missing", 0.0) > args.max_missing:
                continue  # an older trace without the list: keep it only if nearly every connection was logged
            groups[tuple(str(trace.get(k)) for k in keys)].append(trace)
    for key in sorted(groups):
        traces = groups[key]
        runs = [choices(trace, args.states) for trace in traces]
        beta, se, alphas, alpha_se = fit(runs, traces[0]["w"])
        n = sum(len(run) for run in runs)
        raw, net = spread(alphas, alpha_se)
        firsts = statistics.fmean(statistics.fmean(a) - a[0] for a in alphas)  # worker 0 against the run's mean
        print(f"{dict(zip(keys, key))}: {len(runs)} runs, {n} connections; per-run worker effect sd {raw:.3f} "
              f"(less noise {net:.3f}); first-forked worker {-firsts:+.3f}")
        for name in sorted(beta):
            print(f"    {name:14s} weight {math.exp(beta[name]):6.2f}  (log {beta[name]:+.3f} +- {se[name]:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
