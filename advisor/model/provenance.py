"""Where a value came from: a file position, a default of a named version, a derivation, or unknown."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SourceKind = Literal["file", "option", "default", "derived", "unknown"]


@dataclass(frozen=True, slots=True)
class Source:
    """Provenance of one value.

    kind "file": path/line/column point at the text that set it (detail may name the env var or option used).
    kind "option": a command-line option of advisor itself (`--cpus 2`, `--env PORT=80`); detail names it.
    kind "default": detail names the default's owner and version, e.g. "nginx 1.30.0 default".
    kind "derived": detail is the formula; inputs are the sources it was computed from.
    kind "unknown": detail is the reason; path/line point at where resolution failed when known.
    """

    kind: SourceKind
    path: str | None = None
    line: int | None = None
    column: int | None = None
    detail: str | None = None
    inputs: tuple["Source", ...] = field(default=())

    @classmethod
    def file(cls, path: str, line: int | None, column: int | None = None, detail: str | None = None) -> "Source":
        return cls("file", path, line, column, detail)

    @classmethod
    def option(cls, detail: str) -> "Source":
        return cls("option", detail=detail)

    @classmethod
    def default(cls, detail: str) -> "Source":
        return cls("default", detail=detail)

    @classmethod
    def derived(cls, formula: str, *inputs: "Source") -> "Source":
        return cls("derived", detail=formula, inputs=tuple(inputs))

    @classmethod
    def unknown(cls, reason: str, path: str | None = None, line: int | None = None,
                column: int | None = None) -> "Source":
        return cls("unknown", path, line, column, reason)

    def position(self) -> "Source | None":
        """The file position that best represents this value: itself, or the first file input of a derivation."""
        if self.path is not None and self.line is not None:
            return self
        for source in self.inputs:
            found = source.position()
            if found is not None:
                return found
        return None

    def describe(self) -> str:
        if self.kind == "file":
            where = f"{self.path}" + (f":{self.line}" if self.line is not None else "") + \
                (f":{self.column}" if self.column and self.line is not None else "")
            return f"{where} ({self.detail})" if self.detail else where
        if self.kind == "default":
            return f"default ({self.detail})"
        if self.kind == "option":
            return f"command-line option {self.detail}"
        if self.kind == "derived":
            return f"derived: {self.detail}"
        where = f" at {self.path}:{self.line}" if self.path and self.line else ""
        return f"unknown: {self.detail}{where}"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.path is not None:
            data["path"] = self.path
        if self.line is not None:
            data["line"] = self.line
        if self.column is not None:
            data["column"] = self.column
        if self.detail is not None:
            data["detail"] = self.detail
        if self.inputs:
            data["inputs"] = [source.to_dict() for source in self.inputs]
        return data


@dataclass(frozen=True, slots=True)
class Setting:
    """A value together with its provenance. `raw` keeps the text as written (e.g. "1m30s")."""

    value: Any
    source: Source
    raw: str | None = None

    @property
    def known(self) -> bool:
        return self.source.kind != "unknown"

    @property
    def is_default(self) -> bool:
        return self.source.kind == "default"

    @property
    def explicit(self) -> bool:
        """Set in a file or by the user on advisor's command line (`--env GUNICORN_CMD_ARGS=...`), as opposed to a
        default, a derivation or unknown."""
        return self.source.kind in ("file", "option")

    @classmethod
    def unknown(cls, reason: str, path: str | None = None, line: int | None = None,
                column: int | None = None, raw: str | None = None) -> "Setting":
        return cls(None, Source.unknown(reason, path, line, column), raw)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"value": jsonable(self.value), "source": self.source.to_dict()}
        if self.raw is not None:
            data["raw"] = self.raw
        return data


def jsonable(value: Any) -> Any:
    """Convert model values (addresses, tuples, nested lists) into JSON-safe data."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): jsonable(item) for key, item in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)
