"""How bad a finding is: one ordered vocabulary for rules, loader diagnostics, the project config, reports and the
exit code (`--fail-on`).

`Severity` is a str enum: a member equals and hashes like its name ("error"), so rule YAML, `.advisor.toml`, JSON
and SARIF keep plain strings and a plain string can look a member up; comparisons order by rank
(info < warning < error), never alphabetically.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    __hash__ = str.__hash__  # a member and its name are the same dict key

    @property
    def rank(self) -> int:
        return _RANKS[self]

    @classmethod
    def parse(cls, value: Any) -> Severity:
        """The member named `value`; ValueError listing the names otherwise."""
        try:
            return cls(value)
        except ValueError:
            raise ValueError(f"{value!r} is not one of {', '.join(SEVERITY_NAMES)}") from None

    def _other_rank(self, other: Any) -> int | None:
        try:
            return _RANKS[Severity(other)]
        except ValueError:
            return None

    def __lt__(self, other: Any) -> bool:
        rank = self._other_rank(other)
        return NotImplemented if rank is None else self.rank < rank

    def __le__(self, other: Any) -> bool:
        rank = self._other_rank(other)
        return NotImplemented if rank is None else self.rank <= rank

    def __gt__(self, other: Any) -> bool:
        rank = self._other_rank(other)
        return NotImplemented if rank is None else self.rank > rank

    def __ge__(self, other: Any) -> bool:
        rank = self._other_rank(other)
        return NotImplemented if rank is None else self.rank >= rank


_RANKS: dict[Severity, int] = {severity: rank for rank, severity in enumerate(Severity)}

# Highest first, as option help and error messages list them.
SEVERITY_NAMES: tuple[str, ...] = tuple(severity.value for severity in reversed(Severity))


def at_or_above(severity: Any, threshold: Any) -> bool:
    """Whether `severity` (a member or its name; anything else counts as info) reaches `threshold`."""
    try:
        rank = Severity(severity).rank
    except ValueError:
        rank = Severity.INFO.rank
    return rank >= Severity.parse(threshold).rank


__all__ = ["SEVERITY_NAMES", "Severity", "at_or_above"]
