"""Delimited spans (`{{ ... }}`, `<% ... %>`, `{# ... #}`) found in linear time.

A backtracking regular expression such as `\\{\\{.*?\\}\\}` retries from every opener that has no closer after it, so
a text with many openers and few closers (5 MB of `{{`) costs quadratic time. These scanners keep the
leftmost-first, non-overlapping matches of those expressions but remember where the next closer is: each search
moves forward only.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator


class NextFind:
    """The first occurrence of `needle` (a string or a compiled pattern) at or after a position; queries at
    non-decreasing positions cost linear time in total."""

    def __init__(self, text: str, needle: str | re.Pattern[str], end: int | None = None) -> None:
        self._text = text
        self._needle = needle
        self._end = len(text) if end is None else end
        self._from = -1  # position of the last search
        self._start = -1  # what it found (-1: nothing)
        self._stop = -1

    def find(self, pos: int) -> tuple[int, int]:
        """(start, end) of the first occurrence at or after `pos`, or (-1, -1)."""
        if self._from >= 0 and self._from <= pos and (self._start < 0 or self._start >= pos):
            return self._start, self._stop
        self._from = pos
        if isinstance(self._needle, str):
            start = self._text.find(self._needle, pos, self._end)
            self._start, self._stop = start, (start + len(self._needle) if start >= 0 else -1)
        else:
            match = self._needle.search(self._text, pos, self._end)
            self._start, self._stop = (match.start(), match.end()) if match else (-1, -1)
        return self._start, self._stop


def delimited_spans(text: str, opener: str | re.Pattern[str], closer: str, *, same_line: bool = False,
                    start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, end) of each match of `OPENER.*?CLOSER` (DOTALL; `[^\\n]*?` when `same_line`), leftmost first and
    non-overlapping, as `re.finditer` would give them."""
    limit = len(text) if end is None else end
    openers = NextFind(text, opener, limit)
    closers = NextFind(text, closer, limit)
    newlines = NextFind(text, "\n", limit) if same_line else None
    pos = start
    while pos < limit:
        first, after_opener = openers.find(pos)
        if first < 0:
            return
        close, after = closers.find(after_opener)
        if close < 0:
            return  # no closer after this opener: none after the later ones either
        if newlines is not None:
            newline, _ = newlines.find(after_opener)
            if 0 <= newline < close:
                pos = newline + 1  # openers before this line break have no closer on their line
                continue
        yield first, after
        pos = after


def substitute(text: str, spans: Iterable[tuple[int, int]], replace: Callable[[str], str]) -> str:
    """`text` with each (non-overlapping, ordered) span replaced by `replace(span text)`."""
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append(replace(text[start:end]))
        last = end
    if not parts:
        return text
    parts.append(text[last:])
    return "".join(parts)


__all__ = ["NextFind", "delimited_spans", "substitute"]
