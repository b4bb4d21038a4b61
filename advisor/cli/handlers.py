"""What each command does with its parsed options: build the options objects, hand over to `advisor.commands.*`, and
return the exit code. Free of typer, so that the fast path (advisor/cli/fast_path.py) can call the same code that
the typer commands (advisor/cli/typer_app.py) call; usage errors print `advisor: error: ...` and exit 2 either way.

Each handler takes the command's parameters by the names of the typer declarations; imports stay lazy."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn, Optional

if TYPE_CHECKING:
    from advisor.commands.options import HostFacts, Inputs

EXIT_USAGE = 2


def version_line() -> str:
    """What `advisor --version` prints."""
    from advisor import __version__

    return f"advisor {__version__}\n"


def fail_usage(message: str) -> NoReturn:
    sys.stderr.write(f"advisor: error: {message}\n")
    raise SystemExit(EXIT_USAGE)


def split_list(values: Optional[list[str]]) -> list[str]:
    items: list[str] = []
    for value in values or []:
        items.extend(part.strip() for part in value.split(",") if part.strip())
    return items


def host_options(cpus, somaxconn, nginx_version, gunicorn_version, env) -> "HostFacts":
    from advisor.commands.options import HostFacts, parse_env_assignments

    return HostFacts.build(cpus=cpus, somaxconn=somaxconn, nginx_version=nginx_version,
                           gunicorn_version=gunicorn_version, env=parse_env_assignments(env or []))


def host_or_exit(cpus, somaxconn, nginx_version, gunicorn_version, env) -> "HostFacts":
    try:
        return host_options(cpus, somaxconn, nginx_version, gunicorn_version, env)
    except ValueError as error:
        fail_usage(str(error))


def inputs_of(paths, nginx, app_, app_format) -> "Inputs":
    from advisor.commands.options import Inputs

    return Inputs(paths=list(paths or []), nginx=list(nginx or []), app=list(app_ or []), app_format=app_format)


@contextmanager
def given(inputs: "Inputs", output_file: Optional[str] = None,
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
            fail_usage(f"--max-file-size: {error}")
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
        fail_usage(str(error))


def service_time_or_exit(service_time: Optional[str]) -> Optional[str]:
    """A bare number is refused rather than read as seconds: `100` is as often meant as 100ms."""
    from advisor.units import require_units

    if service_time is not None:
        try:
            require_units(service_time)
        except ValueError as error:
            fail_usage(f"--service-time: {error}")
    return service_time


def seconds_or_exit(text: str, option: str) -> float:
    """`--duration 90s`, `2m`, `1m30s`, `500ms` or a number of seconds, the same in every command."""
    from advisor.units import parse_option_duration

    try:
        return parse_option_duration(text)
    except ValueError as error:
        fail_usage(f"{option}: {error}")


# The commands ------------------------------------------------------------------------------------------------------

def check(*, paths, nginx, app_, app_format, cpus, somaxconn, nginx_version, gunicorn_version, env, output_format,
          output_file, select, ignore, extend_select, fail_on, exit_zero, color, explain_skips, explain, statistics,
          rules, rps, service_time, error_budget, access_log, log_format, window, config, isolated, max_file_size,
          debug) -> int:
    from advisor.commands.options import CheckOptions, Workload

    service_time = service_time_or_exit(service_time)
    try:
        options = CheckOptions(
            inputs=inputs_of(paths, nginx, app_, app_format),
            host=host_options(cpus, somaxconn, nginx_version, gunicorn_version, env),
            workload=Workload(rps=rps, service_time=service_time, error_budget=error_budget,
                              access_logs=list(access_log or []), log_format=log_format, window=window),
            output_format=output_format or os.environ.get("ADVISOR_OUTPUT_FORMAT") or None,
            output_file=output_file, select=split_list(select), ignore=split_list(ignore),
            extend_select=split_list(extend_select), fail_on=fail_on, exit_zero=exit_zero, color=color,
            explain_skips=explain_skips, explain=explain, statistics=statistics, rules_dirs=list(rules or []),
            config=config, isolated=isolated, debug=debug,
        )
    except ValueError as error:
        fail_usage(str(error))
    from advisor.commands.check import run

    with given(options.inputs, output_file, max_file_size) as inputs:
        options.inputs = inputs
        return run(options)


def show(*, paths, nginx, app_, app_format, cpus, somaxconn, nginx_version, gunicorn_version, env, output_format,
         max_file_size, debug) -> int:
    host = host_or_exit(cpus, somaxconn, nginx_version, gunicorn_version, env)
    from advisor.commands.show import run

    with given(inputs_of(paths, nginx, app_, app_format), max_file_size=max_file_size) as inputs:
        return run(inputs, host, output_format, debug=debug)


def rules_list(*, rules, output_format) -> int:
    from advisor.commands.rules_cmd import list_rules_command

    return list_rules_command(list(rules or []), output_format)


def rule_explain(*, code_or_name, rules, output_format) -> int:
    from advisor.commands.rules_cmd import explain_rule_command

    return explain_rule_command(code_or_name, list(rules or []), output_format)


def model(*, paths, nginx, app_, app_format, cpus, somaxconn, nginx_version, gunicorn_version, env, rps,
          service_time, error_budget, target_utilization, simulate, duration, seed, plot, output_format, color,
          explain, access_log, log_format, window, since, until, max_file_size, debug) -> int:
    service_time = service_time_or_exit(service_time)
    duration_s = seconds_or_exit(duration, "--duration")
    host = host_or_exit(cpus, somaxconn, nginx_version, gunicorn_version, env)
    from advisor.commands.model_cmd import ModelOptions, run

    with given(inputs_of(paths, nginx, app_, app_format), max_file_size=max_file_size) as inputs:
        return run(ModelOptions(
            inputs=inputs, host=host, rps=rps, service_time=service_time, error_budget=error_budget,
            target_utilization=target_utilization, simulate=simulate, duration_s=duration_s, seed=seed, plot=plot,
            output_format=output_format, color=color, debug=debug, explain=explain,
            access_logs=list(access_log or []), log_format=log_format, window=window, since=since, until=until))


def validate(*, paths, nginx, app_, app_format, cpus, somaxconn, nginx_version, gunicorn_version, env, rps,
             service_time, duration, warmup, proxy, server, time_scale, link, seed, band_level, output_format,
             keep_access_log, debug) -> int:
    if rps is None or service_time is None:
        fail_usage("validate needs --rps and --service-time (e.g. --rps 64 --service-time 50ms)")
    service_time = service_time_or_exit(service_time)
    from advisor.units import option_seconds_text

    duration = option_seconds_text(seconds_or_exit(duration, "--duration"))
    warmup = option_seconds_text(seconds_or_exit(warmup, "--warmup"))
    host = host_or_exit(cpus, somaxconn, nginx_version, gunicorn_version, env)
    from advisor.commands.validate_cmd import ValidateOptions, run

    with given(inputs_of(paths, nginx, app_, app_format)) as inputs:
        return run(ValidateOptions(
            inputs=inputs, host=host, rps=rps, service_time=service_time, duration=duration, warmup=warmup,
            proxy=proxy, server=server, time_scale=time_scale, link=link, seed=seed, output_format=output_format,
            band_level=band_level, debug=debug, keep_access_log=keep_access_log))


def refserver(*, bind, workers, backlog, timeout, graceful_timeout, check_interval, restart_delay, boot_delay,
              service, mode, seed, max_seconds, request_log) -> int:
    from advisor.validation.refserver import main as refserver_main

    argv = ["--bind", bind, "--workers", str(workers), "--backlog", str(backlog), "--timeout", repr(timeout),
            "--graceful-timeout", repr(graceful_timeout), "--check-interval", repr(check_interval),
            "--restart-delay", repr(restart_delay), "--boot-delay", repr(boot_delay), "--service", service,
            "--mode", mode, "--max-seconds", repr(max_seconds)]
    if seed is not None:
        argv += ["--seed", str(seed)]
    if request_log:
        argv += ["--request-log", request_log]
    return refserver_main(argv)

