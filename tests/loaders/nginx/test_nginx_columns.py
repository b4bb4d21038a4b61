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
