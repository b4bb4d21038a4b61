"""Output formats for `advisor check`: text (full/concise) and JSON. Shared helpers live here."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from advisor.engine.findings import Finding, Notice, Skip
from advisor.model.severity import Severity, at_or_above as _severity_at_or_above

UNDECIDED_SKIP_KINDS = ("unknown", "error")


@dataclass(slots=True)
class ReportData:
    """Everything a reporter needs: the findings to show and what the run covered."""

    findings: list[Finding]
    skips: list[Skip] = field(default_factory=list)
    rules_run: int = 0
    files: list[str] = field(default_factory=list)
    root: str | None = None  # paths are shown relative to this directory (default: the working directory)
    notices: list[Notice] = field(default_factory=list)  # what the run could not check (engine/coverage.py)

    @classmethod
    def build(cls, findings: Iterable[Finding], rules: Any = None, *, root: str | None = None,
              skips: Iterable[Skip] = (), rules_run: int | None = None, files: Iterable[str] = (),
              notices: Iterable[Notice] = ()) -> ReportData:
        """From the uniform writer arguments (`advisor.report.formats`); `rules_run` defaults to len(rules)."""
        return cls(list(findings), list(skips), rules_run if rules_run is not None else len(list(rules or ())),
                   list(files), root, list(notices))

    @property
    def notice_texts(self) -> list[str]:
        return [notice.text for notice in self.notices]

    @property
    def checks_not_run(self) -> int:
        return sum(notice.checks_not_run for notice in self.notices)

    @property
    def routes_not_checked(self) -> int:
        return sum(notice.routes_not_checked for notice in self.notices)

    @property
    def undecided_skips(self) -> list[Skip]:
        """Skips because a value was unknown (or a rule failed), as opposed to facts that do not apply."""
        return [skip for skip in self.skips if skip.kind in UNDECIDED_SKIP_KINDS]

    def counts(self) -> dict[str, int]:
        counts = {severity.value: 0 for severity in reversed(Severity)}
        for finding in self.findings:
            counts[finding.severity] = counts.get(finding.severity, 0) + 1
        return counts


def display_path(path: str | None, root: str | None = None) -> str | None:
    """Paths as the user gave them; absolute paths below `root` (default: the working directory) become relative."""
    if path is None or not os.path.isabs(path):
        return path
    base = os.path.abspath(root or os.getcwd())
    try:
        relative = os.path.relpath(path, base)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative


def at_or_above(findings: list[Finding], threshold: str) -> bool:
    return any(_severity_at_or_above(finding.severity, threshold) for finding in findings)


def use_color(choice: str, stream_is_tty: bool, environ: dict[str, str] | None = None) -> bool:
    """--color always/never wins; for auto: NO_COLOR (non-empty) disables, FORCE_COLOR (non-empty) enables, else
    colour only on a terminal whose TERM is not dumb."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    return stream_is_tty and env.get("TERM", "") != "dumb"
