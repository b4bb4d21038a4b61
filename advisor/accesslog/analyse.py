"""One streaming pass over the access logs: per app server the arrival rate, the service-time samples and, per
route, the outcomes nginx logged.

What each logged request contributes:

* only requests nginx passed to an upstream count (`$upstream_response_time` is not `-`): they are the arrivals at
  the app server; static files, redirects and cached answers never reach it;
* the request started at its end time minus `$request_time`; it is counted in that second, for the mean rate and
  the busiest window;
* its outcome is its status: 502, 504 (read and connect timeouts alike), 500, other 5xx and 499 as "other", any
  other status as ok (the app answered);
* its service-time sample comes from the last upstream attempt (earlier ones, written before a comma, failed): a
  response is a sample; a connection nginx gave up on or that broke (`$upstream_header_time` is `-` but the connect
  succeeded) says only "longer than this" and is a censored sample; a refused or timed-out connect says nothing
  about the service time. An answer after gunicorn's worker timeout is the kill, also censored.

Memory stays bounded: the log is read line by line, the samples go into a fixed histogram, and only the requests of
the last `horizon_s` seconds are held (occupancy.py, windows.py).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from advisor.accesslog.choose import AccessLogError, FormatChoice, choose_format
from advisor.accesslog.fit import Fit, ServiceSamples
from advisor.accesslog.formats import unescape
from advisor.accesslog.matcher import request_path
from advisor.accesslog.occupancy import ServiceStarts
from advisor.accesslog.reader import LogFileError, TimeParser, open_lines, parse_point_in_time
from advisor.accesslog.routing import UNDECIDED, RouteResolver, RouteTarget
from advisor.accesslog.windows import OUTCOMES, WindowTracker
from advisor.model.nginx_sites import NginxSites

__all__ = ["AnalyseOptions", "LogAnalysis", "PoolResult", "PoolSpec", "RouteResult", "analyse_logs"]

MIN_SAMPLES = 50  # fewer reconstructed service times: fit all answered requests instead (and say so)
MIN_FIT_SAMPLES = 10


@dataclass(frozen=True)
class PoolSpec:
    """An app server as the model sees it: its request slots c (None: unknown) and its worker timeout."""

    app_id: str
    servers: int | None
    worker_timeout_s: float | None = None


@dataclass(frozen=True)
class AnalyseOptions:
    window_s: int | None = 60  # None: the whole period
    since: str | None = None
    until: str | None = None
    log_format: str | None = None
    horizon_s: float = 60.0  # how long a request may run and still be placed in its second / counted in flight


@dataclass
class RouteResult:
    route_id: str
    app_id: str
    window: list[int]  # outcome counts (OUTCOMES order) in the window the prediction uses
    total: list[int]  # over the whole period

    @staticmethod
    def shares(counts: list[int]) -> dict[str, float | int | None]:
        n = sum(counts)
        share = (lambda k: counts[k] / n) if n else (lambda k: None)
        return {"n": n, "p_ok": share(0), "p_502": share(1), "p_504": share(2), "p_500": share(3),
                "p_other": share(4)}


@dataclass
class PoolResult:
    app_id: str
    servers: int | None
    arrivals: int = 0
    first_start: float = math.inf
    last_start: float = -math.inf
    window_s: float = 0.0
    window_arrivals: int = 0
    window_start: float = 0.0
    window_kind: str = "whole period"  # or "busiest"
    mean_rps: float = 0.0
    window_rps: float = 0.0
    method: str = "all answered"  # "reconstructed": service times with the accept-queue wait taken out
    samples: ServiceSamples = field(default_factory=ServiceSamples)  # those the fit used
    answered: ServiceSamples = field(default_factory=ServiceSamples)  # every answered request (waits included)
    selected: int = 0  # requests whose service start the log tells (the samples of the "reconstructed" method)
    waited: int = 0  # of those: requests that waited in the accept queue first
    fits: list[Fit] = field(default_factory=list)
    empirical_mean_s: float | None = None
    empirical_mean_complete: bool = True
    empirical_p50_s: float | None = None
    empirical_p99_s: float | None = None
    retried: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def fit(self) -> Fit | None:
        return self.fits[0] if self.fits else None


@dataclass
class LogAnalysis:
    files: list[tuple[str, FormatChoice]]
    lines: int = 0
    parsed: int = 0
    unparsed: int = 0
    outside_period: int = 0
    not_proxied: int = 0
    undecided: int = 0
    unlinked: int = 0
    subsecond: bool = True
    period_start: float | None = None
    period_end: float | None = None
    utc_offset_s: float = 0.0
    pools: dict[str, PoolResult] = field(default_factory=dict)
    routes: dict[str, RouteResult] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Counters:
    lines: int = 0
    parsed: int = 0
    unparsed: int = 0
    not_proxied: int = 0


def _float(text: str) -> float | None:
    if not text or text == "-":
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _attempts(text: str) -> list[str]:
    """`$upstream_*` values, one per attempt: "0.002, 0.050 : 0.010" -> ["0.002", "0.050", "0.010"]."""
    return [part.strip() for part in text.replace(" : ", ", ").split(",")]


def _last(text: str) -> str:
    """The last attempt's value of an `$upstream_*` variable."""
    if ", " not in text and " : " not in text:
        return text
    return text.replace(" : ", ", ").rsplit(",", 1)[-1].strip()


def _records(path: str, choice: FormatChoice, resolver: RouteResolver, times: TimeParser, counters: _Counters
             ) -> Iterator[tuple]:
    """(end, start, status, target, last_s, before_s, connected, answered, attempts, address, connect_s) per
    proxied line."""
    fmt = choice.format
    index = {name: position for position, name in enumerate(fmt.fields)}
    match = fmt.pattern.match
    get = index.get
    i_msec, i_local, i_iso = get("msec"), get("time_local"), get("time_iso8601")
    i_rt, i_urt, i_status = get("request_time"), index["upstream_response_time"], get("status")
    i_uct, i_uht, i_addr = get("upstream_connect_time"), get("upstream_header_time"), get("upstream_addr")
    i_host, i_http_host, i_port, i_name = get("host"), get("http_host"), get("server_port"), get("server_name")
    i_request, i_request_uri, i_uri = get("request"), get("request_uri"), get("uri")
    escape = fmt.escape
    resolve = resolver.resolve
    try:
        for line in open_lines(path):
            counters.lines += 1
            found = match(line)
            if found is None:
                if line.strip():
                    counters.unparsed += 1
                continue
            counters.parsed += 1
            g = found.groups()
            urt = g[i_urt]
            if not urt or urt == "-":
                counters.not_proxied += 1
                continue
            if i_msec is not None:
                end = float(g[i_msec])
            elif i_local is not None:
                end = times.local(g[i_local])
            else:
                end = times.iso8601(g[i_iso])  # type: ignore[index]
            if "," in urt or " : " in urt:
                values = [_float(value) for value in _attempts(urt)]
                last = values[-1]
                total = sum(value for value in values if value is not None)
                attempts = len(values)
            else:
                last = total = float(urt)
                attempts = 1
            rt = g[i_rt] if i_rt is not None else "-"
            start = end - (float(rt) if rt and rt != "-" else total)
            status = int(g[i_status]) if i_status is not None and g[i_status] else 0
            connected = answered = None
            connect_s = 0.0
            if i_uct is not None:
                uct = g[i_uct]
                if ", " in uct or " : " in uct:
                    uct = _last(uct)
                connected = uct != "-" and uct != ""
                if connected:
                    connect_s = float(uct)
            if i_uht is not None:
                uht = g[i_uht]
                if ", " in uht or " : " in uht:
                    uht = _last(uht)
                answered = uht != "-" and uht != ""
            if i_request_uri is not None:
                target: str | None = g[i_request_uri]
            elif i_request is not None:
                parts = g[i_request].split(" ")
                target = parts[1] if len(parts) == 3 and parts[1][:1] == "/" else request_path(g[i_request])
            else:
                target = g[i_uri] if i_uri is not None else None
            if target and escape != "none" and "\\" in target:
                target = unescape(target, escape)
            address = _last(g[i_addr]) if i_addr is not None else None
            server_key = (g[i_host] if i_host is not None else g[i_http_host] if i_http_host is not None else None,
                          g[i_port] if i_port is not None else None, g[i_name] if i_name is not None else None)
            route = resolve(server_key, target or None)
            yield (end, start, status, route, last, total - (last or 0.0), connected, answered, attempts, address,
                   connect_s)
    except LogFileError as error:
        raise AccessLogError(str(error)) from None


_OUTCOME_OF = {502: 1, 504: 2, 500: 3, 499: 4}


class _AppState:
    """What one app server's requests add up to while the log is read."""

    def __init__(self, spec: PoolSpec | None, app_id: str, options: AnalyseOptions, subsecond: bool) -> None:
        self.spec = spec
        self.pool = PoolResult(app_id, spec.servers if spec else None)
        self.tracker = WindowTracker(options.window_s, options.horizon_s)
        self.worker_timeout = spec.worker_timeout_s if spec is not None else None
        self.reconstructed: ServiceSamples | None = None
        self.selector: ServiceStarts | None = None
        if spec is not None and spec.servers and subsecond:
            self.reconstructed = ServiceSamples()
            self.selector = ServiceStarts(spec.servers, options.horizon_s, self.reconstructed.add)

    def add(self, end: float, start: float, status: int, route_id: str, last: float | None, before: float,
            connected: bool | None, answered: bool | None, attempts: int, connect_s: float) -> None:
        pool = self.pool
        pool.arrivals += 1
        if start < pool.first_start:
            pool.first_start = start
        if start > pool.last_start:
            pool.last_start = start
        if attempts > 1:
            pool.retried += 1
        outcome = 0 if status < 499 else _OUTCOME_OF.get(status, 4 if status >= 500 else 0)
        self.tracker.add(int(start), route_id, outcome, end)
        value, censored, gave_up = _sample(status, last, connected, answered, self.worker_timeout)
        if value is None:
            return
        reconstructed = self.reconstructed
        if reconstructed is None or reconstructed.n < MIN_SAMPLES:  # the fallback is needed only until then
            pool.answered.add(value, censored)
        if self.selector is not None:
            kind = ServiceStarts.GAVE_UP if gave_up else ServiceStarts.KILLED if censored else ServiceStarts.ANSWERED
            upstream = start + before
            self.selector.add(upstream + connect_s, upstream + value, kind, end)


def analyse_logs(paths: list[str], sites: NginxSites | None, targets: list[RouteTarget], pools: list[PoolSpec],
                 options: AnalyseOptions) -> LogAnalysis:
    """Read every log once (several files merged by time) and summarise it per app server and route.
    Raises AccessLogError when a log cannot be used."""
    choices = [(path, choose_format(path, sites, options.log_format)) for path in paths]
    analysis = LogAnalysis(files=choices)
    analysis.subsecond = all(choice.format.has("msec") for _, choice in choices)
    times = TimeParser()
    counters = _Counters()
    streams = [_records(path, choice, RouteResolver(sites, targets, choice.servers), times, counters)
               for path, choice in choices]
    records = streams[0] if len(streams) == 1 else heapq.merge(*streams, key=lambda record: record[0])
    specs = {spec.app_id: spec for spec in pools}
    states: dict[str, _AppState] = {}
    since = until = None
    bounds_ready = False
    routes = analysis.routes
    for end, start, status, route, last, before, connected, answered, attempts, address, connect_s in records:
        if not bounds_ready:
            offset = times.offset_s or 0.0
            analysis.utc_offset_s = offset
            since = parse_point_in_time(options.since, offset) if options.since else None
            until = parse_point_in_time(options.until, offset) if options.until else None
            bounds_ready = True
        if (since is not None and start < since) or (until is not None and start >= until):
            analysis.outside_period += 1
            continue
        if route is None:
            analysis.unlinked += 1
            continue
        if route is UNDECIDED:
            analysis.undecided += 1
            continue
        apps = route.apps  # type: ignore[union-attr]
        app_id = apps[0][0] if len(apps) == 1 else _app_of(route, address)  # type: ignore[arg-type]
        if app_id is None:
            analysis.undecided += 1
            continue
        state = states.get(app_id)
        if state is None:
            state = states[app_id] = _AppState(specs.get(app_id), app_id, options, analysis.subsecond)
        route_id = route.route_id  # type: ignore[union-attr]
        if route_id not in routes:
            routes[route_id] = RouteResult(route_id, app_id, [0] * len(OUTCOMES), [0] * len(OUTCOMES))
        state.add(end, start, status, route_id, last, before, connected, answered, attempts, connect_s)
    analysis.lines, analysis.parsed, analysis.unparsed = counters.lines, counters.parsed, counters.unparsed
    analysis.not_proxied = counters.not_proxied
    results: dict[str, PoolResult] = {}
    for app_id, state in states.items():
        pool, tracker = state.pool, state.tracker
        results[app_id] = pool
        tracker.finish()
        if state.selector is not None:
            state.selector.finish()
            pool.selected, pool.waited = state.selector.selected, state.selector.waited
        _summarise(pool, tracker, state.reconstructed, options, analysis.subsecond)
        for route_id, counts in tracker.totals.items():
            routes[route_id].total = counts
            routes[route_id].window = (tracker.best_counts.get(route_id, [0] * len(OUTCOMES))
                                       if pool.window_kind == "busiest" else list(counts))
    analysis.pools = results
    starts = [pool.first_start for pool in results.values()]
    if starts:
        analysis.period_start = min(starts)
        analysis.period_end = max(pool.last_start for pool in results.values())
    return analysis


def _app_of(route: RouteTarget, address: str | None) -> str | None:
    if len({app for app, _ in route.apps}) == 1:
        return route.apps[0][0]
    for app, written in route.apps:
        if address is not None and written == address:
            return app
    return None  # several app servers behind the route and the log does not say which one answered


def _sample(status: int, last: float | None, connected: bool | None, answered: bool | None,
            worker_timeout: float | None) -> tuple[float | None, bool, bool]:
    """(value, censored, nginx gave up while the worker may still run it) of the last upstream attempt."""
    if last is None:
        return None, False, False
    if connected is None:  # no $upstream_connect_time: a refused connect takes no time
        connected = not (status == 502 and last < 0.001)
    if answered is None:  # no $upstream_header_time: nginx's own 502/504 and a client gone away are not answers
        answered = connected and status not in (502, 504, 499)
    if answered:
        killed = worker_timeout is not None and status >= 500 and last >= worker_timeout
        return last, killed, False
    if connected:
        return last, True, status in (504, 499)
    return None, False, False


def _summarise(pool: PoolResult, tracker: WindowTracker, starts: ServiceSamples | None, options: AnalyseOptions,
               subsecond: bool) -> None:
    span = pool.last_start - pool.first_start
    if subsecond:
        pool.mean_rps = (pool.arrivals - 1) / span if span > 0 and pool.arrivals > 1 else 0.0
    else:
        seconds = (tracker.last_second or 0) - (tracker.first_second or 0) + 1
        pool.mean_rps = pool.arrivals / seconds if seconds > 0 else 0.0
        span = float(seconds)
    window = options.window_s
    if window is None or span <= window or tracker.best_arrivals <= 0:
        pool.window_kind, pool.window_s, pool.window_rps = "whole period", span, pool.mean_rps
        pool.window_arrivals, pool.window_start = pool.arrivals, pool.first_start
    else:
        pool.window_kind, pool.window_s = "busiest", float(window)
        pool.window_arrivals = tracker.best_arrivals
        pool.window_rps = tracker.best_arrivals / window
        pool.window_start = float(tracker.best_end - window + 1)
    if starts is not None and starts.n >= MIN_SAMPLES:
        pool.method, pool.samples = "reconstructed", starts
    else:
        pool.method, pool.samples = "all answered", pool.answered
        if not subsecond:
            pool.notes.append("the log's times have whole seconds only ($time_local): the requests that waited in "
                              "the accept queue cannot be told apart, so the service time is fitted from every "
                              "answered request and includes that wait (an upper bound); log $msec to separate it")
        elif pool.servers is None:
            pool.notes.append("the app server's worker count is not known, so the requests that waited in the accept "
                              "queue cannot be told apart: the fitted service time includes that wait")
        else:
            pool.notes.append(f"the service start of only {starts.n if starts else 0} requests is known (fewer "
                              f"than {MIN_SAMPLES}): the service time is fitted from every answered request and "
                              "includes the accept-queue wait (an upper bound)")
    if pool.samples.n >= MIN_FIT_SAMPLES:
        points = pool.samples.kaplan_meier()
        pool.fits = pool.samples.fits()
        pool.empirical_mean_s, pool.empirical_mean_complete = pool.samples.empirical_mean(points)
        pool.empirical_p50_s = pool.samples.empirical_quantile(0.5, points)
        pool.empirical_p99_s = pool.samples.empirical_quantile(0.99, points)
    if pool.retried:
        pool.notes.append(f"{pool.retried} requests were retried by nginx (several values in "
                          "$upstream_response_time): each counts once, its last attempt gives the sample")
