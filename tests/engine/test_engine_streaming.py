"""Route and link rules run one route at a time (FactIndex.route_groups) with their `when`s decided by one decision
tree per scope (memo.WhenTree): the findings, their order, texts and places and the skips in their order are those
of evaluating every rule on every instance, rule by rule; a route's namespaces are released once it is done; and
the tree derives only the facts on an instance's path."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.engine import run as engine_run
from advisor.engine.expressions import Evaluator, FactUnavailable, compile_expression
from advisor.engine.facts import FactIndex
from advisor.engine.findings import Skip
from advisor.engine.memo import WhenTree
from advisor.engine.rules import load_rules
from advisor.engine.workload_facts import resolve_workload
from advisor.loaders.deployment import build_deployment
from advisor.model.deployment import HostFacts
from advisor.model.inputs import Inputs

LOCATIONS = [
    "proxy_pass http://app;",
    "proxy_pass http://app; proxy_read_timeout 20s;",
    "proxy_pass http://app; proxy_read_timeout ${READ_TIMEOUT};",
    "proxy_pass http://127.0.0.1:8000; proxy_connect_timeout 90s;",
    "proxy_pass http://127.0.0.1:8000;",
    "proxy_pass http://unix:/run/other.sock; proxy_read_timeout 40s;",
    "proxy_pass http://pool; proxy_http_version 1.0; proxy_buffering off;",
    "proxy_pass http://127.0.0.1:9999;",
    "uwsgi_pass 127.0.0.1:8000;",
]


def _config(tmp_path: Path) -> list[str]:
    servers = []
    for number in range(2):
        blocks = "\n".join(f"    location /s{number}/l{index}/ {{ {body} }}" for index, body in enumerate(LOCATIONS))
        servers.append(f"  server {{\n    listen {80 + number};\n{blocks}\n  }}\n")
    (tmp_path / "nginx.conf").write_text(
        "events {}\nhttp {\n  proxy_read_timeout 30s;\n"
        "  upstream app { server 127.0.0.1:8000; keepalive 8; }\n"
        "  upstream pool { server 127.0.0.1:8000; server unix:/run/other.sock; }\n" + "".join(servers) + "}\n")
    (tmp_path / "gunicorn.conf.py").write_text('bind = "127.0.0.1:8000"\nworkers = 3\ntimeout = 30\n')
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "Procfile").write_text(
        "other: gunicorn app:app --bind unix:/run/other.sock -k gthread --threads 4 -w 2\n")
    return [str(tmp_path / name) for name in ("nginx.conf", "gunicorn.conf.py", "other/Procfile")]


def _rule_by_rule(deployment, rules, workload) -> tuple[list, list]:
    """Every rule on every instance of its scope, rule after rule, evaluated plainly (the definition)."""
    index = FactIndex(deployment, workload)
    evaluator = Evaluator()
    findings: dict = {}
    skips: dict = {}
    for rule in rules:
        instances = index.diagnostics(rule.code) if rule.scope == "diagnostic" else index.instances(rule.scope)
        for instance in instances:
            try:
                finding = engine_run._evaluate(rule, instance, evaluator)
            except FactUnavailable as missing:
                skips.setdefault((rule.code, instance.id, missing.fact),
                                 Skip(rule.code, instance.id, missing.fact, missing.reason, missing.kind))
                continue
            if finding is not None:
                findings.setdefault(finding.dedup_key, finding)
    return sorted(findings.values(), key=lambda finding: finding.sort_key), list(skips.values())


@pytest.mark.parametrize("workload", [None, (50, "100ms")])
def test_route_by_route_gives_exactly_the_rule_by_rule_result(tmp_path: Path, workload):
    deployment = build_deployment(Inputs(paths=_config(tmp_path)), HostFacts.build(cpus=2))
    assert len(deployment.apps) == 2 and len(deployment.links) > len(LOCATIONS)
    rules = load_rules()
    load = resolve_workload(*workload, None) if workload else None
    result = engine_run.run_rules(deployment, rules, strict=True, workload=load)
    expected_findings, expected_skips = _rule_by_rule(deployment, rules, load)
    assert not result.suppressed
    assert result.findings == expected_findings
    assert result.skips == expected_skips
    assert len({finding.code for finding in result.findings}) >= 4 and result.skips


def test_each_route_group_is_released_when_the_next_is_asked_for(tmp_path: Path):
    deployment = build_deployment(Inputs(paths=_config(tmp_path)), HostFacts.build(cpus=2))
    index = FactIndex(deployment)
    groups = index.route_groups(routes=True, links=True)
    first = next(groups)
    number, instance = first.route
    assert number == 0 and first.links
    own = [instance.names["route"], *(link.names["link"] for _, link in first.links)]
    shared = [link.names["app"] for _, link in first.links] + [instance.names["upstream"]]  # upstream block `app`
    assert all(namespace._resolve is not None for namespace in own)
    next(groups)
    assert all(namespace._resolve is None for namespace in own)
    assert all(namespace._resolve is not None for namespace in shared)
    positions = [first.links[0][0]] + [number for group in groups for number, _ in group.links]
    assert len(set(positions)) == len(positions)


class _Rule:
    scope = "route"

    def __init__(self, when: str) -> None:
        self.when = compile_expression(when)


def test_the_tree_derives_only_the_facts_on_the_path(tmp_path: Path):
    deployment = build_deployment(Inputs(paths=_config(tmp_path)), HostFacts.build(cpus=2))
    index = FactIndex(deployment)
    tree = WhenTree([_Rule("route.kind == 'uwsgi' and route.read_timeout > 5"), _Rule("route.connect_timeout > 75")],
                    "route")
    evaluator = Evaluator()
    outcomes = []
    for instance in index.instances("route"):
        leaf = tree.outcomes(instance, evaluator)
        outcomes.append((instance.names["route"].kind, leaf.outcomes))
        assert ("read_timeout" in instance.names["route"].memo) == (instance.names["route"].kind == "uwsgi")
    assert ("uwsgi", (True, False)) in outcomes  # uwsgi_read_timeout 60 s (default) > 5
    assert ("proxy", (False, True)) in outcomes and ("proxy", (False, False)) in outcomes
