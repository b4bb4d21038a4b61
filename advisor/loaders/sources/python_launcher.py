"""Python scripts that start gunicorn or uvicorn themselves (`serve`, `run.py`, `manage_server.py`).

The script is parsed with `ast`, never run. Calls that start a process are read: `subprocess.Popen/run/call/
check_call/check_output([...])`, `os.execv*/execl*/spawn*`, `os.system("...")`/`os.popen`. A list literal (or a name
assigned one list literal in the same function or at module level) is the argv; a string with `shell=True`, or
given to `os.system`, is shell code. String literals keep their positions; so do names assigned once and values
read from the environment: `os.environ.get(N, default)`, `os.getenv(N, default)`, `os.environ[N]` take N from
`--env`, else the default applies (as for `${N:-default}` in a shell script), also through `str()` and `int()`. Any
other element (`str(cpu_count())`, an f-string, `"%s" % x`) is one argument whose value is unknown; `*args` may add
any arguments.
"""

from __future__ import annotations

import ast
import os

from advisor.loaders.sources.expand import Environment, VarValue
from advisor.loaders.sources.launch import Collector, LaunchContext
from advisor.loaders.sources.paths import PathResolver, source_dir
from advisor.loaders.sources.text import DefaultUsed, PText, SourceText, Unresolved, VarUse, source_at
from advisor.model.deployment import Diagnostic

_SUBPROCESS = frozenset({"Popen", "run", "call", "check_call", "check_output"})
_SHELL_CALLS = frozenset({"system", "popen"})
_EXEC_V = frozenset({"execv", "execve", "execvp", "execvpe"})
_EXEC_L = frozenset({"execl", "execle", "execlp", "execlpe"})
_SPAWN_V = frozenset({"spawnv", "spawnve", "spawnvp", "spawnvpe"})
_SPAWN_L = frozenset({"spawnl", "spawnle", "spawnlp", "spawnlpe"})
_OS_CALLS = _SHELL_CALLS | _EXEC_V | _EXEC_L | _SPAWN_V | _SPAWN_L


class _Positions:
    """ast line/column (UTF-8 byte offsets) -> positions in the SourceText."""

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.lines = source.text.split("\n")

    def offset(self, line: int, byte_column: int) -> int:
        text = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        column = len(text.encode("utf-8")[:byte_column].decode("utf-8", "replace"))
        return self.source.offset(line, column + 1)

    def segment(self, node: ast.expr) -> tuple[int, int]:
        start = self.offset(node.lineno, node.col_offset)
        end = self.offset(node.end_lineno or node.lineno, node.end_col_offset or node.col_offset)
        return start, max(end, start)


class _Scopes:
    """Names assigned exactly once in a function (or at module level) to a value advisor can read."""

    def __init__(self, tree: ast.Module) -> None:
        self.assigned: dict[ast.AST, dict[str, list[ast.expr]]] = {}
        self.parents: dict[ast.AST, ast.AST] = {}
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        for scope in [tree, *(node for node in ast.walk(tree) if isinstance(node, _FUNCTIONS))]:
            names: dict[str, list[ast.expr]] = {}
            for node in _walk_scope(scope):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            names.setdefault(target.id, []).append(node.value)
                elif isinstance(node, (ast.AugAssign, ast.AnnAssign)) and isinstance(node.target, ast.Name):
                    names.setdefault(node.target.id, []).append(node.value or node.target)  # type: ignore[arg-type]
            self.assigned[scope] = names

    def lookup(self, name: ast.Name) -> ast.expr | None:
        node: ast.AST | None = name
        while node is not None:
            node = self.parents.get(node)
            if node is not None and node in self.assigned and name.id in self.assigned[node]:
                values = self.assigned[node][name.id]
                return values[0] if len(values) == 1 else None
        return None


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


def _walk_scope(scope: ast.AST):
    """The nodes of one scope, not those of functions nested in it."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


class _Reader:
    def __init__(self, source: SourceText, tree: ast.Module, host_env: dict[str, str] | None = None) -> None:
        self.source = source
        self.positions = _Positions(source)
        self.scopes = _Scopes(tree)
        self.aliases = _aliases(tree)
        self.host_env = host_env or {}

    # -- values --------------------------------------------------------------------------------------------------
    def word(self, node: ast.expr) -> PText:
        """One argument: a string literal with the position of each character, a value read from the environment
        (`str(os.environ.get("TIMEOUT", 60))`), or an unknown value."""
        value = self.value(node)
        if value is not None:
            return value
        start, end = self.positions.segment(node)
        raw = self.source.ptext(start, end)
        return raw.with_tag(Unresolved(f"{raw.text} is computed by the Python script when it runs; advisor does "
                                       "not run it"))

    def value(self, node: ast.expr | None, depth: int = 0) -> PText | None:
        """The text of a value advisor can read without running the script, else None: literals, names assigned
        once, `os.environ.get(N, default)` / `os.getenv(N, default)` / `os.environ[N]` (from --env, else the
        default), also through `str()` and `int()`."""
        if node is None or depth > 8:
            return None
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float)) \
                and not isinstance(node.value, bool):
            return self._literal(node)
        if isinstance(node, ast.Name):
            return self.value(self.scopes.lookup(node), depth + 1)
        if isinstance(node, ast.Subscript) and self._dotted(node.value) == "os.environ":
            return self._environ(node.slice, None, depth)
        if not isinstance(node, ast.Call) or node.keywords:
            return None
        function = self._dotted(node.func)
        if function in ("os.environ.get", "os.getenv") and 1 <= len(node.args) <= 2:
            return self._environ(node.args[0], node.args[1] if len(node.args) == 2 else None, depth)
        if function in ("str", "int") and len(node.args) == 1:
            inner = self.value(node.args[0], depth + 1)
            if inner is None or function == "str":
                return inner
            return _as_int(inner)
        return None

    def _literal(self, node: ast.Constant) -> PText:
        start, end = self.positions.segment(node)
        raw = self.source.ptext(start, end)
        text = str(node.value)
        body = raw.text.lstrip("rRuUbB")
        for quote in ('"""', "'''", '"', "'"):
            if body.startswith(quote) and body[len(quote):len(body) - len(quote)] == text:
                inner = len(raw.text) - len(body) + len(quote)
                return raw[inner:inner + len(text)]
        if raw.text == text:
            return raw
        return PText.literal(text, raw.at())

    def _environ(self, name_node: ast.expr, default: ast.expr | None, depth: int) -> PText | None:
        """A variable of the script's environment (--env); unset, the default (None when there is none)."""
        if not (isinstance(name_node, ast.Constant) and isinstance(name_node.value, str)):
            return None
        name = name_node.value
        if name in self.host_env:
            value = self.host_env[name]
            start, _ = self.positions.segment(name_node)
            return PText.literal(value, self.source.pos(start), (VarUse(name, None, value),))
        if default is None or (isinstance(default, ast.Constant) and default.value is None):
            return None
        value = self.value(default, depth + 1)
        return value.with_tag(DefaultUsed(name)) if value is not None else None

    def _dotted(self, node: ast.expr) -> str | None:
        """`os.environ.get` for what an expression names, through import aliases (`from os import getenv`)."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name):
            return None
        root = self.aliases.get(node.id, node.id)
        return ".".join([root, *reversed(parts)])

    def many(self, node: ast.expr) -> PText:
        """`*args`: arguments that are not known (they may add options)."""
        start, end = self.positions.segment(node)
        raw = self.source.ptext(start, end)
        written = PText.literal("${", raw.at()) + raw + PText.literal("}", raw.at())  # read as "may add options"
        return written.with_tag(Unresolved(f"{raw.text} adds arguments computed when the script runs"))

    def argv(self, node: ast.expr | None) -> list[PText] | None:
        """The words of a list/tuple literal (or a name assigned one); None when it is not one."""
        if isinstance(node, ast.Name):
            node = self.scopes.lookup(node)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.argv(node.left), self.argv(node.right)
            if left is None:
                return None
            return left + (right if right is not None else [self.many(node.right)])
        if not isinstance(node, (ast.List, ast.Tuple)):
            return None
        words: list[PText] = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                inner = self.argv(element.value)
                words.extend(inner if inner is not None else [self.many(element.value)])
            else:
                words.append(self.word(element))
        return words

    def script(self, node: ast.expr | None) -> PText | None:
        if isinstance(node, ast.Name):
            node = self.scopes.lookup(node)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self.word(node)
        return None

    # -- calls ---------------------------------------------------------------------------------------------------
    def function(self, call: ast.Call) -> tuple[str, str] | None:
        """("subprocess", "Popen") / ("os", "execvp") for a process-starting call, else None."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            module = self.aliases.get(func.value.id, func.value.id)
            if (module, func.attr in _SUBPROCESS) == ("subprocess", True) or (module == "os" and
                                                                             func.attr in _OS_CALLS):
                return module, func.attr
        if isinstance(func, ast.Name) and func.id in self.aliases:
            module, _, name = self.aliases[func.id].partition(".")
            if (module == "subprocess" and name in _SUBPROCESS) or (module == "os" and name in _OS_CALLS):
                return module, name
        return None


def _as_int(text: PText) -> PText | None:
    """`int(value)`: the digits when Python accepts the text as an int (blanks around it are allowed)."""
    stripped = text.strip()
    try:
        number = int(stripped.text)
    except ValueError:
        return None
    if stripped.text == str(number):
        return stripped
    return PText.literal(str(number), stripped.at(), tuple(stripped.all_tags()))


def _aliases(tree: ast.Module) -> dict[str, str]:
    """`import subprocess as sp` -> {"sp": "subprocess"}; `from os import execvp` -> {"execvp": "os.execvp"}."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname and alias.name in ("subprocess", "os"):
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module in ("subprocess", "os"):
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _argument(call: ast.Call, index: int, name: str | None = None) -> ast.expr | None:
    if index < len(call.args) and not any(isinstance(arg, ast.Starred) for arg in call.args[:index + 1]):
        return call.args[index]
    return _keyword(call, name) if name else None


def _environment(reader: _Reader, call: ast.Call, host_env: dict[str, str]) -> Environment:
    """The child's environment: the script's own (`--env`) unless `env=` gives another one."""
    env_node = _keyword(call, "env")
    if env_node is None or (isinstance(env_node, ast.Constant) and env_node.value is None):
        return Environment.from_host(host_env)
    if not isinstance(env_node, ast.Dict):
        reason = f"the environment is {ast.unparse(env_node)}, computed when the script runs"
        return Environment({}, f" ({reason})")
    inherits = any(key is None for key in env_node.keys)  # `{**os.environ, ...}`
    env = Environment.from_host(host_env) if inherits else Environment()
    for key, value in zip(env_node.keys, env_node.values):
        if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
            continue
        text = reader.word(value)
        where = source_at(text.at(), f"env {key.value}")
        if any(isinstance(tag, Unresolved) for tag in text.all_tags()):
            env.set(VarValue(key.value, None, where, f"{key.value} is set to {text.text}, computed when the script "
                                                     "runs", exported=True))
        else:
            env.set(VarValue(key.value, text, where, exported=True))
    return env


def load_python_launcher(source: SourceText, host_env: dict[str, str], collector: Collector) -> Diagnostic | None:
    """Hand every gunicorn/uvicorn process the script starts to the collector. A diagnostic when it does not parse."""
    try:
        tree = ast.parse(source.text)
    except (SyntaxError, ValueError) as error:
        line = getattr(error, "lineno", None)
        return Diagnostic("ADV004", "info", f"{os.path.basename(source.path)} is not valid Python 3 "
                          f"({getattr(error, 'msg', error)}); the commands it starts were not read", source.path, line,
                          fix="if this script starts the server, fix its syntax (python3 -m py_compile shows the "
                              "error) or pass the file that starts the server instead")
    reader = _Reader(source, tree, host_env)
    directory = source_dir(source.path)
    resolver = PathResolver(base_dir=directory, roots=[directory])
    for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
        function = reader.function(call)
        if function is None:
            continue
        module, name = function
        context = LaunchContext(source.path, f"Python script {os.path.basename(source.path)}: {module}.{name}",
                                resolver)
        env = _environment(reader, call, host_env)
        if module == "subprocess":
            cwd_node = _keyword(call, "cwd")
            cwd = reader.script(cwd_node) if cwd_node is not None else None
            first = _argument(call, 0, "args")
            shell = _keyword(call, "shell")
            if isinstance(shell, ast.Constant) and shell.value is True:
                script = reader.script(first)
                if script is not None:
                    collector.script(script, env, context, cwd)
                continue
            argv = reader.argv(first)
            if argv is None:
                program = reader.script(first)
                argv = [program] if program is not None else None
            if argv:
                collector.argv(argv, env, context, cwd)
        elif name in _SHELL_CALLS:
            script = reader.script(_argument(call, 0))
            if script is not None:
                collector.script(script, env, context)
        else:
            argv = _os_argv(reader, call, name)
            if argv:
                collector.argv(argv, env, context)
    return None


def _os_argv(reader: _Reader, call: ast.Call, name: str) -> list[PText] | None:
    """os.exec*/spawn*: the program is the `file` argument, the argument list starts with argv[0]."""
    skip = 1 if name.startswith("spawn") else 0
    program_node = _argument(call, skip)
    if program_node is None:
        return None
    program = reader.word(program_node)
    if name in _EXEC_V or name in _SPAWN_V:
        words = reader.argv(_argument(call, skip + 1))
        return [program, *words[1:]] if words is not None else None
    rest = call.args[skip + 1:]
    if name.endswith("e") and rest:
        rest = rest[:-1]  # the environment
    if any(isinstance(arg, ast.Starred) for arg in rest):
        return None
    return [program, *(reader.word(arg) for arg in rest[1:])]


__all__ = ["load_python_launcher"]
