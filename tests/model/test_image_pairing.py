"""A compose service that runs its pulled image's own command, paired with the one passed script that starts an
app server; and routes to other compose services never linked to an app on the port alone."""

from __future__ import annotations

import textwrap
from pathlib import Path

from advisor.commands.options import Inputs
from advisor.loaders.sources.service_roles import is_infrastructure
from advisor.loaders.deployment import build_deployment
from advisor.model.deployment import HostFacts

NGINX = """
events {}
http {
  server {
    listen 80;
    location / { proxy_pass http://web:3000; }
    location /api/ { proxy_pass http://api:8000; }
  }
}
"""
COMPOSE = """
services:
  proxy:
    image: example/shop-proxy:${TAG}
    ports: ["80:80"]
  db:
    image: postgres:16
  cache:
    image: redis:7
  web:
    image: example/shop-frontend:${TAG}
  api:
    image: example/shop:${TAG}
    environment:
      - WEB_CONCURRENCY=${api_workers:-1}
{extra}
"""
SCRIPT = """
#!/bin/bash
python manage.py migrate
exec gunicorn shop.wsgi --bind 0.0.0.0:8000 --max-requests 100
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def _deployment(tmp_path: Path, extra: str = "", scripts: int = 1, env: dict[str, str] | None = None):
    paths = [_write(tmp_path / "proxy/nginx.conf", NGINX),
             _write(tmp_path / "docker-compose.yml", COMPOSE.replace("{extra}", extra))]
    paths += [_write(tmp_path / f"api/entrypoint{n or ''}.sh", SCRIPT) for n in range(scripts)]
    return build_deployment(Inputs(paths=[str(path) for path in paths]), HostFacts.build(env=env))


def test_the_one_app_like_image_service_runs_the_one_unattached_script(tmp_path):
    deployment = _deployment(tmp_path, env={"api_workers": "3"})
    [app] = deployment.apps
    assert app.service_name == "api"
    assert app.settings["workers"].value == 3  # WEB_CONCURRENCY from the service's environment:
    assert app.settings["workers"].source.inputs[0].path.endswith("docker-compose.yml")
    [note] = [d for d in deployment.diagnostics if d.code == "ADV007" and "image's own command" in d.message]
    assert note.severity == "info" and "entrypoint.sh" in note.message and "command:" in (note.fix or "")
    assert [(link.route.location, link.match) for link in deployment.links] == [("/api/", "service-name")]


def test_two_app_like_image_services_are_ambiguous(tmp_path):
    deployment = _deployment(tmp_path, extra="  admin:\n    image: example/shop-admin:1\n")
    [app] = deployment.apps
    assert app.service_name is None and app.settings["workers"].value == 1


def test_two_unattached_scripts_are_ambiguous(tmp_path):
    deployment = _deployment(tmp_path, scripts=2, env={"api_workers": "3"})
    assert {app.service_name for app in deployment.apps} == {None}


def test_a_service_with_a_command_is_not_paired(tmp_path):
    extra = "  worker:\n    image: example/shop:1\n    command: celery -A shop worker\n"
    deployment = _deployment(tmp_path, extra=extra, env={"api_workers": "3"})
    assert [app.service_name for app in deployment.apps] == ["api"]  # the worker runs its own command


def test_infrastructure_by_image_name_and_healthcheck():
    for image in ("postgres:16", "bitnami/postgresql:15", "pgautoupgrade/pgautoupgrade:latest", "redis:7-alpine",
                  "ghcr.io/example/shop-frontend:2", "nginx:1.27", "example/shop-proxy:1", "rabbitmq:3-management"):
        assert is_infrastructure(image), image
    for image in ("example/shop:1", "ghcr.io/example/api:latest", "python:3.12-slim"):
        assert not is_infrastructure(image), image
    assert is_infrastructure("example/shop:1", "celery")
    assert is_infrastructure("example/data:1", "pg_isready")


def test_a_route_to_another_compose_service_is_not_linked_by_port(tmp_path):
    nginx = _write(tmp_path / "nginx.conf", """
        events {}
        http {
          server {
            listen 80;
            location / { proxy_pass http://django:8000; }
            location /collab { proxy_pass http://collab:8000; }
          }
        }
        """)
    compose = _write(tmp_path / "compose.yml", """
        services:
          django:
            build: .
            command: gunicorn config.wsgi --bind 0.0.0.0:8000
          collab:
            build: ./collab
        """)
    deployment = build_deployment(Inputs(paths=[str(nginx), str(compose)]), HostFacts.build())
    assert [link.route.location for link in deployment.links] == ["/"]
    collab = next(route for route in deployment.routes if route.location == "/collab")
    assert deployment.route_diagnoses[collab.id].status == "other-backend"
