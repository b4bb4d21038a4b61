"""Collect the request-routing view of a parsed nginx configuration (advisor.model.nginx_sites).

A second, light walk over the already parsed files (the FileSet caches every file): servers with their listen ports
and names, every location with its modifier and nested locations, named-location fallbacks, `log_format` and
`access_log`. Diagnostics are the main walk's job: include problems met here are not reported again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from advisor.lazy_regex import lazy_re
from advisor.loaders.nginx.includes import FileSet, SourceFile
from advisor.model.nginx_sites import AccessLogDef, ListenDef, LocationDef, LogFormatDef, NginxSites, ServerDef

Stmt = dict[str, Any]
MAX_DEPTH = 20  # nested includes / locations
_PORT = lazy_re(r"(?:^|:)(\d{1,5})$")
_MODIFIERS = ("=", "^~", "~*", "~", "@")


def collect_sites(files: FileSet, main: SourceFile | None, context: str) -> NginxSites:
    """The servers, locations and log settings of the configuration whose main file is `main`."""
    sites = NginxSites(fragment=context not in ("main", "http"))
    if main is None:
        return sites
    saved, files.diagnostics = files.diagnostics, []  # the main walk reported these already
    try:
        walker = _SitesWalker(files, sites)
        stack = (main.key,)
        if context == "main":
            for stmt, src, inner in walker.statements(main.stmts, main, stack):
                if stmt["directive"] == "http" and "block" in stmt:
                    walker.http(stmt["block"], src, inner)
        elif context == "http":
            walker.http(main.stmts, main, stack)
        elif context == "server":
            sites.servers.append(walker.server(main.stmts, main, stack, None))
    finally:
        files.diagnostics = saved
    return sites


def parse_listen(args: list[str]) -> ListenDef:
    """Port and default_server of a `listen` directive's arguments (nginx: an address alone means port 80)."""
    raw = " ".join(args)
    default = any(arg in ("default_server", "default") for arg in args[1:])
    first = args[0] if args else ""
    if not first or first.startswith("unix:") or "$" in first:
        return ListenDef(raw, None, default)
    if first.isdigit():
        return ListenDef(raw, int(first), default)
    match = _PORT.search(first)
    if match and not first.endswith("]"):
        return ListenDef(raw, int(match.group(1)), default)
    return ListenDef(raw, 80, default)


def split_location(args: list[str]) -> tuple[str, str]:
    """(modifier, pattern) of a location's arguments, also for the glued forms `=/x`, `~*\\.php$`, `@app`."""
    if len(args) >= 2 and args[0] in _MODIFIERS:
        return args[0], " ".join(args[1:])
    text = " ".join(args)
    for modifier in _MODIFIERS:
        if text.startswith(modifier) and len(text) > len(modifier):
            return modifier, text[len(modifier):]
    return "", text


class _SitesWalker:
    def __init__(self, files: FileSet, sites: NginxSites) -> None:
        self.files = files
        self.sites = sites

    def statements(self, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...]
                   ) -> Iterator[tuple[Stmt, SourceFile, tuple[str, ...]]]:
        for stmt in stmts:
            directive = stmt["directive"]
            if directive == "include":
                args = stmt["args"]
                if len(args) != 1 or "$" in args[0] or len(stack) > MAX_DEPTH:
                    continue
                for included in self.files.include(args[0], source.display, stmt["line"]):
                    if included.key not in stack:
                        yield from self.statements(included.stmts, included, stack + (included.key,))
            elif directive != "#":
                yield stmt, source, stack

    def access_log(self, stmt: Stmt, source: SourceFile) -> AccessLogDef:
        args = stmt["args"]
        target = args[0] if args else "off"
        fmt = args[1] if len(args) > 1 and "=" not in args[1] else "combined"
        return AccessLogDef(target, fmt, source.display, stmt["line"])

    def http(self, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...]) -> None:
        logs: list[AccessLogDef] = []
        servers = []
        for stmt, src, inner in self.statements(stmts, source, stack):
            directive = stmt["directive"]
            if directive == "log_format" and len(stmt["args"]) >= 2:
                self.log_format(stmt, src)
            elif directive == "access_log":
                logs.append(self.access_log(stmt, src))
            elif directive == "server" and "block" in stmt:
                servers.append((stmt, src, inner))
        if logs:
            self.sites.http_access_logs = tuple(logs)
        for stmt, src, inner in servers:
            self.sites.servers.append(self.server(stmt["block"], src, inner, stmt))

    def log_format(self, stmt: Stmt, source: SourceFile) -> None:
        name, *rest = stmt["args"]
        escape = "default"
        if rest and rest[0].startswith("escape="):
            escape = rest[0][len("escape="):]
            rest = rest[1:]
        self.sites.formats.setdefault(name, LogFormatDef(name, "".join(rest), escape, source.display, stmt["line"]))

    def server(self, stmts: list[Stmt], source: SourceFile, stack: tuple[str, ...], server_stmt: Stmt | None
               ) -> ServerDef:
        names: list[str] = []
        listens: list[ListenDef] = []
        logs: list[AccessLogDef] = []
        locations: list[LocationDef] = []
        for stmt, src, inner in self.statements(stmts, source, stack):
            directive = stmt["directive"]
            if directive == "server_name":
                names.extend(stmt["args"])
            elif directive == "listen" and stmt["args"]:
                listens.append(parse_listen(stmt["args"]))
            elif directive == "access_log":
                logs.append(self.access_log(stmt, src))
            elif directive == "location" and "block" in stmt:
                locations.append(self.location(stmt, src, inner, 1))
        if server_stmt is not None and not listens:
            listens.append(ListenDef("*:80", 80, False))  # nginx's default listen
        line = server_stmt["line"] if server_stmt is not None else None
        return ServerDef(tuple(names) or ("",), tuple(listens), source.display, line, tuple(locations),
                         tuple(logs) if logs else None)

    def location(self, stmt: Stmt, source: SourceFile, stack: tuple[str, ...], depth: int) -> LocationDef:
        modifier, pattern = split_location(stmt["args"])
        logs: list[AccessLogDef] = []
        children: list[LocationDef] = []
        fallback = None
        for child, src, inner in self.statements(stmt["block"], source, stack):
            directive = child["directive"]
            args = child["args"]
            if directive == "access_log":
                logs.append(self.access_log(child, src))
            elif directive in ("try_files", "error_page") and args and args[-1].startswith("@"):
                fallback = fallback or args[-1][1:]
            elif directive == "location" and "block" in child and depth < MAX_DEPTH:
                children.append(self.location(child, src, inner, depth + 1))
        return LocationDef(modifier, pattern, source.display, stmt["line"], tuple(children),
                           tuple(logs) if logs else None, fallback)
