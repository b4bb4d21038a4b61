"""supervisord program sections: `[program:x]` and `[fcgi-program:x]` `command=`, `environment=`, `directory=`.

supervisord expands `%(ENV_X)s` (its own environment: `--env`), `%(here)s`, `%(program_name)s`,
`%(process_num)d`..., then splits the command with shlex and starts it without a shell (a `$VAR` reaches the
program as written). `environment=KEY="val",KEY2=val2` is added to supervisord's environment; `--env` is on top.
Any other `%(name)s` is a placeholder of a template the file is rendered from (a fabfile, Ansible): unknown.
`directory=` is the process's working directory; without it the process runs where supervisord was started,
which the file does not say.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from advisor.loaders.sources.expand import Environment, VarValue
from advisor.loaders.sources.launch import Collector, LaunchContext
from advisor.loaders.sources.paths import PathResolver, source_dir
from advisor.loaders.sources.text import PText, Pos, SourceText, Unresolved, VarUse, source_at
from advisor.loaders.sources.words import split_without_shell

_SECTION = re.compile(r"^\[([^\]]+)\]\s*$")
_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)\s*[=:]\s*")
_EXPANSION = re.compile(r"%%|%\(([A-Za-z_][A-Za-z0-9_]*)\)[-#0 +]*\d*(?:\.\d+)?[sdifr]")
_PROCESS_SECTIONS = ("program:", "fcgi-program:")
# Names supervisord itself defines for `%(name)s` in a program section (besides ENV_X).
_SUPERVISOR_NAMES = frozenset({"here", "program_name", "group_name", "process_num", "numprocs", "host_node_name"})
_LITERAL_REASON = ("supervisord passes {word} as written: it does not start the command with a shell (use "
                   "%(ENV_NAME)s, or bash -c)")


@dataclass(slots=True)
class IniEntry:
    section: str
    key: str
    value: PText
    position: Pos | None


def ini_entries(source: SourceText) -> list[IniEntry]:
    """Entries of an ini file in supervisord's dialect (indented continuation lines, `;`/`#` comments)."""
    entries: list[IniEntry] = []
    section = ""
    text = source.text
    for _, start, end in source.lines():
        line = text[start:end].rstrip("\r")
        stripped = line.strip()
        if not stripped or stripped.startswith((";", "#")):
            continue
        if line[:1].isspace() and entries and entries[-1].section == section:
            previous = entries[-1]
            continuation = source.ptext(start + len(line) - len(line.lstrip()), start + len(_cut_comment(line)))
            previous.value = previous.value + PText(" ", (continuation.at(),)) + continuation
            continue
        header = _SECTION.match(stripped)
        if header:
            section = header.group(1).strip()
            continue
        match = _KEY.match(line)
        if match:
            value_end = start + len(_cut_comment(line))
            entries.append(IniEntry(section, match.group(1).lower(), source.ptext(start + match.end(), value_end),
                                    source.pos(start)))
    return entries


def _cut_comment(line: str) -> str:
    match = re.search(r"\s[;#]", line)
    return (line[:match.start()] if match else line).rstrip()


def expand(value: PText, names: dict[str, str], host_env: dict[str, str]) -> PText:
    out: list[PText] = []
    last = 0
    for match in _EXPANSION.finditer(value.text):
        out.append(value[last:match.start()])
        raw = value[match.start():match.end()]
        key = match.group(1)
        if key is None:
            out.append(raw[:1])
        elif key.startswith("ENV_") and key[4:] in host_env:
            text = host_env[key[4:]]
            out.append(PText(text, (raw.at(),) * len(text), ((VarUse(key[4:], None, text),),) * len(text)))
        elif key in names:
            text = names[key]
            out.append(PText(text, (raw.at(),) * len(text)))
        elif key.startswith("ENV_"):
            out.append(raw.with_tag(Unresolved(f"{raw.text}: supervisord's environment has no {key[4:]} (pass "
                                               f"--env {key[4:]}=...)")))
        elif key in _SUPERVISOR_NAMES:
            out.append(raw.with_tag(Unresolved(f"{raw.text} is filled in by supervisord")))
        else:
            out.append(raw.with_tag(Unresolved(f"{raw.text} is a template placeholder (not a name supervisord "
                                               "defines): its value is filled in when the file is rendered")))
        last = match.end()
    out.append(value[last:])
    return PText.join(out)


def environment_pairs(value: PText) -> list[tuple[str, PText, Pos | None]]:
    """`KEY="val",KEY2='v',KEY3=v3` -> [(name, value, position)]."""
    pairs: list[tuple[str, PText, Pos | None]] = []
    text = value.text
    index = 0
    while index < len(text):
        while index < len(text) and text[index] in " ,\t":
            index += 1
        match = re.match(r"([A-Za-z_][A-Za-z0-9_]*)\s*=\s*", text[index:])
        if not match:
            break
        name = match.group(1)
        position = value.origins[index]
        index += match.end()
        if index < len(text) and text[index] in "\"'":
            quote = text[index]
            close = text.find(quote, index + 1)
            close = len(text) if close == -1 else close
            pairs.append((name, value[index + 1:close], position))
            index = close + 1
        else:
            close = text.find(",", index)
            close = len(text) if close == -1 else close
            pairs.append((name, value[index:close].strip(), position))
            index = close
    return pairs


def load_supervisor(source: SourceText, host_env: dict[str, str], collector: Collector) -> None:
    here = os.path.dirname(os.path.abspath(source.path))
    directory = source_dir(source.path)
    programs: dict[str, dict[str, IniEntry]] = {}
    for entry in ini_entries(source):
        prefix = next((prefix for prefix in _PROCESS_SECTIONS if entry.section.startswith(prefix)), None)
        if prefix is not None:
            programs.setdefault(entry.section[len(prefix):], {})[entry.key] = entry
    for name, entries in programs.items():
        if "command" not in entries:
            continue
        names = {"here": here, "program_name": name, "group_name": name, "process_num": "0", "numprocs": "1"}
        env = Environment.from_host(host_env)
        if "environment" in entries:
            for key, value, position in environment_pairs(expand(entries["environment"].value, names, host_env)):
                env.set(VarValue(key, value, source_at(position, f"environment {key}"), exported=True))
            for key, value in host_env.items():
                env.set(VarValue(key, PText(value), None, exported=True))
        command = expand(entries["command"].value, names, host_env)
        words, _ = split_without_shell(command, _LITERAL_REASON)
        working_dir = _working_dir(entries, names, host_env)
        resolver = PathResolver(base_dir=directory, roots=[directory], working_dir=working_dir, host_paths=True,
                                runs_near_source=False)
        context = LaunchContext(source.path, f"supervisor program {name} command", resolver, label=name)
        collector.argv(words, env, context)


def _working_dir(entries: dict[str, IniEntry], names: dict[str, str], host_env: dict[str, str]) -> str | None:
    """`directory=` as supervisord expands it; None when absent or not known (a template placeholder)."""
    if "directory" not in entries:
        return None
    value = expand(entries["directory"].value, names, host_env)
    if not value.text or any(isinstance(tag, Unresolved) for tag in value.all_tags()):
        return None
    return value.text
