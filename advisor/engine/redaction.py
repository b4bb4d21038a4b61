"""Findings about files outside the project keep their path and line but quote nothing from the file.

See advisor/privacy.py for what the project is. Quoted and back-ticked spans of the message, fix and explanation
(where rules and loaders put values read from the file) are replaced; the text reporter also shows no source line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from advisor.engine.findings import Finding, RelatedLocation
from advisor.privacy import inside_project, redact


def _related(place: RelatedLocation) -> RelatedLocation:
    return place if inside_project(place.path) else replace(place, message=redact(place.message))


def redact_outside(findings: Iterable[Finding]) -> list[Finding]:
    """`findings` with what they quote from files outside the project removed."""
    result = []
    for finding in findings:
        if not inside_project(finding.path):
            finding = replace(finding, message=redact(finding.message),
                              fix=redact(finding.fix, note=False) if finding.fix else finding.fix,
                              explanation=(redact(finding.explanation, note=False) if finding.explanation
                                           else finding.explanation))
        if any(not inside_project(place.path) for place in finding.related):
            finding = replace(finding, related=tuple(_related(place) for place in finding.related))
        result.append(finding)
    return result


__all__ = ["redact_outside"]
