"""Value validation mirrors gunicorn 27's validators (checked against the real ones where they are pure)."""

from __future__ import annotations

import pytest

from advisor.loaders.gunicorn.convert import InvalidValue, NotStatic, cli_argument, model_value, validate
from advisor.loaders.gunicorn.settings import SETTINGS_BY_NAME
from advisor.loaders.gunicorn.values import ClassRef, FunctionRef, ImportedRef
from advisor.model.addresses import Address

gunicorn_config = pytest.importorskip("gunicorn.config")

spec = SETTINGS_BY_NAME.__getitem__


def _gunicorn_validate(name, value):
    """What the installed gunicorn does with the value: ('ok', result) or ('error', None)."""
    setting = next(s for s in gunicorn_config.KNOWN_SETTINGS if s.name == name)
    try:
        return "ok", setting.validator(value)
    except Exception:
        return "error", None


def _ours(name, value):
    try:
        return "ok", validate(spec(name), value)
    except InvalidValue:
        return "error", None


@pytest.mark.parametrize("name, value", [
    ("workers", 4), ("workers", "4"), ("workers", " 4 "), ("workers", "0x10"), ("workers", True),
    ("workers", "four"), ("workers", -1), ("workers", "-3"), ("workers", 4.5), ("workers", None), ("workers", "010"),
    ("timeout", "0"), ("preload_app", True), ("preload_app", "true"), ("preload_app", " FALSE "),
    ("preload_app", "1"), ("preload_app", 1), ("preload_app", None), ("preload_app", "yes"),
    ("bind", "127.0.0.1:8000"), ("bind", ["a:1", " b:2 "]), ("bind", None), ("bind", ""), ("bind", ("x:1",)),
    ("bind", 8000), ("bind", [8000]), ("loglevel", "debug"), ("loglevel", 3), ("worker_class", "gevent"),
    ("forwarded_allow_ips", "*"), ("forwarded_allow_ips", "10.0.0.0/8, 127.0.0.1"),
    ("forwarded_allow_ips", "10.0.0.1/8"), ("forwarded_allow_ips", "not-an-ip"),
    ("proxy_protocol", "v2"), ("proxy_protocol", True), ("proxy_protocol", "1"), ("proxy_protocol", "v3"),
    ("http_protocols", "h2,h1"), ("http_protocols", "h3"), ("http_protocols", "h1,h1"),
    ("http2_cleartext", True), ("http2_cleartext", "upgrade"), ("http2_cleartext", "sometimes"),
    ("http2_max_frame_size", 16383), ("http2_max_frame_size", 16384), ("http2_max_concurrent_streams", 0),
    ("http2_initial_window_size", 2 ** 31), ("header_map", "Dangerous"), ("header_map", "keep"),
    ("asgi_loop", "uvloop"), ("asgi_loop", "trio"), ("asgi_lifespan", "on"), ("http_parser", "fast"),
    ("http_parser", "slow"), ("logconfig_dict", {"version": 1}), ("logconfig_dict", [1]),
    ("raw_env", ["A=1"]), ("statsd_host", "localhost:8125"), ("statsd_host", "localhost:abc"),
    ("statsd_host", "unix:8125"), ("forwarder_headers", "SCRIPT_NAME, PATH_INFO"), ("umask", "0o22"),
    ("reload_engine", "poll"), ("reload_engine", "watchman"), ("max_requests_jitter", "50"),
])
def test_agrees_with_installed_gunicorn(name, value):
    expected_status, expected = _gunicorn_validate(name, value)
    status, result = _ours(name, value)
    assert status == expected_status
    if status == "ok" and name != "statsd_host":  # advisor keeps the statsd address as text
        assert result == expected


def test_error_messages_are_gunicorns():
    with pytest.raises(InvalidValue, match="invalid literal for int"):
        validate(spec("workers"), "four")
    with pytest.raises(InvalidValue, match="Value must be positive: -1"):
        validate(spec("timeout"), -1)
    with pytest.raises(InvalidValue, match="Invalid boolean: yes"):
        validate(spec("preload_app"), "yes")


def test_hooks_check_the_arity_gunicorn_requires():
    assert validate(spec("post_fork"), FunctionRef("post_fork", 3, 2)) == "post_fork"
    with pytest.raises(InvalidValue, match="arity of: 2"):
        validate(spec("post_fork"), FunctionRef("post_fork", 3, 1))
    assert validate(spec("post_request"), FunctionRef("post_request", 3, 3)) == "post_request"
    with pytest.raises(InvalidValue, match="arity of: 4"):
        validate(spec("post_request"), FunctionRef("post_request", 3, 5))
    assert validate(spec("when_ready"), FunctionRef("when_ready", 3, None)) == "when_ready"  # decorated
    assert validate(spec("when_ready"), ImportedRef("app.hooks.ready")) == "app.hooks.ready"
    with pytest.raises(InvalidValue, match="not callable"):
        validate(spec("when_ready"), None)
    with pytest.raises(InvalidValue, match="not import string"):
        validate(spec("when_ready"), "ready")


def test_worker_class_from_code():
    assert validate(spec("worker_class"), ImportedRef("uvicorn.workers.UvicornWorker")) == \
        "uvicorn.workers.UvicornWorker"
    with pytest.raises(NotStatic):
        validate(spec("worker_class"), ClassRef("MyWorker", 5))
    with pytest.raises(NotStatic):
        validate(spec("workers"), ImportedRef("settings.WORKERS"))
    with pytest.raises(InvalidValue):
        validate(spec("workers"), FunctionRef("workers", 2, 0))  # gunicorn: int() of a function fails


def test_bind_becomes_addresses_with_raw_strings():
    value, raw = model_value(spec("bind"), validate(spec("bind"), ["0.0.0.0:8000", "unix:/run/app.sock", "fd://3"]))
    assert value == [Address("tcp", host="0.0.0.0", port=8000), Address("unix", path="/run/app.sock"),
                     Address("fd", fd=3)]
    assert raw == "0.0.0.0:8000, unix:/run/app.sock, fd://3"


def test_invalid_bind_is_an_invalid_value():
    with pytest.raises(InvalidValue, match="'http' is not a valid port number"):
        model_value(spec("bind"), ["127.0.0.1:http"])


def test_cli_types_like_argparse():
    assert cli_argument(spec("workers"), "4") == 4
    with pytest.raises(InvalidValue, match="invalid int value: '0x10'"):
        cli_argument(spec("workers"), "0x10")
    assert cli_argument(spec("umask"), "022") == 0o22
    assert cli_argument(spec("umask"), "0x1f") == 31
    assert cli_argument(spec("bind"), "x:1") == "x:1"


@pytest.mark.parametrize("bind", ["0.0.0.0:", "::1", "[::1]:x", "fd://x", "tcp://h:", "127.0.0.1:8000", "localhost",
                                  "[::1]:8000", "unix:/x.sock", "unix://x.sock", "fd://3", "tcp://h:1", "", "h:80x"])
def test_bind_addresses_accepted_like_gunicorns_parser(bind):
    from gunicorn.util import parse_address

    try:
        parse_address(bind)
        gunicorn_accepts = True
    except RuntimeError:
        gunicorn_accepts = False
    try:
        model_value(spec("bind"), [bind])
        ours = True
    except InvalidValue:
        ours = False
    assert ours == gunicorn_accepts
