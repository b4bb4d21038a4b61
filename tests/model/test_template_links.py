"""Templates on both sides of a link: the same placeholder text on nginx's side and the app server's side links,
whether the app side is a config template, a shell script or a supervisor program (hand-written templates)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from advisor.commands.options import Inputs
from advisor.loaders.deployment import build_deployment
from advisor.model.deployment import HostFacts


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def _build(*paths: Path):
    return build_deployment(Inputs(paths=[str(path) for path in paths]), HostFacts.build())


def _problems(deployment) -> list[str]:
    return [f"{d.code} {d.severity} {d.message}" for d in deployment.diagnostics if d.severity != "info"]


def test_python_format_templates_link_through_a_relative_config_and_an_upstream_named_by_placeholder(tmp_path):
    deploy = tmp_path / "deploy"
    nginx = _write(deploy, "nginx.conf.template", """
        upstream %(proj_name)s {
            server unix:%(proj_path)s/gunicorn.sock fail_timeout=0;
        }
        server {
            listen 80;
            server_name %(domains)s;
            location / {
                proxy_pass http://%(proj_name)s;
            }
        }
        """)
    supervisor = _write(deploy, "supervisor.conf.template", """
        [program:gunicorn_%(proj_name)s]
        command=%(venv_path)s/bin/gunicorn -c gunicorn.conf.py %(proj_app)s.wsgi:application
        directory=%(proj_path)s
        """)
    config = _write(deploy, "gunicorn.conf.py.template", """
        bind = "unix:%(proj_path)s/gunicorn.sock"
        workers = %(num_workers)s
        timeout = 30
        """)
    deployment = _build(nginx, supervisor, config)
    assert not _problems(deployment)
    [app] = deployment.apps
    assert app.settings["timeout"].value == 30  # the template is the config `-c gunicorn.conf.py` loads
    assert "template placeholder %(num_workers)s" in app.settings["workers"].source.detail
    [link] = deployment.links
    assert link.match == "template-text" and str(link.bind) == "unix:%(proj_path)s/gunicorn.sock"
    notes = [d.message for d in deployment.diagnostics if d.code == "ADV007"]
    assert any("the template that file is rendered from" in note for note in notes)


def test_jinja_upstream_name_and_a_socket_path_from_a_script_variable(tmp_path):
    nginx = _write(tmp_path, "roles/nginx/templates/site.j2", """
        upstream {{ app_name }}_backend {
            server unix:{{ venv }}/run/gunicorn.sock fail_timeout=0;
        }
        server {
            listen 80;
            location / {
                proxy_pass http://{{app_name}}_backend;
            }
        }
        """)
    script = _write(tmp_path, "roles/web/templates/start_app.j2", """
        #!/bin/sh
        SOCKFILE={{ venv }}/run/gunicorn.sock
        WORKERS={{ gunicorn_workers }}
        exec gunicorn --workers $WORKERS --bind unix:$SOCKFILE {{ app_name }}.wsgi
        """)
    deployment = _build(nginx, script)
    [route] = deployment.routes
    assert route.target.upstream is not None  # `{{app_name}}_backend` is `{{ app_name }}_backend`
    [app] = deployment.apps
    bind = app.settings["bind"]
    assert not bind.known and bind.raw == "unix:{{ venv }}/run/gunicorn.sock"
    [link] = deployment.links
    assert link.match == "template-text"
    assert deployment.route_diagnoses[route.id].status == "linked"


def test_different_placeholder_text_does_not_link(tmp_path):
    nginx = _write(tmp_path, "site.j2", """
        upstream backend { server unix:{{ run_dir }}/app.sock; }
        server { listen 80; location / { proxy_pass http://backend; } }
        """)
    config = _write(tmp_path, "gunicorn.conf.py.j2", """
        bind = "unix:{{ socket_dir }}/app.sock"
        """)
    deployment = _build(nginx, config)
    assert len(deployment.routes) == 1 and len(deployment.apps) == 1  # both sides read: the silence is a decision
    assert not deployment.links
