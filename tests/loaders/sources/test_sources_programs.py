"""Which command lines start gunicorn or uvicorn, through wrappers."""

from __future__ import annotations

import pytest

from advisor.loaders.sources.programs import NestedScript, ScriptFile, ServerInvocation, recognise
from advisor.loaders.sources.text import PText, Unresolved


def argv(text: str) -> list[PText]:
    return [PText(word) for word in text.split()]


@pytest.mark.parametrize("command, kind, args", [
    ("gunicorn app:app -w 2", "gunicorn", ["app:app", "-w", "2"]),
    ("exec /venv/bin/gunicorn app", "gunicorn", ["app"]),
    ("ddtrace-run python -m gunicorn.app.wsgiapp -c g.py app", "gunicorn", ["-c", "g.py", "app"]),
    ("uv run gunicorn app", "gunicorn", ["app"]),
    ("poetry run python -m gunicorn app", "gunicorn", ["app"]),
    ("python3.12 -u /venv/bin/gunicorn app", "gunicorn", ["app"]),
    ("env WEB_CONCURRENCY=3 gosu app gunicorn app", "gunicorn", ["app"]),
    ("tini -- newrelic-admin run-program gunicorn app", "gunicorn", ["app"]),
    ("wait-for-it.sh db:5432 --timeout=60 -- uvicorn main:app", "uvicorn", ["main:app"]),
    ("python -m uvicorn main:app --port 80", "uvicorn", ["main:app", "--port", "80"]),
    ("uvx uvicorn main:app", "uvicorn", ["main:app"]),
])
def test_servers_through_wrappers(command, kind, args):
    found = recognise(argv(command))
    assert isinstance(found, ServerInvocation)
    assert found.kind == kind and [word.text for word in found.args] == args


@pytest.mark.parametrize("command", [
    "pip install gunicorn", "uv pip install gunicorn", "poetry add gunicorn", "systemctl restart gunicorn",
    "sudo systemctl restart gunicorn", "echo gunicorn", "python manage.py runserver", "python -c import_gunicorn",
    "celery -A app worker", "watchmedo auto-restart -- ./manage.py rq worker",
])
def test_commands_that_only_mention_gunicorn(command):
    assert recognise(argv(command)) is None


def test_env_wrapper_assignments_are_kept():
    found = recognise(argv("env -u X PORT=9000 gunicorn app"))
    assert [(name, value.text) for name, value in found.prefix_env] == [("PORT", "9000")]


def test_shell_and_nodemon_hand_over_scripts():
    script = PText("uv run gunicorn app")
    found = recognise([PText("sh"), PText("-ec"), script])
    assert isinstance(found, NestedScript) and found.script is script
    assert isinstance(recognise([PText("nodemon"), PText("--exec"), script]), NestedScript)
    assert isinstance(recognise(argv("bash ./start.sh web")), ScriptFile)
    assert isinstance(recognise(argv("/docker-entrypoint.sh gunicorn app")), ScriptFile)


def test_unresolved_wrapper_in_front():
    su_exec = PText("$SU_EXEC").with_tag(Unresolved("depends on a condition"))
    found = recognise([su_exec, PText("/venv/bin/gunicorn"), PText("app")])
    assert isinstance(found, ServerInvocation) and found.program.text == "/venv/bin/gunicorn"
