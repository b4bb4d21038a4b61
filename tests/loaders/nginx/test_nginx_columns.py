"""Findings point at line:column of the directive, although crossplane reports lines only."""

from pathlib import Path

from advisor.loaders.nginx import load_nginx
from advisor.model.deployment import HostFacts


def test_settings_targets_and_blocks_carry_columns(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    Path("nginx.conf").write_text(
        "events {}\n"
        "http {\n"
        "  upstream app { server 127.0.0.1:8000; }\n"
        "  server {\n"
        "    listen 80;\n"
        "      location /api/ {\n"
        "        proxy_read_timeout 5s;  proxy_connect_timeout 1s;\n"
        "        proxy_pass http://app;\n"
        "      }\n"
        "  }\n"
        "}\n")
    result = load_nginx("nginx.conf", HostFacts.build())
    (route,) = result.routes
    assert (route.source.line, route.source.column) == (6, 7)
    assert (route.settings["proxy_read_timeout"].source.line, route.settings["proxy_read_timeout"].source.column) \
        == (7, 9)
    assert route.settings["proxy_connect_timeout"].source.column == 33
    assert route.pass_directive.source.column == 9
    assert route.listens[0].source.column == 5
    (server,) = result.upstreams["app"].servers
    assert (server.source.line, server.source.column) == (3, 18)


def test_columns_come_from_the_text_the_parser_read(tmp_path: Path, monkeypatch):
    """Each config file is read once: the column lookup reuses the parser's text (an included file as well)."""
    from advisor.loaders.nginx import columns

    monkeypatch.chdir(tmp_path)
    Path("conf.d").mkdir()
    Path("conf.d/app.conf").write_text("server {\n  listen 80;\n    location / { proxy_pass http://127.0.0.1:8000; }\n}\n")
    Path("nginx.conf").write_text("events {}\nhttp {\n   include conf.d/*.conf;\n}\n")

    def no_second_read(*args, **kwargs):
        raise AssertionError(f"columns read {args[0]} again")

    monkeypatch.setattr(columns, "open", no_second_read, raising=False)
    result = load_nginx("nginx.conf", HostFacts.build())
    (route,) = result.routes
    assert (route.source.line, route.source.column) == (3, 5)
    assert route.listens[0].source.column == 3
