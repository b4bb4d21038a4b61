"""Does the model explain what the log saw? Predicted against observed 502 and 504 shares of one route.

A share agrees when the two are within 3 points, or within a tenth of the larger one for large shares, widened by
three standard deviations of a share counted over `n` requests. 500s are shown but do not decide: the model's 500s
are gunicorn killing a worker at its timeout, while a log's 500s are mostly the app's own errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Agreement", "MIN_REQUESTS", "compare_outcomes"]

MIN_REQUESTS = 100
ABSOLUTE = 0.03
RELATIVE = 0.1
DECIDING = ("p_502", "p_504")


@dataclass(frozen=True)
class Agreement:
    verdict: str  # "explained", "not explained" or "too few requests"
    rows: tuple[tuple[str, float, float, bool], ...]  # (key, predicted, observed, agrees)

    def to_dict(self) -> dict[str, object]:
        return {"verdict": self.verdict,
                "shares": [{"key": key, "predicted": predicted, "observed": observed, "agrees": agrees}
                           for key, predicted, observed, agrees in self.rows]}


def tolerance(predicted: float, observed: float, n: int) -> float:
    p = min(max(predicted, 1e-6), 1 - 1e-6)
    return max(ABSOLUTE, RELATIVE * max(predicted, observed)) + 3 * math.sqrt(p * (1 - p) / max(n, 1))


def compare_outcomes(predicted: dict[str, float], observed: dict[str, float | int | None]) -> Agreement:
    """`predicted`: p_ok, p_502, p_504 (read + connect), p_500; `observed`: RouteResult.shares()."""
    n = int(observed.get("n") or 0)
    rows = []
    for key in ("p_ok", "p_502", "p_504", "p_500"):
        seen = observed.get(key)
        if seen is None:
            continue
        want = predicted[key]
        rows.append((key, want, float(seen), abs(want - float(seen)) <= tolerance(want, float(seen), n)))
    if n < MIN_REQUESTS:
        return Agreement("too few requests", tuple(rows))
    decided = all(agrees for key, _, _, agrees in rows if key in DECIDING)
    return Agreement("explained" if decided else "not explained", tuple(rows))
