"""run_rules on hand-built deployments: matching, skips, locations, dedup, suppressions, diagnostics."""

from __future__ import annotations

import pytest
from engine_builders import APP_PATH, NGINX_PATH, app_server, at, deployment, route, upstream_block

from advisor.engine.rules import parse_rule
from advisor.engine.run import RuleEvaluationError, run_rules
from advisor.model.addresses import Address
from advisor.model.deployment import Diagnostic, Setting
from advisor.model.suppressions import Suppression


def rule(code="TST001", name="read-below-app", scope="link", when="route.read_timeout < app.timeout", **extra):
    data = {"code": code, "name": name, "severity": "warning", "scope": scope, "summary": "s",
            "message": "read {duration(route.read_timeout)} < app {app.timeout}", "at": "route.read_timeout",
            "related": ["app.timeout"], "when": when, **extra}
    return parse_rule({key: value for key, value in data.items() if value is not None}, f"{code}.yaml")


def test_explicit_setting_locates_finding_and_related_in_other_file():
    deploy = deployment([route({"proxy_read_timeout": (20.0, 14)})], [app_server({"timeout": (60, 3)})])
    result = run_rules(deploy, [rule()], strict=True)
    (finding,) = result.findings
    assert (finding.path, finding.line, finding.column) == (NGINX_PATH, 14, 5)
    assert finding.message == "read 20 s < app 60"
    (related,) = finding.related
    assert (related.path, related.line, related.message) == (APP_PATH, 3, "timeout = 60")
    assert finding.scope_id == "nginx.conf:10 location / -> deploy/gunicorn.conf.py"


def test_defaults_fall_back_to_the_owning_objects():
    """A default has no position: the primary falls back to the location block, the related to the app file."""
    deploy = deployment([route(block_line=22)], [app_server({"timeout": (120, 3)})])
    (finding,) = run_rules(deploy, [rule(related=["app.workers"])], strict=True).findings
    assert (finding.path, finding.line) == (NGINX_PATH, 22)
    (related,) = finding.related
    assert (related.path, related.line, related.column) == (APP_PATH, 1, 1)
    assert related.message == "workers = 1 (gunicorn 27.0.1 default)"


def test_unknown_fact_skips_with_reason():
    app = app_server({"timeout": (60, 3)})
    app.settings["timeout"] = Setting.unknown("timeout comes from os.environ['TIMEOUT'], which is not set",
                                              APP_PATH, 3)
    deploy = deployment([route({"proxy_read_timeout": (20.0, 14)})], [app])
    result = run_rules(deploy, [rule()], strict=True)
    assert result.findings == []
    (skip,) = result.skips
    assert (skip.code, skip.fact, skip.kind) == ("TST001", "app.timeout", "unknown")
    assert "os.environ" in skip.reason and skip.scope_id.endswith("deploy/gunicorn.conf.py")


def test_custom_worker_class_makes_derived_facts_unknown():
    deploy = deployment([route()], [app_server({"worker_class": ("myproject.workers.Custom", 2)})])
    result = run_rules(deploy, [rule(when="app.is_async and route.read_timeout > 1")], strict=True)
    assert result.findings == []
    assert [(s.fact, s.kind) for s in result.skips] == [("app.is_async", "unknown")]
    assert "custom worker class" in result.skips[0].reason


def test_short_circuit_does_not_skip():
    app = app_server()
    app.settings["timeout"] = Setting.unknown("unknown")
    deploy = deployment([route()], [app])
    result = run_rules(deploy, [rule(when="app.is_async and route.read_timeout < app.timeout")], strict=True)
    assert result.findings == [] and result.skips == []


def test_absent_upstream_facts_for_implicit_upstream():
    implicit = route()
    explicit = route(upstream=upstream_block(keepalive=(16, 5)), block_line=30, pass_line=31)
    check = rule(scope="route", when="upstream.keepalive > 0", related=None,
                 message="keepalive {upstream.keepalive} of {plural(upstream.server_count, 'server')}",
                 at="upstream.keepalive")
    result = run_rules(deployment([implicit, explicit], []), [check], strict=True)
    (finding,) = result.findings
    assert (finding.line, finding.message) == (5, "keepalive 16 of 1 server")
    (skip,) = result.skips
    assert skip.kind == "absent" and "implicit upstream" in skip.reason


def test_duplicate_findings_from_a_shared_setting_are_reported_once():
    shared = at(8)  # an http-level proxy_read_timeout inherited by both locations
    first, second = route(block_line=10), route(block_line=20, pass_line=21, location="/api/")
    for each in (first, second):
        each.settings["proxy_read_timeout"] = Setting(20.0, shared, "20s")
    deploy = deployment([first, second], [app_server({"timeout": (60, 3)})])
    result = run_rules(deploy, [rule()], strict=True)
    assert [(f.line, f.message) for f in result.findings] == [(8, "read 20 s < app 60")]


def test_one_route_reaching_one_app_twice_is_one_link_scope():
    app = app_server({"timeout": (60, 3)})
    each = route({"proxy_read_timeout": (20.0, 14)})
    deploy = deployment([each], [app])
    deploy.links.append(deploy.links[0])
    result = run_rules(deploy, [rule(message="{route.id}")], strict=True)
    assert len(result.findings) == 1


@pytest.mark.parametrize(("codes", "file_level", "suppressed"), [
    (("TST001",), False, True), (("TST",), False, True), (("read-below-app",), False, True), (("ALL",), False, True),
    (("TMO001",), False, False), (("TST001",), True, True),
])
def test_suppressions(codes, file_level, suppressed):
    suppression = Suppression(NGINX_PATH, 13 if not file_level else 1, codes, file_level,
                              None if file_level else 14)
    deploy = deployment([route({"proxy_read_timeout": (20.0, 14)})], [app_server({"timeout": (60, 3)})],
                        suppressions=[suppression])
    result = run_rules(deploy, [rule()], strict=True)
    assert bool(result.suppressed) is suppressed
    assert len(result.findings) == (0 if suppressed else 1)
    assert result.used_suppressions == ([suppression] if suppressed else [])


def test_suppression_on_another_line_or_file_does_not_apply():
    others = [Suppression(NGINX_PATH, 15, ("ALL",), False, 16), Suppression(APP_PATH, 3, ("ALL",), False, 3)]
    deploy = deployment([route({"proxy_read_timeout": (20.0, 14)})], [app_server({"timeout": (60, 3)})],
                        suppressions=others)
    assert len(run_rules(deploy, [rule()], strict=True).findings) == 1


def _meta(code="ADV002", severity="warning"):
    return parse_rule({"code": code, "name": f"meta-{code.lower()}", "severity": severity, "scope": "diagnostic",
                       "summary": "s", "message": "{diagnostic.message}",
                       "fix": "{diagnostic.fix or 'default fix'}"}, f"{code}.yaml")


def test_diagnostics_become_findings_with_the_loader_severity():
    diagnostics = [Diagnostic("ADV002", "warning", "include x not found", NGINX_PATH, 4),
                   Diagnostic("ADV002", "info", "include *.conf matches no files", NGINX_PATH, 5, fix="fine"),
                   Diagnostic("ADV099", "error", "something new", None)]
    result = run_rules(deployment(diagnostics=diagnostics), [_meta()], strict=True)
    got = [(f.code, f.name, f.severity, f.line, f.message, f.fix) for f in result.findings]
    assert got == [
        ("ADV099", "loader-diagnostic", "error", None, "something new", None),
        ("ADV002", "meta-adv002", "warning", 4, "include x not found", "default fix"),
        ("ADV002", "meta-adv002", "info", 5, "include *.conf matches no files", "fine"),
    ]


def test_deselected_meta_rule_drops_its_diagnostics():
    diagnostics = [Diagnostic("ADV002", "warning", "include x not found", NGINX_PATH, 4)]
    assert run_rules(deployment(diagnostics=diagnostics), [_meta()], selection=set()).findings == []


def test_rule_bug_is_an_error_skip_or_raises_when_strict():
    broken = rule(when="route.location + 1 > 0")
    deploy = deployment([route()], [app_server()])
    result = run_rules(deploy, [broken])
    assert result.findings == []
    assert [(s.kind, s.code) for s in result.skips] == [("error", "TST001")]
    assert "TypeError" in result.skips[0].reason
    with pytest.raises(RuleEvaluationError, match="TST001"):
        run_rules(deploy, [broken], strict=True)


def test_generic_read_timeout_follows_the_pass_module():
    uwsgi = route(kind="uwsgi", target=Address("unix", path="/run/app.sock"))
    uwsgi.settings = {"uwsgi_read_timeout": Setting(30.0, at(12), "30s")}
    app = app_server({"timeout": (90, 2)}, binds=[Address("unix", path="/run/app.sock")])
    check = rule(message="{route.prefix}_read_timeout {duration(route.read_timeout)}")
    (finding,) = run_rules(deployment([uwsgi], [app]), [check], strict=True).findings
    assert (finding.line, finding.message) == (12, "uwsgi_read_timeout 30 s")
    assert finding.related[0].message == "timeout = 90"


def test_other_scopes():
    app = app_server({"workers": (9, 2), "backlog": (5000, 4)})
    deploy = deployment([route(upstream=upstream_block())], [app])
    rules = [
        rule("TST002", "app-rule", scope="app", when="app.accept_queue > 4000", at="app.backlog", related=None,
             message="queue {app.accept_queue} of {app.concurrency} workers"),
        rule("TST003", "upstream-rule", scope="upstream", when="upstream.explicit", at=None, related=None,
             message="upstream {upstream.name}"),
        rule("TST004", "deployment-rule", scope="deployment", when="deployment.link_count == 1", at=None,
             related=None, message="{deployment.route_count} route, {deployment.app_count} app"),
    ]
    got = {f.code: (f.path, f.line, f.message) for f in run_rules(deploy, rules, strict=True).findings}
    assert got == {"TST002": (APP_PATH, 4, "queue 4097 of 9 workers"),
                   "TST003": (NGINX_PATH, 3, "upstream app"),
                   "TST004": (NGINX_PATH, 1, "1 route, 1 app")}


def test_findings_sorted_by_location():
    deploy = deployment([route({"proxy_read_timeout": (20.0, 40)}, block_line=30, pass_line=31),
                         route({"proxy_read_timeout": (10.0, 14)}, location="/b")],
                        [app_server({"timeout": (60, 3)})])
    assert [f.line for f in run_rules(deploy, [rule()], strict=True).findings] == [14, 40]


def test_a_matched_rule_reports_even_if_a_message_detail_is_unknown():
    app = app_server({"timeout": (60, 3)})
    app.settings["workers"] = Setting.unknown("WEB_CONCURRENCY is not set")
    deploy = deployment([route({"proxy_read_timeout": (20.0, 14)})], [app])
    check = rule(message="read {duration(route.read_timeout)} with {app.workers} workers")
    (finding,) = run_rules(deploy, [check], strict=True).findings
    assert finding.message == "read 20 s with unknown workers"
