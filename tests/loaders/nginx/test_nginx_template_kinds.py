"""Every common template syntax gives unknown values with the placeholder as provenance, never parse errors and never
literal values: Jinja/Ansible, Go templates, ERB, Python %-format, envsubst placeholders on a line of their own."""

from __future__ import annotations

import shutil
from pathlib import Path

from nginx_test_support import REPO_ROOT, codes, route

from advisor.loaders.nginx import load_nginx
from advisor.loaders.nginx.templates import placeholder_reason
from advisor.model.deployment import HostFacts

FIXTURES = REPO_ROOT / "fixtures" / "nginx-templates"


def _load(name: str, env: dict[str, str] | None = None):
    return load_nginx(str(FIXTURES / name), HostFacts.build(env=env))


def test_placeholder_kinds_are_named() -> None:
    assert placeholder_reason("<%= @port %>") == "ERB placeholder <%= @port %>"
    assert placeholder_reason("{{ .Backend }}:80") == "Go template placeholder {{ .Backend }}"
    assert placeholder_reason("unix:%(proj_path)s/g.sock") == "Python format placeholder %(proj_path)s"
    assert placeholder_reason("{{ x | default(3) }}") == "Jinja placeholder {{ x | default(3) }}"
    assert placeholder_reason("%(x)") is None and placeholder_reason("100%") is None


def test_erb_template() -> None:
    result = _load("site.conf.erb")
    assert codes(result) == []
    root = route(result, "/")
    read = root.settings["proxy_read_timeout"]
    assert not read.known and read.source.detail == "ERB placeholder <%= node['app']['timeout'] %>"
    server = result.upstreams["app"].servers[0]
    assert not server.address.known and server.address.raw == "<%= @app_host %>:<%= @app_port %>"
    assert server.params["fail_timeout"].value == 0.0


def test_go_template_control_flow_is_not_an_insertion() -> None:
    result = _load("site.conf.tmpl")
    assert codes(result) == []
    root = route(result, "/")
    assert root.settings["proxy_connect_timeout"].source.detail == "Go template placeholder {{ .ConnectTimeout }}"
    assert not root.target.addresses[0].known


def test_python_format_template() -> None:
    result = _load("site.conf.fab")
    assert codes(result) == []
    root = route(result, "/")
    assert root.settings["proxy_read_timeout"].value == 30.0
    assert root.target.upstream is result.upstreams["%(proj_name)s"]  # the upstream named by the same text
    assert not root.target.addresses[0].known
    assert root.target.addresses[0].source.detail == "Python format placeholder %(proj_path)s"
    assert root.target.addresses[0].raw == "unix:%(proj_path)s/gunicorn.sock"


def test_jinja_placeholder_with_blanks_is_one_argument_and_keeps_its_text() -> None:
    result = _load("cookiecutter-nginx.conf")
    target = route(result, "/").target.addresses[0]
    assert not target.known and target.raw == "http://unix:/var/www/{{ cookiecutter.project_name }}.sock"


def test_envsubst_placeholder_on_a_line_of_its_own(tmp_path: Path) -> None:
    result = _load("default.conf.template")
    assert codes(result) == ["ADV002", "ADV002"]
    assert [(d.line, d.severity) for d in result.diagnostics] == [(6, "info"), (11, "info")]
    assert "${EXTRA_LOCATIONS}" in result.diagnostics[0].message
    root = route(result, "/")  # the block structure survives
    assert root.settings["proxy_read_timeout"].value == 60.0 and root.source.line == 7


def test_line_of_its_own_filled_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "default.conf.template"
    shutil.copy(FIXTURES / "default.conf.template", path)
    env = {"EXTRA_LOCATIONS": "location /api/ {\n  proxy_read_timeout 5s;\n  proxy_pass http://backend;\n}",
           "EXTRA_SERVER_CONFIG": "", "BACKEND_HOST": "web"}
    result = load_nginx(str(path), HostFacts.build(env=env))
    assert codes(result) == []
    api = route(result, "/api/")
    assert api.settings["proxy_read_timeout"].value == 5.0 and api.source.line == 6


def test_placeholder_continuing_the_line_above_is_an_argument(tmp_path: Path) -> None:
    path = tmp_path / "app.conf"
    path.write_text("server {\n    location / {\n        proxy_pass\n            ${BACKEND_URL};\n    }\n}\n")
    result = load_nginx(str(path), HostFacts.build())
    assert codes(result) == []
    assert "${BACKEND_URL}" in route(result, "/").target.addresses[0].source.detail
