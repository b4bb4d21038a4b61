"""Small hand-written configs the tests build on: an nginx.conf whose one `location /` proxies to an app server, the
gunicorn.conf.py of that server, the pair written to a folder, and the queueing scenario of the pair's only link."""

from __future__ import annotations

from pathlib import Path

UNIX_APP = "http://unix:/run/app/app.sock"
TCP_APP = "127.0.0.1:8000"


def nginx_proxy_conf(proxy_pass: str = UNIX_APP, *directives: str, upstream: str | None = None) -> str:
    """``location /`` with ``proxy_pass`` and ``directives`` (each without its ``;``); with ``upstream``, an upstream
    block of that name holding ``TCP_APP``."""
    lines = ["events {}", "http {"]
    if upstream:
        lines.append(f"    upstream {upstream} {{ server {TCP_APP}; }}")
    lines += ["    server {", "        listen 80;", "        location / {", f"            proxy_pass {proxy_pass};"]
    lines += [f"            {directive};" for directive in directives]
    lines += ["        }", "    }", "}"]
    return "\n".join(lines) + "\n"


def gunicorn_tcp_conf(workers: int, timeout: int = 60) -> str:
    return f'bind = "{TCP_APP}"\nworkers = {workers}\ntimeout = {timeout}\n'


def write_pair(folder: Path, nginx: str, app_file: str, app_text: str) -> list[str]:
    """``nginx.conf`` and the app server's file in ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nginx.conf").write_text(nginx, encoding="utf-8")
    (folder / app_file).write_text(app_text, encoding="utf-8")
    return [str(folder / "nginx.conf"), str(folder / app_file)]


def only_link_scenario(paths: list[str], rps: float, service, **kwargs):
    """The queueing scenario of the one link the files at ``paths`` form (``kwargs``: ``scenario_for_link``'s)."""
    from advisor.commands.options import HostFacts, Inputs
    from advisor.loaders.deployment import build_deployment
    from advisor.queueing.scenario import scenario_for_link

    deployment = build_deployment(Inputs(paths=paths), HostFacts.build())
    (link,) = deployment.links
    return scenario_for_link(link, deployment, rps, service, **kwargs)
