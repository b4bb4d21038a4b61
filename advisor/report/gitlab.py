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
import io
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from advisor.engine.findings import Finding
from advisor.model.severity import Severity
from advisor.report.json_stream import ITEMS, dump
from advisor.report.locations import location_text, primary_location, related_locations, relative_path

GITLAB_SEVERITIES = {Severity.ERROR: "critical", Severity.WARNING: "major", Severity.INFO: "info"}


def _fingerprint(code: str, path: str, message: str, seen: set[str],
                 next_salt: dict[tuple[str, str, str], int]) -> str:
    """The first salt whose digest is unused. The search for a (code, path, message) resumes where its last one
    ended (the digests of the salts before are in `seen` for good): 10,000 equal issues cost 10,000 hashes, not
    50 million."""
    key = (code, path, message)
    salt = next_salt.get(key, 0)
    while True:
        material = "\0".join((code, path, message, str(salt) if salt else ""))
        digest = hashlib.sha256(material.encode("utf-8")).hexdigest()
        salt += 1
        if digest not in seen:
            seen.add(digest)
            next_salt[key] = salt
            return digest


def gitlab_issues(findings: Iterable[Finding], *, root: str) -> list[dict[str, Any]]:
    return list(_issues(findings, root=root))


def _issues(findings: Iterable[Finding], *, root: str) -> Iterator[dict[str, Any]]:
    """One issue per finding, made as needed (the fingerprints seen so far are all that is kept)."""
    seen: set[str] = set()
    next_salt: dict[tuple[str, str, str], int] = {}
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
        yield {
            "description": description,
            "check_name": code,
            "fingerprint": _fingerprint(code, relative, message, seen, next_salt),
            "severity": GITLAB_SEVERITIES.get(finding.severity, "major"),
            "location": {"path": relative, "lines": {"begin": int(line) if line else 1}},
        }


def _also_places(finding: Finding, root: str) -> list[str]:
    return [location_text(relative_path(loc.path, root), loc.line, None) for loc in related_locations(finding)
            if loc.kind == "also" and loc.path]


def render_gitlab(findings: Iterable[Finding], rules: Any = None, *, root: str) -> str:
    """The Code Quality JSON array (`[]` when clean). `rules` is unused (uniform signature)."""
    buffer = io.StringIO()
    write_gitlab(findings, buffer, root=root)
    return buffer.getvalue()


def write_gitlab(findings: Iterable[Finding], stream: TextIO, *, root: str) -> None:
    """`render_gitlab` written issue by issue."""
    dump(ITEMS, _issues(findings, root=root), stream)
