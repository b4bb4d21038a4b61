"""Tell what kind of file a path is: an nginx config or one of the places app-server settings live.

The name decides when it is unambiguous (`*.py`, `docker-compose.yml`, `Dockerfile`, `*.service`, `Makefile`,
`uwsgi.ini` ...). Otherwise the content does: a uWSGI config (an ini `[uwsgi]` section, a YAML/JSON/XML `uwsgi`
block), supervisord and systemd section headers, a Python module (a gunicorn config named
`gunicorn.conf`, `gunicorn.ini` or `gunicorn.conf.py.template`, also with `%(name)s` / `{{ }}` template
placeholders), a Python script that starts gunicorn itself (a launcher), a shell script; nginx is what remains.
"""

from __future__ import annotations

import ast
import re
from pathlib import PurePath

from advisor.lazy_regex import lazy_re
from advisor.template_syntax import blank_template

NGINX = "nginx"
GUNICORN_PY = "gunicorn"
PYTHON_LAUNCHER = "python"
UWSGI = "uwsgi"
APP_KINDS = ("gunicorn", "compose", "dockerfile", "procfile", "systemd", "supervisor", "shell", "markdown",
             "python", "makefile", "uwsgi")

_COMPOSE_NAMES = lazy_re(r"^(docker-)?compose([.-][\w.-]+)?\.ya?ml$")
_SNIFF_BYTES = 65536
_SERVER_COMMAND = lazy_re(r"\b(gunicorn|uvicorn|uwsgi)\b")
_UWSGI_INI_NAME = lazy_re(r"uwsgi[\w.-]*\.ini$")  # uwsgi.ini, uwsgi-prod.ini, app.uwsgi.ini (not uwsgi_params)
_UWSGI_SUFFIXES = (".ini", ".yml", ".yaml", ".json", ".xml", ".conf", ".cfg")
_UWSGI_CONTENT = lazy_re(  # an ini [uwsgi] section, a YAML `uwsgi:` block, a JSON "uwsgi" object, <uwsgi>
    r"^[ \t]*\[uwsgi\][ \t\r]*$|^uwsgi:[ \t]*$|^\s*\{\s*\"uwsgi\"\s*:\s*\{|^\s*<uwsgi[\s>]", re.M)
_CONFIG_NAME = lazy_re(r"(gunicorn|uvicorn)[._-]?conf(ig)?\b|^conf(ig)?\.py$")
_NGINX_DIRS = frozenset({"sites-available", "sites-enabled"})
_PYTHON_SHEBANG = lazy_re(r"^#!.*\bpython[\d.]*\b")
# Calls that start a process; the program is the first argument (or the first element of a list literal).
_LAUNCH_CALL = lazy_re(
    r"\b(?:Popen|run|call|check_call|check_output|exec[lv]p?e?|spawn[lv]p?e?|system|popen)\s*\(")
_SERVER_PROGRAM_LITERAL = lazy_re(
    r"""[\[(,]\s*[rRuU]?(['"])(?:[^'"\s]*/)?(?:gunicorn3?|uvicorn|uwsgi)(?:\1|\s)""")
_ASSIGNMENTS = (ast.Assign, ast.AnnAssign, ast.AugAssign)


def _head(path: str) -> str:
    from advisor.readers import read_head

    try:
        return read_head(path, _SNIFF_BYTES).decode("utf-8", "replace")
    except OSError:  # a FIFO, a device, a directory: nothing to sniff (the loader reports why it cannot read it)
        return ""


def _parses_as_python(text: str) -> bool:
    """A Python module with settings, imports or functions (a file of comments only is no evidence)."""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return False
    if any(isinstance(node, ast.Expr) and isinstance(node.value, ast.List) for node in tree.body):
        return False  # an ini section header (`[uwsgi]`) is a list display in Python, never written in a config
    return any(isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef))
               or (isinstance(node, _ASSIGNMENTS) and _has_lowercase_target(node)) for node in tree.body)


def _has_lowercase_target(node: ast.stmt) -> bool:
    """gunicorn settings are lowercase; `PORT=8000` alone is an env file, not a gunicorn config."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]  # type: ignore[attr-defined]
    return any(isinstance(name, ast.Name) and name.id != name.id.upper()
               for target in targets for name in ast.walk(target))


def looks_like_python(text: str) -> bool:
    """Python as written, or once template placeholders are filled in (`workers = %(num_workers)s`).

    nginx never parses: `server {`, `listen 80;` and `server_name {{ domain }};` are Python syntax errors."""
    if _parses_as_python(text):
        return True
    filled = blank_template(text)  # template placeholders make a Python template unparseable as written
    return filled != text and _parses_as_python(filled)


def looks_like_uwsgi_config(text: str) -> bool:
    """An ini `[uwsgi]` section, a top-level YAML `uwsgi:` key, a JSON `{"uwsgi": {` object or an XML `<uwsgi>`."""
    return _UWSGI_CONTENT.search(text) is not None


def _is_uwsgi_config(lower: str, head: str) -> bool:
    """`uwsgi*.ini` by its name (its section may be named otherwise); other config names by their content."""
    if _UWSGI_INI_NAME.search(lower):
        return True
    return (lower.endswith(_UWSGI_SUFFIXES) or "." not in lower) and looks_like_uwsgi_config(head)


def starts_server(text: str) -> bool:
    """Python code that starts gunicorn/uvicorn as a process: `subprocess.Popen(['gunicorn', ...])`,
    `os.execvp('gunicorn', [...])`, `os.system("gunicorn ...")`."""
    return bool(_LAUNCH_CALL.search(text) and _SERVER_PROGRAM_LITERAL.search(text))


def _python_kind(text: str) -> str:
    return PYTHON_LAUNCHER if starts_server(text) else GUNICORN_PY


def classify_path(path: str) -> str:
    """Return "nginx" or an app source kind from APP_KINDS, by name first and content when the name is ambiguous."""
    pure = PurePath(path)
    lower = pure.name.lower()
    if lower.endswith(".py"):
        if _CONFIG_NAME.search(lower):  # gunicorn.conf.py, gunicorn_config.py: a config even if a hook runs a program
            return GUNICORN_PY
        return _python_kind(_head(path))
    if _COMPOSE_NAMES.match(lower):
        return "compose"
    if lower in ("dockerfile", "containerfile") or lower.startswith(("dockerfile.", "containerfile.")) \
            or lower.endswith((".dockerfile", ".containerfile")):
        return "dockerfile"
    if lower == "procfile" or lower.startswith("procfile."):
        return "procfile"
    if lower.endswith((".service", ".socket")):
        return "systemd"
    if lower in ("makefile", "gnumakefile") or lower.endswith(".mk"):
        return "makefile"
    if lower.endswith((".sh", ".bash")):
        return "shell"
    if lower.endswith((".md", ".markdown")):
        return "markdown"
    head = _head(path)
    if _is_uwsgi_config(lower, head):
        return UWSGI
    if lower.endswith((".yml", ".yaml")) and re.search(r"^services\s*:", head, re.M):
        return "compose"
    if re.search(r"^\[(program|fcgi-program):[^\]]+\]", head, re.M):
        return "supervisor"
    if re.search(r"^\[(Service|Unit|Socket)\]", head, re.M):
        return "systemd"
    if _PYTHON_SHEBANG.match(head):
        return _python_kind(head)
    if head.startswith("#!") and _SERVER_COMMAND.search(head):
        return "shell"
    if pure.parent.name.lower() in _NGINX_DIRS:
        return NGINX
    if ".py." in lower or looks_like_python(head):
        return _python_kind(head)
    return NGINX
