"""Expressions for the static gunicorn config evaluator, and the evaluator's state.

`ExpressionEvaluator` holds what evaluation accumulates (module bindings, the environment as the config changes it,
the notes and host facts each value was derived from) and evaluates one expression at a time; `evaluate.py` adds the
statements on top. Values are plain data or the markers of values.py; an Unknown carries its reason and position.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from advisor.loaders.gunicorn.known_calls import (
    BINARY_OPERATORS, IMPLEMENTATIONS, MAX_ITERATIONS, NAMESPACE_CHANGERS, binary_operation_too_large, call_method,
    huge_width, is_mutator, resolve_dotted, too_large,
)
from advisor.loaders.gunicorn.origins import env_source
from advisor.loaders.gunicorn.values import (
    ENVIRON, BoundMethod, Builtin, CpuSet, EnvironMapping, FunctionRef, ImportedRef, ModuleRef, StaticRaise, Unknown,
    describe_marker, is_plain,
)
from advisor.model.deployment import Diagnostic, HostFacts
from advisor.model.provenance import Source

STEP_LIMIT = 50_000  # expression evaluations per top-level statement; beyond it the statement is "too expensive"
_MISSING = object()
_UNARY = {ast.USub: lambda value: -value, ast.UAdd: lambda value: +value, ast.Invert: lambda value: ~value}
_COMPARE = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}


@dataclass(slots=True)
class Binding:
    """The value a module-level name has after evaluation, where it was assigned, and how it was derived."""

    value: Any
    line: int
    column: int  # 1-based
    notes: tuple[str, ...] = ()  # e.g. "from $WEB_CONCURRENCY=4", "cpu_count() = 2"
    inputs: tuple[Source, ...] = ()  # the host facts and helper variables it was computed from
    value_node: ast.AST | None = None
    kind: str = "assign"  # assign | def | class | import


class BudgetExceeded(Exception):
    """A statement needs more evaluation steps than STEP_LIMIT."""


def snippet(node: ast.AST, limit: int = 60) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every node the parser makes
        return type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _dedupe(items: list[Any]) -> tuple[Any, ...]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return tuple(seen)


class ExpressionEvaluator:
    """Evaluator state and expressions. Public for the known-call implementations (env_lookup, cpu_count...)."""

    def __init__(self, path: str, host: HostFacts) -> None:
        self.path = path
        self.host = host
        self.bindings: dict[str, Binding] = {}
        self.functions: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
        self.scopes: list[dict[str, Any]] = []  # comprehension variables
        self.env_set: dict[str, tuple[Any, int]] = {}  # variables the config itself sets, with the line
        self.env_unset: set[str] = set()
        self.env_taint: Unknown | None = None
        self.namespace_taint: Unknown | None = None
        self.diagnostics: list[Diagnostic] = []
        self.trace_notes: list[str] = []
        self.trace_inputs: list[Source] = []
        self.context: list[tuple[tuple[str, ...], tuple[Source, ...]]] = []
        self.uncertain: list[str] = []
        self.unknowns: list[Unknown] = []
        self.steps = 0
        self.total_steps = 0

    # --- helpers used by known_calls ---------------------------------------------------------------------------

    @staticmethod
    def position(node: ast.AST | None) -> tuple[int | None, int | None]:
        if node is None or not hasattr(node, "lineno"):
            return None, None
        return node.lineno, node.col_offset + 1

    def unknown(self, reason: str, node: ast.AST | None) -> Unknown:
        return Unknown(reason, *self.position(node))

    def note(self, text: str, source: Source | None = None) -> None:
        self.trace_notes.append(text)
        if source is not None:
            self.trace_inputs.append(source)

    def env_source(self, key: str) -> Source:
        return env_source(self.host, key)

    def env_lookup(self, key: Any, has_default: bool, default: Any, node: ast.AST) -> Any:
        if isinstance(key, Unknown):
            return key
        if not isinstance(key, str):
            raise StaticRaise(TypeError, "TypeError", f"str expected, not {type(key).__name__}", *self.position(node))
        if key in self.env_set:
            value, line = self.env_set[key]
            self.note(f"from ${key} (set by the config at line {line})")
            return value
        if key in self.host.env and key not in self.env_unset:
            value = self.host.env[key]
            self.note(f"from ${key}={value}", self.env_source(key))
            return value
        if self.env_taint is not None:
            return self.unknown(f"environment variable {key}: {self.env_taint.reason}", node)
        if has_default:
            if isinstance(default, Unknown):
                return default
            self.note(f"from ${key} (not set; default {default!r})")
            return default
        return self.unknown(f"environment variable {key} is not set and has no default; pass --env {key}=...", node)

    def env_setdefault(self, key: Any, value: Any, node: ast.AST) -> Any:
        if isinstance(key, Unknown) or not isinstance(key, str):
            self.env_taint = self.unknown(f"os.environ.setdefault() with an unknown key at line {node.lineno} may "
                                          "change any environment variable", node)
            return self.env_taint
        if key in self.env_set or (key in self.host.env and key not in self.env_unset):
            return self.env_lookup(key, False, None, node)
        self._env_assign(key, value, node)
        return self.env_set[key][0]

    def _env_assign(self, key: str, value: Any, node: ast.AST) -> None:
        if self.uncertain:
            value = self.unknown(self.uncertain[0], node)
        elif not isinstance(value, (str, Unknown)):
            raise StaticRaise(TypeError, "TypeError", f"str expected, not {type(value).__name__}",
                              *self.position(node))
        self.env_set[key] = (value, node.lineno)
        self.env_unset.discard(key)

    def cpu_count(self, node: ast.AST, label: str) -> Any:
        cpus = self.host.cpus
        if cpus.known and isinstance(cpus.value, int) and not isinstance(cpus.value, bool):
            self.note(f"{label} = {cpus.value}", cpus.source)
            return cpus.value
        return self.unknown("cpu_count() depends on the host; pass --cpus N", node)

    @contextmanager
    def _uncertain(self, reason: str) -> Iterator[None]:
        self.uncertain.append(reason)
        try:
            yield
        finally:
            self.uncertain.pop()

    @contextmanager
    def _within(self, notes: tuple[str, ...], inputs: tuple[Source, ...] = ()) -> Iterator[None]:
        self.context.append((notes, inputs))
        try:
            yield
        finally:
            self.context.pop()

    def bind(self, name: str, value: Any, node: ast.AST, value_node: ast.AST | None = None,
             kind: str = "assign") -> None:
        line, column = self.position(node)
        if self.uncertain:
            value = Unknown(self.uncertain[0], line, column)
        notes = list(self.trace_notes)
        inputs = list(self.trace_inputs)
        for context_notes, context_inputs in self.context:
            notes.extend(context_notes)
            inputs.extend(context_inputs)
        self.bindings[name] = Binding(value, line or 1, column or 1, _dedupe(notes), _dedupe(inputs), value_node, kind)

    def _rebind_unknown(self, name: str, reason: str, node: ast.AST) -> None:
        if name in self.bindings:
            self.bind(name, self.unknown(reason, node), node)

    def _merge_trace(self, name: str) -> None:
        binding = self.bindings.get(name)
        if binding is not None:
            binding.notes = _dedupe(list(binding.notes) + self.trace_notes)
            binding.inputs = _dedupe(list(binding.inputs) + self.trace_inputs)

    # --- expressions ---------------------------------------------------------------------------------------------

    def ev(self, node: ast.AST) -> Any:
        self.steps += 1
        if self.steps > STEP_LIMIT:
            raise BudgetExceeded
        handler = getattr(self, "_ex_" + type(node).__name__, None)
        if handler is None:
            value: Any = self.unknown(f"`{snippet(node)}` is not evaluated statically", node)
        else:
            value = handler(node)
        if isinstance(value, Unknown):
            self.unknowns.append(value)
        return value

    def _ex_Constant(self, node: ast.Constant) -> Any:
        if node.value is Ellipsis:
            return self.unknown("`...` is not a value", node)
        return node.value

    def _ex_Name(self, node: ast.Name) -> Any:
        return self.load_name(node.id, node)

    def load_name(self, name: str, node: ast.AST) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        binding = self.bindings.get(name)
        if binding is not None:
            self.trace_notes.extend(binding.notes)
            if binding.kind == "assign":
                self.trace_inputs.append(Source("file", self.path, binding.line, binding.column, f"`{name}`",
                                                binding.inputs))
            else:
                self.trace_inputs.extend(binding.inputs)
            return binding.value
        if self.namespace_taint is not None:
            return self.unknown(f"`{name}` may come from {self.namespace_taint.reason}", node)
        if name.startswith("__") and name.endswith("__"):
            return self.unknown(f"`{name}` is not known statically", node)
        if name in IMPLEMENTATIONS or name in NAMESPACE_CHANGERS:
            return Builtin(name)
        builtin = getattr(builtins, name, _MISSING)
        if builtin is not _MISSING:
            if isinstance(builtin, type) and issubclass(builtin, BaseException):
                return ImportedRef(f"builtins.{name}")
            return self.unknown(f"builtin `{name}` is not evaluated statically", node)
        raise StaticRaise(NameError, "NameError", f"name '{name}' is not defined", *self.position(node))

    def _elements(self, nodes: list[ast.expr], owner: ast.AST) -> list[Any] | Unknown:
        items: list[Any] = []
        for element in nodes:
            if isinstance(element, ast.Starred):
                iterable = self.ev(element.value)
                expanded = self.iterate(iterable, element)
                if isinstance(expanded, Unknown):
                    return expanded
                items.extend(expanded)
            else:
                items.append(self.ev(element))
        for item in items:
            if isinstance(item, Unknown):
                return item
            if not is_plain(item):
                return self.unknown(f"a container holding {describe_marker(item)} is not evaluated statically",
                                    owner)
        return items

    def _ex_List(self, node: ast.List) -> Any:
        items = self._elements(node.elts, node)
        return items if isinstance(items, Unknown) else list(items)

    def _ex_Tuple(self, node: ast.Tuple) -> Any:
        items = self._elements(node.elts, node)
        return items if isinstance(items, Unknown) else tuple(items)

    def _ex_Set(self, node: ast.Set) -> Any:
        return self._hashed(set, self._elements(node.elts, node), node)

    def _hashed(self, kind: type, items: Any, node: ast.AST) -> Any:
        """set(items) or dict(items); an unhashable element raises TypeError in Python, so it does here."""
        if isinstance(items, Unknown):
            return items
        try:
            return kind(items)
        except TypeError as error:
            raise StaticRaise.from_exception(error, *self.position(node)) from None

    def _ex_Dict(self, node: ast.Dict) -> Any:
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values):
            value = self.ev(value_node)
            if isinstance(value, Unknown):
                return value
            if key_node is None:
                if not isinstance(value, dict):
                    return self.unknown(f"`**{snippet(value_node)}` is not evaluated statically", node)
                result.update(value)
                continue
            key = self.ev(key_node)
            if isinstance(key, Unknown):
                return key
            if not is_plain(key) or not is_plain(value):
                return self.unknown("a dict holding code objects is not evaluated statically", node)
            try:
                result[key] = value
            except TypeError as error:
                raise StaticRaise.from_exception(error, *self.position(key_node)) from None
        return result

    def iterate(self, value: Any, node: ast.AST) -> list[Any] | Unknown:
        if isinstance(value, Unknown):
            return value
        if isinstance(value, (str, bytes, list, tuple, set, frozenset, dict)):
            if len(value) > MAX_ITERATIONS:
                return self.unknown(f"iterating over {len(value)} items is not evaluated", node)
            return list(value)
        if is_plain(value):
            raise StaticRaise(TypeError, "TypeError", f"'{type(value).__name__}' object is not iterable",
                              *self.position(node))
        return self.unknown(f"iterating over {describe_marker(value)} is not evaluated statically", node)

    def truthiness(self, value: Any, node: ast.AST) -> bool | Unknown:
        if isinstance(value, Unknown):
            return value
        if is_plain(value):
            return bool(value)
        if isinstance(value, EnvironMapping):
            return self.unknown("whether the environment is empty is not known", node)
        return True  # functions, classes, modules are truthy

    def binary(self, op: ast.operator, left: Any, right: Any, node: ast.AST) -> Any:
        for operand in (left, right):
            if isinstance(operand, Unknown):
                return operand
            if not is_plain(operand):
                return self.unknown(f"`{snippet(node)}` uses {describe_marker(operand)}", node)
        if binary_operation_too_large(op, left, right):
            return self.unknown("the result is too large to evaluate", node)
        try:
            result = BINARY_OPERATORS[type(op)](left, right)
        except (ArithmeticError, TypeError, ValueError, LookupError) as error:
            raise StaticRaise.from_exception(error, *self.position(node)) from None
        if too_large(result):
            return self.unknown("the result is too large to evaluate", node)
        return result

    def _ex_BinOp(self, node: ast.BinOp) -> Any:
        return self.binary(node.op, self.ev(node.left), self.ev(node.right), node)

    def _ex_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.ev(node.operand)
        if isinstance(node.op, ast.Not):
            truth = self.truthiness(operand, node)
            return truth if isinstance(truth, Unknown) else not truth
        if isinstance(operand, Unknown):
            return operand
        if not is_plain(operand):
            return self.unknown(f"`{snippet(node)}` uses {describe_marker(operand)}", node)
        try:
            return _UNARY[type(node.op)](operand)
        except (TypeError, ArithmeticError) as error:
            raise StaticRaise.from_exception(error, *self.position(node)) from None

    def _ex_BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = None
        for index, value_node in enumerate(node.values):
            value = self.ev(value_node)
            if index == len(node.values) - 1:
                return value
            truth = self.truthiness(value, value_node)
            if isinstance(truth, Unknown):
                return truth
            if truth != is_and:  # `and` stops at a falsy value, `or` at a truthy one
                return value
        return value

    def _ex_Compare(self, node: ast.Compare) -> Any:
        left = self.ev(node.left)
        for op, comparator in zip(node.ops, node.comparators):
            right = self.ev(comparator)
            result = self._compare(op, left, right, node)
            if isinstance(result, Unknown) or not result:
                return result
            left = right
        return True

    def _compare(self, op: ast.cmpop, left: Any, right: Any, node: ast.AST) -> Any:
        for operand in (left, right):
            if isinstance(operand, Unknown):
                return operand
        if isinstance(op, (ast.Is, ast.IsNot)):
            singletons = (None, True, False)
            if any(operand is singleton for operand in (left, right) for singleton in singletons):
                same = left is right
                return same if isinstance(op, ast.Is) else not same
            return self.unknown(f"`{snippet(node)}` compares identities", node)
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, EnvironMapping):
            present = self._env_contains(left, node)
            if isinstance(present, Unknown):
                return present
            return present if isinstance(op, ast.In) else not present
        for operand in (left, right):
            if not is_plain(operand):
                return self.unknown(f"`{snippet(node)}` uses {describe_marker(operand)}", node)
        try:
            return _COMPARE[type(op)](left, right)
        except (TypeError, ValueError) as error:
            raise StaticRaise.from_exception(error, *self.position(node)) from None

    def _env_contains(self, key: Any, node: ast.AST) -> bool | Unknown:
        if not isinstance(key, str):
            return self.unknown("an environment lookup with a non-string key", node)
        if key in self.env_set:
            return True
        if key in self.host.env and key not in self.env_unset:
            self.note(f"${key} is set", self.env_source(key))
            return True
        if key in self.env_unset:
            return False
        if self.env_taint is not None:
            return self.unknown(f"environment variable {key}: {self.env_taint.reason}", node)
        return self.unknown(f"whether environment variable {key} is set is not known; pass --env {key}=...", node)

    def _ex_IfExp(self, node: ast.IfExp) -> Any:
        truth = self.truthiness(self.ev(node.test), node.test)
        if not isinstance(truth, Unknown):
            return self.ev(node.body if truth else node.orelse)
        try:
            body, orelse = self.ev(node.body), self.ev(node.orelse)
        except StaticRaise:
            return truth
        if is_plain(body) and is_plain(orelse) and type(body) is type(orelse) and body == orelse:
            return body
        return self.unknown(f"depends on a condition that cannot be evaluated: {truth.reason}", node)

    def _ex_JoinedStr(self, node: ast.JoinedStr) -> Any:
        parts: list[str] = []
        for value_node in node.values:
            if isinstance(value_node, ast.Constant):
                parts.append(str(value_node.value))
                continue
            if not isinstance(value_node, ast.FormattedValue):
                return self.unknown(f"`{snippet(value_node)}` in an f-string", node)
            value = self.ev(value_node.value)
            if isinstance(value, Unknown):
                return value
            if not is_plain(value):
                return self.unknown(f"an f-string formats {describe_marker(value)}", value_node)
            spec = ""
            if value_node.format_spec is not None:
                spec = self.ev(value_node.format_spec)
                if isinstance(spec, Unknown):
                    return spec
                if huge_width(spec):
                    return self.unknown("an f-string with a huge width is not evaluated", value_node)
            try:
                if value_node.conversion == ord("r"):
                    value = repr(value)
                elif value_node.conversion == ord("s"):
                    value = str(value)
                elif value_node.conversion == ord("a"):
                    value = ascii(value)
                parts.append(format(value, spec))
            except (TypeError, ValueError) as error:
                raise StaticRaise.from_exception(error, *self.position(value_node)) from None
        text = "".join(parts)
        return self.unknown("the string is too large to evaluate", node) if too_large(text) else text

    def _ex_Attribute(self, node: ast.Attribute) -> Any:
        obj = self.ev(node.value)
        attr = node.attr
        if isinstance(obj, Unknown):
            return obj
        if isinstance(obj, ModuleRef):
            return resolve_dotted(f"{obj.dotted}.{attr}")
        if isinstance(obj, ImportedRef):
            return ImportedRef(f"{obj.dotted}.{attr}")
        if isinstance(obj, EnvironMapping):
            return BoundMethod(ENVIRON, attr)
        if is_plain(obj) and not attr.startswith("_"):
            if not hasattr(obj, attr):
                raise StaticRaise(AttributeError, "AttributeError",
                                  f"'{type(obj).__name__}' object has no attribute '{attr}'", *self.position(node))
            if callable(getattr(type(obj), attr, None)):
                return BoundMethod(obj, attr)
            value = getattr(obj, attr)
            if is_plain(value):
                return value
        return self.unknown(f"attribute `{attr}` of {describe_marker(obj)} is not evaluated statically", node)

    def _subscript_key(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Slice):
            parts = [self.ev(part) if part is not None else None for part in (node.lower, node.upper, node.step)]
            for part in parts:
                if isinstance(part, Unknown):
                    return part
            return slice(*parts)
        return self.ev(node)

    def _item(self, container: Any, key: Any, node: ast.AST) -> Any:
        if isinstance(container, Unknown):
            return container
        if isinstance(key, Unknown):
            return key
        if isinstance(container, EnvironMapping):
            if not isinstance(key, str):
                return self.unknown("an environment lookup with a non-string key", node)
            return self.env_lookup(key, False, None, node)
        if not is_plain(container) or not (is_plain(key) or isinstance(key, slice)):
            return self.unknown(f"`{snippet(node)}` is not evaluated statically", node)
        try:
            return container[key]
        except (LookupError, TypeError, ValueError) as error:
            raise StaticRaise.from_exception(error, *self.position(node)) from None

    def _ex_Subscript(self, node: ast.Subscript) -> Any:
        container = self.ev(node.value)
        if isinstance(container, Unknown):
            return container
        return self._item(container, self._subscript_key(node.slice), node)

    def _ex_Lambda(self, node: ast.Lambda) -> Any:
        return FunctionRef("<lambda>", node.lineno, len(node.args.posonlyargs) + len(node.args.args))

    def _ex_NamedExpr(self, node: ast.NamedExpr) -> Any:
        value = self.ev(node.value)
        self.bind(node.target.id, value, node.target, node.value)
        return value

    # comprehensions

    def _ex_ListComp(self, node: ast.ListComp) -> Any:
        items = self._comprehension(node.generators, lambda: self.ev(node.elt), node)
        return items if isinstance(items, Unknown) else list(items)

    def _ex_GeneratorExp(self, node: ast.GeneratorExp) -> Any:
        return self._ex_ListComp(node)  # type: ignore[arg-type]  # consumers take a list just as well

    def _ex_SetComp(self, node: ast.SetComp) -> Any:
        items = self._comprehension(node.generators, lambda: self.ev(node.elt), node)
        return self._hashed(set, items, node)

    def _ex_DictComp(self, node: ast.DictComp) -> Any:
        pairs = self._comprehension(node.generators, lambda: (self.ev(node.key), self.ev(node.value)), node)
        return self._hashed(dict, pairs, node)

    def _comprehension(self, generators: list[ast.comprehension], produce: Any, node: ast.AST) -> Any:
        results: list[Any] = []
        scope: dict[str, Any] = {}
        self.scopes.append(scope)
        try:
            problem = self._generate(generators, 0, scope, produce, results)
        finally:
            self.scopes.pop()
        if problem is not None:
            return problem
        for item in results:
            for part in (item if isinstance(item, tuple) and len(item) == 2 else (item,)):
                if isinstance(part, Unknown):
                    return part
                if not is_plain(part):
                    return self.unknown(f"a comprehension producing {describe_marker(part)}", node)
            if len(results) > MAX_ITERATIONS:
                return self.unknown("a comprehension longer than 10000 items is not evaluated", node)
        return results

    def _generate(self, generators: list[ast.comprehension], index: int, scope: dict[str, Any], produce: Any,
                  results: list[Any]) -> Unknown | None:
        if index == len(generators):
            results.append(produce())
            return None
        generator = generators[index]
        items = self.iterate(self.ev(generator.iter), generator.iter)
        if isinstance(items, Unknown):
            return items
        for item in items:
            problem = self._bind_local(generator.target, item, scope)
            if problem is not None:
                return problem
            for condition in generator.ifs:
                truth = self.truthiness(self.ev(condition), condition)
                if isinstance(truth, Unknown):
                    return truth
                if not truth:
                    break
            else:
                problem = self._generate(generators, index + 1, scope, produce, results)
                if problem is not None:
                    return problem
            if len(results) > MAX_ITERATIONS:
                return self.unknown("a comprehension longer than 10000 items is not evaluated", generator.iter)
        return None

    def _bind_local(self, target: ast.AST, value: Any, scope: dict[str, Any]) -> Unknown | None:
        if isinstance(target, ast.Name):
            scope[target.id] = value
            return None
        if isinstance(target, (ast.Tuple, ast.List)) and not any(isinstance(e, ast.Starred) for e in target.elts):
            items = self.iterate(value, target)
            if isinstance(items, Unknown):
                return items
            if len(items) != len(target.elts):
                raise StaticRaise(ValueError, "ValueError", f"cannot unpack {len(items)} values into "
                                  f"{len(target.elts)} names", *self.position(target))
            for element, item in zip(target.elts, items):
                problem = self._bind_local(element, item, scope)
                if problem is not None:
                    return problem
            return None
        return self.unknown(f"the comprehension target `{snippet(target)}` is not evaluated", target)

    # calls

    def _arguments(self, node: ast.Call) -> tuple[list[Any], dict[str, Any]] | Unknown:
        args: list[Any] = []
        for argument in node.args:
            if isinstance(argument, ast.Starred):
                expanded = self.iterate(self.ev(argument.value), argument)
                if isinstance(expanded, Unknown):
                    return expanded
                args.extend(expanded)
            else:
                args.append(self.ev(argument))
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            value = self.ev(keyword.value)
            if keyword.arg is None:
                if isinstance(value, Unknown):
                    return value
                if not isinstance(value, dict) or not all(isinstance(key, str) for key in value):
                    return self.unknown(f"`**{snippet(keyword.value)}` is not evaluated statically", keyword.value)
                kwargs.update(value)
            else:
                kwargs[keyword.arg] = value
        return args, kwargs

    def _ex_Call(self, node: ast.Call) -> Any:
        function = self.ev(node.func)
        arguments = self._arguments(node)
        callee = snippet(node.func, 40)
        if isinstance(function, Builtin) and function.dotted in NAMESPACE_CHANGERS:
            return self._namespace_call(function.dotted, node)
        if isinstance(arguments, Unknown):
            self._call_effects(node, callee)
            return arguments
        args, kwargs = arguments
        if isinstance(function, Builtin):
            return IMPLEMENTATIONS[function.dotted](self, node, args, kwargs)
        if isinstance(function, BoundMethod):
            return self._method_call(function, node, args, kwargs)
        if isinstance(function, Unknown):
            self._call_effects(node, callee)
            return function
        if is_plain(function) or isinstance(function, CpuSet):
            raise StaticRaise(TypeError, "TypeError", f"'{type(function).__name__}' object is not callable",
                              *self.position(node))
        if isinstance(function, FunctionRef) and function.name in self.functions:
            self._function_effects(self.functions[function.name], node)
        self._call_effects(node, callee)
        dotted = function.dotted if isinstance(function, (ImportedRef, ModuleRef)) else callee
        if isinstance(function, ImportedRef) and "dotenv" in function.dotted:
            self.env_taint = self.unknown(f"{dotted}() at line {node.lineno} may change the environment", node)
        return self.unknown(f"calls {dotted}(); its result is not evaluated statically", node)

    def _method_call(self, method: BoundMethod, node: ast.Call, args: list[Any], kwargs: dict[str, Any]) -> Any:
        root = root_name(node.func.value) if isinstance(node.func, ast.Attribute) else None
        if is_mutator(method.obj, method.name):
            everything = args + list(kwargs.values())
            unknown = next((value for value in everything if isinstance(value, Unknown)), None)
            if self.uncertain or unknown is not None or not all(is_plain(value) for value in everything):
                reason = self.uncertain[0] if self.uncertain else (
                    unknown.reason if unknown is not None else f"{method.name}() is given code objects")
                if root:
                    self._rebind_unknown(root, reason, node)
                return self.unknown(reason, node)
            result = call_method(self, node, method, args, kwargs)
            if root:
                self._merge_trace(root)
            return result
        return call_method(self, node, method, args, kwargs)

    def _call_effects(self, node: ast.Call, callee: str) -> None:
        """An unevaluated call may change mutable containers and the environment passed to it."""
        reason = f"may be modified by {callee}() at line {node.lineno}"
        for argument in list(node.args) + [keyword.value for keyword in node.keywords]:
            if isinstance(argument, ast.Starred):
                argument = argument.value
            root = root_name(argument)
            binding = self.bindings.get(root) if root else None
            if binding is not None and isinstance(binding.value, (list, dict, set)):
                self._rebind_unknown(root, reason, node)  # type: ignore[arg-type]
            if _is_environ(argument, self):
                self.env_taint = self.unknown(f"the environment may be changed by {callee}() at line "
                                              f"{node.lineno}", node)

    def _function_effects(self, function: ast.FunctionDef | ast.AsyncFunctionDef, call: ast.Call) -> None:
        """Calling a config-defined function at import time may set globals and mutate module containers."""
        reason = f"may be changed by {function.name}() called at line {call.lineno}"
        for inner in ast.walk(function):
            if isinstance(inner, ast.Global):
                for name in inner.names:
                    self.bind(name, self.unknown(reason, call), call)
            elif isinstance(inner, ast.Name) and isinstance(inner.ctx, ast.Load):
                binding = self.bindings.get(inner.id)
                if binding is not None and isinstance(binding.value, (list, dict, set)):
                    self._rebind_unknown(inner.id, reason, call)

    def _namespace_call(self, name: str, node: ast.Call) -> Any:
        if name == "exec" and len(node.args) >= 2 and not _is_globals_call(node.args[1]):
            self._call_effects(node, name)
            return None
        self.namespace_taint = self.unknown(f"{name}() at line {node.lineno}", node)
        return self.unknown(f"{name}() gives code access to the module namespace", node)


def root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_globals_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("globals", "locals", "vars"))


def _is_environ(node: ast.AST, evaluator: ExpressionEvaluator) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "environ":
        base = node.value
        return isinstance(base, ast.Name) and isinstance(evaluator.bindings.get(base.id, Binding(None, 0, 0)).value,
                                                         ModuleRef)
    if isinstance(node, ast.Name):
        binding = evaluator.bindings.get(node.id)
        return binding is not None and isinstance(binding.value, EnvironMapping)
    return False
