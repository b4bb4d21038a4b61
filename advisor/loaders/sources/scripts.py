"""Procfiles, shell scripts and Markdown guides: the formats whose commands are shell code.

A Procfile line `web: gunicorn ...` runs with `sh -c` in the platform's environment (`--env`; $PORT is set by the
platform when the process starts). A shell script runs top to bottom with `--env` as its starting environment.
In Markdown, fenced code blocks are read by their language: shell blocks as scripts, `yaml` as compose,
`dockerfile` as a Dockerfile, anything else line by line (`cmd = gunicorn ...`, `ExecStart=...`, `web: ...`).
"""

from __future__ import annotations

import re

from advisor.loaders.sources.expand import Environment
from advisor.loaders.sources.launch import Collector, LaunchContext
from advisor.loaders.sources.paths import PathResolver, source_dir
from advisor.loaders.sources.servers import unset_platform_variable
from advisor.loaders.sources.text import SourceText

_PROCFILE_LINE = re.compile(r"^([A-Za-z0-9_.-]+)[ \t]*:[ \t]*(\S.*)$")
_KEY_PREFIX = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*[:=]\s*")
# ini keys that describe rather than run something (`Description=gunicorn daemon`)
_DESCRIPTIVE_KEYS = frozenset({"description", "documentation", "name", "summary", "title", "comment", "label",
                               "alias", "after", "before", "requires", "wants", "wantedby", "user", "group"})
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)")
SHELL_LANGUAGES = frozenset({"", "sh", "bash", "shell", "console", "zsh", "shell-session", "shellsession"})


def _resolver(path: str) -> PathResolver:
    directory = source_dir(path)
    return PathResolver(base_dir=directory, roots=[directory])


def load_procfile(source: SourceText, host_env: dict[str, str], collector: Collector, *,
                  separators: str = ":") -> None:
    resolver = _resolver(source.path)
    for _, start, end in source.lines():
        line = source.text[start:end].rstrip("\r")
        if line.lstrip().startswith("#"):
            continue
        match = _PROCFILE_LINE.match(line) if separators == ":" else _KEY_PREFIX.match(line)
        if not match:
            continue
        command_start = start + (match.start(2) if separators == ":" else match.end())
        process = match.group(1) if separators == ":" else None
        env = Environment.from_host(host_env)
        env.positional = []  # the platform runs the line with `sh -c`: `"$@"` is empty
        unset_platform_variable(env, "PORT", "$PORT is set by the platform (Heroku, Dokku...) when the process "
                                             "starts; pass --env PORT=... to check with a value")
        context = LaunchContext(source.path, f"Procfile {process}" if process else "command", resolver,
                                label=process)
        collector.script(source.ptext(command_start, start + len(line)), env, context)


def load_shell(source: SourceText, host_env: dict[str, str], collector: Collector) -> None:
    context = LaunchContext(source.path, "shell script", _resolver(source.path))
    collector.script(source.ptext(), Environment.from_host(host_env), context)


def load_lines(source: SourceText, host_env: dict[str, str], collector: Collector) -> None:
    """Each line as one command, after an optional `key =`/`key:` prefix (ini files, upstart stanzas...)."""
    context = LaunchContext(source.path, "command", _resolver(source.path))
    for _, start, end in source.lines():
        line = source.text[start:end].rstrip("\r")
        if not line.strip() or line.lstrip().startswith(("#", ";", "[")):
            continue
        prefix = _KEY_PREFIX.match(line)
        if prefix and prefix.group(1).lower() in _DESCRIPTIVE_KEYS:
            continue
        offset = prefix.end() if prefix else 0
        collector.script(source.ptext(start + offset, start + len(line)), Environment.from_host(host_env), context)


def markdown_blocks(source: SourceText) -> list[tuple[str, SourceText]]:
    """(language, block) for each fenced code block; a block keeps the file's line numbers."""
    blocks: list[tuple[str, SourceText]] = []
    lines = list(source.lines())
    index = 0
    while index < len(lines):
        number, start, end = lines[index]
        fence = _FENCE.match(source.text[start:end])
        if not fence:
            index += 1
            continue
        marker, language = fence.group(2), fence.group(3).lower()
        body_start = index + 1
        close = body_start
        while close < len(lines):
            _, line_start, line_end = lines[close]
            if source.text[line_start:line_end].strip().startswith(marker[0] * len(marker)):
                break
            close += 1
        if close > body_start:
            first_line, text_start, _ = lines[body_start]
            text_end = lines[close - 1][2]
            blocks.append((language, SourceText(source.path, source.text[text_start:text_end], first_line)))
        index = close + 1
    return blocks
