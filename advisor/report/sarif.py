"""SARIF 2.1.0 for GitHub code scanning (`github/codeql-action/upload-sarif`).

One run; `tool.driver.rules` lists the rules that fired (like ruff), each with help text and a stable link to its
section of docs/rules.md (`helpUri`, like `informationUri`, only once the repository URL is set in pyproject.toml).
Locations are root-relative URIs under `%SRCROOT%` (GitHub de-duplicates alerts by rule id and path, so both must
be stable); a cross-file finding keeps its primary file in `locations` and the other file in
`relatedLocations`, linked from the message as `[text](id)`. `partialFingerprints` is left to upload-sarif, which
computes `primaryLocationLineHash` from the file contents. What the run could not check (one side of the pair
missing, routes reaching no app server) goes to `invocations[0].toolExecutionNotifications` at level "note".
A result's message is the finding's one-sentence message and its fix; the finding's explanation (the mechanism, with
its values) is the result's `properties.explanation`, and the rule's page (advisor/report/rule_docs.py) its `help`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import quote

from advisor.engine.findings import Finding, Notice, RelatedLocation
from advisor.model.severity import Severity
from advisor.report.json_stream import ITEMS, dump
from advisor.report.locations import (
    TOOL_NAME,
    is_outside_root,
    notice_texts,
    primary_location,
    related_locations,
    relative_path,
    rules_by_code,
)

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
SRCROOT = "%SRCROOT%"

if TYPE_CHECKING:
    from advisor.engine.rules import Rule


def sarif_level(severity: Severity | str) -> str:
    return SARIF_LEVELS.get(severity, "warning")


def _escape_link_text(text: str) -> str:
    """Inside `[...]` of an embedded link SARIF requires `[`, `]` and the escape character to be backslash-escaped."""
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def _artifact_location(path: str, root: str) -> dict[str, Any]:
    uri, base = _artifact_uri(path, root)
    return {"uri": uri, "uriBaseId": base} if base else {"uri": uri}


@lru_cache(maxsize=4096)
def _artifact_uri(path: str, root: str) -> tuple[str, str | None]:
    """(uri, uriBaseId) of a path; cached: a large report names the same few files tens of thousands of times."""
    relative = relative_path(path, root)
    if is_outside_root(relative):
        return Path(relative).as_uri(), None
    return quote(relative, safe="/"), SRCROOT


def _physical_location(path: str, line: int | None, column: int | None, root: str) -> dict[str, Any]:
    location: dict[str, Any] = {"artifactLocation": _artifact_location(path, root)}
    if line and line > 0:
        region: dict[str, Any] = {"startLine": int(line)}
        if column and column > 0:
            region["startColumn"] = int(column)
        location["region"] = region
    return location


def _rule_tags(rule: Rule | None, code: str) -> list[str]:
    tags: list[str] = []
    if rule is not None and rule.scope:
        tags.append(rule.scope)
    if not tags:
        tags.append(re.sub(r"\d+$", "", code).lower() or "advisor")
    return tags


def rule_descriptor(code: str, rule: Rule | None, fallback_name: str = "", *,
                    base_url: str | None = None) -> dict[str, Any]:
    """`reportingDescriptor` for one rule (a finding whose rule is unknown gets a minimal one from the finding)."""
    from advisor.report.rule_docs import rule_help_uri, rule_markdown, rule_text

    name = (rule.name if rule is not None else "") or fallback_name or code
    summary = ((rule.summary if rule is not None else "") or "").strip() or name
    what = str((rule.docs if rule is not None else {}).get("what") or "").strip()
    help_uri = rule_help_uri(code, name, base_url)
    text = rule_text(rule, base_url=base_url) if rule is not None else summary
    markdown = (rule_markdown(rule, heading_level=2, base_url=base_url) if rule is not None
                else f"**{summary}**\n")
    descriptor: dict[str, Any] = {
        "id": code,
        "name": name,
        "shortDescription": {"text": summary},
        "fullDescription": {"text": what or summary},
    }
    if help_uri:  # no link at all while the repository URL is unset, rather than a placeholder
        descriptor["helpUri"] = help_uri
        text, markdown = f"{text}\n\nSee {help_uri}", f"{markdown}\n[Documentation]({help_uri})"
    descriptor["help"] = {"text": text, "markdown": markdown}
    descriptor["defaultConfiguration"] = {"level": sarif_level(rule.severity if rule is not None else "warning")}
    descriptor["properties"] = {"tags": _rule_tags(rule, code)}
    return descriptor


def _related_text(location: RelatedLocation) -> str:
    return location.message or "related location"


def _message(finding: Finding, related: list[RelatedLocation]) -> str:
    text = finding.message
    if related:
        links = ", ".join(f"[{_escape_link_text(_related_text(loc))}]({index})"
                          for index, loc in enumerate(related, start=1))
        text = f"{text} (see {links})"
    if finding.fix:
        text = f"{text}\nFix: {finding.fix}"
    return text


def _result(finding: Finding, rule_index: int, root: str) -> dict[str, Any]:
    related = related_locations(finding)
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index,
        "level": sarif_level(finding.severity),
        "message": {"text": _message(finding, related)},
    }
    if finding.explanation:  # the mechanism with this finding's values; the rule's help has the general page
        result["properties"] = {"explanation": finding.explanation}
    path, line, column = primary_location(finding)
    if path:
        result["locations"] = [{"physicalLocation": _physical_location(path, line, column, root)}]
    if related:
        result["relatedLocations"] = [
            {
                "id": index,
                "message": {"text": _related_text(loc)},
                "physicalLocation": _physical_location(loc.path, loc.line, loc.column, root),
            }
            for index, loc in enumerate(related, start=1)
        ]
    return result


def sarif_log(
    findings: Iterable[Finding],
    rules: Any,
    *,
    root: str,
    version: str | None = None,
    execution_successful: bool = True,
    base_url: str | None = None,
    notices: Iterable[Notice | str] = (),
) -> dict[str, Any]:
    """The SARIF log as a dict.

    `rules`: the engine's rules (iterable or mapping by code) used for descriptors; `root`: the directory paths are
    made relative to (the repository root in CI); `execution_successful`: False when advisor could not finish;
    `version`: advisor's version (default: the installed one); `base_url`: where rule help links point;
    `notices`: what the run could not check (`Notice` objects or strings)."""
    log, results = _log_and_results(list(findings), rules, root=root, version=version,
                                    execution_successful=execution_successful, base_url=base_url, notices=notices)
    log["runs"][0]["results"] = list(results)
    return log


def _log_and_results(findings: list[Finding], rules: Any, *, root: str, version: str | None,
                     execution_successful: bool, base_url: str | None,
                     notices: Iterable[Notice | str]) -> tuple[dict[str, Any], Iterator[dict[str, Any]]]:
    """The log with `json_stream.ITEMS` in place of the results, and the results, made one at a time."""
    if version is None:
        from advisor import __version__ as version
    known = rules_by_code(rules)
    fired: dict[str, str] = {}
    for finding in findings:
        fired.setdefault(finding.code, finding.name or "")
    codes = sorted(fired)
    index = {code: position for position, code in enumerate(codes)}
    descriptors = [rule_descriptor(code, known.get(code), fired[code], base_url=base_url) for code in codes]
    from advisor.report.rule_docs import project_url

    root_uri = Path(root).resolve().as_uri().rstrip("/") + "/"
    driver: dict[str, Any] = {"name": TOOL_NAME, "version": version, "semanticVersion": version}
    information_uri = base_url or project_url()
    if information_uri:  # left out while the repository URL is unset
        driver["informationUri"] = information_uri
    driver["rules"] = descriptors
    run: dict[str, Any] = {
        "tool": {"driver": driver},
        "automationDetails": {"id": f"{TOOL_NAME}/"},
        "columnKind": "unicodeCodePoints",
        "originalUriBaseIds": {SRCROOT: {"uri": root_uri}},
        "invocations": [_invocation(execution_successful, notices)],
        "results": ITEMS,
    }
    results = (_result(finding, index[finding.code], root) for finding in findings)
    return {"$schema": SARIF_SCHEMA_URI, "version": "2.1.0", "runs": [run]}, results


def _invocation(execution_successful: bool, notices: Iterable[Notice | str]) -> dict[str, Any]:
    invocation: dict[str, Any] = {"executionSuccessful": bool(execution_successful)}
    texts = notice_texts(notices)
    if texts:
        invocation["toolExecutionNotifications"] = [{"level": "note", "message": {"text": text}} for text in texts]
    return invocation


def render_sarif(findings: Iterable[Finding], rules: Any, *, root: str, **options: Any) -> str:
    """A SARIF 2.1.0 document (JSON text, newline-terminated) for `findings`; arguments as for `sarif_log`."""
    buffer = io.StringIO()
    write_sarif(findings, rules, buffer, root=root, **options)
    return buffer.getvalue()


def write_sarif(findings: Iterable[Finding], rules: Any, stream: TextIO, *, root: str, version: str | None = None,
                execution_successful: bool = True, base_url: str | None = None,
                notices: Iterable[Notice | str] = ()) -> None:
    """`render_sarif` written result by result (the results are never all held at once)."""
    log, results = _log_and_results(list(findings), rules, root=root, version=version,
                                    execution_successful=execution_successful, base_url=base_url, notices=notices)
    dump(log, results, stream)
