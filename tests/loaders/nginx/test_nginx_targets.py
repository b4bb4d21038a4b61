"""Routes and targets: upstream groups, literal addresses, unix sockets, variables; upstream server parameters."""

from __future__ import annotations

from pathlib import Path

from nginx_test_support import codes, load_text, route

from advisor.model.addresses import Address


def _server(body: str) -> str:
    return "http {\n upstream app_server {\n  server unix:/tmp/gunicorn.sock fail_timeout=0;\n }\n" \
           f" server {{\n  listen 80;\n{body}\n }}\n}}\n"


def test_upstream_target_has_one_address_per_server_at_the_server_line(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
http {
    upstream backend {
        least_conn;
        zone backend 64k;
        server 10.0.0.1:8000 weight=3 max_fails=2 fail_timeout=30s max_conns=100;
        server 10.0.0.2 backup;
        server app.internal:9000 down resolve;
    }
    server {
        location /api/ { proxy_pass http://backend/v1/; }
    }
}
""")
    assert result.diagnostics == []
    api = route(result, "/api/")
    assert api.target.upstream is result.upstreams["backend"]
    assert api.target.raw == "backend" and api.target.scheme == "http"
    assert [str(a.value) for a in api.target.addresses] == ["10.0.0.1:8000", "10.0.0.2:80", "app.internal:9000"]
    assert [a.source.line for a in api.target.addresses] == [6, 7, 8]
    upstream = result.upstreams["backend"]
    first, second, third = upstream.servers
    assert first.params["weight"].value == 3 and first.params["max_fails"].value == 2
    assert first.params["fail_timeout"].value == 30.0 and first.params["max_conns"].value == 100
    assert second.params["backup"].value is True and second.params["max_fails"].is_default
    assert second.params["fail_timeout"].value == 10.0
    assert third.params["down"].value is True and third.params["resolve"].value is True
    assert upstream.settings["balancer"].value == "least_conn"
    assert upstream.settings["zone"].value == "backend"
    assert upstream.source.line == 3


def test_literal_addresses_and_default_ports(tmp_path: Path) -> None:
    result = load_text(tmp_path, _server("""
  location /a { proxy_pass http://127.0.0.1:8001; }
  location /b { proxy_pass https://api.example.com/x/; }
  location /c { proxy_pass http://[::1]:8002; }
  location /d { proxy_pass http://localhost; }"""))
    assert result.diagnostics == []
    a = route(result, "/a")
    assert a.target.upstream is None and a.target.addresses[0].value == Address("tcp", host="127.0.0.1", port=8001)
    assert a.target.addresses[0].source.line == a.pass_directive.source.line
    assert a.pass_directive.value == "http://127.0.0.1:8001"
    assert str(route(result, "/b").target.addresses[0].value) == "api.example.com:443"
    assert route(result, "/c").target.addresses[0].value == Address("tcp", host="::1", port=8002)
    assert str(route(result, "/d").target.addresses[0].value) == "localhost:80"


def test_unix_socket_proxy_pass_with_uri(tmp_path: Path) -> None:
    result = load_text(tmp_path, _server("  location / { proxy_pass http://unix:/run/gunicorn.sock:/app/; }"))
    target = route(result, "/").target
    assert target.raw == "unix:/run/gunicorn.sock"
    assert target.addresses[0].value == Address("unix", path="/run/gunicorn.sock")


def test_variables_make_the_target_unknown(tmp_path: Path) -> None:
    result = load_text(tmp_path, _server("""
  set $backend 10.0.0.9:8000;
  location /a { proxy_pass http://$backend; }
  location /b { proxy_pass $upstream_url; }
  location /c { proxy_pass http://app_server$request_uri; }"""))
    assert result.diagnostics == []
    for location in ("/a", "/b"):
        address = route(result, location).target.addresses[0]
        assert not address.known and "resolved at run time" in address.source.detail
        assert address.source.line == route(result, location).pass_directive.source.line
    # a variable only in the URI part does not hide the upstream group
    assert route(result, "/c").target.upstream is not None


def test_uwsgi_and_fastcgi_bare_addresses_and_groups(tmp_path: Path) -> None:
    result = load_text(tmp_path, _server("""
  location / { uwsgi_pass app_server; }
  location /u { uwsgi_pass uwsgi://127.0.0.1:3031; }
  location /f { fastcgi_pass 127.0.0.1:9000; }
  location /s { scgi_pass unix:/run/scgi.sock; }
  location /m { memcached_pass 127.0.0.1:11211; }"""))
    assert result.diagnostics == []
    root = route(result, "/")
    assert root.kind == "uwsgi" and root.target.upstream is result.upstreams["app_server"]
    assert root.target.scheme is None
    assert str(route(result, "/u").target.addresses[0].value) == "127.0.0.1:3031"
    assert route(result, "/u").target.scheme == "uwsgi"
    assert str(route(result, "/f").target.addresses[0].value) == "127.0.0.1:9000"
    assert route(result, "/s").kind == "scgi" and route(result, "/m").kind == "memcached"


def test_bare_name_without_port_and_without_upstream_is_an_error_in_a_full_config(tmp_path: Path) -> None:
    result = load_text(tmp_path, _server("  location / { uwsgi_pass django; }"))
    assert codes(result) == ["ADV006"]
    assert not route(result, "/").target.addresses[0].known


def test_proxy_pass_without_scheme_is_invalid(tmp_path: Path) -> None:
    result = load_text(tmp_path, _server("  location / { proxy_pass 127.0.0.1:8000; }"))
    assert codes(result) == ["ADV006"] and "no scheme" in result.diagnostics[0].message


def test_route_ids_and_sources(tmp_path: Path) -> None:
    result = load_text(tmp_path, _server("  location /api/ {\n   proxy_pass http://app_server;\n  }"))
    api = route(result, "/api/")
    assert api.id.endswith("nginx.conf:7 location /api/")
    assert api.source.line == 7 and api.pass_directive.source.line == 8
    assert api.kind == "proxy" and api.location == "/api/"


def test_gunicorn_example_upstream(tmp_path: Path) -> None:
    result = load_text(tmp_path, _server("  location @proxy_to_app { proxy_pass http://app_server; }"))
    upstream = result.upstreams["app_server"]
    assert upstream.servers[0].address.value == Address("unix", path="/tmp/gunicorn.sock")
    assert upstream.servers[0].params["fail_timeout"].value == 0.0
    assert upstream.servers[0].params["fail_timeout"].raw == "fail_timeout=0"


def test_upstream_errors(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
http {
    upstream a { server 127.0.0.1:1 weight=x bogus=1; }
    upstream a { server 127.0.0.1:2; }
    upstream empty { }
    upstream bad { server 127.0.0.1:99999; }
}
""")
    messages = [(d.line, d.message) for d in result.diagnostics]
    assert all(d.code == "ADV006" for d in result.diagnostics)
    assert [line for line, _ in messages] == [3, 3, 4, 5, 6]
    assert 'duplicate upstream "a"' in messages[2][1]
    assert not result.upstreams["bad"].servers[0].address.known
    assert len(result.upstreams["a"].servers) == 1 and not result.upstreams["a"].servers[0].params["weight"].known


def test_upstream_names_are_case_insensitive(tmp_path: Path) -> None:
    result = load_text(tmp_path, "http { upstream App { server 127.0.0.1:1; }"
                                 " server { location / { proxy_pass http://app; } } }")
    assert route(result, "/").target.upstream is result.upstreams["app"]
    assert result.upstreams["app"].name == "App"
