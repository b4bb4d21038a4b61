"""`upstream NAME {}` blocks: servers with their parameters, and the upstream-level keep-alive settings.

Inside `upstream`, `server`, `keepalive_timeout`, `keepalive_requests` and `keepalive_time` mean the upstream
(nginx -> backend) connection pool, not the client side; this module is only called for upstream blocks.
"""

from __future__ import annotations

from typing import Any, Protocol

from advisor.loaders.nginx.directives import (
    SERVER_PARAM_SPECS, UPSTREAM_BALANCERS, UPSTREAM_SPECS, Spec,
)
from advisor.loaders.nginx.includes import SourceFile
from advisor.loaders.nginx.templates import envsubst_note, may_hold_placeholder, placeholder_reason
from advisor.loaders.nginx.values import InvalidValue, convert
from advisor.model.addresses import parse_nginx_address
from advisor.model.deployment import Upstream, UpstreamServer
from advisor.model.provenance import Setting, Source
from advisor.loaders.nginx.columns import directive_column


Stmt = dict[str, Any]


class UpstreamWalker(Protocol):
    """What reading an upstream block uses of the config walker (advisor.loaders.nginx.walker implements it; a
    protocol, so that this module does not import the module that imports it)."""

    version: Any
    upstream_defaults: dict[str, Setting]
    server_param_defaults: dict[str, Setting]
    defined_variables: set[str]

    def diag(self, code: str, severity: str, message: str, path: str, line: int | None) -> None: ...

    def included(self, stmt: Stmt, source: SourceFile, stack: tuple[str, ...]
                 ) -> list[tuple[SourceFile, tuple[str, ...]]]: ...

    def setting(self, directive: str, spec: Any, stmt: Stmt, source: SourceFile, note: str | None) -> Setting: ...

_PARAM_SPEC = {"int": Spec("int"), "duration": Spec("duration"), "str": Spec("str")}


def read_upstream(walker: "UpstreamWalker", name: str, stmt: Stmt, source: SourceFile,
                  stack: tuple[str, ...]) -> Upstream:
    settings = dict(walker.upstream_defaults)
    servers: list[UpstreamServer] = []
    _read_block(walker, name, stmt.get("block") or [], source, stack, settings, servers, set())
    if not servers:
        walker.diag("ADV006", "error", f'no servers are inside upstream "{name}"', source.display, stmt["line"])
    return Upstream(name=name, source=Source("file", source.display, stmt["line"],
                                                  directive_column(source.display, stmt["line"], "upstream")),
                    servers=servers,
                    settings=settings)


def _read_block(walker: "UpstreamWalker", name: str, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...],
                settings: dict[str, Setting], servers: list[UpstreamServer], seen: set[str]) -> None:
    for child in stmts:
        directive = child["directive"]
        if directive == "server":
            servers.append(_read_server(walker, child, source))
            continue
        if directive == "include":
            for included, inner in walker.included(child, source, stack):
                _read_block(walker, name, included.stmts, included, inner, settings, servers, seen)
            continue
        spec = UPSTREAM_SPECS.get(directive)
        if spec is None and directive not in UPSTREAM_BALANCERS:
            continue
        key = "balancer" if spec is None else directive
        if key in seen:
            walker.diag("ADV006", "error", f'"{directive}" directive is duplicate in upstream "{name}"',
                        source.display, child["line"])
            continue
        seen.add(key)
        if spec is None:
            settings["balancer"] = Setting(directive, Source("file", source.display, child["line"],
                                                             directive_column(source.display, child["line"], directive)),
                                           " ".join([directive, *child["args"]]))
            continue
        setting = walker.setting(directive, spec, child, source, None)
        if directive == "keepalive":
            if setting.known:
                count, local = setting.value
                settings["keepalive"] = Setting(count, setting.source, setting.raw)
                settings["keepalive_local"] = Setting(local, setting.source, setting.raw)
            else:
                settings["keepalive"] = settings["keepalive_local"] = setting
        elif directive == "zone" and setting.known:
            settings["zone"] = Setting(child["args"][0], setting.source, setting.raw)
        else:
            settings[directive] = setting


def _read_server(walker: "UpstreamWalker", stmt: Stmt, source: SourceFile) -> UpstreamServer:
    args = stmt["args"]
    line = stmt["line"]
    position = Source("file", source.display, line, directive_column(source.display, line, "server"),
                      envsubst_note(stmt))
    params = dict(walker.server_param_defaults)
    if not args:
        walker.diag("ADV006", "error", 'invalid number of arguments in "server" directive', source.display, line)
        return UpstreamServer(Setting.unknown("server without an address", source.display, line), params, position)
    address = _server_address(walker, args[0], source, line, position)
    for arg in args[1:]:
        name, equals, value = arg.partition("=")
        kind = SERVER_PARAM_SPECS.get(name)
        if kind is None or (kind == "flag") == bool(equals):
            walker.diag("ADV006", "error", f'invalid parameter "{arg}" in upstream "server" directive',
                        source.display, line)
            continue
        if kind == "flag":
            params[name] = Setting(True, position, arg)
            continue
        reason = (placeholder_reason(value, walker.defined_variables)
                  if may_hold_placeholder(value) else None)
        if reason is not None:
            params[name] = Setting.unknown(reason, source.display, line, raw=arg)
            continue
        try:
            params[name] = Setting(convert(name, _PARAM_SPEC[kind], [value], walker.version), position, arg)
        except InvalidValue as error:
            walker.diag("ADV006", "error", f"{error} (upstream server parameter)", source.display, line)
            params[name] = Setting.unknown(str(error), source.display, line, raw=arg)
    return UpstreamServer(address, params, position)


def _server_address(walker: "UpstreamWalker", text: str, source: SourceFile, line: int, position: Source) -> Setting:
    reason = (placeholder_reason(text, walker.defined_variables)
              if may_hold_placeholder(text) else None)
    if reason is None and "$" in text:  # nginx allows no variables here: only a template would write one
        reason = f"template placeholder {text}"
    if reason is not None:
        return Setting.unknown(reason, source.display, line, raw=text)
    try:
        return Setting(parse_nginx_address(text, 80), position, text)
    except ValueError as error:
        walker.diag("ADV006", "error", f'invalid address "{text}" in upstream "server" directive: {error}',
                    source.display, line)
        return Setting.unknown(f"invalid address: {error}", source.display, line, raw=text)
