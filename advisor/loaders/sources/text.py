"""Text that remembers where every character came from.

Sources are cut, unquoted, interpolated and split before an argv reaches gunicorn; `PText` carries, for each
character, its position in a file (`Pos`) and the tags that explain it (the variable it came from, or why it is
unresolved). So an option found after `$CMD` expansion still points at the line and column it was written on.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterable, Iterator

from advisor.model.provenance import Source
from advisor.readers import read_text_or_none


@dataclass(frozen=True, slots=True)
class Pos:
    path: str
    line: int  # 1-based
    column: int  # 1-based


class SourceText:
    """A file's (or a fragment's) text with offset -> line/column conversion."""

    def __init__(self, path: str, text: str, first_line: int = 1) -> None:
        self.path = path
        self.text = text
        self.first_line = first_line
        self._line_starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]

    def pos(self, offset: int) -> Pos:
        offset = max(0, min(offset, len(self.text)))
        line_index = bisect.bisect_right(self._line_starts, offset) - 1
        return Pos(self.path, self.first_line + line_index, offset - self._line_starts[line_index] + 1)

    def offset(self, line: int, column: int) -> int:
        """Offset of a 1-based line/column (clamped)."""
        index = max(0, min(line - self.first_line, len(self._line_starts) - 1))
        return min(self._line_starts[index] + max(column - 1, 0), len(self.text))

    def ptext(self, start: int = 0, end: int | None = None) -> "PText":
        end = len(self.text) if end is None else end
        return PText(self.text[start:end], tuple(self.pos(i) for i in range(start, end)))

    def lines(self) -> Iterator[tuple[int, int, int]]:
        """(line number, start offset, end offset without the newline) for every line."""
        for index, start in enumerate(self._line_starts):
            end = self._line_starts[index + 1] - 1 if index + 1 < len(self._line_starts) else len(self.text)
            yield self.first_line + index, start, end


class Tag:
    """Why a character has its value. Subclasses: VarUse, DefaultUsed, Unresolved."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class VarUse(Tag):
    """The character came from expanding a variable whose value was set at `source` (None: from `--env`)."""

    name: str
    source: Source | None
    value: str
    site: Pos | None = None  # where the expansion (`$NAME`) is written


@dataclass(frozen=True, slots=True)
class DefaultUsed(Tag):
    """The character is the default of `${NAME:-default}` because NAME was not set (or empty)."""

    name: str


@dataclass(frozen=True, slots=True)
class Unresolved(Tag):
    """The character belongs to an expansion advisor cannot resolve; `reason` says why."""

    reason: str


@dataclass(frozen=True, slots=True)
class ExecLiteral(Tag):
    """A `$` that no shell expands (exec-form CMD, supervisor, compose after interpolation): passed as written."""

    reason: str


_NO_TAGS: tuple[Tag, ...] = ()


class PText:
    """Immutable text plus, per character, a position (or None) and a tuple of tags."""

    __slots__ = ("text", "origins", "tags")

    def __init__(self, text: str, origins: Iterable[Pos | None] | None = None,
                 tags: Iterable[tuple[Tag, ...]] | None = None) -> None:
        self.text = text
        self.origins: tuple[Pos | None, ...] = tuple(origins) if origins is not None else (None,) * len(text)
        self.tags: tuple[tuple[Tag, ...], ...] = tuple(tags) if tags is not None else (_NO_TAGS,) * len(text)
        if len(self.origins) != len(text) or len(self.tags) != len(text):
            raise ValueError("PText: origins/tags must match the text length")

    @classmethod
    def literal(cls, text: str, origin: Pos | None = None, tags: tuple[Tag, ...] = _NO_TAGS) -> "PText":
        return cls(text, (origin,) * len(text), (tags,) * len(text))

    @classmethod
    def join(cls, parts: Iterable["PText"]) -> "PText":
        items = list(parts)
        return cls("".join(part.text for part in items),
                   [origin for part in items for origin in part.origins],
                   [tag for part in items for tag in part.tags])

    def __len__(self) -> int:
        return len(self.text)

    def __getitem__(self, key: slice) -> "PText":
        return PText(self.text[key], self.origins[key], self.tags[key])

    def __add__(self, other: "PText") -> "PText":
        return PText(self.text + other.text, self.origins + other.origins, self.tags + other.tags)

    def __repr__(self) -> str:
        return f"PText({self.text!r})"

    def with_tag(self, tag: Tag) -> "PText":
        return PText(self.text, self.origins, tuple(tags + (tag,) for tags in self.tags))

    def without(self, tag_type: type) -> "PText":
        """The same text without tags of `tag_type` (e.g. ExecLiteral once a shell does read the text)."""
        return PText(self.text, self.origins,
                     tuple(tuple(tag for tag in tags if not isinstance(tag, tag_type)) for tags in self.tags))

    def at(self, fallback: Pos | None = None) -> Pos | None:
        """The position of the first character that has one."""
        return next((origin for origin in self.origins if origin is not None), fallback)

    def all_tags(self) -> list[Tag]:
        seen: list[Tag] = []
        # characters share their tag tuples and tags: compare each distinct object once (a long expanded value
        # would otherwise compare every character's tags with every tag seen)
        seen_tuples: set[int] = set()
        seen_objects: set[int] = set()
        for tags in self.tags:
            if id(tags) in seen_tuples:
                continue
            seen_tuples.add(id(tags))
            for tag in tags:
                if id(tag) in seen_objects:
                    continue
                seen_objects.add(id(tag))
                if tag not in seen:
                    seen.append(tag)
        return seen

    def strip(self) -> "PText":
        start, end = 0, len(self.text)
        while start < end and self.text[start].isspace():
            start += 1
        while end > start and self.text[end - 1].isspace():
            end -= 1
        return self[start:end]


def read_source_file(path: str) -> str | None:
    """The file's text (undecodable bytes become U+FFFD), or None when it cannot be read."""
    return read_text_or_none(path)


def source_at(pos: Pos | None, detail: str | None = None) -> Source:
    if pos is None:
        return Source.unknown(detail or "position not known")
    return Source.file(pos.path, pos.line, pos.column, detail)
