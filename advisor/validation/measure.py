"""Turn a load run into the queueing model's measured quantities (same keys as ``Prediction`` / ``SimResult``).

Only requests scheduled inside the measurement window count (the warm-up is discarded, as the simulator does).
Behind nginx, 504s are split into read timeouts (``p_504``) and connect timeouts (``p_504_connect``) with the
access log; with the built-in proxy the load generator already tells them apart.
"""

from __future__ import annotations

import math
from collections import Counter

from advisor.queueing.outcome import SHARE_KEYS, Outcome

from .loadgen import requested_service_s
from .loadresult import LoadResult, RequestRecord, quantile
from .nginx_accesslog import AccessEntry

__all__ = ["SHARE_KEYS", "busy_fraction", "classify", "is_cut_by_read_timeout", "measure", "window_records"]

_CLASS_OF_OUTCOME = {
    "ok": "ok",
    "http_502": "502",
    "http_503": "503",
    "eagain": "502",
    "reset": "502",
    "refused": "502",
    "http_500": "500",
    "read_timeout": "504",
    "connect_timeout": "504_connect",
}


# One character per measured request, in schedule order (runs with the same seed can be compared request by request).
_CODE = {"ok": "o", "502": "2", "503": "3", "504": "4", "504_connect": "c", "500": "5", "other": "x"}
OUTCOME_CODES = {code: name for name, code in _CODE.items()}


def classify(record: RequestRecord, access: dict[int, AccessEntry] | None, via_nginx: bool = False) -> str:
    """ok / 502 / 503 / 504 (read) / 504_connect / 500 / other (anything the model has no name for).

    Behind nginx only nginx's answers count: a connection the generator itself gave up on (its own timeout, a reset
    from nginx) is "other", because nginx should have answered first.
    """
    if record.outcome == "http_504":
        entry = access.get(record.index) if access is not None else None
        return "504_connect" if entry is not None and not entry.connected else "504"
    if via_nginx and is_cut_by_read_timeout(record):
        return "504"
    if via_nginx and not record.outcome.startswith("http_") and record.outcome != "ok":
        return "other"
    return _CLASS_OF_OUTCOME.get(record.outcome, "other")


def is_cut_by_read_timeout(record: RequestRecord) -> bool:
    """Behind nginx, a response whose body stopped after the header: nginx's read timeout fired mid-response.

    nginx does not re-arm a timer whose new expiry differs by less than 300 ms (NGX_TIMER_LAZY_DELAY), so with a
    proxy_read_timeout below that a header that arrives just before the deadline leaves the body with only the
    rest of it ("upstream timed out ... while reading upstream"). The request failed on the read timeout, so it is
    counted as a 504 read timeout (and reported separately as ``cut_by_read_timeout``).
    """
    return record.outcome == "reset" and record.detail == "truncated response"


def window_records(result: LoadResult, warmup_s: float, duration_s: float) -> list[RequestRecord]:
    """Records scheduled in [warm-up, warm-up + duration) after the run's start."""
    t0 = result.extra["t0_monotonic"]
    lo, hi = t0 + warmup_s, t0 + warmup_s + duration_s
    return [r for r in result.records if lo <= r.scheduled < hi]


def busy_fraction(spans: list[tuple[float, float]], workers: int, start: float, end: float) -> float:
    """Share of ``workers`` x [start, end] that the workers spent on requests (zombie work included)."""
    if workers < 1 or end <= start:
        return math.nan
    busy = math.fsum(max(0.0, min(done, end) - max(begin, start)) for begin, done in spans)
    return busy / (workers * (end - start))


def measure(result: LoadResult, *, warmup_s: float, duration_s: float, workers: int,
            targets: list[str], access: dict[int, AccessEntry] | None = None,
            busy_spans: list[tuple[float, float]] | None = None, via_nginx: bool = False) -> dict:
    """The measured shares, latency quantiles of ok requests, utilisation and the realised load.

    ``targets`` are the request targets in send order (``loadgen.request_paths``), for the realised service
    times; ``busy_spans`` are (start, done) monotonic times of the server's work per request.
    """
    records = window_records(result, warmup_s, duration_s)
    n = len(records)
    classes = Counter(classify(r, access, via_nginx) for r in records)
    ok_latency = [r.latency_s for r in records if r.outcome == "ok"]
    lags = [r.send_lag_s for r in records if not math.isnan(r.started)]
    services = [s for s in (requested_service_s(targets[r.index]) for r in records) if s is not None]
    t0 = result.extra["t0_monotonic"]
    start, end = t0 + warmup_s, t0 + warmup_s + duration_s

    mean_service = math.fsum(services) / len(services) if services else math.nan
    offered = n / duration_s
    unmatched = 0
    if access is not None:
        unmatched = sum(1 for r in records if r.outcome.startswith("http_") and r.index not in access)
    outcome = Outcome.from_counts(classes)
    return {
        "n": n,
        "counts": dict(outcome.counts or {}),
        "outcomes": dict(Counter(r.outcome for r in records)),
        **outcome.shares,
        "latency_p50_s": quantile(ok_latency, 0.5) if ok_latency else None,
        "latency_p99_s": quantile(ok_latency, 0.99) if ok_latency else None,
        "utilization": busy_fraction(busy_spans, workers, start, end) if busy_spans is not None else None,
        "offered_rps": offered,
        "mean_service_s": mean_service,
        "rho": offered * mean_service / workers if services else None,
        "send_lag_p99_s": quantile(lags, 0.99) if lags else None,
        "access_log_unmatched": unmatched,
        "outcome_codes": "".join(_CODE[classify(r, access, via_nginx)] for r in records),
        "cut_by_read_timeout": sum(1 for r in records if is_cut_by_read_timeout(r)) if via_nginx else 0,
    }
