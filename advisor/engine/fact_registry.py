"""Every fact a rule can read, declared once: its namespace, name, type, unit, meaning and derivation.

From these declarations come the namespaces the engine builds (advisor/engine/facts.py), the catalog that validates
rule expressions (advisor/engine/catalog.py) and the facts section of rules/README.md (advisor/engine/fact_docs.py;
a test keeps it current). Adding a fact is one `Fact(...)` here with its derivation (a function of a FactContext,
usually a call into advisor/engine/derived.py); the settings the loaders put in the model are declared as groups of
names in advisor/engine/fact_settings.py.

A derivation returns a Setting (its source is the finding's location) or None when the fact does not exist for this
object (absent: the rule skips). Every fact is derived on its first read, once per object (a rule reads a few
facts of each of thousands of locations). The `model` namespace is built by advisor/engine/workload_facts.py in its
groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from advisor.engine import derived
from advisor.engine import derived_model as dm
from advisor.model.deployment import (
    AppServer, Deployment, Diagnostic, Link, Route, RouteLinkDiagnosis, Setting, Source, UnknownSetting, Upstream,
)


_UNSET = object()


class FactContext:
    """What a derivation reads: the deployment, the object the namespace describes, and the namespace's other facts
    (`context["effective_worker_class"]`). It also resolves the namespace's facts: each is derived on its first read
    and kept (most rules never read most facts of most locations), a derivation returning None falls back to the
    object's own setting of that name (`base`), if any."""

    __slots__ = ("deployment", "facts", "route", "upstream", "app", "link", "diagnostic", "unknown", "index",
                 "_diagnosis", "_plan", "_base", "_absent")

    def __init__(self, deployment: Deployment, namespace: str, base: dict[str, Setting] | None = None,
                 route: Route | None = None, upstream: Upstream | None = None, app: AppServer | None = None,
                 link: Link | None = None, diagnostic: Diagnostic | None = None,
                 unknown: UnknownSetting | None = None, index: Any = None) -> None:
        """`base`: the model object's settings, read in place (never copied); `index`: the FactIndex building it
        (a link reads its app's namespace)."""
        self.deployment = deployment
        self.facts: dict[str, Setting] = {}  # derived so far
        self.route = route
        self.upstream = upstream
        self.app = app
        self.link = link
        self.diagnostic = diagnostic
        self.unknown = unknown
        self.index = index
        self._diagnosis: Any = _UNSET
        self._plan = fact_plan(namespace)
        self._base = base
        self._absent: set[str] | None = None  # derivations that returned None (not tried again)

    def resolve(self, name: str) -> Setting | None:
        """The fact `name`: derived (once), else the object's own setting, else None (absent)."""
        setting = self.facts.get(name)
        if setting is not None:
            return setting
        derive = self._plan.get(name)
        if derive is not None and (self._absent is None or name not in self._absent):
            setting = derive(self)
            if setting is not None:
                self.facts[name] = setting
                return setting
            if self._absent is None:
                self._absent = set()
            self._absent.add(name)
        return self._base.get(name) if self._base is not None else None

    def __getitem__(self, name: str) -> Setting:
        setting = self.resolve(name)
        if setting is None:
            raise KeyError(name)
        return setting

    @property
    def pass_source(self) -> Source:
        return self.route.pass_directive.source  # type: ignore[union-attr]

    @property
    def diagnosis(self) -> RouteLinkDiagnosis | None:
        if self._diagnosis is _UNSET:
            self._diagnosis = self.deployment.route_diagnoses.get(self.route.id)  # type: ignore[union-attr]
        return self._diagnosis


Derivation = Callable[[FactContext], "Setting | None"]


@dataclass(frozen=True, slots=True)
class Fact:
    """One fact rules may read: where it lives, its type and unit, what it means and how it is derived."""

    namespace: str
    name: str
    type: str  # bool, int, number, duration (seconds), text, list, mapping, version, address
    description: str
    derive: Derivation | None = None  # None: provided by the namespace's own builder (the `model` namespace)
    unit: str = ""  # s, requests/s, share (0-1), ...
    group: str = ""  # `model` facts: which step of the model computes it


SCOPES = ("route", "upstream", "app", "link", "deployment", "diagnostic", "unknown_setting")

SCOPE_NAMESPACES: dict[str, tuple[str, ...]] = {
    "route": ("route", "upstream", "nginx", "host"),
    "upstream": ("upstream", "nginx", "host"),
    "app": ("app", "host"),
    "link": ("route", "upstream", "app", "link", "model", "nginx", "host"),
    "deployment": ("deployment", "nginx", "host"),
    "diagnostic": ("diagnostic", "host"),
    "unknown_setting": ("unknown_setting", "app", "host"),
}

# Namespaces whose object owns a file location (used when a fact has no position of its own).
OWNER_NAMESPACES = frozenset({"route", "upstream", "app", "nginx", "link", "model", "diagnostic",
                              "unknown_setting"})

# What each namespace describes (the docs' lead sentence).
NAMESPACE_DOCS: dict[str, str] = {
    "route": "one proxied location: its effective settings, its target and how it links to an app server",
    "upstream": "the upstream group a route passes to; for an implicit upstream (`proxy_pass "
                "http://127.0.0.1:8000`) only `explicit` (False) and `server_count` exist",
    "app": "one app server (gunicorn, uvicorn or uWSGI)",
    "link": "one route reaching one app server",
    "model": "the queueing model of the link at the workload given with `--rps` and `--service-time` (or a "
             "configured pair's `workload`), M/M/c/K with nginx's read timeout as a deadline (`advisor model` shows "
             "the same numbers). Without a workload every fact but `workload_given` and `modelled` is absent (\"no "
             "workload given: pass --rps and --service-time\"); event-loop workers are absent with the model's "
             "reason; a value the model cannot read (workers from the CPU count without `--cpus`) makes them unknown. "
             "The predictions are computed once per link and only when a rule reads them (recommendations only for "
             "a finding)",
    "nginx": "the nginx config as a whole",
    "host": "what the files cannot tell, from the options",
    "deployment": "the whole run",
    "diagnostic": "one loader diagnostic (meta rules match them by code and keep their severity; ADV100/ADV101 "
                  "match diagnostics the engine makes for stale or misspelled suppressions)",
    "unknown_setting": "one name an app config assigns that is not a setting",
}


def _generic(name: str) -> Derivation:
    """The route module's own setting under a generic name (`read_timeout` is proxy_read_timeout for proxy_pass,
    uwsgi_read_timeout for uwsgi_pass); absent for modules without it."""
    return lambda c: c.route.settings.get(f"{c.route.kind}_{name}")  # type: ignore[union-attr]


def _linked(compute: Callable[[FactContext, RouteLinkDiagnosis], Setting | None]) -> Derivation:
    """A linking fact: absent for a route the linker did not diagnose."""
    def derive(c: FactContext) -> Setting | None:
        diagnosis = c.diagnosis
        return compute(c, diagnosis) if diagnosis is not None else None

    return derive


def _bound(compute: Callable[[FactContext, Setting], Setting | None]) -> Derivation:
    """A fact about the bind closest to the route's target (absent when there is none)."""
    def derive(c: FactContext) -> Setting | None:
        diagnosis = c.diagnosis
        if diagnosis is None or diagnosis.closest_bind is None:
            return None
        return compute(c, diagnosis.closest_bind)

    return derive


def _assumed(name: str) -> Derivation:
    def derive(c: FactContext) -> Setting | None:
        setting = c.app.settings.get(name)  # type: ignore[union-attr]
        if setting is None or not setting.known:
            return None
        return dm.fact(dm.assumed_default(setting.source), f"gunicorn's default {name}, set by nothing the user gave",
                       setting.source)

    return derive


def _with_known_bind(compute: Callable[[AppServer, Setting], Setting]) -> Derivation:
    def derive(c: FactContext) -> Setting | None:
        bind = c.app.settings.get("bind")  # type: ignore[union-attr]
        return compute(c.app, bind) if bind is not None and bind.known else None  # type: ignore[arg-type]

    return derive


def _deployment_fact(compute: Callable[[Deployment], Any], formula: str) -> Derivation:
    def derive(c: FactContext) -> Setting:
        anchor = dm.deployment_anchor(c.deployment) or Source.derived("the deployment")
        return dm.fact(compute(c.deployment), formula, anchor)

    return derive


def _diagnostic_fact(name: str) -> Derivation:
    def derive(c: FactContext) -> Setting:
        item = c.diagnostic
        source = Source.file(item.path, item.line, item.column) if item.path else None  # type: ignore[union-attr]
        return Setting(getattr(item, name), source or Source.derived("loader diagnostic"))

    return derive


def _implicit(explicit: Derivation, implicit: Derivation) -> Derivation:
    """Upstream facts: one derivation for an upstream block, another for a route's implicit upstream."""
    return lambda c: explicit(c) if c.upstream is not None else implicit(c)


def _none(_: FactContext) -> None:
    return None


def _link_bind_source(c: FactContext) -> Source:
    return dm.bind_source(c.link)  # type: ignore[arg-type]


def _keepalive_on(c: FactContext) -> Setting:
    route = c.link.route  # type: ignore[union-attr]
    version = derived.http_version(route.settings, route.kind, route.id)
    return derived.upstream_keepalive_on(route.target.upstream, route.pass_directive.source, version)


def _keepalive_pool(c: FactContext) -> Setting:
    route = c.link.route  # type: ignore[union-attr]
    is_async = c.index.app_namespace(c.link.app).setting_of("is_async") or Setting.unknown(  # type: ignore[union-attr]
        "no worker class")
    return derived.keepalive_pool(route.target.upstream, c["upstream_keepalive_on"], c["connection_header_cleared"],
                                  is_async, route.pass_directive.source)


def _somaxconn_assumed(c: FactContext) -> Setting:
    somaxconn = c.deployment.host.somaxconn
    return Setting(somaxconn.source.kind == "default", somaxconn.source)


def _version_fact(server: str) -> Derivation:
    def derive(c: FactContext) -> Setting:
        version = getattr(c.deployment.host, f"{server}_version")
        return Setting(version.as_tuple(), Source.default(f"{server} version {version} (--{server}-version)"))

    return derive


_R, _U, _A, _L, _M = "route", "upstream", "app", "link", "model"

FACTS: tuple[Fact, ...] = (
    # -- route ------------------------------------------------------------------------------------------------------
    Fact(_R, "id", "text", "the route's name in findings (`nginx.conf:23 location /`)",
         lambda c: Setting(c.route.id, c.route.source)),
    Fact(_R, "location", "text", "the location's match (`/api/`)",
         lambda c: Setting(c.route.location, c.route.source)),
    Fact(_R, "kind", "text", "the pass module: `proxy`, `uwsgi`, `fastcgi`, `scgi`, `grpc`, `memcached`",
         lambda c: Setting(c.route.kind, c.pass_source)),
    Fact(_R, "prefix", "text", "the prefix of the module's directives (`proxy` for proxy_read_timeout)",
         lambda c: Setting(c.route.kind, c.pass_source)),
    Fact(_R, "scheme", "text", "the scheme of the pass target (`http`, `https`, ...)",
         lambda c: Setting(c.route.target.scheme, c.pass_source)),
    Fact(_R, "target_raw", "text", "the pass target as written",
         lambda c: Setting(c.route.target.raw, c.pass_source)),
    Fact(_R, "target_is_upstream", "bool", "the target names an upstream block",
         lambda c: Setting(c.route.target.upstream is not None, c.pass_source)),
    Fact(_R, "read_timeout", "duration", "the module's read timeout (proxy_read_timeout, uwsgi_read_timeout ...)",
         _generic("read_timeout"), unit="s"),
    Fact(_R, "connect_timeout", "duration", "the module's connect timeout", _generic("connect_timeout"), unit="s"),
    Fact(_R, "buffering", "bool", "the module's response buffering (absent for modules without it, e.g. grpc)",
         _generic("buffering")),
    Fact(_R, "request_buffering", "bool", "the module's request body buffering", _generic("request_buffering")),
    Fact(_R, "next_upstream", "list", "the module's next_upstream conditions", _generic("next_upstream")),
    Fact(_R, "next_upstream_tries", "int", "the module's next_upstream_tries", _generic("next_upstream_tries")),
    Fact(_R, "next_upstream_timeout", "duration", "the module's next_upstream_timeout",
         _generic("next_upstream_timeout"), unit="s"),
    Fact(_R, "link_status", "text", "how the route links to an app server (`linked`, `port-mismatch`, ...: "
         "RouteLinkDiagnosis)", _linked(lambda c, d: Setting(d.status, c.pass_source))),
    Fact(_R, "link_detail", "text", "the linker's explanation of the status",
         _linked(lambda c, d: Setting(d.detail, c.pass_source))),
    Fact(_R, "linked", "bool", "the route reaches an app server",
         _linked(lambda c, d: Setting(d.status in ("linked", "dualstack-localhost"), c.pass_source))),
    Fact(_R, "link_target", "address", "the target address the linker compared", _linked(lambda c, d: d.target)),
    Fact(_R, "link_bind", "address", "the app bind closest to the target",
         _bound(lambda c, bind: dm.bind_with_app_file(c.deployment, bind))),
    Fact(_R, "link_bind_assumed", "bool", "that bind is gunicorn's default, set by nothing the user gave",
         _bound(lambda c, bind: dm.fact(dm.assumed_default(bind.source),
                                        "gunicorn's default bind, not set by any given source", bind.source))),
    Fact(_R, "link_server", "text", "the server with that bind (`gunicorn`, `uvicorn`, or \"the app server\")",
         _bound(lambda c, bind: dm.bind_server(c.deployment, bind))),
    Fact(_R, "link_command_line_given", "bool", "the command line that starts that server is among the inputs, so "
         "it cannot override the bind", _bound(lambda c, bind: dm.bind_command_line_given(c.deployment, bind))),
    Fact(_R, "headers", "mapping", "effective proxy_set_header values (lower-case name → value)",
         lambda c: dm.fact({name.lower(): str(setting.value) for name, setting in c.route.headers.items()
                            if setting.known}, "effective proxy_set_header values", c.route.source)),
    Fact(_R, "server_names", "list", "the server_name values of the route's server block",
         lambda c: Setting(list(c.route.server_names), c.route.source)),
    Fact(_R, "target_count", "int", "target addresses (an upstream's servers, or one)",
         lambda c: dm.fact(len(c.route.target.addresses), "target addresses", c.pass_source)),
    Fact(_R, "target_kind", "text", "`tcp`, `unix` or `mixed`; unknown unless every target address is known",
         lambda c: dm.target_kind(c.route, c.pass_source)),
    Fact(_R, "http_version", "number", "proxy_http_version (unknown for modules that do not speak HTTP)",
         lambda c: derived.http_version(c.route.settings, c.route.kind, c.route.id)),
    Fact(_R, "connection_header_cleared", "bool", "nginx sends no `Connection: close` upstream (the header's line "
         "when it is set)", lambda c: derived.connection_header_cleared(
             c.route.headers, c.deployment.host.nginx_version, c.pass_source)),
    Fact(_R, "stream_hint", "text", "why the route looks like SSE/long-poll/WebSocket, or \"\"",
         lambda c: derived.stream_hint(c.route.settings, c.route.headers, c.route.location, c.route.kind,
                                       c.route.source)),
    # -- upstream ---------------------------------------------------------------------------------------------------
    Fact(_U, "name", "text", "the upstream block's name",
         _implicit(lambda c: Setting(c.upstream.name, c.upstream.source), _none)),
    Fact(_U, "explicit", "bool", "an upstream block (False: the route passes to an address directly)",
         _implicit(lambda c: Setting(True, c.upstream.source), lambda c: Setting(False, c.pass_source))),
    Fact(_U, "server_count", "int", "server lines in the block (addresses of an implicit upstream)",
         _implicit(lambda c: dm.fact(len(c.upstream.servers), "server lines in the upstream block",
                                     c.upstream.source),
                   lambda c: dm.fact(len(c.route.target.addresses), "addresses of the implicit upstream",
                                     c.pass_source))),
    Fact(_U, "failure_counted_servers", "int", "servers nginx marks unavailable after failures: max_fails > 0, "
         "fail_timeout > 0, not backup/down", _implicit(lambda c: derived.failure_counted_servers(c.upstream), _none)),
    Fact(_U, "longest_fail_timeout", "duration", "the longest fail_timeout of the group's servers",
         _implicit(lambda c: derived.longest_fail_timeout(c.upstream), _none), unit="s"),
    # -- app ------------------------------------------------------------------------------------------------------
    Fact(_A, "id", "text", "the app server's name in findings", lambda c: Setting(c.app.id, c.app.source)),
    Fact(_A, "kind", "text", "`gunicorn`, `uvicorn` or `uwsgi`", lambda c: Setting(c.app.kind, c.app.source)),
    Fact(_A, "service_name", "text", "the compose service (or program) that runs it, if any",
         lambda c: Setting(c.app.service_name, c.app.source)),
    Fact(_A, "effective_worker_class", "text", "the worker family that runs: sync with threads > 1 is gthread; "
         "`uvicorn` for standalone uvicorn, `uwsgi` for uWSGI", lambda c: derived.effective_worker_class(c.app)),
    Fact(_A, "is_async", "bool", "a worker keeps serving other requests while one is slow (not sync, not uWSGI)",
         lambda c: derived.is_async(c["effective_worker_class"])),
    Fact(_A, "slots_per_worker", "number", "requests one worker serves at once (`inf` for event loops)",
         lambda c: derived.slots_per_worker(c.app, c["effective_worker_class"]), unit="requests"),
    Fact(_A, "concurrency", "number", "workers × slots per worker (`inf` for event loops)",
         lambda c: derived.concurrency(c.app, c["slots_per_worker"]), unit="requests"),
    Fact(_A, "accept_queue", "int", "min(backlog, somaxconn) + 1 (uWSGI: `listen`)",
         lambda c: derived.accept_queue(c.app, c.deployment.host.somaxconn), unit="connections"),
    Fact(_A, "queue_capacity", "int", "requests that can wait for a slot: the accept queue, plus for gthread what "
         "the workers accept beyond their threads; unknown for other classes",
         lambda c: derived.queue_capacity(c.app, c["effective_worker_class"], c["accept_queue"]), unit="requests"),
    Fact(_A, "workers_from_cpu_count", "bool", "workers computed from `cpu_count()` & co.",
         lambda c: derived.workers_from_cpu_count(c.app)),
    Fact(_A, "timeout_bounds_requests", "bool", "a request that outlives `timeout` is killed (sync workers; uWSGI "
         "harakiri)", lambda c: derived.timeout_bounds_requests(c.app, c["effective_worker_class"])),
    Fact(_A, "max_request_time", "duration", "the longest a request can live in the app: `timeout` when it bounds "
         "requests, else `inf`", lambda c: derived.max_request_time(c.app, c["timeout_bounds_requests"]), unit="s"),
    Fact(_A, "backend_idle", "duration", "how long the app keeps an idle keep-alive connection (gunicorn "
         "`keepalive`, uvicorn `timeout_keep_alive`)", lambda c: derived.backend_idle(c.app), unit="s"),
    Fact(_A, "timeout_assumed", "bool", "`timeout` is gunicorn's default, set by nothing given: no config line, "
         "command line, GUNICORN_CMD_ARGS or WEB_CONCURRENCY", _assumed("timeout")),
    Fact(_A, "workers_assumed", "bool", "`workers` is gunicorn's default, set by nothing given", _assumed("workers")),
    Fact(_A, "command_line_given", "bool", "the command line that starts the server is among the inputs, so an "
         "option it does not pass is really unset",
         lambda c: dm.fact(c.app.source.line is not None, "the server's command line is an input", c.app.source)),
    Fact(_A, "bind_count", "int", "bind addresses (when the bind is known)", _with_known_bind(
        lambda app, bind: dm.fact(len(app.binds), "bind addresses", bind.source))),
    Fact(_A, "unix_bind", "bool", "one of the binds is a unix socket", _with_known_bind(
        lambda app, bind: dm.fact(any(address.kind == "unix" for address in app.binds), "a unix bind",
                                  bind.source))),
    # -- link -------------------------------------------------------------------------------------------------------
    Fact(_L, "socket", "text", "`unix` or `tcp`", lambda c: Setting(c.link.bind.kind, _link_bind_source(c))),
    Fact(_L, "target", "address", "the route's target address that reaches the app", lambda c: c.link.address),
    Fact(_L, "bind", "address", "the app's bind it reaches",
         lambda c: Setting(c.link.bind, _link_bind_source(c), str(c.link.bind))),
    Fact(_L, "match", "text", "how target and bind matched",
         lambda c: Setting(c.link.match, c.link.address.source)),
    Fact(_L, "upstream_keepalive_on", "bool", "nginx pools connections: upstream keepalive > 0 and "
         "proxy_http_version >= 1.1 (never for an implicit upstream)", _keepalive_on),
    Fact(_L, "connection_header_cleared", "bool", "nginx sends no `Connection: close` upstream",
         lambda c: derived.connection_header_cleared(c.link.route.headers, c.deployment.host.nginx_version,
                                                     c.link.route.pass_directive.source)),
    Fact(_L, "keepalive_pool", "int", "idle connections one nginx worker keeps to this app: the upstream's "
         "keepalive when pooling works and the worker class keeps connections, else 0", _keepalive_pool,
         unit="connections"),
    Fact(_L, "protocol", "text", "what the app speaks at the bind (`http`, `uwsgi`, ...)",
         lambda c: dm.bind_protocol(c.link, _link_bind_source(c))),
    Fact(_L, "protocol_ok", "bool", "the route's pass module speaks that protocol",
         lambda c: dm.protocol_ok(c.link.route, c["protocol"])),
    # -- model (built by advisor/engine/workload_facts.py) ------------------------------------------------------------
    Fact(_M, "workload_given", "bool", "a workload applies to this link (always known)", group="always"),
    Fact(_M, "modelled", "bool", "the link maps onto the queueing model (always known)", group="always"),
    Fact(_M, "rps", "number", "the offered load", unit="requests/s", group="workload"),
    Fact(_M, "service_time", "duration", "mean service time", unit="s", group="workload"),
    Fact(_M, "service", "text", "the service time distribution, described", group="workload"),
    Fact(_M, "budget", "number", "the error budget (`--error-budget`)", unit="share", group="workload"),
    Fact(_M, "offered_concurrency", "number", "rps × mean service time (Little's law)", unit="requests",
         group="workload"),
    Fact(_M, "family", "text", "the worker family as the model sees it", group="scenario"),
    Fact(_M, "servers", "int", "c: concurrent request slots", group="scenario"),
    Fact(_M, "queue_room", "int", "Q: requests that can wait for a slot", group="scenario"),
    Fact(_M, "read_timeout", "duration", "nginx's read timeout, the model's deadline T", unit="s", group="scenario"),
    Fact(_M, "capacity_rps", "number", "max throughput c / E[H]", unit="requests/s", group="scenario"),
    Fact(_M, "p_ok", "number", "predicted share of successful requests", unit="share", group="prediction"),
    Fact(_M, "p_502", "number", "predicted 502 share", unit="share", group="prediction"),
    Fact(_M, "p_504", "number", "predicted 504 share (read timeout)", unit="share", group="prediction"),
    Fact(_M, "p_504_connect", "number", "predicted 504 share (connect timeout)", unit="share", group="prediction"),
    Fact(_M, "p_500", "number", "predicted 500 share (killed workers)", unit="share", group="prediction"),
    Fact(_M, "error_share", "number", "predicted 502 + 504 + 500", unit="share", group="prediction"),
    Fact(_M, "utilization", "number", "predicted share of busy slots", unit="share", group="prediction"),
    Fact(_M, "rho", "number", "offered load over capacity", group="prediction"),
    Fact(_M, "goodput_rps", "number", "successful requests", unit="requests/s", group="prediction"),
    Fact(_M, "latency_p99_s", "duration", "p99 latency of successful requests", unit="s", group="prediction"),
    Fact(_M, "drain_time_s", "duration", "drain time of a full queue Q × E[H] / c", unit="s", group="prediction"),
    Fact(_M, "mean_holding_s", "duration", "E[H]: time a request holds a slot", unit="s", group="prediction"),
    Fact(_M, "collapse", "bool", "overloaded now and a full queue drains slower than T", group="prediction"),
    Fact(_M, "overload_collapse", "bool", "in overload a full queue drains slower than T: drain time + E[H] > T",
         group="prediction"),
    Fact(_M, "overload_rps", "number", "1.2 × capacity", unit="requests/s", group="prediction"),
    Fact(_M, "overload_p_ok", "number", "predicted ok share at 1.2 × capacity", unit="share", group="prediction"),
    Fact(_M, "overload_p_502", "number", "predicted 502 share at 1.2 × capacity", unit="share", group="prediction"),
    Fact(_M, "overload_p_504", "number", "predicted 504 share at 1.2 × capacity", unit="share", group="prediction"),
    Fact(_M, "overload_p_500", "number", "predicted 500 share at 1.2 × capacity", unit="share", group="prediction"),
    Fact(_M, "recommendations", "list", "recommend()'s settings in order, each \"setting (effect)\"",
         group="recommendation"),
    Fact(_M, "recommended_workers", "int", "workers for the target utilisation", group="recommendation"),
    Fact(_M, "recommended_backlog", "int", "the backlog that maximises the ok share", group="recommendation"),
    Fact(_M, "recommended_worker_connections", "int", "gthread worker_connections", group="recommendation"),
    Fact(_M, "recommended_queue", "text", "the recommended queue size (\"backlog = 8\"), or \"\" when the queue is "
         "fine", group="recommendation"),
    Fact(_M, "recommended_backlog_p_ok", "number", "ok share at 1.2 × capacity with only the recommended queue",
         unit="share", group="recommendation"),
    Fact(_M, "recommended_p_ok", "number", "ok share with every recommendation", unit="share",
         group="recommendation"),
    Fact(_M, "recommended_error_share", "number", "errors with every recommendation", unit="share",
         group="recommendation"),
    Fact(_M, "recommended_utilization", "number", "utilisation with every recommendation", unit="share",
         group="recommendation"),
    # -- nginx ------------------------------------------------------------------------------------------------------
    Fact("nginx", "root", "text", "the main config file",
         lambda c: Setting(c.deployment.nginx.root, Source.file(c.deployment.nginx.root, 1))),  # type: ignore
    Fact("nginx", "version", "version", "the nginx version whose defaults apply",
         lambda c: Setting(c.deployment.nginx.version,  # type: ignore[union-attr]
                           Source.default("nginx version assumed for defaults"))),
    Fact("nginx", "file_count", "int", "nginx files read",
         lambda c: dm.fact(len(c.deployment.nginx.files), "files read",  # type: ignore[union-attr]
                           Source.file(c.deployment.nginx.root, 1))),  # type: ignore[union-attr]
    # -- host -------------------------------------------------------------------------------------------------------
    Fact("host", "cpus", "int", "CPU count of the app host (`--cpus`; unknown without it)",
         lambda c: c.deployment.host.cpus),
    Fact("host", "somaxconn", "int", "net.core.somaxconn (`--somaxconn`, 4096 by default)",
         lambda c: c.deployment.host.somaxconn, unit="connections"),
    Fact("host", "somaxconn_assumed", "bool", "no `--somaxconn` given", _somaxconn_assumed),
    Fact("host", "nginx_version", "version", "the nginx version whose behaviour applies (compare with "
         "`version(\"1.29.7\")`)", _version_fact("nginx")),
    Fact("host", "gunicorn_version", "version", "the gunicorn version whose behaviour applies",
         _version_fact("gunicorn")),
    Fact("host", "env", "mapping", "the `--env` environment",
         lambda c: Setting(dict(c.deployment.host.env), Source.option("--env"))),
    # -- deployment -------------------------------------------------------------------------------------------------
    Fact("deployment", "route_count", "int", "routes", _deployment_fact(lambda d: len(d.routes), "routes")),
    Fact("deployment", "app_count", "int", "app servers", _deployment_fact(lambda d: len(d.apps), "app servers")),
    Fact("deployment", "link_count", "int", "links", _deployment_fact(lambda d: len(d.links), "links")),
    Fact("deployment", "has_nginx", "bool", "an nginx config was given",
         _deployment_fact(lambda d: d.nginx is not None, "an nginx config was given")),
    Fact("deployment", "has_app", "bool", "an app config was given",
         _deployment_fact(lambda d: bool(d.apps), "an app config was given")),
    Fact("deployment", "file_count", "int", "files read", _deployment_fact(
        lambda d: (len(d.nginx.files) if d.nginx is not None else 0) + len(d.apps), "files read")),
    Fact("deployment", "loader_errors", "int", "loader diagnostics of severity error", _deployment_fact(
        lambda d: sum(1 for item in d.diagnostics if item.severity == "error"),
        "loader diagnostics of severity error")),
    # Every ADV002 (missing, unreadable or unrendered include; a glob that matches nothing) whatever its severity: a
    # missing include is an info note now, but what it would add was not read all the same.
    Fact("deployment", "missing_includes", "int", "nginx includes that were not read (missing, unreadable, "
         "unrendered, or a glob that matches nothing)", _deployment_fact(
             lambda d: sum(1 for item in d.diagnostics if item.code == "ADV002"),
             "nginx includes that were not read")),
    # -- diagnostic -------------------------------------------------------------------------------------------------
    *(Fact("diagnostic", name, kind, description, _diagnostic_fact(name)) for name, kind, description in (
        ("code", "text", "the diagnostic's code (ADV###)"), ("message", "text", "its message"),
        ("path", "text", "the file"), ("line", "int", "the line"), ("column", "int", "the column"),
        ("fix", "text", "how to fix it"), ("severity", "text", "the loader's severity"))),
    # -- unknown_setting --------------------------------------------------------------------------------------------
    Fact("unknown_setting", "name", "text", "the name as assigned",
         lambda c: Setting(c.unknown.name, c.unknown.source, c.unknown.name)),  # type: ignore[union-attr]
    Fact("unknown_setting", "suggestion", "text", "the closest setting, or None",
         lambda c: Setting(c.unknown.suggestion, c.unknown.source)),  # type: ignore[union-attr]
    Fact("unknown_setting", "worker_count", "bool", "the name clearly means a worker count (`web_concurrency`; "
         "such helpers are listed only when `workers` is never assigned in the file)",
         lambda c: _means_worker_count(c)),
    Fact("unknown_setting", "server", "text", "`gunicorn`, `uvicorn` or `uwsgi`",
         lambda c: Setting(c.app.kind, c.app.source)),  # type: ignore[union-attr]
)


def _means_worker_count(c: FactContext) -> Setting:
    from advisor.loaders.gunicorn.worker_names import means_worker_count  # only for this scope's rules

    return Setting(means_worker_count(c.unknown.name), c.unknown.source)  # type: ignore[union-attr]


NAMESPACES: tuple[str, ...] = tuple(dict.fromkeys(fact.namespace for fact in FACTS))
FACTS_BY_NAMESPACE: dict[str, tuple[Fact, ...]] = {
    namespace: tuple(fact for fact in FACTS if fact.namespace == namespace) for namespace in NAMESPACES}


def fact_names(namespace: str, group: str | None = None) -> frozenset[str]:
    """The declared facts of a namespace (of one `group` when given)."""
    return frozenset(fact.name for fact in FACTS_BY_NAMESPACE.get(namespace, ())
                     if group is None or fact.group == group)


def fact_plan(namespace: str) -> dict[str, Derivation]:
    """name -> derivation of a namespace's derivable facts, built once per declaration tuple (tests swap them)."""
    declared = FACTS_BY_NAMESPACE.get(namespace, ())
    cached = _PLANS.get(namespace)
    if cached is None or cached[0] is not declared:
        cached = _PLANS[namespace] = (declared, {fact.name: fact.derive for fact in declared
                                                 if fact.derive is not None})
    return cached[1]


_PLANS: dict[str, tuple[tuple[Fact, ...], dict[str, Derivation]]] = {}
