"""Every nginx file of the shared real-world corpus loads without an exception; parse failures are ADV001 with a
message and a line, and agree with crossplane's own results; a few real facts are checked per deployment."""

from __future__ import annotations

import csv
import json
import re
from functools import lru_cache

import pytest
from nginx_test_support import CORPUS

from advisor.loaders.nginx import NginxLoadResult, load_nginx
from advisor.model.addresses import Address
from advisor.model.deployment import HostFacts

_SKIP = f"shared corpus not found at {CORPUS} (expected next to the repository as ../shared/corpus)"
# crossplane "flat" errors that are not syntax errors: missing includes, context and argument-count checks (we
# parse fragments in their inferred context and check argument counts ourselves, as ADV006)
_ARITY = re.compile(r'invalid number of arguments in "[^"]+" directive$')
_NOT_SYNTAX = re.compile(r'No such file|is not allowed here|invalid number of arguments|it must be "on" or "off"')


@lru_cache(maxsize=1)
def _crossplane_results() -> dict[str, dict]:
    with open(CORPUS / "crossplane_results.json", encoding="utf-8") as handle:
        return {entry["local_path"]: entry for entry in json.load(handle)}


def _nginx_files() -> list[str]:
    """SOURCES.tsv rows of kind `nginx`, plus `pair-member` rows that are nginx configs (those crossplane was run
    on, per crossplane_results.json)."""
    if not (CORPUS / "SOURCES.tsv").is_file():
        return []
    with open(CORPUS / "SOURCES.tsv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    parsed = _crossplane_results()
    return [row["local_path"] for row in rows
            if row["kind"] == "nginx" or (row["kind"] == "pair-member" and row["local_path"] in parsed)]


NGINX_FILES = _nginx_files()


@lru_cache(maxsize=None)
def _load(local_path: str) -> NginxLoadResult:
    return load_nginx(str(CORPUS / local_path), HostFacts.build())


def test_corpus_is_complete() -> None:
    if not NGINX_FILES:
        pytest.skip(_SKIP)
    assert len(NGINX_FILES) == len(_crossplane_results()) == 102


@pytest.mark.parametrize("local_path", NGINX_FILES or [pytest.param("", marks=pytest.mark.skip(reason=_SKIP))])
def test_corpus_file_loads(local_path: str) -> None:
    result = _load(local_path)
    for diagnostic in result.diagnostics:
        assert diagnostic.message.strip(), diagnostic
        assert diagnostic.path
    syntax_errors = [d for d in result.diagnostics if d.code == "ADV001" and not _ARITY.match(d.message)]
    for diagnostic in syntax_errors:
        assert diagnostic.severity == "error"
        assert isinstance(diagnostic.line, int) and diagnostic.line >= 1
    expected = [error for error in _crossplane_results()[local_path]["flat"]["errors"]
                if not _NOT_SYNTAX.search(error["error"])]
    assert len(syntax_errors) == len(expected), (syntax_errors, expected)
    for ours, theirs in zip(syntax_errors, expected):
        if theirs["line"] is not None:
            assert ours.line == theirs["line"]
            assert theirs["error"].startswith(ours.message)
        else:  # crossplane: empty message, no line
            assert ours.message == "unexpected end of file, expecting \";\" or \"}\""
    for item in result.routes:
        assert item.id and item.target.addresses, item.id
        assert item.source.path and item.pass_directive.source.line


@pytest.mark.parametrize("local_path", NGINX_FILES or [pytest.param("", marks=pytest.mark.skip(reason=_SKIP))])
def test_corpus_argument_count_errors_only_where_nginx_fails(local_path: str) -> None:
    """The argument-count check (ADV001) fires only where crossplane's full check reports the same error in the
    file's own context (its "rooted" parse: only crossplane's deliberately broken bad-args fixture)."""
    ours = [(d.line, d.message) for d in _load(local_path).diagnostics if d.code == "ADV001" and _ARITY.match(d.message)]
    rooted = _crossplane_results()[local_path].get("rooted") or {}
    theirs = [(error["line"], re.match(r'invalid number of arguments in "[^"]+" directive', error["error"]).group(0))
              for error in rooted.get("errors") or [] if error["error"].startswith("invalid number of arguments")]
    assert ours == theirs


def _result(local_path: str) -> NginxLoadResult:
    if local_path not in NGINX_FILES:
        pytest.skip(_SKIP)
    return _load(local_path)


def test_netbox_routes_to_gunicorn_bind() -> None:
    result = _result("netbox-community__netbox/contrib__nginx.conf")
    assert result.diagnostics == []
    assert result.config.settings["context"].value == "http"
    [app] = result.routes
    assert app.location == "/" and app.target.addresses[0].value == Address("tcp", host="127.0.0.1", port=8001)
    assert app.settings["client_max_body_size"].value == 25 * 1024 * 1024
    assert [listen.value for listen in app.listens] == ["[::]:443 ssl ipv6only=off"]


def test_gunicorn_example() -> None:
    result = _result("benoitc__gunicorn/examples__nginx.conf")
    assert [(d.code, d.line) for d in result.diagnostics] == [("ADV003", 16)]  # mime.types assumed stock
    server = result.upstreams["app_server"].servers[0]
    assert server.address.value == Address("unix", path="/tmp/gunicorn.sock")
    assert server.params["fail_timeout"].value == 0.0 and server.params["fail_timeout"].source.line == 27
    [app] = result.routes
    assert app.location == "@proxy_to_app" and app.target.upstream is result.upstreams["app_server"]
    assert app.settings["keepalive_timeout"].value == 5.0
    assert app.settings["client_max_body_size"].value == 4 * 1024**3
    assert app.headers["host"].value == "$http_host"
    assert result.config.settings["worker_connections"].value == 1024


def test_superset_upstream_keepalive_100() -> None:
    result = _result("apache__superset/docker__nginx__templates__superset.conf.template")
    assert result.diagnostics == []
    for name in ("superset_app", "superset_websocket"):
        keepalive = result.upstreams[name].settings["keepalive"]
        assert keepalive.value == 100 and keepalive.explicit
    app = next(item for item in result.routes if item.location == "${SUPERSET_APP_ROOT}")
    assert app.settings["proxy_connect_timeout"].value == 300.0
    assert "connection" not in app.headers  # the finding P18 is about: no `Connection ""` with keepalive


def test_frappe_template_placeholders_are_unknown() -> None:
    result = _result("frappe__frappe_docker/resources__core__nginx__nginx-template.conf")
    webserver = next(item for item in result.routes if item.location == "@webserver")
    read = webserver.settings["proxy_read_timeout"]
    assert not read.known and read.source.detail == "envsubst placeholder ${PROXY_READ_TIMEOUT}"
    backend = result.upstreams["backend-server"].servers[0]
    assert not backend.address.known and backend.params["fail_timeout"].value == 0.0
    assert all(d.code == "ADV002" for d in result.diagnostics)  # only the snippet include not at its path


def test_docker_compose_service_names() -> None:
    django = _result("testdrivenio__django-on-docker/nginx__nginx.conf")
    assert [str(a.value) for a in django.routes[0].target.addresses] == ["web:8000"]
    flask = _result("testdrivenio__flask-on-docker/services__nginx__nginx.conf")
    assert [str(a.value) for a in flask.routes[0].target.addresses] == ["web:5000"]


def test_ctfd_sse_location_unbuffered() -> None:
    result = _result("CTFd__CTFd/conf__nginx__http.conf")
    events = next(item for item in result.routes if item.location == "/events")
    assert events.settings["proxy_buffering"].value is False
    assert events.headers["connection"].value == ""


def test_zulip_uwsgi_routes_in_a_server_fragment() -> None:
    result = _result("zulip__zulip/puppet__zulip__files__nginx__zulip-include-frontend__app")
    assert result.config.settings["context"].value == "server"
    kinds = {item.location: item.kind for item in result.routes}
    assert kinds["/"] == "uwsgi" and kinds["/json/events"] == "proxy"
    assert not any(d.code in ("ADV001", "ADV006") for d in result.diagnostics)


def test_inventree_underscore_header() -> None:
    result = _result("inventree__InvenTree/contrib__container__nginx.conf")
    root = next(item for item in result.routes if item.location == "/")
    assert root.headers["client_ip"].value == "$remote_addr"
    assert root.settings["proxy_request_buffering"].value is False
