"""Rule selection (`--select`, `--extend-select`, `--ignore`), the way ruff resolves it.

A selector is `ALL`, a full code (`TMO002`), a code prefix (`TMO`, `TMO0`) or a rule name
(`proxy-read-timeout-below-app-time`). The base set is `select` (default: every rule not marked `enabled: false`);
`extend_select` adds to it; `ignore` removes from it. Opt-in rules (`enabled: false`) run only when a `select` or
`extend_select` selector matches them. Meta rules for loader errors (scope diagnostic, severity error — unreadable
configs) stay selected unless an `ignore` selector names them, so a narrow `--select` never turns a parse error into
a clean run.
"""

from __future__ import annotations

from typing import Iterable

from advisor.engine.rules import Rule
from advisor.engine.suppress import code_matches


class SelectionError(ValueError):
    """An unknown selector (usage error, exit 2)."""


def split_selectors(values: Iterable[str]) -> list[str]:
    """Accept repeated options and comma lists: ["TMO,ADR", "KAL001"] -> ["TMO", "ADR", "KAL001"]."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def matches(selector: str, rule: Rule) -> bool:
    """The same matching as suppression comments: ALL, the rule's name, or its code (or a prefix of it)."""
    return code_matches(selector, rule.code, rule.name)


def _resolve(selectors: list[str], rules: list[Rule], option: str) -> set[str]:
    chosen: set[str] = set()
    for selector in selectors:
        hits = {rule.code for rule in rules if matches(selector, rule)}
        if not hits:
            raise SelectionError(f"{option}: unknown rule selector {selector!r} "
                                 "(expected ALL, a code such as TMO002, a prefix such as TMO, or a rule name; "
                                 "see `advisor rules`)")
        chosen |= hits
    return chosen


def select_rules(rules: list[Rule], select: Iterable[str] = (), ignore: Iterable[str] = (),
                 extend_select: Iterable[str] = ()) -> frozenset[str]:
    """Return the codes of the selected rules. Raises SelectionError for a selector that matches no rule."""
    select_list = split_selectors(select)
    ignore_list = split_selectors(ignore)
    extend_list = split_selectors(extend_select)
    chosen = (_resolve(select_list, rules, "--select") if select_list
              else {rule.code for rule in rules if rule.enabled})
    chosen |= _resolve(extend_list, rules, "--extend-select")
    chosen |= {rule.code for rule in rules if rule.scope == "diagnostic" and rule.severity == "error"}
    chosen -= _resolve(ignore_list, rules, "--ignore")
    return frozenset(chosen)
