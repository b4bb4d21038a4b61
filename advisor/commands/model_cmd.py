"""`advisor model`: the queueing model of every nginx -> gunicorn link, with sources, verdict and recommendations.

For each link (an nginx route reaching an app server) the command maps the configuration onto M/M/c/K with a
deadline and no abandonment (`advisor.queueing.scenario`), predicts the outcome shares at ``--rps`` with the
``--service-time`` distribution, compares the error share with ``--error-budget``, recommends changes (each with its
predicted effect), answers "what happens if all workers are busy and a request comes in?", and draws the ok / 502 /
504 / 500 shares against offered load for the current and the recommended settings (a text chart; ``--plot FILE``
writes a PNG or SVG with matplotlib). ``--simulate`` reports the discrete-event simulator's numbers instead of the
formulas, and prints the formula value wherever it lies outside the simulator's 95 % band for a run of that length.
The text output (`model_text`) is one compact block per app server and parameter set; ``--explain`` adds the
provenance of every parameter, the narrative, the notes and the chart. How the model works: docs/model.md.

Exit codes: 0 every modelled link is within the error budget; 1 some link's predicted error share (502 + 504 + 500)
exceeds it; 2 usage errors: a bad option value (--service-time, --rps, --plot suffix, missing matplotlib), no input
files, no link between nginx and an app server, or a link that cannot be modelled (an unknown value such as
`workers = multiprocessing.cpu_count() * 2 + 1` without --cpus; an event-loop worker class). Links that can be
modelled are still reported when another one fails.

JSON (``--output-format json``), stable; fractions are of all requests, times in seconds, rates in requests/s::

    {
      "workload": {"rps", "service_time": {"kind", "scale_s", "sigma", "mean_s", "scv", "description"},
                   "error_budget", "target_utilization"},
      "predictions": [{
          "link", "route", "app", "upstream",
          ...every key of Prediction.to_dict(): "servers", "queue_capacity", "offered_rps", "rho", "utilization",
             "p_ok", "p_502", "p_504", "p_504_connect", "p_500", "p_refused", "p_worker_killed", "latency_p50_s",
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
          "simulation": {"duration_s", "warmup_s", "seed", "band_runs", "band": {key: [lo, hi]},
                         "differences": [{"key", "analytic", "simulated", "band": [lo, hi]}],
                         "counts", "wasted_work_fraction", "model"}     (only with --simulate)
          "load_curve": {"current": [point], "recommended": [point]}    point: {"offered_rps", "p_ok", "p_500",
                        "p_502", "p_504"} (504: read + connect); 41 loads from 0 to 2x the larger capacity;
                        "recommended" repeats "current" when nothing is recommended
      }],
      "recommendations": [{"link", "setting", "file" ("gunicorn" | "nginx"), "current", "recommended", "where",
                           "line", "reason", "predicted": summary, "before": summary, "overload_rps",
                           "predicted_overload": summary, "before_overload": summary}],
                         summary: {"p_ok", "p_502", "p_504", "p_504_connect", "p_500", "error_share",
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
from advisor.commands.options import HostOptions, Inputs

if TYPE_CHECKING:
    from advisor.accesslog.workload import AppWorkload, FittedWorkload
    from advisor.queueing.params import ServiceTime
    from advisor.queueing.scenario import Scenario

__all__ = ["ModelOptions", "run"]

COMPARED_KEYS = ("p_ok", "p_502", "p_504", "p_504_connect", "p_500", "utilization", "latency_p50_s",
                 "latency_p99_s")
SIM_KEYS = COMPARED_KEYS + ("p_refused", "p_worker_killed", "mean_wait_s", "p_wait", "throughput_rps",
                            "goodput_rps")
MAX_SIMULATED_REQUESTS = 2_000_000  # per run; bounds the time --simulate can take
BAND_RUNS, BAND_MIN_RUNS, BAND_MAX_SECONDS = 40, 5, 20.0


@dataclass(slots=True)
class ModelOptions:
    inputs: Inputs
    host: HostOptions
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
    from advisor.queueing.params import parse_service_time

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
    from advisor.queueing.plot import PanelData, load_axis, outcome_curve
    from advisor.queueing.recommend import recommend
    from advisor.queueing.scenario import OVERLOAD_FACTOR

    prediction = predict(scenario.params)
    recommendations, recommended = recommend(scenario, target_utilization=options.target_utilization,
                                             error_budget=options.error_budget)
    narrative = what_happens_when_busy(scenario.params, prediction, upstream=scenario.upstream,
                                       sources=scenario.narrative_sources())
    narrative = _adapt_narrative(scenario, narrative)
    axis = load_axis(scenario.capacity_rps, scenario.rps, other_capacities=(recommended.capacity_rps,))
    current_curve = PanelData("current settings", outcome_curve(scenario.at_rps, axis), scenario.capacity_rps)
    recommended_curve = None
    if recommendations:
        recommended_curve = PanelData("recommended settings", outcome_curve(recommended.at_rps, axis),
                                      recommended.capacity_rps)
    overload = OVERLOAD_FACTOR * prediction.max_throughput_rps
    fill = scenario.params.queue_room / (overload - prediction.max_throughput_rps)
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


def _simulate(report: LinkReport, options: ModelOptions) -> Simulation:
    from advisor.queueing.simulate import band, simulate

    params = report.scenario.params
    p = report.prediction
    warmup = 3 * p.relaxation_time_s
    if p.fill_time_s is not None:
        warmup = max(warmup, 1.5 * p.fill_time_s)
    warmup = min(max(warmup, 1.0), 10 * options.duration_s)
    per_run = params.arrival_rate * (warmup + options.duration_s)
    if per_run > MAX_SIMULATED_REQUESTS:
        raise _UsageError(
            f"--simulate for {report.scenario.label} would simulate about {per_run:,.0f} requests per run "
            f"(warm-up {warmup:.3g} s + --duration {options.duration_s:g} s at {params.arrival_rate:g} requests/s); "
            f"the limit is {MAX_SIMULATED_REQUESTS:,}: lower --duration")
    bunching = params.socket == "tcp" and bool(params.syn_retries_before_timeout)
    started = time.perf_counter()
    result = simulate(params, horizon_s=warmup + options.duration_s, warmup_s=warmup, seed=options.seed,
                      syn_bunching=bunching)
    spread = band(params, options.duration_s, warmup, runs=BAND_RUNS, seed=options.seed + 1,
                  max_seconds=BAND_MAX_SECONDS, min_runs=BAND_MIN_RUNS, syn_bunching=bunching)
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
    return Simulation(result, spread, warmup, differences, time.perf_counter() - started)


def _build(options: ModelOptions, service: ServiceTime | None, stderr: IO[str]) -> ModelOutcome:
    from advisor.model.build import InputError, build_deployment, host_facts_from_options
    from advisor.queueing.scenario import ScenarioError, scenario_for_link

    try:
        deployment = build_deployment(options.inputs, host_facts_from_options(options.host))
    except InputError as error:
        raise _UsageError(str(error)) from None
    for diagnostic in deployment.diagnostics:
        if diagnostic.severity == "error":
            where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.line else str(diagnostic.path)
            stderr.write(f"advisor: note: {where}: {diagnostic.message} (`advisor check` reports it)\n")
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
                scenario = _with_log_sources(scenario_for_link(link, deployment, workload.rps, workload.service),
                                             workload, outcome.fitted)
            else:
                assert options.rps is not None and service is not None
                workload = None
                scenario = scenario_for_link(link, deployment, options.rps, service)
            report = _analyse(scenario, options)
            if options.simulate:
                report.simulation = _simulate(report, options)
        except (ScenarioError, _UsageError) as error:
            outcome.errors.append((label, str(error)))
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
    window = ("the busiest " + _window_words(pool.window_s) + " window" if pool.window_kind == "busiest"
              else "the whole period")
    rate = Parameter("lambda", scenario.rps, f"arrival rate at the app server in {window} of the access log "
                     f"(Poisson arrivals)", (("access log", Source.option(f"--access-log {logs}")),))
    fit = pool.fit
    how = (f"{fit.kind} fit to {pool.samples.n} {pool.method} samples ({pool.samples.n_censored} censored), "
           f"{fit.quality} fit" if fit is not None else "fitted")
    service = Parameter("S", scenario.service.mean_s, f"mean service time: {scenario.service.describe()} ({how})",
                        (("access log", Source.option(f"--access-log {logs}")),))
    return replace(scenario, parameters={**scenario.parameters, "lambda": rate, "S": service})


def _window_words(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 and seconds % 60 == 0 else f"{seconds:g} s"


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
    return json.dumps(_clean(document), indent=2) + "\n"


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
        err.write(f"advisor: error: {error}\n")
        return 2
    for label, message in outcome.errors:
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
