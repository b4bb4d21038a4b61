"""The workload of a deployment fitted from its access logs: per app server the rate and the service-time
distribution the queueing model takes, per route what the log observed.

This is where the log meets the deployment: each link's route and address become a RouteTarget, each app server's
request slots c (read the way the queueing model reads them) decide which requests found a free worker, and the
fitted distribution becomes a `ServiceTime` (the lognormal or the exponential fit, whichever is closer to the
empirical distribution).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from advisor.accesslog.analyse import AnalyseOptions, LogAnalysis, PoolResult, PoolSpec, RouteResult, analyse_logs
from advisor.accesslog.choose import AccessLogError
from advisor.accesslog.routing import RouteTarget

if TYPE_CHECKING:
    from advisor.model.deployment import Deployment, Link
    from advisor.queueing.params import ServiceTime

__all__ = ["AccessLogError", "AppWorkload", "FittedWorkload", "fit_workload", "parse_window"]

MIN_HORIZON_S, MAX_HORIZON_S = 10.0, 300.0


def parse_window(text: str | None) -> int | None:
    """`--window`: a duration of whole seconds (`1m`, `30s`), or `all` for the whole period (None)."""
    from advisor.units import parse_option_duration

    if text is None:
        return 60
    if text.strip().lower() in ("all", "0"):
        return None
    try:
        seconds = parse_option_duration(text)
    except ValueError as error:
        raise AccessLogError(f"--window {text}: {error}") from None
    if seconds < 1:
        raise AccessLogError(f"--window {text}: the window must be at least 1s (or `all` for the whole period)")
    return int(round(seconds))


@dataclass
class AppWorkload:
    app_id: str
    pool: PoolResult
    service: ServiceTime | None  # None: too few samples to fit
    problem: str | None = None  # why the app server cannot be modelled from the log
    utc_offset_s: float = 0.0  # the offset the log writes its local times in (0 for $msec logs): for display

    @property
    def rps(self) -> float:
        return self.pool.window_rps


@dataclass
class FittedWorkload:
    paths: list[str]
    analysis: LogAnalysis
    apps: dict[str, AppWorkload] = field(default_factory=dict)

    def for_app(self, app_id: str) -> AppWorkload | None:
        return self.apps.get(app_id)

    def observed(self, route_id: str) -> RouteResult | None:
        return self.analysis.routes.get(route_id)

    @property
    def main(self) -> AppWorkload | None:
        """The app server with the most requests (the top-level JSON workload)."""
        usable = [app for app in self.apps.values() if app.service is not None]
        return max(usable, key=lambda app: app.pool.arrivals) if usable else None


def _address(link: Link) -> str:
    value = link.address.value
    return str(value)


def _targets(deployment: Deployment) -> list[RouteTarget]:
    by_route: dict[str, list[Link]] = {}
    for link in deployment.links:
        by_route.setdefault(link.route.id, []).append(link)
    targets = []
    for route_id, links in by_route.items():
        source = links[0].route.source
        targets.append(RouteTarget(route_id, tuple((link.app.id, _address(link)) for link in links),
                                   (source.path, source.line)))
    return targets


def _pools(deployment: Deployment) -> tuple[list[PoolSpec], float]:
    """Each app server's c and worker timeout as the model reads them (None when it cannot), and the horizon."""
    from advisor.queueing.params import ServiceTime
    from advisor.queueing.scenario import ScenarioError, scenario_for_link

    specs: dict[str, PoolSpec] = {}
    longest = 0.0
    for link in deployment.links:
        try:
            scenario = scenario_for_link(link, deployment, 1.0, ServiceTime.exponential(1.0))
        except ScenarioError:
            specs.setdefault(link.app.id, PoolSpec(link.app.id, None))
            continue
        settings = scenario.settings
        longest = max(longest, settings.read_timeout_s or 0.0)
        specs.setdefault(link.app.id, PoolSpec(link.app.id, settings.servers, settings.model_worker_timeout_s))
    horizon = min(MAX_HORIZON_S, max(MIN_HORIZON_S, 2 * longest))
    return list(specs.values()), horizon


def _service(pool: PoolResult) -> ServiceTime | None:
    from advisor.queueing.params import ServiceTime

    fit = pool.fit
    if fit is None:
        return None
    if fit.kind == "exponential":
        return ServiceTime.exponential(fit.mean_s)
    if not (math.isfinite(fit.median_s) and fit.median_s > 0):
        return None
    return ServiceTime.lognormal(fit.median_s, fit.sigma)


def fit_workload(deployment: Deployment, paths: list[str], *, log_format: str | None = None,
                 window: str | None = None, since: str | None = None, until: str | None = None) -> FittedWorkload:
    """Fit the workload of every app server the deployment links to from the access logs at `paths`.
    Raises AccessLogError (exit 2) when a log cannot be used."""
    sites = deployment.nginx.sites if deployment.nginx is not None else None
    pools, horizon = _pools(deployment)
    options = AnalyseOptions(window_s=parse_window(window), since=since, until=until, log_format=log_format,
                             horizon_s=horizon)
    try:
        analysis = analyse_logs(paths, sites, _targets(deployment), pools, options)
    except ValueError as error:  # --since/--until
        raise AccessLogError(str(error)) from None
    fitted = FittedWorkload(list(paths), analysis)
    for spec in pools:
        pool = analysis.pools.get(spec.app_id)
        if pool is None:
            continue
        service = _service(pool)
        problem = None
        if pool.arrivals < 2 or pool.window_rps <= 0:
            problem = f"only {pool.arrivals} request(s) in the log reached it: no rate to model"
        elif service is None:
            problem = (f"only {pool.samples.n} answered request(s) to fit a service time from (the fit needs at "
                       "least 10)")
        fitted.apps[spec.app_id] = AppWorkload(spec.app_id, pool, service if problem is None else None, problem,
                                               analysis.utc_offset_s)
    return fitted
