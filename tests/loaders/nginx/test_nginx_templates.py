"""Templates (envsubst, Jinja) give unknown values, never parse errors; fragments give routes like full configs."""

from __future__ import annotations

from pathlib import Path

from nginx_test_support import load_text, route

from advisor.loaders.nginx.templates import nginx_variables, placeholder_reason


def test_placeholder_classification() -> None:
    assert placeholder_reason("${PROXY_READ_TIMEOUT}") == "envsubst placeholder ${PROXY_READ_TIMEOUT}"
    assert placeholder_reason("$BACKEND:8000") == "envsubst placeholder $BACKEND"
    assert placeholder_reason("${host}") is None  # nginx's own braced variable syntax
    assert placeholder_reason("$http_x_forwarded_proto") is None
    assert placeholder_reason("$BACKEND", defined_variables={"BACKEND"}) is None  # `set $BACKEND ...`
    assert placeholder_reason("60s") is None
    assert nginx_variables("$scheme://$host$REAL") == ["$scheme", "$host"]


def test_envsubst_values_are_unknown_with_the_placeholder(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
upstream backend-server {
    server ${BACKEND} fail_timeout=0;
}
server {
    listen 8080;
    server_name ${FRAPPE_SITE_NAME_HEADER};
    location ${APP_ROOT} {
        proxy_read_timeout ${PROXY_READ_TIMEOUT};
        client_max_body_size $CLIENT_MAX_BODY_SIZE;
        proxy_set_header X-Site ${FRAPPE_SITE_NAME_HEADER};
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_pass http://backend-server;
    }
    location /direct { proxy_pass http://${UPSTREAM_HOST}:8000; }
}
""")
    assert result.diagnostics == []
    app = route(result, "${APP_ROOT}")
    read = app.settings["proxy_read_timeout"]
    assert not read.known and read.source.detail == "envsubst placeholder ${PROXY_READ_TIMEOUT}"
    assert read.source.line == 9 and read.raw == "${PROXY_READ_TIMEOUT}"
    assert app.settings["client_max_body_size"].source.detail == "envsubst placeholder $CLIENT_MAX_BODY_SIZE"
    assert not app.headers["x-site"].known and app.headers["x-forwarded-proto"].value == "$scheme"
    server = result.upstreams["backend-server"].servers[0]
    assert not server.address.known and server.address.source.detail == "envsubst placeholder ${BACKEND}"
    assert server.params["fail_timeout"].value == 0.0
    assert app.target.addresses == [server.address]
    direct = route(result, "/direct").target.addresses[0]
    assert not direct.known and "${UPSTREAM_HOST}" in direct.source.detail


def test_jinja_template_parses_with_unknown_values(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
http {
    server {
        listen {{ nginx_port }};
        location / {
            proxy_read_timeout {{ proxy_timeout }};
            proxy_pass http://{{ backend_host }}:8000;
            {% if use_ssl %}
            proxy_set_header X-Forwarded-Proto https;
            {% endif %}
        }
        location /static/ {
            proxy_connect_timeout 5s;
            proxy_pass http://127.0.0.1:9000;
        }
    }
}
""")
    assert result.diagnostics == []
    root = route(result, "/")
    read = root.settings["proxy_read_timeout"]
    assert not read.known and read.source.detail == "Jinja placeholder {{ proxy_timeout }}" and read.source.line == 6
    target = root.target.addresses[0]
    assert not target.known and target.source.detail == "Jinja placeholder {{ backend_host }}"
    assert root.headers["x-forwarded-proto"].value == "https"  # both template branches are read
    assert not root.listens[0].known
    static = route(result, "/static/")  # the block structure survives the template markup
    assert static.settings["proxy_connect_timeout"].value == 5.0 and static.source.line == 12


def test_lowercase_variables_in_timeouts_are_invalid_not_placeholders(tmp_path: Path) -> None:
    result = load_text(tmp_path, "http { server { location / { proxy_read_timeout $timeout;"
                                 " proxy_pass http://127.0.0.1:1; } } }")
    assert [d.code for d in result.diagnostics] == ["ADV006"]


def test_conf_d_fragment_is_read_in_http_context(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
upstream app { server web:8000; keepalive 8; }
proxy_read_timeout 90s;
server {
    listen 80;
    server_name example.com;
    location / { proxy_pass http://app; }
}
""", name="app.conf")
    assert result.diagnostics == []
    assert result.config.settings["context"].value == "http"
    assert "conf.d fragment" in result.config.settings["context"].source.detail
    root = route(result, "/")
    assert root.settings["proxy_read_timeout"].value == 90.0
    assert [str(a.value) for a in root.target.addresses] == ["web:8000"]
    assert result.upstreams["app"].settings["keepalive"].value == 8


def test_server_level_snippet(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
listen 8000;
client_max_body_size 50m;
location /api/ {
    proxy_pass http://127.0.0.1:8001;
}
location / {
    uwsgi_pass django;
}
""", name="snippet")
    assert result.diagnostics == []  # `django` may be an upstream of the file that includes this one
    assert result.config.settings["context"].value == "server"
    api = route(result, "/api/")
    assert [listen.value for listen in api.listens] == ["8000"]
    assert api.settings["client_max_body_size"].value == 50 * 1024 * 1024
    uwsgi = route(result, "/").target.addresses[0]
    assert not uwsgi.known and "no upstream block named 'django' was loaded" in uwsgi.source.detail


def test_location_level_snippet(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
proxy_set_header Host $host;
proxy_read_timeout 75s;
proxy_pass http://django;
""", name="django_location.conf")
    assert result.diagnostics == []
    assert result.config.settings["context"].value == "location"
    only = result.routes[0]
    assert len(result.routes) == 1 and only.location is None
    assert only.id.endswith("django_location.conf:4 (location-level fragment)")
    assert only.settings["proxy_read_timeout"].value == 75.0
    address = only.target.addresses[0]
    assert str(address.value) == "django:80" and "no upstream block named 'django' was loaded" in address.source.detail
