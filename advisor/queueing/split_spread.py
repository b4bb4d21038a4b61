"""The per-run bias of a partitioned pool's even split, as a small quadrature.

Which gthread worker wins the accept race is not even (docs/model-worker-classes.md). The model's own split is a
ladder by rank (``QueueParams.split_ratio``); this is the alternative ``QueueParams.split_spread``: every worker gets
a per-run weight w_i = e^(spread Z_i), Z_i independent standard normal, so a worker's share of the connections is
w_i / sum_j w_j. Outcomes are averaged over that distribution with a one-dimensional quadrature: a *tagged* worker
against the others, whose summed weight is the lognormal of the same mean and variance (Fenton-Wilkinson; exact for
two workers). The log-odds r = ln w_tagged - ln sum_others is then normal; equally likely nodes in r give the
tagged worker's share, and the others split the rest evenly.
"""

from __future__ import annotations

import math
from statistics import NormalDist

__all__ = ["tagged_shares"]

# Equal-probability nodes: the outcome of one worker has a kink in its share (where the worker's own load passes 1),
# which a Gauss-Hermite rule would step over; midpoints of NODES equally likely bins converge steadily through it.
NODES = 16
_STANDARD_NORMAL = NormalDist()
_Z = tuple(_STANDARD_NORMAL.inv_cdf((k + 0.5) / NODES) for k in range(NODES))


def tagged_shares(workers: int, spread: float) -> list[tuple[float, float]]:
    """[(probability, the tagged worker's share of the connections)] for ``workers`` workers with per-run log
    weights of standard deviation ``spread``; probabilities sum to 1."""
    if workers < 2 or spread <= 0.0:
        return [(1.0, 1.0 / max(workers, 1))]
    others = workers - 1
    variance = spread * spread
    # the sum of the others' weights as a lognormal: log-variance and log-mean matching its two moments
    others_var = math.log1p(math.expm1(variance) / others)
    others_mean = math.log(others) + variance / 2 - others_var / 2
    centre, scale = -others_mean, math.sqrt(variance + others_var)
    return [(1.0 / NODES, 1.0 / (1.0 + math.exp(-(centre + scale * z)))) for z in _Z]
