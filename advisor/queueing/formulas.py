"""Closed-form building blocks: Erlang B/C, M/M/c, M/M/c/K state probabilities and blocking, Poisson sums.

Everything is written for numerical stability (docs/model.md#outcomes): Erlang B by its recursion, state
probabilities in log space, blocking through B(c, a) with separate branches for rho <= 1 and rho > 1, and
Poisson-weighted sums over a window around the mode only.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .poisson import log_erlang_b, log_poisson_pmf

__all__ = [
    "ERLANG_RECURSION_MAX",
    "erlang_b",
    "erlang_c",
    "log_poisson_pmf",
    "mmc_mean_wait",
    "mmc_sojourn_sf",
    "mmc_wait_sf",
    "mmck_blocking",
    "mmck_log_weights",
    "mmck_state_probs",
    "poisson_mix",
]


ERLANG_RECURSION_MAX = 16384  # above this many servers B(c, a) comes from Poisson sums in bounded time


def erlang_b(c: int, a: float) -> float:
    """Erlang B blocking probability B(c, a) by the stable recursion B(n) = a B(n-1) / (n + a B(n-1)); for more
    than ERLANG_RECURSION_MAX servers as Pois(c; a) / P(N_a <= c), in time independent of c and a."""
    if c < 0 or a < 0:
        raise ValueError("erlang_b needs c >= 0 and a >= 0")
    if c > ERLANG_RECURSION_MAX:
        return math.exp(log_erlang_b(c, a))
    b = 1.0
    for n in range(1, c + 1):
        b = a * b / (n + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Erlang C, the probability of waiting in M/M/c (infinite queue); 1.0 when a >= c."""
    if a >= c:
        return 1.0
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc_mean_wait(c: int, lam: float, mu: float) -> float:
    """E[Wq] of M/M/c (infinite queue), C/(c mu - lambda)."""
    if lam >= c * mu:
        return math.inf
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_wait_sf(c: int, lam: float, mu: float, t: float) -> float:
    """P(Wq > t) for M/M/c: C exp(-(c mu - lambda) t)."""
    if lam >= c * mu:
        return 1.0
    return erlang_c(c, lam / mu) * math.exp(-(c * mu - lam) * t)


def _phi(x: float) -> float:
    """(1 - e^-x)/x with phi(0) = 1, stable near 0."""
    return 1.0 if x == 0 else -math.expm1(-x) / x


def mmc_sojourn_sf(c: int, lam: float, mu: float, t: float) -> float:
    """P(W > t) for M/M/c FCFS: e^{-mu t}[1 + C mu t phi(mu t (c - 1 - a))]."""
    a = lam / mu
    if a >= c:
        return 1.0
    big_c = erlang_c(c, a)
    return math.exp(-mu * t) * (1.0 + big_c * mu * t * _phi(mu * t * (c - 1 - a)))


def mmck_log_weights(c: int, a: float, capacity: int) -> list[float]:
    """Unnormalised log state weights of M/M/c/K: log(a^n/n!) up to c, then + log(rho) per extra state."""
    if a <= 0:
        return [0.0] + [-math.inf] * capacity
    log_a, log_rho = math.log(a), math.log(a / c)
    weights = [0.0]
    current = 0.0
    for n in range(1, capacity + 1):
        current += log_a - math.log(n) if n <= c else log_rho
        weights.append(current)
    return weights


def mmck_state_probs(c: int, a: float, capacity: int) -> list[float]:
    """p_0..p_K of M/M/c/K with offered load a = lambda/mu, normalised by log-sum-exp."""
    if capacity < c:
        raise ValueError("capacity K must be >= c")
    logs = mmck_log_weights(c, a, capacity)
    top = max(logs)
    scaled = [math.exp(x - top) for x in logs]
    total = math.fsum(scaled)
    return [x / total for x in scaled]


def _geometric_sum(r: float, start: int, stop: int) -> float:
    """Sum of r^j for j = start..stop (inclusive), 0 < r."""
    count = stop - start + 1
    if count <= 0:
        return 0.0
    if r == 1.0:
        return float(count)
    # r^start * (1 - r^count)/(1 - r), with expm1 for r near 1.
    return math.exp(start * math.log(r)) * math.expm1(count * math.log(r)) / (r - 1.0)


def mmck_blocking(c: int, a: float, capacity: int) -> float:
    """p_K of M/M/c/K (the blocking probability, by PASTA) via Erlang B, stable for any rho."""
    if capacity < c:
        raise ValueError("capacity K must be >= c")
    if a <= 0:
        return 0.0
    b = erlang_b(c, a)
    if b == 0.0:  # B(c, a) underflows when c >> a (e.g. 2000 gevent greenlets): nothing is blocked
        return 0.0
    rho = a / c
    room = capacity - c
    if room == 0:
        return b
    if rho <= 1.0:
        # rho^Q / (1/B + sum_{j=1}^{Q} rho^j)
        return math.exp(room * math.log(rho)) / (1.0 / b + _geometric_sum(rho, 1, room))
    # 1 / (rho^-Q / B + sum_{j=0}^{Q-1} rho^-j): no overflow for large Q.
    inv = 1.0 / rho
    return 1.0 / (math.exp(room * math.log(inv)) / b + _geometric_sum(inv, 0, room - 1))


# -- Poisson-weighted sums -------------------------------------------------------------------------------------------

_TAIL_SIGMAS = 9.0  # window of mode +- 9 sd (+ a margin): the neglected Poisson mass is far below 1e-15


def poisson_mix(
    x: float,
    values: Sequence[float],
    *,
    tail_limit: float = 0.0,
    tail_ratio: float = 0.0,
    lo_clip: int = 0,
    hi_clip: int | None = None,
) -> float:
    """Sum over m >= 0 of Pois(m; x) * g(m) for a bounded non-negative g.

    g(m) = values[m] for m < len(values); beyond the array it approaches ``tail_limit`` geometrically:
    g(m) = tail_limit + (values[-1] - tail_limit) * tail_ratio^(m - len(values) + 1).
    Only the window around the Poisson mode where the mass matters is summed; callers whose g is negligible below
    ``lo_clip`` or above ``hi_clip`` can cut the window further.
    """
    n_values = len(values)
    if x <= 0.0:
        return values[0]
    spread = _TAIL_SIGMAS * math.sqrt(x) + 12.0
    lo = max(lo_clip, int(x - spread))
    hi = int(x + spread) + 1
    if hi_clip is not None:
        hi = min(hi, hi_clip)
    if hi < lo:
        return 0.0
    excess = values[-1] - tail_limit
    pmf = math.exp(log_poisson_pmf(lo, x))
    terms = []
    m = lo
    while m <= hi:
        if m < n_values:
            g = values[m]
        else:
            g = tail_limit + excess * tail_ratio ** (m - n_values + 1)
            if g == 0.0:
                break
        terms.append(pmf * g)
        m += 1
        pmf *= x / m
    return math.fsum(terms)


def poisson_window(x: float) -> tuple[int, int]:
    """The index range poisson_mix sums over for mean x (before clipping)."""
    if x <= 0.0:
        return 0, 0
    spread = _TAIL_SIGMAS * math.sqrt(x) + 12.0
    return max(0, int(x - spread)), int(x + spread) + 1
