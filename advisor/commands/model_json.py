"""JSON of the workload `advisor model --access-log` fitted, and of what the log observed per route.

    "workload": {"source": "access-log", "rps" (the rate used: the busiest window's, or the whole period's),
                 "service_time": {"mean_s", "p50_s", "p99_s", "distribution" ("lognormal" | "exponential"),
                                  "kind", "scale_s", "sigma", "scv", "description",
                                  "fit": {"quality", "ks", "samples", "censored", "method", "alternatives"},
                                  "empirical": {"mean_s", "mean_is_lower_bound", "p50_s", "p99_s"}},
                 "window": {"kind" ("busiest" | "whole period"), "length_s", "start", "end", "arrivals", "rps",
                            "mean_rps"},
                 "logs": [{"path", "format", "format_source"}], "lines": {...counts}, "period": {"start", "end"},
                 "apps": [per app server: {"app", "rps", "service_time", "window", "notes", "problem"}]}
    each prediction: "workload" (its app server's), "observed" {"n", "p_ok", "p_502", "p_504", "p_500", "p_other"}
                     over the window, "observed_whole_period" (the same over the whole period), "agreement"

Times are ISO 8601 in UTC; the top-level workload describes the app server with the most requests.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.accesslog.analyse import PoolResult, RouteResult
    from advisor.accesslog.workload import AppWorkload, FittedWorkload

__all__ = ["app_workload_json", "iso_utc", "log_workload_json", "observed_json"]


def iso_utc(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds")


def _window(pool: PoolResult) -> dict[str, Any]:
    return {"kind": pool.window_kind, "length_s": pool.window_s, "start": iso_utc(pool.window_start),
            "end": iso_utc(pool.window_start + pool.window_s), "arrivals": pool.window_arrivals,
            "rps": pool.window_rps, "mean_rps": pool.mean_rps}


def _service(app: AppWorkload) -> dict[str, Any] | None:
    pool, service = app.pool, app.service
    if service is None or pool.fit is None:
        return None
    fits = pool.fits
    return {
        "mean_s": service.mean_s, "p50_s": service.quantile(0.5), "p99_s": service.quantile(0.99),
        "distribution": service.kind, "kind": service.kind, "scale_s": service.scale_s, "sigma": service.sigma,
        "scv": service.scv, "description": service.describe(),
        "fit": {"quality": fits[0].quality, "ks": fits[0].ks, "samples": pool.samples.n,
                "censored": pool.samples.n_censored, "method": pool.method,
                "alternatives": [{"distribution": fit.kind, "mean_s": fit.mean_s, "p50_s": fit.p50_s,
                                  "p99_s": fit.p99_s, "ks": fit.ks} for fit in fits]},
        "empirical": {"mean_s": pool.empirical_mean_s, "mean_is_lower_bound": not pool.empirical_mean_complete,
                      "p50_s": pool.empirical_p50_s, "p99_s": pool.empirical_p99_s},
    }


def app_workload_json(app: AppWorkload) -> dict[str, Any]:
    return {"app": app.app_id, "rps": app.rps if app.problem is None else None, "service_time": _service(app),
            "window": _window(app.pool), "arrivals": app.pool.arrivals, "notes": list(app.pool.notes),
            "problem": app.problem}


def observed_json(observed: RouteResult | None, which: str) -> dict[str, Any] | None:
    if observed is None:
        return None
    return dict(observed.shares(observed.window if which == "window" else observed.total))


def log_workload_json(fitted: FittedWorkload) -> dict[str, Any]:
    analysis = fitted.analysis
    main = fitted.main
    return {
        "source": "access-log",
        "rps": main.rps if main is not None else None,
        "service_time": _service(main) if main is not None else None,
        "window": _window(main.pool) if main is not None else None,
        "logs": [{"path": path, "format": choice.format.name, "format_source": choice.how}
                 for path, choice in analysis.files],
        "lines": {"read": analysis.lines, "parsed": analysis.parsed, "unparsed": analysis.unparsed,
                  "not_proxied": analysis.not_proxied, "outside_period": analysis.outside_period,
                  "undecided": analysis.undecided, "not_linked": analysis.unlinked},
        "period": {"start": iso_utc(analysis.period_start), "end": iso_utc(analysis.period_end)},
        "apps": [app_workload_json(app) for app in fitted.apps.values()],
    }
