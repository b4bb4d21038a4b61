"""Fact namespaces per scope, built once per run from a Deployment (an index; no rule walks the model).

A scope instance is one thing a rule is evaluated for: a route, an upstream, an app server, a link (route → app),
the whole deployment, or one loader diagnostic. Its `names` map namespace names (`route`, `app`, ...) to
`Namespace` objects whose attributes are fact values; every fact is a `Setting`, so its source gives the finding's
location. Namespaces are shared: a link reuses its route's and app's namespace objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from advisor.engine import derived
from advisor.engine.expressions import FactUnavailable
from advisor.loaders.gunicorn.worker_names import means_worker_count
from advisor.model.deployment import (
    AppServer, Deployment, Diagnostic, Link, Route, Setting, Source, UnknownSetting, Upstream,
)


class Namespace:
    """Attribute access to fact values; unknown or absent facts raise FactUnavailable."""

    __slots__ = ("_name", "_facts", "_owner", "_absent_reason", "_label", "_base", "_lazy")

    def __init__(self, name: str, facts: dict[str, Setting], owner: Source | None, label: str,
                 absent_reason: str | None = None, *, base: dict[str, Setting] | None = None,
                 lazy: dict[str, Callable[[], Setting | None]] | None = None) -> None:
        """`facts` wins over `lazy` (derived facts computed on first use: most rules never read them for most
        locations) and `base` (a model dict read in place, e.g. Route.settings, never copied)."""
        self._name = name
        self._facts = facts
        self._owner = owner
        self._label = label
        self._absent_reason = absent_reason
        self._base = base
        self._lazy = lazy

    @property
    def owner_source(self) -> Source | None:
        """The object's own location: fallback for facts that have no position (defaults)."""
        return self._owner

    def setting_of(self, attr: str) -> Setting | None:
        setting = self._facts.get(attr)
        if setting is not None:
            return setting
        if self._lazy is not None and attr in self._lazy:
            setting = self._lazy.pop(attr)()
            if setting is not None:
                self._facts[attr] = setting
            return setting
        return self._base.get(attr) if self._base is not None else None

    def require(self, attr: str) -> Setting:
        setting = self.setting_of(attr)
        if setting is None:
            reason = self._absent_reason or f"{self._label} has no {attr!r} in the model"
            raise FactUnavailable(f"{self._name}.{attr}", reason, "absent")
        if not setting.known:
            raise FactUnavailable(f"{self._name}.{attr}", setting.source.detail or "unknown", "unknown")
        return setting

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return self.require(attr).value

    def __repr__(self) -> str:
        return f"<facts {self._name} of {self._label}>"


@dataclass(slots=True)
class ScopeInstance:
    scope: str
    id: str
    names: dict[str, Namespace]
    anchor: Source | None  # where a finding points when its `at` fact has no position
    diagnostic: Diagnostic | None = None


def _assumed_default(source: Source) -> bool:
    """A server default nobody asked for: no config line, no command line, no `--env` value behind it."""
    def user_given(item: Source) -> bool:
        return item.kind in ("file", "option") or any(user_given(inner) for inner in item.inputs)

    return source.kind == "default" and not user_given(source)


def _fact(value: Any, formula: str, *inputs: Source) -> Setting:
    return Setting(value, Source.derived(formula, *inputs))


def _target_kind(route: Route, pass_source: Source) -> Setting:
    """`unix`, `tcp` or `mixed`; unknown unless every target address is known (one templated `server` line of an
    upstream could be the other kind)."""
    addresses = route.target.addresses
    if not addresses or not all(address.known and hasattr(address.value, "kind") for address in addresses):
        return Setting.unknown("the route's target addresses are not known")
    kinds = {address.value.kind for address in addresses}
    return _fact(kinds.pop() if len(kinds) == 1 else "mixed", "target address kinds", pass_source)


def _bind_protocol(link: Link, bind_source: Source) -> Setting:
    """What the app speaks at the linked bind: a uWSGI socket's own protocol (`socket` uwsgi, `http-socket` http,
    `http` http-router ...), gunicorn's `protocol`, HTTP for uvicorn."""
    app = link.app
    listener = next((item for item in app.listeners if item.address == link.bind), None)
    if listener is not None:
        return Setting(listener.protocol, listener.source, listener.option)
    if app.kind == "gunicorn":
        return app.settings.get("protocol") or Setting.unknown("gunicorn's protocol is not in the model")
    if app.kind == "uwsgi":
        return Setting.unknown("the uWSGI socket and its protocol are not known", bind_source.path, bind_source.line)
    return Setting("http", Source.derived(f"{app.kind} speaks HTTP", bind_source))


# What a pass module sends and what an app protocol understands, by family.
_PASS_FAMILIES = {"proxy": "http", "uwsgi": "uwsgi", "fastcgi": "fastcgi", "scgi": "scgi"}
_PROTOCOL_FAMILIES = {"http": "http", "http11": "http", "https": "http", "http-router": "http",
                      "https-router": "http", "uwsgi": "uwsgi", "suwsgi": "uwsgi", "puwsgi": "uwsgi",
                      "fastcgi": "fastcgi", "fastcgi-nph": "fastcgi", "scgi": "scgi", "scgi-nph": "scgi"}


def _protocol_ok(route: Route, protocol: Setting) -> Setting:
    """Whether the route's pass module speaks the protocol of the linked bind (unknown for grpc_pass,
    memcached_pass and protocols advisor does not classify, such as uWSGI's raw sockets)."""
    if not protocol.known:
        return protocol
    sends = _PASS_FAMILIES.get(route.kind)
    understands = _PROTOCOL_FAMILIES.get(str(protocol.value))
    if sends is None or understands is None:
        return Setting.unknown(f"{route.kind}_pass to a {protocol.value} socket is not classified")
    return _fact(sends == understands, f"{route.kind}_pass speaks {sends}, the bind {understands}",
                 route.pass_directive.source, protocol.source)


class FactIndex:
    """All scope instances of a deployment; each scope list is built on first use and then cached."""

    def __init__(self, deployment: Deployment, workload: Any = None) -> None:
        """`workload`: an advisor.engine.workload_facts.Workload (--rps/--service-time) or None."""
        self.deployment = deployment
        self.workload = workload
        self._host = self._host_namespace()
        self._nginx = self._nginx_namespace()
        self._upstreams: dict[int, Namespace] = {}
        self._routes: dict[int, tuple[Namespace, Namespace]] = {}
        self._apps: dict[int, Namespace] = {}
        self._cache: dict[str, list[ScopeInstance]] = {}
        self._diagnostics_by_code: dict[str, list[ScopeInstance]] | None = None

    def diagnostics(self, code: str) -> list[ScopeInstance]:
        """The diagnostic-scope instances for one code (meta rules match loader diagnostics by code)."""
        if self._diagnostics_by_code is None:
            self._diagnostics_by_code = {}
            for instance in self.instances("diagnostic"):
                if instance.diagnostic is not None:
                    self._diagnostics_by_code.setdefault(instance.diagnostic.code, []).append(instance)
        return self._diagnostics_by_code.get(code, [])

    def instances(self, scope: str) -> list[ScopeInstance]:
        if scope not in self._cache:
            builder = getattr(self, f"_build_{scope}")
            self._cache[scope] = builder()
        return self._cache[scope]

    # -- namespaces ------------------------------------------------------------------------------------------------

    def _host_namespace(self) -> Namespace:
        host = self.deployment.host
        facts = {
            "cpus": host.cpus,
            "somaxconn": host.somaxconn,
            "somaxconn_assumed": Setting(host.somaxconn.source.kind == "default", host.somaxconn.source),
            "nginx_version": Setting(host.nginx_version.as_tuple(),
                                     Source.default(f"nginx version {host.nginx_version} (--nginx-version)")),
            "gunicorn_version": Setting(host.gunicorn_version.as_tuple(),
                                        Source.default(f"gunicorn version {host.gunicorn_version} "
                                                       "(--gunicorn-version)")),
            "env": Setting(dict(host.env), Source.option("--env")),
        }
        return Namespace("host", facts, None, "the host")

    def _nginx_namespace(self) -> Namespace:
        nginx = self.deployment.nginx
        if nginx is None:
            return Namespace("nginx", {}, None, "nginx", absent_reason="no nginx config was given")
        root = Source.file(nginx.root, 1)
        facts = dict(nginx.settings)
        facts["root"] = Setting(nginx.root, root)
        facts["version"] = Setting(nginx.version, Source.default("nginx version assumed for defaults"))
        facts["file_count"] = _fact(len(nginx.files), "files read", root)
        return Namespace("nginx", facts, root, f"nginx config {nginx.root}")

    def upstream_namespace(self, upstream: Upstream) -> Namespace:
        key = id(upstream)
        if key not in self._upstreams:
            facts = dict(upstream.settings)
            facts["name"] = Setting(upstream.name, upstream.source)
            facts["explicit"] = Setting(True, upstream.source)
            facts["server_count"] = _fact(len(upstream.servers), "server lines in the upstream block",
                                          upstream.source)
            facts["failure_counted_servers"] = derived.failure_counted_servers(upstream)
            facts["longest_fail_timeout"] = derived.longest_fail_timeout(upstream)
            self._upstreams[key] = Namespace("upstream", facts, upstream.source, f"upstream {upstream.name}")
        return self._upstreams[key]

    def _implicit_upstream_namespace(self, route: Route) -> Namespace:
        source = route.pass_directive.source
        facts = {
            "explicit": Setting(False, source),
            "server_count": _fact(len(route.target.addresses), "addresses of the implicit upstream", source),
        }
        return Namespace("upstream", facts, source, f"the implicit upstream of {route.id}",
                         absent_reason=f"{route.id} passes to an address directly (implicit upstream), "
                                       "so there are no upstream-block settings")

    def route_namespaces(self, route: Route) -> tuple[Namespace, Namespace]:
        """(route namespace, upstream namespace) for one route."""
        key = id(route)
        if key not in self._routes:
            upstream = (self.upstream_namespace(route.target.upstream) if route.target.upstream is not None
                        else self._implicit_upstream_namespace(route))
            self._routes[key] = (self._route_namespace(route), upstream)
        return self._routes[key]

    def _route_namespace(self, route: Route) -> Namespace:
        facts: dict[str, Setting] = {}
        block = route.source
        pass_source = route.pass_directive.source
        prefix = route.kind
        facts["id"] = Setting(route.id, block)
        facts["location"] = Setting(route.location, block)
        facts["kind"] = Setting(route.kind, pass_source)
        facts["prefix"] = Setting(prefix, pass_source)
        facts["scheme"] = Setting(route.target.scheme, pass_source)
        facts["target_raw"] = Setting(route.target.raw, pass_source)
        facts["target_is_upstream"] = Setting(route.target.upstream is not None, pass_source)
        for generic in ("read_timeout", "connect_timeout", "buffering", "request_buffering", "next_upstream",
                        "next_upstream_tries", "next_upstream_timeout"):
            specific = route.settings.get(f"{prefix}_{generic}")
            if specific is not None:
                facts[generic] = specific
        nginx_version = self.deployment.host.nginx_version
        lazy: dict[str, Callable[[], Setting | None]] = {
            "headers": lambda: _fact({name.lower(): str(setting.value) for name, setting in route.headers.items()
                                      if setting.known}, "effective proxy_set_header values", block),
            "server_names": lambda: Setting(list(route.server_names), block),
            "target_count": lambda: _fact(len(route.target.addresses), "target addresses", pass_source),
            "target_kind": lambda: _target_kind(route, pass_source),
            "http_version": lambda: derived.http_version(route.settings, route.kind, route.id),
            "connection_header_cleared": lambda: derived.connection_header_cleared(
                route.headers, nginx_version, pass_source),
            "stream_hint": lambda: derived.stream_hint(route.settings, route.headers, route.location, route.kind,
                                                       block),
        }
        diagnosis = self.deployment.route_diagnoses.get(route.id)
        if diagnosis is not None:
            facts["link_status"] = Setting(diagnosis.status, pass_source)
            facts["link_detail"] = Setting(diagnosis.detail, pass_source)
            facts["linked"] = Setting(diagnosis.status in ("linked", "dualstack-localhost"), pass_source)
            if diagnosis.target is not None:
                facts["link_target"] = diagnosis.target
            if diagnosis.closest_bind is not None:
                bind = diagnosis.closest_bind
                facts["link_bind"] = self._bind_with_app_file(bind)
                facts["link_bind_assumed"] = _fact(_assumed_default(bind.source),
                                                   "gunicorn's default bind, not set by any given source", bind.source)
                facts["link_server"] = self._bind_server(bind)
                facts["link_command_line_given"] = self._bind_command_line_given(bind)
        return Namespace("route", facts, block, route.id, base=route.settings, lazy=lazy)

    def _bind_command_line_given(self, bind: Setting) -> Setting:
        """Whether the command line that starts the server with `bind` is among the inputs. When it is not, that
        command line may pass -b/--bind and override a config file's bind (or gunicorn's default)."""
        owners = [app for app in self.deployment.apps if bind.value in app.binds] or self.deployment.apps
        given = bool(owners) and all(app.source.line is not None for app in owners)
        return _fact(given, "the command line that starts the server with this bind is an input", bind.source)

    def _bind_server(self, bind: Setting) -> Setting:
        """Which server (gunicorn, uvicorn) listens on `bind`, for rule texts; "the app server" if not clear."""
        owners = [app for app in self.deployment.apps if bind.value in app.binds]
        kinds = {app.kind for app in owners or self.deployment.apps}
        if len(kinds) == 1:
            owner = owners[0] if owners else self.deployment.apps[0]
            return Setting(kinds.pop(), owner.source)
        return Setting("the app server", Source.derived("several kinds of app server", bind.source))

    def _bind_with_app_file(self, bind: Setting) -> Setting:
        """A default bind has no position of its own; point it at the app config that has that bind."""
        if bind.source.position() is not None:
            return bind
        for app in self.deployment.apps:
            if bind.value in app.binds and app.source.path:
                return Setting(bind.value, Source.derived(bind.source.describe(), Source.file(app.source.path, 1)),
                               bind.raw)
        return bind

    def app_namespace(self, app: AppServer) -> Namespace:
        key = id(app)
        if key not in self._apps:
            self._apps[key] = self._app_namespace(app)
        return self._apps[key]

    def _app_namespace(self, app: AppServer) -> Namespace:
        facts: dict[str, Setting] = dict(app.settings)
        source = app.source
        facts["id"] = Setting(app.id, source)
        facts["kind"] = Setting(app.kind, source)
        facts["service_name"] = Setting(app.service_name, source)
        effective = derived.effective_worker_class(app)
        facts["effective_worker_class"] = effective
        facts["is_async"] = derived.is_async(effective)
        slots = derived.slots_per_worker(app, effective)
        facts["slots_per_worker"] = slots
        facts["concurrency"] = derived.concurrency(app, slots)
        accept = derived.accept_queue(app, self.deployment.host.somaxconn)
        facts["accept_queue"] = accept
        facts["queue_capacity"] = derived.queue_capacity(app, effective, accept)
        facts["workers_from_cpu_count"] = derived.workers_from_cpu_count(app)
        bounds = derived.timeout_bounds_requests(app, effective)
        facts["timeout_bounds_requests"] = bounds
        facts["max_request_time"] = derived.max_request_time(app, bounds)
        facts["backend_idle"] = derived.backend_idle(app)
        for name in ("timeout", "workers"):
            setting = app.settings.get(name)
            if setting is not None and setting.known:
                facts[f"{name}_assumed"] = _fact(_assumed_default(setting.source),
                                                 f"gunicorn's default {name}, set by nothing the user gave",
                                                 setting.source)
        facts["command_line_given"] = _fact(source.line is not None, "the server's command line is an input",
                                            source)
        bind = app.settings.get("bind")
        if bind is not None and bind.known:
            facts["bind_count"] = _fact(len(app.binds), "bind addresses", bind.source)
            facts["unix_bind"] = _fact(any(address.kind == "unix" for address in app.binds), "a unix bind",
                                       bind.source)
        return Namespace("app", facts, source, app.id)

    def _link_namespace(self, link: Link) -> Namespace:
        route = link.route
        host = self.deployment.host
        bind_setting = link.app.settings.get("bind")
        bind_source = bind_setting.source if bind_setting is not None else link.app.source
        listener = next((item for item in link.app.listeners if item.address == link.bind), None)
        if listener is not None:  # a uWSGI socket: its own line
            bind_source = listener.source
        pass_source = route.pass_directive.source
        http_version = derived.http_version(route.settings, route.kind, route.id)
        keepalive_on = derived.upstream_keepalive_on(route.target.upstream, pass_source, http_version)
        cleared = derived.connection_header_cleared(route.headers, host.nginx_version, pass_source)
        is_async = self.app_namespace(link.app).setting_of("is_async") or Setting.unknown("no worker class")
        protocol = _bind_protocol(link, bind_source)
        facts = {
            "socket": Setting(link.bind.kind, bind_source),
            "target": link.address,
            "bind": Setting(link.bind, bind_source, str(link.bind)),
            "match": Setting(link.match, link.address.source),
            "upstream_keepalive_on": keepalive_on,
            "connection_header_cleared": cleared,
            "keepalive_pool": derived.keepalive_pool(route.target.upstream, keepalive_on, cleared, is_async,
                                                     pass_source),
            "protocol": protocol,
            "protocol_ok": _protocol_ok(route, protocol),
        }
        return Namespace("link", facts, link.address.source, f"{route.id} -> {link.app.id}")

    def _model_namespace(self, link: Link) -> Namespace:
        from advisor.engine.workload_facts import model_namespace  # the queueing model only with a workload

        return model_namespace(link, self.deployment, self.workload)

    # -- scopes ----------------------------------------------------------------------------------------------------

    def _build_route(self) -> list[ScopeInstance]:
        instances = []
        for route in self.deployment.routes:
            route_ns, upstream_ns = self.route_namespaces(route)
            names = {"route": route_ns, "upstream": upstream_ns, "nginx": self._nginx, "host": self._host}
            instances.append(ScopeInstance("route", route.id, names, route.source))
        return instances

    def _build_upstream(self) -> list[ScopeInstance]:
        return [ScopeInstance("upstream", f"upstream {upstream.name}",
                              {"upstream": self.upstream_namespace(upstream), "nginx": self._nginx,
                               "host": self._host}, upstream.source)
                for upstream in self.deployment.upstreams.values()]

    def _build_app(self) -> list[ScopeInstance]:
        return [ScopeInstance("app", app.id, {"app": self.app_namespace(app), "host": self._host}, app.source)
                for app in self.deployment.apps]

    def _build_link(self) -> list[ScopeInstance]:
        instances = []
        seen: set[tuple[int, int]] = set()
        for link in self.deployment.links:
            key = (id(link.route), id(link.app))
            if key in seen:  # one route reaching one app by several addresses is one pair to check
                continue
            seen.add(key)
            route_ns, upstream_ns = self.route_namespaces(link.route)
            names = {"route": route_ns, "upstream": upstream_ns, "app": self.app_namespace(link.app),
                     "link": self._link_namespace(link), "model": self._model_namespace(link), "nginx": self._nginx,
                     "host": self._host}
            instances.append(ScopeInstance("link", f"{link.route.id} -> {link.app.id}", names, link.route.source))
        return instances

    def _build_deployment(self) -> list[ScopeInstance]:
        deployment = self.deployment
        anchor = (Source.file(deployment.nginx.root, 1) if deployment.nginx is not None
                  else deployment.apps[0].source if deployment.apps else None)
        source = anchor or Source.derived("the deployment")
        nginx_files = len(deployment.nginx.files) if deployment.nginx is not None else 0
        facts = {
            "route_count": _fact(len(deployment.routes), "routes", source),
            "app_count": _fact(len(deployment.apps), "app servers", source),
            "link_count": _fact(len(deployment.links), "links", source),
            "has_nginx": _fact(deployment.nginx is not None, "an nginx config was given", source),
            "has_app": _fact(bool(deployment.apps), "an app config was given", source),
            "file_count": _fact(nginx_files + len(deployment.apps), "files read", source),
            "loader_errors": _fact(sum(1 for item in deployment.diagnostics if item.severity == "error"),
                                   "loader diagnostics of severity error", source),
            # Every ADV002 (missing, unreadable or unrendered include; a glob that matches nothing) whatever its
            # severity: a missing include is an info note now, but what it would add was not read all the same.
            "missing_includes": _fact(sum(1 for item in deployment.diagnostics if item.code == "ADV002"),
                                      "nginx includes that were not read", source),
        }
        names = {"deployment": Namespace("deployment", facts, anchor, "the deployment"), "nginx": self._nginx,
                 "host": self._host}
        return [ScopeInstance("deployment", "deployment", names, anchor)]

    def _build_diagnostic(self) -> list[ScopeInstance]:
        return [self.diagnostic_instance(diagnostic, f"#{number}")
                for number, diagnostic in enumerate(self.deployment.diagnostics)]

    def diagnostic_instance(self, diagnostic: Diagnostic, label: str) -> ScopeInstance:
        """The scope instance a meta rule is evaluated on for one diagnostic (also for engine-made ones)."""
        source = Source.file(diagnostic.path, diagnostic.line, diagnostic.column) if diagnostic.path else None
        facts = {key: Setting(getattr(diagnostic, key), source or Source.derived("loader diagnostic"))
                 for key in ("code", "message", "path", "line", "column", "fix", "severity")}
        names = {"diagnostic": Namespace("diagnostic", facts, source, f"diagnostic {diagnostic.code}"),
                 "host": self._host}
        where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.path else "no file"
        return ScopeInstance("diagnostic", f"{diagnostic.code} {label} ({where})", names, source, diagnostic)

    def _build_unknown_setting(self) -> list[ScopeInstance]:
        instances = []
        for app in self.deployment.apps:
            for unknown in app.unknown_settings:
                names = {"unknown_setting": self._unknown_setting_namespace(app, unknown),
                         "app": self.app_namespace(app), "host": self._host}
                instances.append(ScopeInstance("unknown_setting", f"{app.id}: {unknown.name}", names,
                                               unknown.source))
        return instances

    @staticmethod
    def _unknown_setting_namespace(app: AppServer, unknown: UnknownSetting) -> Namespace:
        source = unknown.source
        facts = {
            "name": Setting(unknown.name, source, unknown.name),
            "suggestion": Setting(unknown.suggestion, source),
            "worker_count": Setting(means_worker_count(unknown.name), source),
            "server": Setting(app.kind, app.source),
        }
        return Namespace("unknown_setting", facts, source, f"{unknown.name} in {app.id}")
