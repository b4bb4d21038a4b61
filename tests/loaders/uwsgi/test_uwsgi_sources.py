"""uWSGI command lines found where they live: compose, Dockerfile, Procfile, systemd, supervisor, shell, Makefile,
Python launchers — each an AppServer of kind uwsgi with its options at their lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from advisor.loaders.sources import load_source
from advisor.model.addresses import Address
from advisor.model.deployment import HostFacts

SOURCES = {
    "compose": ("docker-compose.yml", """
        services:
          web:
            build: .
            command: uwsgi --socket :3031 --processes 4 --module shop.wsgi --master
          nginx:
            image: nginx:1.27
        """),
    "dockerfile": ("Dockerfile", """
        FROM python:3.12-slim
        RUN pip install uwsgi
        CMD ["uwsgi", "--socket", ":3031", "--processes", "4", "--module", "shop.wsgi", "--master"]
        """),
    "procfile": ("Procfile", """
        web: uwsgi --socket :3031 --processes 4 --module shop.wsgi --master
        """),
    "systemd": ("shop.service", """
        [Service]
        ExecStart=/srv/shop/venv/bin/uwsgi --socket :3031 --processes 4 --module shop.wsgi --master
        """),
    "supervisor": ("shop.conf", """
        [program:shop]
        command=/srv/shop/venv/bin/uwsgi --socket :3031 --processes 4 --module shop.wsgi --master
        """),
    "shell": ("start.sh", """
        #!/bin/sh
        set -e
        python manage.py migrate --noinput
        exec uwsgi --socket :3031 --processes 4 --module shop.wsgi --master
        """),
    "makefile": ("Makefile", """
        serve:
        \tuwsgi --socket :3031 --processes 4 --module shop.wsgi --master
        """),
    "python": ("serve.py", """
        import os
        os.execvp("uwsgi", ["uwsgi", "--socket", ":3031", "--processes", "4", "--module", "shop.wsgi", "--master"])
        """),
}


def _load(tmp_path: Path, name: str, text: str, kind: str, **host: object):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return load_source(str(path), kind, HostFacts.build(**host))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", sorted(SOURCES))
def test_uwsgi_command_line_in_every_source(tmp_path, kind):
    name, text = SOURCES[kind]
    result = _load(tmp_path, name, text, kind)
    (app,) = result.apps
    assert app.kind == "uwsgi"
    assert app.settings["bind"].value == [Address("tcp", host="0.0.0.0", port=3031)]
    assert (app.settings["processes"].value, app.settings["master"].value) == (4, True)
    assert app.settings["module"].value == "shop.wsgi"
    line = next(number for number, content in enumerate(textwrap.dedent(text).lstrip("\n").split("\n"), 1)
                if "uwsgi" in content and "--processes" in content or '"--processes"' in content)
    assert app.settings["processes"].source.line == line
    assert not [d for d in result.diagnostics if d.severity != "info"]


def test_compose_environment_and_ini_through_a_mount(tmp_path):
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "uwsgi.ini").write_text("[uwsgi]\nsocket = :3031\nprocesses = 8\nlisten = 64\n")
    result = _load(tmp_path, "docker-compose.yml", """
        services:
          web:
            build: .
            command: uwsgi --ini /etc/uwsgi/uwsgi.ini --harakiri ${HARAKIRI:-45}
            environment:
              UWSGI_LISTEN: "1024"
              UWSGI_THREADS: "4"
            volumes:
              - ./deploy:/etc/uwsgi
        """, "compose")
    (app,) = result.apps
    assert app.service_name == "web"
    assert app.settings["processes"].value == 8 and app.settings["processes"].source.path.endswith("uwsgi.ini")
    assert app.settings["listen"].value == 64  # the ini comes after UWSGI_LISTEN
    assert app.settings["threads"].value == 4 and app.settings["threads"].source.line == 7
    assert app.settings["harakiri"].value == 45
    assert "$HARAKIRI is not set" in app.settings["harakiri"].source.detail


def test_unknown_uwsgi_variable_makes_its_option_unknown(tmp_path):
    result = _load(tmp_path, "docker-compose.yml", """
        services:
          web:
            build: .
            command: uwsgi --socket :3031
            environment:
              UWSGI_PROCESSES: ${WORKERS}
        """, "compose")
    (app,) = result.apps
    assert not app.settings["processes"].known


def test_package_manager_commands_are_not_servers(tmp_path):
    result = _load(tmp_path, "Dockerfile", """
        FROM python:3.12-slim
        RUN apt-get install -y uwsgi uwsgi-plugin-python3 && pip install uwsgi
        CMD ["python", "manage.py", "runserver"]
        """, "dockerfile")
    assert result.apps == []
