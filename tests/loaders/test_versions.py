"""Versions a deployment pins: gunicorn in its requirements, nginx in its image tag."""

import json

import pytest

from advisor.commands.options import Inputs
from advisor.loaders.versions import pinned_gunicorn_version, pinned_nginx_version
from advisor.loaders.deployment import build_deployment
from advisor.model.deployment import HostFacts, Version

NGINX = "server {\n    listen 80;\n    location / { proxy_pass http://web:8000; }\n}\n"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "gunicorn.conf.py").write_text("bind = '0.0.0.0:8000'\n")
    return tmp_path


@pytest.mark.parametrize("name, text, expected", [
    ("requirements.txt", "Django==5.0.6\ngunicorn[gevent]==21.2.0  # server\n", "21.2.0"),
    ("requirements-prod.txt", "gunicorn==22.0.0 ; sys_platform != 'win32'\n", "22.0.0"),
    ("pyproject.toml", '[project]\ndependencies = ["gunicorn==23.0.0", "flask>=3"]\n', "23.0.0"),
    ("pyproject.toml", '[tool.poetry.dependencies]\npython = "^3.11"\ngunicorn = "20.1.0"\n', "20.1.0"),
    ("poetry.lock", '[[package]]\nname = "gunicorn"\nversion = "21.2.0"\ndescription = "WSGI"\n', "21.2.0"),
    ("uv.lock", '[[package]]\nname = "gunicorn"\nversion = "23.0.0"\nsource = { registry = "x" }\n', "23.0.0"),
    ("Pipfile.lock", json.dumps({"default": {"gunicorn": {"version": "==20.0.4"}}}, indent=4), "20.0.4"),
])
def test_gunicorn_pins(repo, name, text, expected):
    (repo / name).write_text(text)
    pin = pinned_gunicorn_version(["deploy/gunicorn.conf.py"])  # found in a parent of the input's directory
    assert pin is not None and pin.version == Version.parse(expected)
    assert pin.source.path == name and pin.source.line is not None


@pytest.mark.parametrize("text", ["gunicorn>=21\n", "gunicorn~=21.2\n", "gunicorn\n", "gunicorn-stubs==1.0.0\n"])
def test_ranges_and_other_packages_are_no_pin(repo, text):
    (repo / "requirements.txt").write_text(text)
    assert pinned_gunicorn_version(["deploy/gunicorn.conf.py"]) is None


def test_contradicting_pins_are_no_pin(repo):
    (repo / "requirements.txt").write_text("gunicorn==21.2.0\n")
    (repo / "deploy" / "requirements.txt").write_text("gunicorn==23.0.0\n")
    assert pinned_gunicorn_version(["deploy/gunicorn.conf.py"]) is None


@pytest.mark.parametrize("image, expected", [
    ("nginx:1.25.5-alpine", "1.25.5"), ("nginxinc/nginx-unprivileged:1.27.3", "1.27.3"),
    ("nginx:alpine", None), ("nginx:latest", None), ("nginx:stable", None), ("nginx:1.27", None),
    ("openresty/openresty:1.21.4.1-alpine", None),
])
def test_nginx_image_tags(repo, image, expected):
    (repo / "compose.yaml").write_text(f"services:\n  proxy:\n    image: {image}\n  web:\n    image: shop/web\n")
    pin = pinned_nginx_version(["compose.yaml"], [])
    assert (str(pin.version) if pin else None) == expected


def test_nginx_dockerfile_final_stage_and_compose_build(repo):
    (repo / "proxy").mkdir()
    (repo / "proxy" / "Dockerfile").write_text("FROM node:20 AS assets\nRUN make\nFROM nginx:1.21.1-alpine\n")
    (repo / "compose.yaml").write_text("services:\n  proxy:\n    build: ./proxy\n")
    pin = pinned_nginx_version(["compose.yaml"], [])
    assert pin is not None and str(pin.version) == "1.21.1" and pin.source.path == "proxy/Dockerfile"
    (repo / "Dockerfile").write_text("FROM nginx:1.25.0 AS base\nFROM python:3.12\n")
    assert pinned_nginx_version([], ["Dockerfile"]) is None  # the image that runs is the final stage


def test_pins_set_the_versions_when_not_given_with_a_note(repo):
    (repo / "requirements.txt").write_text("gunicorn==21.2.0\n")
    (repo / "nginx.conf").write_text(NGINX)
    (repo / "compose.yaml").write_text("services:\n  proxy:\n    image: nginx:1.25.5-alpine\n"
                                       "  web:\n    image: shop/web\n    command: gunicorn -b :8000 shop.wsgi\n")
    inputs = Inputs(paths=["nginx.conf", "compose.yaml"])
    deployment = build_deployment(inputs, HostFacts.build())
    assert str(deployment.host.gunicorn_version) == "21.2.0"
    assert str(deployment.host.nginx_version) == "1.25.5"
    assert deployment.nginx is not None and deployment.nginx.version == "1.25.5"
    assert deployment.host.version_sources["gunicorn_version"].path == "requirements.txt"
    notes = [d for d in deployment.diagnostics if d.code == "ADV007" and "pinned" in d.message]
    assert {d.path for d in notes} == {"requirements.txt", "compose.yaml"}
    given = build_deployment(inputs, HostFacts.build(nginx_version="1.30.0", gunicorn_version="23.0.0"))
    assert (str(given.host.nginx_version), str(given.host.gunicorn_version)) == ("1.30.0", "23.0.0")
