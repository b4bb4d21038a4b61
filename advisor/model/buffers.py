"""The value of an nginx directive that sets a number of buffers of one size (`large_client_header_buffers 4 8k`)."""

from __future__ import annotations

from dataclasses import dataclass

from advisor.units import format_size


@dataclass(frozen=True, slots=True)
class Buffers:
    """`NUMBER SIZE`: `number` buffers of `size` bytes each; rules read `.number`, `.size` and `.total`."""

    number: int
    size: int

    @property
    def total(self) -> int:
        """The most bytes all buffers hold together (for request headers: the largest header nginx accepts)."""
        return self.number * self.size

    def __str__(self) -> str:
        return f"{self.number} {format_size(self.size)}"

    def to_dict(self) -> str:
        return str(self)


__all__ = ["Buffers"]
