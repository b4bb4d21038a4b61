"""Derived facts: values computed from settings, with provenance pointing at the settings they came from.

Every function takes Settings and returns a Setting. An unknown input makes the result unknown (with the input's
reason), so rules skip instead of guessing. Formulas follow failure-modes.md §4 (cap_per_worker, is_async,
backend_idle, upstream_keepalive_on) and queueing.md §4 (accept queue = min(backlog, somaxconn) + 1).
"""

from __future__ import annotations

from typing import Any, Callable

from advisor.model.deployment import AppServer, Setting, Source, Upstream, Version

INF = float("inf")
KEEPALIVE_DEFAULT_VERSION = Version(1, 29, 7)  # explicit upstreams keep 32 idle connections; HTTP/1.1 by default

_WORKER_FAMILIES: dict[str, str] = {
    "sync": "sync", "syncworker": "sync",
    "gthread": "gthread", "threadworker": "gthread",
    "gevent": "gevent", "gevent_wsgi": "gevent", "gevent_pywsgi": "gevent", "geventworker": "gevent",
    "geventpywsgiworker": "gevent",
    "eventlet": "eventlet", "eventletworker": "eventlet",
    "tornado": "tornado", "tornadoworker": "tornado",
    "asgi": "asgi", "asgiworker": "asgi",
    "uvicornworker": "uvicorn", "uvicornh11worker": "uvicorn",
}


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


def worker_family(worker_class: str) -> str | None:
    """Map `sync`, `gthread`, `gunicorn.workers.ggevent.GeventWorker`, `uvicorn_worker.UvicornWorker`,
    `egg:gunicorn#gevent` ... to sync/gthread/gevent/eventlet/tornado/asgi/uvicorn; None for a custom class."""
    text = str(worker_class).strip()
    if "#" in text:
        text = text.rsplit("#", 1)[1]
    last = text.rsplit(".", 1)[-1].lower()
    return _WORKER_FAMILIES.get(last)


def effective_worker_class(app: AppServer) -> Setting:
    """gunicorn switches `sync` with threads > 1 to gthread (gunicorn/config.py `worker_class`)."""
    if app.kind == "uvicorn":
        return Setting("uvicorn", Source.derived("standalone uvicorn (event loop)", app.source))
    worker_class = setting_or_missing(app.settings, "worker_class", app.id)
    threads = setting_or_missing(app.settings, "threads", app.id)

    def compute(name: Any, thread_count: Any) -> Any:
        family = worker_family(name)
        if family is None:
            return Setting(None, Source.unknown(
                f"custom worker class {name!r}: its concurrency model is not known",
                worker_class.source.path, worker_class.source.line, worker_class.source.column))
        if family == "sync" and isinstance(thread_count, (int, float)) and thread_count > 1:
            return "gthread"
        return family

    return derive("worker_class (sync with threads > 1 runs as gthread)", compute, worker_class, threads)


def is_async(effective_class: Setting) -> Setting:
    return derive("worker class other than sync", lambda family: family != "sync", effective_class)


def slots_per_worker(app: AppServer, effective_class: Setting) -> Setting:
    """Concurrent requests one worker handles: sync 1, gthread threads, gevent/eventlet worker_connections, event
    loops (asgi, uvicorn, tornado) unlimited."""
    if not effective_class.known:
        return effective_class
    family = effective_class.value
    if family == "sync":
        return Setting(1, Source.derived("sync workers handle one request at a time", effective_class.source))
    if family == "gthread":
        threads = setting_or_missing(app.settings, "threads", app.id)
        return derive("threads per gthread worker", lambda count: max(int(count), 1), threads)
    if family in ("gevent", "eventlet"):
        connections = setting_or_missing(app.settings, "worker_connections", app.id)
        return derive("worker_connections per gevent worker", lambda count: int(count), connections)
    return Setting(INF, Source.derived(f"{family} workers run an event loop without a concurrency limit",
                                       effective_class.source))


def concurrency(app: AppServer, slots: Setting) -> Setting:
    workers = setting_or_missing(app.settings, "workers", app.id)
    return derive("workers × slots per worker", lambda count, per: int(count) * per, workers, slots)


def accept_queue(app: AppServer, somaxconn: Setting) -> Setting:
    backlog = setting_or_missing(app.settings, "backlog", app.id)
    return derive("min(backlog, somaxconn) + 1", lambda size, cap: min(int(size), int(cap)) + 1, backlog, somaxconn)


def timeout_bounds_requests(app: AppServer, effective_class: Setting) -> Setting:
    """Only sync workers are killed when one request outlives `timeout` (failure-modes.md §1.2, P10)."""
    timeout = setting_or_missing(app.settings, "timeout", app.id)
    return derive("sync worker and timeout > 0", lambda family, seconds: family == "sync" and seconds > 0,
                  effective_class, timeout)


def max_request_time(app: AppServer, bounds: Setting) -> Setting:
    """T_app_max: the longest a request can live in the app — `timeout` for sync workers, unlimited otherwise."""
    timeout = setting_or_missing(app.settings, "timeout", app.id)
    return derive("timeout if it bounds requests (sync), else unlimited",
                  lambda bounded, seconds: float(seconds) if bounded else INF, bounds, timeout)


def backend_idle(app: AppServer) -> Setting:
    """How long the app keeps an idle keep-alive connection: gunicorn `keepalive` (also for UvicornWorker),
    standalone uvicorn `timeout_keep_alive`."""
    if app.kind == "uvicorn":
        return setting_or_missing(app.settings, "timeout_keep_alive", app.id)
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
    """Whether nginx sends no `Connection` header upstream (required for keep-alive before 1.29.7).

    Before 1.29.7 nginx sends `Connection: close` unless `proxy_set_header Connection "";` clears it; since 1.29.7
    it sends none by default. A value holding a variable (`$connection_upgrade`) cannot be decided statically.
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
        return Setting(value == "", Source.derived('proxy_set_header Connection ""', setting.source))
    cleared = not nginx_version < KEEPALIVE_DEFAULT_VERSION
    detail = (f"nginx {nginx_version} sends no Connection header by default" if cleared
              else f"nginx {nginx_version} sends Connection: close unless it is cleared")
    return Setting(cleared, Source.derived(detail, pass_source))
