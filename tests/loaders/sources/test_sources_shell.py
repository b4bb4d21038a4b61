"""Shell scripts and Markdown guides."""

from __future__ import annotations

import pytest
from sources_helpers import CORPUS, FIXTURES, load, load_text, only_app, reason, value, written_at

from advisor.model.addresses import Address


def test_fixture_script():
    app = only_app(load(FIXTURES / "shell" / "start.sh", "shell"))
    assert value(app, "bind") == [Address("tcp", host="0.0.0.0", port=8000)]
    assert value(app, "workers") == 4  # glued -w${GUNICORN_WORKERS:-4}
    assert written_at(app.settings["workers"]).startswith("-w${GUNICORN_WORKERS:-4}")
    assert reason(app, "timeout").endswith("$TIMEOUT is not set and has no default (pass --env TIMEOUT=...)")
    assert "depends on a condition" in reason(app, "loglevel")
    assert (value(app, "worker_class"), value(app, "keepalive")) == ("gevent", 30)  # -c gunicorn.conf.py
    assert written_at(app.source).startswith("gunicorn shop.wsgi")  # after exec ddtrace-run


def test_fixture_script_with_deploy_environment():
    app = only_app(load(FIXTURES / "shell" / "start.sh", "shell",
                        env={"TIMEOUT": "40", "DEBUG": "1", "APP_PORT": "9000"}))
    assert value(app, "timeout") == 40
    assert value(app, "bind") == [Address("tcp", host="0.0.0.0", port=9000)]
    assert "TIMEOUT='40' from --env" in app.settings["timeout"].source.detail


def test_exported_web_concurrency_is_gunicorns_default(tmp_path):
    app = only_app(load_text(tmp_path, """
        #!/bin/sh
        export WEB_CONCURRENCY=${WEB_CONCURRENCY:-3}
        export GUNICORN_CMD_ARGS="--timeout 15"
        exec gunicorn app:app
    """, "shell", name="run.sh"))
    assert value(app, "workers") == 3
    assert app.settings["workers"].source.inputs[0].line == 2
    assert value(app, "timeout") == 15 and app.settings["timeout"].source.line == 3


def test_command_in_a_variable(tmp_path):
    result = load_text(tmp_path, """
        CMD="uv run gunicorn app.wsgi -w 3 --timeout=0"
        if [ -n "$NO_RELOAD" ]; then
          $CMD
        else
          nodemon --exec "${CMD}"
        fi
    """, "shell", name="web.sh")
    app = only_app(result)  # the same command twice is one app server
    assert (value(app, "workers"), value(app, "timeout")) == (3, 0)
    assert app.source.line == 1 and written_at(app.settings["timeout"]).startswith("--timeout=0")


def test_program_in_a_variable_points_at_the_command(tmp_path):
    app = only_app(load_text(tmp_path, """
        GUNICORN=/usr/local/bin/gunicorn
        exec $GUNICORN -w 2 app
    """, "shell", name="rc"))
    assert app.source.line == 2 and written_at(app.source).startswith("$GUNICORN")


def test_uvicorn_fixture_script():
    app = only_app(load(FIXTURES / "uvicorn" / "run.sh", "shell"))
    assert app.kind == "uvicorn"
    assert (value(app, "workers"), value(app, "timeout_keep_alive"), value(app, "limit_concurrency"),
            value(app, "backlog"), value(app, "timeout_graceful_shutdown")) == (2, 5, 20, 512, 30)
    assert value(app, "bind") == [Address("tcp", host="0.0.0.0", port=8000)]
    assert written_at(app.settings["limit_concurrency"]).startswith("--limit-concurrency 20")


def test_script_without_a_server_is_an_info_note(tmp_path):
    result = load_text(tmp_path, "#!/bin/sh\npip install gunicorn\npython manage.py migrate\n", "shell",
                       name="setup.sh")
    assert result.apps == []
    assert [(d.code, d.severity) for d in result.diagnostics] == [("ADV004", "info")]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not available")
def test_markdown_guide_code_blocks():
    result = load(CORPUS / "benoitc__gunicorn" / "docs__content__deploy.md", "markdown")
    lines = sorted(app.source.line for app in result.apps)
    assert {62, 96, 99, 102, 132, 160, 202, 209, 255} <= set(lines)
    assert 242 in lines and 280 in lines and 304 in lines  # runit, upstart, systemd ExecStart
    assert not [app for app in result.apps if app.settings["wsgi_app"].value in ("daemon", "socket")]  # Description=


def test_suppression_comments_in_sources(tmp_path):
    result = load_text(tmp_path, """
        #!/bin/sh
        # advisor: file-ignore[TMO005]
        exec gunicorn app:app \\
            --keep-alive 5  # advisor: ignore[KAL001] -- nginx pools for 4s only
    """, "shell", name="run.sh")
    suppressions = {(s.codes, s.file_level, s.applies_to_line, s.reason) for s in result.suppressions}
    assert suppressions == {(("TMO005",), True, None, None), (("KAL001",), False, 4, "nginx pools for 4s only")}
    assert only_app(result).settings["keepalive"].source.line == 4
