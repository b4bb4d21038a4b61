"""Values of the static evaluator that are not plain data: unknowns, references to code, modules and the environment.

Plain data (None, bool, int, float, complex, str, bytes and lists/tuples/dicts/sets of them) is represented by the
Python values themselves. Anything else is one of the markers below, so that no user object is ever created.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PLAIN_SCALARS = (type(None), bool, int, float, complex, str, bytes)
PLAIN_CONTAINERS = (list, tuple, dict, set, frozenset)


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value that cannot be determined statically; `reason` says why, line/column where it arose (1-based)."""

    reason: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A function defined in the config (`def post_fork(server, worker)`) or a lambda."""

    name: str
    line: int
    arity: int | None  # positional parameters; None when a decorator may have replaced the function


@dataclass(frozen=True, slots=True)
class ClassRef:
    """A class defined in the config file (never instantiated)."""

    name: str
    line: int


@dataclass(frozen=True, slots=True)
class ModuleRef:
    """An imported module (`import multiprocessing as mp` binds mp to ModuleRef("multiprocessing"))."""

    dotted: str


@dataclass(frozen=True, slots=True)
class ImportedRef:
    """A name imported from (or an attribute of) a module the evaluator does not model: `from app import CONFIG`."""

    dotted: str


@dataclass(frozen=True, slots=True)
class Builtin:
    """A function the evaluator knows how to evaluate (`int`, `os.getenv`, `multiprocessing.cpu_count`)."""

    dotted: str


@dataclass(frozen=True, slots=True)
class BoundMethod:
    """`obj.name` where obj is plain data or the environment; called later."""

    obj: Any
    name: str


@dataclass(frozen=True, slots=True)
class CpuSet:
    """`os.sched_getaffinity(0)`: only its len() is meaningful (the host's CPU count)."""


class EnvironMapping:
    """`os.environ`: lookups go to the host environment given with `--env`."""

    _instance: "EnvironMapping | None" = None

    def __new__(cls) -> "EnvironMapping":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "os.environ"


ENVIRON = EnvironMapping()

MARKER_TYPES = (Unknown, FunctionRef, ClassRef, ModuleRef, ImportedRef, Builtin, BoundMethod, CpuSet, EnvironMapping)


def is_plain(value: Any, depth: int = 0) -> bool:
    """True for plain data, recursively (containers holding only plain data)."""
    if isinstance(value, PLAIN_SCALARS):
        return True
    if depth > 50:
        return False
    if isinstance(value, (list, tuple, set, frozenset)):
        return all(is_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(is_plain(key, depth + 1) and is_plain(item, depth + 1) for key, item in value.items())
    return False


def describe_marker(value: Any) -> str:
    """A short human description of a non-plain value, for messages."""
    if isinstance(value, FunctionRef):
        return f"function {value.name}() defined at line {value.line}"
    if isinstance(value, ClassRef):
        return f"class {value.name} defined at line {value.line}"
    if isinstance(value, ModuleRef):
        return f"module {value.dotted}"
    if isinstance(value, ImportedRef):
        return f"{value.dotted} (imported)"
    if isinstance(value, Builtin):
        return f"function {value.dotted}"
    if isinstance(value, BoundMethod):
        return f"method {value.name}"
    if isinstance(value, EnvironMapping):
        return "os.environ"
    if isinstance(value, CpuSet):
        return "os.sched_getaffinity()"
    return type(value).__name__


class StaticRaise(Exception):
    """Running the config would certainly raise here (e.g. `int("four")`): Python's exception type and message."""

    def __init__(self, exc_type: type[BaseException] | None, name: str, message: str,
                 line: int | None = None, column: int | None = None) -> None:
        super().__init__(f"{name}: {message}")
        self.exc_type = exc_type
        self.name = name
        self.message = message
        self.line = line
        self.column = column

    @classmethod
    def from_exception(cls, error: BaseException, line: int | None = None,
                       column: int | None = None) -> "StaticRaise":
        return cls(type(error), type(error).__name__, str(error), line, column)
