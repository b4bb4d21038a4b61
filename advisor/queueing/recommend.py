"""Recommendations for one link: which settings to change, where, and the predicted effect
(docs/model.md#overload-and-the-drain-time).

:func:`recommend` turns the knobs (proxy_connect_timeout, workers, the queue size, timeout) one after another on a
:class:`~advisor.queueing.scenario.Scenario` and predicts each change's effect with the analytic model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from advisor.units import format_duration, format_percent, format_rate, nginx_time

from .analytic import Prediction, default_backlog_grid, predict
from .params import LINEAR_SYN_RETRIES_S, MAX_SERVERS, MAX_WORKERS
from .scenario import OVERLOAD_FACTOR, TIMEOUT_MARGIN_S, PoolSettings, Scenario, describe_source

__all__ = ["Recommendation", "error_share", "outcome_summary", "recommend"]

SHORT_CONNECT_TIMEOUT_S = 0.5  # below the first SYN retransmission (1 s): TCP overflow becomes a clean loss


@dataclass(frozen=True)
class Recommendation:
    """One setting to change, where, the line to write, and the predicted outcome before and after (cumulative:
    ``before`` already includes the recommendations listed earlier)."""

    setting: str
    file: str  # "gunicorn" or "nginx"
    current: Any
    recommended: Any
    where: str
    line: str
    reason: str
    before: Prediction
    after: Prediction
    overload_rps: float
    overload_before: Prediction
    overload_after: Prediction

    def to_dict(self, link: str) -> dict[str, Any]:
        return {"link": link, "setting": self.setting, "file": self.file, "current": self.current,
                "recommended": self.recommended, "where": self.where, "line": self.line, "reason": self.reason,
                "predicted": outcome_summary(self.after), "before": outcome_summary(self.before),
                "overload_rps": self.overload_rps, "predicted_overload": outcome_summary(self.overload_after),
                "before_overload": outcome_summary(self.overload_before)}


def outcome_summary(p: Prediction) -> dict[str, Any]:
    """The outcome fractions, error share, utilization and latency of one prediction (the JSON summary shape)."""
    return {**p.fractions, "error_share": error_share(p), "utilization": p.utilization,
            "latency_p50_s": p.latency_p50_s, "latency_p99_s": p.latency_p99_s}


def error_share(p: Any) -> float:
    """The share of requests answered with an error (502, 503, 504 and 500), of a Prediction or SimResult."""
    return max(0.0, math.fsum(value for key, value in p.fractions.items() if key != "p_ok"))


@dataclass
class _Chain:
    scenario: Scenario
    items: list[Recommendation] = field(default_factory=list)

    def apply(self, setting: str, file: str, current: Any, recommended: Any, where: str, line: str, reason: str,
              **changes: Any) -> None:
        before = self.scenario
        after = before.with_settings(**changes)
        overload = OVERLOAD_FACTOR * before.capacity_rps
        self.items.append(Recommendation(
            setting=setting, file=file, current=current, recommended=recommended, where=where, line=line,
            reason=reason, before=predict(before.params), after=predict(after.params), overload_rps=overload,
            overload_before=predict(before.at_rps(overload), latencies=False),
            overload_after=predict(after.at_rps(overload), latencies=False)))
        self.scenario = after


def _gunicorn_line(scenario: Scenario, name: str, value: Any) -> tuple[str, str]:
    """(where, line) for setting gunicorn's `name` to `value` in the app's config or command line (uWSGI: its own
    option name, in the config file's syntax)."""
    source = scenario.setting_sources.get(name)
    config = scenario.app.source.path or scenario.app.id
    python_config = str(config).endswith(".py")
    line = f"{name} = {value!r}" if python_config else f"--{name.replace('_', '-')} {value}"
    if scenario.app.kind == "uwsgi":
        from .uwsgi_pool import option_line

        given = source is not None and source.kind == "file" and source.path
        line = option_line(name, value, str(source.path) if given else scenario.app.source.path)
    if source is not None and source.kind == "file":
        return describe_source(source), line
    return f"{config} (not set there; add it)", line


def _nginx_line(scenario: Scenario, name: str, value: str) -> tuple[str, str]:
    source = scenario.setting_sources.get(name)
    line = f"{name} {value};"
    if source is not None and source.kind == "file":
        return describe_source(source), line
    block = scenario.route.source
    at = f"{block.path}:{block.line}" if block.line is not None else str(block.path)
    return f"{at} (not set; add it in this block)", line


def recommend(scenario: Scenario, *, target_utilization: float = 0.7,
              error_budget: float = 0.001) -> tuple[list[Recommendation], Scenario]:
    """Recommendations in a fixed order, each predicted on top of the earlier ones, and the resulting scenario.

    1. TCP with proxy_connect_timeout >= the first SYN retry (1 s): 0.5 s (or a unix socket).
    2. workers for utilisation <= ``target_utilization`` (compared with 2 x cpus + 1 when --cpus is known).
    3. the queue size that maximises P(ok) at this load; among sizes within min(1e-4, budget/10) of the best, the
       one that does best at 1.2x capacity (small queues turn overload into fast errors instead of 504s for all).
       For gthread this sets worker_connections (threads + keep-alive headroom) and backlog.
    4. sync: gunicorn timeout below proxy_read_timeout with a margin (docs/failures.md#gunicorn-worker-timeout).

    Event-loop workers (served at once, nothing queues) get none: no setting of theirs changes the prediction.
    """
    chain = _Chain(scenario)
    if scenario.settings.family == "event-loop":
        return chain.items, chain.scenario
    _recommend_connect_timeout(chain)
    _recommend_workers(chain, target_utilization)
    _recommend_queue(chain, error_budget)
    _recommend_timeout(chain)
    return chain.items, chain.scenario


def _recommend_connect_timeout(chain: _Chain) -> None:
    s = chain.scenario.settings
    if s.socket != "tcp" or s.connect_timeout_s < LINEAR_SYN_RETRIES_S[0]:
        return
    now = predict(chain.scenario.params, latencies=False).p_ok
    then = predict(chain.scenario.with_settings(connect_timeout_s=SHORT_CONNECT_TIMEOUT_S).params,
                   latencies=False).p_ok
    if then < now - 1e-4:  # at this load the SYN retries still get requests through: failing fast loses them
        return
    name = f"{chain.scenario.nginx_prefix}_connect_timeout"
    where, line = _nginx_line(chain.scenario, name, nginx_time(SHORT_CONNECT_TIMEOUT_S))
    chain.apply(
        name, "nginx", s.connect_timeout_s, SHORT_CONNECT_TIMEOUT_S, where, line,
        f"over TCP a full accept queue silently drops nginx's SYN; with {name} {format_duration(s.connect_timeout_s)} "
        "the SYN "
        "is retried after 1 s, 2 s, ... (latency jumps, half-open connections under load; "
        "docs/failures.md#tcp-accept-queue-full). Below 1 s the overflow is a clean, fast 504 - or bind gunicorn "
        "to a unix socket for an immediate 502",
        connect_timeout_s=SHORT_CONNECT_TIMEOUT_S)


def _recommend_workers(chain: _Chain, target: float) -> None:
    scenario = chain.scenario
    s, cpus = scenario.settings, scenario.cpus
    busy = scenario.rps * scenario.params.mean_holding_s  # busy request slots needed (Erlangs)
    needed = max(1, math.ceil(busy / (target * s.slots_per_worker) - 1e-9))
    most = _most_workers(s)
    capped = needed > most
    if capped:
        needed = most
    if needed <= s.workers:
        return
    where, line = _gunicorn_line(scenario, "workers", needed)
    reason = (f"{format_rate(scenario.rps)} x {format_duration(scenario.params.mean_holding_s)} keep {busy:.3g} "
              "request slots "
              f"busy on average; {needed} workers keep the utilisation at or below {format_percent(target)}")
    if capped:
        reason = (f"{format_rate(scenario.rps)} x {format_duration(scenario.params.mean_holding_s)} keep {busy:.3g} "
                  "request "
                  f"slots busy on average: more than one host can run (at most {MAX_WORKERS} processes or "
                  f"threads); {needed} workers is the most one host takes - spread the load over several hosts")
    if cpus is not None:
        guidance = 2 * cpus + 1
        if needed > guidance:
            reason += (f". That is above gunicorn's 2 x cpus + 1 = {guidance} guidance for {cpus} CPUs: it only "
                       "helps if requests mostly wait on I/O; for CPU-bound requests add CPUs or hosts instead "
                       "(CPU contention is not modelled)")
        else:
            reason += f" (within gunicorn's 2 x cpus + 1 = {guidance} guidance for {cpus} CPUs)"
    else:
        reason += "; pass --cpus N to compare with gunicorn's 2 x cpus + 1 guidance"
    chain.apply("workers", "gunicorn", s.workers, needed, where, line, reason, workers=needed)


def _most_workers(s: PoolSettings) -> int:
    """The most workers one host runs for these settings (processes, and gthread threads, are Linux tasks)."""
    per_worker = s.threads if s.family == "gthread" else 1
    return max(1, min(MAX_WORKERS // max(1, per_worker), MAX_SERVERS // max(1, s.slots_per_worker)))


def _queue_variants(scenario: Scenario) -> tuple[int, list[int]]:
    """(worker_connections to use, backlog grid) for the queue scan."""
    s = scenario.settings
    if s.family != "gthread":
        return s.worker_connections, default_backlog_grid(s.somaxconn)
    headroom = math.ceil(scenario.upstream_keepalive / s.workers) if scenario.upstream_keepalive else 0
    return s.threads + headroom, default_backlog_grid(s.somaxconn)


def _recommend_queue(chain: _Chain, error_budget: float) -> None:
    scenario = chain.scenario
    s = scenario.settings
    connections, grid = _queue_variants(scenario)
    overload = OVERLOAD_FACTOR * scenario.capacity_rps

    def ok_at(variant: PoolSettings, rps: float) -> float:
        return predict(variant.queue_params(rps, scenario.service), latencies=False).p_ok

    candidates = [(backlog, replace(s, backlog=backlog, worker_connections=connections)) for backlog in grid]
    here = {backlog: ok_at(variant, scenario.rps) for backlog, variant in candidates}
    best_here = max(here.values())
    tolerance = min(1e-5, error_budget / 100) if error_budget > 0 else 1e-9
    best_backlog, best_over = candidates[0][0], -1.0
    for backlog, variant in candidates:
        if here[backlog] < best_here - tolerance:
            continue
        over = ok_at(variant, overload)
        if over > best_over + 1e-9:
            best_backlog, best_over = backlog, over
    chosen = replace(s, backlog=best_backlog, worker_connections=connections)
    if not _worth_it(s, chosen, scenario, overload, error_budget):
        return
    why = (f"the queue size that maximises the ok share at {format_rate(scenario.rps)} ({format_percent(best_here)}) "
           "and, "
           f"among sizes within {tolerance:.0e} of that, at {OVERLOAD_FACTOR:g}x capacity "
           f"({format_percent(best_over)}): a short "
           "queue turns excess load into fast errors, a long one makes queued requests wait longer than the read "
           "timeout (504s for all; docs/model.md#overload-and-the-drain-time)")
    if s.family == "gthread" and connections != s.worker_connections:
        where, line = _gunicorn_line(scenario, "worker_connections", connections)
        headroom = connections - s.threads
        extra = f" plus {headroom} per worker for nginx's idle keep-alive connections" if headroom else ""
        chain.apply("worker_connections", "gunicorn", s.worker_connections, connections, where, line,
                    f"stop gthread workers from queueing connections inside the worker (invisible to nginx): "
                    f"threads {s.threads}{extra}; the queue then lives in the kernel backlog",
                    worker_connections=connections)
    current = chain.scenario.settings
    if best_backlog != current.backlog and _worth_it(current, chosen, chain.scenario, overload, error_budget):
        where, line = _gunicorn_line(chain.scenario, "backlog", best_backlog)
        chain.apply("backlog", "gunicorn", current.backlog, best_backlog, where, line, why, backlog=best_backlog)


def _worth_it(current: PoolSettings, proposed: PoolSettings, scenario: Scenario, overload_rps: float,
              error_budget: float) -> bool:
    """A change is worth recommending if it gains at this load (beyond noise) or clearly in overload."""
    if proposed == current:
        return False
    rps, service = scenario.rps, scenario.service
    now = predict(current.queue_params(rps, service), latencies=False).p_ok
    then = predict(proposed.queue_params(rps, service), latencies=False).p_ok
    now_over = predict(current.queue_params(overload_rps, service), latencies=False).p_ok
    then_over = predict(proposed.queue_params(overload_rps, service), latencies=False).p_ok
    noise = max(1e-4, error_budget / 10)
    if then < now - noise:  # never recommend a change that makes the user's own load worse
        return False
    return then - now >= noise or then_over - now_over >= 0.01


def _recommend_timeout(chain: _Chain) -> None:
    scenario = chain.scenario
    s = scenario.settings
    deadline = s.read_timeout_s
    if s.family != "sync" or deadline is None:
        return
    read_name = f"{scenario.nginx_prefix}_read_timeout"
    kill_by = s.worker_timeout_s + scenario.params.kill_lag_max_s
    if s.worker_timeout_s > 0 and kill_by + 1.0 <= deadline:
        return
    target = math.floor(deadline - TIMEOUT_MARGIN_S)
    if s.worker_timeout_s == 0:
        problem = "gunicorn's timeout is 0 (off): a stuck request holds its sync worker for ever"
    else:
        problem = (f"gunicorn kills a slow sync worker at timeout {s.worker_timeout_s:g} s + up to 1 s, not clearly "
                   f"before nginx's {read_name} {deadline:g} s: nginx answers 504 first while the worker keeps "
                   "working; docs/failures.md#gunicorn-worker-timeout)")
    if target < 1:
        return  # T < 3 s: gunicorn's timeout (whole seconds, >= 1) cannot sit below it; a note says so
    where, line = _gunicorn_line(scenario, "timeout", target)
    chain.apply("timeout", "gunicorn", s.worker_timeout_s, target, where, line,
                f"{problem}; {target} s leaves a {deadline - target:g}-s margin, so gunicorn frees the worker and "
                f"the client gets a {s.worker_timeout_status} instead of a 504 with the work still running",
                worker_timeout_s=float(target))
