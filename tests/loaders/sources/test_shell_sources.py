"""End to end: templated start scripts, a Procfile wrapper, and entrypoint scripts that forward their arguments."""

from __future__ import annotations

import os

from shared_material import require_shared
from sources_helpers import FIXTURES, load, load_text, only_app, reason, value

from advisor.model.addresses import Address


def test_templated_start_script():
    result = load(FIXTURES / "shell" / "templated" / "run_gunicorn.sh.j2", "shell")
    app = only_app(result)
    assert not [d for d in result.diagnostics if d.severity in ("warning", "error")]
    assert reason(app, "workers") == "--workers {{ web_workers }}: template placeholder {{ web_workers }}"
    assert reason(app, "timeout").endswith("template placeholder {{ web_timeout | default(60) }}")
    assert reason(app, "graceful_timeout").endswith("template placeholder <%= @graceful %>")
    assert reason(app, "bind").endswith("template placeholder {{ venv_dir }}")
    assert "unknown (template placeholder {{ web_threads }}) or '1'" in reason(app, "threads")
    assert value(app, "keepalive") == 5


def test_procfile_wrapper_hands_gunicorn_its_command_line():
    app = only_app(load(FIXTURES / "shell" / "wrapper" / "Procfile", "procfile"))
    assert (value(app, "workers"), value(app, "timeout")) == (3, 45)  # -c gunicorn_settings.py
    assert value(app, "bind") == [Address("unix", path="/tmp/app.sock")]
    assert value(app, "wsgi_app") == "shop.wsgi"


def test_entrypoint_script_receives_the_command_as_arguments(tmp_path):
    (tmp_path / "entrypoint.sh").write_text('#!/bin/sh\nexport WEB_CONCURRENCY=5\nexec "$@"\n')
    app = only_app(load_text(tmp_path, """
        FROM python:3.12
        COPY entrypoint.sh /entrypoint.sh
        ENTRYPOINT ["/entrypoint.sh"]
        CMD ["gunicorn", "--timeout", "20", "app:app"]
    """, "dockerfile", name="Dockerfile"))
    assert (value(app, "timeout"), value(app, "workers")) == (20, 5)  # the script's export reaches gunicorn


def test_image_without_cmd_forwards_no_arguments(tmp_path):
    (tmp_path / "start.sh").write_text('#!/bin/sh\nexec gunicorn --timeout 20 app:app "$@"\n')
    result = load_text(tmp_path, """
        FROM python:3.12
        COPY start.sh /start.sh
        ENTRYPOINT ["/start.sh"]
    """, "dockerfile", name="Dockerfile")
    app = only_app(result)
    assert value(app, "timeout") == 20 and value(app, "wsgi_app") == "app:app"
    assert not [d for d in result.diagnostics if "$@" in d.message]


def test_arguments_of_a_script_run_directly_are_not_known(tmp_path):
    result = load_text(tmp_path, '#!/bin/sh\nexec gunicorn "$@" --workers 2 app:app\n', "shell", name="run.sh")
    app = only_app(result)
    assert value(app, "workers") == 2 and value(app, "wsgi_app") == "app:app"
    assert [(d.code, d.severity) for d in result.diagnostics if "$@" in d.message] == [("ADV006", "info")]


def test_ansible_start_script_has_no_template_errors():
    stack = require_shared("deployments/jcalazan__ansible-django-stack/roles/web/templates/gunicorn_start.j2")
    result = load(stack, "shell")
    app = only_app(result)
    assert not [d for d in result.diagnostics if d.severity == "error"]
    assert reason(app, "workers").endswith("template placeholder {{ gunicorn_num_workers }}")
    assert "template placeholder" in reason(app, "timeout")
    assert os.path.basename(app.source.path) == "gunicorn_start.j2"
