"""Follow a command (an argv, or a script) to the gunicorn/uvicorn processes it starts.

Format loaders (compose, Dockerfile, Procfile, unit files, ...) hand the Collector what they start: an argv with
the process environment, or shell code. The Collector recognises the server through wrappers, reads `sh -c`
scripts and script files it can find on this machine, and keeps one FoundServer per distinct command.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace

from advisor.loaders.sources.expand import Environment, VarValue
from advisor.loaders.sources.paths import PathResolver
from advisor.loaders.sources.programs import NestedScript, ScriptFile, ServerInvocation, recognise
from advisor.loaders.sources.shell_script import scan_script
from advisor.loaders.sources.text import (
    ExecLiteral, PText, Pos, SourceText, Unresolved, read_source_file, source_at,
)
from advisor.model.deployment import Diagnostic
from advisor.model.provenance import Setting

MAX_DEPTH = 6  # scripts calling scripts
NOTE = "ADV007"  # informational notes about app sources (a mounted nginx config, a file found by its name ...)


@dataclass(slots=True)
class LaunchContext:
    path: str  # the file being loaded (ids and diagnostics)
    via: str  # what starts the command, for provenance: "compose service web: command"
    resolver: PathResolver
    label: str | None = None  # service / process type / program name; None: the command's line; "": the file
    service_name: str | None = None  # docker-compose service name other containers use
    extra_settings: dict[str, Setting] = field(default_factory=dict)  # e.g. compose ports, added to the app


@dataclass(slots=True)
class FoundServer:
    invocation: ServerInvocation
    env: Environment  # what the server process inherits
    cwd: PText | None
    context: LaunchContext

    @property
    def position(self) -> Pos | None:
        return self.invocation.program.at()


@dataclass(slots=True)
class Collector:
    found: list[FoundServer] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    _seen: set[tuple] = field(default_factory=set)
    _reading: set[str] = field(default_factory=set)

    def argv(self, argv: list[PText], env: Environment, context: LaunchContext, cwd: PText | None = None,
             depth: int = 0) -> None:
        if not argv or depth > MAX_DEPTH:
            return
        recognised = recognise(argv)
        if recognised is None:
            return
        env = _with_prefix(env, recognised.prefix_env)
        if isinstance(recognised, ServerInvocation):
            self._server(recognised, env, context, cwd)
            return
        if isinstance(recognised, NestedScript):  # a shell does expand what exec form passed as written
            self.script(recognised.script.without(ExecLiteral), _exported(env, recognised.arguments), context,
                        cwd, depth + 1)
            return
        self.script_file(recognised, env, context, cwd, depth)

    def _server(self, invocation: ServerInvocation, env: Environment, context: LaunchContext,
                cwd: PText | None) -> None:
        key = (invocation.program.at(), tuple(arg.text for arg in invocation.args), context.label)
        if key not in self._seen:
            self._seen.add(key)
            self.found.append(FoundServer(invocation, env, cwd, context))

    def script(self, script: PText, env: Environment, context: LaunchContext, cwd: PText | None = None,
               depth: int = 0) -> None:
        """Shell code: every command in it, with the variables it sees."""
        if depth > MAX_DEPTH:
            return
        scan = scan_script(script, env.copy())
        for position, message in scan.errors:
            self.diagnostics.append(Diagnostic("ADV004", "info", f"shell syntax: {message}; advisor read the "
                                               "rest of the command as well as it could",
                                               position.path if position else context.path,
                                               position.line if position else None,
                                               position.column if position else None,
                                               fix="check the quoting here (sh -n reports a real syntax error); "
                                                   "settings from this command may be missing"))
        for command in scan.commands:
            self.argv(command.argv, command.env, context, command.cwd or cwd, depth)

    def script_file(self, call: ScriptFile, env: Environment, context: LaunchContext, cwd: PText | None,
                    depth: int) -> None:
        """`/docker-entrypoint.sh gunicorn ...`: read the script when it is here, with `call.rest` as its arguments
        (`"$@"`, `$1`); otherwise, or when it starts nothing, look at its arguments (entrypoint scripts usually
        `exec "$@"`)."""
        before = len(self.found)
        unresolved = any(isinstance(tag, Unresolved) for tag in call.path.all_tags())
        guesses = len(context.resolver.guesses)
        local = None if unresolved else context.resolver.resolve(call.path.text)
        if local is not None and len(context.resolver.guesses) > guesses:
            position = call.path.at()
            self.diagnostics.append(Diagnostic(
                NOTE, "info", f"{call.path.text} is a path where the command runs; advisor read {local} "
                              f"({context.resolver.guess_reason(local)})", position.path if position else context.path,
                position.line if position else None, position.column if position else None))
        if local is not None and os.path.realpath(local) not in self._reading:
            text = read_source_file(local)
            if text is not None and call.program_file and not _shell_shebang(text):
                text = None  # a program file that is not a shell script (Python, a binary): not read as shell code
            if text is not None:
                self._reading.add(os.path.realpath(local))
                script_context = replace(context, resolver=replace(context.resolver,
                                                                   base_dir=os.path.dirname(local)))
                self.script(SourceText(local, text).ptext(), _exported(env, call.rest), script_context, cwd,
                            depth + 1)
                self._reading.discard(os.path.realpath(local))
        if len(self.found) == before and not call.program_file:
            self.argv(call.rest, env, context, cwd, depth + 1)


_SHELL_SHEBANG = re.compile(r"^#!\s*\S*/(?:env\s+)?(?:sh|bash|dash|ash|zsh|ksh|busybox\s+sh)\b")


def _shell_shebang(text: str) -> bool:
    return bool(_SHELL_SHEBANG.match(text))


def _with_prefix(env: Environment, prefix: list[tuple[str, PText]]) -> Environment:
    if not prefix:
        return env
    env = env.copy()
    for name, value in prefix:
        env.set(VarValue(name, value, source_at(value.at(), f"{name}={value.text}"), exported=True))
    return env


def _exported(env: Environment, arguments: list[PText] | None) -> Environment:
    """A new process (sh -c, a script) sees only the exported variables, and its own arguments (`"$@"`)."""
    return Environment(env.exported(), env.unset_hint, arguments)
