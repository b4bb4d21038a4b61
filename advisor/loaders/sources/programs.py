"""Which argv starts gunicorn, uvicorn or uWSGI, through the wrappers people put in front of them.

`exec gunicorn ...`, `/venv/bin/gunicorn`, `python -m gunicorn`, `python -m gunicorn.app.wsgiapp`, `python
/venv/bin/gunicorn`, `ddtrace-run ...`, `uv run ...`, `poetry run ...`, `env X=1 ...`, `gosu user ...`,
`su-exec user ...`, `tini -- ...`, `wait-for-it.sh db:5432 -- ...`, an unresolved `$SU_EXEC` in front; `sh -c
"..."`, `bash -c`, `su USER -c "..."`, `eval "..."` and `nodemon --exec "..."` hand a script to a shell. An
unknown program handed a server command line (`bin/start-nginx gunicorn -c g.py app`) starts that server.
Anything else is not an app server.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field

from advisor.loaders.sources.text import PText, Unresolved
from advisor.loaders.sources.wrappers import WRAPPERS, command_index, su_command

SERVER_PROGRAMS = {"gunicorn": "gunicorn", "gunicorn3": "gunicorn", "uvicorn": "uvicorn", "uwsgi": "uwsgi",
                   "pyuwsgi": "uwsgi"}
SERVER_MODULES = {"gunicorn": "gunicorn", "gunicorn.app.wsgiapp": "gunicorn", "uvicorn": "uvicorn"}
_PYTHON = re.compile(r"^(python|pypy)(\d+(\.\d+)*)?$")
_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "busybox"})
# Wrappers whose own options and arguments advisor does not know: words are skipped up to a known program
# (wrappers.py knows the grammar of gosu, sudo, chpst, tini, ...).
_LAX_WRAPPERS = frozenset({
    "numactl", "ddtrace-run", "opentelemetry-instrument", "wait-for-it", "wait-for-it.sh", "wait-for", "dockerize",
    "watchmedo", "xvfb-run", "scout-apm", "elastic-apm-run", "sentry-run", "strace", "ltrace", "valgrind",
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
    # more that only name a program, a service or a path (a word after them is not a command they run)
    "hash", "whereis", "locate", "man", "help", "alias", "readlink", "realpath", "dirname", "basename", "ls", "find",
    "stat", "file", "du", "head", "less", "more", "tee", "sort", "cut", "tr", "pidof", "lsof", "fuser", "netstat",
    "ss", "logger", "logrotate", "rc-service", "rc-update", "update-rc.d", "chkconfig", "initctl", "start", "stop",
    "restart", "status", "reload", "monit", "s6-svc", "s6-svstat", "docker-compose", "podman", "podman-compose",
    "kubectl", "helm", "git", "npm", "yarn", "gem", "easy_install", "pip-compile", "make", "just", "tox", "nox",
    "fab", "invoke", "ansible", "ansible-playbook", "ssh", "scp", "rsync", "tar", "usermod", "useradd", "adduser",
    "groupadd", "addgroup", "userdel", "id", "getent", "chgrp", "setfacl", "envsubst", "sleep", "read", "return",
    "exit", "trap", "true", "false", ":", "unset", "local", "declare", "source", ".", "crontab", "egrep", "fgrep",
    "zgrep", "diff", "wc", "tac", "xargs",
})
# Verbs that manage a service rather than run a program: `<tool> restart gunicorn`, `<tool> gunicorn status`
_MANAGEMENT_VERBS = frozenset({
    "start", "stop", "restart", "reload", "status", "enable", "disable", "kill", "logs", "log", "tail", "show",
    "info", "inspect", "describe", "install", "uninstall", "add", "remove", "rm", "upgrade", "update", "ps", "top",
    "attach", "pause", "unpause", "signal", "reread", "pid", "mask", "unmask", "is-active", "try-restart",
    "force-reload", "condrestart", "graceful", "version", "list", "search", "download", "freeze", "check",
})
_APP_SPEC = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(:[A-Za-z_][A-Za-z0-9_.]*(\(.*\))?)?$")


@dataclass(slots=True)
class ServerInvocation:
    kind: str  # "gunicorn" | "uvicorn" | "uwsgi"
    program: PText  # the word naming the server (`gunicorn`, `/venv/bin/gunicorn`, the module after -m)
    args: list[PText]
    prefix_env: list[tuple[str, PText]] = field(default_factory=list)  # from `env NAME=value` wrappers


@dataclass(slots=True)
class NestedScript:
    """`sh -c SCRIPT` and the like: the script text is read as shell code."""

    script: PText
    prefix_env: list[tuple[str, PText]] = field(default_factory=list)
    arguments: list[PText] | None = None  # its `"$@"` (`sh -c SCRIPT NAME ARGS...`); None when not known


@dataclass(slots=True)
class ScriptFile:
    """The command runs a script file (`/docker-entrypoint.sh`, `sh start.sh`); `rest` are its arguments."""

    path: PText
    rest: list[PText]
    prefix_env: list[tuple[str, PText]] = field(default_factory=list)
    # A program named by its path but not known to be a script (`/start`, `./bin/run-web`): read only when it is
    # here and a shell script; its arguments are not a command it runs.
    program_file: bool = False


Recognised = ServerInvocation | NestedScript | ScriptFile | None


def basename(text: str) -> str:
    return posixpath.basename(text.rstrip("/"))


def _unresolved(word: PText) -> bool:
    return any(isinstance(tag, Unresolved) for tag in word.all_tags())


def _looks_like_script(text: str) -> bool:
    return text.endswith((".sh", ".bash")) or ("/" in text and "entrypoint" in basename(text))


def _program_file(text: str) -> bool:
    """A program named by a path (`/start`, `./run`, `deploy/serve`), not looked up in PATH."""
    return "/" in text.rstrip("/")


def _installed(text: str) -> bool:
    """A path into a `bin` directory (`/usr/bin/tail`, `/venv/bin/pip`): the tool of that name, not a script."""
    return basename(posixpath.dirname(text.rstrip("/"))) in ("bin", "sbin")


def recognise(argv: list[PText]) -> Recognised:
    """What `argv` starts; None when it is not gunicorn/uvicorn (or a script that might start them)."""
    env: list[tuple[str, PText]] = []
    index = 0
    in_wrapper = False  # after a wrapper whose grammar is not known: unknown words are its arguments
    while index < len(argv):
        word = argv[index]
        name = basename(word.text)
        if name in SERVER_PROGRAMS:
            if in_wrapper and index + 1 < len(argv) and basename(argv[index + 1].text) in SERVER_PROGRAMS:
                index += 1  # `--user gunicorn gunicorn app`: the first is an argument of the wrapper
                continue
            return ServerInvocation(SERVER_PROGRAMS[name], word, argv[index + 1:], env)
        if _PYTHON.match(name):
            return _python(argv, index, env)
        if name in _SHELLS:
            return _shell(argv, index, env)
        if name == "env":
            index = _env_wrapper(argv, index + 1, env)
            in_wrapper = False
            continue
        if name in WRAPPERS:
            command = command_index(argv, index, WRAPPERS[name], env)
            if command is None:
                return None
            if name == "runuser" and not any(arg.text in ("-u", "--user") or arg.text.startswith("--user=")
                                             for arg in argv[index + 1:command]):
                return _su(argv, index, env)  # `runuser -l USER -c CMD`, as su
            index, in_wrapper = command, False
            continue
        if name == "su":
            return _su(argv, index, env)
        if name == "eval":
            return _eval(argv[index + 1:], env)
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
        if name in _LAX_WRAPPERS or (_looks_like_script(word.text) and "wait" in name):
            in_wrapper = True
            index += 1
            continue
        if name in _NOT_A_LAUNCH and not (_program_file(word.text) and not _installed(word.text)):
            return None  # `tail`, `/usr/bin/start`; a script named `/start` is a program file
        if _looks_like_script(word.text):
            return ScriptFile(word, argv[index + 1:], env)
        if in_wrapper or _unresolved(word):
            in_wrapper = True
            index += 1
            continue
        handed = _server_in_arguments(argv, index, env)
        if handed is None and _program_file(word.text):
            return ScriptFile(word, argv[index + 1:], env, program_file=True)  # `/start`: a script, if it is here
        return handed
    return None


def _server_in_arguments(argv: list[PText], index: int, env: list[tuple[str, PText]]) -> Recognised:
    """An unknown program that is handed a server command line (`bin/start-nginx gunicorn -c g.py app`, a
    platform's wrapper): the server word stands alone, right after the program or a `--`, and what follows it
    reads as a server command line (options, an app `module.sub`/`module:app`, or nothing), not as a service
    name being managed."""
    for position in range(index + 1, len(argv)):
        kind = _server_word(argv[position])
        if kind is None:
            continue
        before = argv[position - 1].text
        if position - 1 != index and before != "--":
            return None
        following = argv[position + 1] if position + 1 < len(argv) else None
        if following is not None and not _starts_command_line(following):
            return None
        return ServerInvocation(kind, argv[position], argv[position + 1:], env)
    return None


def _server_word(word: PText) -> str | None:
    """The server a word names as a program: `gunicorn`, `/venv/bin/gunicorn` (not `/var/log/gunicorn`)."""
    text = word.text
    name = basename(text)
    if name not in SERVER_PROGRAMS or _unresolved(word[len(text) - len(name):]):
        return None
    directory = posixpath.dirname(text)
    if directory and basename(directory) not in ("bin", "sbin"):
        return None
    return SERVER_PROGRAMS[name]


def _starts_command_line(word: PText) -> bool:
    text = word.text
    if text in _MANAGEMENT_VERBS:
        return False
    if text.startswith("-") or _unresolved(word):
        return True
    return bool(_APP_SPEC.match(text)) and (":" in text or "." in text)  # `shop.wsgi`, `main:app`, not `nginx`


def _su(argv: list[PText], index: int, env: list[tuple[str, PText]]) -> Recognised:
    command = su_command(argv, index)
    return NestedScript(command, env, []) if command is not None else None


def _eval(words: list[PText], env: list[tuple[str, PText]]) -> Recognised:
    """`eval "exec gunicorn $ARGS"`: the words joined by blanks are read as shell code again."""
    if not words:
        return None
    pieces: list[PText] = []
    for number, word in enumerate(words):
        if number:
            pieces.append(PText(" "))
        pieces.append(word)
    return NestedScript(PText.join(pieces), env)


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
            return NestedScript(argv[position + 1], env, argv[position + 3:]) if position + 1 < len(argv) else None
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
