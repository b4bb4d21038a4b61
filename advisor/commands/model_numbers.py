"""Number formats of `advisor model`'s text output: shares, durations, rates."""

from __future__ import annotations

__all__ = ["dur", "pct", "rate"]


def pct(p: float | None) -> str:
    if p is None:
        return "-"
    if p <= 0:
        return "0 %"
    if p < 1e-4:
        return "< 0.01 %"
    if p > 1 - 1e-4 and p < 1:
        return "> 99.99 %"
    if p < 0.01:
        return f"{100 * p:.2f} %"
    return f"{100 * p:.1f} %"


def dur(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds == 0:
        return "0 s"
    if seconds < 1:
        return f"{seconds * 1000:.3g} ms"
    if seconds < 120:
        return f"{seconds:.3g} s"
    return f"{seconds / 60:.3g} min"


def rate(rps: float) -> str:
    return f"{rps:.4g} requests/s"
