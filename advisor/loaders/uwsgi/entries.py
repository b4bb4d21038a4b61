"""One uWSGI option as uWSGI collects it ("exported options"): key, value as written, where it was written.

uWSGI reads its configuration into one ordered list — UWSGI_* environment variables first, then the command line,
where `--ini`/`--yaml`/`--include` insert the file's options at their position, then config files named as plain
arguments — and applies the list in order: the last value of a single-valued option wins, a socket option adds a
socket each time. Placeholders (`%(name)`, `$(ENV)`, `@(file)`) are resolved on this list before it is applied.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from advisor.model.provenance import Source


@dataclass(frozen=True, slots=True)
class Word:
    """A command-line word with its position; `unknown` says why its text is not known (an unset shell variable)."""

    text: str
    source: Source
    unknown: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    key: str  # the option name as written (`socket`, `buffer_size` for a misspelling)
    value: str | None  # None: a flag given without a value on the command line
    source: Source  # the line (and column) it is written at
    unknown: str | None = None  # why the value is not known
    raw: str | None = None  # the value as written, before placeholders were resolved

    def with_value(self, value: str | None, unknown: str | None = None) -> "Entry":
        return replace(self, value=value, unknown=unknown or self.unknown,
                       raw=self.raw if self.raw is not None else self.value)

    @property
    def written(self) -> str:
        return self.raw if self.raw is not None else (self.value or "")


__all__ = ["Entry", "Word"]
