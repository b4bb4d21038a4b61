"""Service-time fits with censoring, the wait-free sample selection and the busiest window."""

from __future__ import annotations

import math
import random

import pytest

from advisor.accesslog.fit import ServiceSamples
from advisor.accesslog.occupancy import ServiceStarts
from advisor.accesslog.windows import WindowTracker


def samples(draw, n: int = 20_000, cut: float | None = None, seed: int = 3) -> ServiceSamples:
    rng = random.Random(seed)
    result = ServiceSamples()
    for _ in range(n):
        x = draw(rng)
        if cut is not None and x > cut:
            result.add(cut, censored=True)
        else:
            result.add(x)
    return result


def test_exponential_with_timeouts_is_recovered_and_chosen() -> None:
    data = samples(lambda rng: rng.expovariate(1 / 0.05), cut=0.12)  # 9 % cut by the timeout
    assert data.n_censored > 1000
    best = data.fits()[0]
    assert best.kind == "exponential" and best.quality == "good"
    assert best.mean_s == pytest.approx(0.05, rel=0.03)
    uncensored_mean = data.sum / data.n
    assert uncensored_mean < 0.045  # what ignoring the censoring would have said


def test_lognormal_with_timeouts_is_recovered_and_chosen() -> None:
    data = samples(lambda rng: rng.lognormvariate(math.log(0.08), 0.7), cut=0.3)
    best = data.fits()[0]
    assert best.kind == "lognormal" and best.quality == "good"
    assert best.median_s == pytest.approx(0.08, rel=0.03)
    assert best.sigma == pytest.approx(0.7, rel=0.05)
    assert best.p99_s == pytest.approx(0.08 * math.exp(0.7 * 2.3263), rel=0.08)


def test_kaplan_meier_quantiles_and_mean() -> None:
    data = samples(lambda rng: rng.uniform(0.01, 0.03), n=5000)
    assert data.empirical_quantile(0.5) == pytest.approx(0.02, rel=0.02)
    mean, complete = data.empirical_mean()
    assert complete and mean == pytest.approx(0.02, rel=0.01)
    censored = samples(lambda rng: rng.expovariate(1 / 0.05), n=5000, cut=0.1)
    mean, complete = censored.empirical_mean()
    assert not complete and mean < 0.05  # a lower bound: the tail beyond the timeout is unseen
    assert censored.empirical_quantile(0.99) is None


def test_milliseconds_rounded_to_zero_still_fit() -> None:
    data = ServiceSamples()
    for value in [0.0, 0.001, 0.002, 0.0, 0.003] * 10:
        data.add(value)
    assert data.fits() and data.fits()[0].mean_s > 0


def test_service_starts_take_the_accept_queue_wait_out() -> None:
    kept: list[tuple[float, bool]] = []
    starts = ServiceStarts(servers=2, horizon_s=5.0, sink=lambda value, censored: kept.append((value, censored)))
    # (connected, response end) at an app server with 2 workers: C waits until A leaves at 1.0; D finds B and C
    # in flight and starts when the first of them leaves (B at 1.1); E finds a free worker.
    requests = [(0.0, 1.0), (0.1, 1.1), (0.2, 1.7), (1.05, 1.35), (1.4, 1.7)]
    for connected, end in requests:
        starts.add(connected, end, ServiceStarts.ANSWERED, now=end)
    starts.finish()
    assert [(round(value, 6), censored) for value, censored in kept] == [
        (1.0, False), (1.0, False), (0.7, False), (0.25, False), (0.3, False)]
    assert (starts.seen, starts.selected, starts.waited) == (5, 5, 2)


def test_a_request_nginx_gave_up_on_keeps_its_worker_busy() -> None:
    kept: list[tuple[float, bool]] = []
    starts = ServiceStarts(servers=1, horizon_s=5.0, sink=lambda value, censored: kept.append((value, censored)))
    starts.add(0.0, 0.1, ServiceStarts.ANSWERED, now=0.1)  # a typical service time: 0.1 s
    starts.add(1.0, 1.5, ServiceStarts.GAVE_UP, now=1.5)  # 504 at 1.5 s: "longer than 0.5 s", and it runs on
    starts.add(1.55, 1.75, ServiceStarts.ANSWERED, now=1.75)  # waits for it: when it started is unknown
    starts.add(1.8, 1.9, ServiceStarts.ANSWERED, now=1.9)
    starts.finish()
    assert [(round(value, 6), censored) for value, censored in kept] == [(0.1, False), (0.5, True), (0.1, False)]


def test_busiest_window_and_its_outcomes() -> None:
    tracker = WindowTracker(length_s=2, horizon_s=1.0)
    arrivals = {0: 1, 1: 1, 2: 3, 3: 4, 4: 1, 5: 0, 6: 2}
    for second, count in arrivals.items():
        for k in range(count):
            tracker.add(second, "/api", 2 if k == 0 else 0, now=second + 0.5)
    tracker.finish()
    assert tracker.best_arrivals == 7 and tracker.best_end == 3
    assert tracker.best_counts == {"/api": [5, 0, 2, 0, 0]}
    assert tracker.arrivals == 12 and tracker.totals["/api"][2] == 6
