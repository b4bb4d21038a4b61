"""Kind detection for app sources (by name, then by content)."""

from __future__ import annotations

import pytest

from advisor.model.classify import APP_KINDS, classify_path


@pytest.mark.parametrize("name, content, kind", [
    ("gunicorn.conf.py", "", "gunicorn"),
    ("docker-compose.yml", "", "compose"),
    ("compose.prod.yaml", "", "compose"),
    ("stack.yml", "version: '3'\nservices:\n  web: {}\n", "compose"),
    ("Dockerfile", "", "dockerfile"),
    ("Dockerfile.prod", "", "dockerfile"),
    ("api.Dockerfile", "", "dockerfile"),
    ("Containerfile", "", "dockerfile"),
    ("Procfile", "", "procfile"),
    ("Procfile.dev", "", "procfile"),
    ("gunicorn.service", "", "systemd"),
    ("gunicorn.socket", "", "systemd"),
    ("unit", "[Unit]\nDescription=x\n[Service]\nExecStart=/bin/true\n", "systemd"),
    ("app.conf", "; supervisor\n[program:web]\ncommand=gunicorn app\n", "supervisor"),
    ("entrypoint.sh", "", "shell"),
    ("run", "#!/bin/sh\n" + "# padding\n" * 1000 + "exec gunicorn app\n", "shell"),
    ("start", "#!/bin/bash\nexec uvicorn main:app\n", "shell"),
    ("DEPLOY.md", "", "markdown"),
    ("nginx.conf", "server { listen 80; }\n", "nginx"),
    ("default", "server { listen 80; }\n", "nginx"),
])
def test_classify(tmp_path, name, content, kind):
    path = tmp_path / name
    path.write_text(content)
    assert classify_path(str(path)) == kind
    assert kind == "nginx" or kind in APP_KINDS
