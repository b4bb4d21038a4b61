"""Every configuration error nginx itself reports (ADV006) says what it means, whichever check found it, and a
stock include says what was assumed: one sentence with the values and the consequence."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.loaders.nginx import load_nginx
from advisor.loaders.nginx.rejection import REFUSES_TO_START
from advisor.model.deployment import HostFacts

@pytest.mark.parametrize("config", [
    "http { upstream app { keepalive 8; } server { listen 80; location / { proxy_pass http://app; } } }",
    "http { upstream app { server 127.0.0.1:8000 weight=x; } "
    "server { listen 80; location / { proxy_pass http://app; } } }",
    "http { upstream app { server 127.0.0.1:8000; } upstream app { server 127.0.0.1:8001; } }",
    "http { server { listen 80; location / { proxy_read_timeout 10x; proxy_pass http://127.0.0.1:8000; } } }",
    "http { server { listen 80; location / { proxy_read_timeout 5s; proxy_read_timeout 6s; "
    "proxy_pass http://127.0.0.1:8000; } } }",
    "http { server { listen 80 backlog=many; location / { proxy_pass http://127.0.0.1:8000; } } }",
    "http { server { listen 80; location / { proxy_pass http://127.0.0.1:99999; } } }",
    "http { server { listen 80; location / { uwsgi_pass app; } } }",
])
def test_every_nginx_rejection_says_nginx_refuses_to_start(tmp_path: Path, config: str) -> None:
    path = tmp_path / "nginx.conf"
    path.write_text("events {}\n" + config + "\n")
    rejections = [d for d in load_nginx(str(path), HostFacts.build()).diagnostics if d.code == "ADV006"]
    assert rejections, config
    for diagnostic in rejections:
        assert diagnostic.severity == "error"
        assert diagnostic.message.endswith(f": {REFUSES_TO_START}"), diagnostic.message
        assert len(diagnostic.message) <= 200

def test_an_include_loop_and_a_stock_include_say_what_follows(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text(
        "include nginx.conf;\nevents {}\nhttp { server { listen 80; location / { include proxy_params; "
        "proxy_pass http://127.0.0.1:8000; } } }\n")
    messages = {d.code: d.message for d in load_nginx(str(tmp_path / "nginx.conf"), HostFacts.build()).diagnostics}
    assert REFUSES_TO_START in messages["ADV005"]
    assert messages["ADV003"] == ("include proxy_params not found: advisor assumed the stock proxy_params, so "
                                  "edits to the server's copy were not checked")
