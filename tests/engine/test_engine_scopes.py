"""The fact index's scopes and the facts added for the keep-alive, capacity, buffering and settings rules."""

from __future__ import annotations

from engine_builders import APP_PATH, app_server, at, deployment, route, upstream_block

from advisor.engine.facts import FactIndex
from advisor.engine.rules import parse_rule
from advisor.engine.run import run_rules
from advisor.model.deployment import Diagnostic, HostFacts, Source, UnknownSetting


def test_unknown_setting_scope_points_at_each_name():
    app = app_server()
    app.unknown_settings = [UnknownSetting("tiemout", Source.file(APP_PATH, 4, 1), "timeout"),
                            UnknownSetting("helper", Source.file(APP_PATH, 6, 1), None)]
    rule = parse_rule({"code": "TST001", "name": "unknown", "severity": "warning", "scope": "unknown_setting",
                       "summary": "s", "when": "unknown_setting.suggestion is not None",
                       "message": "{unknown_setting.name} -> {unknown_setting.suggestion} ({unknown_setting.server})",
                       "at": "unknown_setting.name"}, "TST001.yaml")
    result = run_rules(deployment([], [app]), [rule], strict=True)
    assert [(f.path, f.line, f.message) for f in result.findings] == [(APP_PATH, 4, "tiemout -> timeout (gunicorn)")]


def test_generic_route_facts_follow_the_route_module():
    uwsgi = route({"uwsgi_buffering": (False, 15), "uwsgi_read_timeout": (30.0, 16)}, kind="uwsgi")
    index = FactIndex(deployment([uwsgi], [app_server()]))
    names = index.instances("route")[0].names["route"]
    assert names.buffering is False and names.read_timeout == 30.0
    assert names.setting_of("buffering").source.line == 15
    proxy = FactIndex(deployment([route()], [app_server()])).instances("route")[0].names["route"]
    assert proxy.buffering is True and proxy.request_buffering is True
    assert proxy.connection_header_cleared is True and proxy.stream_hint == ""


def test_link_keepalive_pool_and_host_and_deployment_facts():
    pooled = route(upstream=upstream_block(keepalive=(16, 4)))
    threaded = app_server({"threads": (4, 2)})
    diagnostics = [Diagnostic("ADV002", "warning", "missing", "deploy/nginx.conf", 3),
                   Diagnostic("ADV002", "info", "glob matches nothing", "deploy/nginx.conf", 4),
                   Diagnostic("ADV006", "error", "bad value", "deploy/nginx.conf", 5)]
    index = FactIndex(deployment([pooled], [threaded], diagnostics=diagnostics, host=HostFacts.build(somaxconn=128)))
    (link,) = index.instances("link")
    assert link.names["link"].keepalive_pool == 16
    sync_link = FactIndex(deployment([route(upstream=upstream_block(keepalive=(16, 4)))], [app_server()]))
    assert sync_link.instances("link")[0].names["link"].keepalive_pool == 0  # sync workers close every connection
    host = link.names["host"]
    assert host.somaxconn == 128 and host.somaxconn_assumed is False
    assert FactIndex(deployment([route()], [threaded])).instances("link")[0].names["host"].somaxconn_assumed is True
    facts = index.instances("deployment")[0].names["deployment"]
    assert facts.loader_errors == 1 and facts.missing_includes == 2  # every ADV002, info ones included


def test_app_queue_and_cpu_count_facts():
    app = app_server({"workers": (3, 1), "backlog": (64, 2)})
    names = FactIndex(deployment([], [app])).instances("app")[0].names["app"]
    assert names.queue_capacity == 65 and names.workers_from_cpu_count is False


def test_diagnostic_instance_for_engine_made_diagnostics():
    index = FactIndex(deployment([route()], [app_server()]))
    instance = index.diagnostic_instance(Diagnostic("ADV100", "info", "m", "deploy/nginx.conf", 7), "x")
    assert instance.diagnostic.code == "ADV100" and instance.anchor == at(7, column=None)
    assert instance.names["diagnostic"].message == "m"
