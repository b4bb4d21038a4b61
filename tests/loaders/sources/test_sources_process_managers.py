"""supervisord `[fcgi-program:x]`, `directory=` and template placeholders; systemd socket units and
`WorkingDirectory=`."""

from __future__ import annotations

from sources_helpers import load, load_text, only_app, reason, value

from advisor.loaders.sources.supervisor import expand
from advisor.loaders.sources.text import PText, Unresolved


def test_fcgi_program_starts_a_process_like_program(tmp_path):
    result = load_text(tmp_path, """
        [supervisord]
        nodaemon = true

        [fcgi-program:api]
        command = gunicorn api.main:app -k uvicorn.workers.UvicornWorker -w 2 -b unix:/run/api.sock
        socket = unix:///run/api-fcgi.sock
        directory = /srv/api/
        process_name = api-%(process_num)d
        """, "supervisor", name="supervisord.conf")
    app = only_app(result)
    assert value(app, "workers") == 2
    assert app.id.endswith(":api")
    assert result.no_server is None


def test_directory_is_the_working_directory_of_relative_config(tmp_path):
    srv = tmp_path / "srv" / "shop"
    srv.mkdir(parents=True)
    (srv / "gunicorn.conf.py").write_text("workers = 7\n")
    (tmp_path / "etc").mkdir()
    result = load_text(tmp_path, f"""
        [program:shop]
        command = /venv/bin/gunicorn -c gunicorn.conf.py shop.wsgi
        directory = {srv}
        """, "supervisor", name="etc/shop.conf")
    assert value(only_app(result), "workers") == 7


def test_template_placeholders_are_unknown_not_literal():
    names = {"here": "/etc/supervisor", "program_name": "web"}
    expanded = expand(PText("%(venv_path)s/bin/gunicorn --name %(program_name)s"), names, {})
    unknown = [tag for tag in expanded.all_tags() if isinstance(tag, Unresolved)]
    assert len(unknown) == 1 and "template placeholder" in unknown[0].reason
    assert expanded.text.endswith("--name web")


def test_placeholder_directory_leaves_the_working_directory_unknown(tmp_path):
    (tmp_path / "gunicorn.conf.py").write_text("workers = 9\n")
    result = load_text(tmp_path, """
        [program:gunicorn_%(proj_name)s]
        command = %(venv_path)s/bin/gunicorn -c gunicorn.conf.py -w %(num_workers)s %(proj_app)s.wsgi
        directory = %(proj_path)s
        """, "supervisor", name="supervisor.conf.template")
    app = only_app(result)
    assert "template placeholder" in reason(app, "workers")


def test_socket_unit_alone_is_one_note(tmp_path):
    result = load_text(tmp_path, """
        [Unit]
        Description=shop socket

        [Socket]
        ListenStream=/run/shop.sock

        [Install]
        WantedBy=sockets.target
        """, "systemd", name="shop.socket")
    assert not result.apps
    assert [d.severity for d in result.diagnostics] == ["info"]
    assert result.no_server is result.diagnostics[0]
    assert "shop.service" in result.diagnostics[0].message


def test_socket_passed_with_its_service_adds_nothing(tmp_path):
    from advisor.commands.options import Inputs
    from advisor.loaders.deployment import build_deployment
    from advisor.model.deployment import HostFacts

    (tmp_path / "shop.socket").write_text("[Socket]\nListenStream=/run/shop.sock\n")
    (tmp_path / "shop.service").write_text("[Service]\nExecStart=/venv/bin/gunicorn -w 3 shop.wsgi\n")
    deployment = build_deployment(Inputs(paths=[str(tmp_path / "shop.service"), str(tmp_path / "shop.socket")]),
                                  HostFacts.build())
    assert len(deployment.apps) == 1
    assert str(value(deployment.apps[0], "bind")[0]) == "unix:/run/shop.sock"
    assert not [d for d in deployment.diagnostics if d.path.endswith("shop.socket")]


def test_working_directory_is_the_base_of_a_relative_config(tmp_path):
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    (app_dir / "gunicorn.conf.py").write_text("timeout = 41\n")
    (tmp_path / "units").mkdir()
    result = load_text(tmp_path, f"""
        [Service]
        WorkingDirectory=-{app_dir}
        ExecStart=/venv/bin/gunicorn --config gunicorn.conf.py shop.wsgi
        """, "systemd", name="units/shop.service")
    assert value(only_app(result), "timeout") == 41


def test_working_directory_with_a_specifier_or_home_is_not_known():
    from advisor.loaders.sources.systemd import _working_directory

    assert _working_directory("%h/shop") is None
    assert _working_directory("~") is None
    assert _working_directory("-/srv/shop") == "/srv/shop"
    assert _working_directory("/srv/100%%") == "/srv/100%"
