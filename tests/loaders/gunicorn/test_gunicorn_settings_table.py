"""The settings table against the installed gunicorn (drift check), suggestions and worker classes."""

from __future__ import annotations

import pytest

from advisor.loaders.gunicorn.settings import (
    GUNICORN_VERSION, HOST_DEFAULTS, OPTION_TO_SETTING, SETTINGS, SETTINGS_BY_NAME, classify_worker_class,
    suggest_option, suggest_setting,
)

gunicorn_config = pytest.importorskip("gunicorn.config")

VALIDATOR_KINDS = {
    "validate_string": {"string"}, "validate_pos_int": {"pos_int"}, "validate_bool": {"bool"},
    "validate_list_string": {"list_string"}, "validate_list_of_files_or_patterns": {"files"},
    "validate_string_to_addr_list": {"addr_list"}, "validate_string_to_list": {"string_list"},
    "validate_class": {"class"}, "_validate_callable": {"hook"}, "validate_post_request": {"post_request_hook"},
    "validate_dict": {"dict"}, "validate_user": {"user"}, "validate_group": {"group"}, "validate_chdir": {"chdir"},
    "validate_statsd_address": {"statsd"}, "validate_reload_engine": {"reload_engine"},
    "validate_ssl_version": {"ssl_version"}, "validate_proxy_protocol": {"proxy_protocol"},
    "validate_http_protocols": {"http_protocols"}, "validate_http2_cleartext": {"http2_cleartext"},
    "validate_http2_window_size": {"http2_window"}, "validate_http2_stream_limit": {"http2_streams"},
    "validate_http2_frame_size": {"http2_frame"}, "validate_header_map_behaviour": {"header_map"},
    "validate_asgi_loop": {"asgi_loop"}, "validate_asgi_lifespan": {"asgi_lifespan"},
    "validate_http_parser": {"http_parser"},
}


def _installed() -> dict[str, type]:
    return {setting.name: setting for setting in gunicorn_config.KNOWN_SETTINGS}


def test_reference_version_is_installed():
    import gunicorn

    assert gunicorn.__version__ == GUNICORN_VERSION


def test_same_setting_names_as_installed_gunicorn():
    assert set(SETTINGS_BY_NAME) == set(_installed())
    assert len(SETTINGS) == len(SETTINGS_BY_NAME)


@pytest.mark.parametrize("name", sorted(SETTINGS_BY_NAME))
def test_cli_action_type_and_validator_match(name):
    spec, installed = SETTINGS_BY_NAME[name], _installed()[name]
    assert spec.cli == tuple(installed.cli or ())
    assert spec.action == (installed.action or "store")
    assert spec.nargs == installed.nargs
    assert spec.const == installed.const
    if spec.action == "store" and installed.cli:
        expected_type = {int: "int", None: "str"}.get(installed.type, "auto_int")
        assert spec.cli_type == expected_type
    assert spec.kind in VALIDATOR_KINDS[installed.validator.__name__]
    if spec.kind == "hook":
        arity = [cell.cell_contents for cell in installed.validator.__closure__][0]
        assert spec.arity == arity


@pytest.mark.parametrize("name", sorted(set(SETTINGS_BY_NAME) - HOST_DEFAULTS))
def test_defaults_match(name):
    spec, installed = SETTINGS_BY_NAME[name], _installed()[name]
    if spec.is_hook:
        assert callable(installed.default) and spec.default is None
    elif name in ("ssl_version", "cert_reqs"):
        assert int(installed.default) == spec.default
    else:
        assert spec.default == installed.default


def test_host_dependent_defaults_without_their_environment(monkeypatch):
    import os

    installed = _installed()
    if "WEB_CONCURRENCY" not in os.environ:
        assert installed["workers"].default == SETTINGS_BY_NAME["workers"].default == 1
    if "PORT" not in os.environ:
        assert installed["bind"].default == SETTINGS_BY_NAME["bind"].default == ["127.0.0.1:8000"]
    if "FORWARDED_ALLOW_IPS" not in os.environ:
        assert installed["forwarded_allow_ips"].default == SETTINGS_BY_NAME["forwarded_allow_ips"].default


def test_every_cli_flag_maps_to_one_setting():
    flags = [flag for spec in SETTINGS for flag in spec.cli]
    assert len(flags) == len(set(flags)) == len(OPTION_TO_SETTING)
    assert OPTION_TO_SETTING["-w"].name == "workers"
    assert OPTION_TO_SETTING["--keep-alive"].name == "keepalive"
    assert OPTION_TO_SETTING["--limit-request-field_size"].name == "limit_request_field_size"
    assert OPTION_TO_SETTING["--log-file"].name == "errorlog"


@pytest.mark.parametrize("written, expected", [
    ("preload", "preload_app"), ("tiemout", "timeout"), ("worker", "workers"), ("keep_alive", "keepalive"),
    ("Workers", "workers"), ("max_request", "max_requests"), ("bnid", "bind"), ("log_level", "loglevel"),
    ("worker_temp_dir", "worker_tmp_dir"),
])
def test_suggest_setting(written, expected):
    assert suggest_setting(written) == expected


def test_no_suggestion_for_unrelated_names():
    assert suggest_setting("database_url_for_reporting") is None


@pytest.mark.parametrize("written, expected", [
    ("--max_requests", "--max-requests"), ("--preload-app", "--preload"), ("--worker", "--workers"),
    ("--keepalive", "--keep-alive"), ("--limit-request-field-size", "--limit-request-field_size"),
])
def test_suggest_option(written, expected):
    assert suggest_option(written) == expected


@pytest.mark.parametrize("value, threads, model, is_async", [
    ("sync", 1, "sync", False), ("sync", 4, "gthread", False), ("gthread", 1, "gthread", False),
    ("gevent", 1, "gevent", True), ("gunicorn.workers.ggevent.GeventWorker", 1, "gevent", True),
    ("asgi", 1, "asgi", True), ("uvicorn.workers.UvicornWorker", 1, "uvicorn", True),
    ("uvicorn_worker.UvicornWorker", 1, "uvicorn", True), ("egg:gunicorn#gthread", 1, "gthread", False),
    ("meinheld.gmeinheld.MeinheldWorker", 1, "custom", None),
])
def test_classify_worker_class(value, threads, model, is_async):
    info = classify_worker_class(value, threads)
    assert (info.model, info.is_async) == (model, is_async)


def test_eventlet_is_reported_as_removed():
    info = classify_worker_class("eventlet")
    assert info.removed_in == "26.0.0" and not info.bundled


def test_bundled_worker_classes_match_installed_gunicorn():
    from gunicorn.workers import SUPPORTED_WORKERS

    from advisor.loaders.gunicorn.settings import BUNDLED_WORKER_CLASSES

    assert BUNDLED_WORKER_CLASSES == SUPPORTED_WORKERS
