"""JSON output (`--output-format json`). Keys are always present and always in this order:

  {
    "findings": [
      {"code": "TMO002", "name": "proxy-read-timeout-below-app-time", "severity": "warning",
       "message": "...", "fix": "..." | null, "explanation": "..." | null,
       "path": "deploy/nginx.conf" | null, "line": 14 | null, "column": 5 | null,
       "related": [{"path": "deploy/gunicorn.conf.py", "line": 3, "column": 1, "message": "timeout = 60"}]}
    ],
    "summary": {"errors": 0, "warnings": 1, "info": 0, "files": 2, "rules_run": 24, "skipped": 0, "notices": []}
  }

`files` counts the configuration files read; `rules_run` the rules selected; `skipped` the checks that could not be
decided because a value was unknown (facts that do not apply, e.g. upstream-block settings of an implicit upstream,
are not counted); `notices` says in words what the run could not check at all (one side of the pair missing, routes
that reach no given app server), the text of the `note:` lines of the text output. With --explain-skips a third key
"skips" lists every skip as {"code", "scope", "fact", "kind", "reason"} (kind: unknown | absent | error). Paths are
as given on the command line, or relative to the working directory when below it. Findings are sorted by path,
line, column, code. `message` is one sentence with the values and the consequence, `fix` the concrete change,
`explanation` the mechanism behind it (error-log lines, behaviour under load) with the same values.
"""

from __future__ import annotations

import io
from typing import Any, TextIO

from advisor.engine.findings import Finding
from advisor.report import ReportData, display_path
from advisor.report.json_stream import ITEMS, dump


def finding_to_dict(finding: Finding, root: str | None = None) -> dict[str, Any]:
    return {
        "code": finding.code,
        "name": finding.name,
        "severity": finding.severity,
        "message": finding.message,
        "fix": finding.fix,
        "explanation": getattr(finding, "explanation", None),
        "path": display_path(finding.path, root),
        "line": finding.line,
        "column": finding.column,
        "related": [{"path": display_path(item.path, root), "line": item.line, "column": item.column,
                     "message": item.message} for item in finding.related],
    }


def to_dict(data: ReportData, explain_skips: bool = False) -> dict[str, Any]:
    document = _document(data, explain_skips)
    document["findings"] = [finding_to_dict(finding, data.root) for finding in data.findings]
    return document


def _document(data: ReportData, explain_skips: bool) -> dict[str, Any]:
    """The document with `json_stream.ITEMS` in place of the findings."""
    counts = data.counts()
    document: dict[str, Any] = {
        "findings": ITEMS,
        "summary": {"errors": counts["error"], "warnings": counts["warning"], "info": counts["info"],
                    "files": len(data.files), "rules_run": data.rules_run, "skipped": len(data.undecided_skips),
                    "notices": data.notice_texts},
    }
    if explain_skips:
        document["skips"] = [{"code": skip.code, "scope": skip.scope_id, "fact": skip.fact, "kind": skip.kind,
                              "reason": skip.reason} for skip in data.skips]
    return document


def write(data: ReportData, stream: TextIO, explain_skips: bool = False) -> None:
    """The document written finding by finding (the findings' dicts are never all held at once)."""
    dump(_document(data, explain_skips), (finding_to_dict(finding, data.root) for finding in data.findings), stream)


def render(data: ReportData, explain_skips: bool = False) -> str:
    buffer = io.StringIO()
    write(data, buffer, explain_skips)
    return buffer.getvalue()
