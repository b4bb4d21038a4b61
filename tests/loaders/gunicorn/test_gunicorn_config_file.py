"""Loading a gunicorn config file: defaults, diagnostics, unknown names, suppressions, and no side effects."""

from __future__ import annotations

import socket

import pytest
from gunicorn_helpers import load_text, reason, value

from advisor.loaders.gunicorn import SETTINGS_BY_NAME, classify_worker_class, load_gunicorn_config
from advisor.model.addresses import Address
from advisor.model.deployment import HostFacts


def test_every_setting_is_present_with_defaults(tmp_path):
    result = load_text(tmp_path, "workers = 2\n")
    app = result.app
    assert set(app.settings) == set(SETTINGS_BY_NAME)
    assert (app.kind, app.id) == ("gunicorn", str(tmp_path / "gunicorn.conf.py"))
    assert app.source.kind == "file" and app.source.line is None
    defaults = {"backlog": 2048, "timeout": 30, "graceful_timeout": 30, "keepalive": 2, "worker_class": "sync",
                "threads": 1, "worker_connections": 1000, "max_requests": 0, "max_requests_jitter": 0,
                "preload_app": False, "worker_tmp_dir": None, "limit_request_line": 4094,
                "limit_request_fields": 100, "limit_request_field_size": 8190, "protocol": "http",
                "forwarded_allow_ips": ["127.0.0.1", "::1"], "http_protocols": ["h1"]}
    for name, expected in defaults.items():
        setting = app.settings[name]
        assert setting.value == expected, name
        assert setting.is_default and setting.source.detail == "gunicorn 27.0.1 default"
    assert app.settings["bind"].value == [Address("tcp", host="127.0.0.1", port=8000)]
    assert app.settings["workers"].explicit and app.settings["workers"].value == 2
    assert app.settings["post_fork"].value is None and app.settings["post_fork"].is_default
    assert result.diagnostics == []


def test_web_concurrency_port_and_forwarded_allow_ips_defaults(tmp_path):
    env = {"WEB_CONCURRENCY": "6", "PORT": "5000", "FORWARDED_ALLOW_IPS": "10.0.0.0/8"}
    result = load_text(tmp_path, "timeout = 10\n", env=env)
    settings = result.app.settings
    assert settings["workers"].value == 6 and settings["workers"].is_default
    assert settings["workers"].source.inputs[0].detail == "--env WEB_CONCURRENCY=6"
    assert settings["bind"].value == [Address("tcp", host="0.0.0.0", port=5000)]
    assert "PORT=5000" in settings["bind"].source.detail
    assert settings["forwarded_allow_ips"].value == ["10.0.0.0/8"]


def test_invalid_web_concurrency_is_an_error(tmp_path):
    result = load_text(tmp_path, "", env={"WEB_CONCURRENCY": "auto"})
    assert [(d.code, d.severity) for d in result.diagnostics] == [("ADV006", "error")]
    assert not result.app.settings["workers"].known


def test_bind_string_list_unix_and_fd(tmp_path):
    result = load_text(tmp_path, 'bind = ["0.0.0.0:8000", "[::]:8001", "unix:/run/a.sock", "unix:///run/b.sock", '
                                 '"fd://3", "tcp://10.0.0.1:80"]\n')
    assert value(result, "bind") == [
        Address("tcp", host="0.0.0.0", port=8000), Address("tcp", host="::", port=8001),
        Address("unix", path="/run/a.sock"), Address("unix", path="/run/b.sock"), Address("fd", fd=3),
        Address("tcp", host="10.0.0.1", port=80)]
    assert result.app.settings["bind"].raw.startswith("0.0.0.0:8000, [::]:8001")
    single = load_text(tmp_path, "bind = 'unix:/tmp/gunicorn.sock'\n")
    assert single.app.binds == [Address("unix", path="/tmp/gunicorn.sock")]


@pytest.mark.parametrize("line, message", [
    ('workers = "four"', "Invalid value for workers: 'four' (invalid literal for int() with base 0: 'four')"),
    ("timeout = -5", "Invalid value for timeout: -5 (Value must be positive: -5)"),
    ("preload_app = 'yes'", "Invalid value for preload_app: 'yes' (Invalid boolean: yes)"),
    ("bind = '127.0.0.1:web'", "Invalid value for bind: '127.0.0.1:web'"),
])
def test_invalid_values_are_adv006_errors(tmp_path, line, message):
    result = load_text(tmp_path, f"# comment\n{line}\n")
    diagnostic, = result.diagnostics
    assert (diagnostic.code, diagnostic.severity, diagnostic.line, diagnostic.column) == ("ADV006", "error", 2, 1)
    assert diagnostic.path == str(tmp_path / "gunicorn.conf.py")
    assert diagnostic.message.startswith(message)
    name = line.split(" =")[0]
    assert reason(result, name).startswith("invalid value")


def test_syntax_error_is_adv004_and_every_setting_unknown(tmp_path):
    result = load_text(tmp_path, "workers = 4\ntimeout = (30\nbind = 'x'\n")
    diagnostic, = result.diagnostics
    assert (diagnostic.code, diagnostic.severity) == ("ADV004", "error")
    assert diagnostic.line == 2 and diagnostic.column is not None
    assert "not valid Python" in diagnostic.message
    for name in ("workers", "bind", "timeout", "keepalive"):
        assert reason(result, name) == "config file could not be parsed"


def test_unreadable_and_undecodable_files_are_adv004(tmp_path):
    missing = load_gunicorn_config(str(tmp_path / "nope.py"), HostFacts.build())
    assert [d.code for d in missing.diagnostics] == ["ADV004"]
    assert "No such file" in missing.diagnostics[0].message
    assert not missing.app.settings["workers"].known
    (tmp_path / "latin.py").write_bytes(b"proc_name = '\xe9t\xe9'\n")
    undecodable = load_gunicorn_config(str(tmp_path / "latin.py"), HostFacts.build())
    assert [d.code for d in undecodable.diagnostics] == ["ADV004"]
    (tmp_path / "cookie.py").write_bytes(b"# -*- coding: latin-1 -*-\nproc_name = '\xe9t\xe9'\n")
    declared = load_gunicorn_config(str(tmp_path / "cookie.py"), HostFacts.build())
    assert declared.app.settings["proc_name"].value == "\u00e9t\u00e9"


def test_misspelled_names_are_reported_with_suggestions(tmp_path):
    result = load_text(tmp_path, """
        preload = True
        tiemout = 60
        worker = 4
        database_url = "postgres://"
        if True:
            keep_alive = 5
    """)
    found = {item.name: (item.suggestion, item.source.line) for item in result.app.unknown_settings}
    assert found == {"preload": ("preload_app", 2), "tiemout": ("timeout", 3), "worker": ("workers", 4),
                     "database_url": (None, 5), "keep_alive": ("keepalive", 7)}
    assert result.app.settings["timeout"].is_default


def test_helpers_constants_private_names_and_code_are_not_reported(tmp_path):
    result = load_text(tmp_path, """
        import multiprocessing as mp
        from os import environ
        cores = mp.cpu_count()
        MAX_MEM = 100
        _tmp = "/tmp"
        limit = 3

        class Watcher:
            pass

        def when_ready(server):
            return limit

        def helper():
            pass

        workers = cores
        total = 1
        total += 1
    """, cpus=2)
    assert result.app.unknown_settings == []


def test_uvicorn_worker_classes_are_valid_and_async(tmp_path):
    for worker_class in ("uvicorn.workers.UvicornWorker", "uvicorn_worker.UvicornWorker"):
        result = load_text(tmp_path, f"worker_class = {worker_class!r}\n")
        assert value(result, "worker_class") == worker_class
        assert result.diagnostics == []
        assert classify_worker_class(value(result, "worker_class")).is_async is True
    imported = load_text(tmp_path, "from uvicorn.workers import UvicornWorker\nworker_class = UvicornWorker\n")
    assert value(imported, "worker_class") == "uvicorn.workers.UvicornWorker"


def test_side_effects_never_happen(tmp_path):
    marker = tmp_path / "created-by-config"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.2)
    port = listener.getsockname()[1]
    try:
        result = load_text(tmp_path, f"""
            import os, socket, subprocess
            open({str(marker)!r}, "w").write("x")
            os.system("touch {marker}-system")
            subprocess.run(["touch", "{marker}-subprocess"])
            __import__("os").makedirs("{marker}-dir")
            socket.create_connection(("127.0.0.1", {port}))
            exec("open('{marker}-exec', 'w')")
            workers = 2
        """)
        with pytest.raises(socket.timeout):
            listener.accept()
    finally:
        listener.close()
    assert value(result, "workers") == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["gunicorn.conf.py"]


def test_suppression_comments(tmp_path):
    result = load_text(tmp_path, """
        # advisor: file-ignore[GUN001]
        workers = 1  # advisor: ignore[GUN002] -- small box
        # advisor: ignore[GUN003,PAIR001]
        bind = [
            "127.0.0.1:8000",
        ]  # advisor: ignore[GUN004]

        @decorator
        def post_fork(server, worker):  # not a suppression
            pass
        # advisor: ignore[GUN005]
    """)
    found = [(s.line, s.codes, s.file_level, s.applies_to_line, s.reason) for s in result.suppressions]
    assert found == [
        (2, ("GUN001",), True, None, None),
        (3, ("GUN002",), False, 3, "small box"),
        (4, ("GUN003", "PAIR001"), False, 5, None),
        (7, ("GUN004",), False, 5, None),
        (12, ("GUN005",), False, None, None),
    ]


def test_suppressions_survive_a_syntax_error(tmp_path):
    result = load_text(tmp_path, "# advisor: file-ignore[ADV004]\nworkers = (\n")
    assert [(s.file_level, s.codes) for s in result.suppressions] == [(True, ("ADV004",))]
