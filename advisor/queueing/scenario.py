"""One nginx route -> gunicorn link of the deployment as a queue, with the source of every number
(docs/model.md#from-deployment-to-queue).

Mapping (the judgement calls are documented here and printed as notes by `advisor model`):

* c, the concurrent request slots:
  * ``sync``: ``workers`` (``threads > 1`` makes gunicorn run gthread, as gunicorn itself does);
  * ``gthread``: ``workers × min(threads, worker_connections)``. With several workers and worker_connections >
    threads the pool is *partitioned*: every worker keeps accepting while its threads are busy and queues the
    connection inside itself, so the model has one queue per worker, fed by a random split over the workers
    (docs/model-worker-classes.md); otherwise one pooled queue;
  * ``gevent``/``eventlet``: ``workers × worker_connections`` greenlets. The model then assumes the event loop (CPU)
    is never the bottleneck, i.e. the service time is time spent waiting on I/O.
  * event loops (gunicorn's ``asgi``, ``uvicorn_worker.UvicornWorker``, ``tornado``; standalone uvicorn): every
    request is served at once (M/G/infinity) under the same I/O-bound assumption; standalone uvicorn's
    ``limit_concurrency`` L answers a request beyond it with an immediate 503 (Erlang loss per worker,
    ``event_loop.py``), c = ``workers × max(1, L − 1)``. Only with ``event_loops=True`` (``advisor model`` and
    ``advisor validate``, which show the 503 share and the approximation); other callers (the capacity rules, the
    access-log analysis) get a :class:`ScenarioError`, since their pool arithmetic does not hold for event loops.
* Q, the waiting room: ``min(backlog, net.core.somaxconn) + 1`` in the kernel accept queue. A gthread worker also
  accepts connections beyond its threads, up to ``worker_connections``, and queues them inside the worker, where
  nginx cannot see them (docs/failures.md#queued-inside-gthread-workers): Q then adds
  ``workers × (worker_connections − threads)``, as one FIFO queue for a single worker and as per-worker queues for
  several.
* T = ``proxy_read_timeout`` (the route's ``<kind>_read_timeout``), Tc = ``proxy_connect_timeout``.
* Tw = gunicorn ``timeout`` for sync workers only (0 disables it). For other worker classes the timeout is a
  heartbeat, not a bound on a request (docs/failures.md#the-timeout-of-non-sync-workers), so the model has no Tw.
* the socket kind (unix/tcp) comes from the address nginx connects to; the status of a request whose worker is
  killed from the gunicorn version (>= 22: 500 written by gunicorn, else 502).
* uWSGI (docs/model.md#uwsgi; constants in ``uwsgi_pool.py``): c = ``processes`` × ``threads`` when threads > 1, else
  × the async cores (``async``, ``gevent``); one pooled queue, since a thread accepts only when it is free; Q =
  ``min(listen, somaxconn) + 1``; Tw = ``harakiri`` (0: none), a kill nginx sees as a closed connection, so **502**;
  R = the master's 1-s respawn cycle. ``cheaper`` makes c vary (the model uses ``processes``, approximate). An HTTP
  router socket (``http = ...``) and a protocol mismatch are refused.

:func:`recommend` (in ``recommend.py``, re-exported here) turns the knobs (proxy_connect_timeout, workers, the queue
size, timeout) one after another and predicts each change's effect with the formulas.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from advisor.model.deployment import DEFAULT_GUNICORN_VERSION, AppServer, Deployment, Link, Route, Version
from advisor.model.provenance import Setting, Source
from advisor.model.workers import effective_family, queue_family, worker_family

from . import uwsgi_pool
from .params import LINEAR_SYN_RETRIES_S, LINUX_QUEUED_WORKER_WEIGHT, LINUX_SPLIT_RATIO, QueueParams, ServiceTime

__all__ = [
    "OVERLOAD_FACTOR",
    "Parameter",
    "PoolSettings",
    "Scenario",
    "ScenarioError",
    "describe_source",
    "iter_parameter_rows",
    "scenario_for_link",
]

OVERLOAD_FACTOR = 1.2  # "in overload" means 1.2x the capacity c/E[H] (docs/model.md#overload-and-the-drain-time)
TIMEOUT_MARGIN_S = 2.0  # gunicorn kills at Tw + up to 1 s (arbiter loop), plus 1 s to spare before nginx's 504
RESTART_DEFAULT_S = 0.5  # R: fork + app import of a replacement worker (model default)
WORKER_500_SINCE = Version(22, 0, 0)  # docs/failures.md#gunicorn-worker-timeout


class ScenarioError(Exception):
    """The link cannot be modelled (an unknown value, an unsupported worker model); the message says what to do."""


def describe_source(source: Source) -> str:
    """Short provenance: ``file:line`` (with the loader's detail), ``default (...)``, the option, or the formula."""
    if source.kind == "file":
        where = f"{source.path}:{source.line}" if source.line is not None else str(source.path)
        return f"{where} ({source.detail})" if source.detail else where
    if source.kind == "option":
        return str(source.detail)
    if source.kind == "default":
        return f"default ({source.detail})"
    if source.kind == "derived":
        inputs = [describe_source(item) for item in source.inputs]
        return f"{source.detail}" + (f" [{'; '.join(inputs)}]" if inputs else "")
    at = f" at {source.path}:{source.line}" if source.path and source.line else ""
    return f"unknown: {source.detail}{at}"


@dataclass(frozen=True)
class Parameter:
    """One model input with what it means here and the config values it came from (name, provenance) pairs."""

    symbol: str
    value: Any
    meaning: str
    sources: tuple[tuple[str, Source], ...]

    def where(self) -> str:
        if not self.sources:
            return "derived"
        if len(self.sources) == 1:
            return describe_source(self.sources[0][1])
        return "; ".join(f"{name}: {describe_source(source)}" for name, source in self.sources)

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "source": self.where(), "meaning": self.meaning,
                "provenance": {name: source.to_dict() for name, source in self.sources}}


@dataclass(frozen=True)
class PoolSettings:
    """The settings of one link that the model reads (and that recommendations change)."""

    family: str  # "sync", "gthread", "gevent", "event-loop" or "uwsgi" (processes × cores, one pooled queue)
    workers: int
    threads: int
    worker_connections: int
    backlog: int
    somaxconn: int
    read_timeout_s: float | None
    connect_timeout_s: float
    worker_timeout_s: float  # gunicorn `timeout` (uWSGI: `harakiri`) as configured; 0 = off
    socket: str  # "unix" or "tcp"
    worker_timeout_status: int  # 500 or 502
    restart_s: float = RESTART_DEFAULT_S
    worker_class: str = ""  # the named family (sync, gthread, gevent, uvicorn, asgi, ...), for validation runs
    concurrency_limit: int | None = None  # event loops: uvicorn's limit_concurrency per worker (None: no limit)

    @property
    def slots_per_worker(self) -> int:
        if self.family == "uwsgi":  # `threads` holds uWSGI's cores per worker (threads, else async cores)
            return max(1, self.threads)
        if self.family == "gthread":
            return max(1, min(self.threads, self.worker_connections))
        if self.family == "gevent":
            return max(1, self.worker_connections)
        if self.family == "event-loop" and self.concurrency_limit is not None:
            return max(1, self.concurrency_limit - 1)  # uvicorn counts the request's own connection
        return 1

    @property
    def servers(self) -> int:
        return self.workers * self.slots_per_worker

    @property
    def kernel_queue_room(self) -> int:
        return min(self.backlog, self.somaxconn) + 1

    @property
    def worker_queue_room(self) -> int:
        """Connections a gthread worker accepts beyond its threads (queued inside the worker, invisible to nginx)."""
        if self.family != "gthread":
            return 0
        return self.workers * max(0, self.worker_connections - self.threads)

    @property
    def queue_room(self) -> int:
        return self.kernel_queue_room + self.worker_queue_room

    @property
    def partitioned(self) -> bool:
        """Several gthread workers that queue connections inside themselves: one queue per worker."""
        return self.family == "gthread" and self.workers > 1 and self.worker_queue_room > 0

    @property
    def model_worker_timeout_s(self) -> float | None:
        """Tw as the model sees it: only a sync worker's timeout bounds one request; so does uWSGI's harakiri, for
        every worker (cut at harakiri itself, uwsgi_pool)."""
        if self.family in ("sync", "uwsgi") and self.worker_timeout_s > 0:
            return float(self.worker_timeout_s)
        return None

    @property
    def kill_lag_max_s(self) -> float:
        return uwsgi_pool.HARAKIRI_KILL_LAG_S if self.family == "uwsgi" else 1.0

    def queue_params(self, rps: float, service: ServiceTime) -> QueueParams:
        return QueueParams(
            servers=self.servers,
            queue_room=self.queue_room,
            arrival_rate=rps,
            service=service,
            read_timeout_s=self.read_timeout_s,
            connect_timeout_s=self.connect_timeout_s,
            worker_timeout_s=self.model_worker_timeout_s,
            restart_s=self.restart_s,
            kill_lag_max_s=self.kill_lag_max_s,
            socket=self.socket,
            worker_timeout_status=self.worker_timeout_status,
            syn_retry_schedule_s=LINEAR_SYN_RETRIES_S,
            backlog=self.backlog,
            somaxconn=self.somaxconn,
            workers=self.workers if self.family in ("gthread", "event-loop") else None,
            worker_room=self.worker_queue_room // self.workers if self.family == "gthread" else 0,
            queued_worker_weight=LINUX_QUEUED_WORKER_WEIGHT if self.partitioned else 1.0,
            split_ratio=LINUX_SPLIT_RATIO if self.partitioned else 1.0,
            unbounded=self.family == "event-loop",
            concurrency_limit=self.concurrency_limit if self.family == "event-loop" else None,
        )


@dataclass(frozen=True)
class Scenario:
    """A link as a queue: the settings, the QueueParams at the given load, every parameter with its provenance."""

    label: str  # "nginx.conf:23 location / -> gunicorn.conf.py"
    upstream: str  # the address as nginx names it: "127.0.0.1:8000" or "unix:/run/app.sock"
    route: Route
    app: AppServer
    settings: PoolSettings
    rps: float
    service: ServiceTime
    params: QueueParams
    parameters: dict[str, Parameter]
    setting_sources: dict[str, Source]  # config setting name -> where its value came from
    notes: tuple[str, ...] = ()
    nginx_prefix: str = "proxy"  # proxy, uwsgi, grpc...: the nginx directives are <prefix>_read_timeout etc.
    upstream_keepalive: int = 0  # idle keep-alive connections nginx keeps to this upstream (all nginx workers)
    shared_with: int = 1  # how many links (routes) reach the same app server
    cpus: int | None = None  # CPUs of the app host (--cpus), for the 2 x cpus + 1 workers guidance

    def with_settings(self, **changes: Any) -> Scenario:
        """The same link with some settings changed (parameters and sources describe the original config)."""
        settings = replace(self.settings, **changes)
        return replace(self, settings=settings, params=settings.queue_params(self.rps, self.service))

    def at_rps(self, rps: float) -> QueueParams:
        return self.settings.queue_params(rps, self.service)

    @property
    def capacity_rps(self) -> float:
        """Max throughput c / E[H]."""
        return self.params.servers / self.params.mean_holding_s

    def narrative_sources(self) -> dict[str, str]:
        """Setting name -> location, in the form `narrative.what_happens_when_busy` quotes after a value."""
        names = {"workers": "workers", "backlog": "backlog", "somaxconn": "somaxconn", "timeout": "timeout",
                 "proxy_read_timeout": f"{self.nginx_prefix}_read_timeout",
                 "proxy_connect_timeout": f"{self.nginx_prefix}_connect_timeout"}
        out = {}
        for key, name in names.items():
            source = self.setting_sources.get(name)
            if source is not None:
                out[key] = describe_source(source)
        return out


# -- building a scenario from a link ------------------------------------------------------------------------------


def _unknown_message(label: str, owner: str, name: str, setting: Setting) -> str:
    reason = (setting.source.detail or "its value is not known").rstrip(".")
    at = ""
    if setting.source.path:
        at = f"{setting.source.path}:{setting.source.line}: " if setting.source.line else f"{setting.source.path}: "
    hint = ""
    if "pass --" not in reason:
        hint = (" Give it a literal value in the config (advisor never runs configs), or pass --env NAME=VALUE / "
                "--cpus N when it depends on the environment or the host.")
    return f"{at}cannot model {label}: {owner} setting `{name}` is unknown: {reason}.{hint}"


class _Reader:
    """Reads the settings the model needs, records where each came from, and fails clearly on unknown values."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.sources: dict[str, Source] = {}

    def setting(self, settings: dict[str, Setting], name: str, owner: str) -> Setting:
        setting = settings.get(name)
        if setting is None:
            raise ScenarioError(f"cannot model {self.label}: {owner} has no value for `{name}`")
        if not setting.known or setting.value is None:
            raise ScenarioError(_unknown_message(self.label, owner, name, setting))
        self.sources[name] = setting.source
        return setting

    def _invalid(self, setting: Setting, name: str, problem: str) -> ScenarioError:
        return ScenarioError(f"{describe_source(setting.source)}: cannot model {self.label}: `{name}` is {problem}")

    def integer(self, settings: dict[str, Setting], name: str, owner: str, minimum: int) -> int:
        setting = self.setting(settings, name, owner)
        try:
            value = int(setting.value)
        except (TypeError, ValueError):
            raise self._invalid(setting, name, f"{setting.value!r}, not a number") from None
        if value < minimum:
            raise self._invalid(setting, name, f"{value}; it must be at least {minimum}")
        return value

    def seconds(self, settings: dict[str, Setting], name: str, owner: str, *, positive: bool) -> float:
        setting = self.setting(settings, name, owner)
        try:
            value = float(setting.value)
        except (TypeError, ValueError):
            raise self._invalid(setting, name, f"{setting.value!r}, not a duration") from None
        if value < 0 or (positive and value == 0):
            raise self._invalid(setting, name,
                                f"{value:g} s; the model needs a {'positive' if positive else 'non-negative'} value")
        return value


def _worker_timeout_status(deployment: Deployment) -> tuple[int, Source]:
    version = deployment.host.gunicorn_version
    status = 500 if not version < WORKER_500_SINCE else 502
    if version == DEFAULT_GUNICORN_VERSION:
        source = Source.default(f"gunicorn {version} assumed; pass --gunicorn-version")
    else:
        source = Source.option(f"--gunicorn-version {version}")
    return status, source


def _upstream_keepalive(route: Route, deployment: Deployment) -> int:
    """Idle keep-alive connections nginx may hold to this upstream: `keepalive N` per nginx worker process."""
    upstream = route.target.upstream
    if upstream is None:
        return 0
    setting = upstream.settings.get("keepalive")
    if setting is None or not setting.known or not isinstance(setting.value, (int, float)) or setting.value <= 0:
        return 0
    processes = 1
    if deployment.nginx is not None:
        workers = deployment.nginx.settings.get("worker_processes")
        if workers is not None and workers.known and isinstance(workers.value, int) and workers.value > 0:
            processes = workers.value
    return int(setting.value) * processes


def scenario_for_link(link: Link, deployment: Deployment, rps: float, service: ServiceTime, *,
                      event_loops: bool = False) -> Scenario:
    """Map ``link`` at ``rps`` requests/s with ``service`` onto the queueing model.

    Raises :class:`ScenarioError` (exit 2 for the command) when a value the model needs is unknown, naming the
    setting, the reason and the option to pass, or when the worker class is not a pool of request slots.
    ``event_loops=True`` models gunicorn event-loop workers (UvicornWorker, asgi, tornado) as serving every request
    at once instead of refusing them.
    """
    route, app = link.route, link.app
    label = f"{route.id} -> {app.id}"
    if app.kind not in ("gunicorn", "uwsgi", "uvicorn"):
        raise ScenarioError(f"cannot model {label}: the model covers gunicorn, uWSGI and uvicorn, not {app.kind}")
    if app.kind == "uvicorn" and not event_loops:
        raise ScenarioError(
            f"cannot model {label}: standalone uvicorn runs one event loop per worker, not a pool of c request "
            "slots, so the pool model does not apply (its limit_concurrency answers excess with immediate 503s "
            "instead of queueing); `advisor model` models it as an event loop")
    if app.kind == "uwsgi":
        refusal = uwsgi_pool.uwsgi_refusal(link)
        if refusal is not None:
            raise ScenarioError(f"cannot model {label}: {refusal}")
    address = link.address.value
    kind = getattr(address, "kind", None)
    if kind not in ("unix", "tcp"):
        raise ScenarioError(f"cannot model {label}: nginx connects to {address!r}, neither a unix socket nor TCP")
    read = _Reader(label)
    somaxconn_setting = deployment.host.somaxconn
    if not somaxconn_setting.known:
        raise ScenarioError(_unknown_message(label, "host", "somaxconn", somaxconn_setting))
    somaxconn = int(somaxconn_setting.value)
    if app.kind == "uwsgi":
        pool, status_source = _uwsgi_pool(app, read)
    elif app.kind == "uvicorn":
        pool, status_source = _uvicorn_pool(app, read)
    else:
        pool, status_source = _gunicorn_pool(app, deployment, read, label, event_loops)
    read.sources["somaxconn"] = somaxconn_setting.source

    prefix = route.kind
    nginx = "nginx"
    read_timeout = read.seconds(route.settings, f"{prefix}_read_timeout", nginx, positive=True)
    connect_timeout = read.seconds(route.settings, f"{prefix}_connect_timeout", nginx, positive=True)
    sources = read.sources

    settings = PoolSettings(**pool, somaxconn=somaxconn, read_timeout_s=read_timeout,
                            connect_timeout_s=connect_timeout, socket=kind)
    params = settings.queue_params(rps, service)
    parameters = _parameters(settings, params, sources, link, rps, service, status_source, prefix)
    shared = deployment.links_to_app(app)
    scenario = Scenario(
        label=label, upstream=str(address), route=route, app=app, settings=settings, rps=rps, service=service,
        params=params, parameters=parameters, setting_sources=sources, nginx_prefix=prefix,
        upstream_keepalive=_upstream_keepalive(route, deployment), shared_with=shared,
        cpus=int(deployment.host.cpus.value) if deployment.host.cpus.known else None,
    )
    return replace(scenario, notes=tuple(_notes(scenario)))


def _gunicorn_pool(app: AppServer, deployment: Deployment, read: _Reader, label: str,
                   event_loops: bool) -> tuple[dict[str, Any], Source]:
    """gunicorn's pool settings (PoolSettings fields without the nginx side) and the source of the kill status."""
    gunicorn = "gunicorn"
    worker_class = read.setting(app.settings, "worker_class", gunicorn)
    named = worker_family(worker_class.value)
    if named is None:
        raise ScenarioError(
            f"{describe_source(worker_class.source)}: cannot model {label}: custom worker class "
            f"{worker_class.value!r}: its concurrency model is not known (the model covers sync, gthread and gevent)")
    family = queue_family(named)
    if family == "event-loop" and not event_loops:
        raise ScenarioError(
            f"{describe_source(worker_class.source)}: cannot model {label}: worker class {worker_class.value!r} "
            "runs an event loop without a concurrency limit, not a pool of c request slots; the M/M/c/K model "
            "would need an invented c. Model a sync, gthread or gevent deployment, or measure with "
            "`advisor validate`")
    threads = 1
    if family in ("sync", "gthread"):
        threads = max(1, read.integer(app.settings, "threads", gunicorn, 0))
        family = queue_family(effective_family(named, threads))  # sync with threads > 1 runs as gthread
    workers = read.integer(app.settings, "workers", gunicorn, 1)
    worker_connections = 1000
    if family in ("gthread", "gevent"):
        worker_connections = read.integer(app.settings, "worker_connections", gunicorn, 1)
    backlog = read.integer(app.settings, "backlog", gunicorn, 0)
    timeout = 0.0
    if family == "sync":
        timeout = read.seconds(app.settings, "timeout", gunicorn, positive=False)
    elif "timeout" in app.settings:
        read.sources["timeout"] = app.settings["timeout"].source  # quoted in the note on non-sync timeouts
    status, status_source = _worker_timeout_status(deployment)
    return dict(family=family, workers=workers, threads=max(1, threads), worker_connections=worker_connections,
                backlog=backlog, worker_timeout_s=timeout, worker_timeout_status=status,
                worker_class=effective_family(named, threads)), status_source


def _uvicorn_pool(app: AppServer, read: _Reader) -> tuple[dict[str, Any], Source]:
    """Standalone uvicorn: `workers` event loops sharing one socket, its `backlog`, and `limit_concurrency`."""
    owner = "uvicorn"
    workers = read.integer(app.settings, "workers", owner, 1)
    backlog = read.integer(app.settings, "backlog", owner, 0)
    limit: int | None = None
    setting = app.settings.get("limit_concurrency")
    if setting is not None and not (setting.known and setting.value is None):
        limit = read.integer(app.settings, "limit_concurrency", owner, 1)
    elif setting is not None:
        read.sources["limit_concurrency"] = setting.source
    timeout = app.settings.get("timeout")
    if timeout is not None:
        read.sources["timeout"] = timeout.source
    status_source = Source.default("uvicorn has no worker timeout: no request is killed")
    return dict(family="event-loop", workers=workers, threads=1, worker_connections=1000, backlog=backlog,
                worker_timeout_s=0.0, worker_timeout_status=500, worker_class="uvicorn",
                concurrency_limit=limit), status_source


def _uwsgi_pool(app: AppServer, read: _Reader) -> tuple[dict[str, Any], Source]:
    """uWSGI's pool: processes × cores (threads when above 1, else the async cores, as uWSGI's sanitize_args), the
    listen queue and harakiri. Sources are recorded under uWSGI's names and, for the model's own knobs, under
    gunicorn's (`backlog` = listen, `timeout` = harakiri) so that every place quoting a knob finds its line."""
    owner = "uWSGI"
    workers = read.integer(app.settings, "workers", owner, 1)
    threads = read.integer(app.settings, "threads", owner, 0)
    if threads > 1:
        cores, kind = threads, "uwsgi"
    else:
        async_cores = read.integer(app.settings, "async", owner, 0)
        gevent = read.integer(app.settings, "gevent", owner, 0)
        cores = max(async_cores, gevent, 1)
        kind = "uwsgi" if cores == 1 else ("uwsgi-gevent" if gevent >= async_cores else "uwsgi-async")
    listen = read.integer(app.settings, "listen", owner, 0)
    harakiri = read.seconds(app.settings, "harakiri", owner, positive=False)
    read.sources["backlog"] = read.sources["listen"]
    read.sources["timeout"] = read.sources["harakiri"]
    for name in ("cheaper", "harakiri_graceful_timeout"):
        setting = app.settings.get(name)
        if setting is not None and setting.known:
            read.sources[name] = setting.source
    status_source = Source.default("uWSGI: harakiri kills the worker without an answer; nginx sees the connection "
                                   "closed and answers 502")
    return dict(family="uwsgi", workers=workers, threads=cores, worker_connections=1, backlog=listen,
                worker_timeout_s=harakiri, worker_timeout_status=uwsgi_pool.HARAKIRI_STATUS,
                restart_s=uwsgi_pool.RESPAWN_S, worker_class=kind), status_source


def _parameters(settings: PoolSettings, params: QueueParams, sources: dict[str, Source], link: Link, rps: float,
                service: ServiceTime, status_source: Source, prefix: str) -> dict[str, Parameter]:
    s = settings
    uwsgi = s.family == "uwsgi"
    if uwsgi:
        c = _uwsgi_slots(s, sources)
    elif s.family == "sync":
        c = Parameter("c", s.servers, f"sync workers ({s.workers})", (("workers", sources["workers"]),))
    elif s.family == "gthread":
        per = (f"threads {s.threads}" if s.threads <= s.worker_connections
               else f"worker_connections {s.worker_connections} (< threads {s.threads})")
        if s.partitioned:
            per += " (one queue per worker)"
        c = Parameter("c", s.servers, f"workers {s.workers} x {per}",
                      (("workers", sources["workers"]), ("threads", sources["threads"])))
    elif s.family == "event-loop" and s.concurrency_limit is not None:
        c = Parameter("c", s.servers, f"workers {s.workers} x (limit_concurrency {s.concurrency_limit} - 1): each "
                      "event loop serves every request at once up to the limit, which counts the request's own "
                      "connection, and answers the next one 503", (("workers", sources["workers"]),
                                                                   ("limit_concurrency",
                                                                    sources["limit_concurrency"])))
    elif s.family == "event-loop":
        c = Parameter("c", s.servers, f"workers {s.workers}, each an event loop without a concurrency limit: every "
                      "request is served at once", (("workers", sources["workers"]),))
    else:
        c = Parameter("c", s.servers, f"workers {s.workers} x worker_connections {s.worker_connections} greenlets",
                      (("workers", sources["workers"]), ("worker_connections", sources["worker_connections"])))
    standalone = link.app.kind == "uvicorn"
    queue_name = "listen" if uwsgi else "backlog"
    capped = f" - the {queue_name} is capped by somaxconn" if s.backlog > s.somaxconn else ""
    meaning = (f"accept queue min({queue_name} {s.backlog}, somaxconn {s.somaxconn}) + 1 = "
               f"{s.kernel_queue_room}{capped}")
    q_sources: list[tuple[str, Source]] = [(queue_name, sources["backlog"]), ("somaxconn", sources["somaxconn"])]
    if s.worker_queue_room:
        meaning += (f", + gthread in-worker queue workers {s.workers} x (worker_connections {s.worker_connections}"
                    f" - threads {s.threads}) = {s.worker_queue_room}"
                    + (" (each worker's own)" if s.partitioned else ""))
        q_sources.append(("worker_connections", sources["worker_connections"]))
    out = {
        "c": c,
        "Q": Parameter("Q", s.queue_room, meaning, tuple(q_sources)),
        "K": Parameter("K", params.capacity, "c + Q, the most connections the pool holds", ()),
        "backlog": Parameter("backlog", s.backlog, ("uWSGI listen (listen(2) argument of every socket)" if uwsgi
                                                    else f"{link.app.kind} backlog (listen(2) argument)"),
                             ((queue_name, sources["backlog"]),)),
        "somaxconn": Parameter("somaxconn", s.somaxconn, f"net.core.somaxconn of the app host (caps the {queue_name})",
                               (("somaxconn", sources["somaxconn"]),)),
        "lambda": Parameter("lambda", rps, "offered load, requests/s (Poisson arrivals)",
                            (("--rps", Source.option(f"--rps {rps:g}")),)),
        "S": Parameter("S", service.mean_s, f"mean service time: {service.describe()}",
                       (("--service-time", Source.option("--service-time")),)),
        "T": Parameter("T", s.read_timeout_s, f"{prefix}_read_timeout: deadline on queue wait + service (504)",
                       ((f"{prefix}_read_timeout", sources[f"{prefix}_read_timeout"]),)),
        "Tc": Parameter("Tc", s.connect_timeout_s,
                        f"{prefix}_connect_timeout" + (": how long a dropped SYN is retried (504)" if s.socket == "tcp"
                                                       else " (not used: a full unix socket refuses at once)"),
                        ((f"{prefix}_connect_timeout", sources[f"{prefix}_connect_timeout"]),)),
    }
    if uwsgi:
        tw_meaning = ("uWSGI harakiri: the master kills the worker of a longer request (within about 1 s of it: "
                      "its clock ticks in whole seconds)" if s.worker_timeout_s > 0
                      else "uWSGI harakiri 0: off, a slow request holds its worker until it finishes")
    elif s.family == "sync":
        tw_meaning = ("gunicorn timeout: a sync worker running longer is killed" if s.worker_timeout_s > 0
                      else "gunicorn timeout 0: off, a slow request holds its worker until it finishes")
    elif standalone:
        tw_meaning = "none: uvicorn has no worker timeout, a slow request runs until it finishes"
    else:
        tw_meaning = (f"none: for {s.family} workers gunicorn's timeout is a heartbeat, not a limit on one request "
                      "(docs/failures.md#the-timeout-of-non-sync-workers)")
    tw_sources = (("harakiri" if uwsgi else "timeout", sources["timeout"]),) if "timeout" in sources else ()
    out["Tw"] = Parameter("Tw", s.model_worker_timeout_s, tw_meaning, tw_sources)
    if standalone:
        out["socket"] = Parameter("socket", s.socket, f"nginx connects to {link.address.value}",
                                  (("address", link.address.source),))
        return out
    if uwsgi:
        out["R"] = Parameter("R", s.restart_s, "restart time of a killed worker: uWSGI's master re-forks it on its "
                             "next 1-s cycle", (("R", Source.default("measured with uWSGI 2.0.30")),))
    else:
        out["R"] = Parameter("R", s.restart_s, "restart time of a killed worker (fork + app import)",
                             (("R", Source.default("model assumption")),))
    out["socket"] = Parameter("socket", s.socket, f"nginx connects to {link.address.value}",
                              (("address", link.address.source),))
    out["worker_timeout_status"] = Parameter(
        "worker_timeout_status", s.worker_timeout_status,
        ("status of a request whose worker harakiri kills (uWSGI writes nothing: nginx answers 502)" if uwsgi
         else "status of a request whose worker is killed (gunicorn >= 22 writes 500; older: 502)"),
        (("uwsgi" if uwsgi else "gunicorn_version", status_source),))
    return out


def _uwsgi_slots(s: PoolSettings, sources: dict[str, Source]) -> Parameter:
    cores = {"uwsgi-async": "async cores", "uwsgi-gevent": "gevent cores"}.get(s.worker_class, "threads")
    names: list[tuple[str, Source]] = [("processes", sources["workers"])]
    if s.threads > 1:
        names.append((cores.split()[0], sources[cores.split()[0]]))
    per = f" x {cores} {s.threads}" if s.threads > 1 else " (one request each)"
    return Parameter("c", s.servers, f"uWSGI processes {s.workers}{per}", tuple(names))


def _notes(scenario: Scenario) -> list[str]:
    s = scenario.settings
    notes: list[str] = []
    if scenario.shared_with > 1:
        notes.append(f"{scenario.shared_with} routes reach this app server and share its workers: --rps is taken as "
                     "the total load on the app server, and each route is modelled with its own nginx timeouts.")
    if s.family == "gthread":
        notes.append(
            f"gthread: each worker accepts up to worker_connections {s.worker_connections} "
            f"({describe_source(scenario.setting_sources['worker_connections'])}) and queues connections beyond its "
            f"{s.threads} threads inside the worker, where nginx cannot see them: nginx's connect succeeds at "
            f"once, so those requests can only time out (504), never be refused fast. "
            + (f"Each of the {s.workers} workers keeps accepting while its threads are busy, so a request can wait "
               "in one worker while another is idle: the model has one queue per worker, fed by a random split "
               "that the kernel decides (measured: uneven, in a fixed order of preference, and favouring workers "
               "that already queue). Setting worker_connections = threads moves the queue into the shared kernel "
               "backlog."
               if s.partitioned else f"The model counts these {s.worker_queue_room} places as queue room."))
        if scenario.upstream_keepalive:
            notes.append(f"nginx keeps up to {scenario.upstream_keepalive} idle keep-alive connections to this "
                         "upstream; in gthread they hold worker_connections slots (not modelled).")
    standalone = scenario.app.kind == "uvicorn"
    if s.family in ("gthread", "gevent", "event-loop") and not standalone:
        at = scenario.setting_sources.get("timeout")
        notes.append(f"gunicorn's timeout ({describe_source(at) if at else 'default'}) does not bound a request for "
                     f"{s.family} workers: only nginx's {scenario.nginx_prefix}_read_timeout cuts a slow "
                     "request, "
                     "and the worker keeps running it.")
    if s.family == "event-loop":
        notes.extend(_event_loop_notes(scenario))
    if s.family == "gevent":
        notes.append("gevent: the model assumes the event loop is never the bottleneck (the service time is time "
                     "spent waiting on I/O); CPU-bound requests serialise in the loop and make this optimistic.")
    deadline = s.read_timeout_s
    if s.family == "sync" and deadline is not None and deadline < TIMEOUT_MARGIN_S + 1:
        notes.append(f"{scenario.nginx_prefix}_read_timeout {deadline:g} s is too short for gunicorn's timeout "
                     f"(whole seconds) to fire before it: a request running longer ends as a 504 while its sync "
                     f"worker keeps working until it finishes or the timeout {s.worker_timeout_s:g} s kills it.")
    if s.family == "uwsgi":
        notes.extend(_uwsgi_notes(scenario))
    elif s.backlog > s.somaxconn:
        notes.append(f"backlog {s.backlog} is above net.core.somaxconn {s.somaxconn}: the kernel silently caps it, "
                     f"so the accept queue holds {s.kernel_queue_room}.")
    return notes


def _event_loop_notes(scenario: Scenario) -> list[str]:
    s = scenario.settings
    what = "uvicorn workers" if scenario.app.kind == "uvicorn" else f"{s.worker_class or 'event-loop'} workers"
    notes = [f"{what}: every request is served at once, nothing waits in a queue; the model assumes requests spend "
             "their time awaiting I/O. A CPU-bound handler blocks its worker's event loop (requests then run one "
             "at a time per worker) and makes this optimistic."]
    if scenario.app.kind == "uvicorn":
        notes.append(f"uvicorn has no worker timeout: only nginx's {scenario.nginx_prefix}_read_timeout cuts a slow "
                     "request (504), and the handler keeps running.")
    limit = s.concurrency_limit
    if limit is None:
        return notes
    where = describe_source(scenario.setting_sources["limit_concurrency"])
    if limit <= 1:
        notes.append(f"limit_concurrency {limit} ({where}): uvicorn counts the request's own connection, so every "
                     "request is answered 503 Service Unavailable at once.")
        return notes
    notes.append(f"limit_concurrency {limit} ({where}): each of the {s.workers} workers answers a request with an "
                 f"immediate 503 Service Unavailable (from uvicorn, not nginx) while it holds {limit} connections, "
                 f"the new one included, so it serves at most {limit - 1} at once. The model takes an even random "
                 "split of connections over the workers (approximate).")
    if scenario.upstream_keepalive:
        notes.append(f"nginx keeps up to {scenario.upstream_keepalive} idle keep-alive connections to this "
                     "upstream; uvicorn counts idle connections against limit_concurrency too (not modelled: more "
                     "503s than predicted).")
    return notes


def _uwsgi_notes(scenario: Scenario) -> list[str]:
    s, app, sources = scenario.settings, scenario.app, scenario.setting_sources

    def value(name: str) -> object:
        setting = app.settings.get(name)
        return setting.value if setting is not None and setting.known else None

    notes: list[str] = []
    cheaper = value("cheaper")
    if isinstance(cheaper, int) and cheaper > 0:
        notes.append(f"cheaper {cheaper} ({describe_source(sources['cheaper'])}): uWSGI runs between {cheaper} and "
                     f"{s.workers} processes as the load changes; the model uses all {s.workers}, so c varies and "
                     "the prediction is approximate (optimistic while fewer workers run).")
    if s.worker_class in ("uwsgi-async", "uwsgi-gevent"):
        notes.append(f"{s.worker_class.split('-')[1]} cores: the model assumes the loop is never the bottleneck (the "
                     "service time is time spent waiting on I/O); CPU-bound requests make this optimistic.")
    if s.worker_timeout_s > 0:
        if s.threads > 1:
            notes.append(f"harakiri kills the whole worker: the other requests its {s.threads} "
                         f"{'threads' if s.worker_class == 'uwsgi' else 'cores'} are serving end as 502 too, which "
                         "the model does not count (approximate).")
        graceful = value("harakiri_graceful_timeout")
        if isinstance(graceful, int) and graceful > 0:
            notes.append(f"harakiri-graceful-timeout {graceful} "
                         f"({describe_source(sources['harakiri_graceful_timeout'])}): uWSGI first sends SIGTERM, "
                         "which ends a uWSGI worker at once, so the model cuts at harakiri; only an app that handles "
                         f"SIGTERM itself keeps running up to {graceful} s longer.")
        if value("lazy_apps") or value("lazy"):
            notes.append("lazy-apps: a respawned worker imports the app before it accepts again; R (1 s, the "
                         "master's cycle) does not include that import.")
    if s.backlog > s.somaxconn:
        notes.append(f"listen {s.backlog} is above net.core.somaxconn {s.somaxconn}: uWSGI exits at start-up on "
                     "Linux (see `advisor check`); the model caps the queue as the kernel would, which describes a "
                     f"host whose somaxconn is at least {s.backlog} only if you pass --somaxconn with its value.")
    return notes


def iter_parameter_rows(scenario: Scenario) -> Iterable[Parameter]:
    order = ("c", "Q", "K", "backlog", "somaxconn", "lambda", "S", "T", "Tc", "Tw", "R", "socket",
             "worker_timeout_status")
    return (scenario.parameters[key] for key in order if key in scenario.parameters)
