"""One report per problem: merge identical loader diagnostics, and keep missing inputs at info.

Loaders raise a diagnostic where they meet a problem, so the same missing include or the same unresolvable
variable can be raised from several files. The user wants one finding per cause, with every place that refers to
it as a related location. An input that is not here (an include generated at container start, a git-ignored
env_file, a secrets file) is a note about coverage, never a finding that fails a run by itself.
"""

from __future__ import annotations

from dataclasses import replace

from advisor.model.deployment import Diagnostic, DiagnosticPlace

MISSING_INPUT_SEVERITY = "info"


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
    for diagnostic in diagnostics:
        if diagnostic.missing is not None and diagnostic.severity != MISSING_INPUT_SEVERITY:
            diagnostic = replace(diagnostic, severity=MISSING_INPUT_SEVERITY)
        key = _key(diagnostic)
        first = merged.get(key)
        if first is None:
            merged[key] = diagnostic
            order.append(key)
            continue
        place = _place(diagnostic)
        known = {(first.path, first.line, first.column)} | {(p.path, p.line, p.column) for p in first.related}
        extra = [p for p in (place, *diagnostic.related) if p is not None and (p.path, p.line, p.column) not in known]
        if extra:
            merged[key] = replace(first, related=first.related + tuple(extra))
    return [merged[key] for key in order]


__all__ = ["MISSING_INPUT_SEVERITY", "consolidate_diagnostics"]
