"""Predicted vs measured, row by row, against the simulator's band for a run of the same length.

The band is the scatter a *correct* model's measurement would show: ``advisor.queueing.simulate.band`` over many
simulated runs with the run's duration and warm-up. A measured value is "inside" when it lies in the band
(inclusive). Only the outcome shares decide the verdict; latency and utilisation rows are shown with their own
verdict for information.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from advisor.queueing.analytic import Prediction
from advisor.queueing.outcome import OUTCOME_LABELS, SHARE_KEYS
from advisor.queueing.params import QueueParams
from advisor.queueing.simulate import Band, band

SHARE_ROWS = tuple((key, OUTCOME_LABELS[key]) for key in SHARE_KEYS)
OPTIONAL_ROWS = frozenset({"p_503"})  # shown when the prediction or the measurement has some
INFO_ROWS = (
    ("latency_p50_s", "p50 latency of ok"),
    ("latency_p99_s", "p99 latency of ok"),
    ("utilization", "utilisation"),
)
TIME_KEYS = frozenset({"latency_p50_s", "latency_p99_s", "latency_mean_s", "mean_wait_s", "mean_holding_s",
                       "drain_time_s", "fill_time_s", "relaxation_time_s", "mean_service_s"})
# not converted: send_lag_p99_s describes the machine the run used (wall clock), not the deployment
RATE_KEYS = frozenset({"offered_rps", "throughput_rps", "goodput_rps", "max_throughput_rps"})
BAND_MAX_SECONDS = 60.0
_EPS = 1e-12


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    share: bool  # an outcome share (decides the verdict) or an informational row
    predicted: float | None
    measured: float | None
    band: tuple[float, float] | None
    verdict: str  # "inside", "outside" or "n/a"

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "share": self.share, "predicted": self.predicted,
                "measured": self.measured, "band": list(self.band) if self.band else None, "verdict": self.verdict}


def band_runs(level: float) -> int:
    """Enough simulated runs to place the band's edges: at least 200, and about two runs beyond each edge."""
    return max(200, math.ceil(2.0 / (1.0 - level)))


def simulated_band(params: QueueParams, duration_s: float, warmup_s: float, *, level: float = 0.95,
                   seed: int = 1) -> Band:
    """The ``level`` band of a ``duration_s`` measurement after ``warmup_s`` (executed time units)."""
    if not 0.5 <= level < 1.0:
        raise ValueError(f"band level must be in [0.5, 1), got {level!r}")
    tail = (1.0 - level) / 2.0
    bunching = params.socket == "tcp" and bool(params.syn_retries_before_timeout)
    return band(params, duration_s, warmup_s, runs=band_runs(level), seed=seed, quantiles=(tail, 1.0 - tail),
                max_seconds=BAND_MAX_SECONDS, syn_bunching=bunching)


def in_user_units(values: dict[str, Any], time_scale: float) -> dict[str, Any]:
    """Executed-system times / scale and rates x scale: the numbers of the configured deployment."""
    out = {}
    for key, value in values.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value is not None:
            if key in TIME_KEYS:
                value = value / time_scale
            elif key in RATE_KEYS:
                value = value * time_scale
        out[key] = value
    return out


def band_in_user_units(sim_band: Band, time_scale: float) -> dict[str, tuple[float, float]]:
    return {key: ((lo / time_scale, hi / time_scale) if key in TIME_KEYS else (lo, hi))
            for key, (lo, hi) in sim_band.items()}


def predicted_values(prediction: Prediction) -> dict[str, Any]:
    """The prediction in the measurement's keys (``p_other`` is 0 by definition)."""
    return {**prediction.outcome.shares, **{key: getattr(prediction, key) for key in (
        "latency_p50_s", "latency_p99_s", "utilization", "rho", "offered_rps", "throughput_rps", "goodput_rps",
        "mean_wait_s", "mean_holding_s", "relaxation_time_s", "collapse", "model", "approximate",
        "approximation_reason")}}


def compare(predicted: dict[str, Any], measured: dict[str, Any], bands: dict[str, tuple[float, float]]) -> list[Row]:
    rows = []
    for key, label in SHARE_ROWS:
        if key in OPTIONAL_ROWS and not (predicted.get(key) or measured.get(key)):
            continue
        edges = bands.get(key, (0.0, 0.0) if key == "p_other" else None)
        rows.append(_row(key, label, True, predicted.get(key), measured.get(key), edges))
    for key, label in INFO_ROWS:
        rows.append(_row(key, label, False, predicted.get(key), measured.get(key), bands.get(key)))
    return rows


def _row(key: str, label: str, share: bool, predicted: float | None, measured: float | None,
         edges: tuple[float, float] | None) -> Row:
    if measured is None or edges is None or (isinstance(measured, float) and math.isnan(measured)):
        verdict = "n/a"
    else:
        lo, hi = edges
        verdict = "inside" if lo - _EPS <= measured <= hi + _EPS else "outside"
    return Row(key, label, share, predicted, measured, edges, verdict)


def overall_verdict(rows: list[Row]) -> str:
    """"inside" when every share row is inside its band; "outside" otherwise (a share that could not be measured
    counts as outside: the run did not show what the model says)."""
    return "inside" if all(row.verdict == "inside" for row in rows if row.share) else "outside"
