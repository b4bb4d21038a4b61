"""Makefile recipes as a command source."""

from __future__ import annotations

from sources_helpers import FIXTURES, load, load_text, only_app, reason, text_at, value


def test_recipe_variables_prefixes_continuations_and_dollar_dollar():
    app = only_app(load(FIXTURES / "makefile" / "Makefile", "makefile"))
    assert value(app, "workers") == 3  # WORKERS := 3
    assert str(value(app, "bind")[0]) == "127.0.0.1:8002"  # BIND = 127.0.0.1:$(PORT), PORT ?= 8002
    assert value(app, "timeout") == 50  # $${TIMEOUT:-50} reaches the shell as ${TIMEOUT:-50}
    assert value(app, "graceful_timeout") == 20  # exported GUNICORN_CMD_ARGS
    assert text_at(app.settings["workers"].source).startswith("--workers $(WORKERS)")
    assert text_at(app.source).startswith("gunicorn $(APP)")


def test_environment_fills_question_mark_assignments_but_not_plain_ones():
    app = only_app(load(FIXTURES / "makefile" / "Makefile", "makefile", env={"PORT": "9000", "WORKERS": "8"}))
    assert str(value(app, "bind")[0]) == "127.0.0.1:9000"
    assert value(app, "workers") == 3


def test_unset_variables_functions_and_conditionals_are_unknown(tmp_path):
    result = load_text(tmp_path, """
        ifeq ($(ENV),prod)
        WORKERS = 8
        else
        WORKERS = 2
        endif
        CPUS != nproc

        run:
        \tgunicorn app:app -w $(WORKERS) --threads $(CPUS) -b $(HOST):8000 --timeout $(shell cat timeout)
        """, "makefile", name="Makefile")
    app = only_app(result)
    assert "ifeq/ifdef" in reason(app, "workers")
    assert "shell command" in reason(app, "threads")
    assert "not set in the Makefile" in reason(app, "bind")
    assert "make function" in reason(app, "timeout")


def test_each_recipe_line_is_its_own_shell_and_non_recipe_lines_are_ignored(tmp_path):
    result = load_text(tmp_path, """
        APP = web.wsgi
        # gunicorn $(APP) in a comment is not a command
        docs:
        \techo "run gunicorn $(APP) to serve"
        serve:
        \t+cd src && exec gunicorn $(APP) --bind unix:/run/web.sock
        """, "makefile", name="web.mk")
    app = only_app(result)
    assert str(value(app, "bind")[0]) == "unix:/run/web.sock"
