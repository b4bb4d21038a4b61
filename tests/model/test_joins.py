"""Joining app-side sources into one app server per process (fixtures/joins)."""

from pathlib import Path

from advisor.commands.options import Inputs
from advisor.loaders.deployment import build_deployment
from advisor.model.deployment import HostFacts

JOINS = Path(__file__).resolve().parents[2] / "fixtures" / "joins"


def _build(*paths: Path, **host: object):
    return build_deployment(Inputs(paths=[str(path) for path in paths]), HostFacts.build(**host))  # type: ignore


def _warnings(deployment) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in deployment.diagnostics if d.severity != "info"]


def test_compose_service_runs_the_script_its_dockerfile_starts_once_with_its_environment():
    image = JOINS / "image"
    deployment = _build(image / "proxy/default.conf", image / "docker-compose.yml",
                        image / "backend/scripts/start.sh", env={"workers": "4"})
    assert len(deployment.apps) == 1, [app.id for app in deployment.apps]  # not the script a second time
    app = deployment.apps[0]
    assert app.service_name == "backend"
    assert app.settings["workers"].value == 4  # WEB_CONCURRENCY from the service's environment:
    assert app.settings["timeout"].value == 90  # GUNICORN_CMD_ARGS from the image's ENV
    assert app.settings["timeout"].source.path.endswith("Dockerfile")
    assert {link.app.id for link in deployment.links} == {app.id}
    assert not _warnings(deployment)


def test_a_source_that_starts_no_server_is_a_note_only_when_nothing_else_does():
    compose = JOINS / "image" / "docker-compose.yml"
    script = JOINS / "image" / "backend/scripts/start.sh"
    alone = _build(JOINS / "script/build/Dockerfile", JOINS / "supervisor/conf/gunicorn.conf.py")
    assert not any("no gunicorn or uvicorn command" in d.message for d in alone.diagnostics)
    dockerfile = JOINS / "image" / "backend" / "Dockerfile"
    deployment = _build(compose, script, dockerfile)
    assert len(deployment.apps) == 1  # three sources, one process


def test_source_without_a_server_and_no_other_app_is_info(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.12\nCOPY . /app\nCMD [\"/app/run-server\"]\n")
    deployment = _build(dockerfile)
    notes = [d for d in deployment.diagnostics if "no gunicorn or uvicorn command" in d.message]
    assert [(d.code, d.severity) for d in notes] == [("ADV004", "info")]
    assert "pass the file that starts the server" in (notes[0].fix or "")


def test_relative_config_resolves_to_the_passed_input_not_next_to_the_supervisor_file():
    conf = JOINS / "supervisor" / "conf"
    deployment = _build(conf / "supervisord.conf", conf / "gunicorn.conf.py")
    web = next(app for app in deployment.apps if app.id.endswith(":web"))
    assert web.settings["workers"].value == 3
    assert web.settings["timeout"].source.path.endswith("conf/gunicorn.conf.py")
    # the passed config is the web program's: one app for it, not a second one with its settings
    assert len(deployment.apps) == 2 and all(":" in app.id for app in deployment.apps)
    missing = [d for d in deployment.diagnostics if d.missing is not None]
    assert [(d.code, d.severity, d.missing) for d in missing] == [("ADV004", "info", "conf/gunicorn-worker.conf.py")]
    assert "pass the gunicorn config file" in (missing[0].fix or "")
    assert not _warnings(deployment)


def test_config_named_under_an_unknown_working_directory_is_the_input_of_the_same_name():
    unit = JOINS / "unit"
    deployment = _build(unit / "deploy/shop.service", unit / "gunicorn.conf.py")
    assert len(deployment.apps) == 1
    assert deployment.apps[0].settings["workers"].value == 5
    notes = [d for d in deployment.diagnostics if d.code == "ADV007" and "same file name" in d.message]
    assert notes, "reading a file by its name alone is a guess that is reported"


def test_default_config_in_the_working_directory_is_the_same_app():
    build = JOINS / "script" / "build"
    deployment = _build(build / "start.sh", build / "gunicorn.conf.py")
    assert len(deployment.apps) == 1, [app.id for app in deployment.apps]
    app = deployment.apps[0]
    assert app.settings["workers"].value == 6  # the command line
    assert app.settings["graceful_timeout"].value == 20  # ./gunicorn.conf.py, loaded by default
    with_image = _build(build / "Dockerfile", build / "gunicorn.conf.py")  # WORKDIR + COPY: the same file
    assert len(with_image.apps) == 1 and with_image.apps[0].settings["graceful_timeout"].value == 20


def test_settings_from_gunicorn_cmd_args_count_as_set(tmp_path):
    """is_set() in rules reads Setting.explicit: an option in GUNICORN_CMD_ARGS is set like the command line."""

    script = tmp_path / "start.sh"
    script.write_text("#!/bin/sh\nexec gunicorn app:app --bind 0.0.0.0:8000\n")
    deployment = _build(script, env={"GUNICORN_CMD_ARGS": "--backlog 8192 --workers 3"})
    app = deployment.apps[0]
    assert app.settings["backlog"].value == 8192 and app.settings["backlog"].explicit
    assert app.settings["workers"].explicit and not app.settings["timeout"].explicit


def test_compose_environment_of_the_nginx_service_fills_its_templates():
    image = JOINS / "image"
    deployment = _build(image / "proxy/templates/default.conf.template", image / "docker-compose.yml",
                        image / "backend/scripts/start.sh")
    address = deployment.routes[0].target.addresses[0]
    assert address.known and str(address.value) == "backend:8000"
    assert address.source.position() is not None
    assert [link.app.service_name for link in deployment.links] == ["backend"]
