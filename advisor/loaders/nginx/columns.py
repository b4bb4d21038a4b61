"""Column numbers for directives: crossplane reports lines only, findings want line:column."""

from __future__ import annotations

from advisor.readers import read_text_or_none

_cache: dict[str, list[str] | None] = {}


def reset_cache() -> None:
    """Forget the files read; called at the start and the end of every load (an edited file is read again, and
    the lines of a large config are not held while the rules run)."""
    _cache.clear()


def remember_text(path: str, text: str) -> None:
    """Use `text` (already read by the parser) for `path` instead of reading the file again."""
    _cache[path] = text.splitlines()


def _lines(path: str) -> list[str] | None:
    if path in _cache:
        return _cache[path]
    text = read_text_or_none(path)
    lines = text.splitlines() if text is not None else None
    _cache[path] = lines
    return lines


def directive_column(path: str, line: int | None, directive: str) -> int | None:
    """1-based column of `directive` on `line` of `path`, or None when the text cannot be found there."""
    if line is None or not directive:
        return None
    lines = _lines(path)
    if lines is None or not 0 < line <= len(lines):
        return None
    index = lines[line - 1].find(directive)
    return index + 1 if index >= 0 else None
