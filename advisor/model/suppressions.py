"""Inline suppression comments, shared by every loader.

Syntax (both nginx and Python use `#`):
  `# advisor: ignore[CODE,...]`       on a directive/setting line: that line; on a line of its own: the next
                                      directive/statement (loaders resolve which line that is).
  `# advisor: file-ignore[CODE,...]`  anywhere in the file: the whole file.
An optional reason may follow after another `#` or `--`. Codes may be rule codes, prefixes or rule names.
`# noqa` is deliberately not used: ruff rewrites those in gunicorn.conf.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.lazy_regex import lazy_re

_PATTERN = lazy_re(
    r"#\s*advisor:\s*(?P<kind>ignore|file-ignore)\s*\[(?P<codes>[^\]]*)\]\s*(?:(?:#|--)\s*(?P<reason>.*))?",
)


@dataclass(frozen=True, slots=True)
class Suppression:
    """An `# advisor: ignore[...]` or `file-ignore[...]` comment."""

    path: str
    line: int  # the line the comment is on
    codes: tuple[str, ...]
    file_level: bool
    applies_to_line: int | None  # the directive/setting line it covers (None for file-level)
    reason: str | None = None


def parse_suppression_comment(comment: str) -> tuple[bool, tuple[str, ...], str | None] | None:
    """Parse one comment; returns (file_level, codes, reason) or None if it is not an advisor suppression."""
    match = _PATTERN.search(comment)
    if not match:
        return None
    codes = tuple(code.strip() for code in match.group("codes").split(",") if code.strip())
    reason = (match.group("reason") or "").strip() or None
    return match.group("kind") == "file-ignore", codes, reason
