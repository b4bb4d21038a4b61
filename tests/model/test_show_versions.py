"""`advisor show` says where the nginx and gunicorn versions whose defaults apply came from: a pin in the
inputs (an image tag, a requirements file), a version option, or the default."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from advisor.cli import app

NGINX = "server {\n    listen 80;\n    location / {\n        proxy_pass http://web:8000;\n    }\n}\n"
COMPOSE = """\
services:
  web:
    build: .
    command: gunicorn --bind 0.0.0.0:8000 --workers 3 shop.wsgi
  proxy:
    image: nginx:1.25.5-alpine
    volumes:
      - ./nginx.conf:/etc/nginx/conf.d/default.conf:ro
"""


def _host_line(tmp_path: Path, *args: str) -> str:
    (tmp_path / "nginx.conf").write_text(NGINX)
    (tmp_path / "docker-compose.yml").write_text(COMPOSE)
    (tmp_path / "requirements.txt").write_text("django==5.0.6\ngunicorn==21.2.0\n")
    result = CliRunner().invoke(app, ["show", str(tmp_path / "nginx.conf"), str(tmp_path / "docker-compose.yml"),
                                      *args])
    assert result.exit_code == 0, result.output
    return result.stdout.splitlines()[0]


def test_pinned_versions_name_the_file_and_line(tmp_path: Path):
    line = _host_line(tmp_path)
    compose = tmp_path / "docker-compose.yml"
    assert f"nginx=1.25.5 ({compose}:6: image: nginx:1.25.5-alpine)" in line
    assert f"gunicorn=21.2.0 ({tmp_path / 'requirements.txt'}:2: gunicorn 21.2.0 pinned)" in line


def test_options_and_defaults(tmp_path: Path):
    line = _host_line(tmp_path, "--nginx-version", "1.24.0", "--gunicorn-version", "23.0.0")
    assert "nginx=1.24.0 (--nginx-version)" in line and "gunicorn=23.0.0 (--gunicorn-version)" in line
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "nginx.conf").write_text(NGINX)
    result = CliRunner().invoke(app, ["show", str(tmp_path / "plain" / "nginx.conf")])
    assert "nginx=1.30.0 (default) gunicorn=27.0.1 (default)" in result.stdout.splitlines()[0]
