"""Column numbers for directives: crossplane reports lines only, findings want line:column."""

from __future__ import annotations

import os

_cache: dict[str, tuple[tuple[int, int], list[str]]] = {}


def _lines(path: str) -> list[str] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size)
    cached = _cache.get(path)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, "rb") as handle:
            lines = handle.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    _cache[path] = (stamp, lines)
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
