"""From a logged request to the deployment's route and app server (the link the queueing model describes).

nginx's choice of server and location (matcher.py) gives a location; the deployment's routes are keyed by the
position of their location block, so the location names the route. A request that reached an upstream although its
location passes nothing on went there through the location's `try_files ... @name` / `error_page ... @name`
fallback. Where the log leaves the server open (no host or port logged), every server that could have taken the
request is tried, and the answer stands when they all lead to the same route; otherwise the request is undecided and
counted as such, never attributed by guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.accesslog.matcher import UNDECIDED, LocationMatcher, ServerSelector, normalize_uri
from advisor.model.nginx_sites import LocationDef, NginxSites, ServerDef

__all__ = ["RouteTarget", "RouteResolver", "UNDECIDED"]

CACHE_LIMIT = 50_000  # distinct (servers, path) pairs kept; bounds the memory on logs of unique paths


@dataclass(frozen=True)
class RouteTarget:
    """A deployment route (by id) and the app servers its links reach, with the address nginx logs for each."""

    route_id: str
    apps: tuple[tuple[str, str], ...]  # (app id, upstream address as $upstream_addr writes it)
    position: tuple[str | None, int | None]  # the location (or server) block of the route


def _server_fields(host: str | None, port: str | None, server_name: str | None
                   ) -> tuple[str | None, int | None, str | None]:
    """(host without a port, port number, server name) from the logged texts; `-` and empty mean not known."""
    if host is not None and not host.endswith("]") and ":" in host:  # $http_host may carry the port
        host = host.rsplit(":", 1)[0]
    number = int(port) if port and port.isdigit() else None
    return (host if host not in ("", "-") else None, number,
            server_name if server_name not in ("", "-") else None)


class RouteResolver:
    def __init__(self, sites: NginxSites | None, targets: list[RouteTarget],
                 servers: list[ServerDef] | None = None) -> None:
        self._by_position: dict[tuple[str | None, int | None], list[RouteTarget]] = {}
        for target in targets:
            self._by_position.setdefault(target.position, []).append(target)
        self._targets = targets
        chosen = servers if servers is not None else (sites.servers if sites is not None else [])
        self._selector = ServerSelector(chosen) if chosen else None
        self._matchers = {id(server): LocationMatcher(server.locations) for server in chosen}
        self._servers: dict[tuple[object, ...], tuple[int, tuple[ServerDef, ...]]] = {}
        self._tokens: dict[tuple[int, ...], int] = {}  # candidate sets by identity: cheap cache keys
        self._cache: dict[tuple[object, ...], RouteTarget | None | object] = {}

    def resolve(self, server_key: tuple[str | None, str | None, str | None], target: str | None
                ) -> RouteTarget | None | object:
        """The route a request that reached an upstream took: a RouteTarget, None (no route of the deployment),
        or UNDECIDED. `server_key`: ($host or $http_host, $server_port, $server_name) as logged (None: not
        logged); `target`: the request target as logged."""
        if self._selector is None:  # a fragment: only a single route can be the one
            return self._targets[0] if len(self._targets) == 1 else UNDECIDED
        chosen = self._servers.get(server_key)
        if chosen is None:
            if len(self._servers) >= CACHE_LIMIT:
                self._servers.clear()
            servers = tuple(self._selector.candidates(*_server_fields(*server_key)))
            token = self._tokens.setdefault(tuple(id(server) for server in servers), len(self._tokens))
            chosen = self._servers[server_key] = (token, servers)
        path = target.partition("?")[0] if target is not None else None
        key = (chosen[0], path)
        found = self._cache.get(key, self)
        if found is not self:
            return found
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()
        found = self._cache[key] = self._resolve(chosen[1], path)
        return found

    def _resolve(self, servers: tuple[ServerDef, ...], target: str | None) -> RouteTarget | None | object:
        uri = normalize_uri(target) if target is not None else None
        if len(servers) == 1 and uri is not None:  # the usual case: one server, one location
            location = self._matchers[id(servers[0])].match(uri)
            return UNDECIDED if location is UNDECIDED else self._route_of(servers[0], location)  # type: ignore
        results: list[RouteTarget | None] = []
        for server in servers:
            if uri is None:
                options = {t.route_id: t for t in self._targets if self._in_server(t, server)}
                if len(options) != 1:
                    return UNDECIDED
                results.extend(options.values())
                continue
            location = self._matchers[id(server)].match(uri)
            if location is UNDECIDED:
                return UNDECIDED
            route = self._route_of(server, location)  # type: ignore[arg-type]
            if route is UNDECIDED:
                return UNDECIDED
            results.append(route)  # type: ignore[arg-type]
        linked = {id(result): result for result in results if result is not None}
        if len(linked) == 1:
            return next(iter(linked.values()))
        return None if not linked else UNDECIDED

    def _route_of(self, server: ServerDef, location: LocationDef | None) -> RouteTarget | None | object:
        position = (location.path, location.line) if location is not None else (server.path, server.line)
        routes = self._by_position.get(position)
        if not routes and location is not None and location.fallback:
            named = self._matchers[id(server)].named.get(location.fallback)
            if named is not None:
                routes = self._by_position.get((named.path, named.line))
        if not routes:
            return None
        return routes[0] if len({route.route_id for route in routes}) == 1 else UNDECIDED  # passes under `if`

    def _in_server(self, target: RouteTarget, server: ServerDef) -> bool:
        positions = {(server.path, server.line)}
        stack = list(server.locations)
        while stack:
            location = stack.pop()
            positions.add((location.path, location.line))
            stack.extend(location.children)
        return target.position in positions
