"""Which argv starts gunicorn or uvicorn, through the wrappers people put in front of them.

`exec gunicorn ...`, `/venv/bin/gunicorn`, `python -m gunicorn`, `python -m gunicorn.app.wsgiapp`, `python
/venv/bin/gunicorn`, `ddtrace-run ...`, `uv run ...`, `poetry run ...`, `env X=1 ...`, `gosu user ...`,
`su-exec user ...`, `tini -- ...`, `wait-for-it.sh db:5432 -- ...`, an unresolved `$SU_EXEC` in front; `sh -c
"..."`, `bash -c` and `nodemon --exec "..."` hand a script to a shell. Anything else is not an app server.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from advisor.loaders.sources.text import PText, Unresolved

SERVER_PROGRAMS = {"gunicorn": "gunicorn", "gunicorn3": "gunicorn", "uvicorn": "uvicorn"}
SERVER_MODULES = {"gunicorn": "gunicorn", "gunicorn.app.wsgiapp": "gunicorn", "uvicorn": "uvicorn"}
_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?$")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
# Wrappers that run their arguments as a command (their own options and arguments are skipped).
_WRAPPERS = frozenset({
    "exec", "command", "nohup", "nice", "ionice", "time", "stdbuf", "chrt", "taskset", "numactl", "gosu",
    "su-exec", "chpst", "setuidgid", "s6-setuidgid", "runuser", "sudo", "doas", "tini", "dumb-init", "catatonit",
    "ddtrace-run", "opentelemetry-instrument", "with-contenv", "wait-for-it", "wait-for-it.sh", "wait-for",
    "dockerize", "watchmedo", "xvfb-run", "scout-apm", "elastic-apm-run", "sentry-run",
})
# Tools that run a command only through a sub-command (`uv run`, `poetry run`, `newrelic-admin run-program`).
_RUNNERS = {"uv": ("run",), "poetry": ("run",), "pipenv": ("run",), "pdm": ("run",), "hatch": ("run",),
            "rye": ("run",), "conda": ("run",), "micromamba": ("run",), "mamba": ("run",), "pipx": ("run",),
            "dotenv": ("run",), "doppler": ("run",), "infisical": ("run",), "op": ("run",),
            "newrelic-admin": ("run-program", "run-python"), "uvx": ()}
# Programs that mention gunicorn without running it; scanning stops there.
_NOT_A_LAUNCH = frozenset({
    "systemctl", "service", "supervisorctl", "sv", "pip", "pip3", "apt", "apt-get", "apk", "yum", "dnf", "brew",
    "which", "type", "echo", "printf", "kill", "pkill", "killall", "pgrep", "ps", "chown", "chmod", "journalctl",
    "tail", "cat", "ln", "cp", "mv", "rm", "mkdir", "touch", "test", "[", "[[", "grep", "sed", "awk", "docker",
    "install", "add", "remove", "sync", "lock", "export", "curl", "wget",
})


@dataclass(slots=True)
class ServerInvocation:
    kind: str  # "gunicorn" | "uvicorn"
    program: PText  # the word naming the server (`gunicorn`, `/venv/bin/gunicorn`, the module after -m)
    args: list[PText]
    prefix_env: list[tuple[str, PText]] = field(default_factory=list)  # from `env NAME=value` wrappers


@dataclass(slots=True)
class NestedScript:
    """`sh -c SCRIPT` and the like: the script text is read as shell code."""

    script: PText
    prefix_env: list[tuple[str, PText]] = field(default_factory=list)


@dataclass(slots=True)
class ScriptFile:
    """The command runs a script file (`/docker-entrypoint.sh`, `sh start.sh`); `rest` are its arguments."""

    path: PText
    rest: list[PText]
    prefix_env: list[tuple[str, PText]] = field(default_factory=list)


Recognised = ServerInvocation | NestedScript | ScriptFile | None


def basename(text: str) -> str:
    return posixpath.basename(text.rstrip("/"))


def _unresolved(word: PText) -> bool:
    return any(isinstance(tag, Unresolved) for tag in word.all_tags())


def _looks_like_script(text: str) -> bool:
    return text.endswith((".sh", ".bash")) or ("/" in text and "entrypoint" in basename(text))


def recognise(argv: list[PText]) -> Recognised:
    """What `argv` starts; None when it is not gunicorn/uvicorn (or a script that might start them)."""
    env: list[tuple[str, PText]] = []
    index = 0
    in_wrapper = False
    while index < len(argv):
        word = argv[index]
        name = basename(word.text)
        if name in SERVER_PROGRAMS:
            return ServerInvocation(SERVER_PROGRAMS[name], word, argv[index + 1:], env)
        if _PYTHON.match(name):
            return _python(argv, index, env)
        if name in _SHELLS:
            return _shell(argv, index, env)
        if name == "env":
            index = _env_wrapper(argv, index + 1, env)
            in_wrapper = True
            continue
        if name == "nodemon":
            for position in range(index + 1, len(argv) - 1):
                if argv[position].text in ("--exec", "-x"):
                    return NestedScript(argv[position + 1], env)
            in_wrapper = True
            index += 1
            continue
        if name in _RUNNERS:
            subcommands = _RUNNERS[name]
            position = index + 1
            while subcommands and position < len(argv) and argv[position].text.startswith("-"):
                position += 1
            if subcommands and (position >= len(argv) or argv[position].text not in subcommands):
                return None
            index = position + (1 if subcommands else 0)
            in_wrapper = True
            continue
        if name in _WRAPPERS or (_looks_like_script(word.text) and "wait" in name):
            in_wrapper = True
            index += 1
            continue
        if name in _NOT_A_LAUNCH:
            return None
        if _looks_like_script(word.text):
            return ScriptFile(word, argv[index + 1:], env)
        if in_wrapper or _unresolved(word):
            in_wrapper = True
            index += 1
            continue
        return None
    return None


def _python(argv: list[PText], index: int, env: list[tuple[str, PText]]) -> Recognised:
    position = index + 1
    while position < len(argv):
        text = argv[position].text
        if text == "-m" and position + 1 < len(argv):
            module = argv[position + 1]
            kind = SERVER_MODULES.get(module.text)
            return ServerInvocation(kind, module, argv[position + 2:], env) if kind else None
        if text.startswith("-m") and len(text) > 2:
            kind = SERVER_MODULES.get(text[2:])
            return ServerInvocation(kind, argv[position], argv[position + 1:], env) if kind else None
        if text in ("-c", "-"):
            return None
        if text in ("-X", "-W", "-Q"):
            position += 2
            continue
        if not text.startswith("-"):
            break
        position += 1
    if position < len(argv) and basename(argv[position].text) in SERVER_PROGRAMS:
        word = argv[position]
        return ServerInvocation(SERVER_PROGRAMS[basename(word.text)], word, argv[position + 1:], env)
    return None


def _shell(argv: list[PText], index: int, env: list[tuple[str, PText]]) -> Recognised:
    position = index + 1
    while position < len(argv):
        text = argv[position].text
        if text.startswith("-") and not text.startswith("--") and "c" in text[1:]:
            return NestedScript(argv[position + 1], env) if position + 1 < len(argv) else None
        if text.startswith(("-", "+")):
            position += 1
            continue
        return ScriptFile(argv[position], argv[position + 1:], env)
    return None


def _env_wrapper(argv: list[PText], index: int, env: list[tuple[str, PText]]) -> int:
    """Skip `env`'s options and collect its NAME=value words; returns the index of the command."""
    while index < len(argv):
        text = argv[index].text
        if text in ("-u", "--unset", "-C", "--chdir", "-S", "--split-string"):
            index += 2
        elif text.startswith("-") and text != "-":
            index += 1
        elif re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", text):
            name, _, _ = text.partition("=")
            env.append((name, argv[index][len(name) + 1:]))
            index += 1
        else:
            break
    return index
