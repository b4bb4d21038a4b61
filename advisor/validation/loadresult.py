"""Per-request records of a load run and their summary in the queueing model's terms."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

# Outcome -> what nginx would have answered (direct runs emulate nginx's connect/read timeouts client-side).
OUTCOME_CLASS = {
    "ok": "ok",
    "http_500": "500",
    "http_502": "502",
    "http_503": "503",  # the app server's own refusal (uvicorn's limit_concurrency); nginx passes it on
    "eagain": "502",  # unix accept queue full: nginx "connect() ... failed (11: ...)" -> 502 at once
    "reset": "502",  # closed or reset without a (complete) response: "prematurely closed" / "recv() failed (104)"
    "refused": "502",  # ECONNREFUSED/ENOENT: nothing listening -> 502
    "http_504": "504",
    "connect_timeout": "504",  # TCP accept queue full, SYN dropped -> "timed out ... while connecting"
    "read_timeout": "504",  # no response within the read timeout after the request was sent
}


def outcome_class(outcome: str) -> str:
    """ok / 500 / 502 / 503 / 504 / other (other HTTP statuses) / error (client-side failure, e.g. EMFILE)."""
    if outcome in OUTCOME_CLASS:
        return OUTCOME_CLASS[outcome]
    return "other" if outcome.startswith("http_") else "error"


@dataclass(slots=True)
class RequestRecord:
    """One request. Times are CLOCK_MONOTONIC seconds (comparable with the reference server's request log)."""

    index: int
    scheduled: float  # when the schedule said to send it
    started: float = math.nan  # when the connect was actually issued ("send time")
    connected: float = math.nan
    sent: float = math.nan  # request fully written
    first_byte: float = math.nan
    done: float = math.nan  # outcome decided (response complete, error, or timeout)
    outcome: str = ""
    status: int | None = None
    detail: str = ""

    @property
    def latency_s(self) -> float:
        """From the actual send time to the outcome."""
        return self.done - self.started

    @property
    def send_lag_s(self) -> float:
        return self.started - self.scheduled


def quantile(values: list[float], q: float) -> float:
    """Linear-interpolation quantile (numpy's default); NaN for an empty list."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


@dataclass
class LoadResult:
    records: list[RequestRecord]
    target: str
    schedule_kind: str
    nominal_rate: float | None
    wall_start: float  # time.time() at the first scheduled send
    extra: dict = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return dict(Counter(r.outcome for r in self.records))

    def outcomes(self) -> list[str]:
        return [r.outcome for r in self.records]

    def summary(self) -> dict:
        n = len(self.records)
        classes = Counter(outcome_class(r.outcome) for r in self.records)
        ok_lat = [r.latency_s for r in self.records if r.outcome == "ok"]
        lags = [r.send_lag_s for r in self.records if not math.isnan(r.started)]
        starts = [r.started for r in self.records if not math.isnan(r.started)]
        ends = [r.done for r in self.records if not math.isnan(r.done)]
        span = (max(starts) - min(starts)) if len(starts) > 1 else 0.0

        def share(key: str) -> float:
            return classes.get(key, 0) / n if n else math.nan

        return {
            "n": n,
            "counts": self.counts(),
            "p_ok": share("ok"),
            "p_502": share("502"),
            "p_503": share("503"),
            "p_504": share("504"),
            "p_500": share("500"),
            "p_other": share("other"),
            "p_error": share("error"),
            "latency_p50_s": quantile(ok_lat, 0.5),
            "latency_p99_s": quantile(ok_lat, 0.99),
            "latency_mean_s": sum(ok_lat) / len(ok_lat) if ok_lat else math.nan,
            "duration_s": (max(ends) - min(starts)) if starts and ends else 0.0,
            "offered_rate_per_s": (len(starts) - 1) / span if span > 0 else math.nan,
            "nominal_rate_per_s": self.nominal_rate,
            "send_lag_p50_s": quantile(lags, 0.5),
            "send_lag_p99_s": quantile(lags, 0.99),
            "send_lag_max_s": max(lags) if lags else math.nan,
            "target": self.target,
            "schedule": self.schedule_kind,
        }
