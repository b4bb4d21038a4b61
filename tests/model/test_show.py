"""`advisor show`: effective values and where each came from, as text and as stable JSON."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from advisor.cli import app

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
DEMO = [str(FIXTURES / "demo" / "nginx.conf"), str(FIXTURES / "demo" / "gunicorn.conf.py")]


def _show_json(*args: str) -> dict:
    result = CliRunner().invoke(app, ["show", *args, "--output-format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_has_effective_values_with_provenance():
    data = _show_json(*DEMO, "--cpus", "2")
    routes = {route["location"]: route for route in data["routes"]}
    read = routes["/"]["settings"]["proxy_read_timeout"]
    assert read["value"] == 20 and read["raw"] == "20s"
    assert read["source"]["kind"] == "file" and read["source"]["path"].endswith("demo/nginx.conf")
    assert read["source"]["line"] == 30
    connect = routes["/reports/"]["settings"]["proxy_connect_timeout"]
    assert connect["value"] == 60.0
    assert connect["source"] == {"kind": "default", "detail": "nginx 1.30.0 default"}
    (gunicorn,) = data["apps"]
    workers = gunicorn["settings"]["workers"]
    assert workers["value"] == 5 and workers["source"]["line"] == 5
    assert gunicorn["settings"]["bind"]["value"] == ["127.0.0.1:8000"]
    assert gunicorn["settings"]["backlog"]["source"] == {"kind": "default", "detail": "gunicorn 27.0.1 default"}
    assert {link["app"] for link in data["links"]} == {gunicorn["id"]}
    assert len(data["links"]) == 2 and data["unlinked_routes"] == []
    assert data["upstreams"]["app_server"]["settings"]["keepalive"]["value"] == 16


def test_unknown_values_say_why():
    data = _show_json(*DEMO)  # no --cpus: workers = cpu_count() * 2 + 1 cannot be known
    workers = data["apps"][0]["settings"]["workers"]
    assert workers["value"] is None and workers["source"]["kind"] == "unknown"
    assert "--cpus" in workers["source"]["detail"]


def test_nginx_version_changes_defaults():
    old = _show_json(*DEMO, "--cpus", "2", "--nginx-version", "1.24.0")
    new = _show_json(*DEMO, "--cpus", "2")
    old_route = next(r for r in old["routes"] if r["location"] == "/reports/")
    new_route = next(r for r in new["routes"] if r["location"] == "/reports/")
    assert old_route["settings"]["proxy_http_version"]["value"] == "1.1"  # set explicitly in the demo
    assert "1.24.0" in old_route["settings"]["proxy_connect_timeout"]["source"]["detail"]
    assert "1.30.0" in new_route["settings"]["proxy_connect_timeout"]["source"]["detail"]


def test_text_lists_routes_apps_links_and_sources():
    result = CliRunner().invoke(app, ["show", *DEMO, "--cpus", "2"])
    assert result.exit_code == 0
    out = result.stdout
    assert "route " in out and "location /reports/" in out
    assert "proxy_read_timeout" in out and "demo/nginx.conf:30" in out
    assert "links" in out and "-> " in out
    assert 'proxy_set_header Connection ""' in out


def test_usage_errors_and_broken_input(tmp_path: Path):
    runner = CliRunner()
    assert runner.invoke(app, ["show"]).exit_code == 2
    broken = tmp_path / "nginx.conf"
    broken.write_text("http { server { location / { proxy_pass http://x:1 }\n")
    result = runner.invoke(app, ["show", str(broken)])
    assert result.exit_code == 1 and "ADV001" in result.stdout


def test_corpus_pair_netbox_links_to_its_gunicorn_bind():
    folder = CORPUS / "netbox-community__netbox"
    if not folder.is_dir():
        import pytest
        pytest.skip("shared corpus not present")
    data = _show_json(str(folder / "contrib__nginx.conf"), str(folder / "contrib__gunicorn.py"))
    (link,) = data["links"]
    assert link["bind"] == "127.0.0.1:8001" and link["match"] == "exact"
