"""`--statistics`: how many findings each rule produced, most frequent first (ties by code), like ruff.

Text: `count<TAB>code<TAB>name` per line. JSON: `[{"code", "name", "count"}]`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

from advisor.engine.findings import Finding
from advisor.report.locations import rules_by_code


def rule_counts(findings: Iterable[Finding], rules: Any = None) -> list[dict[str, Any]]:
    known = rules_by_code(rules)
    counts: Counter[str] = Counter()
    names: dict[str, str] = {}
    for finding in findings:
        code = finding.code
        counts[code] += 1
        rule = known.get(code)
        names.setdefault(code, finding.name or (rule.name if rule is not None else "") or "")
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"code": code, "name": names[code], "count": count} for code, count in ordered]


def render_statistics(findings: Iterable[Finding], rules: Any = None, *, root: str = ".",
                      as_json: bool = False) -> str:
    """Statistics as text lines, or as a JSON array when `as_json` (the json / json-lines output formats).
    `root` is unused (uniform signature)."""
    rows = rule_counts(findings, rules)
    if as_json:
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    return "".join(f"{row['count']}\t{row['code']}\t{row['name']}\n" for row in rows)
