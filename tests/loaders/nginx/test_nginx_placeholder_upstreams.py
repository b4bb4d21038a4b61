"""An upstream whose name is a template placeholder is reached by a pass directive with the identical text."""

from __future__ import annotations

from pathlib import Path

from nginx_test_support import codes, load_text, route


def test_pass_to_an_upstream_named_by_the_same_placeholder(tmp_path: Path) -> None:
    result = load_text(tmp_path, """
upstream {{ project }}_app {
    server unix:/srv/{{ project }}/app.sock fail_timeout=0;
}
upstream %(name)s { server 127.0.0.1:8001; }
server {
    listen 80;
    location / { proxy_pass http://{{project}}_app; }
    location /api/ { proxy_pass http://%(name)s/api/; }
    location /other/ { proxy_pass http://{{ other }}_app; }
}
""")
    assert codes(result) == []
    root = route(result, "/")
    assert root.target.upstream is result.upstreams["{{ project }}_app"]
    [address] = root.target.addresses
    assert not address.known and address.raw == "unix:/srv/{{ project }}/app.sock"
    api = route(result, "/api/")
    assert api.target.upstream is not None and str(api.target.addresses[0].value) == "127.0.0.1:8001"
    other = route(result, "/other/")  # no upstream has that text: unknown, never a literal host
    assert other.target.upstream is None and not other.target.addresses[0].known
