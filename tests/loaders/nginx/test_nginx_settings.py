"""Effective route settings: value conversion, inheritance http -> server -> location, headers, defaults."""

from __future__ import annotations

from pathlib import Path

from nginx_test_support import codes, load_text, route

CONFIG = """
worker_processes 4;
worker_rlimit_nofile 8192;
user www-data;
events { worker_connections 2048; }
http {
    proxy_read_timeout 1m30s;
    client_max_body_size 10m;
    proxy_set_header X-Real-IP $remote_addr;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    keepalive_timeout 15 10;
    server {
        listen 80 backlog=4096;
        listen [::]:80;
        server_name a.example b.example;
        proxy_connect_timeout 500ms;
        proxy_buffering off;
        location / {
            proxy_pass http://127.0.0.1:8000;
        }
        location /api/ {
            proxy_read_timeout 120;
            proxy_next_upstream error timeout http_502;
            proxy_next_upstream_tries 3;
            proxy_buffer_size 16k;
            proxy_set_header Host $host;
            proxy_pass http://127.0.0.1:8000;
            location /api/upload/ {
                client_max_body_size 0;
                proxy_request_buffering off;
                proxy_pass http://127.0.0.1:8000;
            }
        }
    }
}
"""


def test_values_are_converted_and_positioned(tmp_path: Path) -> None:
    result = load_text(tmp_path, CONFIG)
    assert result.diagnostics == []
    api = route(result, "/api/")
    read = api.settings["proxy_read_timeout"]
    assert read.value == 120.0 and read.raw == "120" and read.source.line == 22 and read.explicit
    assert api.settings["proxy_next_upstream"].value == ["error", "timeout", "http_502"]
    assert api.settings["proxy_next_upstream_tries"].value == 3
    assert api.settings["proxy_buffer_size"].value == 16 * 1024
    assert api.settings["proxy_connect_timeout"].value == 0.5  # from the server level
    assert api.settings["proxy_buffering"].value is False


def test_inheritance_http_server_location_and_nested(tmp_path: Path) -> None:
    result = load_text(tmp_path, CONFIG)
    root = route(result, "/")
    assert root.settings["proxy_read_timeout"].value == 90.0 and root.settings["proxy_read_timeout"].source.line == 7
    assert root.settings["client_max_body_size"].value == 10 * 1024 * 1024
    upload = route(result, "/api/upload/")
    assert upload.settings["proxy_read_timeout"].value == 120.0  # from the enclosing location
    assert upload.settings["client_max_body_size"].value == 0
    assert upload.settings["proxy_request_buffering"].value is False
    assert upload.settings["proxy_connect_timeout"].source.line == 16
    # untouched values are defaults of the configured version
    send = root.settings["proxy_send_timeout"]
    assert send.value == 60.0 and send.is_default and send.source.detail == "nginx 1.30.0 default"


def test_client_side_keepalive_takes_the_first_argument(tmp_path: Path) -> None:
    result = load_text(tmp_path, CONFIG)
    assert route(result, "/").settings["keepalive_timeout"].value == 15.0
    assert result.config.settings["keepalive_timeout"].value == 15.0


def test_headers_all_or_nothing(tmp_path: Path) -> None:
    result = load_text(tmp_path, CONFIG)
    root = route(result, "/")
    assert set(root.headers) == {"host", "x-real-ip", "x-forwarded-for"}
    assert root.headers["host"].value == "$proxy_host" and root.headers["host"].is_default
    assert root.headers["x-real-ip"].source.line == 9
    api = route(result, "/api/")
    # /api/ sets one header: the http-level ones are NOT inherited any more, defaults still apply
    assert set(api.headers) == {"host"}
    assert api.headers["host"].value == "$host" and api.headers["host"].source.line == 26
    # a nested location without proxy_set_header inherits its parent's set
    assert set(route(result, "/api/upload/").headers) == {"host"}


def test_connection_close_default_only_before_1_29_7(tmp_path: Path) -> None:
    old = route(load_text(tmp_path, CONFIG, version="1.28.0"), "/")
    assert old.headers["connection"].value == "close" and old.headers["connection"].is_default
    assert "connection" not in route(load_text(tmp_path, CONFIG, version="1.30.0"), "/").headers


def test_version_dependent_defaults(tmp_path: Path) -> None:
    text = "http { upstream app { server 127.0.0.1:8000; } server { location / { proxy_pass http://app; } } }"
    new = load_text(tmp_path, text, version="1.30.0")
    old = load_text(tmp_path, text, version="1.28.0")
    ancient = load_text(tmp_path, text, version="1.18.0")
    assert route(new, "/").settings["proxy_http_version"].value == "1.1"
    assert route(old, "/").settings["proxy_http_version"].value == "1.0"
    assert new.upstreams["app"].settings["keepalive"].value == 32
    assert new.upstreams["app"].settings["keepalive"].is_default
    assert old.upstreams["app"].settings["keepalive"].value == 0
    assert route(new, "/").settings["keepalive_requests"].value == 1000
    assert route(ancient, "/").settings["keepalive_requests"].value == 100
    assert ancient.upstreams["app"].settings["keepalive_requests"].value == 100
    assert route(ancient, "/").settings["keepalive_time"].value is None
    assert "1.28.0" in route(old, "/").settings["proxy_send_timeout"].source.detail


def test_upstream_and_client_keepalive_timeout_are_told_apart(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
http {
    keepalive_timeout 5;
    keepalive_requests 50;
    upstream app {
        server 127.0.0.1:8000;
        keepalive 16;
        keepalive_timeout 30s;
        keepalive_requests 200;
        keepalive_time 10m;
    }
    server { location / { proxy_pass http://app; } }
}
""")
    assert result.diagnostics == []
    upstream = result.upstreams["app"].settings
    assert upstream["keepalive"].value == 16 and upstream["keepalive_local"].value is False
    assert upstream["keepalive_timeout"].value == 30.0 and upstream["keepalive_timeout"].source.line == 8
    assert upstream["keepalive_requests"].value == 200
    assert upstream["keepalive_time"].value == 600.0
    client = route(result, "/").settings
    assert client["keepalive_timeout"].value == 5.0 and client["keepalive_timeout"].source.line == 3
    assert client["keepalive_requests"].value == 50


def test_main_settings(tmp_path: Path) -> None:
    settings = load_text(tmp_path, CONFIG).config.settings
    assert settings["worker_processes"].value == 4
    assert settings["worker_connections"].value == 2048 and settings["worker_connections"].source.line == 5
    assert settings["worker_rlimit_nofile"].value == 8192
    assert settings["user"].value == "www-data"
    assert settings["context"].value == "main"


def test_main_defaults_when_absent(tmp_path: Path) -> None:
    settings = load_text(tmp_path, "events {}\nhttp {}\n").config.settings
    assert settings["worker_processes"].value == 1 and settings["worker_processes"].is_default
    assert settings["worker_connections"].value == 512
    rlimit = settings["worker_rlimit_nofile"]
    assert rlimit.value is None and rlimit.is_default


def test_worker_processes_auto(tmp_path: Path) -> None:
    text = "worker_processes auto;\nevents {}\n"
    with_cpus = load_text(tmp_path, text, cpus=8).config.settings["worker_processes"]
    assert with_cpus.value == 8 and with_cpus.raw == "auto" and with_cpus.source.kind == "derived"
    assert with_cpus.source.position().line == 1
    without = load_text(tmp_path, text).config.settings["worker_processes"]
    assert not without.known and "pass --cpus" in without.source.detail and without.source.line == 1


def test_listens_and_backlog(tmp_path: Path) -> None:
    result = load_text(tmp_path, CONFIG)
    root = route(result, "/")
    assert [listen.value for listen in root.listens] == ["80 backlog=4096", "[::]:80"]
    assert [listen.source.line for listen in root.listens] == [13, 14]
    assert root.server_names == ["a.example", "b.example"]
    assert root.settings["listen_backlog"].value == 4096
    other = load_text(tmp_path, "http { server { listen 8080; location / { proxy_pass http://127.0.0.1:1; } } }")
    backlog = route(other, "/").settings["listen_backlog"]
    assert backlog.value == 511 and backlog.is_default


def test_server_without_listen_gets_the_default_listen(tmp_path: Path) -> None:
    result = load_text(tmp_path, "http { server { location / { proxy_pass http://127.0.0.1:1; } } }")
    listens = route(result, "/").listens
    assert [listen.value for listen in listens] == ["*:80"] and listens[0].is_default


def test_if_inside_location_counts_with_a_note(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
http {
    server {
        location /events {
            proxy_read_timeout 30s;
            if ($request_method = POST) {
                proxy_read_timeout 300s;
                proxy_pass http://127.0.0.1:9000;
            }
            proxy_pass http://127.0.0.1:8000;
        }
    }
}
""")
    assert result.diagnostics == []
    events = [r for r in result.routes if r.location == "/events"]
    assert len(events) == 2
    main, conditional = events
    assert main.pass_directive.source.line == 10 and conditional.pass_directive.source.line == 8
    assert "if ($request_method = POST)" in conditional.id
    for item in events:
        read = item.settings["proxy_read_timeout"]
        assert read.value == 300.0 and read.source.line == 7
        assert "inside if ($request_method = POST)" in read.source.detail


def test_other_module_routes_have_their_own_settings(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
http {
    uwsgi_read_timeout 300;
    server {
        location / { uwsgi_pass 127.0.0.1:3031; uwsgi_buffering off; }
        location ~ \\.php$ { fastcgi_pass unix:/run/php/fpm.sock; fastcgi_read_timeout 5m; }
        location /grpc { grpc_pass grpc://127.0.0.1:50051; grpc_read_timeout 1h; }
    }
}
""")
    assert result.diagnostics == []
    uwsgi = route(result, "/")
    assert uwsgi.kind == "uwsgi"
    assert uwsgi.settings["uwsgi_read_timeout"].value == 300.0 and uwsgi.settings["uwsgi_buffering"].value is False
    assert "proxy_read_timeout" not in uwsgi.settings and uwsgi.headers == {}
    php = route(result, "~ \\.php$")
    assert php.kind == "fastcgi" and php.settings["fastcgi_read_timeout"].value == 300.0
    assert php.settings["fastcgi_connect_timeout"].is_default
    grpc = route(result, "/grpc")
    assert grpc.kind == "grpc" and grpc.settings["grpc_read_timeout"].value == 3600.0
    assert "client_max_body_size" in grpc.settings


def test_sizes_and_flags_in_their_units(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
http { server { location / {
    proxy_pass http://127.0.0.1:1;
    proxy_max_temp_file_size 2g;
    proxy_busy_buffers_size 64K;
    proxy_buffers 16 32k;
    proxy_ignore_client_abort ON;
    proxy_socket_keepalive on;
    client_body_timeout "1h 30m";
    send_timeout 2m;
    keepalive_time 2h;
} } }
""")
    assert result.diagnostics == []
    settings = route(result, "/").settings
    assert settings["proxy_max_temp_file_size"].value == 2 * 1024**3
    assert settings["proxy_busy_buffers_size"].value == 64 * 1024
    assert settings["proxy_buffers"].value == "16 32k"
    assert settings["proxy_ignore_client_abort"].value is True
    assert settings["proxy_socket_keepalive"].value is True
    assert settings["client_body_timeout"].value == 5400.0  # a blank inside a value needs quotes in nginx
    assert settings["send_timeout"].value == 120.0
    assert settings["keepalive_time"].value == 7200.0


def test_invalid_choices_are_reported(tmp_path: Path) -> None:
    result = load_text(tmp_path, "http { server { location / { proxy_pass http://127.0.0.1:1;"
                                 " proxy_next_upstream error http_999; proxy_buffers 8 lots; } } }")
    assert codes(result) == ["ADV006", "ADV006"]
    settings = route(result, "/").settings
    assert not settings["proxy_next_upstream"].known and not settings["proxy_buffers"].known
