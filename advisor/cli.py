"""Command-line entry point. Parses options and hands over to `advisor.commands.*`; imports stay lazy."""

from __future__ import annotations

import copy
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from advisor import __version__

if TYPE_CHECKING:
    from advisor.commands.options import Inputs

app = typer.Typer(
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Lint nginx + gunicorn deployments across both files, predict 502/504 rates, validate predictions.",
)

# Shared option declarations -------------------------------------------------------------------------------------
PathsArg = Annotated[Optional[list[str]], typer.Argument(
    help="Config files in any order: nginx configs and app server settings (gunicorn.conf.py, compose file, "
         "Dockerfile, Procfile, ...); a directory to search for them; - for standard input.", show_default=False)]
NginxOpt = Annotated[Optional[list[str]], typer.Option(
    "--nginx", help="An nginx config (repeatable); - reads it from standard input.")]
AppOpt = Annotated[Optional[list[str]], typer.Option(
    "--app", help="An app server config or command-line source; - reads it from standard input.")]
AppFormatOpt = Annotated[Optional[str], typer.Option(
    "--app-format", help="Override app source detection: gunicorn, compose, dockerfile, procfile, systemd, "
                         "supervisor, shell, markdown, python (a script that starts the server), makefile.")]
CpusOpt = Annotated[Optional[int], typer.Option("--cpus", min=1, help="CPU count of the app host (cpu_count()).")]
SomaxconnOpt = Annotated[Optional[int], typer.Option(
    "--somaxconn", min=1, help="net.core.somaxconn of the app host [default: 4096, Linux >= 5.4].")]
NginxVersionOpt = Annotated[Optional[str], typer.Option(
    "--nginx-version", help="nginx version whose defaults apply [default: 1.30.0].")]
GunicornVersionOpt = Annotated[Optional[str], typer.Option(
    "--gunicorn-version", help="gunicorn version whose behaviour applies [default: 27.0.1].")]
EnvOpt = Annotated[Optional[list[str]], typer.Option(
    "--env", help="NAME=VALUE for os.environ lookups in configs (repeatable).")]
OutputFormatOpt = Annotated[Optional[str], typer.Option(
    "--output-format", help="full, concise, json, json-lines, sarif, github, gitlab, junit "
                            "[env: ADVISOR_OUTPUT_FORMAT; default: full].")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks for internal errors.")]
RpsOpt = Annotated[Optional[float], typer.Option(
    "--rps", help="Offered load on the app server at peak, requests/s.", show_default=False)]
ServiceTimeOpt = Annotated[Optional[str], typer.Option(
    "--service-time", help="Service time per request, with a unit: mean 80ms (exponential), p50=80ms,p99=900ms "
                           "(lognormal) or constant=50ms.", show_default=False)]
AccessLogOpt = Annotated[Optional[list[str]], typer.Option(
    "--access-log", help="nginx access log to fit the rate and the service time from, instead of --rps and "
                         "--service-time (repeatable; plain, rotated .1 or .gz).", show_default=False)]
LogFormatOpt = Annotated[Optional[str], typer.Option(
    "--log-format", help="The access log's format: a log_format name of the nginx config, combined, timing, or the "
                         "format text [default: from the config's access_log].", show_default=False)]
WindowOpt = Annotated[Optional[str], typer.Option(
    "--window", help="With --access-log: predict for the busiest window of this length, or `all` for the mean "
                     "over the whole log [default: 1m].", show_default=False)]


MaxFileSizeOpt = Annotated[Optional[str], typer.Option(
    "--max-file-size", help="Largest file read, e.g. 10M or 512K; larger inputs are reported, not read "
                            "[default: 10M].", show_default=False)]


def _version_callback(value: bool) -> None:
    if value:
        sys.stdout.write(f"advisor {__version__}\n")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """advisor: configuration advisor and linter for nginx in front of gunicorn."""


def _split_list(values: Optional[list[str]]) -> list[str]:
    items: list[str] = []
    for value in values or []:
        items.extend(part.strip() for part in value.split(",") if part.strip())
    return items


def _host_options(cpus, somaxconn, nginx_version, gunicorn_version, env):
    from advisor.commands.options import HostOptions, parse_env_assignments

    return HostOptions(cpus=cpus, somaxconn=somaxconn, nginx_version=nginx_version,
                       gunicorn_version=gunicorn_version, env=parse_env_assignments(env or []))


def _inputs(paths, nginx, app_, app_format):
    from advisor.commands.options import Inputs

    return Inputs(paths=list(paths or []), nginx=list(nginx or []), app=list(app_ or []), app_format=app_format)


@contextmanager
def _given(inputs: "Inputs", output_file: Optional[str] = None,
           max_file_size: Optional[str] = None) -> Iterator["Inputs"]:
    """Standard input (`-`) in a temporary file named `<stdin>` in everything printed; directories searched and
    what was found in them printed on stderr. Every file is read within --max-file-size (advisor/readers.py), and
    only files of the project (the inputs' directories, their git work tree) are quoted (advisor/privacy.py)."""
    from advisor import privacy, readers
    from advisor.commands.given_inputs import (
        AliasingStream, InputsError, StdinAliases, announce_directories, stdin_inputs,
    )

    limit = None
    if max_file_size is not None:
        try:
            limit = readers.parse_size(max_file_size)
        except ValueError as error:
            _fail_usage(f"--max-file-size: {error}")
    aliases = StdinAliases()
    try:
        with readers.session(limit), stdin_inputs(inputs, sys.stdin, aliases) as ready, \
                privacy.project([*ready.paths, *ready.nginx, *ready.app]):
            announce_directories(ready, sys.stderr)
            if not aliases.replacements:
                yield ready
                return
            out, err = sys.stdout, sys.stderr
            sys.stdout, sys.stderr = AliasingStream(out, aliases), AliasingStream(err, aliases)  # type: ignore
            try:
                yield ready
            finally:
                sys.stdout, sys.stderr = out, err
                aliases.rewrite_file(output_file)
    except InputsError as error:
        _fail_usage(str(error))


def _host_or_exit(cpus, somaxconn, nginx_version, gunicorn_version, env):
    try:
        return _host_options(cpus, somaxconn, nginx_version, gunicorn_version, env)
    except ValueError as error:
        _fail_usage(str(error))


def _fail_usage(message: str) -> None:
    sys.stderr.write(f"advisor: error: {message}\n")
    raise typer.Exit(2)


def _service_time_or_exit(service_time: Optional[str]) -> Optional[str]:
    """A bare number is refused rather than read as seconds: `100` is as often meant as 100ms."""
    from advisor.units import require_units

    if service_time is not None:
        try:
            require_units(service_time)
        except ValueError as error:
            _fail_usage(f"--service-time: {error}")
    return service_time


def _seconds_or_exit(text: str, option: str) -> float:
    """`--duration 90s`, `2m`, `1m30s`, `500ms` or a number of seconds, the same in every command."""
    from advisor.units import parse_option_duration

    try:
        return parse_option_duration(text)
    except ValueError as error:
        _fail_usage(f"{option}: {error}")
        raise  # unreachable: _fail_usage exits


def _duration_text(seconds: float) -> str:
    return "0" if seconds == 0 else repr(seconds)


@app.command()
def check(
    paths: PathsArg = None,
    nginx: NginxOpt = None,
    app_: AppOpt = None,
    app_format: AppFormatOpt = None,
    cpus: CpusOpt = None,
    somaxconn: SomaxconnOpt = None,
    nginx_version: NginxVersionOpt = None,
    gunicorn_version: GunicornVersionOpt = None,
    env: EnvOpt = None,
    output_format: OutputFormatOpt = None,
    output_file: Annotated[Optional[str], typer.Option("--output-file", "-o", help="Write the report here.")] = None,
    select: Annotated[Optional[list[str]], typer.Option(
        "--select", help="Rules to run: codes, prefixes, names or ALL (comma-separated).")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Rules to skip (comma-separated).")] = None,
    extend_select: Annotated[Optional[list[str]], typer.Option(
        "--extend-select", help="Rules to add to the selection.")] = None,
    fail_on: Annotated[Optional[str], typer.Option(
        "--fail-on", help="Lowest severity that makes the exit code 1: error, warning, info [default: warning].",
        show_default=False)] = None,
    exit_zero: Annotated[bool, typer.Option("--exit-zero", help="Exit 0 even when there are findings.")] = False,
    color: Annotated[str, typer.Option("--color", help="auto, always, never.")] = "auto",
    explain_skips: Annotated[bool, typer.Option(
        "--explain-skips", help="List rules skipped because a value is unknown, and why.")] = False,
    explain: Annotated[bool, typer.Option(
        "--explain", "--show-explanation",
        help="Full output: also print each finding's explanation (mechanism, log lines, behaviour under load).")
    ] = False,
    statistics: Annotated[bool, typer.Option("--statistics", help="Count findings per rule.")] = False,
    rules: Annotated[Optional[list[str]], typer.Option(
        "--rules", help="Extra directory of YAML rules (repeatable).")] = None,
    rps: RpsOpt = None,
    service_time: ServiceTimeOpt = None,
    error_budget: Annotated[Optional[float], typer.Option(
        "--error-budget", help="Acceptable error share [default: 0.001].", show_default=False)] = None,
    access_log: AccessLogOpt = None,
    log_format: LogFormatOpt = None,
    window: WindowOpt = None,
    config: Annotated[Optional[str], typer.Option("--config", help="advisor config file.")] = None,
    isolated: Annotated[bool, typer.Option("--isolated", help="Ignore advisor config files.")] = False,
    max_file_size: MaxFileSizeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check an nginx config and an app server config together; exit 1 when something will break."""
    from advisor.commands.options import CheckOptions, Workload

    service_time = _service_time_or_exit(service_time)
    try:
        options = CheckOptions(
            inputs=_inputs(paths, nginx, app_, app_format),
            host=_host_options(cpus, somaxconn, nginx_version, gunicorn_version, env),
            workload=Workload(rps=rps, service_time=service_time, error_budget=error_budget,
                              access_logs=list(access_log or []), log_format=log_format, window=window),
            output_format=output_format or os.environ.get("ADVISOR_OUTPUT_FORMAT") or None,
            output_file=output_file, select=_split_list(select), ignore=_split_list(ignore),
            extend_select=_split_list(extend_select), fail_on=fail_on, exit_zero=exit_zero, color=color,
            explain_skips=explain_skips, explain=explain, statistics=statistics, rules_dirs=list(rules or []),
            config=config, isolated=isolated, debug=debug,
        )
    except ValueError as error:
        _fail_usage(str(error))
    from advisor.commands.check import run

    with _given(options.inputs, output_file, max_file_size) as inputs:
        options.inputs = inputs
        code = run(options)
    raise typer.Exit(code)


@app.command()
def show(
    paths: PathsArg = None,
    nginx: NginxOpt = None,
    app_: AppOpt = None,
    app_format: AppFormatOpt = None,
    cpus: CpusOpt = None,
    somaxconn: SomaxconnOpt = None,
    nginx_version: NginxVersionOpt = None,
    gunicorn_version: GunicornVersionOpt = None,
    env: EnvOpt = None,
    output_format: Annotated[str, typer.Option("--output-format", help="text or json.")] = "text",
    max_file_size: MaxFileSizeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Print the resolved deployment: routes, upstreams, app servers, links, and where every value came from."""
    host = _host_or_exit(cpus, somaxconn, nginx_version, gunicorn_version, env)
    from advisor.commands.show import run

    with _given(_inputs(paths, nginx, app_, app_format), max_file_size=max_file_size) as inputs:
        code = run(inputs, host, output_format, debug=debug)
    raise typer.Exit(code)


@app.command("rules")
def rules_list(
    rules: Annotated[Optional[list[str]], typer.Option("--rules", help="Extra rule directory (repeatable).")] = None,
    output_format: Annotated[str, typer.Option("--output-format", help="text or json.")] = "text",
) -> None:
    """List the rules: code, name, severity, summary."""
    from advisor.commands.rules_cmd import list_rules_command

    raise typer.Exit(list_rules_command(list(rules or []), output_format))


@app.command("rule")
def rule_explain(
    code_or_name: Annotated[str, typer.Argument(help="A rule code (TMO002) or name.")],
    rules: Annotated[Optional[list[str]], typer.Option("--rules", help="Extra rule directory (repeatable).")] = None,
    output_format: Annotated[str, typer.Option("--output-format", help="text (Markdown) or json.")] = "text",
) -> None:
    """Print one rule's documentation."""
    from advisor.commands.rules_cmd import explain_rule_command

    raise typer.Exit(explain_rule_command(code_or_name, list(rules or []), output_format))


@app.command()
def model(
    paths: PathsArg = None,
    nginx: NginxOpt = None,
    app_: AppOpt = None,
    app_format: AppFormatOpt = None,
    cpus: CpusOpt = None,
    somaxconn: SomaxconnOpt = None,
    nginx_version: NginxVersionOpt = None,
    gunicorn_version: GunicornVersionOpt = None,
    env: EnvOpt = None,
    rps: RpsOpt = None,
    service_time: ServiceTimeOpt = None,
    error_budget: Annotated[float, typer.Option(
        "--error-budget", help="Acceptable share of failed requests (502 + 504 + 500); above it the exit code is 1.")]
    = 0.001,
    target_utilization: Annotated[float, typer.Option(
        "--target-utilization", help="Utilisation the workers recommendation aims for.")] = 0.7,
    simulate: Annotated[bool, typer.Option(
        "--simulate", help="Report the discrete-event simulator's numbers instead of the formulas.")] = False,
    duration: Annotated[str, typer.Option(
        "--duration", help="Simulated time measured per run with --simulate (after an automatic warm-up), e.g. 60s "
                           "or 2m.")] = "60s",
    seed: Annotated[int, typer.Option("--seed", help="Random seed for --simulate.")] = 0,
    plot: Annotated[Optional[str], typer.Option(
        "--plot", help="Also draw the outcome shares against load to FILE.png or FILE.svg (needs matplotlib: "
                       "pip install 'proxy-advisor[plot]').", show_default=False)] = None,
    output_format: Annotated[str, typer.Option("--output-format", help="text or json.")] = "text",
    color: Annotated[str, typer.Option("--color", help="auto, always, never.")] = "auto",
    explain: Annotated[bool, typer.Option(
        "--explain", help="Also print every parameter's source, what happens when all workers are busy, the notes "
                          "and a chart of the outcomes against load.")] = False,
    access_log: AccessLogOpt = None,
    log_format: LogFormatOpt = None,
    window: WindowOpt = None,
    since: Annotated[Optional[str], typer.Option(
        "--since", help="With --access-log: only requests from this time on (2024-05-01T12:00; without a UTC offset "
                        "in the log's own).", show_default=False)] = None,
    until: Annotated[Optional[str], typer.Option(
        "--until", help="With --access-log: only requests before this time.", show_default=False)] = None,
    max_file_size: MaxFileSizeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Predict the ok/502/504/500 shares of every nginx -> gunicorn link with a queueing model, and what to change."""
    service_time = _service_time_or_exit(service_time)
    duration_s = _seconds_or_exit(duration, "--duration")
    host = _host_or_exit(cpus, somaxconn, nginx_version, gunicorn_version, env)
    from advisor.commands.model_cmd import ModelOptions, run

    with _given(_inputs(paths, nginx, app_, app_format), max_file_size=max_file_size) as inputs:
        code = run(ModelOptions(
            inputs=inputs, host=host, rps=rps, service_time=service_time, error_budget=error_budget,
            target_utilization=target_utilization, simulate=simulate, duration_s=duration_s, seed=seed, plot=plot,
            output_format=output_format, color=color, debug=debug, explain=explain,
            access_logs=list(access_log or []), log_format=log_format, window=window, since=since, until=until))
    raise typer.Exit(code)


@app.command()
def validate(
    paths: PathsArg = None,
    nginx: NginxOpt = None,
    app_: AppOpt = None,
    app_format: AppFormatOpt = None,
    cpus: CpusOpt = None,
    somaxconn: SomaxconnOpt = None,
    nginx_version: NginxVersionOpt = None,
    gunicorn_version: GunicornVersionOpt = None,
    env: EnvOpt = None,
    rps: RpsOpt = None,
    service_time: ServiceTimeOpt = None,
    duration: Annotated[str, typer.Option(
        "--duration", help="Measured part of the run (wall clock), e.g. 20s or 2m; max 600s.")] = "20s",
    warmup: Annotated[str, typer.Option("--warmup", help="Discarded start of the run, e.g. 2s; max 120s.")] = "2s",
    proxy: Annotated[str, typer.Option(
        "--proxy", help="auto (nginx when installed), nginx (real nginx), builtin (load generator emulates nginx's "
                        "connect/read timeouts).")] = "auto",
    server: Annotated[str, typer.Option(
        "--server", help="ref (reference pre-fork server), gunicorn (real gunicorn, synthetic app) or uwsgi (real "
        "uWSGI, synthetic app).")] = "ref",
    time_scale: Annotated[float, typer.Option(
        "--time-scale", help="Multiply service times and every timeout by F (and divide the rate by F): same ρ and "
                             "timeout/service ratios, shorter or slower runs.")] = 1.0,
    link: Annotated[Optional[int], typer.Option(
        "--link", min=1, help="Which route -> app link to run (1-based, as `advisor show` lists them).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for arrivals, service times and the band.")] = 1,
    band_level: Annotated[float, typer.Option(
        "--band-level", help="Coverage of the simulated band a correct model's run falls in.")] = 0.95,
    output_format: Annotated[str, typer.Option("--output-format", help="text or json.")] = "text",
    keep_access_log: Annotated[Optional[str], typer.Option(
        "--keep-access-log", help="Write nginx's access log of the run here, in the timing format `advisor model "
                                  "--access-log` reads.", show_default=False)] = None,
    debug: DebugOpt = False,
) -> None:
    """Run the link for real on private loopback/unix addresses and compare measured 502/504 shares with the model."""
    if rps is None or service_time is None:
        _fail_usage("validate needs --rps and --service-time (e.g. --rps 64 --service-time 50ms)")
    service_time = _service_time_or_exit(service_time)
    duration = _duration_text(_seconds_or_exit(duration, "--duration"))
    warmup = _duration_text(_seconds_or_exit(warmup, "--warmup"))
    host = _host_or_exit(cpus, somaxconn, nginx_version, gunicorn_version, env)
    from advisor.commands.validate_cmd import ValidateOptions, run

    with _given(_inputs(paths, nginx, app_, app_format)) as inputs:
        code = run(ValidateOptions(
            inputs=inputs, host=host, rps=rps, service_time=service_time, duration=duration, warmup=warmup,
            proxy=proxy, server=server, time_scale=time_scale, link=link, seed=seed, output_format=output_format,
            band_level=band_level, debug=debug, keep_access_log=keep_access_log))
    raise typer.Exit(code)


@app.command()
def refserver(
    bind: Annotated[str, typer.Option(
        "--bind", help="127.0.0.1:PORT, [::1]:PORT or unix:/path (loopback and unix sockets only).")],
    workers: Annotated[int, typer.Option("--workers", help="Pre-forked sync workers (max 64).")] = 1,
    backlog: Annotated[int, typer.Option("--backlog", help="listen(2) backlog.")] = 2048,
    timeout: Annotated[float, typer.Option("--timeout", help="Worker timeout in seconds; 0 disables.")] = 30.0,
    graceful_timeout: Annotated[float, typer.Option("--graceful-timeout", help="Seconds to finish on SIGTERM.")]
    = 30.0,
    check_interval: Annotated[float, typer.Option(
        "--check-interval", help="How often the master checks worker heartbeats (gunicorn: 1 s).")] = 1.0,
    restart_delay: Annotated[float, typer.Option(
        "--restart-delay", help="Seconds before a dead worker is replaced.")] = 0.0,
    boot_delay: Annotated[float, typer.Option(
        "--boot-delay", help="Seconds each worker sleeps before its first accept (app import time).")] = 0.0,
    service: Annotated[str, typer.Option(
        "--service", help="Service time when a request has no ?t=: exp:MEAN, const:S, lognormal:P50,P99, or 50ms, "
                          "p50=40ms,p99=400ms.")] = "const:0",
    mode: Annotated[str, typer.Option("--mode", help="sleep, cpu, or block (ignores signals).")] = "sleep",
    seed: Annotated[Optional[int], typer.Option("--seed", help="Seed for sampled service times.")] = None,
    max_seconds: Annotated[float, typer.Option("--max-seconds", help="Stop by itself after this many seconds.")]
    = 300.0,
    request_log: Annotated[Optional[str], typer.Option(
        "--request-log", help="Append one JSON line per request to this file.")] = None,
) -> None:
    """Run the reference pre-fork server (gunicorn sync-worker semantics, synthetic app: ?t=SECONDS sleeps)."""
    from advisor.validation.refserver import main as refserver_main

    argv = ["--bind", bind, "--workers", str(workers), "--backlog", str(backlog), "--timeout", repr(timeout),
            "--graceful-timeout", repr(graceful_timeout), "--check-interval", repr(check_interval),
            "--restart-delay", repr(restart_delay), "--boot-delay", repr(boot_delay), "--service", service,
            "--mode", mode, "--max-seconds", repr(max_seconds)]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if request_log:
        argv += ["--request-log", request_log]
    raise typer.Exit(refserver_main(argv))


def _command_name(info: "typer.models.CommandInfo") -> str:
    return info.name or info.callback.__name__.replace("_", "-")  # type: ignore[union-attr]


def app_for(argv: list[str]) -> typer.Typer:
    """The app with only the command that `argv` runs (typer builds the options of every registered command on each
    call, which a one-command run does not need); the whole app for anything else (`--help`, a typo, no command).
    Usage, help and errors of a command are the same either way: the group keeps its callback and settings."""
    name = argv[1] if len(argv) > 1 else None
    chosen = [info for info in app.registered_commands if _command_name(info) == name]
    if len(chosen) != 1:
        return app
    single = copy.copy(app)
    single.registered_commands = chosen
    return single


def main() -> None:
    """Console entry point: usage errors exit 2; an unexpected exception is one line on stderr and exit 2."""
    from advisor.terminal import safe_stream

    debug = "--debug" in sys.argv
    sys.stdout, sys.stderr = safe_stream(sys.stdout), safe_stream(sys.stderr)  # ASCII terminals: no crash
    try:
        app_for(sys.argv)(prog_name="advisor")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("advisor: interrupted\n")
        raise SystemExit(130)
    except RecursionError:  # input nested beyond what a parser handles
        if debug:
            raise
        sys.stderr.write("advisor: error: an input is nested too deeply to be read\n")
        raise SystemExit(2)
    except Exception as error:  # noqa: BLE001 - the catch-all the exit-code contract promises
        if debug:
            raise
        sys.stderr.write(f"advisor: internal error: {type(error).__name__}: {error} (run with --debug for details)\n")
        raise SystemExit(2)
