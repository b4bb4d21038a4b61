"""Helpers for the hostile-input tests: run the CLI on a small project written in a temporary directory."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NGINX = """events {}
http {
    proxy_read_timeout 30s;
    server {
        listen 80;
        location / { proxy_pass http://127.0.0.1:8000; }
    }
}
"""
GUNICORN = "bind = '127.0.0.1:8000'\nworkers = 4\ntimeout = 30\n"


def run_advisor(*args: str, cwd: Path, timeout: float = 90, encoding: str = "utf-8",
                stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    """`python -m advisor ARGS` in a fresh interpreter (standard streams in `encoding`)."""
    env = dict(os.environ, PYTHONIOENCODING=encoding)
    completed = subprocess.run([sys.executable, "-m", "advisor", *args], cwd=cwd, input=stdin, capture_output=True,
                               timeout=timeout, env=env)
    return subprocess.CompletedProcess(completed.args, completed.returncode,
                                       completed.stdout.decode("utf-8", "replace"),
                                       completed.stderr.decode("utf-8", "replace"))
