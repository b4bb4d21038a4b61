"""uWSGI in the deployment model: classification by name and content, links to its sockets, one app per process,
and the facts the rules read (concurrency, listen queue, harakiri, the protocol at the linked socket)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advisor.commands.options import HostFacts, Inputs
from advisor.engine.facts import FactIndex
from advisor.loaders.deployment import build_deployment
from advisor.model.classify import classify_path


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def _deployment(*paths: Path, **options: object):
    inputs = Inputs(paths=[str(path) for path in paths])
    return build_deployment(inputs, HostFacts.build(**options))  # type: ignore[arg-type]


@pytest.mark.parametrize(("name", "content", "kind"), [
    ("uwsgi.ini", "[app]\nprocesses = 2\n", "uwsgi"),  # by name; its section may be named otherwise
    ("shop-uwsgi.ini", "", "uwsgi"),
    ("shop.ini", "; site\n[uwsgi]\nsocket = :3031\n", "uwsgi"),
    ("site.conf", "[uwsgi]\nsocket = :3031\n", "uwsgi"),
    ("uwsgi.yaml", "uwsgi:\n  socket: :3031\n", "uwsgi"),
    ("app.json", '{"uwsgi": {"socket": ":3031"}}\n', "uwsgi"),
    ("vassal.xml", "<uwsgi>\n  <socket>:3031</socket>\n</uwsgi>\n", "uwsgi"),
    ("uwsgi_params", "uwsgi_param QUERY_STRING $query_string;\n", "nginx"),  # nginx's include file
    ("compose.uwsgi.yml", "services:\n  web:\n    command: uwsgi --socket :3031\n", "compose"),
    ("start", "#!/bin/sh\nexec uwsgi --ini /etc/uwsgi/app.ini\n", "shell"),
    ("serve.py", "import subprocess\nsubprocess.run(['uwsgi', '--ini', 'app.ini'])\n", "python"),
])
def test_classification(tmp_path, name, content, kind):
    assert classify_path(str(_write(tmp_path, name, content))) == kind


NGINX = """
    server {
        listen 80;
        location / {
            include uwsgi_params;
            uwsgi_pass unix:/run/uwsgi/shop.sock;
        }
        location /api/ {
            proxy_pass http://127.0.0.1:8000;
        }
    }
"""
UWSGI = """
    [uwsgi]
    module = shop.wsgi
    processes = 4
    threads = 2
    socket = /run/uwsgi/shop.sock
    http-socket = 127.0.0.1:8000
    listen = 200
    harakiri = 30
"""


def test_each_route_links_to_its_socket_with_that_line(tmp_path):
    deployment = _deployment(_write(tmp_path, "nginx.conf", NGINX), _write(tmp_path, "uwsgi.ini", UWSGI))
    assert [(link.route.kind, str(link.bind), link.match) for link in deployment.links] == [
        ("uwsgi", "unix:/run/uwsgi/shop.sock", "unix"), ("proxy", "127.0.0.1:8000", "exact")]
    diagnoses = list(deployment.route_diagnoses.values())
    assert [diagnosis.closest_bind.source.line for diagnosis in diagnoses] == [5, 6]


def test_link_and_app_facts(tmp_path):
    deployment = _deployment(_write(tmp_path, "nginx.conf", NGINX), _write(tmp_path, "uwsgi.ini", UWSGI),
                             somaxconn=128)
    (first, second) = FactIndex(deployment).instances("link")
    app, link = first.names["app"], first.names["link"]
    assert (app.effective_worker_class, app.is_async, app.slots_per_worker, app.concurrency) == ("uwsgi", False,
                                                                                                 2, 8)
    assert app.accept_queue == 129  # min(listen 200, somaxconn 128) + 1
    assert app.queue_capacity == 129
    assert (app.timeout_bounds_requests, app.max_request_time) == (True, 30.0)
    assert (link.protocol, link.protocol_ok, link.socket) == ("uwsgi", True, "unix")
    assert (second.names["link"].protocol, second.names["link"].protocol_ok) == ("http", True)


def test_command_line_and_its_ini_are_one_app(tmp_path):
    _write(tmp_path, "deploy/uwsgi.ini", "[uwsgi]\nmodule = shop.wsgi\nsocket = :3031\nprocesses = 3\n")
    compose = _write(tmp_path, "docker-compose.yml", """
        services:
          web:
            build: .
            command: uwsgi --ini /app/deploy/uwsgi.ini --master
            volumes:
              - ./deploy:/app/deploy
    """)
    nginx = _write(tmp_path, "nginx.conf", """
        server {
            listen 80;
            location / {
                include uwsgi_params;
                uwsgi_pass web:3031;
            }
        }
    """)
    deployment = _deployment(nginx, compose, tmp_path / "deploy" / "uwsgi.ini")
    (app,) = deployment.apps
    assert app.id.endswith("docker-compose.yml:web") and app.service_name == "web"
    assert app.settings["processes"].value == 3 and app.settings["master"].value is True
    assert [link.match for link in deployment.links] == ["service-name"]


def test_directory_discovery_picks_the_uwsgi_config(tmp_path):
    _write(tmp_path, "deploy/nginx.conf", NGINX)
    _write(tmp_path, "deploy/uwsgi.ini", UWSGI)
    _write(tmp_path, "deploy/uwsgi_params", "uwsgi_param QUERY_STRING $query_string;\n")
    deployment = _deployment(tmp_path)
    assert [app.kind for app in deployment.apps] == ["uwsgi"]
    assert len(deployment.links) == 2


def test_uwsgi_app_is_not_modelled_yet_without_error(tmp_path):
    from advisor.engine.rules import load_rules
    from advisor.engine.run import run_rules
    from advisor.engine.workload_facts import resolve_workload

    deployment = _deployment(_write(tmp_path, "nginx.conf", NGINX), _write(tmp_path, "uwsgi.ini", UWSGI))
    result = run_rules(deployment, load_rules(), strict=True, workload=resolve_workload(20, "100ms", None))
    assert not [skip for skip in result.skips if skip.kind == "error"]


def test_show_prints_uwsgi_settings_and_sockets(tmp_path):
    from advisor.commands.show import render_text

    deployment = _deployment(_write(tmp_path, "nginx.conf", NGINX), _write(tmp_path, "uwsgi.ini", UWSGI))
    text = render_text(deployment)
    assert "(uwsgi)" in text
    assert "  socket unix:/run/uwsgi/shop.sock  speaks uwsgi" in text
    assert "  http-socket 127.0.0.1:8000  speaks http" in text
    assert any(line.split()[:2] == ["harakiri", "30"] for line in text.splitlines())
    (app,) = deployment.to_dict()["apps"]
    assert [item["protocol"] for item in app["listeners"]] == ["uwsgi", "http"]
