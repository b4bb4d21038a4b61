"""The grammar of commands that run another command: `gosu USER cmd`, `chpst -u USER cmd`, `sudo -u USER cmd`,
`nice -n 5 cmd`, `tini -- cmd`, `su USER -c "cmd"`...

Knowing which of their words are option values and operands (a user, a priority, a CPU mask) matters: a user
named `gunicorn` (`gosu gunicorn gunicorn app`) is not the program. Wrappers without an entry here are skipped
word by word until a program advisor knows (see programs.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from advisor.loaders.sources.text import PText

_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@dataclass(frozen=True, slots=True)
class Wrapper:
    valued: frozenset[str] = frozenset()  # options whose value is the next word
    operands: int = 0  # words before the command (`gosu USER`, `chrt PRIORITY`, `timeout DURATION`)
    stops: frozenset[str] = frozenset()  # options that make it run no command (`command -v`, `chrt -p`)
    assignments: bool = False  # `sudo NAME=value cmd` sets the command's environment


def _w(valued: str = "", operands: int = 0, stops: str = "", assignments: bool = False) -> Wrapper:
    return Wrapper(frozenset(valued.split()), operands, frozenset(stops.split()), assignments)


WRAPPERS: dict[str, Wrapper] = {
    "exec": _w("-a"),
    "command": _w(stops="-v -V"),
    "nohup": _w(),
    "nice": _w("-n --adjustment"),
    "ionice": _w("-c --class -n --classdata", stops="-p --pid -P --pgid -u --uid"),
    "time": _w("-f --format -o --output"),
    "stdbuf": _w("-i -o -e"),
    "chrt": _w(operands=1, stops="-p --pid -m --max"),
    "taskset": _w(operands=1, stops="-p --pid"),
    "timeout": _w("-s --signal -k --kill-after", operands=1),
    "gosu": _w(operands=1),
    "su-exec": _w(operands=1),
    "setuidgid": _w(operands=1),
    "s6-setuidgid": _w(operands=1),
    "chpst": _w("-u -U -b -e -/ -n -l -L -m -d -o -p -f -c -r -t"),
    "runuser": _w("-u --user -g --group -G --supp-group -s --shell -w --whitelist-environment"),
    "sudo": _w("-u --user -g --group -C --close-from -D --chdir -h --host -p --prompt -r --role -t --type "
               "-T --command-timeout -U --other-user", stops="-l --list -v --validate -e --edit -K -V",
               assignments=True),
    "doas": _w("-u -C"),
    "tini": _w("-p -e"),
    "dumb-init": _w("-r --rewrite"),
    "catatonit": _w(),
    "with-contenv": _w(),
}
# `su USER -c CMD`, `runuser -l USER -c CMD`: the command is a shell string given with -c
SU_COMMAND_OPTIONS = ("-c", "--command")
_SU_VALUED = frozenset({"-s", "--shell", "-g", "--group", "-G", "--supp-group", "-w", "--whitelist-environment"})


def command_index(argv: list[PText], index: int, wrapper: Wrapper,
                  env: list[tuple[str, PText]]) -> int | None:
    """Index of the command that the wrapper at `index` runs (its options, operands and `NAME=value` words
    skipped, the latter added to `env`); None when it runs none."""
    position = index + 1
    operands = wrapper.operands
    options = True
    while position < len(argv):
        text = argv[position].text
        if options and text == "--":
            options = False
            position += 1
            continue
        if options and text.startswith("-") and len(text) > 1:
            if text.split("=", 1)[0] in wrapper.stops:
                return None
            position += 2 if text in wrapper.valued else 1
            continue
        if wrapper.assignments and options and _ASSIGNMENT.match(text):
            name = text.partition("=")[0]
            env.append((name, argv[position][len(name) + 1:]))
            position += 1
            continue
        if operands:
            operands -= 1
            position += 1
            continue
        return position
    return None


def su_command(argv: list[PText], index: int) -> PText | None:
    """The shell command of `su ... -c CMD` / `runuser ... -c CMD` (`--command=CMD`), or None."""
    position = index + 1
    while position < len(argv):
        text = argv[position].text
        if text in SU_COMMAND_OPTIONS:
            return argv[position + 1] if position + 1 < len(argv) else None
        if text.startswith("--command="):
            return argv[position][len("--command="):]
        if text.startswith("-c") and len(text) > 2 and not text.startswith("--"):
            return argv[position][2:]
        position += 2 if text in _SU_VALUED else 1
    return None
