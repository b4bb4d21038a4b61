"""File globs matched in time linear in the path: `**` crosses directories, `*` and `?` do not, `[...]` classes
(`[!...]` negated, ranges `a-z`).

Translated to a regular expression, `**/` becomes `(?:.*/)?`, and thirty of them backtrack for hours. Here the
glob is compiled to a small automaton and simulated one path character at a time (every live state at once), so a
match costs at most (path length x glob length) steps whatever the glob.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CharTest = Callable[[str], bool]
_ANY: CharTest = lambda char: True  # noqa: E731
_NOT_SLASH: CharTest = lambda char: char != "/"  # noqa: E731


class GlobError(ValueError):
    """A glob that cannot be compiled (a reversed range such as `[z-a]`)."""


@dataclass(slots=True)
class _Node:
    test: CharTest | None = None  # consumes one character when it passes; None: a split (epsilon edges only)
    next: tuple[int, ...] = ()


def _class(pattern: str, start: int) -> tuple[CharTest, int] | None:
    """The `[...]` class starting at `start` (the `[`) and the index after it; None when it is not closed."""
    i = start + 1
    negated = pattern.startswith("!", i)
    if negated:
        i += 1
    body_start = i
    if pattern.startswith("]", i):  # a leading `]` is a member, not the end
        i += 1
    end = pattern.find("]", i)
    if end == -1:
        return None
    body = pattern[body_start:end]
    singles: set[str] = set()
    ranges: list[tuple[str, str]] = []
    k = 0
    while k < len(body):
        if k + 2 < len(body) and body[k + 1] == "-":
            low, high = body[k], body[k + 2]
            if low > high:
                raise GlobError(f"invalid range {low}-{high} in {pattern!r}")
            ranges.append((low, high))
            k += 3
        else:
            singles.add(body[k])
            k += 1

    def test(char: str) -> bool:
        inside = char in singles or any(low <= char <= high for low, high in ranges)
        return inside != negated

    return test, end + 1


class Glob:
    """One compiled glob; `matches(path)` tests a whole `/`-separated path."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self._nodes: list[_Node] = []
        self._compile(pattern)

    def _add(self, node: _Node) -> int:
        self._nodes.append(node)
        return len(self._nodes) - 1

    def _compile(self, pattern: str) -> None:
        # Each piece is appended with a placeholder `next` pointing at the following node (len(nodes) after it).
        i = 0
        while i < len(pattern):
            here = len(self._nodes)
            if pattern.startswith("**/", i):
                # (?:.*/)?  ->  here: split(loop, after); loop: split(any, slash); any -> loop; slash -> after
                after = here + 4
                self._add(_Node(None, (here + 1, after)))
                self._add(_Node(None, (here + 2, here + 3)))
                self._add(_Node(_ANY, (here + 1,)))
                self._add(_Node(lambda char: char == "/", (after,)))
                i += 3
            elif pattern.startswith("**", i) or pattern[i] == "*":
                double = pattern.startswith("**", i)
                self._add(_Node(None, (here + 1, here + 2)))
                self._add(_Node(_ANY if double else _NOT_SLASH, (here,)))
                i += 2 if double else 1
            elif pattern[i] == "?":
                self._add(_Node(_NOT_SLASH, (here + 1,)))
                i += 1
            elif pattern[i] == "[" and (found := _class(pattern, i)) is not None:
                test, i = found
                self._add(_Node(test, (here + 1,)))
            else:
                literal = pattern[i]
                self._add(_Node(lambda char, literal=literal: char == literal, (here + 1,)))
                i += 1
        self._final = len(self._nodes)

    def _closure(self, states: set[int]) -> set[int]:
        stack = list(states)
        seen = set(states)
        while stack:
            state = stack.pop()
            if state < self._final and self._nodes[state].test is None:
                for target in self._nodes[state].next:
                    if target not in seen:
                        seen.add(target)
                        stack.append(target)
        return seen

    def matches(self, path: str) -> bool:
        states = self._closure({0})
        for char in path:
            moved = {target for state in states if state < self._final
                     and (test := self._nodes[state].test) is not None and test(char)
                     for target in self._nodes[state].next}
            if not moved:
                return False
            states = self._closure(moved)
        return self._final in states


__all__ = ["Glob", "GlobError"]
