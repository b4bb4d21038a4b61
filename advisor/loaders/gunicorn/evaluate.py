"""Static evaluation of a gunicorn config module with `ast`: module level, in order, never running the file.

What is evaluated: literals and containers, arithmetic, comparisons, boolean and conditional expressions, string
building (f-strings, `%`, `.format`, `+`, `.join`, `.split`, ...), names assigned earlier, `os.environ[...]`,
`os.environ.get`, `os.getenv` (values from `--env`), `cpu_count()` (from `--cpus`), a few pure builtins, import
aliases, module-level `if/elif/else` on known values, augmented assignment and `try` bodies. Assignments under an
unknown condition or inside `for`/`while`/`with` become unknown with the reason; anything else (calls into the
application, attributes of unknown objects) is Unknown with a reason and a line. Weird code never raises: a statement
the evaluator chokes on makes the names it assigns unknown.

A statement that would certainly raise when gunicorn loads the file (`int("four")`, an undefined name, a failing
`assert`) is reported as an ADV006 error, since gunicorn then exits with "Failed to read config file".
"""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from advisor.loaders.gunicorn.known_calls import (
    BINARY_OPERATORS, IMPLEMENTATIONS, MAX_ITERATIONS, NAMESPACE_CHANGERS, binary_operation_too_large, call_method,
    huge_width, is_mutator, resolve_dotted, too_large,
)
from advisor.loaders.gunicorn.values import (
    ENVIRON, BoundMethod, Builtin, ClassRef, CpuSet, EnvironMapping, FunctionRef, ImportedRef, ModuleRef,
    StaticRaise, Unknown, describe_marker, is_plain,
)
from advisor.model.deployment import Diagnostic, HostFacts
from advisor.model.provenance import Source

STEP_LIMIT = 50_000  # expression evaluations per top-level statement; beyond it the statement is "too expensive"
FILE_STEP_LIMIT = 300_000  # and per file: once spent, the remaining statements are not evaluated
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


@dataclass(slots=True)
class ModuleEvaluation:
    bindings: dict[str, Binding]
    diagnostics: list[Diagnostic]
    namespace_taint: Unknown | None  # exec()/star import: any name may have been (re)defined at taint.line


class _BudgetExceeded(Exception):
    pass


def evaluate_module(tree: ast.Module, path: str, host: HostFacts) -> ModuleEvaluation:
    evaluator = ModuleEvaluator(path, host)
    evaluator.run(tree)
    return ModuleEvaluation(evaluator.bindings, evaluator.diagnostics, evaluator.namespace_taint)


def snippet(node: ast.AST, limit: int = 60) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # pragma: no cover - unparse handles every node the parser makes
        return type(node).__name__
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stored_names(node: ast.AST) -> list[tuple[str, ast.AST]]:
    """Module-level names a statement may bind (not descending into function bodies or comprehensions)."""
    found: list[tuple[str, ast.AST]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Name) and isinstance(current.ctx, (ast.Store, ast.Del)):
            found.append((current.id, current))
        elif isinstance(current, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.append((current.name, current))
            continue
        elif isinstance(current, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        elif isinstance(current, (ast.Import, ast.ImportFrom)):
            for alias in current.names:
                if alias.name != "*":
                    found.append((alias.asname or alias.name.split(".")[0], current))
        elif isinstance(current, ast.ExceptHandler) and current.name:
            found.append((current.name, current))
        elif isinstance(current, (ast.MatchAs, ast.MatchStar)) and current.name:
            found.append((current.name, current))
        elif isinstance(current, ast.MatchMapping) and current.rest:
            found.append((current.rest, current))
        stack.extend(ast.iter_child_nodes(current))
    return found


def _dedupe(items: list[Any]) -> tuple[Any, ...]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return tuple(seen)


class ModuleEvaluator:
    """Evaluates one module. Public for the known-call implementations (env_lookup, cpu_count, unknown)."""

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
        sources = getattr(self.host, "env_sources", None) or {}
        return sources.get(key) or Source.option(f"--env {key}={self.host.env[key]}")

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

    # --- statements ----------------------------------------------------------------------------------------------

    def run(self, tree: ast.Module) -> None:
        self.bindings["__file__"] = Binding(self.path, 1, 1, kind="import")
        self.bindings["__name__"] = Binding("__config__", 1, 1, kind="import")
        self.bindings["__doc__"] = Binding(ast.get_docstring(tree, clean=False), 1, 1, kind="import")
        for statement in tree.body:
            self._run_top(statement)

    def _run_top(self, statement: ast.stmt) -> None:
        if self.total_steps > FILE_STEP_LIMIT:
            self._poison(statement, "not evaluated: the file is too expensive to evaluate statically")
            return
        self.total_steps += self.steps
        self.steps = 0
        try:
            self.exec_statement(statement)
        except StaticRaise as raised:
            self._report_raise(raised, statement)
        except _BudgetExceeded:
            self._poison(statement, "this statement is too expensive to evaluate statically")
        except (RecursionError, MemoryError):
            self._poison(statement, "this statement is nested too deeply to evaluate statically")
        except Exception as error:  # never raise for weird code
            self._poison(statement, f"advisor could not evaluate this statement ({type(error).__name__}: {error})")
        finally:
            self.uncertain.clear()
            self.context.clear()
            self.scopes.clear()

    def _report_raise(self, raised: StaticRaise, statement: ast.stmt) -> None:
        line = raised.line or statement.lineno
        column = raised.column or statement.col_offset + 1
        self.diagnostics.append(Diagnostic(
            "ADV006", "error",
            f"loading this config raises {raised.name}: {raised.message}; gunicorn would exit with "
            "\"Failed to read config file\"",
            self.path, line, column))
        self._poison(statement, f"not evaluated: line {line} raises {raised.name} ({raised.message})")

    def _poison(self, statement: ast.AST, reason: str) -> None:
        for name, node in stored_names(statement):
            line, column = self.position(node)
            self.bindings[name] = Binding(Unknown(reason, line, column), line or 1, column or 1)

    def exec_block(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            if self.uncertain:
                try:
                    self.exec_statement(statement)
                except StaticRaise:  # under an unknown condition nothing is certain
                    self._poison(statement, self.uncertain[0])
            else:
                self.exec_statement(statement)

    def exec_statement(self, statement: ast.stmt) -> None:
        self.trace_notes = []
        self.trace_inputs = []
        handler = getattr(self, "_stmt_" + type(statement).__name__, None)
        if handler is None:
            self._stmt_unsupported(statement)
        else:
            handler(statement)

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

    def _stmt_Assign(self, node: ast.Assign) -> None:
        value = self.ev(node.value)
        for target in node.targets:
            self.assign(target, value, node.value)

    def _stmt_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.assign(node.target, self.ev(node.value), node.value)

    def _stmt_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            current = self.load_name(target.id, target)
            result = self.binary(node.op, current, self.ev(node.value), node)
            self.bind(target.id, result, target, node)
        elif isinstance(target, ast.Subscript):
            container = self.ev(target.value)
            key = self._subscript_key(target.slice)
            current = self._item(container, key, target)
            self._assign_item(target, container, key, self.binary(node.op, current, self.ev(node.value), node))

    def assign(self, target: ast.AST, value: Any, value_node: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            self.bind(target.id, value, target, value_node)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target, value)
        elif isinstance(target, ast.Subscript):
            container = self.ev(target.value)
            self._assign_item(target, container, self._subscript_key(target.slice), value)
        elif isinstance(target, ast.Starred):
            self.assign(target.value, value, value_node)
        # attribute assignment (`gunicorn.SERVER_SOFTWARE = ...`) cannot change a setting

    def _unpack(self, target: ast.Tuple | ast.List, value: Any) -> None:
        elements = target.elts
        if isinstance(value, Unknown) or not is_plain(value):
            filler = value if isinstance(value, Unknown) else self.unknown(
                f"unpacking {describe_marker(value)} is not evaluated statically", target)
            for element in elements:
                self.assign(element, filler, None)
            return
        items = self.iterate(value, target)
        if isinstance(items, Unknown):
            for element in elements:
                self.assign(element, items, None)
            return
        stars = [index for index, element in enumerate(elements) if isinstance(element, ast.Starred)]
        if not stars:
            if len(items) != len(elements):
                problem = "too many" if len(items) > len(elements) else "not enough"
                raise StaticRaise(ValueError, "ValueError", f"{problem} values to unpack (expected "
                                  f"{len(elements)}, got {len(items)})", *self.position(target))
            for element, item in zip(elements, items):
                self.assign(element, item, None)
            return
        star = stars[0]
        after = len(elements) - star - 1
        if len(items) < star + after:
            raise StaticRaise(ValueError, "ValueError", f"not enough values to unpack (expected at least "
                              f"{star + after}, got {len(items)})", *self.position(target))
        for element, item in zip(elements[:star], items[:star]):
            self.assign(element, item, None)
        self.assign(elements[star], list(items[star:len(items) - after]), None)
        for element, item in zip(elements[star + 1:], items[len(items) - after:]):
            self.assign(element, item, None)

    def _assign_item(self, target: ast.Subscript, container: Any, key: Any, value: Any) -> None:
        if isinstance(container, EnvironMapping):
            if isinstance(key, str):
                self._env_assign(key, value, target)
            else:
                self.env_taint = self.unknown(f"os.environ is changed with an unknown key at line {target.lineno}",
                                              target)
            return
        root = _root_name(target.value)
        if not isinstance(container, (list, dict)):
            return
        if self.uncertain or isinstance(key, Unknown) or isinstance(value, Unknown) or not is_plain(value):
            if root:
                reason = self.uncertain[0] if self.uncertain else (
                    value.reason if isinstance(value, Unknown) else key.reason if isinstance(key, Unknown)
                    else f"an item is set to {describe_marker(value)}")
                self._rebind_unknown(root, reason, target)
            return
        try:
            container[key] = value
        except (LookupError, TypeError, ValueError) as error:
            raise StaticRaise.from_exception(error, *self.position(target)) from None
        if root:
            self._merge_trace(root)

    def _stmt_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                if target.id not in self.bindings and not self.uncertain:
                    raise StaticRaise(NameError, "NameError", f"name '{target.id}' is not defined",
                                      *self.position(target))
                self.bindings.pop(target.id, None)
            elif isinstance(target, ast.Subscript):
                container = self.ev(target.value)
                key = self._subscript_key(target.slice)
                if isinstance(container, EnvironMapping) and isinstance(key, str):
                    self.env_set.pop(key, None)
                    self.env_unset.add(key)
                elif isinstance(container, (list, dict)):
                    root = _root_name(target.value)
                    if self.uncertain or isinstance(key, Unknown):
                        if root:
                            self._rebind_unknown(root, self.uncertain[0] if self.uncertain else key.reason, target)
                        continue
                    try:
                        del container[key]
                    except (LookupError, TypeError) as error:
                        raise StaticRaise.from_exception(error, *self.position(target)) from None

    def _stmt_Expr(self, node: ast.Expr) -> None:
        self.ev(node.value)

    def _stmt_If(self, node: ast.If) -> None:
        if self.uncertain:
            self.exec_block(node.body)
            self.exec_block(node.orelse)
            return
        truth = self.truthiness(self.ev(node.test), node.test)
        if isinstance(truth, Unknown):
            reason = (f"assigned under `if` at line {node.lineno}, whose condition cannot be evaluated: "
                      f"{_root_cause(truth.reason)}")
            with self._uncertain(reason):
                self.exec_block(node.body)
                self.exec_block(node.orelse)
            return
        notes = tuple(f"branch taken at line {node.lineno} because of {note}" for note in self.trace_notes)
        with self._within(notes, tuple(self.trace_inputs)):
            self.exec_block(node.body if truth else node.orelse)

    def _stmt_While(self, node: ast.While) -> None:
        if not self.uncertain:
            truth = self.truthiness(self.ev(node.test), node.test)
            if truth is False:
                self.exec_block(node.orelse)
                return
        with self._uncertain(f"assigned inside a `while` loop at line {node.lineno}"):
            self.exec_block(node.body)
            self.exec_block(node.orelse)

    def _stmt_For(self, node: ast.For | ast.AsyncFor) -> None:
        reason = f"assigned inside a `for` loop at line {node.lineno}"
        if not self.uncertain:
            self.ev(node.iter)
        with self._uncertain(reason):
            self.assign(node.target, self.unknown(reason, node.target), None)
            self.exec_block(node.body)
            self.exec_block(node.orelse)

    _stmt_AsyncFor = _stmt_For

    def _stmt_With(self, node: ast.With | ast.AsyncWith) -> None:
        reason = f"assigned inside a `with` block at line {node.lineno}"
        for item in node.items:
            if not self.uncertain:
                self.ev(item.context_expr)
        with self._uncertain(reason):
            for item in node.items:
                if item.optional_vars is not None:
                    self.assign(item.optional_vars, self.unknown(reason, item.optional_vars), None)
            self.exec_block(node.body)

    _stmt_AsyncWith = _stmt_With

    def _stmt_Try(self, node: ast.Try) -> None:
        if self.uncertain:
            self.exec_block(node.body)
            for handler in node.handlers:
                self._bind_handler_name(handler)
                self.exec_block(handler.body)
            self.exec_block(node.orelse)
            self.exec_block(node.finalbody)
            return
        unknowns_before = len(self.unknowns)
        note = ((f"assigned in a `try` block at line {node.lineno}; assumes it raises no exception",)
                if node.handlers else ())
        raised: StaticRaise | None = None
        with self._within(note):
            try:
                self.exec_block(node.body)
            except StaticRaise as error:
                raised = error
        if raised is not None:
            handler, certain = self._matching_handler(node.handlers, raised)
            if handler is None and certain:
                self.exec_block(node.finalbody)
                raise raised
            if handler is not None and certain:
                self._bind_handler_name(handler)
                notes = (f"from the `except` branch at line {handler.lineno}: line {raised.line} raises "
                         f"{raised.name}",)
                with self._within(notes):
                    self.exec_block(handler.body)
            else:
                with self._uncertain(f"assigned in `except` at line {node.lineno}; whether it matches "
                                     f"{raised.name} cannot be determined"):
                    for candidate in node.handlers:
                        self._bind_handler_name(candidate)
                        self.exec_block(candidate.body)
        else:
            if node.handlers and len(self.unknowns) > unknowns_before:
                first = self.unknowns[unknowns_before]
                with self._uncertain(f"assigned in `except` (try at line {node.lineno}), which runs only if the "
                                     f"try body raises, and that cannot be determined: {first.reason}"):
                    for handler in node.handlers:
                        self._bind_handler_name(handler)
                        self.exec_block(handler.body)
            self.exec_block(node.orelse)
        self.exec_block(node.finalbody)

    _stmt_TryStar = _stmt_Try

    def _bind_handler_name(self, handler: ast.ExceptHandler) -> None:
        if handler.name:
            self.bind(handler.name, self.unknown("the exception object", handler), handler)

    def _matching_handler(self, handlers: list[ast.ExceptHandler],
                          raised: StaticRaise) -> tuple[ast.ExceptHandler | None, bool]:
        """The handler that catches `raised`, and whether that is certain."""
        for handler in handlers:
            if handler.type is None:
                return handler, True
            names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            for name_node in names:
                if not isinstance(name_node, ast.Name):
                    return None, False
                if name_node.id in self.bindings:
                    return None, False  # a rebound name: not the builtin
                handler_type = getattr(builtins, name_node.id, None)
                if not (isinstance(handler_type, type) and issubclass(handler_type, BaseException)):
                    return None, False
                if raised.exc_type is None:
                    if handler_type in (Exception, BaseException):
                        return handler, True
                    return None, False
                if issubclass(raised.exc_type, handler_type):
                    return handler, True
        return None, True

    def _stmt_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            if not self.uncertain:
                self.ev(decorator)  # an undefined decorator fails the import
        arity = None if node.decorator_list else len(node.args.posonlyargs) + len(node.args.args)
        self.functions[node.name] = node
        self.bind(node.name, FunctionRef(node.name, node.lineno, arity), node, kind="def")

    _stmt_AsyncFunctionDef = _stmt_FunctionDef

    def _stmt_ClassDef(self, node: ast.ClassDef) -> None:
        self.bind(node.name, ClassRef(node.name, node.lineno), node, kind="class")

    def _stmt_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.bind(alias.asname, ModuleRef(alias.name), node, kind="import")
            else:
                top = alias.name.split(".")[0]
                self.bind(top, ModuleRef(top), node, kind="import")

    def _stmt_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module == "__future__":
            return
        prefix = "." * node.level
        module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                self.namespace_taint = self.unknown(
                    f"`from {prefix}{module} import *` at line {node.lineno} may define any setting", node)
                continue
            dotted = f"{prefix}{module}.{alias.name}" if module else f"{prefix}{alias.name}"
            value = resolve_dotted(dotted) if node.level == 0 else ImportedRef(dotted)
            self.bind(alias.asname or alias.name, value, node, kind="import")

    def _stmt_Assert(self, node: ast.Assert) -> None:
        if self.uncertain:
            return
        truth = self.truthiness(self.ev(node.test), node.test)
        if truth is False:
            message = self.ev(node.msg) if node.msg is not None else None
            text = str(message) if is_plain(message) and message is not None else f"assert {snippet(node.test)}"
            raise StaticRaise(AssertionError, "AssertionError", text, *self.position(node))

    def _stmt_Raise(self, node: ast.Raise) -> None:
        if self.uncertain:
            return
        exc = node.exc
        call = exc if isinstance(exc, ast.Call) else None
        target = call.func if call is not None else exc
        name = (target.id if isinstance(target, ast.Name) else target.attr if isinstance(target, ast.Attribute)
                else "RuntimeError")
        exc_type = getattr(builtins, name, None)
        if not (isinstance(exc_type, type) and issubclass(exc_type, BaseException)):
            exc_type = None
        message = ""
        if call is not None and call.args and isinstance(call.args[0], ast.Constant):
            message = str(call.args[0].value)
        if exc is None:
            message = "No active exception to reraise"
        raise StaticRaise(exc_type, name, message or f"raise at line {node.lineno}", *self.position(node))

    def _stmt_Pass(self, node: ast.stmt) -> None:
        return

    _stmt_Global = _stmt_Nonlocal = _stmt_Break = _stmt_Continue = _stmt_Return = _stmt_Pass

    def _stmt_unsupported(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Match) and not self.uncertain:
            self.ev(node.subject)
        self._poison(node, f"assigned inside a `{type(node).__name__.lower()}` statement at line {node.lineno}, "
                           "which is not evaluated statically")

    # --- expressions ---------------------------------------------------------------------------------------------

    def ev(self, node: ast.AST) -> Any:
        self.steps += 1
        if self.steps > STEP_LIMIT:
            raise _BudgetExceeded
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
        items = self._elements(node.elts, node)
        if isinstance(items, Unknown):
            return items
        try:
            return set(items)
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
        if isinstance(items, Unknown):
            return items
        try:
            return set(items)
        except TypeError as error:
            raise StaticRaise.from_exception(error, *self.position(node)) from None

    def _ex_DictComp(self, node: ast.DictComp) -> Any:
        pairs = self._comprehension(node.generators, lambda: (self.ev(node.key), self.ev(node.value)), node)
        if isinstance(pairs, Unknown):
            return pairs
        try:
            return dict(pairs)
        except TypeError as error:
            raise StaticRaise.from_exception(error, *self.position(node)) from None

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
        root = _root_name(node.func.value) if isinstance(node.func, ast.Attribute) else None
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
            root = _root_name(argument)
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


_CONDITION_PREFIX = re.compile(r"^(assigned under `if` at line \d+, whose condition cannot be evaluated: )+")


def _root_cause(reason: str) -> str:
    """The innermost reason of a chain of unknown conditions (keeps messages short)."""
    return _CONDITION_PREFIX.sub("", reason)


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Subscript, ast.Attribute)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_globals_call(node: ast.AST) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in ("globals", "locals", "vars"))


def _is_environ(node: ast.AST, evaluator: ModuleEvaluator) -> bool:
    if isinstance(node, ast.Attribute) and node.attr == "environ":
        base = node.value
        return isinstance(base, ast.Name) and isinstance(evaluator.bindings.get(base.id, Binding(None, 0, 0)).value,
                                                         ModuleRef)
    if isinstance(node, ast.Name):
        binding = evaluator.bindings.get(node.id)
        return binding is not None and isinstance(binding.value, EnvironMapping)
    return False
