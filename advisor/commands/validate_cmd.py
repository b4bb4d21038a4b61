"""`advisor validate`: run the configured link for real (on private loopback/unix addresses) and compare the
measured outcome shares with the queueing model's prediction and the simulator's band for a run of that length.

Exit codes: 0 every measured share inside its band; 1 some share outside; 2 usage errors and runs that could not
start (no nginx with --proxy nginx, no gunicorn with --server gunicorn, no uWSGI with --server uwsgi, unknown values,
limits exceeded).
Ctrl-C / SIGTERM stop every process and remove every temp file (the CLI then exits 130 / 143).
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, field, replace

from advisor.commands.options import HostFacts, Inputs
from advisor.privacy import redact_naming_outside, redact_structure
from advisor.units import format_percent

OUTPUT_FORMATS = ("text", "json")
PROXY_CHOICES = ("auto", "nginx", "builtin")
SERVER_CHOICES = ("ref", "gunicorn", "uwsgi", "uvicorn")
MIN_MEASURED_REQUESTS = 20
LAG_WARNING_S = 0.010  # the generator's send lag p99 is 2-5 ms on an idle 2-core machine (bench/bench_loadgen.py)
LAG_WARNING_SHARE = 0.1  # ... and must stay small against the service time


class UsageError(Exception):
    """Exit 2 with this message."""


class WallClockExceeded(BaseException):
    """The whole validation ran past its hard time cap (a BaseException so no handler below swallows it)."""


@dataclass(slots=True)
class ValidateOptions:
    inputs: Inputs
    host: HostFacts
    rps: float
    service_time: str
    duration: str = "20s"
    warmup: str = "2s"
    proxy: str = "auto"
    server: str = "ref"
    time_scale: float = 1.0
    link: int | None = None  # 1-based, in `advisor show` order
    seed: int = 1
    output_format: str = "text"
    band_level: float = 0.95
    progress: bool = True
    debug: bool = False
    extra_notes: list[str] = field(default_factory=list)
    keep_access_log: str | None = None  # copy nginx's access log (timing format) here


def _seconds(text: str, option: str, allow_zero: bool) -> float:
    from advisor.queueing.params import parse_duration_s

    if allow_zero and text.strip() in ("0", "0s", "0ms"):
        return 0.0
    try:
        return parse_duration_s(text)
    except ValueError as err:
        raise UsageError(f"{option}: {err}") from None


def _check_choice(option: str, value: str, choices: tuple[str, ...], context: str = "") -> None:
    if value not in choices:
        raise UsageError(f"unknown {option} {value!r}{context} ({', '.join(choices)})")


def _choose_link(deployment, number: int | None):
    links = deployment.links
    if not links:
        unlinked = "; ".join(f"{route_id}: {d.detail or d.status}" for route_id, d in deployment.route_diagnoses.items()
                             if d.status != "linked")
        raise UsageError("no nginx route reaches the app server, so there is nothing to validate"
                         + (f" ({unlinked})" if unlinked else "") + "; see `advisor show`")
    if number is None:
        return links[0], ([] if len(links) == 1 else
                          [f"{len(links)} links; validating link 1 ({links[0].route.id}); choose with --link N"])
    if not 1 <= number <= len(links):
        listing = "; ".join(f"{i}: {link.route.id} -> {link.app.id}" for i, link in enumerate(links, 1))
        raise UsageError(f"--link {number}: there are {len(links)} link(s): {listing}")
    return links[number - 1], []


def _tcp_host(link) -> str:
    address = link.address.value
    host = getattr(address, "host", None) or ""
    return "::1" if ":" in host else "127.0.0.1"


def _resolve_proxy(choice: str) -> tuple[str, str | None, list[str]]:
    from advisor.validation.nginx_runner import nginx_binary

    binary = nginx_binary()
    if choice == "nginx" and binary is None:
        raise UsageError("--proxy nginx: nginx is not installed (not on PATH or in /usr/sbin); install it or use "
                         "--proxy builtin")
    if choice == "auto":
        if binary is None:
            return "builtin", None, ["nginx is not installed: --proxy auto uses the built-in proxy emulation"]
        return "nginx", binary, []
    return choice, binary, []


def build_plan(options: ValidateOptions):
    """Options -> (scenario, plan, nginx binary, notes). Raises UsageError for anything that makes the run
    impossible."""
    from advisor.loaders.deployment import InputError, build_deployment
    from advisor.queueing.params import ParameterError, check_workload, parse_service_time
    from advisor.queueing.scenario import ScenarioError, scenario_for_link
    from advisor.validation.plan import PlanError, make_plan, route_settings_from_model

    _check_choice("--output-format", options.output_format, OUTPUT_FORMATS, " for validate")
    _check_choice("--proxy", options.proxy, PROXY_CHOICES)
    _check_choice("--server", options.server, SERVER_CHOICES)
    if not (options.rps > 0):
        raise UsageError(f"--rps must be > 0, got {options.rps:g}")
    if not 0.5 <= options.band_level < 1.0:
        raise UsageError(f"--band-level must be in [0.5, 1), got {options.band_level:g}")
    try:
        service = parse_service_time(options.service_time)
    except ValueError as err:
        raise UsageError(f"--service-time: {err}") from None
    try:
        check_workload(options.rps, service)  # the model's limits: beyond them its formulas have no meaning
    except ParameterError as err:
        raise UsageError(str(err)) from None
    duration = _seconds(options.duration, "--duration", allow_zero=False)
    warmup = _seconds(options.warmup, "--warmup", allow_zero=True)
    if options.server == "gunicorn":
        from advisor.validation.gunicorn_runner import gunicorn_available

        if not gunicorn_available():
            raise UsageError("--server gunicorn: gunicorn is not installed (pip install 'gunicorn>=22'); "
                             "use --server ref")
    if options.server == "uvicorn":
        from advisor.validation.uvicorn_runner import uvicorn_available

        if not uvicorn_available():
            raise UsageError("--server uvicorn: uvicorn is not installed (pip install uvicorn)")
    if options.server == "uwsgi":
        from advisor.validation.uwsgi_runner import uwsgi_binary

        if uwsgi_binary() is None:
            raise UsageError("--server uwsgi: uWSGI is not installed (pip install pyuwsgi)")
    try:
        deployment = build_deployment(options.inputs, options.host)
    except InputError as err:
        raise UsageError(str(err)) from None
    errors = [d for d in deployment.diagnostics if d.severity == "error"]
    if errors:
        first = errors[0]
        where = f"{first.path}:{first.line}: " if first.line else (f"{first.path}: " if first.path else "")
        raise UsageError(f"{where}{first.message}")
    link, notes = _choose_link(deployment, options.link)
    try:
        scenario = scenario_for_link(link, deployment, options.rps, service, event_loops=True)
    except ScenarioError as err:
        raise UsageError(str(err)) from None
    if scenario.nginx_prefix not in ("proxy", "uwsgi"):
        raise UsageError(f"{scenario.label}: {scenario.nginx_prefix}_pass: validation runs proxy_pass and uwsgi_pass "
                         "routes only")
    proxy, binary, proxy_notes = _resolve_proxy(options.proxy)
    if scenario.nginx_prefix == "uwsgi" and proxy != "nginx":
        raise UsageError(f"{scenario.label}: uwsgi_pass needs real nginx in front (the built-in proxy emulation "
                         "speaks HTTP only); install nginx")
    settings = scenario.settings
    try:
        plan = make_plan(scenario.params, route_settings_from_model(scenario.route), server=options.server,
                         proxy=proxy, duration_s=duration, warmup_s=warmup, time_scale=options.time_scale,
                         seed=options.seed, tcp_host=_tcp_host(link), family=settings.family,
                         worker_class=settings.worker_class or settings.family, processes=settings.workers,
                         threads=settings.threads, worker_connections=settings.worker_connections,
                         app_kind=link.app.kind)
    except PlanError as err:
        raise UsageError(str(err)) from None
    if plan.server == "gunicorn":
        from advisor.validation.gunicorn_runner import WORKER_CLASSES, worker_class_available

        if not worker_class_available(plan.worker_class):
            needs = " or ".join(module for _, module in WORKER_CLASSES[plan.worker_class])
            raise UsageError(f"--server gunicorn: the link's {plan.worker_class} workers need {needs}, which is not "
                             "installed")
    measured_requests = plan.params.arrival_rate * plan.duration_s
    if measured_requests < MIN_MEASURED_REQUESTS:
        raise UsageError(f"only ~{measured_requests:.0f} requests would be measured; use a longer --duration "
                         f"(at least {MIN_MEASURED_REQUESTS / plan.params.arrival_rate:.4g} s at this rate)")
    return scenario, plan, binary, notes + proxy_notes + list(scenario.notes)


def _relaxation_warning(plan, prediction) -> list[str]:
    relax = prediction.relaxation_time_s
    if relax > plan.duration_s / 4 or relax > plan.warmup_s:
        user = relax / plan.time_scale
        return [f"the queue needs ~{user:.3g} s (relaxation time) to settle; with {plan.duration_s:g} s measured "
                f"after {plan.warmup_s:g} s warm-up single runs scatter widely (the band is simulated from an empty "
                f"queue with the same length, so it shows how much); for a steady-state check use --duration of at "
                f"least {4 * relax:.0f} s and --warmup of ~{relax:.0f} s"]
    return []


def _disturbance_warning(plan, measured: dict) -> list[str]:
    """A load generator that fell behind its schedule means the machine was busy with something else: the
    measurement then mixes the deployment's behaviour with CPU contention."""
    lag = measured.get("send_lag_p99_s")
    limit = max(LAG_WARNING_S, LAG_WARNING_SHARE * plan.params.service.mean_s)
    if lag is not None and lag > limit:
        return [f"the load generator fell behind its schedule (send lag p99 {lag * 1000:.0f} ms, normally 2-5 ms): "
                "the machine was busy with other work and the measurement is disturbed; rerun on a quiet machine"]
    return []


def _install_stop_handlers(cap_s: float):
    """SIGTERM -> SystemExit(143) and a wall-clock alarm, both raised in the main thread so cleanup runs."""
    if not hasattr(signal, "setitimer"):
        return lambda: None

    def on_term(signum, frame):
        raise SystemExit(143)

    def on_alarm(signum, frame):
        raise WallClockExceeded(f"validation exceeded its {cap_s:.0f}-s time cap")

    try:
        old_term = signal.signal(signal.SIGTERM, on_term)
        old_alarm = signal.signal(signal.SIGALRM, on_alarm)
    except ValueError:  # not the main thread (e.g. called from a test thread): rely on the runners' own caps
        return lambda: None
    signal.setitimer(signal.ITIMER_REAL, cap_s)

    def restore() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGTERM, old_term)
        signal.signal(signal.SIGALRM, old_alarm)

    return restore


def execute(options: ValidateOptions) -> tuple[dict, list]:
    """Plan, predict, run, simulate the band, compare. Returns (report dict, rows). Raises UsageError."""
    from advisor.queueing.analytic import predict
    from advisor.validation.compare import (
        BAND_MAX_SECONDS,
        band_in_user_units,
        band_runs,
        compare,
        in_user_units,
        overall_verdict,
        predicted_values,
        simulated_band,
    )
    from advisor.validation.errors import ServerStartError
    from advisor.validation.progress import Progress
    from advisor.validation.session import run_plan

    scenario, plan, binary, notes = build_plan(options)
    if options.keep_access_log is not None and plan.proxy != "nginx":
        raise UsageError("--keep-access-log needs real nginx in front (--proxy nginx, nginx installed)")
    if options.keep_access_log is not None and not os.path.isdir(os.path.dirname(os.path.abspath(
            options.keep_access_log))):
        raise UsageError(f"--keep-access-log {options.keep_access_log}: its directory does not exist")
    prediction = predict(plan.params)
    warnings = list(plan.warnings) + _relaxation_warning(plan, prediction)
    progress = Progress(enabled=options.progress)
    for warning in warnings:
        progress.phase(f"warning: {warning}")
    restore = _install_stop_handlers(plan.max_seconds + BAND_MAX_SECONDS + 60.0)
    try:
        try:
            run = run_plan(plan, nginx_binary=binary, progress=progress, keep_access_log=options.keep_access_log)
        except (ServerStartError, OSError) as err:
            raise UsageError(f"the validation run could not start: {err}") from None
        progress.phase(f"simulating the {format_percent(options.band_level)} band ({band_runs(options.band_level)} "
                       f"runs of {plan.duration_s:g} s)")
        sim_band = simulated_band(plan.params, plan.duration_s, plan.warmup_s, level=options.band_level,
                                  seed=plan.seed)
    except WallClockExceeded as err:
        raise UsageError(str(err)) from None
    finally:
        restore()
    warnings += _disturbance_warning(plan, run.measured)
    scale = plan.time_scale
    predicted = in_user_units(predicted_values(prediction), scale)
    measured = in_user_units(run.measured, scale)
    bands = band_in_user_units(sim_band, scale)
    rows = compare(predicted, measured, bands)
    verdict = overall_verdict(rows)
    split = _measured_split(plan.params, run.server, scale)
    report = {
        "link": scenario.label,
        "predicted": predicted,
        "measured": measured,
        "band": {key: list(edges) for key, edges in bands.items()},
        "rows": [row.to_dict() for row in rows],
        "verdict": verdict,
        "parameters": {**plan.describe(), "model": {key: p.to_dict() for key, p in scenario.parameters.items()}},
        "nginx_error_log": run.nginx_error_log,
        "nginx_config": run.nginx_config,
        "server": run.server,
        "split": split,
        "band_level": options.band_level,
        "band_runs": sim_band.runs,
        "notes": notes + list(plan.notes),
        "warnings": warnings,
        "elapsed_s": run.elapsed_s,
    }
    return report, rows


def _measured_split(params, server: dict, scale: float) -> dict | None:
    """For per-worker queues (gthread, several workers): the split the model assumed, the one measured (each worker's
    share of the requests it finished) and the prediction with the measured split. The measured shares already hold
    the preference for workers that queue, so that prediction gives it no extra weight. None otherwise."""
    from advisor.queueing.analytic import predict
    from advisor.validation.compare import in_user_units, predicted_values

    counts = list(server.get("requests_by_worker") or [])
    if not params.partitioned or not counts or len(counts) > params.workers:  # more: a worker was replaced
        return None
    counts += [0] * (params.workers - len(counts))  # workers that finished no request
    measured = tuple(count / sum(counts) for count in counts)
    with_measured = predict(replace(params, split=tuple(max(share, 1e-6) for share in measured),
                                    queued_worker_weight=1.0, split_spread=0.0))
    return {"model_shares": sorted(params.shares, reverse=True), "measured_shares": list(measured),
            "predicted_with_measured_split": in_user_units(predicted_values(with_measured), scale)}


def run(options: ValidateOptions) -> int:
    from advisor.validation.report import render_json, render_text

    try:
        report, rows = execute(options)
    except UsageError as err:
        sys.stderr.write(f"advisor: error: {redact_naming_outside(str(err))}\n")
        return 2
    report = redact_structure(report)  # quotes nothing from files outside the project (advisor/privacy.py)
    if options.output_format == "json":
        sys.stdout.write(render_json(report))
    else:
        sys.stdout.write(render_text(report, rows))
    return 0 if report["verdict"] == "inside" else 1
