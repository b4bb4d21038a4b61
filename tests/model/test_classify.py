"""Classifying inputs by content when the name does not tell (gunicorn configs with odd names, launchers)."""

from __future__ import annotations

import pytest

from advisor.model.classify import APP_KINDS, classify_path, looks_like_python, starts_server

GUNICORN_CONF = """\
bind = 'unix:/run/shop/gunicorn.sock'
workers = 3
access_log_format = '%(h)s %(l)s %(t)s "%(r)s" %(s)s'

def when_ready(server):
    server.log.info("ready")
"""
GUNICORN_INI = '''\
"""gunicorn settings for the shop."""

import os

bind = os.environ.get("SHOP_BIND", "127.0.0.1:8000")
timeout = int(os.environ.get("SHOP_TIMEOUT", 30))
'''
PERCENT_TEMPLATE = """\
import multiprocessing

bind = "unix:%(proj_path)s/gunicorn.sock"
workers = %(num_workers)s
loglevel = "warning"
"""
JINJA_PY_TEMPLATE = """\
bind = "{{ app_bind }}"
{% if threads %}
threads = {{ threads }}
{% endif %}
workers = 2
"""
NGINX_JINJA = """\
upstream app {
    server {{ app_host }}:{{ app_port }};
}
server {
    listen 80;
    server_name {{ domain }};
    location / { proxy_pass http://app; }
}
"""
NGINX_ENVSUBST = """\
server {
    listen ${NGINX_PORT};
    location / {
        proxy_pass http://${BACKEND};
        proxy_read_timeout ${READ_TIMEOUT};
    }
}
"""
NGINX_FRAGMENT = "location /static/ {\n    alias /srv/static/;\n}\n"
LAUNCHER = """\
#!/usr/bin/env python
import subprocess

subprocess.Popen(['gunicorn', '-b', 'unix:/tmp/app.sock', 'app:app'])
"""


@pytest.mark.parametrize("name, content, kind", [
    ("gunicorn.conf", GUNICORN_CONF, "gunicorn"),
    ("gunicorn.ini", GUNICORN_INI, "gunicorn"),
    ("gunicorn.conf.py.template", PERCENT_TEMPLATE, "gunicorn"),
    ("gunicorn.conf.j2", JINJA_PY_TEMPLATE, "gunicorn"),
    ("gunicorn_conf.py", GUNICORN_CONF, "gunicorn"),
    ("nginx.conf.j2", NGINX_JINJA, "nginx"),
    ("default.conf.template", NGINX_ENVSUBST, "nginx"),
    ("shop", NGINX_FRAGMENT, "nginx"),
    ("serve", LAUNCHER, "python"),
    ("run_server.py", LAUNCHER, "python"),
    ("Makefile", "run:\n\tgunicorn app:app\n", "makefile"),
    ("GNUmakefile", "", "makefile"),
    ("deploy.mk", "", "makefile"),
    ("gunicorn.socket", "[Socket]\nListenStream=/run/app.sock\n", "systemd"),
    ("app.conf", "[fcgi-program:web]\ncommand=gunicorn app:app\nsocket=unix:///run/web.sock\n", "supervisor"),
    ("uwsgi.ini", "[uwsgi]\nprocesses = 4\nmaster = true\n", "uwsgi"),  # a uWSGI config, not a Python module
    ("app.env", "PORT=8000\nWORKERS=3\n", "nginx"),  # upper-case assignments alone: an env file
])
def test_classify_by_content(tmp_path, name, content, kind):
    path = tmp_path / name
    path.write_text(content)
    assert classify_path(str(path)) == kind
    assert kind == "nginx" or kind in APP_KINDS


def test_extensionless_fragment_in_sites_available_is_nginx(tmp_path):
    folder = tmp_path / "sites-available"
    folder.mkdir()
    path = folder / "shop"
    path.write_text("server {\n    listen 80;\n    location / { proxy_pass http://127.0.0.1:8000; }\n}\n")
    assert classify_path(str(path)) == "nginx"


def test_python_with_percent_placeholders_in_strings_is_python():
    assert looks_like_python("errorlog = '/var/log/%(user)s/error.log'\nworkers = 2\n")
    assert not looks_like_python("server {\n    listen 80;\n}\n")
    assert not looks_like_python("# comments only\n")


def test_a_gunicorn_config_is_not_a_launcher():
    assert not starts_server(GUNICORN_CONF)
    assert not starts_server("import logging\nlogger = logging.getLogger('gunicorn.error')\n")
    assert starts_server("import os\nos.execvp('gunicorn', ['gunicorn', 'app:app'])\n")
    assert starts_server("import os\nos.system('/venv/bin/uvicorn main:app --port 8001')\n")


def test_a_named_gunicorn_config_stays_a_config_even_when_a_hook_starts_a_program(tmp_path):
    path = tmp_path / "gunicorn.conf.py"
    path.write_text("import subprocess\nworkers = 2\n\ndef on_starting(server):\n"
                    "    subprocess.run(['gunicorn', '--version'])\n")
    assert classify_path(str(path)) == "gunicorn"
