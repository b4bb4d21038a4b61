"""Hand-built deployment objects for engine unit tests (independent of the loaders)."""

from __future__ import annotations

from typing import Any

from advisor.model.addresses import Address
from advisor.model.deployment import (
    AppServer, Deployment, Diagnostic, HostFacts, Link, NginxConfig, Route, RouteLinkDiagnosis, Target, Upstream,
    UpstreamServer,
)
from advisor.model.provenance import Setting, Source
from advisor.model.suppressions import Suppression

NGINX_PATH = "deploy/nginx.conf"
APP_PATH = "deploy/gunicorn.conf.py"

GUNICORN_DEFAULTS: dict[str, Any] = {
    "workers": 1, "worker_class": "sync", "threads": 1, "worker_connections": 1000, "backlog": 2048,
    "timeout": 30, "graceful_timeout": 30, "keepalive": 2, "max_requests": 0, "max_requests_jitter": 0,
}
ROUTE_DEFAULTS: dict[str, Any] = {
    "proxy_read_timeout": 60.0, "proxy_connect_timeout": 60.0, "proxy_send_timeout": 60.0,
    "proxy_http_version": "1.1", "proxy_buffering": True, "proxy_request_buffering": True,
}


def at(line: int, path: str = NGINX_PATH, column: int = 5) -> Source:
    return Source.file(path, line, column)


def default(owner: str) -> Source:
    return Source.default(owner)


def app_server(set_in_file: dict[str, tuple[Any, int]] | None = None, binds: list[Address] | None = None,
               bind_line: int | None = 1, path: str = APP_PATH) -> AppServer:
    """A gunicorn app: `set_in_file` maps setting -> (value, line); everything else is the gunicorn default."""
    set_in_file = set_in_file or {}
    settings: dict[str, Setting] = {}
    for name, value in GUNICORN_DEFAULTS.items():
        settings[name] = Setting(value, default("gunicorn 27.0.1 default"))
    for name, (value, line) in set_in_file.items():
        settings[name] = Setting(value, Source.file(path, line, 1), f"{value!r}")
    bind_list = binds or [Address("tcp", host="127.0.0.1", port=8000)]
    bind_source = Source.file(path, bind_line, 1) if bind_line else default("gunicorn 27.0.1 default")
    settings["bind"] = Setting(bind_list, bind_source)
    return AppServer(id=path, kind="gunicorn", source=Source.file(path, None), settings=settings)


def route(set_in_file: dict[str, tuple[Any, int]] | None = None, target: Address | None = None,
          upstream: Upstream | None = None, block_line: int = 10, pass_line: int = 11, location: str = "/",
          headers: dict[str, tuple[str, int]] | None = None, kind: str = "proxy") -> Route:
    settings: dict[str, Setting] = {name: Setting(value, default("nginx 1.30.0 default"))
                                    for name, value in ROUTE_DEFAULTS.items()}
    for name, (value, line) in (set_in_file or {}).items():
        settings[name] = Setting(value, at(line), str(value))
    if upstream is not None:
        addresses = [server.address for server in upstream.servers]
        raw = upstream.name
    else:
        address = target or Address("tcp", host="127.0.0.1", port=8000)
        addresses = [Setting(address, at(pass_line, column=9), str(address))]
        raw = str(address)
    header_settings = {name: Setting(value, at(line)) for name, (value, line) in (headers or {}).items()}
    return Route(id=f"nginx.conf:{block_line} location {location}", kind=kind, server_names=["example.com"],
                 listens=[], location=location, source=at(block_line), pass_directive=Setting(raw, at(pass_line)),
                 target=Target(raw, "http", upstream, addresses), settings=settings, headers=header_settings)


def upstream_block(name: str = "app", servers: list[tuple[Address, int]] | None = None, line: int = 3,
                   keepalive: tuple[int, int | None] = (32, None)) -> Upstream:
    servers = servers or [(Address("tcp", host="127.0.0.1", port=8000), line + 1)]
    value, keepalive_line = keepalive
    keepalive_source = at(keepalive_line) if keepalive_line else default("nginx 1.30.0 default (keepalive 32 local)")
    return Upstream(name=name, source=at(line), servers=[
        UpstreamServer(Setting(address, at(server_line, column=12), str(address)), {}, at(server_line))
        for address, server_line in servers],
        settings={"keepalive": Setting(value, keepalive_source),
                  "keepalive_timeout": Setting(60.0, default("nginx 1.30.0 default"))})


def deployment(routes: list[Route] | None = None, apps: list[AppServer] | None = None, link: bool = True,
               diagnoses: dict[str, RouteLinkDiagnosis] | None = None, diagnostics: list[Diagnostic] | None = None,
               suppressions: list[Suppression] | None = None, host: HostFacts | None = None) -> Deployment:
    routes = routes if routes is not None else []
    apps = apps if apps is not None else []
    links: list[Link] = []
    route_diagnoses = dict(diagnoses or {})
    if link:
        for each_route in routes:
            for app in apps:
                links.append(Link(each_route, app, each_route.target.addresses[0], app.binds[0]))
                route_diagnoses.setdefault(each_route.id, RouteLinkDiagnosis(
                    "linked", each_route.target.addresses[0], app.settings["bind"]))
    nginx = NginxConfig(root=NGINX_PATH, files=[NGINX_PATH], settings={}, version="1.30.0") if routes else None
    upstreams = {each.target.upstream.name: each.target.upstream for each in routes if each.target.upstream}
    return Deployment(host=host or HostFacts.build(), nginx=nginx, upstreams=upstreams, routes=routes, apps=apps,
                      links=links, diagnostics=diagnostics or [], suppressions=suppressions or [],
                      route_diagnoses=route_diagnoses)
