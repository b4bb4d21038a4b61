"""What the engine produces: findings with locations, and the checks it had to skip."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from advisor.model.suppressions import Suppression

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


@dataclass(frozen=True, slots=True)
class RelatedLocation:
    """A second place that takes part in a finding (usually in the other file of the pair)."""

    path: str
    line: int
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class Finding:
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
class SuppressedFinding:
    finding: Finding
    suppression: Suppression


@dataclass(slots=True)
class EngineResult:
    findings: list[Finding] = field(default_factory=list)
    skips: list[Skip] = field(default_factory=list)
    suppressed: list[SuppressedFinding] = field(default_factory=list)
    rules_run: int = 0

    @property
    def used_suppressions(self) -> list[Suppression]:
        """Suppressions that dropped at least one finding (the rest are candidates for an unused-suppression rule)."""
        seen: dict[int, Suppression] = {}
        for item in self.suppressed:
            seen.setdefault(id(item.suppression), item.suppression)
        return list(seen.values())
