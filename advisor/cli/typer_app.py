"""The typer app: every command's options, help and usage errors are declared here, once.

Each command hands its parameters to the typer-free handler of the same name (advisor/cli/handlers.py), which the
fast path (advisor/cli/fast_path.py) also calls; advisor/cli/fast_spec.py is generated from these declarations
(`python -m advisor.cli.spec_gen`)."""

from __future__ import annotations

import copy
import sys
from typing import Annotated, Optional

import typer

from advisor.cli import handlers

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
TextOrJsonOpt = Annotated[str, typer.Option("--output-format", help="text or json.")]  # show, rules, model, validate
ColorOpt = Annotated[str, typer.Option("--color", help="auto, always, never.")]
RulesDirOpt = Annotated[Optional[list[str]], typer.Option(
    "--rules", help="Extra rule directory (repeatable).")]  # rules, rule
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
        sys.stdout.write(handlers.version_line())
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version_callback, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """advisor: configuration advisor and linter for nginx in front of gunicorn."""


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
    color: ColorOpt = "auto",
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
    raise typer.Exit(handlers.check(**locals()))


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
    output_format: TextOrJsonOpt = "text",
    max_file_size: MaxFileSizeOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Print the resolved deployment: routes, upstreams, app servers, links, and where every value came from."""
    raise typer.Exit(handlers.show(**locals()))


@app.command("rules")
def rules_list(
    rules: RulesDirOpt = None,
    output_format: TextOrJsonOpt = "text",
) -> None:
    """List the rules: code, name, severity, summary."""
    raise typer.Exit(handlers.rules_list(**locals()))


@app.command("rule")
def rule_explain(
    code_or_name: Annotated[str, typer.Argument(help="A rule code (TMO002) or name.")],
    rules: RulesDirOpt = None,
    output_format: Annotated[str, typer.Option("--output-format", help="text (Markdown) or json.")] = "text",
) -> None:
    """Print one rule's documentation."""
    raise typer.Exit(handlers.rule_explain(**locals()))


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
    output_format: TextOrJsonOpt = "text",
    color: ColorOpt = "auto",
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
    raise typer.Exit(handlers.model(**locals()))


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
        "--server", help="ref (reference pre-fork server), gunicorn (real gunicorn, synthetic app), uwsgi (real "
        "uWSGI, synthetic app) or uvicorn (real standalone uvicorn, synthetic ASGI app).")] = "ref",
    time_scale: Annotated[float, typer.Option(
        "--time-scale", help="Multiply service times and every timeout by F (and divide the rate by F): same ρ and "
                             "timeout/service ratios, shorter or slower runs.")] = 1.0,
    link: Annotated[Optional[int], typer.Option(
        "--link", min=1, help="Which route -> app link to run (1-based, as `advisor show` lists them).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for arrivals, service times and the band.")] = 1,
    band_level: Annotated[float, typer.Option(
        "--band-level", help="Coverage of the simulated band a correct model's run falls in.")] = 0.95,
    output_format: TextOrJsonOpt = "text",
    keep_access_log: Annotated[Optional[str], typer.Option(
        "--keep-access-log", help="Write nginx's access log of the run here, in the timing format `advisor model "
                                  "--access-log` reads.", show_default=False)] = None,
    debug: DebugOpt = False,
) -> None:
    """Run the link for real on private loopback/unix addresses and compare measured 502/504 shares with the model."""
    raise typer.Exit(handlers.validate(**locals()))


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
    raise typer.Exit(handlers.refserver(**locals()))


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
