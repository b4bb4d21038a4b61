"""`advisor check DIR`: which nginx configs and app server sources discovery picks in a directory."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from advisor.loaders.discover import discover, expand_directories
from advisor.loaders.deployment import split_inputs
from advisor.commands.options import Inputs

MAIN_NGINX = """\
user nginx;
worker_processes auto;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    include /etc/nginx/conf.d/*.conf;
}
"""
SITE = """\
upstream app_server { server unix:/run/gunicorn.sock fail_timeout=0; }
server {
    listen 80;
    server_name shop.example.com;
    location / {
        proxy_pass http://app_server;
        proxy_read_timeout 30s;
    }
}
"""
GUNICORN_CONF = """\
bind = "unix:/run/gunicorn.sock"
workers = 3
timeout = 60
"""
DOCKERFILE_WITH_SCRIPT = """\
FROM python:3.12-slim
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["/app/docker/start.sh"]
"""
START_SH = """\
#!/bin/sh
set -e
python manage.py migrate --noinput
exec gunicorn shop.wsgi:application --bind unix:/run/gunicorn.sock --workers 3 --timeout 60
"""
FRONTEND_DOCKERFILE = """\
FROM node:20
WORKDIR /web
COPY . .
RUN npm ci && npm run build
CMD ["npm", "start"]
"""


def write(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_main_config_with_its_includes_and_the_gunicorn_config(in_tmp: Path):
    write(in_tmp, {"deploy/nginx/nginx.conf": MAIN_NGINX, "deploy/nginx/conf.d/shop.conf": SITE,
                   "deploy/gunicorn.conf.py": GUNICORN_CONF, "deploy/README.md": "run `gunicorn -c ...`\n"})
    found = discover("deploy")
    # conf.d/shop.conf is read through the main config's include, so it is not picked a second time
    assert found.nginx == ("deploy/nginx/nginx.conf",)
    assert found.included == 1
    assert found.app == (("deploy/gunicorn.conf.py", "gunicorn"),)
    assert "deploy/nginx/nginx.conf (+1 included)" in found.describe()


def test_fragments_without_a_main_config_are_all_picked(in_tmp: Path):
    write(in_tmp, {"sites-enabled/shop": SITE, "sites-enabled/admin.conf": SITE.replace("shop", "admin"),
                   "gunicorn.conf.py": GUNICORN_CONF})
    assert discover(".").nginx == ("sites-enabled/admin.conf", "sites-enabled/shop")


def test_disabled_sites_and_rendered_templates_are_left_out(in_tmp: Path):
    write(in_tmp, {"nginx/sites-available/shop": SITE, "nginx/sites-available/old-shop": SITE,
                   "nginx/templates/default.conf.template": SITE.replace("30s", "${READ_TIMEOUT}"),
                   "nginx/default.conf": SITE.replace("shop.example.com", "www.example.com")})
    (in_tmp / "nginx/sites-enabled").mkdir()
    os.symlink("../sites-available/shop", in_tmp / "nginx/sites-enabled/shop")
    assert discover("nginx").nginx == ("nginx/default.conf", "nginx/sites-enabled/shop")


def test_dockerfile_running_a_start_script_is_picked_with_it_but_not_an_unrelated_image(in_tmp: Path):
    write(in_tmp, {"Dockerfile": DOCKERFILE_WITH_SCRIPT, "docker/start.sh": START_SH,
                   "frontend/Dockerfile": FRONTEND_DOCKERFILE, "nginx.conf": MAIN_NGINX.replace(
                       "include /etc/nginx/conf.d/*.conf;", SITE)})
    found = discover(".")
    assert found.nginx == ("nginx.conf",)
    assert found.app == (("Dockerfile", "dockerfile"), ("docker/start.sh", "shell"))


def test_files_that_only_mention_the_server_are_not_picked(in_tmp: Path):
    write(in_tmp, {"install.sh": "#!/bin/sh\npip install gunicorn uvicorn\n",
                   "docs/conf.py": "project = 'shop'\nextensions = []\n",  # Sphinx, in a skipped directory anyway
                   "conf.py": "project = 'shop'\nhtml_theme = 'alabaster'\n",
                   "settings.py": "DEBUG = False\nALLOWED_HOSTS = ['*']\n",
                   "redis.conf": "bind 127.0.0.1\nport 6379\n", "mime.types": "types { text/html html; }\n"})
    found = discover(".")
    assert found.files == []
    assert "found no nginx config or app server settings in ." in found.describe()


def test_skipped_directories(in_tmp: Path):
    write(in_tmp, {"tests/fixtures/nginx.conf": SITE, ".git/nginx.conf": SITE, "node_modules/x/nginx.conf": SITE,
                   ".venv/lib/gunicorn.conf.py": GUNICORN_CONF, "env/gunicorn.conf.py": GUNICORN_CONF,
                   "env/pyvenv.cfg": "home = /usr/bin\n", "docs/deploy/nginx.conf": SITE,
                   "deploy/gunicorn.conf.py": GUNICORN_CONF})
    found = discover(".")
    assert found.files == ["deploy/gunicorn.conf.py"]


def test_supervisor_systemd_socket_and_compose_named_otherwise(in_tmp: Path):
    write(in_tmp, {
        "etc/supervisor/shop.conf": "[program:shop]\ncommand=/srv/venv/bin/gunicorn shop.wsgi -b 127.0.0.1:8000 "
                                    "-w 3\ndirectory=/srv/shop\n",
        "etc/systemd/gunicorn.service": "[Unit]\nRequires=gunicorn.socket\n[Service]\nExecStart=/srv/venv/bin/"
                                        "gunicorn --workers 3 shop.wsgi\n[Install]\nWantedBy=multi-user.target\n",
        "etc/systemd/gunicorn.socket": "[Socket]\nListenStream=/run/gunicorn.sock\n[Install]\n"
                                       "WantedBy=sockets.target\n",
        "etc/systemd/redis.socket": "[Socket]\nListenStream=/run/redis.sock\n",
        "production.yml": "services:\n  web:\n    image: shop\n    command: gunicorn shop.wsgi -b 0.0.0.0:8000\n",
    })
    found = discover(".")
    assert dict(found.app) == {"etc/supervisor/shop.conf": "supervisor",
                               "etc/systemd/gunicorn.service": "systemd", "etc/systemd/gunicorn.socket": "systemd",
                               "production.yml": "compose"}


def test_split_inputs_expands_a_directory_argument(in_tmp: Path):
    write(in_tmp, {"deploy/nginx.conf": MAIN_NGINX.replace("include /etc/nginx/conf.d/*.conf;", SITE),
                   "deploy/gunicorn.conf.py": GUNICORN_CONF})
    nginx, app = split_inputs(Inputs(paths=["deploy"]))
    assert nginx == ["deploy/nginx.conf"]
    assert app == [("deploy/gunicorn.conf.py", "gunicorn")]
    assert expand_directories(["deploy/nginx.conf", "deploy"]) == [
        "deploy/nginx.conf", "deploy/nginx.conf", "deploy/gunicorn.conf.py"]


def test_compose_running_a_pulled_image_is_picked_with_the_image_start_script(in_tmp: Path):
    """The service's process is the script (its image's command): the compose file brings its environment."""
    write(in_tmp, {
        "docker-compose.yml": "services:\n  web:\n    image: example/shop:1.4\n    environment:\n"
                              "      - WEB_CONCURRENCY=4\n  db:\n    image: postgres:16\n",
        "image/start.sh": "#!/bin/sh\nexec gunicorn shop.wsgi --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2}\n",
    })
    assert discover(".").app == (("docker-compose.yml", "compose"), ("image/start.sh", "shell"))
