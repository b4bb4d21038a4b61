"""Every gunicorn invocation of the shared corpus, loaded through the source loaders from its real file, and the
corpus deployments whose app server is configured on the command line, linked to their nginx configs."""

from __future__ import annotations

import json
import posixpath

import pytest
from sources_helpers import CORPUS, load, text_at

from advisor.commands.options import HostFacts, Inputs
from advisor.loaders.deployment import build_deployment
from advisor.model.classify import classify_path

if not (CORPUS / "gunicorn_cmdlines.json").is_file():
    pytest.skip(f"the shared corpus is not at {CORPUS}", allow_module_level=True)

INVOCATIONS = json.loads((CORPUS / "gunicorn_cmdlines.json").read_text())
_LOADED: dict[str, object] = {}


def kind_of(local_path: str) -> str:
    if local_path.endswith("Procfile"):  # `{{cookiecutter.project_slug}}__Procfile`: a flattened file name
        return "procfile"
    return classify_path(str(CORPUS / local_path))


def loaded(local_path: str):
    if local_path not in _LOADED:
        _LOADED[local_path] = load(CORPUS / local_path, kind_of(local_path))
    return _LOADED[local_path]


def server_for(entry: dict):
    """The loaded server written at the entry's line (the JSON numbers logical lines: ±2 for joined lines)."""
    near = [server for server in loaded(entry["local_path"]).servers
            if abs(server.result.app.source.line - entry["line"]) <= 2]
    near.sort(key=lambda server: (server.parsed.flags != entry["flags"],
                                  abs(server.result.app.source.line - entry["line"])))
    assert near, f"no app server near line {entry['line']}"
    return near[0]


def test_corpus_has_the_surveyed_invocations():
    assert len(INVOCATIONS) == 31


@pytest.mark.parametrize("entry", INVOCATIONS, ids=[f"{e['local_path']}:{e['line']}" for e in INVOCATIONS])
def test_every_corpus_invocation_loads_from_its_file(entry):
    result = loaded(entry["local_path"])
    server = server_for(entry)
    app, parsed = server.result.app, server.parsed
    assert app.kind == "gunicorn"
    assert parsed.flags == entry["flags"]  # every flag recognised, in order
    assert parsed.unknown_options == [] and parsed.errors == []
    assert not [d for d in result.diagnostics if d.severity == "error"]
    program = server.found.invocation.program.text
    assert posixpath.basename(program).startswith("gunicorn")
    assert text_at(app.source).startswith(program)  # the app points at the program word as written
    for option in parsed.options:  # each option's Source is the option as written in the file
        assert text_at(option.source).startswith(option.written), (option.written, option.source)
    for name, setting in app.settings.items():
        assert setting.known or setting.source.detail, name  # every unknown says why


def _deployment(nginx: list[str], app: list[str], env: dict[str, str] | None = None):
    inputs = Inputs(nginx=[str(CORPUS / path) for path in nginx], app=[str(CORPUS / path) for path in app])
    return build_deployment(inputs, HostFacts.build(env=env or {}))


def _linked(deployment) -> set[tuple[int, str, str]]:
    return {(link.route.source.line, str(link.bind), link.match) for link in deployment.links}


def test_django_on_docker_links_by_service_name():
    found = _deployment(["testdrivenio__django-on-docker/nginx__nginx.conf"],
                        ["testdrivenio__django-on-docker/docker-compose.prod.yml"])
    assert _linked(found) == {(9, "0.0.0.0:8000", "service-name")}
    [link] = found.links
    assert link.app.service_name == "web" and link.app.settings["bind"].source.line == 8


def test_flask_on_docker_links_by_service_name():
    found = _deployment(["testdrivenio__flask-on-docker/services__nginx__nginx.conf"],
                        ["testdrivenio__flask-on-docker/docker-compose.prod.yml"])
    assert _linked(found) == {(9, "0.0.0.0:5000", "service-name")}


def test_ctfd_entrypoint_links_and_reads_defaults():
    found = _deployment(["CTFd__CTFd/conf__nginx__http.conf"], ["CTFd__CTFd/docker-entrypoint.sh"])
    assert {(line, bind) for line, bind, _ in _linked(found)} == {(25, "0.0.0.0:8000"), (43, "0.0.0.0:8000")}
    app = found.apps[0]
    assert (app.settings["workers"].value, app.settings["worker_class"].value,
            app.settings["worker_tmp_dir"].value) == (1, "gevent", "/dev/shm")
    assert app.settings["workers"].source.line == 35  # `--workers $WORKERS`, WORKERS=${WORKERS:-1} on line 4
    assert app.settings["workers"].source.inputs[0].line == 4


@pytest.mark.parametrize("nginx, entrypoint", [
    ("readthedocs__readthedocs.org/dockerfiles__nginx__web.conf.template",
     "readthedocs__readthedocs.org/common__dockerfiles__entrypoints__web.sh"),
    ("readthedocs__readthedocs.org/dockerfiles__nginx__proxito.conf.template",
     "readthedocs__readthedocs.org/common__dockerfiles__entrypoints__proxito.sh"),
])
def test_readthedocs_timeout_zero(nginx, entrypoint):
    found = _deployment([nginx], [entrypoint])
    assert found.links and {bind for _, bind, _ in _linked(found)} == {"0.0.0.0:8000"}
    [app] = found.apps
    assert (app.settings["timeout"].value, app.settings["workers"].value,
            app.settings["max_requests"].value) == (0, 3, 10000)
    assert text_at(app.settings["timeout"].source).startswith("--timeout=0")


def test_superset_gthread_keepalive():
    found = _deployment(["apache__superset/docker__nginx__templates__superset.conf.template"],
                        ["apache__superset/docker__entrypoints__run-server.sh"])
    assert {bind for _, bind, _ in _linked(found)} == {"0.0.0.0:8088"}
    [app] = found.apps
    values = {name: app.settings[name].value for name in ("worker_class", "threads", "keepalive", "timeout",
                                                          "workers", "limit_request_line")}
    assert values == {"worker_class": "gthread", "threads": 20, "keepalive": 2, "timeout": 60, "workers": 1,
                      "limit_request_line": 0}
    assert text_at(app.settings["keepalive"].source).startswith("--keep-alive ${GUNICORN_KEEPALIVE:-2}")
    assert not app.settings["wsgi_app"].known and "$FLASK_APP" in app.settings["wsgi_app"].source.detail


def test_frappe_start_script():
    found = _deployment(["frappe__frappe_docker/resources__core__nginx__nginx-template.conf"],
                        ["frappe__frappe_docker/resources__core__start.sh"])
    [app] = found.apps
    values = {name: app.settings[name].value for name in ("worker_class", "threads", "workers", "timeout",
                                                          "worker_tmp_dir", "preload_app")}
    assert values == {"worker_class": "gthread", "threads": 4, "workers": 2, "timeout": 120,
                      "worker_tmp_dir": "/dev/shm", "preload_app": True}
    assert [str(address) for address in app.binds] == ["0.0.0.0:8000"]
    # nginx's side is an envsubst template (`server ${BACKEND}`): the nginx loader keeps it unknown, so no link
    assert found.links == []
    assert {diagnosis.status for diagnosis in found.route_diagnoses.values()} == {"unknown-target"}


def test_graphite_runit_script():
    found = _deployment(["graphite-project__docker-graphite-statsd/conf__etc__nginx__sites-enabled__graphite-statsd.conf"],
                        ["graphite-project__docker-graphite-statsd/conf__etc__service__graphite__run"])
    assert {bind for _, bind, _ in _linked(found)} == {"0.0.0.0:8080"}
    [app] = found.apps
    assert (app.settings["workers"].value, app.settings["timeout"].value, app.settings["limit_request_line"].value,
            app.settings["max_requests"].value) == (4, 65, 0, 1000)
    assert any("GUNICORN_EXTRA_PARAMS" in d.message and d.severity == "info" for d in found.diagnostics)
