"""Which server and location nginx chooses for a request, following nginx's own rules.

Server: among the servers listening on the request's port, the first with the exact name, then the longest
leading wildcard (`*.example.com`, `.example.com`), the longest trailing wildcard (`www.example.*`), the first
matching regex name (`~^...`), else the port's `default_server` (or its first server).

Location (ngx_http_core_find_location): an exact `= /path` match ends the search; otherwise the longest matching
prefix is remembered and its nested locations are searched the same way; unless that prefix is `^~`, the regex
locations (`~`, `~*`) are then tried in the order they appear and the first match wins (its nested locations are
searched too); without one the remembered prefix is used. Named locations (`@name`) are never matched by path.

What cannot be decided is said, not guessed: a regex Python cannot compile makes every request that reaches it
`UNDECIDED`; without the port or host every server that could have taken the request is a candidate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from advisor.model.nginx_sites import LocationDef, ServerDef

__all__ = ["LocationMatcher", "ServerSelector", "UNDECIDED", "normalize_uri", "request_path"]


class _Undecided:
    def __repr__(self) -> str:
        return "UNDECIDED"


UNDECIDED = _Undecided()
_NAMED_GROUP = re.compile(r"\(\?<(?=[A-Za-z_])|\(\?'(\w+)'")


def _compile_regex(pattern: str, caseless: bool) -> re.Pattern[str] | None:
    """A PCRE location/server-name regex as a Python pattern (named groups rewritten); None if it does not
    compile."""
    text = _NAMED_GROUP.sub(lambda m: f"(?P<{m.group(1)}>" if m.group(1) else "(?P<", pattern)
    try:
        return re.compile(text, re.IGNORECASE if caseless else 0)
    except (re.error, OverflowError):
        return None


def request_path(request: str) -> str | None:
    """The path of `$request` ("GET /a?b HTTP/1.1"), of an absolute-form target too; None when there is none."""
    parts = request.split(" ")
    target = parts[1] if len(parts) >= 2 else ""
    if target.startswith(("http://", "https://")):
        slash = target.find("/", target.find("//") + 2)
        target = target[slash:] if slash >= 0 else "/"
    return target if target.startswith("/") else None


def normalize_uri(target: str) -> str:
    """The URI nginx matches locations against: no query, percent-decoded, slashes merged, dot segments
    resolved."""
    path = target.split("?", 1)[0]
    if "%" in path:
        path = unquote(path, errors="replace")
    if "//" in path:
        path = re.sub(r"/{2,}", "/", path)
    if "/." in path:
        out: list[str] = []
        for segment in path.split("/")[1:]:
            if segment == "..":
                if out:
                    out.pop()
            elif segment != ".":
                out.append(segment)
        path = "/" + "/".join(out) + ("/" if path.endswith(("/.", "/..")) and out else "")
    return path


@dataclass
class _Level:
    """The locations of one block (a server or a location with nested ones), indexed for matching."""

    exact: dict[str, LocationDef] = field(default_factory=dict)
    prefixes: list[tuple[str, LocationDef]] = field(default_factory=list)  # longest first
    regexes: list[tuple[re.Pattern[str] | None, LocationDef]] = field(default_factory=list)  # config order
    nested: dict[int, _Level] = field(default_factory=dict)  # id(location) -> its nested level


def _level(locations: tuple[LocationDef, ...]) -> _Level:
    level = _Level()
    for location in locations:
        modifier = location.modifier
        if modifier == "=":
            level.exact.setdefault(location.pattern, location)
        elif modifier in ("", "^~"):
            level.prefixes.append((location.pattern, location))
        elif modifier in ("~", "~*"):
            level.regexes.append((_compile_regex(location.pattern, modifier == "~*"), location))
        if location.children:
            level.nested[id(location)] = _level(location.children)
    level.prefixes.sort(key=lambda item: len(item[0]), reverse=True)
    return level


class LocationMatcher:
    """The location of one server that nginx picks for a URI (None when no location matches)."""

    def __init__(self, locations: tuple[LocationDef, ...]) -> None:
        self._root = _level(locations)
        self.named = {location.pattern: location for location in locations if location.modifier == "@"}

    def match(self, uri: str) -> LocationDef | None | _Undecided:
        found, _ = self._find(self._root, uri)
        return found

    def _find(self, level: _Level, uri: str) -> tuple[LocationDef | None | _Undecided, bool]:
        """(location, final): final when an exact or a regex location matched (the search stops there)."""
        exact = level.exact.get(uri)
        if exact is not None:
            return exact, True
        best: LocationDef | None | _Undecided = None
        noregex = False
        for prefix, location in level.prefixes:
            if uri.startswith(prefix):
                best, noregex = location, location.modifier == "^~"
                nested = level.nested.get(id(location))
                if nested is not None:
                    inner, final = self._find(nested, uri)
                    if final or inner is UNDECIDED:
                        return inner, True
                    if inner is not None:
                        best = inner
                break
        if not noregex:
            for pattern, location in level.regexes:
                if pattern is None:
                    return UNDECIDED, True
                if pattern.search(uri):
                    nested = level.nested.get(id(location))
                    if nested is not None:
                        inner, _ = self._find(nested, uri)
                        if inner is not None:
                            return inner, True
                    return location, True
        return best, False


def _server_names(server: ServerDef) -> tuple[list[str], list[str], list[str], list[re.Pattern[str] | None]]:
    exact, leading, trailing, regexes = [], [], [], []
    for name in server.names:
        lowered = name.lower()
        if lowered.startswith("~"):
            regexes.append(_compile_regex(name[1:], caseless=True))
        elif lowered.startswith("*."):
            leading.append(lowered[1:])  # ".example.com": matches sub.example.com
        elif lowered.startswith("."):
            exact.append(lowered[1:])  # ".example.com" is example.com and *.example.com
            leading.append(lowered)
        elif lowered.endswith(".*"):
            trailing.append(lowered[:-1])
        else:
            exact.append(lowered)
    return exact, leading, trailing, regexes


class ServerSelector:
    """The servers that may have taken a request, from what the log tells of it (host, port, $server_name)."""

    def __init__(self, servers: list[ServerDef]) -> None:
        self.servers = servers
        self._names = [_server_names(server) for server in servers]
        self._ports: dict[int, list[int]] = {}  # port -> indexes of the servers listening on it, config order
        self._anywhere: list[int] = []  # servers on a unix socket or an unknown port
        for index, server in enumerate(servers):
            ports = {listen.port for listen in server.listens}
            for port in ports:
                if port is None:
                    self._anywhere.append(index)
                else:
                    self._ports.setdefault(port, []).append(index)

    def candidates(self, host: str | None, port: int | None, server_name: str | None = None) -> list[ServerDef]:
        if server_name:
            named = [server for server in self.servers if server.names and server.names[0] == server_name]
            if port is not None:
                on_port = [server for server in named
                           if any(listen.port in (port, None) for listen in server.listens)]
                named = on_port or named
            if named:
                return named
        ports = [port] if port is not None and port in self._ports else list(self._ports)
        chosen: list[int] = []
        for each in ports:
            group = self._ports[each] + [index for index in self._anywhere if index not in self._ports[each]]
            picked = self._by_name(group, host, each) if host is not None else group
            chosen.extend(index for index in picked if index not in chosen)
        if not ports:
            chosen = list(self._anywhere)
        return [self.servers[index] for index in chosen]

    def _by_name(self, group: list[int], host: str, port: int) -> list[int]:
        host = host.lower().rstrip(".")
        for index in group:
            if host in self._names[index][0]:
                return [index]
        best, length = None, -1
        for index in group:
            for suffix in self._names[index][1]:
                if host.endswith(suffix) and len(suffix) > length:
                    best, length = index, len(suffix)
        if best is not None:
            return [best]
        for index in group:
            for prefix in self._names[index][2]:
                if host.startswith(prefix) and len(prefix) > length:
                    best, length = index, len(prefix)
        if best is not None:
            return [best]
        for index in group:
            for pattern in self._names[index][3]:
                if pattern is None:
                    return group  # a name nginx may match that Python cannot read: any server could be the one
                if pattern.search(host):
                    return [index]
        for index in group:
            if any(listen.port == port and listen.default_server for listen in self.servers[index].listens):
                return [index]
        return group[:1]
