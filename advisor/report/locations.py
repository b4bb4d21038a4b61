"""Helpers shared by the machine-readable formats: root-relative paths, a finding's places, rule lookup by code.

Findings, related locations and notices are the engine's typed objects (advisor/engine/findings.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.engine.findings import Finding, Notice, RelatedLocation

if TYPE_CHECKING:
    from advisor.engine.rules import Rule

TOOL_NAME = "advisor"


def relative_path(path: str, root: str) -> str:
    """`path` relative to `root` with forward slashes, or the absolute path when it lies outside `root`.

    Relative input paths are taken relative to the current directory (as the user typed them)."""
    absolute = os.path.abspath(path)
    root_abs = os.path.abspath(root)
    try:
        common = os.path.commonpath([absolute, root_abs])
    except ValueError:  # different drives (Windows)
        return Path(absolute).as_posix()
    if common != root_abs:
        return Path(absolute).as_posix()
    return Path(os.path.relpath(absolute, root_abs)).as_posix()


def is_outside_root(relative: str) -> bool:
    return relative.startswith("/") or (len(relative) > 1 and relative[1] == ":")


def rules_by_code(rules: Iterable[Rule] | Mapping[str, Rule] | None) -> dict[str, Rule]:
    """Index rules by code; accepts a mapping code -> rule or any iterable of rules."""
    if rules is None:
        return {}
    if isinstance(rules, Mapping):
        return {str(code): rule for code, rule in rules.items()}
    return {rule.code: rule for rule in rules}


def primary_location(finding: Finding) -> tuple[str | None, int | None, int | None]:
    """(path, line, column) of a finding; a finding without a path of its own falls back to its first related
    location so that every format can attach it to a file."""
    if finding.path:
        return finding.path, finding.line, finding.column
    if finding.related:
        first = finding.related[0]
        return first.path, first.line, first.column
    return None, None, None


def related_locations(finding: Finding) -> list[RelatedLocation]:
    """Related locations other than the one used as the primary location."""
    related = list(finding.related)
    if not finding.path and related:
        return related[1:]
    return related


def location_text(path: str | None, line: int | None, column: int | None) -> str:
    """`path:line:column` as editors read it (the column only with a line); "" when there is no path."""
    if not path:
        return ""
    where = path
    if line:
        where += f":{line}"
        if column:
            where += f":{column}"
    return where


def related_texts(finding: Finding, root: str) -> list[tuple[str, str]]:
    """(label, message) for each related location other than the primary one.

    The label is "related: path:line:column" for a place that takes part in the finding and "also: path:line:column"
    for another place where the same problem was seen (whose message is dropped when it repeats the finding's)."""
    texts: list[tuple[str, str]] = []
    for loc in related_locations(finding):
        where = location_text(relative_path(loc.path, root) if loc.path else None, loc.line, loc.column)
        loc_message = loc.message or ""
        kind = "also" if loc.kind == "also" else "related"
        if kind == "also" and loc_message == finding.message:
            loc_message = ""
        texts.append((f"{kind}: {where}" if where else kind, loc_message))
    return texts


def notice_texts(notices: Iterable[Notice | str] | None) -> list[str]:
    """The text of each notice (a Notice, or a plain string)."""
    return [notice.text if isinstance(notice, Notice) else str(notice) for notice in (notices or ())]
