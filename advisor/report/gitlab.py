"""GitLab Code Quality report (a JSON array of CodeClimate-style issues) for `artifacts: reports: codequality`.

Severity mapping: advisor `error` (the deployment will return 5xx or drop requests) -> `critical`, `warning` ->
`major`, `info` -> `info`. GitLab does not show `check_name`, so the code is also the start of `description`.

Fingerprints are SHA-256 over (code, path, message) — without the line, so an unrelated edit above a finding does not
make GitLab report it as new — and are re-hashed with a counter when two issues collide (GitLab drops duplicates).

Notices (what the run could not check) have no place here: a Code Quality report is a list of issues at locations,
and a notice is neither; CI jobs that upload it should also print the text or JSON report, which carries them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from advisor.engine.findings import Finding
from advisor.model.severity import Severity
from advisor.report.locations import location_text, primary_location, related_locations, relative_path

GITLAB_SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _fingerprint(code: str, path: str, message: str, seen: set[str]) -> str:
    salt = 0
    while True:
        material = "\0".join((code, path, message, str(salt) if salt else ""))
        digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
        if digest not in seen:
            seen.add(digest)
            return digest
        salt += 1


def gitlab_issues(findings: Iterable[Finding], *, root: str) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = []
    seen: set[str] = set()
    for finding in findings:
        code, message, fix = finding.code, finding.message, finding.fix
        path, line, _column = primary_location(finding)
        relative = relative_path(path, root) if path else "."
        description = f"{code}: {message}"
        also = _also_places(finding, root)
        if also:  # the other places of a problem reported once (Code Quality has one location per issue)
            description += f" (also: {', '.join(also)})"
        if fix:
            description += f" (fix: {fix})"
        issues.append({
            "description": description,
            "check_name": code,
            "fingerprint": _fingerprint(code, relative, message, seen),
            "severity": GITLAB_SEVERITIES.get(finding.severity, "major"),
            "location": {"path": relative, "lines": {"begin": int(line) if line else 1}},
        })
    return issues


def _also_places(finding: Finding, root: str) -> list[str]:
    return [location_text(relative_path(loc.path, root), loc.line, None) for loc in related_locations(finding)
            if loc.kind == "also" and loc.path]


def render_gitlab(findings: Iterable[Finding], rules: Any = None, *, root: str) -> str:
    """The Code Quality JSON array (`[]` when clean). `rules` is unused (uniform signature)."""
    return json.dumps(gitlab_issues(findings, root=root), indent=2, ensure_ascii=False) + "\n"
