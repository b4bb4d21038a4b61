"""The functions and module attributes the static evaluator understands, and safe operations on plain data.

Only pure functions run, and only on plain data (strings, numbers, containers) that came out of the config's own
literals or the host facts: never an import, a file, a socket or a process. Everything host-dependent takes its value
from HostFacts (`--cpus`, `--env`) or becomes Unknown with a reason.
"""

from __future__ import annotations

import ast
import math
import operator
import posixpath
import re
import string
from typing import Any, Callable, Protocol

from advisor.loaders.gunicorn.values import (
    ENVIRON, BoundMethod, Builtin, CpuSet, EnvironMapping, ImportedRef, ModuleRef, StaticRaise, Unknown,
    describe_marker, is_plain,
)



class CallContext(Protocol):
    """What a known call uses of the evaluator calling it (advisor.loaders.gunicorn.expressions implements it; a
    protocol, so that this module does not import the module that imports it)."""

    @staticmethod
    def position(node: ast.AST | None) -> tuple[int | None, int | None]: ...

    def unknown(self, reason: str, node: ast.AST | None) -> Any: ...

    def env_lookup(self, key: Any, has_default: bool, default: Any, node: ast.AST) -> Any: ...

    def env_setdefault(self, key: Any, value: Any, node: ast.AST) -> Any: ...

    def cpu_count(self, node: ast.AST, label: str) -> Any: ...


MAX_SEQUENCE = 100_000  # longest string/list the evaluator builds (configs never need more)
MAX_ITERATIONS = 10_000  # longest iterable a comprehension or range() may walk
MAX_INT_ARGUMENT = 1_000_000  # widths and counts passed to str methods

Impl = Callable[["CallContext", ast.AST, list[Any], dict[str, Any]], Any]

# --- module attributes ----------------------------------------------------------------------------------------------

MODULE_ATTRIBUTES: dict[str, Any] = {
    "os.environ": ENVIRON,
    "os.path": ModuleRef("os.path"),
    "os.sep": "/",
    "os.pathsep": ":",
    "os.linesep": "\n",
    "os.curdir": ".",
    "os.pardir": "..",
    "os.name": "posix",
    "typing.TYPE_CHECKING": False,
    "multiprocessing": ModuleRef("multiprocessing"),
}
MODELLED_MODULES = frozenset({"os", "os.path", "multiprocessing", "psutil", "math", "typing", "socket", "builtins"})


def resolve_dotted(dotted: str) -> Any:
    """The value of `module.attr` (from `import` or `from ... import`): a constant, a Builtin, or an ImportedRef."""
    if dotted in MODULE_ATTRIBUTES:
        return MODULE_ATTRIBUTES[dotted]
    if dotted in IMPLEMENTATIONS:
        return Builtin(dotted)
    return ImportedRef(dotted)


# --- helpers --------------------------------------------------------------------------------------------------------

def _first_unknown(values: list[Any]) -> Unknown | None:
    for value in values:
        if isinstance(value, Unknown):
            return value
    return None


def _require_plain(ev: "CallContext", node: ast.AST, name: str, args: list[Any],
                   kwargs: dict[str, Any]) -> Unknown | None:
    everything = list(args) + list(kwargs.values())
    unknown = _first_unknown(everything)
    if unknown is not None:
        return unknown
    for value in everything:
        if not is_plain(value):
            return ev.unknown(f"{name}() applied to {describe_marker(value)} is not evaluated statically", node)
    return None


def too_large(value: Any) -> bool:
    if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)):
        return len(value) > MAX_SEQUENCE
    return False


def huge_width(format_text: str) -> bool:
    """A format spec with a 7+ digit width/precision would build a huge string."""
    return re.search(r"\d{7,}", format_text) is not None


def call_real(ev: "CallContext", node: ast.AST, function: Callable[..., Any], args: list[Any],
              kwargs: dict[str, Any]) -> Any:
    """Run a pure function on plain data; a Python exception becomes a certain StaticRaise at this node."""
    try:
        result = function(*args, **kwargs)
    except (ArithmeticError, LookupError, TypeError, ValueError, AttributeError) as error:
        raise StaticRaise.from_exception(error, *ev.position(node)) from None
    if isinstance(result, (type({}.keys()), type({}.values()), type({}.items()))):
        result = list(result)
    if not is_plain(result):
        return ev.unknown(f"the result of {getattr(function, '__name__', 'this call')}() is not plain data", node)
    if too_large(result):
        return ev.unknown("the result is too large to evaluate", node)
    return result


def _pure(function: Callable[..., Any], name: str) -> Impl:
    def impl(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
        problem = _require_plain(ev, node, name, args, kwargs)
        if problem is not None:
            return problem
        return call_real(ev, node, function, args, kwargs)
    return impl


def _bounded_iterable(name: str, function: Callable[..., Any]) -> Impl:
    """list()/sorted()/sum()...: the same as _pure, refusing iterables longer than MAX_ITERATIONS."""
    pure = _pure(function, name)

    def impl(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
        for value in args:
            if isinstance(value, (str, bytes, list, tuple, dict, set, frozenset)) and len(value) > MAX_ITERATIONS:
                return ev.unknown(f"{name}() over {len(value)} items is not evaluated", node)
        return pure(ev, node, args, kwargs)
    return impl


def _range(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
    problem = _require_plain(ev, node, "range", args, kwargs)
    if problem is not None:
        return problem
    try:
        if kwargs:
            raise TypeError("range() takes no keyword arguments")
        numbers = range(*args)
        too_long = len(numbers) > MAX_ITERATIONS
    except (TypeError, ValueError, ArithmeticError) as error:
        raise StaticRaise.from_exception(error, *ev.position(node)) from None
    if too_long:
        return ev.unknown("range() longer than 10000 items is not evaluated", node)
    return list(numbers)


def _pow(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
    problem = _require_plain(ev, node, "pow", args, kwargs)
    if problem is not None:
        return problem
    if len(args) >= 2 and not safe_power(args[0], args[1]):
        return ev.unknown("the power is too large to evaluate", node)
    return call_real(ev, node, pow, args, kwargs)


def safe_power(base: Any, exponent: Any) -> bool:
    if isinstance(base, int) and isinstance(exponent, int) and not isinstance(exponent, bool):
        if abs(base) <= 1:
            return True
        return exponent <= 10_000 and exponent * math.log2(abs(base)) <= 100_000
    return True


def _len(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if len(args) == 1 and isinstance(args[0], CpuSet):
        return ev.cpu_count(node, "len(os.sched_getaffinity(0))")
    return _pure(len, "len")(ev, node, args, kwargs)


def _print(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
    return None  # output only; nothing is printed


def _unknown_call(reason: str) -> Impl:
    def impl(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return ev.unknown(reason, node)
    return impl


# --- environment and host -------------------------------------------------------------------------------------------

def _getenv(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if not args and "key" not in kwargs:
        raise StaticRaise(TypeError, "TypeError", "getenv() missing 1 required positional argument: 'key'",
                          *ev.position(node))
    key = args[0] if args else kwargs["key"]
    has_default = len(args) > 1 or "default" in kwargs
    default = args[1] if len(args) > 1 else kwargs.get("default")
    return ev.env_lookup(key, has_default, default, node)


def _environ_get(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if not args:
        raise StaticRaise(TypeError, "TypeError", "get() missing 1 required positional argument: 'key'",
                          *ev.position(node))
    has_default = len(args) > 1 or "default" in kwargs
    default = args[1] if len(args) > 1 else kwargs.get("default")
    return ev.env_lookup(args[0], has_default, default, node)


def _environ_setdefault(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
    if len(args) < 1:
        return ev.unknown("os.environ.setdefault() without a key", node)
    key = args[0]
    value = args[1] if len(args) > 1 else kwargs.get("default")
    return ev.env_setdefault(key, value, node)


def _cpu_count(label: str) -> Impl:
    def impl(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
        return ev.cpu_count(node, label)
    return impl


def _psutil_cpu_count(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
    logical = args[0] if args else kwargs.get("logical", True)
    if isinstance(logical, Unknown):
        return logical
    if not logical:
        return ev.unknown("psutil.cpu_count(logical=False) counts physical cores, which depend on the host "
                          "(--cpus gives logical CPUs)", node)
    return ev.cpu_count(node, "psutil.cpu_count()")


def _sched_getaffinity(ev: "CallContext", node: ast.AST, args: list[Any], kwargs: dict[str, Any]) -> Any:
    return CpuSet()


# --- methods on plain data and os.environ ---------------------------------------------------------------------------

_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse", "update",
                       "setdefault", "add", "discard", "popitem", "difference_update", "intersection_update",
                       "symmetric_difference_update"})
_WIDTH_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})


def is_mutator(obj: Any, name: str) -> bool:
    return isinstance(obj, (list, dict, set)) and name in _MUTATORS


def call_method(ev: "CallContext", node: ast.AST, method: BoundMethod, args: list[Any],
                kwargs: dict[str, Any]) -> Any:
    obj, name = method.obj, method.name
    if isinstance(obj, EnvironMapping):
        impl = ENVIRON_METHODS.get(name)
        if impl is None:
            return ev.unknown(f"os.environ.{name}() is not evaluated statically", node)
        return impl(ev, node, args, kwargs)
    problem = _require_plain(ev, node, name, args, kwargs)
    if problem is not None:
        return problem
    if name.startswith("_") or name == "format_map":
        return ev.unknown(f"{type(obj).__name__}.{name}() is not evaluated statically", node)
    if name == "format" and isinstance(obj, str) and not safe_format_string(obj):
        return ev.unknown("a format string with attribute or index lookups is not evaluated statically", node)
    if name in _WIDTH_METHODS and any(isinstance(arg, int) and arg > MAX_INT_ARGUMENT for arg in args):
        return ev.unknown(f"{name}() with a huge width is not evaluated", node)
    if name == "join" and args and isinstance(args[0], (list, tuple, set, frozenset)):
        if sum(len(item) for item in args[0] if isinstance(item, (str, bytes))) > MAX_SEQUENCE:
            return ev.unknown("the joined string is too large to evaluate", node)
    return call_real(ev, node, getattr(obj, name), args, kwargs)


def safe_format_string(text: str, depth: int = 0) -> bool:
    """str.format() is evaluated only with plain field names (no `{0.attr}` / `{0[key]}`) and sane widths."""
    if depth > 2:
        return False
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return True  # str.format raises the same ValueError: let the real call report it
    for _literal, field_name, spec, _conversion in fields:
        if field_name is not None and not re.fullmatch(r"\w*", field_name):
            return False
        if spec:
            if huge_width(spec) or ("{" in spec and not safe_format_string(spec, depth + 1)):
                return False
    return True


ENVIRON_METHODS: dict[str, Impl] = {
    "get": _environ_get,
    "setdefault": _environ_setdefault,
}

# --- binary operators -----------------------------------------------------------------------------------------------

BINARY_OPERATORS: dict[type[ast.operator], Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow, ast.LShift: operator.lshift,
    ast.RShift: operator.rshift, ast.BitOr: operator.or_, ast.BitXor: operator.xor, ast.BitAnd: operator.and_,
    ast.MatMult: operator.matmul,
}


def binary_operation_too_large(op: ast.operator, left: Any, right: Any) -> bool:
    sized = (str, bytes, list, tuple)
    if isinstance(op, ast.Mult):
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, sized) and isinstance(count, int):
                return len(sequence) * max(count, 0) > MAX_SEQUENCE
    if isinstance(op, ast.Pow):
        return not safe_power(left, right)
    if isinstance(op, ast.LShift) and isinstance(right, int):
        return right > 100_000
    if isinstance(op, ast.Add) and isinstance(left, sized) and isinstance(right, sized):
        return len(left) + len(right) > MAX_SEQUENCE
    if isinstance(op, ast.Mod) and isinstance(left, (str, bytes)):
        return huge_width(left if isinstance(left, str) else left.decode("latin-1"))
    return False


# --- the registry ---------------------------------------------------------------------------------------------------

IMPLEMENTATIONS: dict[str, Impl] = {
    # builtins
    "int": _pure(int, "int"), "float": _pure(float, "float"), "str": _pure(str, "str"), "bool": _pure(bool, "bool"),
    "len": _len, "min": _bounded_iterable("min", min), "max": _bounded_iterable("max", max),
    "abs": _pure(abs, "abs"), "round": _pure(round, "round"), "sum": _bounded_iterable("sum", sum),
    "sorted": _bounded_iterable("sorted", sorted), "list": _bounded_iterable("list", list),
    "tuple": _bounded_iterable("tuple", tuple), "dict": _bounded_iterable("dict", dict),
    "set": _bounded_iterable("set", set), "frozenset": _bounded_iterable("frozenset", frozenset),
    "repr": _pure(repr, "repr"), "any": _bounded_iterable("any", any), "all": _bounded_iterable("all", all),
    "divmod": _pure(divmod, "divmod"), "hex": _pure(hex, "hex"), "oct": _pure(oct, "oct"),
    "chr": _pure(chr, "chr"), "ord": _pure(ord, "ord"), "range": _range, "pow": _pow, "print": _print,
    "reversed": _bounded_iterable("reversed", lambda value: list(reversed(value))),
    "enumerate": _bounded_iterable("enumerate", lambda value, start=0: list(enumerate(value, start))),
    "zip": _bounded_iterable("zip", lambda *values: list(zip(*values))),
    "open": _unknown_call("open() reads a file when gunicorn loads the config; advisor does not read it"),
    "input": _unknown_call("input() reads the terminal"),
    "eval": _unknown_call("eval() runs code that advisor does not evaluate"),
    "__import__": _unknown_call("__import__() imports a module that advisor does not evaluate"),
    "getattr": _unknown_call("getattr() is not evaluated statically"),
    # os and friends
    "os.getenv": _getenv,
    "os.cpu_count": _cpu_count("os.cpu_count()"),
    "os.process_cpu_count": _cpu_count("os.process_cpu_count()"),
    "os.sched_getaffinity": _sched_getaffinity,
    "multiprocessing.cpu_count": _cpu_count("multiprocessing.cpu_count()"),
    "psutil.cpu_count": _psutil_cpu_count,
    "os.path.join": _pure(posixpath.join, "os.path.join"),
    "os.path.dirname": _pure(posixpath.dirname, "os.path.dirname"),
    "os.path.basename": _pure(posixpath.basename, "os.path.basename"),
    "os.path.splitext": _pure(posixpath.splitext, "os.path.splitext"),
    "os.path.normpath": _pure(posixpath.normpath, "os.path.normpath"),
    "os.path.exists": _unknown_call("whether a path exists depends on the host's filesystem"),
    "os.path.isdir": _unknown_call("whether a path is a directory depends on the host's filesystem"),
    "os.path.isfile": _unknown_call("whether a path is a file depends on the host's filesystem"),
    "os.path.abspath": _unknown_call("os.path.abspath() depends on gunicorn's working directory"),
    "os.path.expanduser": _unknown_call("os.path.expanduser() depends on the host's home directory"),
    "os.getcwd": _unknown_call("os.getcwd() depends on gunicorn's working directory"),
    "socket.gethostname": _unknown_call("the host name of the machine gunicorn runs on is not known"),
    "math.ceil": _pure(math.ceil, "math.ceil"),
    "math.floor": _pure(math.floor, "math.floor"),
    "math.sqrt": _pure(math.sqrt, "math.sqrt"),
}
# Names whose calls change the module namespace or the environment in ways advisor cannot follow.
NAMESPACE_CHANGERS = frozenset({"exec", "globals", "locals", "vars"})
