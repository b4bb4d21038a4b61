"""Sojourn probabilities for general service times: W = Wq + S by numerical convolution
(docs/model.md#service-time-distributions).

Wq is an :class:`~advisor.queueing.waiting.AdmittedWait` (an atom at 0 plus a continuous part); S is any
:class:`~advisor.queueing.params.ServiceTime`. The integral over s is a midpoint rule on cells whose edges are
equally spaced both in probability (following the service time's mass, also for long-tailed lognormals) and in time.
"""

from __future__ import annotations

import math

from .params import ServiceTime
from .waiting import WaitDistribution

__all__ = ["done_within", "killed_within_deadline"]

SERVICE_NODES = 40
LAG_NODES = 24


def done_within(
    wait: WaitDistribution,
    service: ServiceTime,
    t: float,
    service_cap_s: float | None = None,
    nodes: int = SERVICE_NODES,
) -> float:
    """P(Wq + S <= t and S <= service_cap_s): the request finished within t without hitting the worker timeout.

    ``nodes`` cells per spacing (probability and time); 40 keeps the error near 5e-5, 20 near 2e-4.
    """
    if t <= 0:
        return 0.0
    if t == math.inf:  # every wait is finite
        return 1.0 if service_cap_s is None else service.cdf(service_cap_s)
    top = t if service_cap_s is None else min(t, service_cap_s)
    if service.kind == "constant" or (service.kind == "lognormal" and service.sigma == 0):
        s = service.scale_s
        return wait.wait_cdf(t - s) if s <= top else 0.0
    p_top = service.cdf(top)
    if p_top <= 0.0:
        return 0.0
    atom = wait.p_no_wait * p_top
    if wait.room == 0 or wait.p_wait <= 0.0:
        return atom
    cells = _service_cells(service, top, p_top, nodes)
    total = math.fsum(weight * wait.wait_cdf_positive(t - s) for s, weight in cells)
    return atom + total


def _service_cells(service: ServiceTime, top: float, p_top: float, nodes: int) -> list[tuple[float, float]]:
    """(node, probability) cells covering [0, top]: breakpoints equally spaced in probability *and* in time.

    Equal-probability cells follow the service distribution's mass; equal-time cells keep the rule accurate where
    the wait's CDF changes fast but the service density is thin (its tail).
    """
    edges = {0.0, top}
    edges.update(service.quantile(i * p_top / nodes) for i in range(1, nodes))
    edges.update(i * top / nodes for i in range(1, nodes))
    ordered = sorted(e for e in edges if 0.0 <= e <= top)
    cells = []
    cdf_prev = 0.0
    for left, right in zip(ordered, ordered[1:]):
        cdf_right = service.cdf(right)
        weight = cdf_right - cdf_prev
        cdf_prev = cdf_right
        if weight > 0.0:
            cells.append(((left + right) / 2, weight))
    return cells


def killed_within_deadline(
    wait: WaitDistribution, deadline_s: float | None, worker_timeout_s: float, kill_lag_max_s: float
) -> float:
    """P(Wq + Tw + U <= T) with U ~ U(0, kill_lag_max]: the kill comes before nginx's read timeout."""
    if deadline_s is None:
        return 1.0
    slack = deadline_s - worker_timeout_s
    if slack < 0:
        return 0.0
    if kill_lag_max_s <= 0:
        return wait.wait_cdf(slack)
    # The atom of Wq at 0 contributes for every lag below the slack; the continuous part by the midpoint rule.
    lag_top = min(kill_lag_max_s, slack)
    share = lag_top / kill_lag_max_s
    atom = wait.p_no_wait * share
    if lag_top <= 0 or wait.room == 0:
        return atom
    step = lag_top / LAG_NODES
    continuous = math.fsum(wait.wait_cdf_positive(slack - (i + 0.5) * step) for i in range(LAG_NODES))
    return atom + continuous * step / kill_lag_max_s
