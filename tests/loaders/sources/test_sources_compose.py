"""docker-compose services: commands in string and list form, environment, env_file, mounts, nginx services."""

from __future__ import annotations

import os

from sources_helpers import FIXTURES, load, load_text, only_app, reason, value, written_at

from advisor.loaders.sources import nginx_configs_from_compose
from advisor.model.addresses import Address

COMPOSE = FIXTURES / "compose" / "docker-compose.yml"


def apps_by_service(result):
    return {app.service_name: app for app in result.apps}


def test_fixture_services_become_app_servers():
    result = load(COMPOSE, "compose")
    apps = apps_by_service(result)
    assert sorted(apps) == ["api", "web"]  # the celery worker and nginx are not app servers
    web, api = apps["web"], apps["api"]
    assert (web.kind, api.kind) == ("gunicorn", "uvicorn")
    assert web.id.endswith("docker-compose.yml:web")
    assert value(web, "bind") == [Address("tcp", host="0.0.0.0", port=8000)]
    assert written_at(web.settings["bind"]).startswith("--bind 0.0.0.0:8000")
    assert web.settings["bind"].source.line == 8
    assert written_at(web.source).startswith("gunicorn config.wsgi")
    assert value(web, "exposed_ports") == ["8000"] and web.settings["exposed_ports"].source.line == 17


def test_interpolation_default_and_deploy_environment():
    web = apps_by_service(load(COMPOSE, "compose"))["web"]
    assert value(web, "workers") == 4
    assert written_at(web.settings["workers"]).startswith("-w ${WEB_WORKERS:-4}")
    assert "$WEB_WORKERS is not set" in web.settings["workers"].source.detail
    override = apps_by_service(load(COMPOSE, "compose", env={"WEB_WORKERS": "7"}))["web"]
    assert value(override, "workers") == 7
    assert "WEB_WORKERS='7' from --env" in override.settings["workers"].source.detail


def test_config_file_through_the_volume_and_gunicorn_cmd_args_from_environment():
    web = apps_by_service(load(COMPOSE, "compose"))["web"]
    assert (value(web, "worker_class"), value(web, "threads"), value(web, "graceful_timeout")) == ("gthread", 4, 20)
    assert web.settings["threads"].source.path.endswith(os.path.join("compose", "gunicorn.conf.py"))
    keepalive = web.settings["keepalive"]  # GUNICORN_CMD_ARGS in `environment:` (mapping form, after a merge key)
    assert value(web, "keepalive") == 5 and keepalive.source.line == 11
    assert written_at(keepalive).startswith("GUNICORN_CMD_ARGS")


def test_list_command_and_list_environment():
    api = apps_by_service(load(COMPOSE, "compose"))["api"]
    assert value(api, "timeout_keep_alive") == 75 and value(api, "limit_concurrency") == 64
    assert written_at(api.settings["limit_concurrency"]).startswith('--limit-concurrency", "64"')
    assert value(api, "workers") == 2  # WEB_CONCURRENCY=2 from the list-form environment
    [env_source] = api.settings["workers"].source.inputs
    assert env_source.line == 24 and written_at(env_source).startswith("WEB_CONCURRENCY=2")


def test_env_file_environment_and_deploy_override(tmp_path):
    (tmp_path / "app.env").write_text("WEB_CONCURRENCY=3\nPORT=7000\n")
    text = """
        services:
          app:
            command: gunicorn app:app
            env_file: app.env
            environment:
              PORT: "8080"
            ports:
              - "127.0.0.1:8081:8080"
    """
    app = only_app(load_text(tmp_path, text, "compose", name="compose.yaml"))
    assert value(app, "published_ports") == ["127.0.0.1:8081:8080"]
    assert value(app, "workers") == 3
    assert app.settings["workers"].source.inputs[0].path.endswith("app.env")
    assert value(app, "bind") == [Address("tcp", host="0.0.0.0", port=8080)]  # environment: beats env_file
    deployed = only_app(load_text(tmp_path, text, "compose", name="compose.yaml", env={"PORT": "9"}))
    assert value(deployed, "bind") == [Address("tcp", host="0.0.0.0", port=9)]  # --env beats both


def test_missing_env_file_is_an_info_note_about_a_missing_input(tmp_path):
    """Often git-ignored (secrets): a coverage note, never a finding that fails the run."""
    result = load_text(tmp_path, """
        services:
          app:
            command: ["gunicorn", "app:app"]
            env_file: [missing.env]
    """, "compose", name="docker-compose.yml")
    assert [d.severity for d in result.diagnostics] == ["info"]
    assert "missing.env" in result.diagnostics[0].message and result.diagnostics[0].line == 4
    assert result.diagnostics[0].missing == "missing.env"


def test_variable_only_in_service_environment_is_not_interpolated(tmp_path):
    app = only_app(load_text(tmp_path, """
        services:
          app:
            command: gunicorn -w $WORKERS app:app
            environment:
              WORKERS: 4
    """, "compose", name="docker-compose.yml"))
    assert "not from the service's environment:" in reason(app, "workers")


def test_sh_c_command_expands_in_the_container(tmp_path):
    app = only_app(load_text(tmp_path, """
        services:
          app:
            command: ["sh", "-c", "exec gunicorn -w $$WORKERS --bind 0.0.0.0:$${PORT:-8000} app:app"]
            environment:
              - WORKERS=5
    """, "compose", name="docker-compose.yml"))
    assert value(app, "workers") == 5 and value(app, "bind") == [Address("tcp", host="0.0.0.0", port=8000)]
    assert written_at(app.settings["workers"]).startswith("-w $$WORKERS")


def test_folded_command_positions(tmp_path):
    app = only_app(load_text(tmp_path, """
        services:
          web:
            command: >
              gunicorn app:app
              --timeout 90
    """, "compose", name="docker-compose.yml"))
    assert value(app, "timeout") == 90
    assert (app.settings["timeout"].source.line, app.settings["timeout"].source.column) == (5, 7)


def test_command_from_the_build_context_dockerfile(tmp_path):
    (tmp_path / "Dockerfile").write_text('FROM python:3.12\nENV WEB_CONCURRENCY=6\nCMD ["gunicorn", "-b", ":8000", "app"]\n')
    result = load_text(tmp_path, "services:\n  web:\n    build: .\n", "compose", name="docker-compose.yml")
    app = only_app(result)
    assert app.service_name == "web" and value(app, "workers") == 6
    assert app.settings["bind"].source.path.endswith("Dockerfile") and app.settings["bind"].source.line == 3


def test_yaml_error_and_no_server(tmp_path):
    broken = load_text(tmp_path, "services:\n  web:\n    command: [gunicorn\n", "compose", name="docker-compose.yml")
    assert [(d.code, d.severity) for d in broken.diagnostics] == [("ADV004", "error")]
    assert broken.diagnostics[0].line is not None
    empty = load_text(tmp_path, "services:\n  db:\n    image: postgres\n", "compose", name="compose.yml")
    assert empty.apps == [] and "no gunicorn or uvicorn command" in empty.diagnostics[0].message


def test_nginx_service_is_recognised():
    result = load(COMPOSE, "compose")
    [note] = [d for d in result.diagnostics if d.code == "ADV007"]
    assert note.severity == "info" and "service nginx runs nginx" in note.message and note.line == 31
    assert nginx_configs_from_compose(str(COMPOSE)) == [str(FIXTURES / "compose" / "nginx.conf")]


def test_command_script_found_by_name(tmp_path):
    (tmp_path / "start.sh").write_text("#!/bin/sh\nexec gunicorn -w ${WORKERS:-2} app:app\n")
    result = load_text(tmp_path, """
        services:
          web:
            command: ["/app/start.sh"]
            environment:
              WORKERS: "6"
    """, "compose", name="docker-compose.yml")
    app = only_app(result)
    assert app.service_name == "web" and value(app, "workers") == 6
    assert app.settings["workers"].source.path.endswith("start.sh")  # the option as written in the script
    assert app.settings["workers"].source.inputs[0].line == 5  # WORKERS from the compose environment
    [note] = [d for d in result.diagnostics if d.code == "ADV007"]
    assert "/app/start.sh" in note.message and note.line == 3


def test_invalid_environment_default_points_at_the_line_that_sets_it(tmp_path):
    text = "services:\n  web:\n    command: gunicorn app:app\n    environment:\n      WEB_CONCURRENCY: auto\n"
    app_diagnostics = [d for d in load_text(tmp_path, text, "compose", name="compose.yaml").diagnostics
                       if "WEB_CONCURRENCY" in d.message]
    assert [(d.code, d.severity, d.line) for d in app_diagnostics] == [("ADV006", "error", 5)]
    assert app_diagnostics[0].path.endswith("compose.yaml")
