"""gunicorn's precedence: defaults < config file < $GUNICORN_CMD_ARGS < command line; command lines alone."""

from __future__ import annotations

from gunicorn_helpers import load_text

from advisor.loaders.gunicorn import app_server_from_command_line, load_gunicorn_config, parse_gunicorn_args
from advisor.model.addresses import Address
from advisor.model.deployment import HostFacts
from advisor.model.provenance import Source

CONFIG = "workers = 2\ntimeout = 60\nkeepalive = 5\nbind = 'unix:/run/app.sock'\n"


def test_gunicorn_cmd_args_override_the_file(tmp_path):
    result = load_text(tmp_path, CONFIG, env={"GUNICORN_CMD_ARGS": "--workers 3 -b 0.0.0.0:9000 --preload app:ignored"})
    settings = result.app.settings
    assert settings["workers"].value == 3
    assert settings["workers"].source == Source.option("GUNICORN_CMD_ARGS: --workers 3")
    assert settings["bind"].value == [Address("tcp", host="0.0.0.0", port=9000)]  # replaces, not appends
    assert settings["preload_app"].value is True
    assert settings["timeout"].value == 60 and settings["timeout"].explicit
    assert settings["wsgi_app"].value is None  # positionals in GUNICORN_CMD_ARGS are ignored by gunicorn


def test_command_line_overrides_gunicorn_cmd_args(tmp_path):
    path = tmp_path / "gunicorn.conf.py"
    path.write_text(CONFIG)
    host = HostFacts.build(env={"GUNICORN_CMD_ARGS": "--workers 3 --timeout 90"})
    command_line = parse_gunicorn_args(["-w", "4", "app:application"])
    result = load_gunicorn_config(str(path), host, command_line=command_line)
    settings = result.app.settings
    assert (settings["workers"].value, settings["timeout"].value, settings["keepalive"].value) == (4, 90, 5)
    assert settings["wsgi_app"].value == "app:application"


def test_bad_gunicorn_cmd_args_are_reported(tmp_path):
    result = load_text(tmp_path, CONFIG, env={"GUNICORN_CMD_ARGS": "--workers lots --bogus"})
    messages = [d.message for d in result.diagnostics]
    assert any("invalid int value: 'lots'" in m for m in messages)
    assert any("--bogus" in m for m in messages)
    assert result.app.settings["workers"].known is False
    unbalanced = load_text(tmp_path, CONFIG, env={"GUNICORN_CMD_ARGS": "--name 'x"})
    assert "cannot be split" in unbalanced.diagnostics[0].message


def test_gunicorn_cmd_args_position_from_env_sources(tmp_path):
    host = HostFacts.build(env={"GUNICORN_CMD_ARGS": "--threads 4"})
    host.env_sources["GUNICORN_CMD_ARGS"] = Source.file("docker-compose.yml", 9, 7)
    path = tmp_path / "gunicorn.conf.py"
    path.write_text("")
    threads = load_gunicorn_config(str(path), host).app.settings["threads"]
    assert (threads.value, threads.source.path, threads.source.line) == (4, "docker-compose.yml", 9)


def test_app_server_from_command_line_alone(tmp_path):
    argv = ["hello_django.wsgi:application", "--bind", "0.0.0.0:8000", "-k", "uvicorn_worker.UvicornWorker"]
    source = Source.file("docker-compose.prod.yml", 8, 14)
    parsed = parse_gunicorn_args(argv, lambda index: Source.file("docker-compose.prod.yml", 8, 14 + index))
    result = app_server_from_command_line(parsed, source, HostFacts.build(), base_dir=str(tmp_path),
                                          id="docker-compose.prod.yml:web", service_name="web")
    app = result.app
    assert (app.id, app.source, app.service_name) == ("docker-compose.prod.yml:web", source, "web")
    assert app.binds == [Address("tcp", host="0.0.0.0", port=8000)]
    assert app.settings["bind"].source.column == 15
    assert app.settings["worker_class"].value == "uvicorn_worker.UvicornWorker"
    assert app.settings["timeout"].is_default
    assert app.settings["wsgi_app"].value == "hello_django.wsgi:application"
    assert result.diagnostics == []


def test_command_line_config_is_loaded_relative_to_base_dir(tmp_path):
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "gunicorn-prod.conf.py").write_text("workers = 6\ntimeout = 45\n")
    parsed = parse_gunicorn_args(["-c", "conf/gunicorn-prod.conf.py", "--timeout", "50", "app"])
    result = app_server_from_command_line(parsed, Source.file("Procfile", 1, 6), HostFacts.build(),
                                          base_dir=str(tmp_path), id="Procfile:web")
    settings = result.app.settings
    assert settings["workers"].value == 6
    assert settings["workers"].source.path == str(tmp_path / "conf" / "gunicorn-prod.conf.py")
    assert settings["timeout"].value == 50


def test_default_config_file_in_base_dir_is_used(tmp_path):
    (tmp_path / "gunicorn.conf.py").write_text("keepalive = 75\n")
    parsed = parse_gunicorn_args(["app"])
    result = app_server_from_command_line(parsed, Source.file("Procfile", 1, 6), HostFacts.build(),
                                          base_dir=str(tmp_path), id="Procfile:web")
    assert result.app.settings["keepalive"].value == 75
    skipped = app_server_from_command_line(parsed, Source.file("Procfile", 1, 6), HostFacts.build(),
                                           base_dir=str(tmp_path), id="Procfile:web", load_default_config=False)
    assert skipped.app.settings["keepalive"].is_default


def test_missing_or_unknown_config_makes_file_settings_unknown(tmp_path):
    parsed = parse_gunicorn_args(["-c", "missing.py", "--workers", "2", "app"])
    result = app_server_from_command_line(parsed, Source.file("Procfile", 1, 6), HostFacts.build(),
                                          base_dir=str(tmp_path), id="Procfile:web")
    # a config that is not among the inputs is a coverage note (info, reported once per file), not a warning
    assert [(d.code, d.severity, d.missing) for d in result.diagnostics] == [("ADV004", "info", "missing.py")]
    assert "pass the gunicorn config file" in result.diagnostics[0].fix
    assert result.app.settings["workers"].value == 2  # the command line still wins
    assert not result.app.settings["timeout"].known
    shell = parse_gunicorn_args(["-c", "$GUNICORN_CONF", "app"])
    unknown = app_server_from_command_line(shell, Source.file("start.sh", 3, 1), HostFacts.build(),
                                           base_dir=str(tmp_path), id="start.sh")
    assert "config file path is not known" in unknown.app.settings["timeout"].source.detail


def test_resolve_config_maps_container_paths(tmp_path):
    (tmp_path / "gunicorn.py").write_text("workers = 7\n")
    parsed = parse_gunicorn_args(["--config", "/opt/netbox/gunicorn.py", "netbox.wsgi"])
    result = app_server_from_command_line(
        parsed, Source.file("netbox.service", 16, 11), HostFacts.build(), base_dir=str(tmp_path), id="netbox",
        resolve_config=lambda written: str(tmp_path / "gunicorn.py") if written.endswith("gunicorn.py") else None)
    assert result.app.settings["workers"].value == 7


def test_unknown_options_and_early_exit_become_diagnostics(tmp_path):
    parsed = parse_gunicorn_args(["--wokers", "2", "--version", "app"],
                                 lambda index: Source.file("Procfile", 1, 10 + index))
    result = app_server_from_command_line(parsed, Source.file("Procfile", 1, 6), HostFacts.build(),
                                          base_dir=str(tmp_path), id="Procfile:web")
    found = [(d.severity, d.column) for d in result.diagnostics]
    assert ("error", 10) in found and ("warning", 12) in found
    assert "did you mean --workers?" in result.diagnostics[0].message
