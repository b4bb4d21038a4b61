"""Service-time distribution from right-censored samples, in constant memory.

Samples go into a log-spaced histogram (1 % wide bins from 0.1 ms to a day), uncensored and censored apart, with the
exact sums the fits need. From it:

* the empirical distribution: the Kaplan-Meier estimate (a censored sample says "longer than this", so it leaves
  the risk set instead of counting as a short request), its p50/p99 and its mean up to the largest sample;
* the lognormal fit by maximum likelihood with censoring (EM on ln S), and the exponential one (the total time
  observed divided by the uncensored count);
* how well each fits: the largest distance between the empirical and the fitted distribution functions
  (Kolmogorov-Smirnov distance), evaluated where the data says something.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

__all__ = ["Fit", "ServiceSamples"]

_N = NormalDist()
LOW_S = 1e-4
HIGH_S = 86_400.0
RATIO = 1.01
_LOG_RATIO = math.log(RATIO)
_LOG_LOW = math.log(LOW_S)
BINS = int(math.log(HIGH_S / LOW_S) / _LOG_RATIO) + 2
RESOLUTION_FLOOR_S = 0.00025  # "0.000" in a millisecond log: below half a millisecond
GOOD_KS, FAIR_KS = 0.03, 0.08


def _bin(x: float) -> int:
    if x <= LOW_S:
        return 0
    index = int(math.log(x / LOW_S) / _LOG_RATIO) + 1
    return index if index < BINS else BINS - 1


def _upper_edge(index: int) -> float:
    return LOW_S * RATIO ** index


def _center(index: int) -> float:
    return LOW_S * RATIO ** (index - 0.5) if index else LOW_S / 2


@dataclass(frozen=True)
class Fit:
    """One fitted distribution: `kind` "lognormal" (median, sigma) or "exponential" (mean), with its KS distance."""

    kind: str
    mean_s: float
    p50_s: float
    p99_s: float
    median_s: float
    sigma: float
    ks: float

    @property
    def quality(self) -> str:
        return "good" if self.ks <= GOOD_KS else "fair" if self.ks <= FAIR_KS else "poor"


class ServiceSamples:
    """Accumulates samples; `add(x)` for a service time, `add(x, censored=True)` for "longer than x"."""

    def __init__(self) -> None:
        self.uncensored = [0] * BINS
        self.censored = [0] * BINS
        self.n = 0
        self.n_censored = 0
        self.sum = 0.0
        self.sum_censored = 0.0
        self.sum_log = 0.0
        self.sum_log2 = 0.0

    def add(self, x: float, censored: bool = False) -> None:
        x = x if x >= RESOLUTION_FLOOR_S else RESOLUTION_FLOOR_S
        y = math.log(x)
        index = int((y - _LOG_LOW) / _LOG_RATIO) + 1 if x > LOW_S else 0
        if index >= BINS:
            index = BINS - 1
        if censored:
            self.censored[index] += 1
            self.n_censored += 1
            self.sum_censored += x
            return
        self.uncensored[index] += 1
        self.n += 1
        self.sum += x
        self.sum_log += y
        self.sum_log2 += y * y

    def merge(self, other: ServiceSamples) -> None:
        for index in range(BINS):
            self.uncensored[index] += other.uncensored[index]
            self.censored[index] += other.censored[index]
        self.n += other.n
        self.n_censored += other.n_censored
        self.sum += other.sum
        self.sum_censored += other.sum_censored
        self.sum_log += other.sum_log
        self.sum_log2 += other.sum_log2

    # -- the empirical distribution ---------------------------------------------------------------------------------

    def kaplan_meier(self) -> list[tuple[float, float]]:
        """(upper bin edge, F) at every bin with an uncensored sample, F = 1 - survival."""
        at_risk = self.n + self.n_censored
        survival = 1.0
        points: list[tuple[float, float]] = []
        for index in range(BINS):
            deaths, lost = self.uncensored[index], self.censored[index]
            if deaths and at_risk:
                survival *= 1.0 - deaths / at_risk
                points.append((_upper_edge(index), 1.0 - survival))
            at_risk -= deaths + lost
            if at_risk <= 0:
                break
        return points

    def empirical_quantile(self, p: float, points: list[tuple[float, float]] | None = None) -> float | None:
        points = self.kaplan_meier() if points is None else points
        for edge, cdf in points:
            if cdf >= p - 1e-12:
                return edge / math.sqrt(RATIO)
        return None  # censoring hides that quantile

    def empirical_mean(self, points: list[tuple[float, float]] | None = None) -> tuple[float, bool]:
        """(mean, complete): the area under the Kaplan-Meier survival curve; `complete` False when the largest
        samples are censored (the mean is then a lower bound)."""
        if not self.n_censored:
            return (self.sum / self.n if self.n else 0.0), True
        points = self.kaplan_meier() if points is None else points
        mean, previous_edge, survival = 0.0, 0.0, 1.0
        for edge, cdf in points:
            mean += survival * (edge - previous_edge)
            previous_edge, survival = edge, 1.0 - cdf
        complete = survival <= 1e-9
        return mean / math.sqrt(RATIO), complete  # the edges are upper bin edges: recentre

    # -- parametric fits --------------------------------------------------------------------------------------------

    def lognormal(self, iterations: int = 500) -> tuple[float, float] | None:
        """(mu, sigma) of ln S by maximum likelihood with right censoring (EM); None with fewer than 2 samples."""
        if self.n < 2:
            return None
        total = self.n + self.n_censored
        mu = self.sum_log / self.n
        sigma = math.sqrt(max(self.sum_log2 / self.n - mu * mu, 1e-6))
        censored = [(math.log(_center(i)), count) for i, count in enumerate(self.censored) if count]
        for _ in range(iterations):
            s1, s2 = self.sum_log, self.sum_log2
            for c, count in censored:
                alpha = (c - mu) / sigma
                tail = _N.cdf(-alpha)
                hazard = (math.exp(-alpha * alpha / 2) / math.sqrt(2 * math.pi)) / tail if tail > 1e-300 else alpha
                s1 += count * (mu + sigma * hazard)
                s2 += count * (mu * mu + sigma * sigma + sigma * (c + mu) * hazard)
            new_mu = s1 / total
            new_sigma = math.sqrt(max(s2 / total - new_mu * new_mu, 1e-8))
            done = abs(new_mu - mu) < 1e-10 and abs(new_sigma - sigma) < 1e-10
            mu, sigma = new_mu, new_sigma
            if done or not censored:
                break
        return mu, sigma

    def exponential_mean(self) -> float | None:
        return (self.sum + self.sum_censored) / self.n if self.n else None

    def ks_distance(self, cdf, points: list[tuple[float, float]] | None = None) -> float:
        """Largest |F_empirical - F_fit| at the bin edges where the empirical distribution is known."""
        points = self.kaplan_meier() if points is None else points
        distance, previous = 0.0, 0.0
        for edge, empirical in points:
            lower = edge / RATIO
            distance = max(distance, abs(previous - cdf(lower)), abs(empirical - cdf(edge)))
            previous = empirical
        return distance

    def fits(self) -> list[Fit]:
        """The lognormal and the exponential fit, best (smallest KS distance) first; empty without samples."""
        points = self.kaplan_meier()
        fits: list[Fit] = []
        lognormal = self.lognormal()
        if lognormal is not None:
            mu, sigma = lognormal
            median = math.exp(mu)

            def log_cdf(t: float) -> float:
                return _N.cdf((math.log(t) - mu) / sigma) if t > 0 else 0.0

            fits.append(Fit("lognormal", median * math.exp(sigma * sigma / 2), median,
                            median * math.exp(sigma * _N.inv_cdf(0.99)), median, sigma,
                            self.ks_distance(log_cdf, points)))
        mean = self.exponential_mean()
        if mean is not None and mean > 0:
            def exp_cdf(t: float) -> float:
                return -math.expm1(-t / mean) if t > 0 else 0.0

            fits.append(Fit("exponential", mean, mean * math.log(2), mean * math.log(100), mean, 0.0,
                            self.ks_distance(exp_cdf, points)))
        fits.sort(key=lambda fit: (fit.ks, fit.kind != "exponential"))
        return fits
