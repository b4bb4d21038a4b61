"""Procfiles, systemd units and supervisord programs."""

from __future__ import annotations

from sources_helpers import FIXTURES, load, load_text, only_app, reason, value, written_at

from advisor.model.addresses import Address


def test_procfile_web_process_and_platform_port():
    result = load(FIXTURES / "procfile" / "Procfile", "procfile")
    app = only_app(result)  # worker and release do not run gunicorn
    assert app.id.endswith("Procfile:web")
    assert "$PORT is set by the platform" in reason(app, "bind")
    assert value(app, "workers") == 2 and value(app, "keepalive") == 90
    assert written_at(app.settings["keepalive"]).startswith("--keep-alive 90")
    with_port = only_app(load(FIXTURES / "procfile" / "Procfile", "procfile", env={"PORT": "5000"}))
    assert value(with_port, "bind") == [Address("tcp", host="0.0.0.0", port=5000)]


def test_procfile_default_bind_comes_from_port(tmp_path):
    app = only_app(load_text(tmp_path, "web: gunicorn app:app\n", "procfile", name="Procfile"))
    assert "comes from $PORT" in reason(app, "bind")
    app = only_app(load_text(tmp_path, "web: gunicorn app:app\n", "procfile", name="Procfile", env={"PORT": "80"}))
    assert value(app, "bind") == [Address("tcp", host="0.0.0.0", port=80)]


def test_systemd_service_with_socket_activation():
    app = only_app(load(FIXTURES / "systemd" / "gunicorn.service", "systemd"))
    assert value(app, "bind") == [Address("unix", path="/run/gunicorn.sock")]
    assert app.settings["bind"].source.path.endswith("gunicorn.socket")
    assert value(app, "workers") == 5  # ${GUNICORN_WORKERS} from a quoted Environment= assignment
    assert value(app, "timeout") == 90  # $TIMEOUT from the second assignment on that line
    assert value(app, "max_requests") == 2000  # EnvironmentFile=
    assert app.settings["max_requests"].source.inputs[0].path.endswith("shop.env")
    for name, line in (("workers", 14), ("timeout", 15), ("max_requests", 16)):
        assert app.settings[name].source.line == line  # continuation lines keep their own line numbers
    assert written_at(app.settings["workers"]).startswith("--workers ${GUNICORN_WORKERS}")


def test_systemd_unset_variable_and_missing_environment_file(tmp_path):
    result = load_text(tmp_path, """
        [Service]
        EnvironmentFile=/etc/shop/missing.env
        ExecStart=/usr/bin/gunicorn -w $WORKERS %i.wsgi
    """, "systemd", name="app.service")
    app = only_app(result)
    assert "not set by Environment=" in reason(app, "workers")
    assert any(d.severity == "info" and d.missing == "/etc/shop/missing.env" and "missing.env" in d.message
               and d.line == 2 for d in result.diagnostics)  # a missing input: a note, never a failed run


def test_supervisor_program():
    result = load(FIXTURES / "supervisor" / "app.conf", "supervisor", env={"SHOP_WORKERS": "6"})
    app = only_app(result)
    assert app.id.endswith("app.conf:shop")
    assert value(app, "workers") == 6 and value(app, "timeout") == 120
    assert value(app, "bind") == [Address("tcp", host="127.0.0.1", port=8001)]
    assert (app.settings["timeout"].source.line, written_at(app.settings["timeout"])) == (4, "--timeout 120")
    assert [d for d in result.diagnostics if d.severity == "error"] == []


def test_supervisor_env_expansion_without_value_is_unknown_not_invalid():
    result = load(FIXTURES / "supervisor" / "app.conf", "supervisor")
    assert "supervisord's environment has no SHOP_WORKERS" in reason(only_app(result), "workers")
    assert [d for d in result.diagnostics if d.severity == "error"] == []


def test_supervisor_environment_and_literal_dollar(tmp_path):
    app = only_app(load_text(tmp_path, """
        [program:web]
        command=gunicorn app:app --timeout $TIMEOUT
        environment=WEB_CONCURRENCY="4",PORT=9000
    """, "supervisor", name="web.conf"))
    assert value(app, "workers") == 4
    assert value(app, "bind") == [Address("tcp", host="0.0.0.0", port=9000)]
    assert "does not start the command with a shell" in reason(app, "timeout")
