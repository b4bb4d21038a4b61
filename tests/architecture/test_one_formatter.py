"""A guard against new copies of the number formatters of advisor/units.py, by name and by one syntax: no other
module defines a function with a formatter's name (`_pct`, `fmt_s`, `duration`, ...; FORMATTER_NAME) that returns
text, and no f-string outside units.py uses a `%` format spec. A formatter under another name, or one built with
`str.format`/`%`, is not detected."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "advisor"
HOME = PACKAGE / "units.py"
# Names the removed copies had (`_pct`, `_ms`, `_fmt_s`, `_fmt_rps`, `dur`, `_duration_text`, ...) and the obvious
# new spellings of the same thing.
FORMATTER_NAME = re.compile(
    r"^_?(?:(?:fmt|format)_(?:s|ms|secs?|seconds|duration|dur|time|percent|pct|share|rate|rps)|"
    r"pct|percent|ms|dur|duration|rate|rps|duration_text|seconds_text|window_words)$")


def _returns_text(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A formatter returns str; `rps` properties and `_duration` parsers return numbers."""
    returns = node.returns
    return returns is None or (isinstance(returns, ast.Name) and returns.id == "str") or \
        (isinstance(returns, ast.Constant) and returns.value == "str")


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
            for path in sorted(PACKAGE.rglob("*.py")) if path != HOME]


def test_no_module_but_units_defines_a_number_formatter():
    defined = [f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}"
               for path, tree in _modules() for node in ast.walk(tree)
               if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and FORMATTER_NAME.match(node.name)
               and _returns_text(node)]
    assert defined == [], "use advisor.units (format_duration, format_percent, format_rate, ...) instead"


def test_no_percent_format_spec_outside_units():
    """`{share:.1%}` prints `12.3%`, another style: shares go through format_percent."""
    found = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FormattedValue) and isinstance(node.format_spec, ast.JoinedStr):
                spec = "".join(part.value for part in node.format_spec.values if isinstance(part, ast.Constant))
                if spec.endswith("%"):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert found == []


def test_the_scan_sees_a_formatter():
    tree = ast.parse("def _pct(p) -> str:\n    return f'{p:.1%}'\n\ndef rps(self) -> float:\n    return 1.0\n")
    found = [node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)
             and FORMATTER_NAME.match(node.name) and _returns_text(node)]
    assert found == ["_pct"]
    assert not FORMATTER_NAME.match("format_value") and not FORMATTER_NAME.match("parse_duration_s")
