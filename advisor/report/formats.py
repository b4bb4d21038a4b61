"""The one output dispatcher: `--output-format` (and `--statistics`) to its writer.

Every writer receives the same typed inputs — a ReportData (findings, skips, notices, files) and the rules — plus the
RenderOptions it understands and the stream it writes to as it renders, and is imported only when used. A new output
format is one entry in `_WRITERS` and its module.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TextIO

from advisor.engine.findings import Finding, Notice, Skip
from advisor.report import ReportData

OUTPUT_FORMATS: tuple[str, ...] = ("full", "concise", "json", "json-lines", "sarif", "github", "gitlab", "junit")
HUMAN_FORMATS = frozenset({"full", "concise"})
JSON_STATISTICS_FORMATS = frozenset({"json", "json-lines"})


class UnknownFormatError(ValueError):
    """`--output-format` names no known format (the CLI turns this into a usage error, exit 2)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown output format {name!r} (choose from: {', '.join(OUTPUT_FORMATS)})")
        self.name = name


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How a report is rendered; each writer reads the options that apply to it."""

    color: bool = False  # full / concise
    explain: bool = False  # full: each finding's explanation
    explain_skips: bool = False  # full / concise / json: the skipped checks
    statistics: bool = False  # per-rule counts instead of the findings (JSON for json / json-lines)
    version: str | None = None  # SARIF: advisor's version (default: the installed one)
    execution_successful: bool = True  # SARIF
    base_url: str | None = None  # SARIF: where rule help links point


Writer = Callable[[ReportData, Any, RenderOptions, TextIO], None]


def _root(data: ReportData) -> str:
    """The directory the CI formats make paths relative to (the working directory unless the data says)."""
    return data.root or os.getcwd()


def _text(concise: bool) -> Writer:
    def write(data: ReportData, rules: Any, options: RenderOptions, stream: TextIO) -> None:
        from advisor.report import text

        text.write(data, stream, concise=concise, color=options.color, explain_skips=options.explain_skips,
                   explain=options.explain)

    return write


def _json(data: ReportData, rules: Any, options: RenderOptions, stream: TextIO) -> None:
    from advisor.report import json_report

    json_report.write(data, stream, options.explain_skips)


def _json_lines(data: ReportData, rules: Any, options: RenderOptions, stream: TextIO) -> None:
    from advisor.report.json_lines import write_json_lines

    write_json_lines(data.findings, stream, root=_root(data))


def _sarif(data: ReportData, rules: Any, options: RenderOptions, stream: TextIO) -> None:
    from advisor.report.sarif import write_sarif

    write_sarif(data.findings, rules, stream, root=_root(data), version=options.version,
                execution_successful=options.execution_successful, base_url=options.base_url, notices=data.notices)


def _github(data: ReportData, rules: Any, options: RenderOptions, stream: TextIO) -> None:
    from advisor.report.github import write_github

    write_github(data.findings, stream, root=_root(data), notices=data.notices)


def _gitlab(data: ReportData, rules: Any, options: RenderOptions, stream: TextIO) -> None:  # no place for notices
    from advisor.report.gitlab import write_gitlab

    write_gitlab(data.findings, stream, root=_root(data))


def _junit(data: ReportData, rules: Any, options: RenderOptions, stream: TextIO) -> None:
    from advisor.report.junit import write_junit

    write_junit(data.findings, stream, root=_root(data), notices=data.notices)


_WRITERS: dict[str, Writer] = {
    "full": _text(concise=False), "concise": _text(concise=True), "json": _json, "json-lines": _json_lines,
    "sarif": _sarif, "github": _github, "gitlab": _gitlab, "junit": _junit,
}
assert tuple(_WRITERS) == OUTPUT_FORMATS


def write_to(stream: TextIO, format_name: str, data: ReportData, rules: Any,
             options: RenderOptions = RenderOptions()) -> None:
    """Write the report in `format_name` to `stream` as it is rendered (a large report is never held whole); with
    `options.statistics`, the per-rule counts instead."""
    writer = _WRITERS.get(format_name)
    if writer is None:
        raise UnknownFormatError(format_name)
    if options.statistics:
        from advisor.report.statistics import render_statistics

        stream.write(render_statistics(data.findings, rules, root=_root(data),
                                       as_json=format_name in JSON_STATISTICS_FORMATS))
        return
    writer(data, rules, options, stream)


def write(format_name: str, data: ReportData, rules: Any, options: RenderOptions = RenderOptions()) -> str:
    """The report in `format_name` as one string (`write_to` into memory)."""
    buffer = io.StringIO()
    write_to(buffer, format_name, data, rules, options)
    return buffer.getvalue()


def render(format_name: str, findings: Iterable[Finding], rules: Any, *, root: str | None = None,
           skips: Iterable[Skip] = (), rules_run: int | None = None, files: Iterable[str] = (),
           notices: Iterable[Notice] = (), **options: Any) -> str:
    """`write` for callers that hold findings rather than a ReportData; `options` are RenderOptions fields (others
    are ignored)."""
    data = ReportData.build(findings, rules, root=root, skips=skips, rules_run=rules_run, files=files,
                            notices=notices)
    known = {name: value for name, value in options.items() if name in RenderOptions.__dataclass_fields__}
    return write(format_name, data, rules, RenderOptions(**known))
