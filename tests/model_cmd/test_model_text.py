"""`advisor model` text: a compact block per app server and parameter set first, the details only with --explain."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app

SNAPSHOT = Path(__file__).with_name("snapshots") / "demo_model.txt"
UPDATE = os.environ.get("ADVISOR_UPDATE_SNAPSHOTS") == "1"
DEMO = ["fixtures/demo/nginx.conf", "fixtures/demo/gunicorn.conf.py", "--rps", "50", "--service-time", "100ms",
        "--cpus", "2"]

# Three locations reach one sync pool over a unix socket; / and /api/ inherit the server's read timeout, so they
# have identical parameters; /admin/ sets its own.
SHARED_NGINX = """\
events {}
http {
    upstream app {
        server unix:/run/shop/gunicorn.sock;
    }
    server {
        listen 80;
        server_name shop.example.com;
        proxy_read_timeout 30s;
        location / {
            proxy_pass http://app;
        }
        location /api/ {
            proxy_pass http://app;
        }
        location /admin/ {
            proxy_pass http://app;
            proxy_read_timeout 120s;
        }
    }
}
"""
SHARED_GUNICORN = """\
bind = "unix:/run/shop/gunicorn.sock"
workers = 4
backlog = 64
timeout = 25
"""


@pytest.fixture(autouse=True)
def _fixed_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")


def model(*args: str):
    return CliRunner().invoke(app, ["model", *args])


def blocks(text: str) -> list[list[str]]:
    """The output's `== ...` blocks (each up to the next blank line)."""
    out: list[list[str]] = []
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("== "):
            current = [line]
            out.append(current)
        elif not line.strip():
            current = None
        elif current is not None:
            current.append(line)
    return out


def test_demo_text_matches_the_snapshot():
    result = model(*DEMO)
    assert result.exit_code == 0, result.stderr
    if UPDATE:
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(result.stdout, encoding="utf-8")
    assert result.stdout == SNAPSHOT.read_text(encoding="utf-8"), (
        "model text changed; if deliberate, rerun with ADVISOR_UPDATE_SNAPSHOTS=1 and review the diff")


def test_demo_summary_is_short_with_the_verdict_in_the_first_block():
    out = model(*DEMO).stdout
    assert len(out.splitlines()) <= 80
    first, *rest = blocks(out)
    assert first[1].startswith("  verdict    within budget: 0 % of requests fail")
    assert all(len(block) <= 16 for block in [first, *rest])
    # the details are left to --explain and the docs
    for detail in ("<- ", "what happens if all workers are busy", "100%|", "  notes"):
        assert detail not in out, detail
    assert "--explain adds" in out and "docs/model.md" in out and "docs/failures.md" in out


def test_compact_block_names_values_with_their_sources_and_recommendations_with_effects():
    out = model(*DEMO).stdout
    first = "\n".join(blocks(out)[0])
    # a file named again in the same line is shortened to :line
    assert "5 gthread workers (fixtures/demo/gunicorn.conf.py:5) x threads 4\n             (:7)" in first
    assert "proxy_read_timeout 20s (:30)" in first and "backlog 2048 (default)" in first
    words = " ".join(first.split())
    assert "1. `proxy_connect_timeout 500ms;` (now 10 s) at fixtures/demo/nginx.conf:29" in words
    assert "ok 0 % -> 83.3 % at 240 requests/s (overload)" in words
    assert "approximate (SYN retries before proxy_connect_timeout); --simulate checks it" in words


def test_explain_adds_parameters_notes_narrative_and_chart():
    out = model(*DEMO, "--explain").stdout
    for detail in ("  parameters", "<- fixtures/demo/nginx.conf:30", "  notes",
                   "what happens if all workers are busy and a request comes in? (docs/failures.md#",
                   "why these changes", "current settings (capacity 200 requests/s)"):
        assert detail in out, detail
    assert "--explain adds" not in out
    assert blocks(out)[0] == blocks(model(*DEMO).stdout)[0]  # the same summary first, then the details


@pytest.fixture
def shared_pool(tmp_path: Path) -> list[str]:
    (tmp_path / "nginx.conf").write_text(SHARED_NGINX)
    (tmp_path / "gunicorn.conf.py").write_text(SHARED_GUNICORN)
    return [str(tmp_path / "nginx.conf"), str(tmp_path / "gunicorn.conf.py"), "--rps", "35", "--service-time",
            "100ms"]


def test_routes_with_identical_parameters_share_one_block(shared_pool):
    out = model(*shared_pool).stdout
    headers = [block[0] for block in blocks(out)]
    assert len(headers) == 2
    words = [" ".join(" ".join(block).split()) for block in blocks(out)]
    assert re.search(r"nginx\.conf:10 location /, \S+nginx\.conf:13 location /api/ -> \S+gunicorn\.conf\.py "
                     r"\(2 routes, same parameters\)", words[0]), words[0]
    assert "location /admin/" in words[1] and "proxy_read_timeout 120s" in words[1]
    assert "summary: 3 link(s) modelled" in out
    # JSON keeps one prediction per route
    data = json.loads(model(*shared_pool, "--output-format", "json").stdout)
    assert len(data["predictions"]) == 3


def test_unix_socket_sync_pool_reads_plainly(shared_pool):
    words = " ".join(model(*shared_pool).stdout.split())
    assert "4 sync workers (" in words and "65 can wait in the accept queue (backlog 64 (:3) + 1); timeout 25 s (:4)" \
        in words
    assert "unix:/run/shop/gunicorn.sock (" in words and "connect_timeout" not in words


def test_routes_stopped_by_the_same_unknown_value_share_one_block():
    result = model("fixtures/demo/nginx.conf", "fixtures/demo/gunicorn.conf.py", "--rps", "50", "--service-time",
                   "100ms")
    assert result.exit_code == 2
    out = result.stdout
    assert out.count("not modelled:") == 1 and "location / ->" in out and "location /reports/ ->" in out
    assert "pass --cpus N" in out and "summary: 0 link(s) modelled, 0 over the error budget, 2 not modelled" in out
