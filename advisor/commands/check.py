"""`advisor check`: build the deployment, run the selected rules, report, and choose the exit code.

Exit codes (README.md#exit-codes): 0 no finding at or above --fail-on; 1 findings at or above it; 2 usage
error, bad rule file, unreadable output file or internal error (message on stderr; a traceback only with --debug).
A config that does not parse is a finding (ADV001, severity error), so it exits 1, never 0. Notices (what could
not be checked: one side of the pair missing, routes reaching no app server) never change the exit code; a missing
input is an info finding (advisor/model/diagnostics.py), so it cannot fail a run by itself either.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from advisor.model.severity import SEVERITY_NAMES

if TYPE_CHECKING:
    from advisor.commands.options import CheckOptions, Inputs
    from advisor.model.deployment import Deployment
    from advisor.project_config import PairConfig
    from advisor.report import ReportData

COLOR_CHOICES = ("auto", "always", "never")
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class UsageError(Exception):
    """Bad options (exit 2)."""


def run(options: CheckOptions, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run `advisor check` with parsed options; returns the process exit code."""
    import gc

    out = stdout or sys.stdout
    err = stderr or sys.stderr
    # The run allocates many small acyclic objects (settings, sources, facts); the cyclic collector would walk
    # them again and again for nothing (a third of the time on large configs). Re-enabled before returning.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _run(options, out, err)
    except Exception as error:  # every failure becomes a message and exit 2
        return _report_error(error, options.debug, err)
    finally:
        if gc_was_enabled:
            gc.enable()


def _report_error(error: Exception, debug: bool, err: TextIO) -> int:
    from advisor.engine.rules import RuleFileError
    from advisor.engine.selection import SelectionError
    from advisor.engine.workload_facts import WorkloadError
    from advisor.loaders.deployment import InputError
    from advisor.project_config import ConfigError

    if isinstance(error, (UsageError, InputError, SelectionError, ConfigError, WorkloadError)):
        print(f"advisor: error: {error}", file=err)
    elif isinstance(error, RuleFileError):
        print(f"advisor: error: invalid rule file: {error}", file=err)
    elif isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename and str(error.filename) not in str(error) else ""
        print(f"advisor: error: {where}{error}", file=err)
    elif isinstance(error, RecursionError):
        print("advisor: error: an input is nested too deeply to be read", file=err)
    else:
        print(f"advisor: internal error: {type(error).__name__}: {error} (rerun with --debug for a traceback)",
              file=err)
    if debug:
        import traceback

        traceback.print_exception(error, file=err)
    return EXIT_ERROR


def _validate(options: CheckOptions) -> None:
    from advisor.report.formats import OUTPUT_FORMATS

    if options.output_format not in OUTPUT_FORMATS:
        raise UsageError(f"--output-format {options.output_format!r}: expected one of {', '.join(OUTPUT_FORMATS)}")
    if options.fail_on not in SEVERITY_NAMES:
        raise UsageError(f"--fail-on {options.fail_on!r}: expected one of {', '.join(SEVERITY_NAMES)}")
    if options.color not in COLOR_CHOICES:
        raise UsageError(f"--color {options.color!r}: expected one of {', '.join(COLOR_CHOICES)}")


def _run(options: CheckOptions, out: TextIO, err: TextIO) -> int:
    import os

    from advisor.engine.coverage import GivenInputs
    from advisor.engine.postprocess import apply_policy, drop_used_elsewhere
    from advisor.engine.redaction import redact_outside
    from advisor.engine.rules import load_rules
    from advisor.engine.run import run_rules
    from advisor.engine.selection import select_rules
    from advisor.engine.workload_facts import workload_for_run
    from advisor.loaders.deployment import build_deployment, split_inputs
    from advisor.project_config import (
        inputs_for_run, load_project_config, merge_check_options,
    )
    from advisor.privacy import include_inputs
    from advisor.report import ReportData, at_or_above

    config = load_project_config(os.getcwd(), options.config, options.isolated)
    for warning in (config.warnings if config is not None else ()):
        print(f"advisor: warning: {warning}", file=err)
    options = merge_check_options(options, config)
    _validate(options)
    rules = load_rules(options.rules_dirs)
    selection = select_rules(rules, options.select, options.ignore, options.extend_select)
    host = options.host
    policy = config.finding_policy() if config is not None else None  # per-file-ignores, severity
    findings, skips, files, rules_run, used_suppressions, notices = [], [], [], 0, [], []
    runs = inputs_for_run(options.inputs, config)
    for pair, inputs in runs:
        include_inputs([*inputs.paths, *inputs.nginx, *inputs.app])  # config pairs are the project's too
        deployment = build_deployment(inputs, host)
        workload = workload_for_run(options.workload, pair, deployment)  # --rps/--service-time/--access-log, else
        #                                                                  the pair's workload
        nginx_paths, app_paths = split_inputs(inputs)
        given = GivenInputs(tuple(nginx_paths), tuple(app_paths))
        result = run_rules(deployment, rules, selection, strict=options.debug, workload=workload, given=given)
        label = pair_label(pair, inputs) if len(runs) > 1 else None
        notices.extend(notice.prefixed(label) if label else notice for notice in result.notices)
        findings.extend(redact_outside(apply_policy(result.findings, policy)))
        skips.extend(result.skips)
        used_suppressions.extend(result.used_suppressions)
        files.extend(path for path in files_read(deployment) if path not in files)
        rules_run = result.rules_run
    # A suppression used by one pair is not "unused" because another pair sharing the file did not need it.
    findings = drop_used_elsewhere(findings, used_suppressions)
    findings = sorted({finding.dedup_key: finding for finding in findings}.values(), key=lambda f: f.sort_key)
    data = ReportData(findings, skips, rules_run, files, notices=notices)
    if options.output_file:
        from advisor.commands.output_file import report_output

        with report_output(options.output_file) as handle:  # whole or not at all
            write_report(data, rules, options, out, handle)
    else:
        write_report(data, rules, options, out, out)
        out.flush()
    if options.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if at_or_above(data.findings, options.fail_on) else EXIT_OK


def pair_label(pair: PairConfig | None, inputs: Inputs) -> str:
    """How a notice names its config pair when a run checks several: the pair's name, else its files."""
    from advisor.report import display_path

    if pair is not None and pair.name:
        return f"pair {pair.name}"
    paths = [*inputs.nginx, *inputs.app, *inputs.paths]
    shown = " + ".join(display_path(path) or path for path in paths[:2]) + (" + ..." if len(paths) > 2 else "")
    return f"pair {shown}" if pair is not None else f"files {shown}"


def files_read(deployment: Deployment) -> list[str]:
    files: list[str] = list(deployment.nginx.files) if deployment.nginx is not None else []
    for app in deployment.apps:
        if app.source.path and app.source.path not in files:
            files.append(app.source.path)
    return files


def write_report(data: ReportData, rules: list, options: CheckOptions, out: TextIO, stream: TextIO) -> None:
    """The report in --output-format (or --statistics) written to `stream` as it is rendered, through the one
    dispatcher (advisor/report/formats.py); `out` is the standard output (colour only on its terminal)."""
    from advisor import __version__
    from advisor.report import use_color
    from advisor.report.formats import RenderOptions, write_to

    is_tty = not options.output_file and hasattr(out, "isatty") and out.isatty()
    color = use_color(options.color, is_tty) and not options.output_file
    write_to(stream, options.output_format, data, rules, RenderOptions(
        color=color, explain=options.explain, explain_skips=options.explain_skips, statistics=options.statistics,
        version=__version__, execution_successful=True))
