"""bench/gthread_split_trace.py: rebuilding worker states from a trace and recovering who wins the accept race."""

from __future__ import annotations

import importlib.util
import math
import random
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "bench" / "gthread_split_trace.py"
_SPEC = importlib.util.spec_from_file_location("gthread_split_trace", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
trace_fit = importlib.util.module_from_spec(_SPEC)
sys.modules["gthread_split_trace"] = trace_fit
_SPEC.loader.exec_module(trace_fit)


def synthetic_trace(seed: int, queued_weight: float, first_weight: float, arrivals: int = 3000) -> dict:
    """Two one-thread workers (FIFO each); the winner is drawn with weight ``first_weight`` for worker 0 and
    ``queued_weight`` for a worker with a connection waiting inside it."""
    rng = random.Random(seed)
    t, conns = 0.0, []
    free_at = [0.0, 0.0]  # when each worker's thread finishes its last accepted connection
    done_times: list[list[float]] = [[], []]
    for _ in range(arrivals):
        t += rng.expovariate(25.0)
        weights = []
        for worker in (0, 1):
            held = sum(1 for done in done_times[worker] if done > t)
            weight = (first_weight if worker == 0 else 1.0) * (queued_weight if held > 1 else 1.0)
            weights.append(weight)
        worker = 0 if rng.random() < weights[0] / sum(weights) else 1
        start = max(t, free_at[worker])
        done = start + rng.expovariate(20.0)
        free_at[worker] = done
        done_times[worker].append(done)
        conns.append([t, worker, start, done])
    return {"w": 2, "t": 1, "rho": 0.6, "window": [1.0, t], "conns": conns, "unlogged": []}


def test_states_are_rebuilt_from_accepts_and_finishes() -> None:
    trace = {"w": 2, "t": 1, "rho": 0.5, "window": [0.0, 10.0], "unlogged": [],
             "conns": [[1.0, 0, 1.0, 3.0], [1.5, 0, 3.0, 4.0], [2.0, 1, 2.0, 2.5], [3.5, 1, 3.5, 3.6]]}
    choices = trace_fit.choices(trace, "queued")
    assert choices == [(0, ["idle", "idle"]), (0, ["full", "idle"]), (1, ["q1", "idle"]), (1, ["full", "idle"])]


def test_unlogged_connections_cut_the_window() -> None:
    trace = {"w": 2, "t": 1, "rho": 0.5, "window": [0.0, 10.0], "unlogged": [1.8],
             "conns": [[1.0, 0, 1.0, 3.0], [1.5, 0, 3.0, 4.0], [2.0, 1, 2.0, 2.5]]}
    assert len(trace_fit.choices(trace, "queued")) == 2  # the arrival at 2.0 comes after a connection never logged


def test_fit_recovers_the_queued_preference_and_the_worker_bias() -> None:
    runs = [trace_fit.choices(synthetic_trace(seed, 3.0, 1.5), "queued") for seed in (1, 2)]
    beta, se, alphas, _ = trace_fit.fit(runs, 2)
    assert abs(beta["q1"] - math.log(3.0)) < 3 * se["q1"] + 0.05
    assert abs(beta["full"]) < 3 * se["full"] + 0.05  # all threads busy but nothing queued: no preference
    for alpha in alphas:
        assert abs((alpha[0] - alpha[1]) - math.log(1.5)) < 0.25


def test_fit_finds_no_preference_when_there_is_none() -> None:
    runs = [trace_fit.choices(synthetic_trace(3, 1.0, 1.0), "queued")]
    beta, se, _, _ = trace_fit.fit(runs, 2)
    assert all(abs(value) < 3 * se[name] + 0.05 for name, value in beta.items())
