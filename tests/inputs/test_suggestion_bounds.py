"""The "did you mean" hint for unknown suppression codes costs bounded work: long names get none, and a run spends
at most a fixed number of fuzzy comparisons however many unknown codes its files name."""

from __future__ import annotations

import time

from advisor.engine import hygiene
from advisor.engine.rules import parse_rule
from advisor.model.suppressions import Suppression


def _rule(code: str, name: str):
    return parse_rule({"code": code, "name": name, "severity": "warning", "scope": "link", "summary": "s",
                       "message": "m", "at": "route.read_timeout", "when": "route.read_timeout > 1"}, f"{code}.yaml")


RULES = [_rule("TMO001", "read-below-app"), _rule("TMO002", "connect-too-long")]


def _unknown(codes: list[str]) -> list[str]:
    suppressions = [Suppression("nginx.conf", index + 1, (code,), False, index + 2) for index, code in enumerate(codes)]
    diagnostics = hygiene.suppression_diagnostics(suppressions, [], RULES, frozenset(), [])
    return [diagnostic.message for diagnostic in diagnostics if diagnostic.code == hygiene.UNKNOWN_CODE]


def test_close_code_still_gets_a_hint() -> None:
    (message,) = _unknown(["TMO01"])
    assert "(did you mean TMO001?)" in message


def test_overlong_name_gets_no_hint() -> None:
    (message,) = _unknown(["read-below-app" * 10])
    assert "did you mean" not in message


def test_comparisons_per_run_are_capped(monkeypatch) -> None:
    monkeypatch.setattr(hygiene, "MAX_COMPARISONS", 12)  # 4 candidates: three lookups, then no more hints
    messages = _unknown([f"TMO00{digit}x" for digit in range(1, 10)])
    hinted = [message for message in messages if "did you mean" in message]
    assert len(messages) == 9 and 1 <= len(hinted) <= 3


def test_many_unknown_codes_stay_fast() -> None:
    started = time.monotonic()
    messages = _unknown([f"XYZ{index:06d}" for index in range(20_000)])
    assert len(messages) == 20_000 and time.monotonic() - started < 10
