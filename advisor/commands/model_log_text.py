"""Text of `advisor model --access-log`: where the workload came from, the fitted workload, what the log observed
and whether the model explains it. Never prints anything of a log line itself (client addresses, user agents)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from advisor.units import format_duration as dur
from advisor.units import format_percent as pct
from advisor.units import format_rate as rate

if TYPE_CHECKING:
    from advisor.accesslog.analyse import PoolResult, RouteResult
    from advisor.accesslog.compare import Agreement
    from advisor.accesslog.workload import AppWorkload, FittedWorkload

__all__ = ["agreement_line", "log_header_lines", "log_workload_line", "observed_line"]

_NAMES = {"p_ok": "ok", "p_502": "502", "p_504": "504", "p_500": "500"}


def _time(epoch: float | None, offset_s: float, with_date: bool = True) -> str:
    if epoch is None:
        return "?"
    zone = timezone(timedelta(seconds=offset_s))
    moment = datetime.fromtimestamp(epoch, zone)
    text = moment.strftime("%Y-%m-%d %H:%M:%S" if with_date else "%H:%M:%S")
    suffix = "UTC" if offset_s == 0 else moment.strftime("%z")
    return f"{text} {suffix}"


def log_header_lines(fitted: FittedWorkload) -> list[str]:
    analysis = fitted.analysis
    names = ", ".join(f"{path} (format {choice.format.name}: {choice.how})" for path, choice in analysis.files)
    proxied = sum(pool.arrivals for pool in analysis.pools.values())
    period = (f"{_time(analysis.period_start, analysis.utc_offset_s)} to "
              f"{_time(analysis.period_end, analysis.utc_offset_s)}")
    parts = [f"{proxied:,} reached the app server(s)"]
    if analysis.not_proxied:
        parts.append(f"{analysis.not_proxied:,} were answered by nginx itself (static files, redirects, cache)")
    if analysis.undecided:
        parts.append(f"{analysis.undecided:,} could not be placed on one route (host or port not logged)")
    if analysis.unlinked:
        parts.append(f"{analysis.unlinked:,} went to upstreams this config does not link to an app server")
    if analysis.outside_period:
        parts.append(f"{analysis.outside_period:,} fell outside --since/--until")
    if analysis.unparsed:
        parts.append(f"{analysis.unparsed:,} lines did not match the format")
    return [f"advisor model: the workload from the access log {names}",
            f"{analysis.parsed:,} requests from {period}: " + ", ".join(parts)]


def _window(pool: PoolResult, offset_s: float) -> str:
    if pool.window_kind == "busiest":
        length = dur(pool.window_s)
        return (f"busiest {length} window, from {_time(pool.window_start, offset_s, with_date=False)}; "
                f"mean {rate(pool.mean_rps)}")
    return f"mean over the whole period of {dur(pool.window_s)}"


def log_workload_line(app: AppWorkload) -> str:
    pool, service = app.pool, app.service
    text = f"{rate(app.rps)} ({_window(pool, app.utc_offset_s)})"
    fit = pool.fit
    if service is None or fit is None:
        return text
    samples = (f"requests whose service start the log tells ({pool.waited:,} of them after a wait in the accept "
               "queue, taken out)" if pool.method == "reconstructed"
               else "answered requests (accept-queue wait included)")
    censored = f", {pool.samples.n_censored:,} cut by a timeout" if pool.samples.n_censored else ""
    text += (f"; service time {service.kind}, mean {dur(service.mean_s)}, p50 {dur(service.quantile(0.5))}, p99 "
             f"{dur(service.quantile(0.99))}: {fit.quality} fit (KS distance {fit.ks:.3f}) to {pool.samples.n:,} "
             f"{samples}{censored}")
    empirical = pool.empirical_mean_s
    if empirical is not None:
        bound = "at least " if not pool.empirical_mean_complete else ""
        text += (f"; empirical mean {bound}{dur(empirical)}, p50 {dur(pool.empirical_p50_s)}, p99 "
                 f"{dur(pool.empirical_p99_s) if pool.empirical_p99_s is not None else 'beyond the timeout'}")
    for note in pool.notes:
        text += f"; {note}"
    return text


def observed_line(observed: RouteResult, app: AppWorkload | None) -> str:
    shares = observed.shares(observed.window)
    where = ("in the window" if app is not None and app.pool.window_kind == "busiest" else "over the period")
    other = f"  other {pct(shares['p_other'])}" if shares["p_other"] else ""  # type: ignore[arg-type]
    return (f"ok {pct(shares['p_ok'])}  502 {pct(shares['p_502'])}  504 {pct(shares['p_504'])}  "  # type: ignore
            f"500 {pct(shares['p_500'])}{other}  ({shares['n']:,} requests {where})")  # type: ignore[arg-type]


def agreement_line(agreement: Agreement) -> str:
    pairs = ", ".join(f"{_NAMES[key]} {pct(predicted)} predicted / {pct(observed)} observed"
                      for key, predicted, observed, _ in agreement.rows if key in ("p_502", "p_504"))
    if agreement.verdict == "too few requests":
        return f"too few requests to tell whether the model explains the log ({pairs})"
    if agreement.verdict == "explained":
        text = f"the model explains what the log saw: {pairs}"
        extra = [row for row in agreement.rows if row[0] == "p_500" and not row[3]]
        if extra:
            text += (f"; 500 {pct(extra[0][2])} observed against {pct(extra[0][1])} predicted: the app's own "
                     "errors, which the model does not predict")
        return text
    causes = []
    for key, predicted, observed, agrees in agreement.rows:
        if agrees or key not in ("p_502", "p_504"):
            continue
        more = observed > predicted
        if key == "p_504":
            causes.append("more 504s than predicted: slower requests than the fit saw, or traffic to the app "
                          "server that is not in this log" if more else
                          "fewer 504s than predicted: more capacity than the config says (more workers), or a "
                          "busiest window shorter than the one the prediction assumes")
        else:
            causes.append("more 502s than predicted: fewer workers or a smaller accept queue than the config says, "
                          "or app server restarts" if more else
                          "fewer 502s than predicted: a larger accept queue than the config says (somaxconn?)")
    return f"the model does NOT explain what the log saw: {pairs}; " + "; ".join(causes)
