"""GitHub Actions workflow-command annotations: one `::error|warning|notice ...::message` line per finding.

Escaping follows actions/toolkit (`packages/core/src/command.ts`): in the message `%`, CR and LF are percent-encoded;
property values additionally `:` and `,`. `col` is only given together with `line` (GitHub drops columns unless the
start and end line are equal, so `endLine` is set to the same line). GitHub shows at most 10 annotations per level
per step, so CI should print the full report too. What the run could not check comes first, as file-less
`::notice title=advisor::...` lines.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any, TextIO

from advisor.engine.findings import Finding, Notice
from advisor.report.locations import (
    TOOL_NAME, location_text, notice_texts, primary_location, related_texts, relative_path,
)

GITHUB_LEVELS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message (actions/toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a command property value (actions/toolkit `escapeProperty`)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding, *, root: str) -> str:
    """One workflow command for one finding."""
    code = finding.code
    level = GITHUB_LEVELS.get(finding.severity, "warning")
    path, line, column = primary_location(finding)
    relative = relative_path(path, root) if path else None

    properties: list[tuple[str, str]] = []
    if relative:
        properties.append(("file", relative))
        if line:
            properties.append(("line", str(line)))
            properties.append(("endLine", str(line)))
            if column:
                properties.append(("col", str(column)))
    properties.append(("title", f"{TOOL_NAME} ({code})"))

    where = location_text(relative, line, column)
    lines = [f"{where}: {code} {finding.message}" if where else f"{code} {finding.message}"]
    for label, loc_message in related_texts(finding, root):
        lines.append(f"  {label}: {loc_message}" if loc_message else f"  {label}")
    if finding.fix:
        lines.append(f"  help: {finding.fix}")

    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{level} {props}::{escape_data(chr(10).join(lines))}"


def render_github(findings: Iterable[Finding], rules: Any = None, *, root: str,
                  notices: Iterable[Notice | str] = ()) -> str:
    """One `::notice` line per notice, then one annotation line per finding (empty string when there are none).
    `rules` is unused (uniform signature)."""
    buffer = io.StringIO()
    write_github(findings, buffer, root=root, notices=notices)
    return buffer.getvalue()


def write_github(findings: Iterable[Finding], stream: TextIO, *, root: str,
                 notices: Iterable[Notice | str] = ()) -> None:
    """`render_github`, each line written as it is rendered."""
    title = escape_property(TOOL_NAME)
    for text in notice_texts(notices):
        stream.write(f"::notice title={title}::{escape_data(text)}\n")
    for finding in findings:
        stream.write(annotation(finding, root=root) + "\n")
