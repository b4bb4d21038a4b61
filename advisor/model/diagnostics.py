"""One report per problem: merge identical loader diagnostics, and keep missing inputs at info.

Loaders raise a diagnostic where they meet a problem, so the same missing include or the same unresolvable
variable can be raised from several files. The user wants one finding per cause, with every place that refers to
it as a related location. An input that is not here (an include generated at container start, a git-ignored
env_file, a secrets file) is a note about coverage, never a finding that fails a run by itself.
"""

from __future__ import annotations

from dataclasses import replace

from advisor.model.deployment import Diagnostic, DiagnosticPlace
from advisor.model.severity import Severity

MISSING_INPUT_SEVERITY = Severity.INFO


def _key(diagnostic: Diagnostic) -> tuple:
    if diagnostic.missing is not None:
        return ("missing", diagnostic.code, diagnostic.missing)
    return ("same", diagnostic.code, diagnostic.severity, diagnostic.message)


def _place(diagnostic: Diagnostic) -> DiagnosticPlace | None:
    if diagnostic.path is None:
        return None
    return DiagnosticPlace(diagnostic.path, diagnostic.line, diagnostic.column, diagnostic.message)


def consolidate_diagnostics(diagnostics: list[Diagnostic]) -> list[Diagnostic]:
    """Identical diagnostics (same code and message, or the same missing file) become one, the first place primary
    and the others related; missing-input diagnostics are capped at info."""
    merged: dict[tuple, Diagnostic] = {}
    order: list[tuple] = []
    places: dict[tuple, set[tuple]] = {}  # per key, the places already in it (not rebuilt per duplicate)
    extras: dict[tuple, list[DiagnosticPlace]] = {}  # related places added, joined once at the end
    for diagnostic in diagnostics:
        if diagnostic.missing is not None and diagnostic.severity != MISSING_INPUT_SEVERITY:
            diagnostic = replace(diagnostic, severity=MISSING_INPUT_SEVERITY)
        key = _key(diagnostic)
        first = merged.get(key)
        if first is None:
            merged[key] = diagnostic
            order.append(key)
            places[key] = {(diagnostic.path, diagnostic.line, diagnostic.column)} | {
                (p.path, p.line, p.column) for p in diagnostic.related}
            continue
        known = places[key]
        for place in (_place(diagnostic), *diagnostic.related):
            if place is not None and (place.path, place.line, place.column) not in known:
                known.add((place.path, place.line, place.column))
                extras.setdefault(key, []).append(place)
    return [replace(merged[key], related=merged[key].related + tuple(extras[key])) if key in extras else merged[key]
            for key in order]


__all__ = ["MISSING_INPUT_SEVERITY", "consolidate_diagnostics"]
