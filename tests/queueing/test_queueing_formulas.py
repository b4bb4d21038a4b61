"""Erlang B/C, M/M/c, M/M/c/K building blocks and their numerical stability."""

from __future__ import annotations

import math

import pytest

from advisor.queueing.formulas import (
    erlang_b,
    erlang_c,
    log_poisson_pmf,
    mmc_mean_wait,
    mmc_sojourn_sf,
    mmc_wait_sf,
    mmck_blocking,
    mmck_state_probs,
    poisson_mix,
)
from advisor.queueing.waiting import AdmittedWait


def erlang_b_direct(c: int, a: float) -> float:
    """The textbook sum, fine for small c."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (2, 1.0), (4, 3.2), (10, 5.0), (10, 12.0), (30, 25.0)])
def test_erlang_b_recursion_matches_the_sum(c: int, a: float) -> None:
    assert erlang_b(c, a) == pytest.approx(erlang_b_direct(c, a), rel=1e-12)


def test_erlang_b_known_values() -> None:
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(10, 5.0) == pytest.approx(0.018384, abs=1e-6)
    assert erlang_b(0, 3.0) == 1.0


def test_erlang_b_large_c_is_finite() -> None:
    value = erlang_b(5000, 4800.0)
    assert 0 < value < 1 and math.isfinite(value)


@pytest.mark.parametrize(("c", "a"), [(1, 0.5), (4, 3.2), (10, 9.5)])
def test_erlang_c_matches_its_sum_form(c: int, a: float) -> None:
    head = sum(a**k / math.factorial(k) for k in range(c))
    tail = a**c / math.factorial(c) * c / (c - a)
    assert erlang_c(c, a) == pytest.approx(tail / (head + tail), rel=1e-12)
    assert erlang_c(c, c + 1.0) == 1.0


def test_mm1_special_cases() -> None:
    lam, mu = 8.0, 10.0
    assert erlang_c(1, lam / mu) == pytest.approx(0.8)
    assert mmc_mean_wait(1, lam, mu) == pytest.approx(0.8 / (mu - lam))
    # M/M/1 sojourn is Exp(mu - lambda).
    for t in (0.05, 0.3, 1.0):
        assert mmc_sojourn_sf(1, lam, mu, t) == pytest.approx(math.exp(-(mu - lam) * t), rel=1e-12)
        assert mmc_wait_sf(1, lam, mu, t) == pytest.approx(0.8 * math.exp(-(mu - lam) * t), rel=1e-12)


def test_mmc_sojourn_special_case_c_minus_1_equals_a() -> None:
    # c - 1 - a = 0 uses e^{-mu t}(1 + C mu t); the stable form must be continuous there.
    c, mu = 3, 1.0
    at = mmc_sojourn_sf(c, 2.0, mu, 1.5)
    near = mmc_sojourn_sf(c, 2.0 + 1e-9, mu, 1.5)
    assert at == pytest.approx(math.exp(-1.5) * (1 + erlang_c(3, 2.0) * 1.5))
    assert near == pytest.approx(at, rel=1e-7)


@pytest.mark.parametrize("rho", [0.05, 0.5, 0.99, 1.0, 1.01, 1.5, 3.0])
@pytest.mark.parametrize(("c", "room"), [(1, 0), (1, 5), (4, 9), (16, 128), (4, 4097)])
def test_blocking_closed_form_equals_state_probabilities(rho: float, c: int, room: int) -> None:
    a = rho * c
    probs = mmck_state_probs(c, a, c + room)
    assert math.fsum(probs) == pytest.approx(1.0, abs=1e-12)
    assert mmck_blocking(c, a, c + room) == pytest.approx(probs[-1], rel=1e-9, abs=1e-300)


def test_blocking_fluid_limit_in_overload() -> None:
    # queueing.md §2.3: p_K -> 1 - 1/rho for a large room.
    for rho in (1.2, 1.5, 3.0):
        assert mmck_blocking(4, 4 * rho, 4 + 4097) == pytest.approx(1 - 1 / rho, rel=1e-9)


def test_blocking_without_room_is_erlang_b() -> None:
    assert mmck_blocking(4, 3.0, 4) == pytest.approx(erlang_b(4, 3.0))


def test_mmck_is_finite_at_extremes() -> None:
    for c, a, capacity in ((4, 12.0, 4101), (512, 768.0, 4608), (1, 1e-9, 4098), (2000, 1900.0, 6096)):
        probs = mmck_state_probs(c, a, capacity)
        assert all(math.isfinite(p) and p >= 0 for p in probs)
        assert math.fsum(probs) == pytest.approx(1.0, abs=1e-12)
        blocking = mmck_blocking(c, a, capacity)
        assert math.isfinite(blocking) and 0 <= blocking <= 1


@pytest.mark.parametrize(("j", "x"), [(0, 2.5), (1, 0.5), (7, 3.2), (40, 40.0), (300, 250.0), (5, 400.0)])
def test_log_poisson_pmf(j: int, x: float) -> None:
    direct = -x + j * math.log(x) - math.lgamma(j + 1)
    assert log_poisson_pmf(j, x) == pytest.approx(direct, rel=1e-12, abs=1e-12)


def test_poisson_mix_of_ones_is_one_even_for_huge_means() -> None:
    for x in (0.0, 1e-3, 0.7, 30.0, 4800.0, 76800.0, 2.5e6):
        assert poisson_mix(x, [1.0], tail_limit=1.0, tail_ratio=1.0) == pytest.approx(1.0, abs=1e-12)


def test_poisson_mix_mean() -> None:
    # sum_m Pois(m; x) * m = x, with g given as an explicit array.
    x = 37.5
    values = [float(m) for m in range(400)]
    assert poisson_mix(x, values) == pytest.approx(x, rel=1e-12)


def test_mmck_sojourn_tail_tends_to_mmc_closed_form() -> None:
    # queueing.md §2.1: the closed-form M/M/c response-time tail equals M/M/c/K with a big room.
    c, lam, mu = 4, 64.0, 20.0
    wait = AdmittedWait.from_mmck(c, lam, 1 / mu, 400)
    for t in (0.01, 0.05, 0.15, 0.5, 1.0):
        assert wait.sojourn_sf_exponential(t) == pytest.approx(mmc_sojourn_sf(c, lam, mu, t), rel=1e-9)
        assert 1 - wait.sojourn_cdf_exponential(t) == pytest.approx(mmc_sojourn_sf(c, lam, mu, t), rel=1e-9)
        assert wait.wait_sf(t) == pytest.approx(mmc_wait_sf(c, lam, mu, t), rel=1e-9)
    assert wait.mean_wait_s == pytest.approx(mmc_mean_wait(c, lam, mu), rel=1e-9)
    assert wait.p_wait == pytest.approx(erlang_c(c, lam / mu), rel=1e-9)


def test_mmck_sojourn_tail_against_erlang_mixture() -> None:
    # Direct check of the uniformisation sum for c = 1 (W is an Erlang mixture: k+1 phases at rate mu).
    lam, mu, room = 15.0, 20.0, 6
    wait = AdmittedWait.from_mmck(1, lam, 1 / mu, room)
    probs = mmck_state_probs(1, lam / mu, 1 + room)[:-1]
    admitted = [p / math.fsum(probs) for p in probs]

    def erlang_sf(n: int, t: float) -> float:
        return math.fsum(math.exp(-mu * t) * (mu * t) ** i / math.factorial(i) for i in range(n))

    for t in (0.02, 0.1, 0.4):
        expected = math.fsum(p * erlang_sf(n + 1, t) for n, p in enumerate(admitted))
        assert wait.sojourn_sf_exponential(t) == pytest.approx(expected, rel=1e-10)


def test_sojourn_cdf_and_sf_are_complements_in_overload() -> None:
    wait = AdmittedWait.from_mmck(4, 240.0, 0.05, 4097)
    for t in (1.0, 30.0, 45.0, 51.2, 53.0, 60.0):
        total = wait.sojourn_cdf_exponential(t) + wait.sojourn_sf_exponential(t)
        assert total == pytest.approx(1.0, abs=1e-12)
    # Small CDF values keep their relative precision: compare with the unclipped sum of non-negative terms.
    _, h, _, _ = wait._sojourn_arrays()
    for t in (45.0, 47.0):
        direct = poisson_mix(wait.rate * t, h, tail_limit=1.0, tail_ratio=0.75)
        assert 1e-16 < direct < 1e-3
        assert wait.sojourn_cdf_exponential(t) == pytest.approx(direct, rel=1e-9)


def test_public_mmck_tail_helpers() -> None:
    from advisor.queueing.analytic import mmck_sojourn_quantile, mmck_sojourn_sf, mmck_wait_sf

    # M/M/1 with a huge room: W ~ Exp(mu - lambda), Wq tail = rho e^{-(mu - lambda) t}.
    lam, mean = 8.0, 0.1
    assert mmck_sojourn_sf(1, lam, mean, 2000, 0.5) == pytest.approx(math.exp(-1.0), rel=1e-9)
    assert mmck_wait_sf(1, lam, mean, 2000, 0.5) == pytest.approx(0.8 * math.exp(-1.0), rel=1e-9)
    assert mmck_sojourn_quantile(1, lam, mean, 2000, 0.99) == pytest.approx(math.log(100) / 2, rel=1e-7)
    with pytest.raises(ValueError):
        mmck_sojourn_quantile(1, lam, mean, 10, 1.0)
