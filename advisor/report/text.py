"""Human-readable output.

concise: exactly one line per finding, `path:line:col: CODE [severity] message` (ruff-like; editors jump to it).
full (default): the same first line, then the source line, `fix:`, `--> related: path:line:col (message)` for
each related location (usually in the other file) and `also: path:line:col` for each other place of the same
problem, with a blank line between findings; with `explain` (`advisor check --explain`), the finding's
explanation too (the mechanism behind the message, wrapped and indented).
Both then print a `note:` line for each thing the run could not check (one side missing, routes not linked) and end
with `Found N problems (E errors, W warnings, I info).`, or when nothing was found, `All checks passed!` — only if
every selected check could run; otherwise `No problems found by the checks that ran; ...`.
"""

from __future__ import annotations

import io
from typing import Iterable, TextIO

from advisor.engine.findings import Finding, Notice
from advisor.privacy import inside_project
from advisor.readers import read_text_or_none
from advisor.report import ReportData, display_path

_STYLES = {"error": "1;31", "warning": "1;33", "info": "1;36", "path": "1", "dim": "2", "code": "1", "ok": "1;32",
           "note": "1;36"}


class _Painter:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, style: str) -> str:
        return f"\x1b[{_STYLES[style]}m{text}\x1b[0m" if self.enabled else text


MAX_SNIPPET_CHARS = 300  # of a source line shown under a finding (minified or generated files have huge lines)


class SourceLines:
    """The offending line of each finding, from the text the loaders read (advisor/readers.py: a file is not read
    again, a special or huge file never). Files outside the project show no line (advisor/privacy.py). Only the
    lines of the last file asked for are kept: findings come sorted by path, so a file's lines are dropped once its
    findings are done."""

    def __init__(self) -> None:
        self._path: str | None = None
        self._lines: list[str] | None = None

    def line(self, path: str | None, number: int | None) -> str | None:
        if path is None or number is None:
            return None
        if path != self._path:
            self._path, self._lines = path, None  # the previous file's lines are garbage before this one is read
            text = read_text_or_none(path) if inside_project(path) else None
            self._lines = text.splitlines() if text is not None else None
        lines = self._lines
        if not lines or not 1 <= number <= len(lines):
            return None
        line = lines[number - 1].rstrip()
        return line if len(line) <= MAX_SNIPPET_CHARS else line[:MAX_SNIPPET_CHARS] + " ..."


def _location(path: str | None, line: int | None, column: int | None, root: str | None) -> str:
    shown = display_path(path, root) or "<no file>"
    if line is None or path is None:
        return shown
    return f"{shown}:{line}:{column or 1}"


def _header(finding: Finding, paint: _Painter, root: str | None) -> str:
    where = paint(_location(finding.path, finding.line, finding.column, root), "path")
    message = " ".join(str(finding.message).split())  # one line, whatever a loader put into the message
    return f"{where}: {paint(finding.code, 'code')} {paint('[' + finding.severity + ']', finding.severity)} " \
           f"{message}"


def summary_line(data: ReportData, color: bool = False) -> str:
    paint = _Painter(color)
    if not data.findings:
        return paint("All checks passed!", "ok") if not data.notices else _partial_pass(data)
    counts = data.counts()
    total = len(data.findings)
    problems = "problem" if total == 1 else "problems"
    errors = "error" if counts["error"] == 1 else "errors"
    warnings = "warning" if counts["warning"] == 1 else "warnings"
    return f"Found {total} {problems} ({counts['error']} {errors}, {counts['warning']} {warnings}, " \
           f"{counts['info']} info)."


def _partial_pass(data: ReportData) -> str:
    """The clean verdict when some checks could not run: never a bare "All checks passed!"."""
    not_run, routes = data.checks_not_run, data.routes_not_checked
    if not_run:
        gap = f"{not_run} {'check' if not_run == 1 else 'checks'} did not run"
    elif routes:
        gap = f"{routes} {'route was' if routes == 1 else 'routes were'} not cross-checked"
    else:
        gap = "not everything could be checked"
    notes = "note" if len(data.notices) == 1 else "notes"
    return f"No problems found by the checks that ran; {gap} (see the {notes} above)."


def notice_lines(notices: Iterable[Notice], paint: _Painter | None = None) -> list[str]:
    paint = paint or _Painter(False)
    return [f"{paint('note:', 'note')} {notice.text}" for notice in notices]


def render(data: ReportData, concise: bool = False, color: bool = False, explain_skips: bool = False,
           summary: bool = True, sources: SourceLines | None = None, explain: bool = False) -> str:
    buffer = io.StringIO()
    write(data, buffer, concise=concise, color=color, explain_skips=explain_skips, summary=summary, sources=sources,
          explain=explain)
    return buffer.getvalue()


def write(data: ReportData, stream: TextIO, concise: bool = False, color: bool = False, explain_skips: bool = False,
          summary: bool = True, sources: SourceLines | None = None, explain: bool = False) -> None:
    """The report written to `stream` finding by finding, as rendered (a large report is never held whole)."""
    paint = _Painter(color)
    if concise:
        for finding in data.findings:
            stream.write(_header(finding, paint, data.root) + "\n")
    else:
        sources = sources or SourceLines()
        for finding in data.findings:
            stream.write("\n".join(_full(finding, paint, sources, data.root, explain)) + "\n\n")
    out: list[str] = []
    if explain_skips and data.skips:
        out.append("Skipped checks (a fact they need is unknown or does not apply):")
        for skip in data.skips:
            fact = f"{skip.fact}: " if skip.fact else ""
            out.append(f"  {skip.code} {skip.scope_id}: [{skip.kind}] {fact}{skip.reason}")
        out.append("")
    if summary:
        out.extend(notice_lines(data.notices, paint))
        out.append(summary_line(data, color))
        undecided = len(data.undecided_skips)
        if undecided and not explain_skips and not concise:
            checks = "check" if undecided == 1 else "checks"
            out.append(paint(f"{undecided} {checks} could not be decided because a value is unknown "
                             "(--explain-skips lists them).", "dim"))
    if out:
        stream.write("\n".join(out) + "\n")


def _full(finding: Finding, paint: _Painter, sources: SourceLines, root: str | None,
          explain: bool = False) -> list[str]:
    lines = [_header(finding, paint, root)]
    text = sources.line(finding.path, finding.line)
    if text is not None and text.strip():
        lines.append(paint(f"  {finding.line:>4} | ", "dim") + text)
    if finding.fix:
        lines.append(f"  fix: {finding.fix}")
    for related in finding.related:
        where = _location(related.path, related.line, related.column, root)
        if getattr(related, "kind", "related") == "also":
            same = not related.message or related.message == finding.message
            lines.append(paint(f"  also: {where}" + ("" if same else f" ({related.message})"), "dim"))
        else:
            lines.append(paint(f"  --> related: {where} ({related.message})", "dim"))
    explanation = getattr(finding, "explanation", None)
    if explain and explanation:
        lines.extend(explanation_lines(explanation))
    return lines


EXPLANATION_WIDTH = 100


def explanation_lines(explanation: str, width: int = EXPLANATION_WIDTH) -> list[str]:
    """`  explanation: ...` wrapped to `width` columns, continuation lines indented under the text."""
    import textwrap

    return textwrap.wrap(" ".join(explanation.split()), width=width, initial_indent="  explanation: ",
                         subsequent_indent="    ", break_long_words=False, break_on_hyphens=False)
