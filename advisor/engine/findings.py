"""What the engine produces: findings with locations, and the checks it had to skip."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from advisor.model.severity import Severity
from advisor.model.suppressions import Suppression


RelatedKind = Literal["related", "also"]


@dataclass(frozen=True, slots=True)
class RelatedLocation:
    """A second place that takes part in a finding (usually in the other file of the pair).

    kind "also": another place where the same problem was seen (a consolidated loader diagnostic), shown as
    "also: path:line" rather than as a second file taking part."""

    path: str
    line: int
    column: int
    message: str
    kind: RelatedKind = "related"


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule matched one scope instance: what it says, where it points, and the places it relates."""

    code: str
    name: str
    severity: Severity
    message: str
    fix: str | None
    path: str | None
    line: int | None
    column: int | None
    related: tuple[RelatedLocation, ...] = ()
    scope_id: str = ""
    explanation: str | None = None  # the mechanism with this finding's values (rule `explanation`)

    @property
    def dedup_key(self) -> tuple[str, str | None, int | None, str]:
        return (self.code, self.path, self.line, self.message)

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path or "", self.line or 0, self.column or 0, self.code)


@dataclass(frozen=True, slots=True)
class Skip:
    """A rule that could not be decided for one scope because a fact it needed is unknown or absent."""

    code: str
    scope_id: str
    fact: str
    reason: str
    kind: Literal["unknown", "absent", "error"] = "unknown"


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the run could not check, said next to the verdict (never a finding, never changes the exit code).

    `checks_not_run`: selected rules that could not run at all for this reason; `routes_not_checked`: proxied routes
    the cross-file rules could not reach (both 0 for a purely informative notice)."""

    text: str
    checks_not_run: int = 0
    routes_not_checked: int = 0

    def prefixed(self, label: str) -> "Notice":
        """The same notice for one of several config pairs."""
        return Notice(f"{label}: {self.text}", self.checks_not_run, self.routes_not_checked)


@dataclass(frozen=True, slots=True)
class SuppressedFinding:
    """A finding an inline or config suppression dropped, kept with the suppression that dropped it."""

    finding: Finding
    suppression: Suppression


@dataclass(slots=True)
class EngineResult:
    """What one engine run produced: findings, skips, suppressed findings, notices, and how many rules ran."""

    findings: list[Finding] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    suppressed: list[SuppressedFinding] = field(default_factory=list)
    rules_run: int = 0
    notices: list[Notice] = field(default_factory=list)  # what could not be checked (engine/coverage.py)

    @property
    def used_suppressions(self) -> list[Suppression]:
        """Suppressions that dropped at least one finding (the rest are candidates for an unused-suppression rule)."""
        seen: dict[int, Suppression] = {}
        for item in self.suppressed:
            seen.setdefault(id(item.suppression), item.suppression)
        return list(seen.values())
