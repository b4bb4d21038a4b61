"""Walk the parsed statements once: main/events/http/server/location/upstream, includes expanded in place.

Each block is collected in one pass over its statements (its own settings, headers, pass directives, child blocks),
then its explicit settings are computed as parent's + own (nginx merges a level with its parent regardless of the
order in which directives and child blocks appear), then its children are walked. No statement is visited twice per
inclusion, and nothing searches the tree, so the cost is linear in the number of statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from advisor.loaders.fix_texts import placeholder_fix
from advisor.loaders.nginx.directives import (
    EVENTS_SPECS, HEADER_DIRECTIVES, LOCATION_SPECS, MAIN_SPECS, PASS_KINDS, Spec, default_headers,
    listen_backlog_default, location_defaults, main_defaults, server_param_defaults, upstream_defaults,
)
from advisor.loaders.nginx.arity import arity_error, arity_fix
from advisor.loaders.nginx.includes import FileSet, SourceFile
from advisor.loaders.nginx.rejection import REFUSES_TO_START, rejected
from advisor.loaders.nginx.templates import envsubst_note, may_hold_placeholder, placeholder_reason
from advisor.loaders.nginx.upstreams import read_upstream
from advisor.loaders.nginx.values import InvalidValue, convert
from advisor.model.deployment import Diagnostic, HostFacts, Upstream
from advisor.model.provenance import Setting, Source
from advisor.loaders.nginx.columns import directive_column

Stmt = dict[str, Any]
_HEADER_DIRECTIVE_NAMES = frozenset(HEADER_DIRECTIVES.values())
_VARIABLE_DEFINERS = {"set": 0, "map": 1, "geo": -1, "split_clients": 1, "perl_set": 0, "js_set": 0}  # arg index
_CONDITIONAL_BLOCKS = frozenset({"if", "limit_except"})
_SETTING, _HEADER, _PASS, _SERVER_ONLY, _INCLUDE, _VARIABLE = range(6)
_ROLES: dict[str, int] = {
    **{name: _SETTING for name in LOCATION_SPECS}, **{name: _HEADER for name in _HEADER_DIRECTIVE_NAMES},
    **{name: _PASS for name in PASS_KINDS}, "listen": _SERVER_ONLY, "server_name": _SERVER_ONLY,
    "include": _INCLUDE, **{name: _VARIABLE for name in _VARIABLE_DEFINERS},
}


@dataclass(slots=True)
class PassSite:
    """A pass directive met during the walk; turned into a Route once all upstream blocks are known."""

    kind: str
    stmt: Stmt
    source: SourceFile
    location: str | None  # location arguments joined, None at server level / in a location fragment
    block_stmt: Stmt | None  # the location (or server) statement
    block_source: SourceFile | None
    server: "ServerInfo"
    settings: dict[str, Setting]  # explicit values in effect (inherited + own); defaults are added per route
    headers: dict[str, dict[str, Setting]]  # header directive -> lower-cased name -> value
    condition: str | None = None  # "if ($x)" when the pass sits inside an if/limit_except block


@dataclass(slots=True)
class ServerInfo:
    """The names, listens and backlog of one server block."""

    names: list[str] = field(default_factory=list)
    listens: list[Setting] = field(default_factory=list)
    backlog: Setting | None = None


class BlockData:
    """What one block (with its includes) holds; filled by ConfigWalker.collect."""

    __slots__ = ("own", "headers", "passes", "children")

    def __init__(self) -> None:
        self.own: dict[str, Setting] = {}
        self.headers: dict[str, list[tuple[Stmt, SourceFile, str | None]]] = {}
        self.passes: list[tuple[str, Stmt, SourceFile]] = []
        self.children: list[tuple[Stmt, SourceFile, tuple[str, ...]]] = []


class ConfigWalker:
    def __init__(self, files: FileSet, host: HostFacts, diagnostics: list[Diagnostic]) -> None:
        self.files = files
        self.host = host
        self.version = host.nginx_version
        self.diagnostics = diagnostics
        self.defaults = location_defaults(self.version)
        self.upstream_defaults = upstream_defaults(self.version)
        self.server_param_defaults = server_param_defaults(self.version)
        self.default_headers = default_headers(self.version)
        self.default_backlog = listen_backlog_default(self.version)
        self.main_settings: dict[str, Setting] = dict(main_defaults(self.version))
        self.http_settings: dict[str, Setting] = {}  # explicit http-level values (defaults not included)
        self.upstreams: dict[str, Upstream] = {}
        self.passes: list[PassSite] = []
        self.defined_variables: set[str] = set()

    # -- helpers --------------------------------------------------------------------------------------------
    def diag(self, code: str, severity: str, message: str, path: str, line: int | None) -> None:
        if code == "ADV006" and severity == "error":  # nginx's own [emerg] text: say what it means
            message = rejected(message)
        self.diagnostics.append(Diagnostic(code, severity, message, path, line))  # type: ignore[arg-type]

    def included(self, stmt: Stmt, source: SourceFile, stack: tuple[str, ...]
                 ) -> list[tuple[SourceFile, tuple[str, ...]]]:
        """The files an `include` statement pulls in, each with its include stack (loops cut, with a warning)."""
        args = stmt["args"]
        if len(args) != 1:
            self.diag("ADV006", "error", 'invalid number of arguments in "include" directive', source.display,
                      stmt["line"])
            return []
        reason = placeholder_reason(args[0], self.defined_variables)
        if reason is not None:
            self.files.incomplete = True
            self.diagnostics.append(Diagnostic(
                "ADV002", "info", f"include {args[0]} is not resolved ({reason}); nothing from it was checked",
                source.display, stmt["line"], missing=args[0], fix=placeholder_fix(reason, "what it includes")))
            return []
        result = []
        for included in self.files.include(args[0], source.display, stmt["line"]):
            if included.key in stack:
                self.diagnostics.append(Diagnostic(
                    "ADV005", "warning", f"include loop: {included.display} includes itself (via "
                    f"{source.display}:{stmt['line']}): {REFUSES_TO_START}; advisor read it once",
                    source.display, stmt["line"],
                    fix="remove the include that points back at a file already being included (nginx recurses "
                        "until it fails)"))
                continue
            result.append((included, stack + (included.key,)))
        return result

    def statements(self, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...]
                   ) -> Iterator[tuple[Stmt, SourceFile, tuple[str, ...]]]:
        """The statements of a block with `include` expanded in place (comments dropped). For small blocks;
        the hot paths (collect) loop themselves."""
        for stmt in stmts:
            directive = stmt["directive"]
            if directive == "include":
                for included, inner in self.included(stmt, source, stack):
                    yield from self.statements(included.stmts, included, inner)
            elif directive != "#":
                yield stmt, source, stack

    def setting(self, directive: str, spec: Spec, stmt: Stmt, source: SourceFile, note: str | None) -> Setting:
        args = stmt["args"]
        line = stmt["line"]
        raw = " ".join(args)
        if may_hold_placeholder(raw):
            reason = placeholder_reason(raw, self.defined_variables)
            if reason is not None:
                return Setting.unknown(reason, source.display, line, raw=raw)
        try:
            value = convert(directive, spec, args, self.version)
        except InvalidValue as error:
            self.diag("ADV006", "error", str(error), source.display, line)
            return Setting.unknown(str(error), source.display, line, raw=raw)
        notes = [item for item in (source.note, note, envsubst_note(stmt)) if item]
        detail = "; ".join(notes) if notes else None
        return Setting(value, Source("file", source.display, line, directive_column(source.display, line, directive),
                                     detail), raw)

    def _record_variables(self, directive: str, args: list[str]) -> None:
        """Upper-case names defined by the config itself are nginx variables, not envsubst placeholders."""
        position = _VARIABLE_DEFINERS[directive]
        if args and len(args) > position:
            name = args[position]
            if name.startswith("$"):
                self.defined_variables.add(name[1:].strip("{}"))

    # -- main / events --------------------------------------------------------------------------------------
    def walk(self, main: SourceFile, context: str) -> None:
        stack = (main.key,)
        if context == "main":
            self.walk_main(main.stmts, main, stack)
        elif context == "http":
            self.walk_http(main.stmts, main, stack)
        elif context == "server":
            self.walk_server(main.stmts, main, stack, None, {}, {})
        else:
            self.walk_location(main.stmts, main, stack, None, None, {}, {}, ServerInfo())

    def check_arity(self, stmt: Stmt, source: SourceFile, context: str) -> bool:
        """nginx refuses to start when a main/events directive has the wrong number of arguments. True when it was
        reported (the directive's value is then not read again, which would report the same cause twice)."""
        message = arity_error(stmt["directive"], stmt["args"], "block" in stmt, context)
        if message is not None:
            self.diagnostics.append(Diagnostic("ADV001", "error", message, source.display, stmt["line"],
                                               directive_column(source.display, stmt["line"], stmt["directive"]),
                                               fix=arity_fix(stmt["directive"], stmt["args"])))
        return message is not None

    def walk_main(self, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...]) -> None:
        for stmt, src, inner in self.statements(stmts, source, stack):
            directive = stmt["directive"]
            reported = self.check_arity(stmt, src, "main")
            spec = MAIN_SPECS.get(directive)
            if spec is not None:
                if not reported:
                    self.main_setting(directive, spec, stmt, src)
            elif directive == "events" and "block" in stmt:
                for child, child_src, _ in self.statements(stmt["block"], src, inner):
                    reported = self.check_arity(child, child_src, "events")
                    child_spec = EVENTS_SPECS.get(child["directive"])
                    if child_spec is not None and not reported:
                        self.main_settings[child["directive"]] = self.setting(child["directive"], child_spec, child,
                                                                              child_src, None)
            elif directive == "http" and "block" in stmt:
                self.walk_http(stmt["block"], src, inner)

    def main_setting(self, directive: str, spec: Spec, stmt: Stmt, source: SourceFile) -> None:
        setting = self.setting(directive, spec, stmt, source, None)
        if directive == "worker_processes" and setting.value == "auto":
            cpus = self.host.cpus
            position = Source("file", source.display, stmt["line"],
                              directive_column(source.display, stmt["line"], directive))
            if cpus.known and cpus.value is not None:
                setting = Setting(cpus.value, Source.derived("worker_processes auto = CPU count", position,
                                                             cpus.source), "auto")
            else:
                setting = Setting.unknown("auto: pass --cpus", source.display, stmt["line"], raw="auto")
        self.main_settings[directive] = setting

    # -- http -----------------------------------------------------------------------------------------------
    def collect(self, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...], level: str,
                note: str | None = None, data: BlockData | None = None) -> BlockData:
        """One pass over a block (includes expanded in place): own settings, header directives, pass directives,
        child blocks, listen/server_name."""
        if data is None:
            data = BlockData()
        own = data.own
        for stmt in stmts:
            directive = stmt["directive"]
            role = _ROLES.get(directive)
            if role is None:
                if "block" in stmt:
                    data.children.append((stmt, source, stack))
            elif role == _SETTING:
                previous = own.get(directive)
                if previous is not None:
                    self.diag("ADV006", "error", f'"{directive}" directive is duplicate (first set at '
                              f'{previous.source.path}:{previous.source.line})', source.display, stmt["line"])
                    continue
                own[directive] = self.setting(directive, LOCATION_SPECS[directive], stmt, source, note)
            elif role == _HEADER:
                data.headers.setdefault(directive, []).append((stmt, source, note))
            elif role == _PASS:
                data.passes.append((directive, stmt, source))
            elif role == _SERVER_ONLY:
                if level == "server":
                    data.children.append((stmt, source, stack))
            elif role == _INCLUDE:
                for included, inner in self.included(stmt, source, stack):
                    self.collect(included.stmts, included, inner, level, note, data)
            elif role == _VARIABLE:
                self._record_variables(directive, stmt["args"])
                if "block" in stmt:
                    data.children.append((stmt, source, stack))
        return data

    def walk_http(self, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...]) -> None:
        data = self.collect(stmts, source, stack, "http")
        effective = data.own
        headers = self.headers_of(data, {})
        self.http_settings = effective
        for stmt, src, inner in data.children:
            directive = stmt["directive"]
            if directive == "upstream":
                self.add_upstream(stmt, src, inner)
            elif directive == "server":
                self.walk_server(stmt["block"], src, inner, stmt, effective, headers)

    def add_upstream(self, stmt: Stmt, source: SourceFile, stack: tuple[str, ...]) -> None:
        args = stmt["args"]
        if len(args) != 1:
            self.diag("ADV006", "error", 'invalid number of arguments in "upstream" directive', source.display,
                      stmt["line"])
            return
        name = args[0].lower()
        if name in self.upstreams:
            first = self.upstreams[name].source
            self.diag("ADV006", "error", f'duplicate upstream "{args[0]}" (first defined at {first.path}:{first.line})',
                      source.display, stmt["line"])
            return
        self.upstreams[name] = read_upstream(self, args[0], stmt, source, stack)

    def headers_of(self, data: BlockData, inherited: dict[str, dict[str, Setting]]) -> dict[str, dict[str, Setting]]:
        """All-or-nothing: a level with any proxy_set_header replaces the whole inherited set."""
        if not data.headers:
            return inherited
        result = dict(inherited)
        for directive, entries in data.headers.items():
            replaced: dict[str, Setting] = {}
            for stmt, src, note in entries:
                args = stmt["args"]
                if len(args) != 2:
                    self.diag("ADV006", "error", f'invalid number of arguments in "{directive}" directive',
                              src.display, stmt["line"])
                    continue
                raw = f"{args[0]} {args[1]}"
                reason = (placeholder_reason(args[1], self.defined_variables)
                          if may_hold_placeholder(args[1]) else None)
                if reason is not None:
                    replaced[args[0].lower()] = Setting.unknown(reason, src.display, stmt["line"], raw=raw)
                    continue
                detail = note if src.note is None else (src.note if note is None else f"{src.note}; {note}")
                position = Source("file", src.display, stmt["line"],
                                  directive_column(src.display, stmt["line"], stmt["directive"]), detail)
                replaced[args[0].lower()] = Setting(args[1], position, raw)
            result[directive] = replaced
        return result

    # -- server ---------------------------------------------------------------------------------------------
    def walk_server(self, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...], server_stmt: Stmt | None,
                    parent: dict[str, Setting], parent_headers: dict[str, dict[str, Setting]]) -> None:
        data = self.collect(stmts, source, stack, "server")
        server = ServerInfo()
        blocks = []
        for stmt, src, inner in data.children:
            directive = stmt["directive"]
            if directive == "listen":
                self.add_listen(server, stmt, src)
            elif directive == "server_name":
                server.names.extend(stmt["args"])
            elif directive in _CONDITIONAL_BLOCKS:
                self.merge_conditional(data, stmt, src, inner)
            elif directive == "location":
                blocks.append((stmt, src, inner))
        if server_stmt is not None and not server.listens:
            # nginx listens on *:80 (or *:8000 when not started as root) when a server has no listen
            server.listens.append(Setting("*:80", Source.default(f"nginx {self.version} default"), "*:80"))
        if server.backlog is None:
            server.backlog = self.default_backlog
        effective = {**parent, **data.own} if data.own else parent
        headers = self.headers_of(data, parent_headers)
        for kind_directive, stmt, src in data.passes:
            self.add_pass(kind_directive, stmt, src, None, server_stmt, source, server, effective, headers)
        for stmt, src, inner in blocks:
            self.walk_location(stmt.get("block") or [], src, inner, stmt, src, effective, headers, server)

    def add_listen(self, server: ServerInfo, stmt: Stmt, source: SourceFile) -> None:
        args = stmt["args"]
        raw = " ".join(args)
        line = stmt["line"]
        if not args:
            self.diag("ADV006", "error", 'invalid number of arguments in "listen" directive', source.display, line)
            return
        if may_hold_placeholder(raw):
            reason = placeholder_reason(raw, self.defined_variables)
            if reason is not None:
                server.listens.append(Setting.unknown(reason, source.display, line, raw=raw))
                return
        server.listens.append(Setting(raw, Source("file", source.display, line,
                                                  directive_column(source.display, line, "listen")), raw))
        for arg in args[1:]:
            if arg.startswith("backlog="):
                text = arg[len("backlog="):]
                if not text.lstrip("-").isdigit():
                    self.diag("ADV006", "error", f'invalid backlog "{text}" in "listen" directive', source.display,
                              line)
                    continue
                backlog = Setting(int(text), Source("file", source.display, line,
                                                     directive_column(source.display, line, arg)), arg)
                if server.backlog is None or backlog.value > server.backlog.value:
                    server.backlog = backlog

    def merge_conditional(self, data: BlockData, stmt: Stmt, source: SourceFile, stack: tuple[str, ...]) -> BlockData:
        """`if`/`limit_except` contents count as the enclosing block's values, with a note."""
        condition = f"{stmt['directive']} ({' '.join(stmt['args'])})"
        note = f"inside {condition} at {source.display}:{stmt['line']}: applies only when it matches"
        inner = self.collect(stmt.get("block") or [], source, stack, "if", note)
        data.own.update(inner.own)
        for directive, entries in inner.headers.items():
            data.headers.setdefault(directive, []).extend(entries)
        return inner

    # -- location -------------------------------------------------------------------------------------------
    def walk_location(self, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...],
                      location_stmt: Stmt | None, location_source: SourceFile | None, parent: dict[str, Setting],
                      parent_headers: dict[str, dict[str, Setting]], server: ServerInfo) -> None:
        data = self.collect(stmts, source, stack, "location")
        location = " ".join(location_stmt["args"]) if location_stmt is not None else None
        conditional_passes = []
        nested = []
        for stmt, src, inner in data.children:
            directive = stmt["directive"]
            if directive in _CONDITIONAL_BLOCKS:
                block = self.merge_conditional(data, stmt, src, inner)
                condition = f"{directive} ({' '.join(stmt['args'])})"
                conditional_passes.extend((condition, *entry) for entry in block.passes)
            elif directive == "location":
                nested.append((stmt, src, inner))
        effective = {**parent, **data.own} if data.own else parent
        headers = self.headers_of(data, parent_headers)
        for kind_directive, stmt, src in data.passes:
            self.add_pass(kind_directive, stmt, src, location, location_stmt, location_source, server, effective,
                          headers)
        for condition, kind_directive, stmt, src in conditional_passes:
            self.add_pass(kind_directive, stmt, src, location, location_stmt, location_source, server, effective,
                          headers, condition)
        for stmt, src, inner in nested:
            self.walk_location(stmt.get("block") or [], src, inner, stmt, src, effective, headers, server)

    def add_pass(self, directive: str, stmt: Stmt, source: SourceFile, location: str | None,
                 block_stmt: Stmt | None, block_source: SourceFile | None, server: ServerInfo,
                 settings: dict[str, Setting], headers: dict[str, dict[str, Setting]],
                 condition: str | None = None) -> None:
        self.passes.append(PassSite(PASS_KINDS[directive], stmt, source, location, block_stmt, block_source, server,
                                    settings, headers, condition))
