"""Fact namespaces per scope, built once per run from a Deployment (an index; no rule walks the model).

A scope instance is one thing a rule is evaluated for: a route, an upstream, an app server, a link (route → app),
the whole deployment, or one loader diagnostic. Its `names` map namespace names (`route`, `app`, ...) to
`Namespace` objects whose attributes are fact values; every fact is a `Setting`, so its source gives the finding's
location. Namespaces are shared: a link reuses its route's and app's namespace objects.

Which facts a namespace has and how each is derived is declared in advisor/engine/fact_registry.py; this module
only decides which model object each namespace describes, its settings, owner and label.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from advisor.engine.derived_model import deployment_anchor
from advisor.engine.fact_registry import FactContext
from advisor.engine.findings import Notice
from advisor.engine.namespace import Namespace, ScopeInstance
from advisor.model.deployment import AppServer, Deployment, Diagnostic, Link, Route, Setting, Source, Upstream

__all__ = ["FactIndex", "Namespace", "RouteGroup", "ScopeInstance"]


@dataclass(slots=True)
class RouteGroup:
    """One route's instances: the route-scope instance and the link-scope instances of its links, each with its
    position in instances("route") / instances("link") (the order a rule-by-rule run would see them in)."""

    route: tuple[int, ScopeInstance] | None
    links: list[tuple[int, ScopeInstance]] = field(default_factory=list)


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
        self._made: list[Namespace] = []  # namespaces of instances made outside the scope lists (diagnostic_instance)
        self._model_memo: Any = None  # advisor.engine.workload_facts.ModelMemo: the model's solutions of the run

    def diagnostics(self, code: str) -> list[ScopeInstance]:
        """The diagnostic-scope instances for one code (meta rules match loader diagnostics by code)."""
        if self._diagnostics_by_code is None:
            self._diagnostics_by_code = {}
            for instance in self.instances("diagnostic"):
                if instance.diagnostic is not None:
                    self._diagnostics_by_code.setdefault(instance.diagnostic.code, []).append(instance)
        return self._diagnostics_by_code.get(code, [])

    def release(self) -> None:
        """End of the run: drop every namespace's unread facts. The rule evaluator sits in a reference cycle that
        keeps its last names until the cyclic collector runs (off during `advisor check`), and a link's facts refer
        back to this index; without this, the derivation contexts behind those names would keep the whole
        deployment alive until then."""
        namespaces = {id(namespace): namespace for instances in self._cache.values() for instance in instances
                      for namespace in instance.names.values()}
        namespaces.update((id(namespace), namespace) for pair in self._routes.values() for namespace in pair)
        namespaces.update((id(namespace), namespace) for namespace in (
            self._host, self._nginx, *self._upstreams.values(), *self._apps.values(), *self._made))
        for namespace in namespaces.values():
            namespace.release()

    def instances(self, scope: str) -> list[ScopeInstance]:
        if scope not in self._cache:
            builder = getattr(self, f"_build_{scope}")
            self._cache[scope] = builder()
        return self._cache[scope]

    # -- namespaces ------------------------------------------------------------------------------------------------

    def _namespace(self, namespace: str, owner: Source | None, label: str, base: dict[str, Setting] | None = None,
                   absent_reason: str | None = None, **objects: Any) -> Namespace:
        """A namespace whose registry facts are derived on first read, on top of `base` (the object's settings).

        A link's context refers back to this index (its facts read the app's namespace): release() breaks that
        cycle, which would otherwise outlive the run (`advisor check` runs with the cyclic collector off)."""
        context = FactContext(self.deployment, namespace, base, **objects)
        return Namespace(namespace, context.facts, owner, label, absent_reason, base=base, resolve=context.resolve)

    def _host_namespace(self) -> Namespace:
        return self._namespace("host", None, "the host")

    def _nginx_namespace(self) -> Namespace:
        nginx = self.deployment.nginx
        if nginx is None:
            return Namespace("nginx", {}, None, "nginx", absent_reason="no nginx config was given")
        return self._namespace("nginx", Source.file(nginx.root, 1), f"nginx config {nginx.root}", nginx.settings)

    def upstream_namespace(self, upstream: Upstream) -> Namespace:
        key = id(upstream)
        if key not in self._upstreams:
            self._upstreams[key] = self._namespace("upstream", upstream.source, f"upstream {upstream.name}",
                                                   upstream.settings, upstream=upstream)
        return self._upstreams[key]

    def _implicit_upstream_namespace(self, route: Route) -> Namespace:
        return self._namespace("upstream", route.pass_directive.source, f"the implicit upstream of {route.id}",
                               absent_reason=f"{route.id} passes to an address directly (implicit upstream), "
                                             "so there are no upstream-block settings", route=route)

    def route_namespaces(self, route: Route) -> tuple[Namespace, Namespace]:
        """(route namespace, upstream namespace) for one route."""
        key = id(route)
        if key not in self._routes:
            upstream = (self.upstream_namespace(route.target.upstream) if route.target.upstream is not None
                        else self._implicit_upstream_namespace(route))
            self._routes[key] = (self._namespace("route", route.source, route.id, route.settings, route=route),
                                 upstream)
        return self._routes[key]

    def app_namespace(self, app: AppServer) -> Namespace:
        key = id(app)
        if key not in self._apps:
            self._apps[key] = self._namespace("app", app.source, app.id, app.settings, app=app)
        return self._apps[key]

    def _link_namespace(self, link: Link) -> Namespace:
        return self._namespace("link", link.address.source, f"{link.route.id} -> {link.app.id}", link=link,
                               index=self)

    def _model_namespace(self, link: Link) -> Namespace:
        from advisor.engine.workload_facts import ModelMemo, model_namespace  # the queueing model only with a workload

        if self.workload is not None and self._model_memo is None:
            self._model_memo = ModelMemo()
        return model_namespace(link, self.deployment, self.workload, self._model_memo)

    def model_notices(self) -> list[Notice]:
        """What the run's model budget left out (advisor.engine.workload_facts.ModelMemo)."""
        return self._model_memo.notices() if self._model_memo is not None else []

    def route_groups(self, routes: bool, links: bool) -> Iterator[RouteGroup]:
        """The route and link instances one route at a time (`routes`/`links`: which scopes are wanted). A group's
        own namespaces (the route's, its implicit upstream's, its links' and their models') are released when the
        next group is asked for, so memory stays flat however many routes there are; the shared ones (upstream
        blocks, app servers, nginx, host) live for the run."""
        by_route: dict[int, list[tuple[int, Link]]] = {}
        if links:
            for number, link in enumerate(self._distinct_links()):
                by_route.setdefault(id(link.route), []).append((number, link))
        for number, route in enumerate(self.deployment.routes):
            own_links = by_route.pop(id(route), [])
            if routes or own_links:
                yield from self._route_group(route, number if routes else None, own_links)
        for own_links in by_route.values():  # links of routes the deployment does not list
            yield from self._route_group(own_links[0][1].route, None, own_links)

    def _route_group(self, route: Route, number: int | None,
                     links: list[tuple[int, Link]]) -> Iterator[RouteGroup]:
        cached = id(route) in self._routes
        route_ns, upstream_ns = self.route_namespaces(route)
        if not cached:
            del self._routes[id(route)]
        group = RouteGroup(None if number is None else (number, self._route_instance(route, route_ns, upstream_ns)))
        own = [] if cached else [route_ns] + ([upstream_ns] if route.target.upstream is None else [])
        for position, link in links:
            instance = self._link_instance(link, route_ns, upstream_ns)
            own.extend((instance.names["link"], instance.names["model"]))
            group.links.append((position, instance))
        try:
            yield group
        finally:
            for namespace in own:
                namespace.release()

    # -- scopes ----------------------------------------------------------------------------------------------------

    def _build_route(self) -> list[ScopeInstance]:
        return [self._route_instance(route, *self.route_namespaces(route)) for route in self.deployment.routes]

    def _route_instance(self, route: Route, route_ns: Namespace, upstream_ns: Namespace) -> ScopeInstance:
        names = {"route": route_ns, "upstream": upstream_ns, "nginx": self._nginx, "host": self._host}
        return ScopeInstance("route", route.id, names, route.source)

    def _build_upstream(self) -> list[ScopeInstance]:
        return [ScopeInstance("upstream", f"upstream {upstream.name}",
                              {"upstream": self.upstream_namespace(upstream), "nginx": self._nginx,
                               "host": self._host}, upstream.source)
                for upstream in self.deployment.upstreams.values()]

    def _build_app(self) -> list[ScopeInstance]:
        return [ScopeInstance("app", app.id, {"app": self.app_namespace(app), "host": self._host}, app.source)
                for app in self.deployment.apps]

    def _build_link(self) -> list[ScopeInstance]:
        return [self._link_instance(link, *self.route_namespaces(link.route)) for link in self._distinct_links()]

    def _distinct_links(self) -> Iterator[Link]:
        """The links to check: one route reaching one app by several addresses is one pair."""
        seen: set[tuple[int, int]] = set()
        for link in self.deployment.links:
            key = (id(link.route), id(link.app))
            if key not in seen:
                seen.add(key)
                yield link

    def _link_instance(self, link: Link, route_ns: Namespace, upstream_ns: Namespace) -> ScopeInstance:
        names = {"route": route_ns, "upstream": upstream_ns, "app": self.app_namespace(link.app),
                 "link": self._link_namespace(link), "model": self._model_namespace(link), "nginx": self._nginx,
                 "host": self._host}
        return ScopeInstance("link", f"{link.route.id} -> {link.app.id}", names, link.route.source)

    def _build_deployment(self) -> list[ScopeInstance]:
        anchor = deployment_anchor(self.deployment)
        names = {"deployment": self._namespace("deployment", anchor, "the deployment"), "nginx": self._nginx,
                 "host": self._host}
        return [ScopeInstance("deployment", "deployment", names, anchor)]

    def _build_diagnostic(self) -> list[ScopeInstance]:
        return [self.diagnostic_instance(diagnostic, f"#{number}")
                for number, diagnostic in enumerate(self.deployment.diagnostics)]

    def diagnostic_instance(self, diagnostic: Diagnostic, label: str) -> ScopeInstance:
        """The scope instance a meta rule is evaluated on for one diagnostic (also for engine-made ones)."""
        source = Source.file(diagnostic.path, diagnostic.line, diagnostic.column) if diagnostic.path else None
        namespace = self._namespace("diagnostic", source, f"diagnostic {diagnostic.code}", diagnostic=diagnostic)
        self._made.append(namespace)
        names = {"diagnostic": namespace, "host": self._host}
        where = f"{diagnostic.path}:{diagnostic.line}" if diagnostic.path else "no file"
        return ScopeInstance("diagnostic", f"{diagnostic.code} {label} ({where})", names, source, diagnostic)

    def _build_unknown_setting(self) -> list[ScopeInstance]:
        instances = []
        for app in self.deployment.apps:
            for unknown in app.unknown_settings:
                names = {"unknown_setting": self._namespace("unknown_setting", unknown.source,
                                                            f"{unknown.name} in {app.id}", app=app, unknown=unknown),
                         "app": self.app_namespace(app), "host": self._host}
                instances.append(ScopeInstance("unknown_setting", f"{app.id}: {unknown.name}", names,
                                               unknown.source))
        return instances
