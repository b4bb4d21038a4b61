"""Every loader diagnostic's rendered message and fix fit its cause: one small hand-written input per cause, run
through `advisor check`, compared with a snapshot of the ADV findings it prints.

A missing input says "pass it as an input if you have it", a value advisor cannot see says how to supply it
(`--env NAME=VALUE`, the file that runs a script for `"$@"`, the rendered template), and only a value the server
rejects says "correct it". Regenerate the snapshot with ADVISOR_UPDATE_SNAPSHOTS=1 and read every changed line.
"""

from __future__ import annotations

import io
import json
import os
import textwrap
from pathlib import Path

import pytest

from advisor.commands import check
from advisor.commands.options import CheckOptions, HostFacts, Inputs

SNAPSHOT = Path(__file__).with_name("snapshots") / "diagnostic_texts.txt"
UPDATE = os.environ.get("ADVISOR_UPDATE_SNAPSHOTS") == "1"

NGINX_PROXY = "server {\n    listen 80;\n    location / {\n        proxy_pass http://127.0.0.1:8000;\n    }\n}\n"


def _nginx(extra: str) -> str:
    return "server {\n    listen 80;\n" + extra + "    location / {\n        proxy_pass http://127.0.0.1:8000;\n" \
           "    }\n}\n"


# name: (files {path: text}, inputs, env, (code, severity) the cause must produce)
CASES: dict[str, tuple[dict[str, str], list[str], dict[str, str], tuple[str, str]]] = {
    # -- nginx -------------------------------------------------------------------------------------------------
    "nginx parse error": ({"nginx.conf": NGINX_PROXY + "}\n"}, ["nginx.conf"], {}, ("ADV001", "error")),
    "nginx main directive with a missing semicolon": (
        {"nginx.conf": "user www-data\npid /run/nginx.pid;\nevents {}\nhttp {\n" + NGINX_PROXY + "}\n"},
        ["nginx.conf"], {}, ("ADV001", "error")),
    "nginx include not among the inputs": (
        {"nginx.conf": _nginx("    include /etc/nginx/snippets/app-proxy.conf;\n")}, ["nginx.conf"], {},
        ("ADV002", "info")),
    "nginx include glob that matches nothing": (
        {"nginx.conf": _nginx("    include sites/*.conf;\n")}, ["nginx.conf"], {}, ("ADV002", "info")),
    "nginx include path with an envsubst placeholder": (
        {"nginx.conf": _nginx("    include /etc/nginx/${SITE_NAME}.conf;\n")}, ["nginx.conf"], {},
        ("ADV002", "info")),
    "nginx include path with a Jinja placeholder": (
        {"nginx.conf": _nginx("    include /etc/nginx/{{ site_name }}.conf;\n")}, ["nginx.conf"], {},
        ("ADV002", "info")),
    "nginx template placeholder on a line of its own": (
        {"default.conf.template": _nginx("    ${EXTRA_LOCATIONS}\n")}, ["default.conf.template"], {},
        ("ADV002", "info")),
    "nginx include that exists but cannot be read": (
        {"nginx.conf": _nginx("    include snippets;\n"), "snippets/keep.txt": "x\n"}, ["nginx.conf"], {},
        ("ADV002", "warning")),
    "nginx stock include": (
        {"nginx.conf": _nginx("    include proxy_params;\n")}, ["nginx.conf"], {}, ("ADV003", "info")),
    "nginx include loop": ({"nginx.conf": "include nginx.conf;\nevents {}\n"}, ["nginx.conf"], {},
                           ("ADV005", "warning")),
    "nginx invalid value": (
        {"nginx.conf": _nginx("    proxy_read_timeout 10x;\n")}, ["nginx.conf"], {}, ("ADV006", "error")),
    # -- gunicorn config file ----------------------------------------------------------------------------------
    "gunicorn config that is not Python": (
        {"gunicorn.conf.py": 'bind = "127.0.0.1:8000"\nworkers = (\n'}, ["gunicorn.conf.py"], {},
        ("ADV004", "error")),
    "gunicorn setting of the wrong type": (
        {"gunicorn.conf.py": 'bind = "127.0.0.1:8000"\nworkers = "many"\n'}, ["gunicorn.conf.py"], {},
        ("ADV006", "error")),
    "gunicorn config that raises": (
        {"gunicorn.conf.py": 'bind = "127.0.0.1:8000"\nraise RuntimeError("set APP_ENV first")\n'},
        ["gunicorn.conf.py"], {}, ("ADV006", "error")),
    "gunicorn default from an invalid environment value": (
        {"gunicorn.conf.py": "workers = 2\n"}, ["gunicorn.conf.py"], {"PORT": "http"}, ("ADV006", "error")),
    "WEB_CONCURRENCY that is not a number": (
        {"gunicorn.conf.py": 'bind = "127.0.0.1:8000"\n'}, ["gunicorn.conf.py"], {"WEB_CONCURRENCY": "lots"},
        ("ADV006", "error")),
    "GUNICORN_CMD_ARGS with an open quote": (
        {"gunicorn.conf.py": 'bind = "127.0.0.1:8000"\n'}, ["gunicorn.conf.py"],
        {"GUNICORN_CMD_ARGS": '--workers "3'}, ("ADV006", "error")),
    # -- command lines -------------------------------------------------------------------------------------------
    "config file the command loads is not here": (
        {"Procfile": "web: gunicorn -c deploy/gunicorn.conf.py shop.wsgi\n"}, ["Procfile"], {},
        ("ADV004", "info")),
    "config given as a python: module": (
        {"Procfile": "web: gunicorn -c python:shop.gunicorn_settings shop.wsgi\n"}, ["Procfile"], {},
        ("ADV004", "info")),
    "source that starts no app server": (
        {"Procfile": "worker: celery -A shop worker\n"}, ["Procfile"], {}, ("ADV004", "info")),
    "unknown gunicorn option": (
        {"Procfile": "web: gunicorn --wrokers 4 shop.wsgi\n"}, ["Procfile"], {}, ("ADV006", "error")),
    "gunicorn option that exits before serving": (
        {"Procfile": "web: gunicorn --version shop.wsgi\n"}, ["Procfile"], {}, ("ADV006", "warning")),
    "variable that may add gunicorn options": (
        {"start.sh": "#!/bin/sh\nexec gunicorn shop.wsgi --bind 0.0.0.0:8000 $GUNICORN_EXTRA_ARGS\n"},
        ["start.sh"], {}, ("ADV006", "info")),
    "forwarded script arguments": (
        {"start.sh": '#!/bin/sh\nexec gunicorn shop.wsgi --bind 0.0.0.0:8000 "$@"\n'}, ["start.sh"], {},
        ("ADV006", "info")),
    "shell syntax advisor cannot follow": (
        {"start.sh": '#!/bin/sh\nexec gunicorn shop.wsgi --bind "0.0.0.0:8000\n'}, ["start.sh"], {},
        ("ADV004", "info")),
    "unknown uvicorn option": (
        {"Procfile": "web: uvicorn shop.asgi:app --wrokers 2\n"}, ["Procfile"], {}, ("ADV006", "error")),
    "uvicorn option with an invalid value": (
        {"Procfile": "web: uvicorn shop.asgi:app --workers two\n"}, ["Procfile"], {}, ("ADV006", "error")),
    "uvicorn without an app": ({"Procfile": "web: uvicorn --port 8000\n"}, ["Procfile"], {}, ("ADV006", "error")),
    "uvicorn reload with workers": (
        {"Procfile": "web: uvicorn shop.asgi:app --reload --workers 4\n"}, ["Procfile"], {}, ("ADV006", "warning")),
    "variable that may add uvicorn options": (
        {"start.sh": "#!/bin/sh\nexec uvicorn shop.asgi:app --port 8000 $UVICORN_EXTRA\n"}, ["start.sh"], {},
        ("ADV006", "info")),
    "command path read from the file of the same name": (
        {"Procfile": "web: gunicorn -c /srv/shop/gunicorn.conf.py shop.wsgi\n",
         "gunicorn.conf.py": 'bind = "127.0.0.1:8000"\n'}, ["Procfile"], {}, ("ADV007", "info")),
    "gunicorn version pinned by a requirements file": (
        {"Procfile": "web: gunicorn --bind 127.0.0.1:8000 shop.wsgi\n", "requirements.txt": "gunicorn==21.2.0\n"},
        ["Procfile"], {}, ("ADV007", "info")),
    # -- compose and Dockerfile ----------------------------------------------------------------------------------
    "compose file that is not YAML": (
        {"docker-compose.yml": "services:\n  web:\n    command: [gunicorn, shop.wsgi\n"}, ["docker-compose.yml"],
        {}, ("ADV004", "error")),
    "compose env_file not among the inputs": (
        {"docker-compose.yml": "services:\n  web:\n    command: gunicorn --bind 0.0.0.0:8000 shop.wsgi\n"
                               "    env_file: .env.production\n"}, ["docker-compose.yml"], {}, ("ADV004", "info")),
    "compose command with an open quote": (
        {"docker-compose.yml": "services:\n  web:\n    command: gunicorn --bind '0.0.0.0:8000 shop.wsgi\n"},
        ["docker-compose.yml"], {}, ("ADV004", "error")),
    "compose GUNICORN_CMD_ARGS whose value is unknown": (
        {"docker-compose.yml": "services:\n  web:\n    command: gunicorn --bind 0.0.0.0:8000 shop.wsgi\n"
                               "    environment:\n      GUNICORN_CMD_ARGS: ${GUNICORN_ARGS}\n"},
        ["docker-compose.yml"], {}, ("ADV006", "info")),
    "compose nginx service with a mounted config": (
        {"docker-compose.yml": "services:\n  web:\n    command: gunicorn --bind 0.0.0.0:8000 shop.wsgi\n"
                               "  proxy:\n    image: nginx\n    volumes:\n"
                               "      - ./nginx.conf:/etc/nginx/conf.d/default.conf:ro\n",
         "nginx.conf": NGINX_PROXY}, ["docker-compose.yml"], {}, ("ADV007", "info")),
    "compose nginx service without a config from here": (
        {"docker-compose.yml": "services:\n  web:\n    command: gunicorn --bind 0.0.0.0:8000 shop.wsgi\n"
                               "  proxy:\n    image: nginx\n"}, ["docker-compose.yml"], {}, ("ADV007", "info")),
    "Dockerfile exec form with a variable": (
        {"Dockerfile": 'FROM python:3.12\nCMD ["gunicorn", "--workers", "$WORKERS", "shop.wsgi"]\n'},
        ["Dockerfile"], {}, ("ADV006", "warning")),
    "Dockerfile exec form that is not JSON": (
        {"Dockerfile": "FROM python:3.12\nCMD ['gunicorn', 'shop.wsgi']\n"}, ["Dockerfile"], {},
        ("ADV006", "error")),
    # -- systemd -------------------------------------------------------------------------------------------------
    "systemd EnvironmentFile not among the inputs": (
        {"shop.service": "[Service]\nEnvironmentFile=/etc/shop/secrets.env\n"
                         "ExecStart=/usr/bin/gunicorn --bind 127.0.0.1:8000 shop.wsgi\n"}, ["shop.service"], {},
        ("ADV004", "info")),
    "systemd socket unit": (
        {"shop.socket": "[Socket]\nListenStream=/run/shop.sock\n\n[Install]\nWantedBy=sockets.target\n"},
        ["shop.socket"], {}, ("ADV007", "info")),
    "systemd ListenStream with a specifier": (
        {"shop.service": "[Unit]\nRequires=shop.socket\n[Service]\nExecStart=/usr/bin/gunicorn shop.wsgi\n",
         "shop.socket": "[Socket]\nListenStream=%t/shop.sock\n"}, ["shop.service"], {}, ("ADV004", "info")),
    "systemd ListenStream advisor does not understand": (
        {"shop.service": "[Unit]\nRequires=shop.socket\n[Service]\nExecStart=/usr/bin/gunicorn shop.wsgi\n",
         "shop.socket": "[Socket]\nListenStream=vsock:2:8000\n"}, ["shop.service"], {}, ("ADV004", "info")),
}


def _run(tmp_path: Path, files: dict[str, str], inputs: list[str], env: dict[str, str]) -> list[dict]:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        check.run(CheckOptions(inputs=Inputs(paths=inputs), host=HostFacts.build(env=env), output_format="json",
                               select=["ADV"], isolated=True), stdout=out, stderr=io.StringIO())
    finally:
        os.chdir(cwd)
    return [finding for finding in json.loads(out.getvalue())["findings"] if finding["code"].startswith("ADV")]


def _render(name: str, findings: list[dict]) -> str:
    lines = [f"## {name}"]
    for finding in sorted(findings, key=lambda item: (item["code"], item.get("line") or 0, item["message"])):
        lines.append(f"{finding['code']} [{finding['severity']}] {finding['message']}")
        lines.append(f"  fix: {finding.get('fix')}")
    return "\n".join(lines)


def test_each_cause_renders_a_message_and_fix_that_fit_it(tmp_path: Path):
    rendered = []
    for index, (name, (files, inputs, env, (code, severity))) in enumerate(CASES.items()):
        directory = tmp_path / f"case{index}"
        directory.mkdir()
        findings = _run(directory, files, inputs, env)
        assert any(f["code"] == code and f["severity"] == severity for f in findings), (name, findings)
        rendered.append(_render(name, findings))
    text = "\n\n".join(rendered) + "\n"
    if UPDATE:
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    expected = SNAPSHOT.read_text(encoding="utf-8")
    assert text == expected


@pytest.mark.parametrize("name", [name for name, case in CASES.items() if case[3][1] == "info"])
def test_coverage_notes_never_tell_to_correct_a_value(tmp_path: Path, name: str):
    """An info diagnostic is about something advisor could not see, not a defect: its fix never says the server
    rejects anything."""
    files, inputs, env, (code, _severity) = CASES[name]
    for finding in _run(tmp_path, files, inputs, env):
        if finding["severity"] == "info":
            fix = finding.get("fix") or ""
            assert "rejects" not in fix and "nginx -t" not in fix and "--check-config" not in fix, (name, fix)
