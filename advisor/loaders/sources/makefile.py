"""Makefile recipes as a command source (`make run` → `gunicorn -w $(WORKERS) app:app`).

Each tab-indented recipe line (joined over `\\` continuations, after its `@`/`-`/`+` prefixes) runs in its own
shell. make first expands `$(VAR)`/`${VAR}`/`$V` from the Makefile's assignments (`=`, `:=`, `::=`, `?=`, `+=`)
and the environment (`--env`; an assignment in the file wins over it, `?=` does not), and turns `$$` into `$`.
Functions (`$(shell ...)`), variables assigned inside `ifeq`/`ifdef` blocks or with `!=`, and variables set
nowhere (usually given on the make command line) are unknown, never empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from advisor.loaders.sources.expand import Environment, VarValue
from advisor.loaders.sources.launch import Collector, LaunchContext
from advisor.loaders.sources.paths import PathResolver, source_dir
from advisor.loaders.sources.text import PText, Pos, SourceText, Unresolved, VarUse, source_at

_ASSIGNMENT = re.compile(r"^((?:export|override|private)\s+)*([A-Za-z_][A-Za-z0-9_.-]*)\s*(::=|:::=|:=|\?=|\+=|!=|=)"
                         r"\s*")
_RULE = re.compile(r"^[^\s=#][^=]*?(?<!:):(?!=)")
_CONDITIONAL = re.compile(r"^\s*(ifeq|ifneq|ifdef|ifndef)\b")
_END_CONDITIONAL = re.compile(r"^\s*endif\b")
_EXPORT_NAMES = re.compile(r"^export\s+([A-Za-z_][A-Za-z0-9_ \t.-]*)$")
_MAX_DEPTH = 10


@dataclass(slots=True)
class _MakeVar:
    value: PText | None  # None: not known (reason)
    source: Pos | None
    reason: str = ""
    exported: bool = False
    immediate: bool = False  # `:=`: already expanded


class _Makefile:
    def __init__(self, host_env: dict[str, str]) -> None:
        self.host_env = host_env
        self.variables: dict[str, _MakeVar] = {}

    def assign(self, name: str, operator: str, value: PText, position: Pos | None, conditional: bool,
               exported: bool) -> None:
        previous = self.variables.get(name)
        exported = exported or bool(previous and previous.exported)
        if conditional:
            self.variables[name] = _MakeVar(None, position, f"$({name}) is assigned inside an ifeq/ifdef block, "
                                                            "which advisor does not evaluate", exported)
        elif operator == "!=":
            self.variables[name] = _MakeVar(None, position, f"$({name}) is the output of a shell command, which "
                                                            "advisor does not run", exported)
        elif operator == "?=":
            if previous is None and name not in self.host_env:
                self.variables[name] = _MakeVar(value, position, exported=exported)
        elif operator == "+=" and previous is not None:
            if previous.value is None:
                return
            addition = self.expand(value) if previous.immediate else value
            self.variables[name] = _MakeVar(previous.value + PText(" ", (position,)) + addition, position,
                                            exported=exported, immediate=previous.immediate)
        elif operator in (":=", "::=", ":::="):
            self.variables[name] = _MakeVar(self.expand(value), position, exported=exported, immediate=True)
        else:
            self.variables[name] = _MakeVar(value, position, exported=exported)

    def expand(self, text: PText, depth: int = 0) -> PText:
        """make's expansion of `text` (recursively for `=` variables)."""
        out: list[PText] = []
        raw = text.text
        index = 0
        while index < len(raw):
            if raw[index] != "$" or index + 1 >= len(raw):
                out.append(text[index:index + 1])
                index += 1
                continue
            following = raw[index + 1]
            if following == "$":
                out.append(text[index:index + 1])
                index += 2
                continue
            if following in "({":
                end = _closing(raw, index + 1)
                out.append(self.reference(text[index:end], raw[index + 2:end - 1], depth))
                index = end
                continue
            out.append(self.reference(text[index:index + 2], following, depth))
            index += 2
        return PText.join(out)

    def reference(self, written: PText, name: str, depth: int) -> PText:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", name):
            return written.with_tag(Unresolved(f"{written.text} is a make function or automatic variable, which "
                                               "advisor does not evaluate"))
        variable = self.variables.get(name)
        if variable is None and name in self.host_env:
            value = self.host_env[name]
            return PText.literal(value, written.at(), (VarUse(name, None, value),))
        if variable is None:
            return written.with_tag(Unresolved(f"$({name}) is not set in the Makefile (make would expand it to "
                                               f"nothing unless it is given on the make command line; pass "
                                               f"--env {name}=...)"))
        if variable.value is None:
            return written.with_tag(Unresolved(variable.reason))
        if depth >= _MAX_DEPTH:
            return written.with_tag(Unresolved(f"$({name}) refers to itself"))
        value = variable.value if variable.immediate else self.expand(variable.value, depth + 1)
        return value.with_tag(VarUse(name, source_at(variable.source, f"{name} ="), value.text, written.at()))

    def environment(self) -> Environment:
        """What a recipe's shell starts with: make's environment plus the exported variables."""
        env = Environment.from_host(self.host_env)
        for name, variable in self.variables.items():
            if not variable.exported:
                continue
            if variable.value is None:
                env.set(VarValue(name, None, source_at(variable.source), variable.reason, exported=True))
            else:
                value = variable.value if variable.immediate else self.expand(variable.value)
                env.set(VarValue(name, value, source_at(variable.source, f"export {name}"), exported=True))
        return env


def _closing(raw: str, open_index: int) -> int:
    opening = raw[open_index]
    closing = ")" if opening == "(" else "}"
    depth = 0
    for index in range(open_index, len(raw)):
        if raw[index] == opening:
            depth += 1
        elif raw[index] == closing:
            depth -= 1
            if depth == 0:
                return index + 1
    return len(raw)


def _logical_lines(source: SourceText) -> list[tuple[PText, bool]]:
    """(line, is a recipe line) with `\\` continuations joined; a recipe keeps the backslash-newline out."""
    lines: list[tuple[PText, bool]] = []
    pending: list[PText] = []
    recipe = False
    text = source.text
    for _, start, end in source.lines():
        line = text[start:end].rstrip("\r")
        if not pending:
            recipe = line.startswith("\t")
            if recipe:
                start += 1
                line = line[1:]
        elif recipe and line.startswith("\t"):
            start += 1
            line = line[1:]
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending.append(source.ptext(start, start + len(line) - 1))
            pending.append(PText(" ", (source.pos(start + len(line) - 1),)))
            continue
        pending.append(source.ptext(start, start + len(line)))
        lines.append((PText.join(pending), recipe))
        pending = []
    if pending:
        lines.append((PText.join(pending), recipe))
    return lines


def load_makefile(source: SourceText, host_env: dict[str, str], collector: Collector) -> None:
    makefile = _Makefile(host_env)
    directory = source_dir(source.path)
    resolver = PathResolver(base_dir=directory, roots=[directory])
    conditional = 0
    in_rule = False
    recipes: list[PText] = []
    export_all = False
    for line, recipe in _logical_lines(source):
        if recipe and in_rule:
            body = line.text
            prefix = len(body) - len(body.lstrip("@-+ \t"))
            if line.text[prefix:].strip() and not line.text[prefix:].lstrip().startswith("#"):
                recipes.append(line[prefix:])
            continue
        stripped = line.text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _CONDITIONAL.match(line.text):
            conditional += 1
            continue
        if _END_CONDITIONAL.match(line.text):
            conditional = max(0, conditional - 1)
            continue
        if stripped == ".EXPORT_ALL_VARIABLES:":
            export_all = True
            continue
        assignment = _ASSIGNMENT.match(line.text)
        if assignment:
            in_rule = False
            exported = "export" in (assignment.group(1) or "")
            makefile.assign(assignment.group(2), assignment.group(3), _cut_comment(line[assignment.end():]),
                            line[assignment.start(2):].at(), conditional > 0, exported)
            continue
        names = _EXPORT_NAMES.match(stripped)
        if names:
            for name in names.group(1).split():
                if name in makefile.variables:
                    makefile.variables[name].exported = True
            continue
        in_rule = bool(_RULE.match(line.text))
    if export_all:
        for variable in makefile.variables.values():
            variable.exported = True
    context = LaunchContext(source.path, "Makefile recipe", resolver)
    for line in recipes:  # make expands a recipe when it runs it: with every assignment of the file read
        collector.script(makefile.expand(line), makefile.environment(), context)


def _cut_comment(value: PText) -> PText:
    index = value.text.find("#")
    return (value[:index] if index != -1 else value).strip()


__all__ = ["load_makefile"]
