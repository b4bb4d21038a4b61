"""Tell what kind of file a path is: an nginx config or one of the places app-server settings live."""

from __future__ import annotations

import re
from pathlib import PurePath

NGINX = "nginx"
GUNICORN_PY = "gunicorn"
APP_KINDS = ("gunicorn", "compose", "dockerfile", "procfile", "systemd", "supervisor", "shell", "markdown")

_COMPOSE_NAMES = re.compile(r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$")
_SNIFF_BYTES = 65536
_SERVER_COMMAND = re.compile(r"\b(gunicorn|uvicorn)\b")


def _head(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read(_SNIFF_BYTES).decode("utf-8", "replace")
    except OSError:
        return ""


def classify_path(path: str) -> str:
    """Return "nginx" or an app source kind from APP_KINDS, by name first and content when the name is ambiguous."""
    name = PurePath(path).name
    lower = name.lower()
    if lower.endswith(".py"):
        return GUNICORN_PY
    if _COMPOSE_NAMES.match(lower):
        return "compose"
    if lower in ("dockerfile", "containerfile") or lower.startswith(("dockerfile.", "containerfile.")) \
            or lower.endswith((".dockerfile", ".containerfile")):
        return "dockerfile"
    if lower == "procfile" or lower.startswith("procfile."):
        return "procfile"
    if lower.endswith((".service", ".socket")):
        return "systemd"
    if lower.endswith((".sh", ".bash")):
        return "shell"
    if lower.endswith((".md", ".markdown")):
        return "markdown"
    head = _head(path)
    if lower.endswith((".yml", ".yaml")) and re.search(r"^services\s*:", head, re.M):
        return "compose"
    if re.search(r"^\[program:[^\]]+\]", head, re.M):
        return "supervisor"
    if re.search(r"^\[(Service|Unit)\]", head, re.M):
        return "systemd"
    if head.startswith("#!") and _SERVER_COMMAND.search(head):
        return "shell"
    return NGINX
