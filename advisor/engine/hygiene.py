"""Suppression hygiene: suppressions that suppressed nothing (ADV100) and suppressions
naming no rule (ADV101), reported as loader-style diagnostics so the meta rules' messages and severities apply.

A code in a suppression is judged "unused" only when the run could have used it: every default-enabled rule it
names was selected, at least one rule it names ran, and none of those rules had to skip a scope because a fact was
unknown (the finding might have been there). So `--select TMO002` never reports an `ignore[TMO001]` as stale.
Codes naming ADV100 itself are never judged.
"""

from __future__ import annotations

from typing import Iterable

from advisor.engine.findings import Skip, SuppressedFinding
from advisor.engine.rules import Rule
from advisor.engine.suppress import code_matches
from advisor.model.deployment import Diagnostic
from advisor.model.suppressions import Suppression

UNUSED_CODE = "ADV100"
UNKNOWN_CODE = "ADV101"


def _comment(suppression: Suppression) -> str:
    kind = "file-ignore" if suppression.file_level else "ignore"
    return f"# advisor: {kind}[{', '.join(suppression.codes)}]"


# "Did you mean" costs one difflib comparison (length x length) per candidate: names are short, so longer text gets
# no hint, and a run compares at most MAX_COMPARISONS pairs in all (a file of 100k unknown codes stays cheap).
MAX_SUGGESTED_NAME = 64
MAX_COMPARISONS = 20_000


class _SuggestionBudget:
    """The closest rule code or name to an unknown code, within a per-run budget of fuzzy comparisons."""

    def __init__(self, rules: list[Rule]) -> None:
        names = {rule.code for rule in rules} | {rule.name for rule in rules}
        self.choices = sorted(name for name in names if len(name) <= MAX_SUGGESTED_NAME)
        self.left = MAX_COMPARISONS
        self.cache: dict[str, str | None] = {}

    def suggest(self, code: str) -> str | None:
        if len(code) > MAX_SUGGESTED_NAME:
            return None
        if code not in self.cache:
            self.cache[code] = self._closest(code)
        return self.cache[code]

    def _closest(self, code: str) -> str | None:
        import difflib

        for candidate in dict.fromkeys((code, code.upper())):
            if self.left < len(self.choices):
                return None
            self.left -= len(self.choices)
            matches = difflib.get_close_matches(candidate, self.choices, n=1, cutoff=0.6)
            if matches:
                return matches[0]
        return None


def _used_codes(suppressed: Iterable[SuppressedFinding]) -> dict[int, set[str]]:
    """For each suppression (by identity), the codes of it that matched a suppressed finding."""
    used: dict[int, set[str]] = {}
    for item in suppressed:
        codes = used.setdefault(id(item.suppression), set())
        codes.update(code for code in item.suppression.codes
                     if code_matches(code, item.finding.code, item.finding.name))
    return used


def suppression_diagnostics(suppressions: list[Suppression], suppressed: list[SuppressedFinding],
                            rules: list[Rule], selected: frozenset[str], skips: list[Skip],
                            diagnostic_codes: Iterable[str] = (), report_unused: bool = True,
                            report_unknown: bool = True) -> list[Diagnostic]:
    """ADV100/ADV101 diagnostics for `suppressions` after a run that selected the rule codes `selected`."""
    used = _used_codes(suppressed)
    uncertain = {skip.code for skip in skips if skip.kind in ("unknown", "error")}
    extra_codes = frozenset(diagnostic_codes) - {rule.code for rule in rules}
    diagnostics: list[Diagnostic] = []
    suggestions = _SuggestionBudget(rules)
    for suppression in suppressions:
        unused: list[str] = []
        unknown: list[str] = []
        for code in suppression.codes:
            named = [rule for rule in rules if code_matches(code, rule.code, rule.name)]
            if not named:
                if not any(code_matches(code, other, "") for other in extra_codes):
                    unknown.append(code)
                continue
            if code in used.get(id(suppression), ()) or any(rule.code == UNUSED_CODE for rule in named):
                continue
            ran = [rule for rule in named if rule.code in selected]
            complete = all(rule.code in selected for rule in named if rule.enabled)
            if ran and complete and not any(rule.code in uncertain for rule in ran):
                unused.append(code)
        if report_unknown and unknown:
            hints = [(code, suggestions.suggest(code)) for code in unknown]
            described = ", ".join(f"{code!r}" + (f" (did you mean {hint}?)" if hint else "") for code, hint in hints)
            diagnostics.append(Diagnostic(
                UNKNOWN_CODE, "warning",
                f"{_comment(suppression)} names no advisor rule: {described}, so it suppresses nothing",
                suppression.path, suppression.line, None,
                "use a rule code (TMO002), a code prefix (TMO), a rule name or ALL; `advisor rules` lists them"))
        if report_unused and unused:
            scope = "this file" if suppression.file_level else f"line {suppression.applies_to_line}"
            which = ", ".join(unused)
            partly = bool(used.get(id(suppression)))
            diagnostics.append(Diagnostic(
                UNUSED_CODE, "info",
                f"{_comment(suppression)}: {which} suppressed nothing on {scope}"
                + (" (the other codes did)" if partly else "")
                + ": it would hide the problem if it came back",
                suppression.path, suppression.line, None,
                f"remove {which} from the comment" if partly else "remove the comment"))
    return diagnostics
