"""The `model` fact namespace of a link: the queueing model's predictions at the given workload (issue "queueing
model", section "In `advisor check`").

With `--rps` and `--service-time` (or a configured pair's `workload`), every link gets the outcome shares the
M/M/c/K-with-deadline model predicts (`advisor.queueing`), the overload numbers and `recommend()`'s settings, each
computed at most once per link and run: the scenario (cheap) when the link's facts are built, the predictions on the
first outcome fact a rule reads, the recommendations (the slow part, a queue-size scan) on the first
`recommended_*` fact. Without a workload nothing from `advisor.queueing` is imported and every fact except
`workload_given`/`modelled` is absent ("no workload given: pass --rps and --service-time"). A link the model does
not apply to (event-loop workers) has the model's refusal as its absent reason; one with a value the model cannot
read (`workers` from the CPU count without --cpus) has unknown facts.

With `--access-log` (or a pair's `workload = {access-log = ...}`) the workload is fitted from nginx's access log
(advisor/accesslog): every app server gets its own rate and service time, and a link whose app server the log
never reached has no model facts ("absent", with the reason).

Each fact's source is derived from the config values the model read, gunicorn's first (so a finding points at the
app's `workers`/`backlog` line, or at the app config when they are defaults), then the nginx timeouts and the
workload.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable

from advisor.engine.fact_registry import fact_names
from advisor.engine.findings import Notice
from advisor.engine.namespace import Namespace
from advisor.model.deployment import Deployment, Link, Setting, Source
from advisor.model.workers import EVENT_LOOP_FAMILIES, worker_family
from advisor.units import format_duration, format_percent, format_rate

NO_WORKLOAD = "no workload given: pass --rps and --service-time"
# The namespace's facts by the step that computes them (declared in advisor/engine/fact_registry.py).
WORKLOAD_FACTS = fact_names("model", "workload")
SCENARIO_FACTS = fact_names("model", "scenario")
PREDICTION_FACTS = fact_names("model", "prediction")
RECOMMENDATION_FACTS = fact_names("model", "recommendation")
MODEL_FACTS = fact_names("model")


class WorkloadError(ValueError):
    """A workload that cannot be used (only one of rps/service time, a bad value); the message names the option."""


@dataclass(frozen=True, slots=True)
class Workload:
    """The load to predict for: `rps` requests/s with `service` (a parsed advisor.queueing ServiceTime)."""

    rps: float
    service_time: str  # as given, e.g. "100ms" or "p50=80ms,p99=900ms"
    service: Any  # advisor.queueing.params.ServiceTime
    error_budget: float
    origin: str  # where it was given, for provenance: "--rps 210 --service-time 100ms"
    # With an access log: the workload of each app server (by id), and why an app server has none.
    per_app: dict[str, Workload] | None = None
    problems: dict[str, str] | None = None

    @property
    def source(self) -> Source:
        return Source.option(self.origin)

    def for_app(self, app_id: str) -> tuple[Workload | None, str]:
        """The workload of one app server: this one, or with an access log the app server's own (None and the
        reason when the log gives none)."""
        if self.per_app is None:
            return self, ""
        found = self.per_app.get(app_id)
        if found is not None:
            return found, ""
        reason = (self.problems or {}).get(app_id, "no request in the access log reached this app server")
        return None, f"no workload from the access log: {reason}"


def resolve_workload(rps: float | None, service_time: str | None, error_budget: float | None,
                     origin: str = "") -> Workload | None:
    """A Workload from `--rps`/`--service-time`/`--error-budget` values; None when neither is given.

    Raises WorkloadError for one without the other, a non-positive rps, an unreadable service time or a budget
    outside [0, 1)."""
    if rps is None and not service_time:
        return None
    where = f" ({origin})" if origin else ""
    if rps is None:
        raise WorkloadError(f"--service-time needs --rps as well{where}: the model predicts errors at a given load, "
                            "e.g. --rps 200 --service-time 80ms")
    if not service_time:
        raise WorkloadError(f"--rps needs --service-time as well{where}: the mean time a worker spends on one "
                            "request (80ms), p50=80ms,p99=900ms or constant=50ms")
    if not (isinstance(rps, (int, float)) and math.isfinite(rps) and rps > 0):
        raise WorkloadError(f"--rps must be a positive number of requests/s{where}, got {rps!r}")
    budget = 0.001 if error_budget is None else error_budget
    if not 0 <= budget < 1:
        raise WorkloadError(f"--error-budget must be a share between 0 and 1 (0.001 = 0.1 %), got {budget!r}")
    from advisor.queueing.params import ParameterError, check_workload, parse_service_time

    try:
        service = parse_service_time(service_time)
    except ValueError as error:
        raise WorkloadError(f"--service-time {service_time!r}{where}: {error}") from None
    try:
        check_workload(float(rps), service)
    except ParameterError as error:
        raise WorkloadError(f"{error}{where}") from None
    return Workload(float(rps), service_time, service, float(budget),
                    origin or f"--rps {rps:g} --service-time {service_time}")


def workload_for_run(given: Any, pair: Any = None, deployment: Deployment | None = None) -> Workload | None:
    """The workload of one `advisor check` run: `given` has the command line's rps/service_time/error_budget
    (options.Workload, already merged with the project config's error budget) and access logs; a configured pair's
    `workload = {rps, service-time}` or `{access-log}` fills what the command line leaves out. Access logs are fitted
    against `deployment` (the routes and app servers of this run)."""
    rps, service_time = given.rps, given.service_time
    pair_workload = getattr(pair, "workload", None)
    logs = list(getattr(given, "access_logs", None) or ())
    if logs and (rps is not None or service_time):
        raise WorkloadError("--access-log fits the rate and the service time from the log: leave out --rps and "
                            "--service-time")
    log_format, window = getattr(given, "log_format", None), getattr(given, "window", None)
    origin = ""
    if not logs and rps is None and not service_time and pair_workload is not None \
            and getattr(pair_workload, "access_logs", ()):
        logs = list(pair_workload.access_logs)
        log_format = log_format or pair_workload.log_format
        window = window or pair_workload.window
        origin = f"workload of pair {getattr(pair, 'label', '?')} in the project config: "
    if logs:
        return _workload_from_logs(logs, log_format, window, given.error_budget, deployment, origin)
    if pair_workload is not None:
        from_pair = (rps is None and pair_workload.rps is not None,
                     service_time is None and pair_workload.service_time is not None)
        rps = pair_workload.rps if from_pair[0] else rps
        service_time = pair_workload.service_time if from_pair[1] else service_time
        if any(from_pair):
            origin = f"workload of pair {getattr(pair, 'label', '?')} in the project config"
    return resolve_workload(rps, service_time, given.error_budget, origin)


def _workload_from_logs(logs: list[str], log_format: str | None, window: str | None, error_budget: float | None,
                        deployment: Deployment | None, origin: str) -> Workload:
    """Each app server's workload fitted from the access logs (advisor.accesslog.workload)."""
    from advisor.accesslog.workload import AccessLogError, fit_workload

    if deployment is None:
        raise WorkloadError("--access-log needs the deployment to read the log against")
    budget = 0.001 if error_budget is None else error_budget
    try:
        fitted = fit_workload(deployment, logs, log_format=log_format, window=window)
    except AccessLogError as error:
        raise WorkloadError(str(error)) from None
    where = origin + "--access-log " + ", ".join(logs)
    per_app: dict[str, Workload] = {}
    problems: dict[str, str] = {}
    for app_id, app in fitted.apps.items():
        if app.service is None:
            problems[app_id] = app.problem or "too few requests"
            continue
        pool = app.pool
        window_words = (f"busiest {format_duration(pool.window_s)} window" if pool.window_kind == "busiest"
                        else "whole log")
        description = f"{app.service.describe()}, fitted from the access log"
        per_app[app_id] = Workload(app.rps, description, app.service, float(budget),
                                   f"{where} ({window_words}: {format_rate(app.rps)})")
    main = fitted.main
    return Workload(main.rps if main is not None else 0.0, "fitted from the access log",
                    main.service if main is not None else None, float(budget), where, per_app=per_app,
                    problems=problems)


# The model work of one run is bounded: a thousand links to one app share a solution, but a config whose links all
# differ (each its own read timeout) would solve the model once per link. Past these many distinct parameter sets,
# the remaining links' predictions (or recommendations) are unknown, their rules skip, and a notice says so.
MAX_PREDICTED = 400  # predictions: two solves each (at the load and in overload)
MAX_RECOMMENDED = 24  # recommendations: a scan over queue sizes each


class ModelMemo:
    """The model's solutions in one run, per distinct parameter record (links to the same app with the same
    settings share them), within a budget of distinct records per kind of work."""

    def __init__(self, max_predicted: int | None = None, max_recommended: int | None = None) -> None:
        self.limits = {"predictions": MAX_PREDICTED if max_predicted is None else max_predicted,
                       "recommendations": MAX_RECOMMENDED if max_recommended is None else max_recommended}
        self._solved: dict[str, dict[Any, Any]] = {"predictions": {}, "recommendations": {}}
        self.refused: dict[str, set[int]] = {"predictions": set(), "recommendations": set()}  # links, by id

    def solve(self, kind: str, key: Any, link: Link, compute: Callable[[], Any]) -> Any:
        """`compute()` once per `key` (None when the budget of `kind` is spent)."""
        solved = self._solved[kind]
        try:
            found = solved.get(key, _MISSING)
        except TypeError:  # an unhashable record: solved alone, still within the budget
            key, found = object(), _MISSING
        if found is not _MISSING:
            return found
        if len(solved) >= self.limits[kind]:
            self.refused[kind].add(id(link))
            return None
        solved[key] = found = compute()
        return found

    def over_budget(self, kind: str) -> str:
        """Why a link's `kind` is unknown past the budget."""
        return (f"not modelled: the model's {kind} were computed for {self.limits[kind]} distinct link settings, "
                "the limit per run")

    def notices(self) -> list[Notice]:
        """What the budget left out: one notice per kind of work that refused a link."""
        notices = []
        for kind, links in self.refused.items():
            if links:
                count = len(links)
                notices.append(Notice(
                    f"{count} {'link' if count == 1 else 'links'} got no queueing-model {kind}: they were computed "
                    f"for {self.limits[kind]} distinct link settings, the limit per run, and the rules that read "
                    f"them skipped {'it' if count == 1 else 'the others'} (--explain-skips lists them); check fewer "
                    "routes at once to model them all"))
        return notices


_MISSING = object()


def model_namespace(link: Link, deployment: Deployment, workload: Workload | None,
                    memo: ModelMemo | None = None) -> Namespace:
    """The `model` namespace of one link (see the module docstring). `memo`: the run's ModelMemo (a fresh one
    for this link alone when None)."""
    app = link.app
    anchor = app.source if app.source.position() is not None or not app.source.path \
        else Source.file(app.source.path, 1)
    label = f"the model of {link.route.id} -> {app.id}"
    if workload is not None:
        workload, reason = workload.for_app(app.id)
    else:
        reason = NO_WORKLOAD
    if workload is None:
        not_given = Setting(False, Source.derived(reason, anchor))
        return Namespace("model", {"workload_given": not_given, "modelled": not_given}, anchor, label,
                         absent_reason=reason)
    model = _LinkModel(link, deployment, workload, anchor, memo or ModelMemo())
    facts = model.workload_facts()
    from advisor.queueing.params import ParameterError
    from advisor.queueing.scenario import ScenarioError

    try:
        facts.update(model.scenario_facts())
    except (ScenarioError, ParameterError) as error:  # ParameterError: a value beyond physical limits
        reason = (str(error) if isinstance(error, ScenarioError)
                  else f"cannot model {link.route.id} -> {app.id}: {error}")
        facts["modelled"] = Setting(False, Source.derived(f"not modelled: {reason}", anchor))
        if model.does_not_apply():
            return Namespace("model", facts, anchor, label, absent_reason=reason)
        unknown = Setting(None, Source.unknown(reason, app.source.path))
        facts.update({name: unknown for name in SCENARIO_FACTS | PREDICTION_FACTS | RECOMMENDATION_FACTS})
        return Namespace("model", facts, anchor, label)
    lazy: dict[str, Callable[[], Setting | None]] = {name: partial(model.predicted, name)
                                                     for name in PREDICTION_FACTS}
    lazy.update({name: partial(model.recommended, name) for name in RECOMMENDATION_FACTS})
    return Namespace("model", facts, anchor, label, lazy=lazy)


_GUNICORN_INPUTS = ("workers", "threads", "worker_connections", "backlog", "somaxconn", "timeout")


class _LinkModel:
    """Builds one link's model facts step by step (scenario -> prediction -> recommendations)."""

    def __init__(self, link: Link, deployment: Deployment, workload: Workload, anchor: Source,
                 memo: ModelMemo) -> None:
        self.link = link
        self.deployment = deployment
        self.workload = workload
        self.anchor = anchor
        self.memo = memo
        self.scenario: Any = None  # advisor.queueing.scenario.Scenario
        self.prediction: Any = None  # Prediction at the workload
        self.overload: Any = None  # Prediction at 1.2 × capacity
        self._predicted: dict[str, Setting] | None = None
        self._recommended: dict[str, Setting] | None = None

    # -- provenance -----------------------------------------------------------------------------------------------

    def source(self, formula: str, *first: str) -> Source:
        """Derived from the named settings first, then the app config (the finding's place when those are defaults
        without a line), the model's other inputs and the workload."""
        sources = self.scenario.setting_sources if self.scenario is not None else {}
        inputs = [sources[name] for name in first if name in sources]
        inputs.append(self.anchor)
        inputs.extend(sources[name] for name in _GUNICORN_INPUTS if name in sources and name not in first)
        inputs.extend(source for name, source in sources.items() if name not in first and name not in
                      _GUNICORN_INPUTS)
        inputs.append(self.link.address.source)
        inputs.append(self.workload.source)
        return Source.derived(f"{formula} ({self.describe_load()})", *inputs)

    def describe_load(self) -> str:
        return f"queueing model at {self.workload.rps:g} requests/s, service time {self.workload.service_time}"

    def fact(self, value: Any, formula: str, *first: str) -> Setting:
        return Setting(value, self.source(formula, *first))

    # -- groups ---------------------------------------------------------------------------------------------------

    def workload_facts(self) -> dict[str, Setting]:
        load = self.workload
        given = Source.derived("the workload", self.anchor, load.source)
        return {
            "workload_given": Setting(True, given),
            "rps": Setting(load.rps, load.source),
            "service_time": Setting(load.service.mean_s, load.source),
            "service": Setting(load.service.describe(), load.source),
            "budget": Setting(load.error_budget, load.source),
            "offered_concurrency": Setting(load.rps * load.service.mean_s,
                                           Source.derived("requests in service on average: rps × mean service "
                                                          "time (Little's law)", self.anchor, load.source)),
        }

    def scenario_facts(self) -> dict[str, Setting]:
        """Raises advisor.queueing.scenario.ScenarioError when the link cannot be modelled (ParameterError when a
        value is beyond physical limits)."""
        from advisor.queueing.params import check_pool
        from advisor.queueing.scenario import scenario_for_link

        scenario = self.scenario = scenario_for_link(self.link, self.deployment, self.workload.rps,
                                                     self.workload.service)
        settings = scenario.settings
        check_pool(settings.family, settings.workers, settings.threads)
        return {
            "modelled": self.fact(True, "the link maps onto the queueing model"),
            "family": self.fact(settings.family, "worker family as the model sees it", "worker_class"),
            "servers": self.fact(settings.servers, "c: concurrent request slots"),
            "queue_room": self.fact(settings.queue_room, "Q: requests that can wait for a slot", "backlog",
                                    "worker_connections"),
            "read_timeout": Setting(settings.read_timeout_s,
                                    scenario.setting_sources[f"{scenario.nginx_prefix}_read_timeout"]),
            "capacity_rps": self.fact(scenario.capacity_rps, "max throughput c / E[H]"),
        }

    def does_not_apply(self) -> bool:
        """The model refuses event loops (standalone uvicorn, UvicornWorker, asgi, tornado) and uWSGI links that are
        no pool of slots (an HTTP router, a protocol mismatch): their links skip as "absent" (nothing to predict);
        any other refusal is an unknown value (the rules cannot decide)."""
        app = self.link.app
        if app.kind == "uwsgi":
            from advisor.queueing.uwsgi_pool import uwsgi_refusal

            return uwsgi_refusal(self.link) is not None
        if app.kind != "gunicorn":
            return True
        worker_class = app.settings.get("worker_class")
        return bool(worker_class is not None and worker_class.known
                    and worker_family(worker_class.value) in EVENT_LOOP_FAMILIES)

    def predicted(self, name: str) -> Setting | None:
        if self._predicted is None:
            self._predicted = self.prediction_facts()
        return self._predicted.get(name)

    def recommended(self, name: str) -> Setting | None:
        if self._recommended is None:
            self._recommended = self.recommendation_facts()
        return self._recommended.get(name)

    def prediction_facts(self) -> dict[str, Setting]:
        from advisor.queueing.analytic import predict
        from advisor.queueing.recommend import error_share
        from advisor.queueing.scenario import OVERLOAD_FACTOR

        scenario = self.scenario
        overload_rps = OVERLOAD_FACTOR * scenario.capacity_rps
        solved = self.memo.solve("predictions", (scenario.settings, scenario.params), self.link, lambda: (
            predict(scenario.params), predict(scenario.at_rps(overload_rps), latencies=False)))
        if solved is None:
            return self._unknown(PREDICTION_FACTS, self.memo.over_budget("predictions"))
        p, over = self.prediction, self.overload = solved
        deadline = scenario.params.read_timeout_s
        facts = {key: self.fact(getattr(p, key), f"predicted {key}", "workers") for key in (
            "p_ok", "p_502", "p_504", "p_504_connect", "p_500", "utilization", "rho", "goodput_rps", "collapse")}
        facts["error_share"] = self.fact(error_share(p), "predicted share of 502 + 504 + 500", "workers")
        facts["latency_p99_s"] = (self.fact(p.latency_p99_s, "p99 latency of successful requests")
                                  if p.latency_p99_s is not None
                                  else Setting.unknown("no successful requests to speak of"))
        facts["drain_time_s"] = self.fact(p.drain_time_s, "drain time of a full queue Q × E[H] / c", "backlog",
                                          "worker_connections")
        facts["mean_holding_s"] = self.fact(p.mean_holding_s, "E[H]: time a request holds a slot")
        facts["overload_collapse"] = self.fact(
            deadline is not None and p.drain_time_s + p.mean_holding_s > deadline,
            "a full queue drains slower than the read timeout: drain time + E[H] > T", "backlog",
            "worker_connections")
        facts["overload_rps"] = self.fact(overload_rps, f"{OVERLOAD_FACTOR:g} × capacity")
        facts["overload_p_ok"] = self.fact(over.p_ok, "predicted ok share at 1.2 × capacity", "backlog")
        facts["overload_p_502"] = self.fact(over.p_502, "predicted 502 share at 1.2 × capacity", "backlog")
        facts["overload_p_504"] = self.fact(over.p_504 + over.p_504_connect, "predicted 504 share at 1.2 × capacity",
                                            "backlog")
        facts["overload_p_500"] = self.fact(over.p_500, "predicted 500 share at 1.2 × capacity", "backlog")
        return facts

    def recommendation_facts(self) -> dict[str, Setting]:
        scenario = self.scenario
        if self.overload is None:
            self.predicted("p_ok")
        if self.overload is None:  # no predictions: past the budget
            return self._unknown(RECOMMENDATION_FACTS, self.memo.over_budget("predictions"))
        # recommend() reads the settings, the load, the app (its config file and kind: how a line is written) and
        # these parts of the link; the routes' own places only say where to write a line, which no fact holds.
        key = (scenario.settings, scenario.params, self.workload.error_budget, id(scenario.app), scenario.nginx_prefix,
               scenario.cpus, scenario.upstream_keepalive, scenario.shared_with, self.overload.offered_rps)
        solved = self.memo.solve("recommendations", key, self.link, self._recommend)
        if solved is None:
            return self._unknown(RECOMMENDATION_FACTS, self.memo.over_budget("recommendations"))
        (described, recommended_by, workers, backlog, connections, queue_parts, queue_first, queue_ok, after_ok,
         after_errors, after_utilization) = solved
        return {
            "recommendations": self.fact(list(described), "recommend(): settings in order", *recommended_by),
            "recommended_workers": self.fact(workers, "workers for the target utilisation", "workers"),
            "recommended_backlog": self.fact(backlog, "backlog that maximises the ok share", "backlog"),
            "recommended_worker_connections": self.fact(connections, "gthread worker_connections",
                                                        "worker_connections"),
            "recommended_queue": self.fact(" and ".join(queue_parts), "the recommended queue size", *queue_first),
            "recommended_backlog_p_ok": self.fact(
                queue_ok, "predicted ok share at 1.2 × capacity with only the recommended queue size", *queue_first),
            "recommended_p_ok": self.fact(after_ok, "predicted ok share with every recommendation"),
            "recommended_error_share": self.fact(after_errors, "predicted errors with every recommendation"),
            "recommended_utilization": self.fact(after_utilization, "predicted utilisation with every "
                                                                    "recommendation"),
        }

    def _recommend(self) -> tuple[Any, ...]:
        """recommend()'s values for this link's parameters (shared by the links with the same; see the key)."""
        from advisor.queueing.analytic import predict
        from advisor.queueing.recommend import error_share, recommend

        scenario = self.scenario
        items, final = recommend(scenario, error_budget=self.workload.error_budget)
        current = scenario.settings
        by_setting = {item.setting: item for item in items}
        backlog = by_setting["backlog"].recommended if "backlog" in by_setting else current.backlog
        connections = (by_setting["worker_connections"].recommended if "worker_connections" in by_setting
                       else current.worker_connections)
        workers = by_setting["workers"].recommended if "workers" in by_setting else current.workers
        queue_parts = tuple(f"{name} = {by_setting[name].recommended}" for name in ("worker_connections", "backlog")
                            if name in by_setting)
        queue_only = scenario.with_settings(backlog=backlog, worker_connections=connections)
        queue_ok = predict(queue_only.at_rps(self.overload.offered_rps), latencies=False).p_ok
        after = predict(final.params, latencies=False)
        queue_first = tuple(name for name in ("worker_connections", "backlog") if name in by_setting) or ("backlog",)
        return ([_describe(item) for item in items], tuple(item.setting for item in items), workers, backlog,
                connections, queue_parts, queue_first, queue_ok, after.p_ok, error_share(after), after.utilization)

    def _unknown(self, names: frozenset[str], reason: str) -> dict[str, Setting]:
        unknown = Setting(None, Source.unknown(reason, self.link.app.source.path))
        return {name: unknown for name in names}


def _describe(item: Any) -> str:
    """`workers = 8 (errors 100% → 0.02%)`: one recommendation with its predicted effect at this load, else in
    overload, else what it is for."""
    from advisor.queueing.recommend import error_share
    from advisor.queueing.scenario import OVERLOAD_FACTOR

    line = item.line.rstrip(";") if item.file == "nginx" else item.line
    before, after = error_share(item.before), error_share(item.after)
    if abs(before - after) >= 1e-4:
        return f"{line} (errors {format_percent(before)} → {format_percent(after)})"
    over_before, over_after = item.overload_before.p_ok, item.overload_after.p_ok
    if abs(over_before - over_after) >= 1e-3:
        return (f"{line} (ok {format_percent(over_before)} → {format_percent(over_after)} at {OVERLOAD_FACTOR:g}× "
                "capacity)")
    if item.setting.endswith("_connect_timeout"):
        return f"{line} (a full accept queue then fails fast instead of after SYN retries of 1 s and more)"
    if item.setting == "timeout":
        return f"{line} (gunicorn then frees a stuck worker before nginx answers 504)"
    return line
