"""Derived facts (failure-modes.md §4 notation): worker class, concurrency, accept queue, keep-alive."""

from __future__ import annotations

import pytest
from engine_builders import app_server, at, upstream_block

from advisor.engine import catalog, derived
from advisor.model.deployment import Setting, Source, Version

INF = float("inf")


@pytest.mark.parametrize(("name", "family"), [
    ("sync", "sync"), ("gunicorn.workers.sync.SyncWorker", "sync"), ("gthread", "gthread"),
    ("gunicorn.workers.gthread.ThreadWorker", "gthread"), ("gevent", "gevent"), ("gevent_pywsgi", "gevent"),
    ("egg:gunicorn#gevent", "gevent"), ("uvicorn.workers.UvicornWorker", "uvicorn"),
    ("uvicorn_worker.UvicornH11Worker", "uvicorn"), ("asgi", "asgi"), ("tornado", "tornado"),
    ("myapp.CustomWorker", None),
])
def test_worker_family(name, family):
    assert derived.worker_family(name) == family


@pytest.mark.parametrize(("settings", "family", "is_async", "slots", "concurrency"), [
    ({}, "sync", False, 1, 1),
    ({"workers": (4, 1), "threads": (8, 2)}, "gthread", True, 8, 32),  # sync + threads > 1 runs gthread
    ({"workers": (2, 1), "worker_class": ("gevent", 2), "worker_connections": (500, 3)}, "gevent", True, 500, 1000),
    ({"workers": (3, 1), "worker_class": ("uvicorn_worker.UvicornWorker", 2)}, "uvicorn", True, INF, INF),
])
def test_worker_model(settings, family, is_async, slots, concurrency):
    app = app_server(settings)
    effective = derived.effective_worker_class(app)
    assert effective.value == family
    assert derived.is_async(effective).value is is_async
    slot_setting = derived.slots_per_worker(app, effective)
    assert slot_setting.value == slots
    assert derived.concurrency(app, slot_setting).value == concurrency


def test_derived_facts_keep_provenance():
    app = app_server({"threads": (4, 7)})
    effective = derived.effective_worker_class(app)
    assert effective.source.kind == "derived"
    assert effective.source.position().line == 7  # the threads line is the first input with a position


def test_unknown_input_propagates():
    app = app_server()
    app.settings["workers"] = Setting.unknown("WEB_CONCURRENCY is not set", "g.py", 2)
    result = derived.concurrency(app, Setting(1, Source.default("x")))
    assert not result.known and result.source.detail == "WEB_CONCURRENCY is not set"


def test_accept_queue_is_min_backlog_somaxconn_plus_one():
    assert derived.accept_queue(app_server(), Setting(4096, Source.default("x"))).value == 2049
    assert derived.accept_queue(app_server({"backlog": (5000, 2)}), Setting(4096, Source.default("x"))).value == 4097
    assert derived.accept_queue(app_server(), Setting(128, Source.default("x"))).value == 129


def test_request_time_bounds():
    sync = app_server({"timeout": (60, 2)})
    bounds = derived.timeout_bounds_requests(sync, derived.effective_worker_class(sync))
    assert bounds.value is True and derived.max_request_time(sync, bounds).value == 60
    disabled = app_server({"timeout": (0, 2)})
    bounds = derived.timeout_bounds_requests(disabled, derived.effective_worker_class(disabled))
    assert bounds.value is False and derived.max_request_time(disabled, bounds).value == INF
    threaded = app_server({"threads": (4, 2)})
    assert derived.timeout_bounds_requests(threaded, derived.effective_worker_class(threaded)).value is False


@pytest.mark.parametrize(("keepalive", "http_version", "on"), [
    ((32, None), "1.1", True), ((0, 4), "1.1", False), ((16, 4), "1.0", False), ((None, None), "1.1", False),
])
def test_upstream_keepalive_on(keepalive, http_version, on):
    upstream = upstream_block(keepalive=keepalive)
    result = derived.upstream_keepalive_on(upstream, at(10), Setting(float(http_version), Source.default("x")))
    assert result.value is on


def test_implicit_upstream_never_keeps_alive():
    assert derived.upstream_keepalive_on(None, at(10), Setting(1.1, Source.default("x"))).value is False


@pytest.mark.parametrize(("headers", "version", "cleared"), [
    ({}, Version(1, 30, 0), True), ({}, Version(1, 28, 0), False),
    ({"Connection": ""}, Version(1, 28, 0), True), ({"connection": '""'}, Version(1, 22, 1), True),
    ({"Connection": "close"}, Version(1, 30, 0), False),
    ({"Connection": "$connection_upgrade"}, Version(1, 30, 0), None),
    ({"Connection": "keep-alive"}, Version(1, 28, 0), True),  # only `close` makes the backend close
    ({"Connection": "Upgrade"}, Version(1, 28, 0), True),
    ({"Connection": "Close"}, Version(1, 30, 0), False),
])
def test_connection_header_cleared(headers, version, cleared):
    settings = {name: Setting(value, at(12)) for name, value in headers.items()}
    result = derived.connection_header_cleared(settings, version, at(10))
    assert result.value is cleared and result.known is (cleared is not None)


def test_connection_header_keeps_the_header_position():
    """Set in the config, the fact points at the proxy_set_header line (is_set() sees it as set by the user)."""
    result = derived.connection_header_cleared({"Connection": Setting("close", at(12))}, Version(1, 24, 0), at(10))
    assert result.explicit and result.source.line == 12
    assert not derived.connection_header_cleared({}, Version(1, 24, 0), at(10)).explicit


@pytest.mark.parametrize(("on", "cleared", "is_async", "pool"), [
    (True, True, True, 32), (True, True, False, 0), (True, False, True, 0), (False, True, True, 0),
])
def test_keepalive_pool(on, cleared, is_async, pool):
    upstream = upstream_block(keepalive=(32, 4))
    result = derived.keepalive_pool(upstream, Setting(on, at(1)), Setting(cleared, at(2)), Setting(is_async, at(3)),
                                    at(10))
    assert result.value == pool


def test_keepalive_pool_implicit_upstream_and_unknown_class():
    assert derived.keepalive_pool(None, Setting(False, at(1)), Setting(True, at(2)), Setting(True, at(3)),
                                  at(10)).value == 0
    unknown = derived.keepalive_pool(upstream_block(), Setting(True, at(1)), Setting(True, at(2)),
                                     Setting.unknown("custom worker class"), at(10))
    assert not unknown.known


@pytest.mark.parametrize(("settings", "capacity"), [
    ({}, 2049),  # sync: the accept queue
    ({"backlog": (64, 2)}, 65),
    ({"workers": (5, 1), "threads": (4, 2)}, 2049 + 5 * (1000 - 4)),  # gthread queues inside the workers too
    ({"workers": (2, 1), "threads": (8, 2), "worker_connections": (8, 3), "backlog": (16, 4)}, 17),
])
def test_queue_capacity(settings, capacity):
    app = app_server(settings)
    effective = derived.effective_worker_class(app)
    accept = derived.accept_queue(app, Setting(4096, Source.default("x")))
    assert derived.queue_capacity(app, effective, accept).value == capacity


def test_queue_capacity_unknown_for_event_loops():
    app = app_server({"worker_class": ("gevent", 2)})
    effective = derived.effective_worker_class(app)
    result = derived.queue_capacity(app, effective, derived.accept_queue(app, Setting(4096, Source.default("x"))))
    assert not result.known and "gevent" in result.source.detail


def test_workers_from_cpu_count():
    app = app_server()
    app.settings["workers"] = Setting(5, Source("file", "g.py", 4, 1, "multiprocessing.cpu_count() = 2",
                                                (Source.option("--cpus 2"),)), "multiprocessing.cpu_count() * 2 + 1")
    assert derived.workers_from_cpu_count(app).value is True
    app.settings["workers"] = Setting.unknown("cpu_count() depends on the host; pass --cpus N", "g.py", 4)
    assert derived.workers_from_cpu_count(app).value is True
    assert derived.workers_from_cpu_count(app_server({"workers": (4, 2)})).value is False


@pytest.mark.parametrize(("location", "headers", "read_timeout", "hint"), [
    ("/events/", {}, 60.0, "location /events/ is named like a stream"),
    ("/api/ws", {}, 60.0, "location /api/ws is named like a stream"),
    ("/", {"Upgrade": "$http_upgrade"}, 60.0, "it passes the WebSocket Upgrade header"),
    ("/", {}, 86400.0, "proxy_read_timeout is 1d"),
    ("/api/", {}, 60.0, ""),
    ("/eventsmanager/", {}, 60.0, ""),  # whole words only
])
def test_stream_hint(location, headers, read_timeout, hint):
    settings = {"proxy_read_timeout": Setting(read_timeout, at(5), "1d" if read_timeout > 3600 else "60s")}
    header_settings = {name: Setting(value, at(6)) for name, value in headers.items()}
    assert derived.stream_hint(settings, header_settings, location, "proxy", at(4)).value == hint


def _server(line, **params):
    from advisor.loaders.nginx.directives import server_param_defaults
    from advisor.model.addresses import Address
    from advisor.model.deployment import UpstreamServer

    values = dict(server_param_defaults(Version(1, 30, 0)))
    values.update({name: Setting(value, at(line)) for name, value in params.items()})
    return UpstreamServer(Setting(Address("tcp", host=f"10.0.0.{line}", port=8000), at(line)), values, at(line))


def test_failure_counted_servers_and_fail_timeout():
    upstream = upstream_block()
    upstream.servers = [_server(4), _server(5, fail_timeout=30.0)]
    assert derived.failure_counted_servers(upstream).value == 2
    assert derived.longest_fail_timeout(upstream).value == 30.0
    upstream.servers = [_server(4, max_fails=0), _server(5), _server(6, backup=True)]
    assert derived.failure_counted_servers(upstream).value == 1
    upstream.servers = [_server(4, fail_timeout=0.0), _server(5)]
    assert derived.failure_counted_servers(upstream).value == 1


def test_catalog_covers_every_key_the_loaders_emit():
    """Rules are checked against the catalog; a loader key missing here could not be used by any rule."""
    from advisor.loaders.gunicorn.settings import SETTINGS
    from advisor.loaders.nginx import directives

    route_keys = {key for keys in directives.ROUTE_KEYS.values() for key in keys}
    assert route_keys - catalog.NAMESPACE_FACTS["route"] == set()
    assert set(directives.upstream_defaults(Version(1, 30, 0))) - catalog.NAMESPACE_FACTS["upstream"] == set()
    assert set(directives.MAIN_SPECS) | set(directives.EVENTS_SPECS) <= catalog.NAMESPACE_FACTS["nginx"]
    gunicorn = {spec.name for spec in SETTINGS if not spec.is_hook}
    missing = gunicorn - catalog.NAMESPACE_FACTS["app"]
    assert missing == set(), sorted(missing)
