"""The wait of an admitted request in closed form, for pools and queues too large for per-place arrays.

Same distribution and interface as :class:`~advisor.queueing.waiting.AdmittedWait` (k departures to wait for, at
``rate`` while all slots are busy), but k is described by an atom at 0 and a few *geometric segments*:
P(k = j) proportional to r^(j - start) for start <= j <= stop. That is the exact shape of M/M/c/K (r = rho), of the
Lee-Longton stretched queue and of a per-worker gthread chain, whatever the number of places. Every tail is then a
Poisson-weighted sum of a few geometric expressions in the index, which the tilting identity
sum_m Pois(m; x) z^m = e^{x(z - 1)} turns into Poisson interval probabilities (``poisson.py``): the cost does not
grow with the servers, the queue room or the time. Near r = 1 (where a difference of geometric terms would cancel)
the same sums run with a slowly varying weight instead.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .poisson import log_erlang_b, log_geometric_sum, log_tilted_sum

__all__ = ["Segment", "SegmentWait"]

_CANCEL = 1e-4  # below this |log ratio| x length a difference of geometric terms would lose digits: use weights

# one term of a mixture: (sign, log coefficient, log z, origin, first index, last index, weight or None); its value
# is sign * e^coefficient * sum_{m=first}^{last} Pois(m; x) z^(m - origin) weight(m)
_Term = tuple[float, float, float, float, float, float, "Callable[[float], float] | None"]


@dataclass(frozen=True)
class Segment:
    """P(start <= k <= stop) = weight, with P(k = j) proportional to e^((j - start) log_ratio) inside."""

    weight: float
    log_ratio: float
    start: int
    stop: int

    @property
    def count(self) -> int:
        return self.stop - self.start + 1

    @property
    def log_first(self) -> float:
        """log P(k = start)."""
        return math.log(self.weight) - log_geometric_sum(self.log_ratio, self.count)

    @property
    def log_last(self) -> float:
        """log P(k = stop)."""
        return math.log(self.weight) - log_geometric_sum(-self.log_ratio, self.count)

    @property
    def mean_k(self) -> float:
        """E[k | k in the segment]."""
        n, r = self.count, self.log_ratio
        if n == 1:
            return float(self.start)
        if abs(r) * n < 1e-4:  # nearly flat: (n - 1)/2 plus the first-order tilt
            return self.start + (n - 1) / 2 + r * (n * n - 1) / 12
        grip = abs(r)
        # E[i] for i in 0..n-1 with weights e^(-grip i): 1/(e^grip - 1) - n/(e^(n grip) - 1)
        toward_start = 1.0 / math.expm1(grip) - (n / math.expm1(n * grip) if n * grip < 700 else 0.0)
        return self.start + (toward_start if r < 0 else (n - 1) - toward_start)


def _count(log_ratio: float) -> Callable[[float], float]:
    """v -> sum_{i=0}^{v-1} e^(i log_ratio), for a ratio close to 1 (no cancellation)."""
    if log_ratio == 0.0:
        return lambda v: v
    scale = math.expm1(log_ratio)
    return lambda v: math.expm1(v * log_ratio) / scale


def _typical(x: float, log_z: float, first: int, last: int) -> int:
    """Where the tilted Poisson weights Pois(m; x) z^m of [first, last] are largest."""
    mean = x * math.exp(log_z) if log_z < 690 else math.inf
    return int(min(max(mean, first), last))


class SegmentWait:
    """k = 0 with probability ``p_no_wait``, else in one of ``segments``; departures come at ``rate``."""

    def __init__(self, servers: int, rate: float, p_no_wait: float, segments: Sequence[Segment]) -> None:
        self.servers = servers
        self.rate = rate
        kept = [s for s in segments if s.weight > 0.0]
        total = p_no_wait + math.fsum(s.weight for s in kept)
        self.k0 = p_no_wait / total
        self.segments = tuple(Segment(s.weight / total, s.log_ratio, s.start, s.stop) for s in kept)
        self.log_q = math.log1p(-1.0 / servers) if servers > 1 else -math.inf

    # -- constructors -----------------------------------------------------------------------------------------
    @classmethod
    def mmck(cls, servers: int, arrival_rate: float, mean_service_s: float, room: int) -> SegmentWait:
        """k for an arrival admitted to M/M/c/K (K = c + room): geometric in rho over the room (PASTA)."""
        rate = servers / mean_service_s
        a = arrival_rate * mean_service_s
        if room == 0 or a <= 0:
            return cls(servers, rate, 1.0, ())
        log_rho = math.log(a) - math.log(servers)
        log_b = log_erlang_b(servers, a)
        # states below c against states c..K-1, both relative to state c: (1/B - 1) against sum rho^j
        log_below = math.log(-math.expm1(log_b)) - log_b if log_b < 0 else -math.inf
        log_odds = log_geometric_sum(log_rho, room) - log_below
        p_wait = 1.0 / (1.0 + math.exp(-log_odds)) if log_odds > 0 else math.exp(log_odds) / (1.0 + math.exp(log_odds))
        p_no_wait = math.exp(-log_odds) * p_wait if log_odds > 0 else 1.0 / (1.0 + math.exp(log_odds))
        return cls(servers, rate, p_no_wait, (Segment(p_wait, log_rho, 1, room),))

    @classmethod
    def geometric(cls, servers: int, rate: float, p_no_wait: float, ratio: float, room: int) -> SegmentWait:
        """k = 0 with probability p_no_wait, else k in 1..room with P(k) proportional to ratio^(k-1)."""
        if room == 0:
            return cls(servers, rate, 1.0, ())
        if ratio <= 0.0:
            return cls(servers, rate, p_no_wait, (Segment(1.0 - p_no_wait, 0.0, 1, 1),))
        return cls(servers, rate, p_no_wait, (Segment(1.0 - p_no_wait, math.log(ratio), 1, room),))

    # -- moments ----------------------------------------------------------------------------------------------
    @property
    def room(self) -> int:
        return max((s.stop for s in self.segments), default=0)

    @property
    def p_wait(self) -> float:
        return math.fsum(s.weight for s in self.segments)

    @property
    def p_no_wait(self) -> float:
        return self.k0

    @property
    def mean_wait_s(self) -> float:
        return math.fsum(s.weight * s.mean_k for s in self.segments) / self.rate

    # -- the wait Wq ------------------------------------------------------------------------------------------
    def wait_sf(self, t: float) -> float:
        """P(Wq > t)."""
        if t < 0:
            return 1.0
        if t == 0:
            return self.p_wait
        if t == math.inf:
            return 0.0
        x = self.rate * t
        return self._clip(_mix(x, [term for s in self.segments for term in self._tail_terms(s, x)]), self.p_wait)

    def wait_cdf(self, t: float) -> float:
        """P(Wq <= t)."""
        if t < 0:
            return 0.0
        return self.k0 + self.wait_cdf_positive(t)

    def wait_cdf_positive(self, t: float) -> float:
        """P(0 < Wq <= t)."""
        if t <= 0 or not self.segments:
            return 0.0
        if t == math.inf:
            return self.p_wait
        x = self.rate * t
        return self._clip(_mix(x, [term for s in self.segments for term in self._cdf_terms(s, x)]), self.p_wait)

    # -- the sojourn W = Wq + S for exponential service with mean servers/rate --------------------------------------
    def sojourn_sf_exponential(self, t: float) -> float:
        """P(W > t) for an admitted request with exponential service (exact)."""
        if t <= 0:
            return 1.0
        if t == math.inf:
            return 0.0
        x = self.rate * t
        terms = [*self._atom_terms(1.0)]
        for s in self.segments:
            terms.extend(self._tail_terms(s, x))
            terms.extend(self._still_serving_terms(s, x, 1.0))
        return self._clip(_mix(x, terms), 1.0)

    def sojourn_cdf_exponential(self, t: float) -> float:
        """P(W <= t) for an admitted request with exponential service (exact)."""
        if t <= 0:
            return 0.0
        if t == math.inf:
            return 1.0
        sf = self.sojourn_sf_exponential(t)
        if sf < 0.5:
            return 1.0 - sf
        x = self.rate * t
        terms: list[_Term] = [(1.0, math.log(self.k0), 0.0, 0, 0, math.inf, None)] if self.k0 > 0 else []
        terms.extend(self._atom_terms(-1.0))
        for s in self.segments:
            terms.extend(self._cdf_terms(s, x))
            terms.extend(self._still_serving_terms(s, x, -1.0))
        return self._clip(_mix(x, terms), 1.0)

    # -- the pieces: functions of the number m of departures (uniformised events) by time t ---------------------------
    # Each geometric expression is written relative to the segment end where its mass is (``origin``), so no huge
    # power of the ratio is ever formed and cancelled.
    def _tail_terms(self, seg: Segment, x: float) -> list[_Term]:
        """P(k > m) within the segment: its weight below start, a geometric tail inside it, 0 beyond."""
        s, e, r = seg.start, seg.stop, seg.log_ratio
        terms: list[_Term] = [(1.0, math.log(seg.weight), 0.0, 0, 0, s - 1, None)]
        if e == s:
            return terms
        v = e - _typical(x, r, s, e - 1)
        if r == 0.0 or abs(r) * v < _CANCEL:  # P(k = e) * count_{-r}(e - m)
            count = _count(-r)
            terms.append((1.0, seg.log_last, 0.0, 0, s, e - 1, lambda m: count(e - m)))
        elif r < 0:  # P(k = s) (r^{m+1-s} - r^n) / (1 - r)
            base = seg.log_first - math.log(-math.expm1(r))
            terms.append((1.0, base + r, r, s, s, e - 1, None))
            terms.append((-1.0, base + seg.count * r, 0.0, 0, s, e - 1, None))
        else:  # P(k = e) (1 - r^{m-e}) / (1 - 1/r)
            base = seg.log_last - math.log(-math.expm1(-r))
            terms.append((1.0, base, 0.0, 0, s, e - 1, None))
            terms.append((-1.0, base, r, e, s, e - 1, None))
        return terms

    def _cdf_terms(self, seg: Segment, x: float) -> list[_Term]:
        """P(start <= k <= m): geometric partial sums inside the segment, its weight beyond."""
        s, e, r = seg.start, seg.stop, seg.log_ratio
        terms: list[_Term] = [(1.0, math.log(seg.weight), 0.0, 0, e, math.inf, None)]
        if e == s:
            return terms
        u = _typical(x, 0.0, s, e - 1) - s + 1
        if r == 0.0 or abs(r) * u < _CANCEL:  # P(k = s) * count_r(m - s + 1)
            count = _count(r)
            terms.append((1.0, seg.log_first, 0.0, 0, s, e - 1, lambda m: count(m - s + 1)))
        elif r < 0:  # P(k = s) (1 - r^{m-s+1}) / (1 - r)
            base = seg.log_first - math.log(-math.expm1(r))
            terms.append((1.0, base, 0.0, 0, s, e - 1, None))
            terms.append((-1.0, base + r, r, s, s, e - 1, None))
        else:  # P(k = e) (r^{m-e} - r^{s-1-e}) / (1 - 1/r)
            base = seg.log_last - math.log(-math.expm1(-r))
            terms.append((1.0, base, r, e, s, e - 1, None))
            terms.append((-1.0, base - seg.count * r, 0.0, 0, s, e - 1, None))
        return terms

    def _atom_terms(self, sign: float) -> list[_Term]:
        """A request that did not wait is still in service after m events: P(k = 0) q^m."""
        if self.k0 <= 0:
            return []
        if self.servers == 1:
            return [(sign, math.log(self.k0), 0.0, 0, 0, 0, None)]
        return [(sign, math.log(self.k0), self.log_q, 0, 0, math.inf, None)]

    def _still_serving_terms(self, seg: Segment, x: float, sign: float) -> list[_Term]:
        """A(m) = sum_{j <= m} P(k = j) q^(m - j): reached the front by event m and still in service."""
        s, e, r, lq = seg.start, seg.stop, seg.log_ratio, self.log_q
        if self.servers == 1:  # q = 0: only the request that just started
            if r > 0:
                return [(sign, seg.log_last, r, e, s, e, None)]
            return [(sign, seg.log_first, r, s, s, e, None)]
        d = r - lq
        u = _typical(x, lq, s, e) - s + 1
        terms: list[_Term]
        if d == 0.0 or abs(d) * u < _CANCEL:  # P(k = s) q^{m-s} count_d(m - s + 1)
            count = _count(d)
            terms = [(sign, seg.log_first, lq, s, s, e, lambda m: count(m - s + 1))]
        elif d > 0:  # P(k = ref) r^{m-ref} (1 - (q/r)^{m-s+1}) / (1 - q/r): the latest arrivals at the front dominate
            ref, log_ref = (e, seg.log_last) if r > 0 else (s, seg.log_first)
            base = log_ref - math.log(-math.expm1(-d))
            terms = [(sign, base, r, ref, s, e, None),
                     (-sign, base + (s - 1 - ref) * r + lq, lq, s, s, e, None)]
        else:  # q > r: P(k = s) q^{m-s} (1 - (r/q)^{m-s+1}) / (1 - r/q)
            base = seg.log_first - math.log(-math.expm1(d))
            terms = [(sign, base, lq, s, s, e, None),
                     (-sign, base + d, r, s, s, e, None)]
        # beyond the segment: A(e) q^(m - e)
        log_at_stop = (seg.log_last + log_geometric_sum(-d, seg.count) if d > 0
                       else seg.log_first + (seg.count - 1) * lq + log_geometric_sum(d, seg.count))
        terms.append((sign, log_at_stop, lq, e, e + 1, math.inf, None))
        return terms

    @staticmethod
    def _clip(value: float, top: float) -> float:
        return min(top, max(0.0, value))


def _mix(x: float, terms: list[_Term]) -> float:
    """sum over terms of sign e^coefficient sum_m Pois(m; x) z^m weight(m)."""
    logs: list[tuple[float, float]] = []
    for sign, log_c, log_z, origin, first, last, weight in terms:
        if last < first or log_c == -math.inf:
            continue
        value = log_tilted_sum(x, log_z, first, last, weight, origin)
        if value > -math.inf:
            logs.append((sign, log_c + value))
    if not logs:
        return 0.0
    top = max(value for _, value in logs)
    return math.exp(top) * math.fsum(sign * math.exp(value - top) for sign, value in logs)
