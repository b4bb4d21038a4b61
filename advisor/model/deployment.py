"""The deployment model: one typed object graph that rules, the queueing model and `show` read.

Loaders fill it; nothing downstream re-parses a file. Every configurable value is a `Setting` (value + provenance).
Settings are kept in dicts keyed by the directive/setting name as the user writes it (`proxy_read_timeout`,
`timeout`), with values already converted (durations in seconds as float, sizes in bytes, flags as bool).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from advisor.model.addresses import Address
from advisor.model.nginx_sites import NginxSites
from advisor.model.provenance import Setting, Source, jsonable
from advisor.model.severity import Severity
from advisor.model.suppressions import Suppression


@dataclass(frozen=True, slots=True)
class Version:
    """A version number: major.minor.patch."""

    major: int
    minor: int
    patch: int = 0

    @classmethod
    def parse(cls, text: str) -> "Version":
        parts = text.strip().lstrip("v").split(".")
        if not 1 <= len(parts) <= 3 or not all(part.isdigit() for part in parts):
            raise ValueError(f"invalid version {text!r} (expected e.g. 1.29.7)")
        numbers = [int(part) for part in parts] + [0] * (3 - len(parts))
        return cls(*numbers)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def as_tuple(self) -> tuple[int, int, int]:
        return (self.major, self.minor, self.patch)

    def __lt__(self, other: "Version") -> bool:
        return self.as_tuple() < other.as_tuple()

    def __le__(self, other: "Version") -> bool:
        return self.as_tuple() <= other.as_tuple()


DEFAULT_NGINX_VERSION = Version(1, 30, 0)  # newest stable line; carries the 1.29.7 keep-alive defaults
DEFAULT_GUNICORN_VERSION = Version(27, 0, 1)
DEFAULT_SOMAXCONN = 4096  # Linux >= 5.4
SOMAXCONN_DEFAULT = "Linux >= 5.4 net.core.somaxconn"
CPUS_UNKNOWN = "the CPU count is not known; pass --cpus N"


@dataclass(slots=True)
class HostFacts:
    """What cannot be read from the config files (CPU count, somaxconn, versions, environment for `os.environ`
    lookups), each with its provenance: built from command-line options (`--cpus`, `--somaxconn`, versions,
    `--env`) or the project config's `[host]` table (`build`), layered (`over`), and completed by inferred values
    (versions pinned in requirements or image tags: advisor/loaders/versions.py)."""

    cpus: Setting = field(default_factory=lambda: Setting.unknown(CPUS_UNKNOWN))
    somaxconn: Setting = field(default_factory=lambda: Setting(DEFAULT_SOMAXCONN, Source.default(SOMAXCONN_DEFAULT)))
    nginx_version: Version = DEFAULT_NGINX_VERSION
    gunicorn_version: Version = DEFAULT_GUNICORN_VERSION
    env: dict[str, str] = field(default_factory=dict)
    # Where an env value came from when not `--env` (e.g. a compose `environment:` line); default: `--env K=V`.
    env_sources: dict[str, Source] = field(default_factory=dict)
    # "nginx_version" / "gunicorn_version" -> where it came from (`--nginx-version`, a pinned requirement, an image
    # tag); absent: the default applies.
    version_sources: dict[str, Source] = field(default_factory=dict)

    @classmethod
    def build(cls, cpus: int | None = None, somaxconn: int | None = None, nginx_version: str | None = None,
              gunicorn_version: str | None = None, env: dict[str, str] | None = None, *,
              given_in: Source | None = None) -> "HostFacts":
        """Facts from given values (None: not given). `given_in`: where all of them were given (the project
        config); by default each one's command-line option. ValueError for a version that does not parse."""

        def source(option: str, value: Any) -> Source:
            return given_in if given_in is not None else Source.option(f"{option} {value}")

        version_sources = {}
        if nginx_version:
            version_sources["nginx_version"] = source("--nginx-version", nginx_version)
        if gunicorn_version:
            version_sources["gunicorn_version"] = source("--gunicorn-version", gunicorn_version)
        facts = cls(
            nginx_version=Version.parse(nginx_version) if nginx_version else DEFAULT_NGINX_VERSION,
            gunicorn_version=Version.parse(gunicorn_version) if gunicorn_version else DEFAULT_GUNICORN_VERSION,
            env=dict(env or {}),
            env_sources={key: given_in for key in env or {}} if given_in is not None else {},
            version_sources=version_sources,
        )
        if cpus is not None:
            facts.cpus = Setting(cpus, source("--cpus", cpus))
        if somaxconn is not None:
            facts.somaxconn = Setting(somaxconn, source("--somaxconn", somaxconn))
        return facts

    def over(self, fallback: "HostFacts") -> "HostFacts":
        """These facts, with `fallback`'s (the project config's) where these were not given; env merged, ours win."""
        versions = {name: self if name in self.version_sources else fallback
                    for name in ("nginx_version", "gunicorn_version")}
        return HostFacts(
            cpus=self.cpus if self.cpus.explicit else fallback.cpus,
            somaxconn=self.somaxconn if self.somaxconn.explicit else fallback.somaxconn,
            nginx_version=versions["nginx_version"].nginx_version,
            gunicorn_version=versions["gunicorn_version"].gunicorn_version,
            env={**fallback.env, **self.env},
            env_sources={**{key: where for key, where in fallback.env_sources.items() if key not in self.env},
                         **self.env_sources},
            version_sources={name: owner.version_sources[name] for name, owner in versions.items()
                             if name in owner.version_sources},
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "cpus": self.cpus.to_dict(),
            "somaxconn": self.somaxconn.to_dict(),
            "nginx_version": str(self.nginx_version),
            "gunicorn_version": str(self.gunicorn_version),
            "env": dict(self.env),
            "version_sources": {name: source.to_dict() for name, source in self.version_sources.items()},
        }


@dataclass(slots=True)
class Diagnostic:
    """A problem found while loading (parse error, missing include, unresolvable value worth telling).

    Loaders produce these; the engine turns them into findings with the given code (ADV### meta rules).
    """

    code: str
    severity: Severity
    message: str
    path: str | None
    line: int | None = None
    column: int | None = None
    fix: str | None = None
    # The other places the same problem was seen (identical diagnostics are reported once, see consolidate_diagnostics).
    related: tuple[DiagnosticPlace, ...] = ()
    # Set when the problem is an input that is not here (an include, env_file, config file): the path as written.
    # Such a diagnostic is reported once per missing file and never above info (see advisor/model/diagnostics.py).
    missing: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = {key: getattr(self, key) for key in ("code", "severity", "message", "path", "line", "column", "fix")}
        if self.related:
            data["related"] = [place.to_dict() for place in self.related]
        if self.missing is not None:
            data["missing"] = self.missing
        return data


@dataclass(frozen=True, slots=True)
class DiagnosticPlace:
    """Another place a diagnostic applies to (e.g. a second file that includes the same missing file)."""

    path: str
    line: int | None = None
    column: int | None = None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "column": self.column, "message": self.message}


@dataclass(slots=True)
class UpstreamServer:
    """One `server` line of an `upstream {}` block."""

    address: Setting  # value: Address (unknown for templates like `server ${BACKEND};`)
    params: dict[str, Setting]  # weight, max_fails, fail_timeout (s), max_conns, backup, down, resolve
    source: Source

    def to_dict(self) -> dict[str, Any]:
        return {"address": self.address.to_dict(), "params": {k: v.to_dict() for k, v in self.params.items()},
                "source": self.source.to_dict()}


@dataclass(slots=True)
class Upstream:
    """An `upstream NAME {}` block; `settings` holds keepalive, keepalive_timeout (s), keepalive_requests,
    keepalive_time (s), zone, with version-dependent defaults filled in."""

    name: str
    source: Source
    servers: list[UpstreamServer]
    settings: dict[str, Setting]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source.to_dict(),
                "servers": [server.to_dict() for server in self.servers],
                "settings": {k: v.to_dict() for k, v in self.settings.items()}}


@dataclass(slots=True)
class Target:
    """Where a route sends requests: an explicit upstream group, or literal addresses (implicit upstream)."""

    raw: str  # as written after the scheme, e.g. "app_server", "127.0.0.1:8001", "unix:/run/app.sock"
    scheme: str | None  # http, https, grpc, uwsgi... (None for uwsgi_pass/fastcgi_pass without scheme)
    upstream: Upstream | None
    addresses: list[Setting]  # value: Address; for an upstream group: one per server; unknown when variable-based

    def to_dict(self) -> dict[str, Any]:
        return {"raw": self.raw, "scheme": self.scheme, "upstream": self.upstream.name if self.upstream else None,
                "addresses": [address.to_dict() for address in self.addresses]}


@dataclass(slots=True)
class Route:
    """A `location` (or `server`) that passes requests to a backend.

    `settings` holds the *effective* value of every proxy_* / buffering / timeout directive after inheritance
    http -> server -> location, with nginx defaults for the configured version. `headers` holds the effective
    proxy_set_header set (all-or-nothing inheritance, as nginx does).
    """

    id: str  # stable, human readable: "nginx.conf:24 location /api/"
    kind: Literal["proxy", "uwsgi", "fastcgi", "scgi", "grpc", "memcached"]
    server_names: list[str]
    listens: list[Setting]  # raw listen arguments (value: str) with their positions
    location: str | None  # "/api/", "~ ^/x", or None for a pass directly at server level
    source: Source  # the location (or server) block
    pass_directive: Setting  # the proxy_pass/uwsgi_pass directive, value: the raw argument
    target: Target
    settings: dict[str, Setting]
    headers: dict[str, Setting]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "server_names": self.server_names,
                "listens": [listen.to_dict() for listen in self.listens], "location": self.location,
                "source": self.source.to_dict(), "pass": self.pass_directive.to_dict(),
                "target": self.target.to_dict(),
                "settings": {k: v.to_dict() for k, v in self.settings.items()},
                "headers": {k: v.to_dict() for k, v in self.headers.items()}}


@dataclass(slots=True)
class NginxConfig:
    """Main/events-level facts and the files that were read."""

    root: str
    files: list[str]
    settings: dict[str, Setting]  # worker_processes (int or "auto" resolved with --cpus), worker_connections,
    #                               worker_rlimit_nofile, user, plus http-level keepalive_timeout etc.
    version: str
    sites: NginxSites | None = None  # servers, locations and log formats (advisor/model/nginx_sites.py)

    def to_dict(self) -> dict[str, Any]:
        return {"root": self.root, "files": self.files, "version": self.version,
                "settings": {k: v.to_dict() for k, v in self.settings.items()}}


@dataclass(slots=True)
class UnknownSetting:
    """A name assigned in an app config that is not a setting of that server (e.g. `tiemout = 60`)."""

    name: str
    source: Source
    suggestion: str | None  # the closest real setting name, for "did you mean"


@dataclass(frozen=True, slots=True)
class Listener:
    """One socket an app server binds, with the protocol it speaks there (uWSGI: a bind per socket option).

    protocol: "http" (HTTP/1.x), "uwsgi" (the binary uwsgi protocol nginx's uwsgi_pass speaks), "http-router" (an
    HTTP router process that forwards to the workers), "fastcgi", "scgi", "https", "suwsgi", ... `option` is the
    option as written (`socket`, `http-socket`); `source` where that socket is configured.
    """

    address: Address
    protocol: str
    option: str
    source: Source

    def to_dict(self) -> dict[str, Any]:
        return {"address": str(self.address), "protocol": self.protocol, "option": self.option,
                "source": self.source.to_dict()}


@dataclass(slots=True)
class AppServer:
    """One app server process group (gunicorn master + workers, uvicorn, or uWSGI master + workers).

    `settings` is keyed by the server's own setting names (gunicorn: bind, workers, worker_class, threads,
    worker_connections, backlog, timeout, graceful_timeout, keepalive, max_requests, max_requests_jitter,
    preload_app, worker_tmp_dir, limit_request_line, protocol, ...; uWSGI: its option names with `_` for `-`,
    processes, threads, listen, harakiri, harakiri_graceful_timeout, buffer_size, max_requests, ..., plus
    `workers` = processes). Every known setting is present, with the server's default where the config does not
    set it. `bind` holds a list of Address values.
    """

    id: str  # "gunicorn.conf.py" or "docker-compose.yml:web"
    kind: Literal["gunicorn", "uvicorn", "uwsgi"]
    source: Source  # the config file (line None) or the command line that starts it
    settings: dict[str, Setting]
    unknown_settings: list[UnknownSetting] = field(default_factory=list)
    service_name: str | None = None  # docker-compose service (host name other containers reach it by)
    # uWSGI: every socket with its protocol and line (`bind` lists the same addresses); empty for gunicorn and
    # uvicorn, whose binds all speak `protocol` (gunicorn) or HTTP (uvicorn).
    listeners: list[Listener] = field(default_factory=list)

    def protocol_of(self, address: Address) -> str | None:
        """The protocol spoken at `address`: the listener's for uWSGI, else None (see `settings["protocol"]`)."""
        return next((listener.protocol for listener in self.listeners if listener.address == address), None)

    @property
    def binds(self) -> list[Address]:
        setting = self.settings.get("bind")
        if setting is None or not setting.known or setting.value is None:
            return []
        return [address for address in setting.value if isinstance(address, Address)]

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, "kind": self.kind, "source": self.source.to_dict(),
                "service_name": self.service_name,
                "settings": {k: v.to_dict() for k, v in sorted(self.settings.items())},
                "unknown_settings": [{"name": u.name, "source": u.source.to_dict(), "suggestion": u.suggestion}
                                     for u in self.unknown_settings]}
        if self.listeners:
            data["listeners"] = [listener.to_dict() for listener in self.listeners]
        return data


@dataclass(slots=True)
class Link:
    """A route reaching an app server: `address` (a target address of the route) matched `bind`."""

    route: Route
    app: AppServer
    address: Setting  # the route target address that matched (value: Address), with its position
    bind: Address
    upstream_server: UpstreamServer | None = None
    match: str = "exact"  # "exact", "wildcard" (0.0.0.0/:: bind), "service-name", "unix"

    def to_dict(self) -> dict[str, Any]:
        return {"route": self.route.id, "app": self.app.id, "address": self.address.to_dict(),
                "bind": str(self.bind), "match": self.match}


@dataclass(slots=True)
class RouteLinkDiagnosis:
    """Why a route is or is not linked to an app server (derived by the linker, read by addressing rules).

    status: "linked", "no-app-config" (no app config was given), "unknown-target" (templated/variable target),
    "port-mismatch", "host-mismatch" (loopback bind reached from another host), "unix-path-mismatch",
    "socket-kind-mismatch" (unix vs TCP), "dualstack-localhost", "not-http" (uwsgi_pass/fastcgi_pass).
    """

    status: str
    target: Setting | None  # the offending target address (value: Address)
    closest_bind: Setting | None  # the app bind it was compared with (value: Address), with its position
    detail: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "target": self.target.to_dict() if self.target else None,
                "closest_bind": self.closest_bind.to_dict() if self.closest_bind else None, "detail": self.detail}


@dataclass(slots=True)
class Deployment:
    """The whole deployment: host facts, nginx, upstreams, routes, app servers and the links between them."""

    host: HostFacts
    nginx: NginxConfig | None
    upstreams: dict[str, Upstream]
    routes: list[Route]
    apps: list[AppServer]
    links: list[Link]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    route_diagnoses: dict[str, "RouteLinkDiagnosis"] = field(default_factory=dict)  # by Route.id
    # links per app server (by id), counted once for the current links list (see links_to_app)
    _app_link_counts: tuple[list[Link], int, dict[int, int]] | None = field(default=None, init=False, repr=False,
                                                                          compare=False)

    def links_for_route(self, route: Route) -> list[Link]:
        return [link for link in self.links if link.route is route]

    def links_for_app(self, app: AppServer) -> list[Link]:
        return [link for link in self.links if link.app is app]

    def links_to_app(self, app: AppServer) -> int:
        """len(links_for_app(app)), counted once for all app servers (a run asks it for each of thousands of
        links)."""
        cached = self._app_link_counts
        if cached is None or cached[0] is not self.links or cached[1] != len(self.links):
            counts: dict[int, int] = {}
            for link in self.links:
                counts[id(link.app)] = counts.get(id(link.app), 0) + 1
            cached = self._app_link_counts = (self.links, len(self.links), counts)
        return cached[2].get(id(app), 0)

    @property
    def unlinked_routes(self) -> list[Route]:
        linked = {id(link.route) for link in self.links}
        return [route for route in self.routes if id(route) not in linked]

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host.to_dict(),
            "nginx": self.nginx.to_dict() if self.nginx else None,
            "upstreams": {name: upstream.to_dict() for name, upstream in self.upstreams.items()},
            "routes": [route.to_dict() for route in self.routes],
            "apps": [app.to_dict() for app in self.apps],
            "links": [link.to_dict() for link in self.links],
            "unlinked_routes": [route.id for route in self.unlinked_routes],
            "route_diagnoses": {key: value.to_dict() for key, value in self.route_diagnoses.items()},
            "diagnostics": [diagnostic.to_dict() for diagnostic in self.diagnostics],
        }


__all__ = [
    "AppServer", "Deployment", "Diagnostic", "DiagnosticPlace", "HostFacts", "Link", "Listener", "NginxConfig",
    "Route", "RouteLinkDiagnosis",
    "Setting", "Source", "Suppression",
    "Target", "UnknownSetting", "Upstream", "UpstreamServer", "Version", "jsonable",
]
