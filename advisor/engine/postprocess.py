"""Everything that happens to findings after the rules produced them, owned here and applied in this order:

1. inline suppressions (`# advisor: ignore[CODE]` in the config files) set findings aside as SuppressedFinding (the
   stale-suppression check, ADV100, reads them): the engine run applies them to the rules' findings, then to the
   suppression-hygiene findings it derives from what was set aside;
2. the project's FindingPolicy: `per-file-ignores` drops findings by file, `severity` re-levels them (the most
   specific selector wins: a code or name over a prefix over ALL) — `advisor check` applies it per config pair;
3. across config pairs, an unused-suppression finding is dropped when another pair used that suppression.

Rules never see any of this, and nothing else changes a finding's severity or drops it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace

from advisor.engine.findings import Finding, SuppressedFinding
from advisor.engine.hygiene import UNUSED_CODE
from advisor.engine.suppress import SuppressionIndex, code_matches, normalise_path
from advisor.model.severity import Severity
from advisor.model.suppressions import Suppression



def _no_selectors(path: str) -> tuple[str, ...]:
    return ()


@dataclass(frozen=True, slots=True)
class FindingPolicy:
    """The project config's say over findings (advisor/project_config.py builds it)."""

    ignored_selectors: Callable[[str], Iterable[str]] = _no_selectors  # per-file-ignores: selectors for a path
    severity: Mapping[str, str] = field(default_factory=dict)  # selector (code, prefix, name, ALL) -> level
    ignores_files: bool = False  # any per-file-ignores at all (else `ignored_selectors` is not consulted)

    @property
    def empty(self) -> bool:
        return not self.ignores_files and not self.severity


def suppress(findings: Iterable[Finding], suppressions: SuppressionIndex
             ) -> tuple[list[Finding], list[SuppressedFinding]]:
    """(kept, suppressed) in the findings' sort order."""
    kept: list[Finding] = []
    suppressed: list[SuppressedFinding] = []
    for finding in sorted(findings, key=lambda item: item.sort_key):
        suppression = suppressions.find(finding) if suppressions else None
        if suppression is not None:
            suppressed.append(SuppressedFinding(finding, suppression))
        else:
            kept.append(finding)
    return kept, suppressed


def selector_specificity(selector: str, code: str) -> int:
    """How specific a severity selector is for `code`: ALL < a prefix (by length) < a full code or a rule name."""
    if selector.upper() == "ALL":
        return 0
    if selector.upper() == code or not selector.isalnum():
        return 1000
    return len(selector)


def apply_policy(findings: Iterable[Finding], policy: FindingPolicy | None) -> list[Finding]:
    """Drop what per-file-ignores switches off for a finding's file and re-level the rest by the severity table.
    Findings are matched by their own code and name, so loader diagnostics (ADV…) work as well as rule findings."""
    findings = list(findings)
    if policy is None or policy.empty:
        return findings
    kept: list[Finding] = []
    for finding in findings:
        if policy.ignores_files and finding.path and any(
                code_matches(selector, finding.code, finding.name)
                for selector in policy.ignored_selectors(finding.path)):
            continue
        levels = [(selector_specificity(selector, finding.code), level) for selector, level in policy.severity.items()
                  if code_matches(selector, finding.code, finding.name)]
        if levels:
            level = Severity(max(levels, key=lambda item: item[0])[1])
            if level != finding.severity:
                finding = replace(finding, severity=level)
        kept.append(finding)
    return kept


def drop_used_elsewhere(findings: list[Finding], used: Iterable[Suppression]) -> list[Finding]:
    """For `advisor check` runs over several pairs that share a file: drop unused-suppression findings for a
    suppression that another run did use (a suppression in a shared nginx.conf may only apply to one app server)."""
    used_at = {(normalise_path(item.path), item.line) for item in used}
    return [finding for finding in findings
            if not (finding.code == UNUSED_CODE and finding.path is not None
                    and (normalise_path(finding.path), finding.line) in used_at)]


__all__ = ["FindingPolicy", "apply_policy", "drop_used_elsewhere", "selector_specificity", "suppress"]
