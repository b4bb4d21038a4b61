"""`advisor model`: the queueing model of every nginx -> gunicorn link, with sources, verdict and recommendations.

For each link (an nginx route reaching an app server) the command maps the configuration onto M/M/c/K with a
deadline and no abandonment (`advisor.queueing.scenario`), predicts the outcome shares at ``--rps`` with the
``--service-time`` distribution, compares the error share with ``--error-budget``, recommends changes (each with its
predicted effect), answers "what happens if all workers are busy and a request comes in?", and draws the ok / 502 /
504 / 500 shares against offered load for the current and the recommended settings (a text chart; ``--plot FILE``
writes a PNG or SVG with matplotlib). ``--simulate`` reports the discrete-event simulator's numbers instead of the
formulas, and prints the formula value wherever it lies outside the simulator's 95 % band for a run of that length;
it spends at most SIM_BUDGET_S of wall time (all links together): fewer band runs first, then shorter runs than
``--duration``, each said in a note. The text output (`model_text`) is one compact block per app server and
parameter set; ``--explain`` adds the provenance of every parameter, the narrative, the notes and the chart. How
the model works: docs/model.md.

With ``--access-log`` (instead of ``--rps``/``--service-time``) every app server's rate and service-time distribution
are fitted from nginx's access logs (advisor/accesslog, docs/access-log.md), and each route's block also shows what
the log observed and whether the model explains it. A log that cannot be used (no upstream timings, unknown format,
unreadable) is a usage error (exit 2).

Exit codes: 0 every modelled link is within the error budget; 1 some link's predicted error share (502 + 504 + 500)
exceeds it; 2 usage errors: a bad option value (--service-time, --rps, --plot suffix, missing matplotlib), no input
files, no link between nginx and an app server, or a link that cannot be modelled (an unknown value such as
`workers = multiprocessing.cpu_count() * 2 + 1` without --cpus; an event-loop worker class; a value beyond what one
host can run, e.g. more workers than Linux runs processes). Links that can be modelled are still reported when
another one fails.

JSON (``--output-format json``), stable; fractions are of all requests, times in seconds, rates in requests/s::

    {
      "workload": {"rps", "service_time": {"kind", "scale_s", "sigma", "mean_s", "scv", "description"},
                   "error_budget", "target_utilization"},
                  (with --access-log: "source": "access-log", "rps" the rate used, "service_time" also with
                   "p50_s", "p99_s", "distribution", "fit", "empirical"; "window", "logs", "lines", "period",
                   "apps": see advisor/commands/model_json.py)
      "predictions": [{
          "link", "route", "app", "upstream",
          ...every key of Prediction.to_dict(): "servers", "queue_capacity", "offered_rps", "rho", "utilization",
             "p_ok", "p_502", "p_503", "p_504", "p_504_connect", "p_500" (the outcome record, queueing/outcome.py;
             p_503: refused by the app server itself), "p_refused", "p_worker_killed", "latency_p50_s",
             "latency_p99_s", "mean_wait_s", "p_wait", "max_throughput_rps", "throughput_rps", "goodput_rps",
             "mean_holding_s", "drain_time_s", "fill_time_s", "relaxation_time_s", "collapse", "model",
             "approximate", "approximation_reason",
          "overload_rps", "overload_fill_time_s",     (fill time of the queue at 1.2x capacity)
          "error_share", "error_budget", "verdict",   ("within-budget" | "over-budget")
          "parameters": {name: {"value", "source", "meaning", "provenance": {setting: Source.to_dict()}}}
                        for c, Q, K, backlog, somaxconn, lambda, S, T, Tc, Tw, R, socket, worker_timeout_status,
          "notes": [str], "narrative": [str],
          "model_source": "analytic" | "simulation",   (with --simulate the outcome keys p_*, utilization,
                        latency_*, mean_wait_s, p_wait, throughput_rps, goodput_rps, model are the simulator's)
          "analytic": {Prediction.to_dict()}          (only with --simulate: the formulas' numbers)
          "workload", "observed": {"n", "p_ok", "p_502", "p_504", "p_500", "p_other"}, "observed_whole_period",
          "agreement": {"verdict", "shares"}                            (only with --access-log)
          "simulation": {"duration_s", "warmup_s", "seed", "band_runs", "band": {key: [lo, hi]},
                         "differences": [{"key", "analytic", "simulated", "band": [lo, hi]}],
                         "counts", "wasted_work_fraction", "model"}     (only with --simulate)
          "load_curve": {"current": [point], "recommended": [point]}    point: {"offered_rps", "p_ok", "p_500",
                        "p_502", "p_503", "p_504"} (504: read + connect); 41 loads from 0 to 2x the larger capacity;
                        "recommended" repeats "current" when nothing is recommended
      }],
      "recommendations": [{"link", "setting", "file" ("gunicorn" | "nginx"), "current", "recommended", "where",
                           "line", "reason", "predicted": summary, "before": summary, "overload_rps",
                           "predicted_overload": summary, "before_overload": summary}],
                         summary: {"p_ok", "p_502", "p_503", "p_504", "p_504_connect", "p_500", "error_share",
                                   "utilization", "latency_p50_s", "latency_p99_s"}
                         (cumulative: "before" includes the recommendations listed earlier for the same link)
      "errors": [{"link", "message"}],
      "plot": path or null
    }
"""

from __future__ import annotations

import json
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from typing import IO, TYPE_CHECKING, Any

from advisor.commands.model_report import LinkReport, ModelOutcome, Simulation
from advisor.commands.model_text import render_text
from advisor.commands.options import HostFacts, Inputs
from advisor.privacy import redact_naming_outside, redact_structure
from advisor.units import format_duration

if TYPE_CHECKING:
    from advisor.accesslog.workload import AppWorkload, FittedWorkload
    from advisor.queueing.params import ServiceTime
    from advisor.queueing.scenario import Scenario

__all__ = ["ModelOptions", "run"]

COMPARED_KEYS = ("p_ok", "p_502", "p_503", "p_504", "p_504_connect", "p_500", "utilization", "latency_p50_s",
                 "latency_p99_s")
SIM_KEYS = COMPARED_KEYS + ("p_refused", "p_worker_killed", "mean_wait_s", "p_wait", "throughput_rps",
                            "goodput_rps")
SIM_BUDGET_S = 2.0  # wall time --simulate spends in one run of the command, all links together
SIM_MIN_LINK_BUDGET_S = 0.25
SIM_MAX_WORKERS = 4096  # per-worker queues the simulator follows one by one
BAND_RUNS, BAND_TARGET_RUNS, BAND_MIN_RUNS = 40, 20, 5
PILOT_REQUESTS = 5000  # the pilot run that measures the simulator's speed on this system
MIN_MEASURED_S = 1.0
MIN_MEASURED_REQUESTS = 200


@dataclass(slots=True)
class ModelOptions:
    inputs: Inputs
    host: HostFacts
    rps: float | None = None
    service_time: str | None = None
    error_budget: float = 0.001
    target_utilization: float = 0.7
    simulate: bool = False
    duration_s: float = 60.0
    seed: int = 0
    plot: str | None = None
    output_format: str = "text"
    color: str = "auto"
    debug: bool = False
    explain: bool = False  # text: add the parameters' provenance, the narrative, notes and the chart
    access_logs: list[str] = field(default_factory=list)  # fit rps and service time from these nginx access logs
    log_format: str | None = None  # a log_format name of the config, or the format text
    window: str | None = None  # the window whose rate the prediction uses: "1m" (default) or "all"
    since: str | None = None
    until: str | None = None


class _UsageError(Exception):
    pass


# -- option checks --------------------------------------------------------------------------------------------------


def _check_options(options: ModelOptions) -> ServiceTime | None:
    """Validate the options; returns the parsed ServiceTime (None with --access-log: it is fitted). Raises
    _UsageError with the message to print."""
    from advisor.queueing.params import ParameterError, check_workload, parse_service_time

    if options.output_format not in ("text", "json"):
        raise _UsageError(f"unknown output format {options.output_format!r} for model (text, json)")
    if options.color not in ("auto", "always", "never"):
        raise _UsageError(f"--color must be auto, always or never, got {options.color!r}")
    if options.access_logs:
        if options.rps is not None or options.service_time is not None:
            raise _UsageError("--access-log fits the rate and the service time from the log: leave out --rps and "
                              "--service-time (or leave out --access-log to model a load of your own)")
        _check_common(options)
        return None
    if any(value is not None for value in (options.log_format, options.window, options.since, options.until)):
        raise _UsageError("--log-format, --window, --since and --until read an access log: add --access-log PATH")
    if options.rps is None:
        raise _UsageError("--rps is required: the offered load on the app server in requests/s, e.g. --rps 120")
    if not (math.isfinite(options.rps) and options.rps > 0):
        raise _UsageError(f"--rps must be a positive number of requests/s, got {options.rps!r}")
    if options.service_time is None:
        raise _UsageError("--service-time is required: the mean time a worker spends on one request (80ms), "
                          "p50=80ms,p99=900ms or constant=50ms")
    try:
        service = parse_service_time(options.service_time)
    except ValueError as error:
        raise _UsageError(f"--service-time: {error}") from None
    try:
        check_workload(options.rps, service)
    except ParameterError as error:
        raise _UsageError(str(error)) from None
    _check_common(options)
    return service


def _check_common(options: ModelOptions) -> None:
    from advisor.queueing.plot import PLOT_SUFFIXES, matplotlib_missing_message

    if not 0 <= options.error_budget < 1:
        raise _UsageError("--error-budget must be a share between 0 and 1 (0.001 = 0.1 %), "
                          f"got {options.error_budget!r}")
    if not 0 < options.target_utilization <= 1:
        raise _UsageError(f"--target-utilization must be in (0, 1], got {options.target_utilization!r}")
    if not (math.isfinite(options.duration_s) and options.duration_s > 0):
        raise _UsageError(f"--duration must be a positive number of seconds, got {options.duration_s!r}")
    if options.plot is not None:
        if not options.plot.lower().endswith(PLOT_SUFFIXES):
            raise _UsageError(f"--plot {options.plot}: the file name must end in .png or .svg")
        missing = matplotlib_missing_message()
        if missing:
            raise _UsageError(missing)


# -- analysis -------------------------------------------------------------------------------------------------------


def _analyse(scenario: Scenario, options: ModelOptions) -> LinkReport:
    from advisor.queueing.analytic import predict
    from advisor.queueing.narrative import what_happens_when_busy
    from advisor.commands.model_report import LazyPanel
    from advisor.queueing.plot import load_axis, outcome_curve
    from advisor.queueing.recommend import recommend
    from advisor.queueing.scenario import OVERLOAD_FACTOR

    prediction = predict(scenario.params)
    recommendations, recommended = recommend(scenario, target_utilization=options.target_utilization,
                                             error_budget=options.error_budget)
    narrative = what_happens_when_busy(scenario.params, prediction, upstream=scenario.upstream,
                                       sources=scenario.narrative_sources())
    if scenario.settings.family == "uwsgi":
        from advisor.queueing.uwsgi_narrative import adapt_uwsgi_narrative

        narrative = adapt_uwsgi_narrative(scenario, narrative, prediction.p_worker_killed)
    elif scenario.settings.family == "event-loop":
        from advisor.queueing.loop_narrative import event_loop_narrative

        narrative = event_loop_narrative(scenario, prediction)
    else:
        narrative = _adapt_narrative(scenario, narrative)
    axis = load_axis(scenario.capacity_rps, scenario.rps, other_capacities=(recommended.capacity_rps,))
    current_curve = LazyPanel("current settings", lambda: outcome_curve(scenario.at_rps, axis),
                              scenario.capacity_rps)
    recommended_curve = None
    if recommendations:
        recommended_curve = LazyPanel("recommended settings", lambda: outcome_curve(recommended.at_rps, axis),
                                      recommended.capacity_rps)
    overload = OVERLOAD_FACTOR * prediction.max_throughput_rps
    fill = (scenario.params.queue_room / (overload - prediction.max_throughput_rps)
            if math.isfinite(overload) and not scenario.params.unbounded else math.inf)
    return LinkReport(scenario, prediction, recommendations, recommended, narrative, current_curve,
                       recommended_curve, overload, fill, options.error_budget)


def _adapt_narrative(scenario: Scenario, lines: list[str]) -> list[str]:
    """The narrative's first statement describes sync workers and the kernel queue; say what gthread/gevent do."""
    from advisor.queueing.scenario import describe_source

    s = scenario.settings
    if s.family == "sync" or not lines:
        return lines
    listener = "unix socket" if s.socket == "unix" else "TCP listener"
    sources = scenario.setting_sources
    kernel = (f"the kernel accept queue of the gunicorn {listener} {scenario.upstream}: min(backlog {s.backlog} "
              f"({describe_source(sources['backlog'])}), net.core.somaxconn {s.somaxconn}) + 1 = "
              f"{s.kernel_queue_room} connections")
    if s.family == "gthread":
        first = (f"All {s.servers} request slots ({s.workers} gthread workers ({describe_source(sources['workers'])}) "
                 f"x {s.slots_per_worker} threads) are busy. A gthread worker keeps accepting connections up to "
                 f"worker_connections {s.worker_connections} ({describe_source(sources['worker_connections'])}) and "
                 f"queues them inside the worker, where nginx cannot see them: nginx's connect succeeds at "
                 f"once, so these {s.worker_queue_room} queued requests can only end as 504s, never as fast 502s. "
                 f"Only when every worker holds {s.worker_connections} connections do new ones wait in {kernel}. "
                 f"In total Q = {s.queue_room} connections can wait.")
    else:
        first = (f"All {s.servers} greenlets ({s.workers} gevent workers x worker_connections "
                 f"{s.worker_connections}) are busy, so new connections wait in {kernel}. (The model assumes the "
                 "event loop itself is never the bottleneck.)")
    return [first, *lines[1:]]


def _simulate(report: LinkReport, options: ModelOptions, budget_s: float) -> tuple[Simulation, str | None]:
    """The simulator's numbers and band for one link within ``budget_s`` of wall time, and a note when the budget
    shortened the measurement."""
    from advisor.queueing.simulate import Band, band, simulate

    params = report.scenario.params
    p = report.prediction
    label = report.scenario.label
    if params.partitioned and (params.workers or 1) > SIM_MAX_WORKERS:
        raise _UsageError(f"--simulate for {label}: the simulator follows each of the {params.workers} workers; it "
                          f"simulates at most {SIM_MAX_WORKERS} within its time budget (the formulas have no limit)")
    warmup = 3 * p.relaxation_time_s
    if p.fill_time_s is not None:
        warmup = max(warmup, 1.5 * p.fill_time_s)
    warmup = min(max(warmup, 1.0), 10 * options.duration_s)
    bunching = params.socket == "tcp" and bool(params.syn_retries_before_timeout)
    started = time.perf_counter()
    deadline = started + budget_s
    duration, runs = _planned_run(params, warmup, options.duration_s, budget_s, label, bunching)
    result = simulate(params, horizon_s=warmup + duration, warmup_s=warmup, seed=options.seed,
                      syn_bunching=bunching, max_seconds=max(0.05, (deadline - time.perf_counter()) / 3))
    if result.counts.get("arrivals", 0) == 0:
        raise _UsageError(f"--simulate for {label}: the time budget of {budget_s:.3g} s ran out during the "
                          f"{warmup:.3g}-s warm-up at {params.arrival_rate:g} requests/s; use the formulas")
    spread = band(params, result.duration_s, warmup, runs=runs, seed=options.seed + 1, min_runs=2,
                  budget_s=max(0.0, deadline - time.perf_counter()), syn_bunching=bunching)
    if spread.runs < 2:  # one run is no band: nothing to compare the formulas with
        empty = Band()
        empty.runs, empty.elapsed_s = spread.runs, spread.elapsed_s
        spread = empty
    differences = []
    for key in COMPARED_KEYS:
        analytic, simulated = getattr(p, key), getattr(result, key)
        if key not in spread:
            continue
        lo, hi = spread[key]
        if analytic is None:
            continue
        # A run of n requests resolves a fraction only to 1/n: a band of [0, 0] does not contradict 1e-5.
        arrivals = max(1, result.counts.get("arrivals", 0))
        slack = 1.0 / arrivals if key.startswith("p_") else 1e-3 * max(abs(analytic), 1e-3)
        if analytic < lo - slack or analytic > hi + slack:
            differences.append((key, analytic, simulated, (lo, hi)))
    note = None
    if result.duration_s < options.duration_s * (1 - 1e-9):
        note = (f"{label}: --simulate measured {result.duration_s:.3g} s per run instead of --duration "
                f"{options.duration_s:g} s, and ran {spread.runs} runs for its band, to stay within its "
                f"{budget_s:.3g}-s time budget")
    elif spread.runs < runs:
        note = f"{label}: --simulate's band has {spread.runs} runs: its {budget_s:.3g}-s time budget allowed no more"
    return Simulation(result, spread, warmup, differences, time.perf_counter() - started), note


def _planned_run(params: Any, warmup: float, duration: float, budget_s: float, label: str,
                 bunching: bool) -> tuple[float, int]:
    """(measured seconds per run, band runs) that fit in the budget, from a short pilot run's speed."""
    from advisor.queueing.simulate import simulate

    pilot_s = min(warmup + duration, PILOT_REQUESTS / max(params.arrival_rate, 1e-9))
    started = time.perf_counter()
    pilot = simulate(params, horizon_s=pilot_s, warmup_s=0.0, seed=0, syn_bunching=bunching,
                     max_seconds=0.1 * budget_s)
    # wall seconds per simulated second (a pilot cut short by its limit measured less than it was asked to)
    per_sim_s = max(time.perf_counter() - started, 1e-6) / max(pilot.duration_s, 1e-9)
    usable = 0.8 * budget_s - (time.perf_counter() - started)

    def fits(runs: int) -> float:  # measured seconds per run when the main run and `runs` band runs share the time
        return usable / ((1 + runs) * per_sim_s) - warmup

    for runs in (BAND_RUNS, BAND_TARGET_RUNS):  # first fewer band runs, then shorter ones
        if fits(runs) >= duration:
            return duration, runs
    for runs in (BAND_TARGET_RUNS, BAND_MIN_RUNS):
        if fits(runs) >= min(duration, MIN_MEASURED_S):
            return fits(runs), runs
    if fits(BAND_MIN_RUNS) * params.arrival_rate >= MIN_MEASURED_REQUESTS:  # short, but still a measurement
        return fits(BAND_MIN_RUNS), BAND_MIN_RUNS
    raise _UsageError(f"--simulate for {label}: a {warmup:.3g}-s warm-up at {params.arrival_rate:g} requests/s "
                      f"does not fit in its {budget_s:.3g}-s time budget (about {per_sim_s * warmup:.3g} s per run); "
                      "use the formulas")


def _build(options: ModelOptions, service: ServiceTime | None, stderr: IO[str]) -> ModelOutcome:
    from advisor.loaders.deployment import InputError, build_deployment
    from advisor.queueing.params import ParameterError, check_pool
    from advisor.queueing.scenario import ScenarioError, scenario_for_link

    try:
        deployment = build_deployment(options.inputs, options.host)
    except InputError as error:
        raise _UsageError(str(error)) from None
    for diagnostic in deployment.diagnostics:
        if diagnostic.severity == "error":
            where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line else str(diagnostic.path)
            stderr.write(f"advisor: note: {redact_naming_outside(f'{where}: {diagnostic.message}')} "
                         "(`advisor check` reports it)\n")
    if not deployment.links:
        details = [f"  {route_id}: {diagnosis.status}: {diagnosis.detail}"
                   for route_id, diagnosis in deployment.route_diagnoses.items()]
        raise _UsageError("no nginx route reaches an app server in the given files, so there is nothing to model"
                          + ("\n" + "\n".join(details) if details else "") + "\n(`advisor show` prints the links)")
    outcome = ModelOutcome()
    if options.access_logs:
        outcome.fitted = _fit(options, deployment)
    for link in deployment.links:
        label = f"{link.route.id} -> {link.app.id}"
        try:
            if outcome.fitted is not None:
                workload = _link_workload(outcome.fitted, link.app.id)
                scenario = _with_log_sources(scenario_for_link(link, deployment, workload.rps, workload.service,
                                                               event_loops=True), workload, outcome.fitted)
            else:
                assert options.rps is not None and service is not None
                workload = None
                scenario = scenario_for_link(link, deployment, options.rps, service, event_loops=True)
            check_pool(scenario.settings.family, scenario.settings.workers, scenario.settings.threads)
            report = _analyse(scenario, options)
            if options.simulate:
                budget = max(SIM_MIN_LINK_BUDGET_S, SIM_BUDGET_S / len(deployment.links))
                report.simulation, note = _simulate(report, options, budget)
                if note:
                    stderr.write(f"advisor: note: {redact_naming_outside(note)}\n")
        except (ScenarioError, _UsageError) as error:
            outcome.errors.append((label, str(error)))
            continue
        except ParameterError as error:  # a configured value beyond physical limits
            outcome.errors.append((label, f"cannot model {label}: {error}"))
            continue
        if outcome.fitted is not None:
            _observe(report, outcome.fitted, workload)
        outcome.reports.append(report)
    return outcome


# -- the workload from access logs ----------------------------------------------------------------------------------


def _fit(options: ModelOptions, deployment: Any) -> FittedWorkload:
    from advisor.accesslog.workload import AccessLogError, fit_workload

    try:
        return fit_workload(deployment, options.access_logs, log_format=options.log_format, window=options.window,
                            since=options.since, until=options.until)
    except AccessLogError as error:
        raise _UsageError(str(error)) from None


def _link_workload(fitted: FittedWorkload, app_id: str) -> AppWorkload:
    workload = fitted.for_app(app_id)
    if workload is None:
        raise _UsageError(f"no request in the access log reached {app_id} (requests the log could not place on a "
                          "route are counted in the summary)")
    if workload.service is None:
        raise _UsageError(f"cannot fit the workload of {app_id} from the access log: {workload.problem}")
    return workload


def _with_log_sources(scenario: Scenario, workload: AppWorkload, fitted: FittedWorkload) -> Scenario:
    """The scenario with lambda and S attributed to the access log instead of --rps/--service-time."""
    from advisor.model.provenance import Source
    from advisor.queueing.scenario import Parameter

    logs = ", ".join(fitted.paths)
    pool = workload.pool
    window = ("the busiest " + format_duration(pool.window_s) + " window" if pool.window_kind == "busiest"
              else "the whole period")
    rate = Parameter("lambda", scenario.rps, f"arrival rate at the app server in {window} of the access log "
                     f"(Poisson arrivals)", (("access log", Source.option(f"--access-log {logs}")),))
    fit = pool.fit
    how = (f"{fit.kind} fit to {pool.samples.n} {pool.method} samples ({pool.samples.n_censored} censored), "
           f"{fit.quality} fit" if fit is not None else "fitted")
    service = Parameter("S", scenario.service.mean_s, f"mean service time: {scenario.service.describe()} ({how})",
                        (("access log", Source.option(f"--access-log {logs}")),))
    return replace(scenario, parameters={**scenario.parameters, "lambda": rate, "S": service})


def _observe(report: LinkReport, fitted: FittedWorkload, workload: AppWorkload | None) -> None:
    from advisor.accesslog.compare import compare_outcomes

    observed = fitted.observed(report.scenario.route.id)
    report.workload = workload
    if observed is None:
        return
    report.observed = observed
    shown = report.shown
    predicted = {"p_ok": shown.p_ok, "p_502": shown.p_502, "p_504": shown.p_504 + shown.p_504_connect,
                 "p_500": shown.p_500}
    report.agreement = compare_outcomes(predicted, observed.shares(observed.window))


# -- JSON output ----------------------------------------------------------------------------------------------------


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _clean(data: Any) -> Any:
    if isinstance(data, dict):
        return {key: _clean(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_clean(value) for value in data]
    return _json_number(data)


def _prediction_json(report: LinkReport) -> dict[str, Any]:
    scenario, p = report.scenario, report.prediction
    item: dict[str, Any] = {"link": scenario.label, "route": scenario.route.id, "app": scenario.app.id,
                            "upstream": scenario.upstream}
    item.update(p.to_dict())
    item["model_source"] = "analytic"
    if report.simulation is not None:
        sim = report.simulation
        item["analytic"] = p.to_dict()
        for key in SIM_KEYS:
            item[key] = getattr(sim.result, key)
        item["model_source"] = "simulation"
        item["model"] = sim.result.model
        item["approximate"] = False
        item["approximation_reason"] = None
        item["simulation"] = {
            "duration_s": sim.result.duration_s, "warmup_s": sim.warmup_s, "seed": sim.result.seed,
            "band_runs": sim.band.runs, "band": {key: list(value) for key, value in sim.band.items()},
            "differences": [{"key": key, "analytic": analytic, "simulated": simulated, "band": [lo, hi]}
                            for key, analytic, simulated, (lo, hi) in sim.differences],
            "counts": dict(sim.result.counts), "wasted_work_fraction": sim.result.wasted_work_fraction,
            "model": sim.result.model,
        }
    item["overload_rps"] = report.overload_rps
    item["overload_fill_time_s"] = report.overload_fill_s
    item["error_share"] = report.error_share
    item["error_budget"] = report.error_budget
    item["verdict"] = "over-budget" if report.over_budget else "within-budget"
    item["parameters"] = {key: parameter.to_dict() for key, parameter in scenario.parameters.items()}
    item["notes"] = list(scenario.notes)
    item["narrative"] = list(report.narrative)
    recommended = report.recommended_curve or report.current_curve  # no recommendation: the same curve
    item["load_curve"] = {"current": [point.to_dict() for point in report.current_curve.points],
                          "recommended": [point.to_dict() for point in recommended.points]}
    if report.workload is not None:
        from advisor.commands.model_json import app_workload_json, observed_json

        item["workload"] = app_workload_json(report.workload)
        item["observed"] = observed_json(report.observed, "window")
        item["observed_whole_period"] = observed_json(report.observed, "total")
        item["agreement"] = report.agreement.to_dict() if report.agreement is not None else None
    return item


def _render_json(outcome: ModelOutcome, options: ModelOptions, service: ServiceTime | None) -> str:
    if outcome.fitted is not None:
        from advisor.commands.model_json import log_workload_json

        workload = log_workload_json(outcome.fitted)
    else:
        assert service is not None
        workload = {"rps": options.rps,
                    "service_time": {"kind": service.kind, "scale_s": service.scale_s, "sigma": service.sigma,
                                     "mean_s": service.mean_s, "scv": service.scv,
                                     "description": service.describe()}}
    document = {
        "workload": {**workload, "error_budget": options.error_budget,
                     "target_utilization": options.target_utilization},
        "predictions": [_prediction_json(report) for report in outcome.reports],
        "recommendations": [rec.to_dict(report.scenario.label) for report in outcome.reports
                            for rec in report.recommendations],
        "errors": [{"link": label, "message": message} for label, message in outcome.errors],
        "plot": options.plot,
    }
    return json.dumps(redact_structure(_clean(document)), indent=2) + "\n"


# -- entry point ----------------------------------------------------------------------------------------------------


def _use_color(option: str, stream: IO[str]) -> bool:
    if option == "always":
        return True
    if option == "never" or os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return bool(getattr(stream, "isatty", lambda: False)())


def _can_encode(stream: IO[str], text: str) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def run(options: ModelOptions, stdout: IO[str] | None = None, stderr: IO[str] | None = None) -> int:
    """Run `advisor model`; returns the exit code (0 within budget, 1 over budget, 2 usage error)."""
    out = stdout if stdout is not None else sys.stdout
    err = stderr if stderr is not None else sys.stderr
    try:
        service = _check_options(options)
        outcome = _build(options, service, err)
    except _UsageError as error:
        err.write(f"advisor: error: {redact_naming_outside(str(error))}\n")
        return 2
    for label, message in outcome.errors:
        message = redact_naming_outside(message)  # files outside the project: advisor/privacy.py
        err.write(f"advisor: error: {message}\n" if label in message else f"advisor: error: {label}: {message}\n")
    rps = options.rps if options.rps is not None else (outcome.reports[0].scenario.rps if outcome.reports else 0.0)
    if options.plot and outcome.reports:
        from advisor.queueing.plot import write_plot

        try:
            write_plot(options.plot, [(r.scenario.label, r.panels) for r in outcome.reports], rps)
        except OSError as error:
            err.write(f"advisor: error: cannot write --plot {options.plot}: {error.strerror or error}\n")
            return 2
    if options.output_format == "json":
        out.write(_render_json(outcome, options, service))
    else:
        width = max(80, min(120, shutil.get_terminal_size((100, 24)).columns))
        out.write(render_text(outcome, rps=float(rps or 0), service=service.describe() if service else "",
                              error_budget=options.error_budget, simulate=options.simulate, plot=options.plot,
                              explain=options.explain, unicode=_can_encode(out, "█▒▓░"),
                              color=_use_color(options.color, out), width=width))
    if outcome.errors:
        return 2
    return 1 if any(report.over_budget for report in outcome.reports) else 0
