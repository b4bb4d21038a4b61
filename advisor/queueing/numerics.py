"""Root finding on monotone functions (latency quantiles, the TCP-retry fixed point)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["solve_increasing"]


def solve_increasing(
    f: Callable[[float], float],
    target: float,
    lo: float,
    hi: float,
    *,
    rel_tol: float = 1e-5,
    abs_tol: float = 1e-9,
    max_iter: int = 200,
) -> float:
    """Find t in [lo, hi] with f(t) = target, f continuous with f(lo) < target < f(hi) (Brent's method).

    Returns lo if f(lo) >= target and hi if f(hi) <= target.
    """
    a, b = lo, hi
    fa, fb = f(a) - target, f(b) - target
    if fa >= 0:
        return lo
    if fb <= 0:
        return hi
    c, fc = a, fa
    d = e = b - a
    for _ in range(max_iter):
        if (fb > 0) == (fc > 0):  # keep the root between b and c
            c, fc = a, fa
            d = e = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol = 2e-16 * abs(b) + 0.5 * max(abs_tol, rel_tol * abs(b))
        half = 0.5 * (c - b)
        if abs(half) <= tol or fb == 0:
            return b
        if abs(e) >= tol and abs(fa) > abs(fb):
            s = fb / fa
            if a == c:  # secant
                p, q = 2 * half * s, 1 - s
            else:  # inverse quadratic interpolation
                q, r = fa / fc, fb / fc
                p = s * (2 * half * q * (q - r) - (b - a) * (r - 1))
                q = (q - 1) * (r - 1) * (s - 1)
            if p > 0:
                q = -q
            p = abs(p)
            if 2 * p < min(3 * half * q - abs(tol * q), abs(e * q)):
                e, d = d, p / q
            else:
                d = e = half
        else:
            d = e = half
        a, fa = b, fb
        b += d if abs(d) > tol else (tol if half > 0 else -tol)
        fb = f(b) - target
    return b
