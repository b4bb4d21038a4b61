"""Helpers shared by the machine-readable formats: root-relative paths, rule lookup by code, severity names.

Findings and rules are used duck-typed (attributes of `advisor.engine.findings.Finding` and of the engine's rule
objects); rule documentation may be an object or a mapping.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

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


def get_field(obj: Any, name: str, default: Any = None) -> Any:
    """`obj.name` or `obj[name]`, tolerating both dataclasses and plain mappings (rule docs come from YAML)."""
    if obj is None:
        return default
    value = obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)
    return default if value is None else value


def rules_by_code(rules: Iterable[Any] | Mapping[str, Any] | None) -> dict[str, Any]:
    """Index rules by code; accepts a mapping code -> rule or any iterable of rule objects."""
    if rules is None:
        return {}
    if isinstance(rules, Mapping):
        return {str(code): rule for code, rule in rules.items()}
    return {str(get_field(rule, "code")): rule for rule in rules}


def primary_location(finding: Any) -> tuple[str | None, int | None, int | None]:
    """(path, line, column) of a finding; a finding without a path of its own falls back to its first related
    location so that every format can attach it to a file."""
    path = get_field(finding, "path")
    if path:
        return path, get_field(finding, "line"), get_field(finding, "column")
    related = list(get_field(finding, "related", ()) or ())
    if related:
        first = related[0]
        return get_field(first, "path"), get_field(first, "line"), get_field(first, "column")
    return None, None, None


def related_locations(finding: Any) -> list[Any]:
    """Related locations other than the one used as the primary location."""
    related = list(get_field(finding, "related", ()) or ())
    if not get_field(finding, "path") and related:
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


def related_texts(finding: Any, root: str) -> list[tuple[str, str]]:
    """(label, message) for each related location other than the primary one.

    The label is "related: path:line:column" for a place that takes part in the finding and "also: path:line:column"
    for another place where the same problem was seen (whose message is dropped when it repeats the finding's)."""
    texts: list[tuple[str, str]] = []
    message = str(get_field(finding, "message", ""))
    for loc in related_locations(finding):
        loc_path = get_field(loc, "path")
        where = location_text(relative_path(str(loc_path), root) if loc_path else None,
                              get_field(loc, "line"), get_field(loc, "column"))
        loc_message = str(get_field(loc, "message", ""))
        kind = "also" if get_field(loc, "kind") == "also" else "related"
        if kind == "also" and loc_message == message:
            loc_message = ""
        texts.append((f"{kind}: {where}" if where else kind, loc_message))
    return texts


def notice_texts(notices: Iterable[Any] | None) -> list[str]:
    """The text of each notice (`advisor.engine.findings.Notice` or a plain string)."""
    return [str(get_field(notice, "text", notice)) for notice in (notices or ())]
