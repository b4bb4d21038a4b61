"""Each fixture source, loaded with its nginx.conf through build_deployment: routes link to the app servers, and
every rule evaluates over the result (uvicorn apps included)."""

from __future__ import annotations

import pytest
from sources_helpers import FIXTURES

from advisor.commands.options import HostFacts, Inputs
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.engine.selection import select_rules
from advisor.loaders.deployment import build_deployment

RULES = load_rules()


def deployment(folder: str, source: str, *, env: dict[str, str] | None = None, positional: bool = False):
    directory = FIXTURES / folder
    if positional:  # kinds detected from the file names, as `advisor check nginx.conf SOURCE` does
        inputs = Inputs(paths=[str(directory / "nginx.conf"), str(directory / source)])
    else:
        inputs = Inputs(nginx=[str(directory / "nginx.conf")], app=[str(directory / source)])
    return build_deployment(inputs, HostFacts.build(env=env or {}))


def links(found) -> set[tuple[str, str, str, str]]:
    return {(link.route.location or "", link.app.id.rsplit("/", 1)[-1], link.app.kind, link.match)
            for link in found.links}


@pytest.mark.parametrize("folder, source, env, expected", [
    ("compose", "docker-compose.yml", None, {("/", "docker-compose.yml:web", "gunicorn", "service-name"),
                                             ("/api/", "docker-compose.yml:api", "uvicorn", "service-name")}),
    ("dockerfile", "Dockerfile", None, {("/", "Dockerfile", "gunicorn", "wildcard")}),
    ("procfile", "Procfile", {"PORT": "5000"}, {("/", "Procfile:web", "gunicorn", "wildcard")}),
    ("systemd", "gunicorn.service", None, {("/", "gunicorn.service", "gunicorn", "unix")}),
    ("supervisor", "app.conf", {"SHOP_WORKERS": "3"}, {("/", "app.conf:shop", "gunicorn", "exact")}),
    ("shell", "start.sh", None, {("/", "start.sh:14", "gunicorn", "wildcard")}),
    ("uvicorn", "run.sh", None, {("/", "run.sh:3", "uvicorn", "wildcard")}),
])
def test_fixture_links(folder, source, env, expected):
    for positional in (False, True):
        found = deployment(folder, source, env=env, positional=positional)
        assert links(found) == expected
        assert [d for d in found.diagnostics if d.severity == "error"] == []
        assert all(diagnosis.status == "linked" for diagnosis in found.route_diagnoses.values())


@pytest.mark.parametrize("folder, source", [("compose", "docker-compose.yml"), ("uvicorn", "run.sh"),
                                            ("systemd", "gunicorn.service"), ("shell", "start.sh")])
def test_rules_evaluate_over_source_deployments(folder, source):
    result = run_rules(deployment(folder, source), RULES, select_rules(RULES), strict=True)
    assert not [skip for skip in result.skips if skip.kind == "error"]
    for finding in result.findings:  # findings about the app point into the source file, at a real line
        if finding.path and finding.path.endswith(source):
            assert finding.line is not None and finding.line >= 1


def test_procfile_without_port_explains_the_unknown_bind():
    found = deployment("procfile", "Procfile")
    assert found.links == []
    [diagnosis] = found.route_diagnoses.values()
    assert diagnosis.status == "unknown-bind" and "$PORT is set by the platform" in diagnosis.detail


def test_loopback_bind_in_a_compose_service_is_a_host_mismatch(tmp_path):
    (tmp_path / "nginx.conf").write_text("upstream app { server web:8000; }\n"
                                         "server { listen 80; location / { proxy_pass http://app; } }\n")
    (tmp_path / "docker-compose.yml").write_text("services:\n  web:\n    command: gunicorn -b 127.0.0.1:8000 app\n")
    inputs = Inputs(paths=[str(tmp_path / "nginx.conf"), str(tmp_path / "docker-compose.yml")])
    found = build_deployment(inputs, HostFacts.build())
    [diagnosis] = found.route_diagnoses.values()
    assert diagnosis.status == "host-mismatch"
    assert diagnosis.closest_bind.source.line == 3  # the -b option in the compose file
