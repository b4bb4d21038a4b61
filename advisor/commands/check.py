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

if TYPE_CHECKING:
    from advisor.commands.options import CheckOptions, Inputs
    from advisor.model.deployment import Deployment
    from advisor.project_config import PairConfig
    from advisor.report import ReportData

ENGINE_FORMATS = ("full", "concise", "json")
FAIL_ON = ("error", "warning", "info")
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
    from advisor.model.build import InputError
    from advisor.project_config import ConfigError

    if isinstance(error, (UsageError, InputError, SelectionError, ConfigError, WorkloadError)):
        print(f"advisor: error: {error}", file=err)
    elif isinstance(error, RuleFileError):
        print(f"advisor: error: invalid rule file: {error}", file=err)
    elif isinstance(error, OSError):
        print(f"advisor: error: {error}", file=err)
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
    if options.fail_on not in FAIL_ON:
        raise UsageError(f"--fail-on {options.fail_on!r}: expected one of {', '.join(FAIL_ON)}")
    if options.color not in COLOR_CHOICES:
        raise UsageError(f"--color {options.color!r}: expected one of {', '.join(COLOR_CHOICES)}")


def _run(options: CheckOptions, out: TextIO, err: TextIO) -> int:
    import os

    from advisor.engine.coverage import GivenInputs
    from advisor.engine.hygiene import drop_used_elsewhere
    from advisor.engine.rules import load_rules
    from advisor.engine.run import run_rules
    from advisor.engine.selection import select_rules
    from advisor.engine.workload_facts import workload_for_run
    from advisor.model.build import build_deployment, host_facts_from_options, split_inputs
    from advisor.project_config import (
        apply_config_to_findings, inputs_for_run, load_project_config, merge_check_options,
    )
    from advisor.report import ReportData, at_or_above

    config = load_project_config(os.getcwd(), options.config, options.isolated)
    for warning in (config.warnings if config is not None else ()):
        print(f"advisor: warning: {warning}", file=err)
    options = merge_check_options(options, config)
    _validate(options)
    rules = load_rules(options.rules_dirs)
    selection = select_rules(rules, options.select, options.ignore, options.extend_select)
    host = host_facts_from_options(options.host)
    findings, skips, files, rules_run, used_suppressions, notices = [], [], [], 0, [], []
    runs = inputs_for_run(options.inputs, config)
    for pair, inputs in runs:
        deployment = build_deployment(inputs, host)
        workload = workload_for_run(options.workload, pair, deployment)  # --rps/--service-time/--access-log, else
        #                                                                  the pair's workload
        nginx_paths, app_paths = split_inputs(inputs)
        given = GivenInputs(tuple(nginx_paths), tuple(app_paths))
        result = run_rules(deployment, rules, selection, strict=options.debug, workload=workload, given=given)
        label = pair_label(pair, inputs) if len(runs) > 1 else None
        notices.extend(notice.prefixed(label) if label else notice for notice in result.notices)
        findings.extend(apply_config_to_findings(result.findings, config))
        skips.extend(result.skips)
        used_suppressions.extend(result.used_suppressions)
        files.extend(path for path in files_read(deployment) if path not in files)
        rules_run = result.rules_run
    # A suppression used by one pair is not "unused" because another pair sharing the file did not need it.
    findings = drop_used_elsewhere(findings, used_suppressions)
    findings = sorted({finding.dedup_key: finding for finding in findings}.values(), key=lambda f: f.sort_key)
    data = ReportData(findings, skips, rules_run, files, notices=notices)
    text = render(data, rules, options, out)
    if options.output_file:
        with open(options.output_file, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        out.write(text)
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


def render(data: ReportData, rules: list, options: CheckOptions, out: TextIO) -> str:
    """full / concise / json here; --statistics and the CI formats (sarif, github, ...) via report.formats."""
    import os

    if options.statistics or options.output_format not in ENGINE_FORMATS:
        from advisor import __version__
        from advisor.report.formats import render as render_format

        return render_format(options.output_format, data.findings, rules, root=os.getcwd(),
                             statistics=options.statistics, version=__version__, execution_successful=True,
                             notices=data.notices)
    if options.output_format == "json":
        from advisor.report import json_report

        return json_report.render(data, options.explain_skips)
    from advisor.report import text, use_color

    is_tty = not options.output_file and hasattr(out, "isatty") and out.isatty()
    color = use_color(options.color, is_tty) and not options.output_file
    return text.render(data, concise=options.output_format == "concise", color=color,
                       explain_skips=options.explain_skips, explain=getattr(options, "explain", False))
