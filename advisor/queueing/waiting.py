"""What an admitted request waits for: the number of departures ahead of it, and the wait/sojourn tails.

An admitted request that finds n requests in the pool must wait for k = max(0, n - c + 1) departures, which
happen at rate c*mu while all workers are busy. So the wait Wq is an atom at 0 (k = 0) plus a mixture of
Erlang(k, c*mu) distributions. All tails are Poisson-weighted sums over k (docs/model.md#outcomes):

    P(Wq > t) = sum_j Pois(j; c mu t) P(k > j)
    P(W > t)  = sum_m Pois(m; c mu t) [P(k > m) + A(m)],  A(m) = q A(m-1) + w_m,  q = 1 - 1/c

The second (the sojourn W = Wq + S) is exact for exponential service (uniformisation at rate c mu).
Every array below is a sum of non-negative terms, so tails and CDFs are both accurate when they are tiny.
Pools and queues beyond ARRAY_SERVERS_MAX / ARRAY_ROOM_MAX get the same distribution in closed form instead
(:class:`~advisor.queueing.wait_segments.SegmentWait`): ``from_mmck`` and ``geometric`` choose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .formulas import ERLANG_RECURSION_MAX, mmck_log_weights, poisson_mix, poisson_window
from .wait_segments import SegmentWait

__all__ = ["ARRAY_ROOM_MAX", "ARRAY_SERVERS_MAX", "AdmittedWait", "SegmentWait", "WaitDistribution"]

_NEGLIGIBLE = 1e-18
# Up to these sizes the wait is kept as one probability per queue place (exact sums over arrays); beyond them the
# same distribution comes in closed form (wait_segments.py), in time independent of the sizes.
ARRAY_ROOM_MAX = 16384
ARRAY_SERVERS_MAX = ERLANG_RECURSION_MAX


def _first_below(values: list[float], threshold: float) -> int | None:
    """Index of the first entry below threshold in a non-increasing list (None if there is none)."""
    lo, hi = 0, len(values)
    if hi == 0 or values[-1] >= threshold:
        return None
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] < threshold:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _first_at_least(values: list[float], threshold: float) -> int:
    """Index of the first entry >= threshold in a non-decreasing list (len(values) if there is none)."""
    lo, hi = 0, len(values)
    while lo < hi:
        mid = (lo + hi) // 2
        if values[mid] >= threshold:
            hi = mid
        else:
            lo = mid + 1
    return lo


def _split_mix(
    x: float,
    total: float,
    cdf_values: list[float],
    cdf_first: int,
    sf_values: list[float],
    sf_clip: int,
    tail_ratio: float,
    want_cdf: bool,
) -> float:
    """P(X <= t) or P(X > t) for a Poisson mixture whose two tails are given as arrays.

    Both sums run over the Poisson window only where their array is not negligible (the CDF array is ~0 below
    ``cdf_first``, the tail array ~0 above ``sf_clip``). The shorter one is used and complemented, unless the
    complement is so small that it would lose its relative precision.
    """
    if x == math.inf:
        return total if want_cdf else 0.0
    lo, hi = poisson_window(x)
    n_cdf = hi - max(lo, cdf_first)
    n_sf = min(hi, sf_clip) - lo

    def cdf_sum() -> float:
        if n_cdf < 0:
            return 0.0
        return poisson_mix(x, cdf_values, tail_limit=total, tail_ratio=tail_ratio, lo_clip=cdf_first)

    def sf_sum() -> float:
        if n_sf < 0:
            return 0.0
        return poisson_mix(x, sf_values, tail_ratio=tail_ratio, hi_clip=sf_clip)

    direct, other = (cdf_sum, sf_sum) if want_cdf else (sf_sum, cdf_sum)
    cheaper_direct = (n_cdf <= n_sf) if want_cdf else (n_sf <= n_cdf)
    if not cheaper_direct:
        value = total - other()
        if value > 1e-6 * total:
            return min(total, value)
    return min(total, max(0.0, direct()))


def _normalised_exp(logs: list[float]) -> list[float]:
    top = max(logs)
    scaled = [math.exp(x - top) for x in logs]
    total = math.fsum(scaled)
    return [x / total for x in scaled]


@dataclass
class AdmittedWait:
    """Distribution of departures k an admitted request waits for; departures come at ``rate`` (c / E[S])."""

    servers: int
    rate: float
    k_probs: list[float]
    _tail_k: list[float] = field(init=False, repr=False)
    _cont_cdf_k: list[float] = field(init=False, repr=False)
    _clip_k: int = field(init=False, repr=False)
    _first_k: int = field(init=False, repr=False)
    _sojourn: tuple[list[float], list[float], int, int] | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        w = self.k_probs
        tail = [0.0] * len(w)  # P(k > j), summed from the far end
        for j in range(len(w) - 1, 0, -1):
            tail[j - 1] = tail[j] + w[j]
        cont = [0.0] * len(w)  # P(1 <= k <= j)
        acc = 0.0
        for j in range(1, len(w)):
            acc += w[j]
            cont[j] = acc
        self._tail_k = tail
        self._cont_cdf_k = cont
        clip = _first_below(tail, _NEGLIGIBLE)
        self._clip_k = len(tail) if clip is None else clip
        self._first_k = _first_at_least(cont, _NEGLIGIBLE)

    # -- constructors -----------------------------------------------------------------------------------------
    @classmethod
    def from_mmck(cls, servers: int, arrival_rate: float, mean_service_s: float, room: int) -> WaitDistribution:
        """k for an arrival admitted to M/M/c/K (K = c + room), from the state seen on arrival (PASTA)."""
        rate = servers / mean_service_s
        a = arrival_rate * mean_service_s
        if room == 0 or a <= 0:
            return cls(servers, rate, [1.0]) if room > ARRAY_ROOM_MAX else cls(servers, rate, [1.0] + [0.0] * room)
        if _too_large(servers, room):
            return SegmentWait.mmck(servers, arrival_rate, mean_service_s, room)
        logs = mmck_log_weights(servers, a, servers + room)[:-1]  # states 0..K-1 (state K is blocked)
        probs = _normalised_exp(logs)
        k_probs = [math.fsum(probs[:servers])] + probs[servers:]
        return cls(servers, rate, k_probs)

    @classmethod
    def geometric(cls, servers: int, rate: float, p_no_wait: float, ratio: float, room: int) -> WaitDistribution:
        """k = 0 with probability p_no_wait, else k in 1..room with P(k) proportional to ratio^(k-1).

        This is the shape of M/M/c/K (ratio = rho); other ratios stretch or shrink the queue (Lee-Longton).
        """
        if room and _too_large(servers, room):
            return SegmentWait.geometric(servers, rate, p_no_wait, ratio, room)
        if room == 0:
            return cls(servers, rate, [1.0])
        if ratio <= 0.0:
            return cls(servers, rate, [p_no_wait, 1.0 - p_no_wait] + [0.0] * (room - 1))
        log_r = math.log(ratio)
        cond = _normalised_exp([j * log_r for j in range(room)])
        return cls(servers, rate, [p_no_wait] + [(1.0 - p_no_wait) * x for x in cond])

    # -- moments ----------------------------------------------------------------------------------------------
    @property
    def room(self) -> int:
        return len(self.k_probs) - 1

    @property
    def p_wait(self) -> float:
        return 1.0 - self.k_probs[0] if self.room == 0 else self._cont_cdf_k[-1]

    @property
    def p_no_wait(self) -> float:
        return self.k_probs[0]

    @property
    def mean_wait_s(self) -> float:
        return math.fsum(k * p for k, p in enumerate(self.k_probs)) / self.rate

    # -- the wait Wq ------------------------------------------------------------------------------------------
    def wait_sf(self, t: float) -> float:
        """P(Wq > t)."""
        if t < 0:
            return 1.0
        if self.room == 0:
            return 0.0
        if t == 0:
            return self.p_wait
        return _split_mix(
            self.rate * t, self.p_wait, self._cont_cdf_k, self._first_k, self._tail_k, self._clip_k, 1.0, False
        )

    def wait_cdf(self, t: float) -> float:
        """P(Wq <= t)."""
        if t < 0:
            return 0.0
        return self.k_probs[0] + self.wait_cdf_positive(t)

    def wait_cdf_positive(self, t: float) -> float:
        """P(0 < Wq <= t), the continuous part of the wait's CDF."""
        if t <= 0 or self.room == 0:
            return 0.0
        return _split_mix(
            self.rate * t, self.p_wait, self._cont_cdf_k, self._first_k, self._tail_k, self._clip_k, 1.0, True
        )

    # -- the sojourn W = Wq + S for exponential service with mean servers/rate --------------------------------------
    def _sojourn_arrays(self) -> tuple[list[float], list[float], int, int]:
        if self._sojourn is None:
            q = 1.0 - 1.0 / self.servers
            w, tail = self.k_probs, self._tail_k
            g: list[float] = []  # P(still in the system after m uniformised events)
            h: list[float] = []  # its complement, built from non-negative terms
            a_m = 0.0
            b_m = 0.0
            cdf_prev = 0.0
            for m, w_m in enumerate(w):
                a_m = q * a_m + w_m
                b_m = (1.0 - q) * cdf_prev + q * b_m
                cdf_prev += w_m
                g.append(tail[m] + a_m)
                h.append(b_m)
            self._sojourn = (g, h, self._sojourn_clip(g, q), _first_at_least(h, _NEGLIGIBLE))
        return self._sojourn

    def sojourn_sf_exponential(self, t: float) -> float:
        """P(W > t) for an admitted request with exponential service (exact)."""
        if t <= 0:
            return 1.0
        g, h, clip, first = self._sojourn_arrays()
        return _split_mix(self.rate * t, 1.0, h, first, g, clip, 1.0 - 1.0 / self.servers, False)

    def sojourn_cdf_exponential(self, t: float) -> float:
        """P(W <= t) for an admitted request with exponential service (exact)."""
        if t <= 0:
            return 0.0
        g, h, clip, first = self._sojourn_arrays()
        return _split_mix(self.rate * t, 1.0, h, first, g, clip, 1.0 - 1.0 / self.servers, True)

    @staticmethod
    def _sojourn_clip(g: list[float], q: float) -> int:
        below = _first_below(g, _NEGLIGIBLE)
        if below is not None:
            return below
        if q == 0.0 or g[-1] <= 0.0:
            return len(g)
        # Past the array, g decays like g[-1] q^n: find where it drops below the threshold.
        extra = math.log(_NEGLIGIBLE / g[-1]) / math.log(q)
        return len(g) + int(extra) + 1


WaitDistribution = AdmittedWait | SegmentWait


def _too_large(servers: int, room: int) -> bool:
    return room > ARRAY_ROOM_MAX or servers > ARRAY_SERVERS_MAX
