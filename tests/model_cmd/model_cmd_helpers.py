"""Helpers for the `advisor model` tests: build a deployment from fixture files, write small config pairs."""

from __future__ import annotations

from pathlib import Path

from advisor.commands.options import HostFacts, Inputs
from advisor.loaders.deployment import build_deployment


def deployment_of(directory: str | Path, **host):
    directory = str(directory)
    inputs = Inputs(paths=[f"{directory}/nginx.conf", f"{directory}/gunicorn.conf.py"])
    return build_deployment(inputs, HostFacts.build(**host))


def write_pair(directory: Path, gunicorn: str, location: str, *, target: str = "unix:/run/app/app.sock",
               upstream_block: str = "") -> Path:
    """A minimal nginx.conf whose `location /` proxies to `target`, and a gunicorn.conf.py."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "gunicorn.conf.py").write_text(gunicorn)
    (directory / "nginx.conf").write_text(
        "events {}\n"
        "http {\n"
        f"{upstream_block}"
        "    server {\n"
        "        listen 80;\n"
        "        location / {\n"
        f"            proxy_pass http://{target};\n"
        f"{location}"
        "        }\n"
        "    }\n"
        "}\n")
    return directory
