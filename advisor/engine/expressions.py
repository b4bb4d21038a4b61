"""Safe expressions for rules: simpleeval over fact namespaces, never `eval`.

Expressions are parsed and checked once when a rule is loaded (`compile_expression`, `compile_template`) and
evaluated many times (`Evaluator`). A fact that is unknown or absent raises `FactUnavailable`, which the engine turns
into a skip; `and`/`or` short-circuit, so a rule only skips when it really needs the missing fact.

Functions available to rules: duration(seconds) (prose: `90 s`), nginx_time(seconds) (a value to write after an
nginx directive: `90s`), size(bytes), pct(fraction), num(x) (a value as `{x}` renders it:
20.0 -> "20", 3.14159 -> "3.142"), plural(n, word[, plural_word]),
version("1.29.7"), is_set("app.timeout") (set in a file, not a default), known("app.timeout"), and min, max, round,
int, float, abs, len, str, lower.
"""

from __future__ import annotations

import ast
from collections import deque
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any, Callable, TypeVar

from advisor.units import format_duration, format_number, format_percent, format_size, nginx_time


class FactUnavailable(Exception):
    """Raised while evaluating when a fact is unknown (kind "unknown") or absent (not in the model for this scope)."""

    def __init__(self, fact: str, reason: str, kind: str = "unknown") -> None:
        super().__init__(f"{fact}: {reason}")
        self.fact = fact
        self.reason = reason
        self.kind = kind


class ExpressionError(ValueError):
    """A rule expression or template that does not parse or uses something the evaluator does not allow."""


C = TypeVar("C", bound=type)


def quick_unpickle(cls: C) -> C:
    """Give a frozen, slotted dataclass a `__setstate__` that sets its fields from a name list computed once (the
    generated one looks the fields up again for every object, and the compiled-rule cache restores hundreds of them
    on every run). The state is the generated `__getstate__`'s: the values in field order."""
    names = tuple(item.name for item in fields(cls))
    set_field = object.__setattr__

    def __setstate__(self: Any, state: Any) -> None:
        for name, value in zip(names, state):
            set_field(self, name, value)

    cls.__setstate__ = __setstate__
    return cls


@quick_unpickle
@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed, checked rule expression and what the memoisation needs to know about the names it reads."""

    text: str
    node: ast.AST
    names: frozenset[str]  # bare names used (namespaces, let names, functions, comprehension variables)
    facts: frozenset[str]  # dotted fact references "ns.attr" (first attribute after a bare name)
    undotted: frozenset[str]  # names used at least once other than as `name.attr` (passed whole, iterated, bound)
    bound: frozenset[str] = frozenset()  # names bound by comprehensions inside the expression


@dataclass(frozen=True, slots=True)
class Template:
    """A message template: literal text and `{expression}` parts, in order."""

    text: str
    parts: tuple[str | Expression, ...]


def format_value(value: Any) -> str:
    """Render a fact value for a message: integral floats without `.0`, infinity as "unlimited", tuples as versions."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, tuple) and value and all(isinstance(item, int) for item in value):
        return ".".join(str(item) for item in value)
    if value is None:
        return "none"
    return str(value)


def _size(size: float) -> str:
    return format_size(int(size))


def _plural(count: float, word: str, plural_word: str | None = None) -> str:
    form = word if count == 1 else (plural_word or word + "s")
    return f"{format_value(count)} {form}"


def _version(text: str) -> tuple[int, ...]:
    parts = str(text).strip().lstrip("v").split(".")
    if not all(part.isdigit() for part in parts):
        raise ValueError(f"invalid version {text!r}")
    numbers = [int(part) for part in parts] + [0] * (3 - len(parts))
    return tuple(numbers)


def _lower(text: str) -> str:
    return str(text).lower()


STATIC_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "duration": format_duration, "nginx_time": nginx_time, "size": _size, "pct": format_percent, "plural": _plural,
    "version": _version,
    "num": format_value,
    "min": min, "max": max, "round": round, "int": int, "float": float, "abs": abs, "len": len, "str": str,
    "lower": _lower,
}
CONTEXT_FUNCTIONS = frozenset({"is_set", "known"})
FUNCTION_NAMES = frozenset(STATIC_FUNCTIONS) | CONTEXT_FUNCTIONS
CONSTANT_NAMES = frozenset({"True", "False", "None", "inf"})

_ALLOWED_NODES: tuple[type, ...] = (
    ast.Expression, ast.Expr, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Call, ast.keyword,
    ast.Attribute, ast.Subscript, ast.Slice, ast.Name, ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict,
    ast.ListComp, ast.GeneratorExp, ast.comprehension, ast.Load, ast.Store,
    ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd, ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod,
    ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot,
    ast.JoinedStr, ast.FormattedValue,
)


MAX_EXPRESSION_CHARS = 4000
MAX_EXPRESSION_DEPTH = 60


def _nodes_and_depth(tree: ast.AST) -> tuple[list[ast.AST], int]:
    """The tree's nodes in `ast.walk` order (breadth first) and its depth, in one pass without recursion."""
    nodes: list[ast.AST] = []
    deepest = 0
    todo = deque([(tree, 1)])
    while todo:
        node, depth = todo.popleft()
        nodes.append(node)
        deepest = max(deepest, depth)
        todo.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return nodes, deepest


def compile_expression(text: str) -> Expression:
    """Parse one expression and check it only uses what the evaluator allows. Raises ExpressionError."""
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("expected a non-empty expression string")
    return _compile_text(text)


@lru_cache(maxsize=4096)
def _compile_text(text: str) -> Expression:
    """compile_expression for a non-empty string. Many rules share expressions (`route.link_server` in 20 of them):
    each distinct text is parsed once per process; the Expression is frozen, and errors are not cached."""
    source = " ".join(text.split())  # YAML folded text may contain newlines
    if len(source) > MAX_EXPRESSION_CHARS:
        raise ExpressionError(f"expression longer than {MAX_EXPRESSION_CHARS} characters ({source[:60]!r}...)")
    try:
        module = ast.parse(source, mode="eval")
    except (SyntaxError, RecursionError, MemoryError) as error:
        reason = error.msg if isinstance(error, SyntaxError) else "nested too deeply"
        raise ExpressionError(f"invalid expression {source[:200]!r}: {reason}") from None
    nodes, depth = _nodes_and_depth(module)
    if depth > MAX_EXPRESSION_DEPTH:  # the evaluator recurses once per level
        raise ExpressionError(f"expression nested more than {MAX_EXPRESSION_DEPTH} levels deep "
                              f"({source[:60]!r}...)")
    names: set[str] = set()
    facts: set[str] = set()
    bound: set[str] = set()
    dotted_nodes: set[int] = set()  # id() of the Name nodes that are the value of an Attribute
    for node in nodes:
        if not isinstance(node, _ALLOWED_NODES):
            raise ExpressionError(f"{type(node).__name__} is not allowed in rule expressions ({source!r})")
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            raise ExpressionError(f"attribute {node.attr!r} is not allowed ({source!r})")
        if isinstance(node, ast.Name):
            if node.id.startswith("_"):
                raise ExpressionError(f"name {node.id!r} is not allowed ({source!r})")
            names.add(node.id)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            facts.add(f"{node.value.id}.{node.attr}")
            dotted_nodes.add(id(node.value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CONTEXT_FUNCTIONS:
            if len(node.args) != 1 or not isinstance(node.args[0], ast.Constant) \
                    or not isinstance(node.args[0].value, str):
                raise ExpressionError(f"{node.func.id}() takes one fact name in quotes, e.g. "
                                      f"{node.func.id}(\"app.timeout\") ({source!r})")
            facts.add(node.args[0].value)
        if isinstance(node, ast.comprehension):
            bound.update(target.id for target in ast.walk(node.target) if isinstance(target, ast.Name))
    undotted = frozenset(node.id for node in nodes if isinstance(node, ast.Name) and id(node) not in dotted_nodes)
    return Expression(source, module.body, frozenset(names), frozenset(facts), undotted, frozenset(bound))


def compile_template(text: str) -> Template:
    """Split `text` into literal parts and `{expression}` parts; `{{` and `}}` stand for literal braces."""
    if not isinstance(text, str):
        raise ExpressionError("expected a string")
    parts: list[str | Expression] = []
    literal: list[str] = []
    index = 0
    length = len(text)
    while index < length:
        brace = min((found for found in (text.find("{", index), text.find("}", index)) if found != -1),
                    default=length)
        literal.append(text[index:brace])
        if brace == length:
            break
        char = text[brace]
        if text.startswith(char * 2, brace):  # `{{` or `}}`: a literal brace
            literal.append(char)
            index = brace + 2
            continue
        if char == "}":
            raise ExpressionError(f"unmatched '}}' at offset {brace} (write '}}}}' for a literal brace)")
        end = _closing_brace(text, brace)
        inner = text[brace + 1:end]
        if any(literal):
            parts.append("".join(literal))
        literal = []
        try:
            parts.append(compile_expression(inner))
        except ExpressionError as error:
            raise ExpressionError(f"in {{{inner}}}: {error}") from None
        index = end + 1
    if any(literal):
        parts.append("".join(literal))
    return Template(text, tuple(parts))


def _closing_brace(text: str, start: int) -> int:
    depth = 0
    quote: str | None = None
    escaped = False
    for position in range(start, len(text)):
        char = text[position]
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
            continue
        if char in "'\"":
            quote = char
        elif char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return position
    raise ExpressionError(f"unclosed '{{' at offset {start} (write '{{{{' for a literal brace)")


class Evaluator:
    """One simpleeval instance reused for every evaluation of a run; `names` change per scope."""

    def __init__(self) -> None:
        from simpleeval import EvalWithCompoundTypes

        functions = dict(STATIC_FUNCTIONS)
        functions["is_set"] = self._is_set
        functions["known"] = self._known
        self._eval = EvalWithCompoundTypes(functions=functions, names={})
        self._names: dict[str, Any] = {}

    def _lookup_setting(self, fact: str) -> Any:
        namespace_name, _, attr = fact.partition(".")
        namespace = self._names.get(namespace_name)
        if namespace is None or not hasattr(namespace, "setting_of"):
            return None
        return namespace.setting_of(attr)

    def _is_set(self, fact: str) -> bool:
        setting = self._lookup_setting(fact)
        return bool(setting is not None and setting.explicit)

    def _known(self, fact: str) -> bool:
        setting = self._lookup_setting(fact)
        return bool(setting is not None and setting.known)

    def evaluate(self, expression: Expression, names: dict[str, Any]) -> Any:
        self._names = names
        scope_names = {"True": True, "False": False, "None": None, "inf": float("inf")}
        scope_names.update(names)
        self._eval.names = scope_names
        return self._eval.eval(expression.text, previously_parsed=expression.node)

    def render(self, template: Template, names: dict[str, Any], lenient: bool = False) -> str:
        """Fill a template. `lenient`: a segment whose fact is unavailable reads "unknown" instead of raising
        (used once `when` has matched, so a detected problem is reported even if a detail is missing)."""
        out: list[str] = []
        for part in template.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            try:
                out.append(format_value(self.evaluate(part, names)))
            except FactUnavailable:
                if not lenient:
                    raise
                out.append("unknown")
        return "".join(out)

    def render_line(self, template: Template, names: dict[str, Any]) -> str:
        """A finding's text: the template filled leniently, whitespace (YAML line breaks) collapsed to one space."""
        return " ".join(self.render(template, names, lenient=True).split())
