"""Statistics for comparing simulations with the model: batch means and a Bonferroni-corrected t tolerance."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist, fmean, stdev


def t_quantile(p: float, df: int) -> float:
    """Student-t quantile by the Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5); good to ~1e-3 for df >= 10."""
    z = NormalDist().inv_cdf(p)
    g1 = (z**3 + z) / 4
    g2 = (5 * z**5 + 16 * z**3 + 3 * z) / 96
    g3 = (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384
    g4 = (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


def critical_value(comparisons: int, batches: int, family_alpha: float = 0.01) -> float:
    """Two-sided t critical value so that all ``comparisons`` together fail by chance with probability alpha."""
    return t_quantile(1 - family_alpha / (2 * comparisons), batches - 1)


def tolerance(batch_values: Sequence[float], critical: float, floor_sd: float = 0.0) -> float:
    """critical * standard error of the mean of the batches; ``floor_sd`` is a lower bound for the SE
    (a binomial SE for probabilities, so that all-zero batches still get a tolerance of order 1/n)."""
    se = stdev(batch_values) / math.sqrt(len(batch_values)) if len(batch_values) > 1 else math.inf
    return critical * max(se, floor_sd)


def binomial_floor(p: float, n: int) -> float:
    p = min(max(p, 1.0 / n), 1.0 - 1.0 / n)
    return math.sqrt(p * (1 - p) / n)


def batch_mean(values: Sequence[float]) -> float:
    return fmean(values)
