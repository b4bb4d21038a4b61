"""Service-time distributions, the spec parser and QueueParams."""

from __future__ import annotations

import math
import random
from statistics import NormalDist

import pytest

from advisor.queueing.params import (
    CLASSIC_SYN_RETRIES_S,
    QueueParams,
    ServiceTime,
    parse_duration_s,
    parse_service_time,
)

Z99 = NormalDist().inv_cdf(0.99)


@pytest.mark.parametrize(
    ("text", "kind", "mean"),
    [
        ("80ms", "exponential", 0.08),
        ("0.08", "exponential", 0.08),
        ("1.5s", "exponential", 1.5),
        (" 250 ms ", "exponential", 0.25),
        ("mean=80ms", "exponential", 0.08),
        ("constant=50ms", "constant", 0.05),
        ("2m", "exponential", 120.0),
        ("500us", "exponential", 0.0005),
    ],
)
def test_parse_simple_forms(text: str, kind: str, mean: float) -> None:
    service = parse_service_time(text)
    assert service.kind == kind
    assert service.mean_s == pytest.approx(mean)


def test_parse_lognormal_from_quantiles() -> None:
    service = parse_service_time("p50=80ms,p99=900ms")
    assert service.kind == "lognormal"
    sigma = math.log(0.9 / 0.08) / Z99
    assert service.sigma == pytest.approx(sigma)
    assert service.mean_s == pytest.approx(0.08 * math.exp(sigma**2 / 2))
    assert service.scv == pytest.approx(math.expm1(sigma**2))
    # The fitted distribution reproduces the quantiles it was fitted to.
    assert service.quantile(0.5) == pytest.approx(0.08)
    assert service.quantile(0.99) == pytest.approx(0.9)
    assert service.cdf(0.9) == pytest.approx(0.99)
    assert service.sf(0.08) == pytest.approx(0.5)
    # Order of the keys does not matter.
    assert parse_service_time("p99=900ms, p50=80ms") == service


def test_knowledge_lognormal_example() -> None:
    # queueing.md §2.4: p50 40 ms, p99 400 ms gives mean 65 ms and SCV 1.66.
    service = ServiceTime.lognormal_from_quantiles(0.04, 0.4)
    assert service.mean_s == pytest.approx(0.0653, abs=5e-4)
    assert service.scv == pytest.approx(1.66, abs=0.01)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("fast", "cannot read 'fast'"),
        ("-5ms", "cannot read"),
        ("0ms", "greater than zero"),
        ("p50=80ms", "needs both p50 and p99"),
        ("p50=900ms,p99=80ms", "must be larger than p50"),
        ("p50=80ms,p50=90ms", "given twice"),
        ("median=80ms", "unknown service-time keys"),
        ("p50=80ms,p99=", "p99"),
        ("p50", "cannot read"),
        ("=80ms", "expected key=duration"),
    ],
)
def test_parse_errors_are_clear(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=None) as info:
        parse_service_time(text)
    assert fragment in str(info.value)


def test_parse_duration_units() -> None:
    assert parse_duration_s("1.5s") == 1.5
    assert parse_duration_s("75ms") == pytest.approx(0.075)
    assert parse_duration_s("1e-3") == pytest.approx(0.001)
    with pytest.raises(ValueError):
        parse_duration_s("5h")


@pytest.mark.parametrize(
    "service",
    [ServiceTime.exponential(0.05), ServiceTime.lognormal_from_quantiles(0.04, 0.4), ServiceTime.constant(0.05)],
)
def test_sampling_matches_the_distribution(service: ServiceTime) -> None:
    rng = random.Random(7)
    draws = [service.sample(rng) for _ in range(20000)]
    mean = sum(draws) / len(draws)
    sd = math.sqrt(service.scv) * service.mean_s
    # 5 standard errors of the sample mean.
    assert abs(mean - service.mean_s) <= 5 * sd / math.sqrt(len(draws)) + 1e-12
    median = sorted(draws)[len(draws) // 2]
    assert service.cdf(median) == pytest.approx(0.5, abs=0.02) or service.kind == "constant"


def test_mean_below_matches_integral_of_sf() -> None:
    for service in (ServiceTime.exponential(0.05), ServiceTime.lognormal_from_quantiles(0.04, 0.4)):
        limit = 0.1
        steps = 20000
        h = limit / steps
        integral = sum(service.sf((i + 0.5) * h) for i in range(steps)) * h
        assert service.mean_below(limit) == pytest.approx(integral, rel=1e-6)
    assert ServiceTime.constant(0.05).mean_below(0.03) == 0.03


def test_queue_params_from_backlog_caps_at_somaxconn() -> None:
    params = QueueParams.from_backlog(4, 2048, 4096, arrival_rate=10, service=ServiceTime.exponential(0.05))
    assert params.queue_room == 2049
    assert params.capacity == 2053
    capped = QueueParams.from_backlog(4, 5000, 4096, arrival_rate=10, service=ServiceTime.exponential(0.05))
    assert capped.queue_room == 4097
    assert capped.with_backlog(8).queue_room == 9
    assert capped.with_backlog(100, somaxconn=8).queue_room == 9


def test_mean_holding_time_with_worker_timeout() -> None:
    # queueing.md §2.6: E[H] = S(1 - e^{-Tw/S}) + e^{-Tw/S}(E[U] + R)
    service = ServiceTime.exponential(0.05)
    params = QueueParams(4, 9, 64.0, service, worker_timeout_s=0.1, restart_s=0.2, kill_lag_max_s=0.0)
    expected = 0.05 * (1 - math.exp(-2)) + math.exp(-2) * 0.2
    assert params.mean_holding_s == pytest.approx(expected)
    assert params.offered_load == pytest.approx(1.125, abs=5e-4)  # "rho_eff = 1.125" in config E
    with_lag = QueueParams(4, 9, 64.0, service, worker_timeout_s=0.1, restart_s=0.2, kill_lag_max_s=1.0)
    assert with_lag.mean_holding_s == pytest.approx(expected + math.exp(-2) * 0.5)
    assert QueueParams(4, 9, 64.0, service, worker_timeout_s=0).mean_holding_s == 0.05


def test_syn_retries_before_connect_timeout() -> None:
    service = ServiceTime.exponential(0.05)
    assert QueueParams(1, 1, 1.0, service, socket="tcp", connect_timeout_s=0.5).syn_retries_before_timeout == ()
    assert QueueParams(1, 1, 1.0, service, socket="tcp", connect_timeout_s=2.5).syn_retries_before_timeout == (1, 2)
    classic = QueueParams(1, 1, 1.0, service, connect_timeout_s=60, syn_retry_schedule_s=CLASSIC_SYN_RETRIES_S)
    assert classic.syn_retries_before_timeout == (1, 3, 7, 15, 31)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"servers": 0}, "servers"),
        ({"queue_room": -1}, "queue_room"),
        ({"arrival_rate": -1.0}, "arrival_rate"),
        ({"socket": "udp"}, "socket"),
        ({"worker_timeout_status": 504}, "worker_timeout_status"),
        ({"read_timeout_s": 0.0}, "read_timeout_s"),
        ({"syn_retry_schedule_s": (2.0, 1.0)}, "syn_retry_schedule_s"),
    ],
)
def test_queue_params_validation(kwargs: dict, fragment: str) -> None:
    base = {"servers": 1, "queue_room": 1, "arrival_rate": 1.0, "service": ServiceTime.exponential(0.05)}
    with pytest.raises(ValueError) as info:
        QueueParams(**{**base, **kwargs})
    assert fragment in str(info.value)
