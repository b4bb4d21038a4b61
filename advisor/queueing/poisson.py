"""Poisson probabilities over an index range in bounded time, for any mean: the primitive of the large-pool path.

``log_poisson_interval(mu, a, b)`` is log P(a <= N <= b) for N ~ Poisson(mu), with relative accuracy also far in
the tails (about 1e-12, 1e-9 near the switch to quadrature). Only the terms within e^-42 of the largest one in the
range are summed: term by term when there are few, else by Gauss-Legendre quadrature of the pmf's continuous
extension with the Euler-Maclaurin end correction (the pmf varies on the scale sqrt(mu) there, so a few hundred
evaluations replace millions of terms). The cost is independent of mu, a and b.

Geometric sums and the exponential-tilting identity sum_m Pois(m; x) z^m [a <= m <= b] =
e^{x (z - 1)} P(a <= N_{xz} <= b) turn every mixture the queueing formulas need into a few such intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = [
    "log_erlang_b",
    "log_geometric_sum",
    "log_poisson_density",
    "log_poisson_interval",
    "log_poisson_pmf",
    "log_tilted_sum",
    "poisson_interval",
]

DIRECT_TERMS = 1500  # ranges with more relevant terms than this are integrated instead of summed
_DROP = 42.0  # terms below e^-42 (6e-19) of the largest are left out
_DROP_WEIGHTED = 80.0  # with a weight that grows polynomially away from the peak
_PANEL_SD = 2.0  # quadrature panels span at most 2 standard deviations ...
_PANEL_DROP = 8.0  # ... and a fall of the pmf by about e^-8
_MAX_PANELS = 64  # per side; about 16 are needed to fall by e^-42
_GL_NODES = (
    (-0.9602898564975363, 0.1012285362903763),
    (-0.7966664774136267, 0.2223810344533745),
    (-0.5255324099163290, 0.3137066458778873),
    (-0.1834346424956498, 0.3626837833783620),
    (0.1834346424956498, 0.3626837833783620),
    (0.5255324099163290, 0.3137066458778873),
    (0.7966664774136267, 0.2223810344533745),
    (0.9602898564975363, 0.1012285362903763),
)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _stirling_error(n: float) -> float:
    """log(n!) - [(n + 1/2) log n - n + log sqrt(2 pi)], accurate also for large n (no cancellation)."""
    if n <= 15:
        return math.lgamma(n + 1.0) - (n + 0.5) * math.log(n) + n - _HALF_LOG_2PI
    inv = 1.0 / n
    inv2 = inv * inv
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - inv2 / 1188) * inv2) * inv2) * inv2) * inv


def _bd0(j: float, x: float) -> float:
    """j log(j/x) + x - j, computed without cancellation when j is close to x (Loader 2000)."""
    if abs(j - x) < 0.1 * (j + x):
        v = (j - x) / (j + x)
        s = (j - x) * v
        ej = 2 * j * v
        v2 = v * v
        for k in range(3, 1000, 2):
            ej *= v2
            s_next = s + ej / k
            if s_next == s:
                return s
            s = s_next
        return s
    ratio = j / x
    if ratio == 0.0 or ratio == math.inf:  # beyond the float range: the logs separately
        return j * (math.log(j) - math.log(x)) + x - j
    return j * math.log(ratio) + x - j


def log_poisson_pmf(j: float, x: float) -> float:
    """log Pois(j; x) with relative accuracy ~1e-14 even for x in the millions (Loader's saddle-point form)."""
    if j == 0:
        return -x
    return -_stirling_error(j) - _bd0(float(j), x) - _HALF_LOG_2PI - 0.5 * math.log(j)


def log_poisson_density(u: float, mu: float) -> float:
    """log Pois(u; mu) for real u >= 0 (the pmf's smooth extension, exact at the integers)."""
    if mu <= 0.0:
        return 0.0 if u == 0 else -math.inf
    if u == 0:
        return -mu
    if u < 16.0:
        return -mu + u * math.log(mu) - math.lgamma(u + 1.0)
    return log_poisson_pmf(u, mu)  # Loader's form is valid for real u


def log_geometric_sum(log_ratio: float, count: float) -> float:
    """log of sum_{i=0}^{count-1} r^i for r = e^log_ratio, without overflow (count >= 1; 0 terms: -inf)."""
    if count <= 0:
        return -math.inf
    if log_ratio == 0.0:
        return math.log(count)
    if log_ratio == -math.inf:
        return 0.0
    if log_ratio > 0.0:  # r^(count-1) * (1 - r^-count)/(1 - r^-1)
        return (count - 1) * log_ratio + math.log(-math.expm1(-count * log_ratio)) - math.log(-math.expm1(-log_ratio))
    return math.log(-math.expm1(count * log_ratio)) - math.log(-math.expm1(log_ratio))


def poisson_interval(mu: float, a: float, b: float) -> float:
    """P(a <= N <= b), N ~ Poisson(mu)."""
    return math.exp(log_poisson_interval(mu, a, b))


def log_poisson_interval(mu: float, a: float, b: float, weight: Callable[[float], float] | None = None) -> float:
    """log P(a <= N <= b) for N ~ Poisson(mu); a and b are integers or +-inf (-inf when the range is empty).

    With ``weight``: log E[weight(N); a <= N <= b] for a positive weight that varies slowly (polynomially) over the
    range, evaluated at the integers (and between them where the sum is integrated).
    """
    peak, log_peak, log_sum = _interval_parts(mu, a, b, weight)
    return log_peak + log_sum if peak is not None else -math.inf


def log_tilted_sum(x: float, log_z: float, a: float, b: float, weight: Callable[[float], float] | None = None,
                   origin: float = 0) -> float:
    """log of sum_{m=a}^{b} Pois(m; x) z^(m - origin) weight(m), z = e^log_z (b may be +inf only for z <= 1).

    The terms have the shape of Pois(m; x z) (tilting); the largest one is computed from x and z directly, so a
    huge x (z - 1) never cancels against a huge log-probability (and ``origin`` keeps z^m moderate near it).
    """
    if log_z > 0.0 and b == math.inf:
        raise ValueError("a sum to infinity needs z <= 1")
    if x <= 0.0:
        mu = 0.0
    else:
        exponent = math.log(x) + log_z
        mu = math.exp(exponent) if exponent < 690.0 else 1e300
    peak, _, log_sum = _interval_parts(mu, a, b, weight)
    if peak is None:
        return -math.inf
    return log_poisson_density(peak, x) + ((peak - origin) * log_z if peak != origin else 0.0) + log_sum


def log_erlang_b(c: int, a: float) -> float:
    """log B(c, a) = log Pois(c; a) - log P(N_a <= c), in bounded time for any c and a (-inf when a = 0)."""
    if a <= 0.0:
        return 0.0 if c == 0 else -math.inf
    peak, log_peak, log_sum = _interval_parts(a, 0, c, None)
    if peak == c:  # the usual case c <= a: no difference of two huge logs
        return -log_sum
    return log_poisson_density(c, a) - log_peak - log_sum


def _interval_parts(mu: float, a: float, b: float,
                    weight: Callable[[float], float] | None) -> tuple[int | None, float, float]:
    """(peak, log pmf at the peak, log of the range's sum relative to the peak); peak None for an empty range."""
    lo = 0 if a <= 0 else int(a)
    if b < lo:
        return None, -math.inf, -math.inf
    if mu <= 0.0:
        return (0, 0.0, 0.0) if lo == 0 else (None, -math.inf, -math.inf)
    hi = math.inf if b == math.inf else int(b)
    peak = int(min(max(math.floor(mu), lo), hi))
    log_peak = log_poisson_density(peak, mu)
    if log_peak == -math.inf:
        return None, -math.inf, -math.inf
    drop = _DROP if weight is None else _DROP_WEIGHTED
    top = _extent(mu, peak, hi, log_peak - drop, up=True)
    bottom = _extent(mu, peak, lo, log_peak - drop, up=False)
    if top - bottom <= DIRECT_TERMS:
        total = _direct(mu, peak, bottom, top, weight)
    else:
        total = _quadrature(mu, bottom, top, lo, hi, log_peak, weight)
    if not total > 0.0:
        return None, -math.inf, -math.inf
    return peak, log_peak, math.log(total)


def _extent(mu: float, peak: int, limit: float, floor: float, *, up: bool) -> int:
    """An index from ``peak`` towards ``limit`` beyond which every log pmf is below ``floor`` (the pmf is
    log-concave): first the guess of the Gaussian shape (log pmf ~ -(u - mu)^2 / 2 mu) with some margin, checked
    with one evaluation; else galloping outwards and bisecting."""
    drop = log_poisson_density(peak, mu) - floor
    guess = _model_point(mu, peak, 1.2 * drop + 2.0, up=up)
    if (up and guess >= limit) or (not up and guess <= limit):
        if log_poisson_density(limit, mu) < floor or abs(limit - peak) <= DIRECT_TERMS:
            return int(limit) if abs(limit - peak) <= DIRECT_TERMS else _gallop(mu, peak, limit, floor, up=up)
        return int(limit)
    guess = int(math.ceil(guess)) if up else int(math.floor(guess))
    if log_poisson_density(guess, mu) < floor:
        return guess
    return _gallop(mu, peak, limit, floor, up=up)


def _model_point(mu: float, peak: float, drop: float, *, up: bool) -> float:
    """Where the log pmf has fallen by ``drop`` from ``peak``, if it were -(u - mu)^2 / (2 mu)."""
    reach = math.sqrt((peak - mu) ** 2 + 2.0 * drop * mu)
    if up:
        return max(mu + reach, peak + 1.0)
    return min(mu - reach, peak - 1.0)


def _gallop(mu: float, peak: int, limit: float, floor: float, *, up: bool) -> int:
    step = 1
    inner = peak
    while True:  # gallop outwards, then bisect
        probe = peak + step if up else peak - step
        if (up and probe >= limit) or (not up and probe <= limit):
            if log_poisson_density(limit, mu) >= floor:
                return int(limit)
            outer = int(limit)
            break
        if log_poisson_density(probe, mu) < floor:
            outer = probe
            break
        inner = probe
        step *= 2
    while abs(outer - inner) > 1:
        middle = (inner + outer) // 2
        if log_poisson_density(middle, mu) >= floor:
            inner = middle
        else:
            outer = middle
    return inner


def _direct(mu: float, peak: int, bottom: int, top: int, weight: Callable[[float], float] | None) -> float:
    """sum of Pois(k; mu) / Pois(peak; mu) (times the weight) for k in [bottom, top], by the ratio recursion."""
    terms = [1.0]
    term = 1.0
    for k in range(peak + 1, top + 1):
        term *= mu / k
        terms.append(term)
    term = 1.0
    for k in range(peak, bottom, -1):
        term *= k / mu
        terms.append(term)
    if weight is not None:
        order = [*range(peak, top + 1), *range(peak - 1, bottom - 1, -1)]
        terms = [t * weight(k) for t, k in zip(terms, order, strict=True)]
    return math.fsum(terms)


def _quadrature(mu: float, bottom: int, top: int, lo: int, hi: float, log_peak: float,
                weight: Callable[[float], float] | None) -> float:
    """sum_{k=bottom}^{top} Pois(k)/Pois(peak) as the integral of the smooth pmf over [bottom - 1/2, top + 1/2]
    (midpoint rule read backwards) with the Euler-Maclaurin end terms -[f']/24 + 7 [f''']/5760.

    Gauss-Legendre panels span 2 standard deviations near the mode and a fall of the Gaussian shape by e^-8 further
    out (closer together in the tails, where the pmf falls faster): about a dozen panels cover any range.
    """

    shift = log_peak + _HALF_LOG_2PI
    exp, log = math.exp, math.log

    def f(u: float) -> float:  # Pois(u)/Pois(peak): log_poisson_pmf inlined (u >= 16 here), the hot loop
        d = u - mu
        if abs(d) < 0.1 * (u + mu):
            v = d / (u + mu)
            bd0 = d * v
            term = 2 * u * v
            v2 = v * v
            k = 3
            while True:
                term *= v2
                following = bd0 + term / k
                if following == bd0:
                    break
                bd0 = following
                k += 2
        else:
            bd0 = u * log(u / mu) + mu - u
        inv2 = 1.0 / (u * u)
        stirling = (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - inv2 / 1188) * inv2) * inv2) * inv2) / u
        value = exp(-stirling - bd0 - 0.5 * log(u) - shift)
        return value if weight is None else value * weight(u)

    start, end = bottom - 0.5, top + 0.5
    sigma = math.sqrt(mu)
    centre = min(max(mu, start), end)
    edges = [start, centre, end]
    for direction, limit in ((1.0, end), (-1.0, start)):
        z = abs(centre - mu) / sigma
        u = centre
        for _ in range(_MAX_PANELS):  # steps of 2 sd near the mode, of a fall by e^-8 further out
            z += min(_PANEL_SD, _PANEL_DROP / z) if z > 0 else _PANEL_SD
            u = mu + direction * z * sigma
            if (u - limit) * direction >= 0:
                break
            edges.append(u)
    ordered = sorted(set(edges))
    parts = []
    for left, right in zip(ordered, ordered[1:]):
        half = 0.5 * (right - left)
        middle = left + half
        parts.append(half * math.fsum(w * f(middle + half * x) for x, w in _GL_NODES))
    integral = math.fsum(parts)

    def end_terms(u: float) -> float:  # f'(u) / 24 - 7 f'''(u) / 5760, by central differences
        h = 0.5
        f2, f1, g1, g2 = f(u + 2 * h), f(u + h), f(u - h), f(u - 2 * h)
        return (f1 - g1) / (2 * h) / 24.0 - 7.0 * (f2 - 2 * f1 + 2 * g1 - g2) / (2 * h**3) / 5760.0

    correction = 0.0
    if bottom == lo and bottom > 1:
        correction += end_terms(start)
    if top == hi:
        correction -= end_terms(end)
    return max(integral + correction, 0.0)
