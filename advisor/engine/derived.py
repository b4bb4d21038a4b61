"""Derived facts: values computed from settings, with provenance pointing at the settings they came from.

Every function takes Settings and returns a Setting. An unknown input makes the result unknown (with the input's
reason), so rules skip instead of guessing. The semantics are those of docs/failures.md (cap_per_worker, is_async,
backend_idle, upstream_keepalive_on) and docs/model.md#from-deployment-to-queue (accept queue =
min(backlog, somaxconn) + 1).
"""

from __future__ import annotations

from typing import Any, Callable

from advisor.model.deployment import AppServer, Setting, Source, Upstream, Version
from advisor.model.workers import effective_family, worker_family

INF = float("inf")
KEEPALIVE_DEFAULT_VERSION = Version(1, 29, 7)  # explicit upstreams keep 32 idle connections; HTTP/1.1 by default


def setting_or_missing(settings: dict[str, Setting], name: str, owner: str) -> Setting:
    found = settings.get(name)
    if found is not None:
        return found
    return Setting.unknown(f"{owner} has no value for {name!r} in the model")


def derive(formula: str, compute: Callable[..., Any], *inputs: Setting) -> Setting:
    """Apply `compute` to the input values; unknown inputs make the result unknown with the first input's reason."""
    for item in inputs:
        if not item.known:
            return Setting(None, Source.unknown(item.source.detail or "an input is unknown",
                                                item.source.path, item.source.line, item.source.column))
    value = compute(*(item.value for item in inputs))
    if isinstance(value, Setting):
        return value
    return Setting(value, Source.derived(formula, *(item.source for item in inputs)))


UWSGI_FAMILY = "uwsgi"  # a pool of processes × threads (or async cores), each serving one request at a time


def effective_worker_class(app: AppServer) -> Setting:
    """gunicorn switches `sync` with threads > 1 to gthread (gunicorn/config.py `worker_class`)."""
    if app.kind == "uvicorn":
        return Setting("uvicorn", Source.derived("standalone uvicorn (event loop)", app.source))
    if app.kind == "uwsgi":
        return Setting(UWSGI_FAMILY, Source.derived("uWSGI workers: processes × threads, one request per thread",
                                                    app.source))
    worker_class = setting_or_missing(app.settings, "worker_class", app.id)
    threads = setting_or_missing(app.settings, "threads", app.id)

    def compute(name: Any, thread_count: Any) -> Any:
        family = worker_family(name)
        if family is None:
            return Setting(None, Source.unknown(
                f"custom worker class {name!r}: its concurrency model is not known",
                worker_class.source.path, worker_class.source.line, worker_class.source.column))
        return effective_family(family, thread_count)

    return derive("worker_class (sync with threads > 1 runs as gthread)", compute, worker_class, threads)


def is_async(effective_class: Setting) -> Setting:
    """Whether a worker keeps serving other requests (and connections) while one is slow; uWSGI workers, like
    gunicorn's sync ones, answer one request per thread and close the connection."""
    return derive("worker class other than sync", lambda family: family not in ("sync", UWSGI_FAMILY),
                  effective_class)


def slots_per_worker(app: AppServer, effective_class: Setting) -> Setting:
    """Concurrent requests one worker handles: sync 1, gthread threads, gevent/eventlet worker_connections,
    standalone uvicorn its limit_concurrency when set, other event loops (asgi, uvicorn, tornado) unlimited."""
    if not effective_class.known:
        return effective_class
    family = effective_class.value
    if family == UWSGI_FAMILY:
        return uwsgi_cores(app)
    if family == "sync":
        return Setting(1, Source.derived("sync workers handle one request at a time", effective_class.source))
    if family == "gthread":
        threads = setting_or_missing(app.settings, "threads", app.id)
        return derive("threads per gthread worker", lambda count: max(int(count), 1), threads)
    if family in ("gevent", "eventlet"):
        connections = setting_or_missing(app.settings, "worker_connections", app.id)
        return derive("worker_connections per gevent worker", lambda count: int(count), connections)
    limit = app.settings.get("limit_concurrency") if app.kind == "uvicorn" else None
    if limit is not None and (not limit.known or limit.value):
        # standalone uvicorn answers connections beyond limit_concurrency with an immediate 503
        # (docs/failures.md#uvicorn-concurrency-limit)
        return derive("limit_concurrency per uvicorn worker process", lambda count: int(count), limit)
    return Setting(INF, Source.derived(f"{family} workers run an event loop without a concurrency limit",
                                       effective_class.source))


def uwsgi_cores(app: AppServer) -> Setting:
    """Requests one uWSGI worker serves at once: `threads` when above 1, else the async cores (`async`, `gevent`),
    else 1 (uWSGI's sanitize_args: threads override async)."""
    threads = setting_or_missing(app.settings, "threads", app.id)
    cores = setting_or_missing(app.settings, "async", app.id)
    gevent = setting_or_missing(app.settings, "gevent", app.id)

    def compute(thread_count: Any, async_cores: Any, gevent_cores: Any) -> int:
        if int(thread_count) > 1:
            return int(thread_count)
        return max(int(async_cores), int(gevent_cores), 1)

    return derive("uWSGI cores per worker: threads, else async/gevent cores", compute, threads, cores, gevent)


def concurrency(app: AppServer, slots: Setting) -> Setting:
    workers = setting_or_missing(app.settings, "workers", app.id)
    return derive("workers × slots per worker", lambda count, per: int(count) * per, workers, slots)


def accept_queue(app: AppServer, somaxconn: Setting) -> Setting:
    if app.kind == "uwsgi":  # every uWSGI socket listens with `listen`
        listen = setting_or_missing(app.settings, "listen", app.id)
        return derive("min(listen, somaxconn) + 1", lambda size, cap: min(int(size), int(cap)) + 1, listen,
                      somaxconn)
    backlog = setting_or_missing(app.settings, "backlog", app.id)
    return derive("min(backlog, somaxconn) + 1", lambda size, cap: min(int(size), int(cap)) + 1, backlog, somaxconn)


def timeout_bounds_requests(app: AppServer, effective_class: Setting) -> Setting:
    """Only sync workers are killed when one request outlives `timeout`
    (docs/failures.md#the-timeout-of-non-sync-workers)."""
    if app.kind == "uwsgi":  # harakiri kills the worker of a request that runs longer (any uWSGI worker)
        harakiri = setting_or_missing(app.settings, "harakiri", app.id)
        return derive("harakiri > 0", lambda seconds: seconds > 0, harakiri)
    timeout = setting_or_missing(app.settings, "timeout", app.id)
    return derive("sync worker and timeout > 0", lambda family, seconds: family == "sync" and seconds > 0,
                  effective_class, timeout)


def max_request_time(app: AppServer, bounds: Setting) -> Setting:
    """T_app_max: the longest a request can live in the app — `timeout` for sync workers, unlimited otherwise."""
    name = "harakiri" if app.kind == "uwsgi" else "timeout"
    timeout = setting_or_missing(app.settings, name, app.id)
    return derive(f"{name} if it bounds requests, else unlimited",
                  lambda bounded, seconds: float(seconds) if bounded else INF, bounds, timeout)


def backend_idle(app: AppServer) -> Setting:
    """How long the app keeps an idle keep-alive connection: gunicorn `keepalive` (also for UvicornWorker),
    standalone uvicorn `timeout_keep_alive`."""
    if app.kind == "uvicorn":
        return setting_or_missing(app.settings, "timeout_keep_alive", app.id)
    if app.kind == "uwsgi":
        return Setting.unknown("uWSGI closes the connection after each response unless its HTTP keep-alive "
                               "options are on, which advisor does not model")
    return setting_or_missing(app.settings, "keepalive", app.id)


def http_version_number(value: Any) -> float:
    return float(str(value).strip())


def http_version(route_settings: dict[str, Setting], route_kind: str, owner: str) -> Setting:
    if route_kind != "proxy":
        return Setting(None, Source.unknown(f"{route_kind}_pass does not speak HTTP to the backend"))
    version = setting_or_missing(route_settings, "proxy_http_version", owner)
    return derive("proxy_http_version", http_version_number, version)


def upstream_keepalive_on(upstream: Upstream | None, pass_source: Source, version: Setting) -> Setting:
    """keepalive > 0 on an explicit upstream (32 by default since nginx 1.29.7; the loader fills the default) and
    proxy_http_version >= 1.1. Implicit upstreams (`proxy_pass http://127.0.0.1:8000`) never pool connections."""
    if upstream is None:
        return Setting(False, Source.derived("implicit upstreams do not keep connections alive", pass_source))
    keepalive = setting_or_missing(upstream.settings, "keepalive", f"upstream {upstream.name}")

    def compute(connections: Any, http: Any) -> bool:
        return bool(connections) and float(connections) > 0 and float(http) >= 1.1

    return derive("upstream keepalive > 0 and proxy_http_version >= 1.1", compute, keepalive, version)


def connection_header_cleared(headers: dict[str, Setting], nginx_version: Version, pass_source: Source) -> Setting:
    """Whether nginx does *not* send `Connection: close` upstream (required for keep-alive before 1.29.7).

    Before 1.29.7 nginx sends `Connection: close` unless `proxy_set_header Connection "";` clears it; since 1.29.7
    it sends none by default. Only `close` stops the backend from keeping the connection: an explicit
    `keep-alive` or `upgrade` leaves it reusable (nginx caches a connection whose response did not ask to close).
    A value holding a variable (`$connection_upgrade`, usually mapped to `close`) cannot be decided statically.
    """
    for name, setting in headers.items():
        if name.lower() != "connection":
            continue
        if not setting.known:
            return setting
        value = str(setting.value or "").strip().strip('"').strip("'")
        if "$" in value:
            return Setting(None, Source.unknown(f"the Connection header is set from a variable ({value})",
                                                setting.source.path, setting.source.line, setting.source.column))
        tokens = {token.strip().lower() for token in value.split(",")}
        return Setting("close" not in tokens, setting.source, setting.raw)  # the header's own provenance
    cleared = not nginx_version < KEEPALIVE_DEFAULT_VERSION
    detail = (f"nginx {nginx_version} sends no Connection header by default" if cleared
              else f"nginx {nginx_version} sends Connection: close unless it is cleared")
    return Setting(cleared, Source.derived(detail, pass_source))


def keepalive_pool(upstream: Upstream | None, keepalive_on: Setting, cleared: Setting, asynchronous: Setting,
                   pass_source: Source) -> Setting:
    """Idle upstream connections one nginx worker can keep to this backend: the upstream's `keepalive` when pooling
    is on, nginx does not send `Connection: close`, and the worker class keeps connections (sync workers answer
    every request with `Connection: close`, so their pool stays empty). 0 otherwise."""
    if upstream is None:
        return Setting(0, Source.derived("implicit upstreams do not keep connections alive", pass_source))
    keepalive = setting_or_missing(upstream.settings, "keepalive", f"upstream {upstream.name}")

    def compute(on: Any, no_close: Any, is_async_class: Any, connections: Any) -> int:
        return int(connections or 0) if on and no_close and is_async_class else 0

    return derive("upstream keepalive when pooling is on and the backend keeps connections", compute,
                  keepalive_on, cleared, asynchronous, keepalive)


def queue_capacity(app: AppServer, effective_class: Setting, accept: Setting) -> Setting:
    """Requests that can wait for a free worker slot (docs/model.md#from-deployment-to-queue): the accept queue for
    sync workers; for gthread also what each worker accepts beyond its threads (up to worker_connections) and
    queues internally, invisible to nginx. Unknown for other worker classes (no bounded FIFO to model)."""
    if not effective_class.known:
        return effective_class
    family = effective_class.value
    if family in ("sync", UWSGI_FAMILY):  # uWSGI threads accept from the shared socket themselves
        return accept
    if family == "gthread":
        workers = setting_or_missing(app.settings, "workers", app.id)
        threads = setting_or_missing(app.settings, "threads", app.id)
        connections = setting_or_missing(app.settings, "worker_connections", app.id)
        return derive("accept queue + workers × (worker_connections − threads) queued inside gthread workers",
                      lambda queue, count, per, limit: int(queue) + int(count) * max(int(limit) - int(per), 0),
                      accept, workers, threads, connections)
    return Setting(None, Source.unknown(f"{family} workers have no bounded request queue advisor can model",
                                        effective_class.source.path, effective_class.source.line))


_CPU_COUNT_MARKERS = ("cpu_count(", "sched_getaffinity")


def workers_from_cpu_count(app: AppServer) -> Setting:
    """Whether `workers` is computed from the host's CPU count (`multiprocessing.cpu_count()`, `os.cpu_count()`,
    `len(os.sched_getaffinity(0))` ...): known from the loader's evaluation note even when --cpus is not given."""
    workers = setting_or_missing(app.settings, "workers", app.id)
    texts = [workers.source.detail or "", workers.raw or ""]
    texts.extend(item.detail or "" for item in workers.source.inputs)
    found = any(marker in text for text in texts for marker in _CPU_COUNT_MARKERS)
    position = workers.source if workers.source.position() is not None else app.source
    return Setting(found, Source.derived("workers computed from the host CPU count", position))


_STREAM_WORDS = frozenset({
    "sse", "stream", "streams", "streaming", "events", "event", "eventsource", "eventstream", "ws", "wss",
    "websocket", "websockets", "socket", "sockets", "socketio", "cable", "live", "poll", "longpoll", "subscribe",
    "subscriptions", "push", "realtime", "notifications", "channels",
})
STREAM_READ_TIMEOUT = 3600.0  # a read timeout of an hour or more is set for long-lived streams


def stream_hint(route_settings: dict[str, Setting], headers: dict[str, Setting], location: str | None,
                route_kind: str, block: Source) -> Setting:
    """Why a route looks like a stream (SSE, long-poll, WebSocket; docs/failures.md#buffering-and-streams), or ""
    when nothing says so: an `Upgrade` header passed upstream, a location named like a stream (`/events/`, `/ws/`,
    `/stream`), or a read timeout of an hour or more."""
    import re

    reasons: list[str] = []
    inputs: list[Source] = [block]
    upgrade = next((setting for name, setting in headers.items() if name.lower() == "upgrade"), None)
    if upgrade is not None and upgrade.known:
        reasons.append("it passes the WebSocket Upgrade header")
        inputs.append(upgrade.source)
    if location:
        words = {word.lower() for word in re.split(r"[^A-Za-z0-9]+", location) if word}
        if words & _STREAM_WORDS:
            reasons.append(f"location {location} is named like a stream")
    read_timeout = route_settings.get(f"{route_kind}_read_timeout")
    if read_timeout is not None and read_timeout.known and isinstance(read_timeout.value, (int, float)) \
            and read_timeout.value >= STREAM_READ_TIMEOUT:
        reasons.append(f"{route_kind}_read_timeout is {read_timeout.raw or read_timeout.value}")
        inputs.append(read_timeout.source)
    return Setting("; ".join(reasons), Source.derived("stream signals of the route", *inputs))


def failure_counted_servers(upstream: Upstream) -> Setting:
    """Servers of an upstream group that nginx marks unavailable after failures (max_fails > 0 and fail_timeout > 0,
    not `backup`/`down`): when every server of a group can be marked, failures can leave no live upstream."""
    count = 0
    for server in upstream.servers:
        params = server.params
        values = {name: params.get(name) for name in ("max_fails", "fail_timeout", "backup", "down")}
        if any(setting is None or not setting.known for setting in values.values()):
            return Setting(None, Source.unknown("an upstream server parameter is not known",
                                                server.source.path, server.source.line))
        if values["backup"].value or values["down"].value:  # type: ignore[union-attr]
            continue
        if values["max_fails"].value > 0 and values["fail_timeout"].value > 0:  # type: ignore[union-attr]
            count += 1
    return Setting(count, Source.derived("servers with max_fails > 0 and fail_timeout > 0", upstream.source))


def longest_fail_timeout(upstream: Upstream) -> Setting:
    """The longest `fail_timeout` of the group's servers (how long a server stays marked unavailable)."""
    values = [server.params.get("fail_timeout") for server in upstream.servers]
    known = [setting.value for setting in values if setting is not None and setting.known]
    if not known or len(known) != len(values):
        return Setting(None, Source.unknown("fail_timeout of an upstream server is not known", upstream.source.path,
                                            upstream.source.line))
    return Setting(float(max(known)), Source.derived("longest fail_timeout of the group", upstream.source))
