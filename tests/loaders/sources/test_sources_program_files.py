"""Programs named by a path (`command: /start`) and files found as the template of the name a command writes."""

from __future__ import annotations

import textwrap
from pathlib import Path

from sources_helpers import load, value

from advisor.loaders.sources.paths import PathResolver, passed_inputs
from advisor.loaders.sources.programs import ScriptFile, ServerInvocation, recognise
from advisor.loaders.sources.text import PText


def _argv(command: str) -> list[PText]:
    return [PText(word) for word in command.split()]


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def test_a_path_to_a_program_is_a_script_to_read_when_it_is_here():
    for command in ("/start", "./start", "deploy/start-web --fast"):
        found = recognise(_argv(command))
        assert isinstance(found, ScriptFile) and found.program_file, command
    assert recognise(_argv("start")) is None  # the service manager's verb
    assert recognise(_argv("/usr/bin/tail -f /var/log/gunicorn")) is None  # a tool in a bin directory
    handed = recognise(_argv("bin/start-nginx gunicorn shop.wsgi"))
    assert isinstance(handed, ServerInvocation)  # a wrapper handed a server command line, as before


def test_compose_command_running_a_passed_script_keeps_the_service(tmp_path):
    compose = _write(tmp_path / "production.yml", """
        services:
          web:
            build: .
            command: /start
            environment:
              - WEB_CONCURRENCY=3
          worker:
            build: .
            command: /start-worker
        """)
    script = _write(tmp_path / "compose/web/start", """
        #!/bin/sh
        set -o errexit
        python /app/manage.py migrate
        exec gunicorn config.wsgi --bind 0.0.0.0:5000
        """)
    with passed_inputs([str(compose), str(script)]):
        result = load(compose, "compose")
    [app] = result.apps
    assert app.service_name == "web" and value(app, "workers") == 3
    assert any("/start is a path where the command runs" in d.message for d in result.diagnostics)


def test_a_program_file_that_is_not_a_shell_script_is_not_read_as_one(tmp_path):
    dockerfile = _write(tmp_path / "Dockerfile", """
        FROM python:3.12
        COPY serve /opt/program/serve
        CMD ["/opt/program/serve"]
        """)
    _write(tmp_path / "serve", """
        #!/usr/bin/env python
        import subprocess
        subprocess.Popen(['gunicorn', '--timeout', '60', 'wsgi:app'])
        """)
    assert load(dockerfile, "dockerfile").apps == []  # Python code read as shell would find a bare `gunicorn`


def test_an_input_named_like_the_file_plus_a_template_suffix_is_its_template(tmp_path):
    template = _write(tmp_path / "deploy/gunicorn.conf.py.template", "workers = %(n)s\n")
    other = _write(tmp_path / "deploy/supervisor.conf.template", "[program:x]\n")
    with passed_inputs([str(template), str(other)]):
        resolver = PathResolver(base_dir=str(tmp_path / "elsewhere"), working_dir="%(proj_path)s")
        assert resolver.resolve("gunicorn.conf.py") == str(template)
        assert resolver.guess_reason(str(template)) == "the template that file is rendered from"
        assert resolver.resolve("settings.py") is None
    exact = _write(tmp_path / "rendered/gunicorn.conf.py", "workers = 2\n")
    with passed_inputs([str(template), str(exact)]):
        resolver = PathResolver(base_dir=str(tmp_path / "elsewhere"))
        assert resolver.resolve("gunicorn.conf.py") == str(exact)  # the file itself wins over its template
