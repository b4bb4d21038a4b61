"""Commands that run another command: prefix wrappers with their own grammar, and an unknown program handed a
server command line."""

from __future__ import annotations

import pytest

from advisor.loaders.sources.programs import NestedScript, ServerInvocation, recognise
from advisor.loaders.sources.text import PText, Unresolved


def argv(text: str) -> list[PText]:
    return [PText(word) for word in text.split()]


@pytest.mark.parametrize("command, args", [
    ("exec -a web gunicorn app", ["app"]),
    ("gosu gunicorn gunicorn app -w 2", ["app", "-w", "2"]),  # a user named like the program
    ("su-exec www-data:www-data gunicorn app", ["app"]),
    ("tini -s -- gunicorn app", ["app"]),
    ("tini gunicorn app", ["app"]),
    ("dumb-init --rewrite 15:2 -- gunicorn app", ["app"]),
    ("chpst -u gunicorn:gunicorn -e /etc/env gunicorn app", ["app"]),
    ("setuidgid gunicorn gunicorn app", ["app"]),
    ("s6-setuidgid app gunicorn app", ["app"]),
    ("runuser -u gunicorn -- gunicorn app", ["app"]),
    ("sudo -u gunicorn -E WEB_CONCURRENCY=2 gunicorn app", ["app"]),
    ("nice -n 10 nohup gunicorn app", ["app"]),
    ("nice -5 gunicorn app", ["app"]),
    ("timeout -s TERM 3600 gunicorn app", ["app"]),
    ("taskset -c 0-3 gunicorn app", ["app"]),
    ("command gunicorn app", ["app"]),
    ("env -C /srv/app gunicorn app", ["app"]),
    ("opentelemetry-instrument --service_name gunicorn gunicorn app", ["app"]),
    ("newrelic-admin run-program gunicorn app", ["app"]),
    ("pipenv run gunicorn app", ["app"]),
    ("ddtrace-run gunicorn app", ["app"]),
])
def test_prefix_wrappers(command, args):
    found = recognise(argv(command))
    assert isinstance(found, ServerInvocation), command
    assert [word.text for word in found.args] == args


def test_sudo_assignments_reach_the_environment():
    found = recognise(argv("sudo -u app WEB_CONCURRENCY=2 gunicorn app"))
    assert [(name, value.text) for name, value in found.prefix_env] == [("WEB_CONCURRENCY", "2")]


def test_su_and_eval_hand_over_shell_code():
    found = recognise([PText("su"), PText("app"), PText("-s"), PText("/bin/sh"), PText("-c"),
                       PText("exec gunicorn app")])
    assert isinstance(found, NestedScript) and found.script.text == "exec gunicorn app" and found.arguments == []
    found = recognise([PText("runuser"), PText("-l"), PText("app"), PText("-c"), PText("gunicorn app")])
    assert isinstance(found, NestedScript) and found.script.text == "gunicorn app"
    found = recognise(argv("eval exec gunicorn app"))
    assert isinstance(found, NestedScript) and found.script.text == "exec gunicorn app"


def test_shell_minus_c_passes_its_arguments():
    found = recognise([PText("sh"), PText("-c"), PText('exec gunicorn "$@"'), PText("sh"), PText("app")])
    assert isinstance(found, NestedScript) and [word.text for word in found.arguments] == ["app"]


@pytest.mark.parametrize("command, args", [
    ("bin/start-nginx gunicorn -c gunicorn.conf shop.wsgi", ["-c", "gunicorn.conf", "shop.wsgi"]),
    ("/app/bin/with-proxy gunicorn", []),
    ("launch-web -- gunicorn app:app", ["app:app"]),
    ("with-secrets /venv/bin/gunicorn shop.wsgi:application", ["shop.wsgi:application"]),
    ("gosu app run-with-proxy uvicorn main:app --port 8000", ["main:app", "--port", "8000"]),
])
def test_unknown_program_handed_a_server_command_line(command, args):
    found = recognise(argv(command))
    assert isinstance(found, ServerInvocation), command
    assert [word.text for word in found.args] == args


def test_unknown_program_with_an_expansion_after_the_server():
    found = recognise([PText("bin/start-nginx"), PText("gunicorn"),
                       PText("$ARGS").with_tag(Unresolved("$ARGS is not set"))])
    assert isinstance(found, ServerInvocation) and found.kind == "gunicorn"


@pytest.mark.parametrize("command", [
    "pip install gunicorn", "pip3 install -U gunicorn uvicorn", "echo gunicorn", "apk add gunicorn",
    "apt-get install -y gunicorn", "which gunicorn", "command -v gunicorn", "command -V gunicorn", "type gunicorn",
    "test -x /venv/bin/gunicorn", "[ -x /venv/bin/gunicorn ]", "grep gunicorn requirements.txt",
    "pkill gunicorn", "pkill -HUP gunicorn", "kill -HUP gunicorn", "ps aux", "pgrep -f gunicorn",
    "killall -TERM gunicorn", "rc-service gunicorn restart", "monit restart gunicorn", "my-ctl restart gunicorn",
    "svc-tool gunicorn status", "docker-compose restart gunicorn", "kubectl logs gunicorn",
    "tail -f /var/log/gunicorn", "chown app /run/gunicorn", "logtool --unit gunicorn", "mytool -u gunicorn",
    "mkdir -p /var/run/gunicorn", "cleanup /var/run/gunicorn", "sudo systemctl restart gunicorn",
    "chrt -p 10 gunicorn", "sudo -l gunicorn", "deploy gunicorn nginx", "tini -- echo gunicorn",
    "gosu app pip install gunicorn", "su app", "make gunicorn",
])
def test_commands_that_only_mention_a_server(command):
    assert recognise(argv(command)) is None, command
