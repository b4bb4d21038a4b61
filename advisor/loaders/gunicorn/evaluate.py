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
from dataclasses import dataclass
from typing import Any

from advisor.lazy_regex import lazy_re
from advisor.loaders.gunicorn.expressions import Binding, BudgetExceeded, ExpressionEvaluator, root_name, snippet
from advisor.loaders.gunicorn.known_calls import resolve_dotted
from advisor.loaders.gunicorn.values import (
    ClassRef, EnvironMapping, FunctionRef, ImportedRef, ModuleRef, StaticRaise, Unknown, describe_marker, is_plain,
)
from advisor.model.deployment import Diagnostic, HostFacts

FILE_STEP_LIMIT = 300_000  # expression evaluations per file: once spent, the remaining statements are not evaluated


@dataclass(slots=True)
class ModuleEvaluation:
    """The names a config module binds, as far as static evaluation knows them."""

    bindings: dict[str, Binding]
    diagnostics: list[Diagnostic]
    namespace_taint: Unknown | None  # exec()/star import: any name may have been (re)defined at taint.line


def evaluate_module(tree: ast.Module, path: str, host: HostFacts,
                    unknown_names: dict[str, Unknown] | None = None,
                    taint: Unknown | None = None) -> ModuleEvaluation:
    """`unknown_names`: names defined before the first statement with unknown values (template placeholders);
    `taint`: the namespace may hold any name from the start (text a template inserts)."""
    evaluator = ModuleEvaluator(path, host)
    for name, value in (unknown_names or {}).items():
        evaluator.bindings[name] = Binding(value, value.line or 1, value.column or 1, kind="import")
    evaluator.namespace_taint = taint
    evaluator.run(tree)
    return ModuleEvaluation(evaluator.bindings, evaluator.diagnostics, evaluator.namespace_taint)


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


class ModuleEvaluator(ExpressionEvaluator):
    """Runs the module's statements in order (see the module docstring)."""

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
        except BudgetExceeded:
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
            self.path, line, column,
            fix="make the config load without raising (gunicorn --check-config reports the same error)"))
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
        root = root_name(target.value)
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
                    root = root_name(target.value)
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

_CONDITION_PREFIX = lazy_re(r"^(assigned under `if` at line \d+, whose condition cannot be evaluated: )+")


def _root_cause(reason: str) -> str:
    """The innermost reason of a chain of unknown conditions (keeps messages short)."""
    return _CONDITION_PREFIX.sub("", reason)
