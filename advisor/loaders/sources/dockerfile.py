"""Dockerfile: the final stage's ENV, WORKDIR, COPY destinations, and the command it starts (ENTRYPOINT + CMD).

Logical lines follow Docker's rules (the escape character, `# escape=` directive, comment lines inside a
continuation, here-documents). `ENV` in both syntaxes is expanded the way the builder does (`$X`, `${X:-w}` from
earlier ENV/ARG). `CMD`/`ENTRYPOINT` in exec (JSON) form reach the program without a shell, so `$X` stays text (a
finding: gunicorn gets "$WORKERS"); the shell form runs as `/bin/sh -c "..."` with the container environment.
An ENTRYPOINT clears a CMD inherited from an earlier stage; a shell-form ENTRYPOINT ignores CMD.
"""

from __future__ import annotations

import glob
import os
import posixpath
import re
from dataclasses import dataclass, field

from advisor.loaders.sources.expand import Environment, Expander, VarValue
from advisor.loaders.sources.shell_lex import Lit, Word, tokenize
from advisor.loaders.sources.paths import source_dir
from advisor.loaders.sources.text import PText, Pos, SourceText, source_at
from advisor.loaders.sources.words import mark_literal_dollars
from advisor.model.deployment import Diagnostic

_INSTRUCTION = re.compile(r"^\s*([A-Za-z]+)(\s+|$)")
_DIRECTIVE = re.compile(r"^#\s*([A-Za-z]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<-?\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?")
_EXEC_LITERAL = ("{instruction} in exec form passes {{word}} as written: no shell expands it (use the shell form "
                 "or [\"sh\", \"-c\", \"...\"])")


@dataclass(slots=True)
class Stage:
    name: str | None
    image: str
    env: dict[str, VarValue] = field(default_factory=dict)
    args: dict[str, VarValue] = field(default_factory=dict)
    cmd: list[PText] | None = None
    cmd_at: Pos | None = None
    entrypoint: list[PText] | None = None
    entrypoint_at: Pos | None = None
    entrypoint_shell: bool = False
    workdir: str | None = None
    copies: list[tuple[str, str]] = field(default_factory=list)  # (path in the image, local path)
    exposes: list[PText] = field(default_factory=list)
    cmd_set_here: bool = False  # CMD given in this stage (an ENTRYPOINT then keeps it)

    def inherit(self, name: str | None, image: str) -> "Stage":
        return Stage(name, image, dict(self.env), {}, self.cmd, self.cmd_at, self.entrypoint, self.entrypoint_at,
                     self.entrypoint_shell, self.workdir, list(self.copies), list(self.exposes))

    def environment(self) -> Environment:
        return Environment({name: value for name, value in self.env.items()})

    def argv(self) -> tuple[list[PText], str]:
        """The container's command and which instruction(s) gave it."""
        if self.entrypoint is not None:
            if self.entrypoint_shell or not self.cmd:
                return list(self.entrypoint), "Dockerfile ENTRYPOINT"
            return list(self.entrypoint) + list(self.cmd), "Dockerfile ENTRYPOINT + CMD"
        return list(self.cmd or []), "Dockerfile CMD"


@dataclass(slots=True)
class Dockerfile:
    path: str
    stages: list[Stage] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def final(self) -> Stage | None:
        return self.stages[-1] if self.stages else None


def logical_lines(source: SourceText) -> list[PText]:
    """Instructions with continuation lines joined (positions kept), comments and here-documents dropped."""
    escape = "\\"
    text = source.text
    result: list[PText] = []
    pending: list[PText] = []
    heredoc: str | None = None
    directives_allowed = True
    for _, start, end in source.lines():
        line = text[start:end].rstrip("\r")
        stripped = line.strip()
        if heredoc is not None:
            if stripped == heredoc:
                heredoc = None
            continue
        if directives_allowed:
            directive = _DIRECTIVE.match(stripped)
            if directive and directive.group(1).lower() == "escape" and directive.group(2) in ("`", "\\"):
                escape = directive.group(2)
                continue
            if directive is None:
                directives_allowed = False
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if not stripped:
            continue  # an empty line inside a continuation
        body = line.rstrip()
        if body.endswith(escape):
            pending.append(source.ptext(start, start + len(body) - 1))
            continue
        pending.append(source.ptext(start, start + len(line)))
        logical = PText.join(pending)
        pending = []
        result.append(logical)
        instruction = _INSTRUCTION.match(logical.text)
        if instruction and instruction.group(1).upper() in ("RUN", "COPY", "ADD"):
            found = _HEREDOC.search(logical.text)
            heredoc = found.group(1) if found else None
    if pending:
        result.append(PText.join(pending))
    return result


def parse_json_array(text: PText) -> list[PText] | None:
    """A JSON array of strings with positions, or None when it is not one (Docker then uses the shell form)."""
    raw = text.text
    index = 0
    while index < len(raw) and raw[index].isspace():
        index += 1
    if index >= len(raw) or raw[index] != "[":
        return None
    index += 1
    items: list[PText] = []
    escapes = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
    expect_item = True
    while True:
        while index < len(raw) and raw[index].isspace():
            index += 1
        if index >= len(raw):
            return None
        if raw[index] == "]" and (expect_item is False or not items):
            index += 1
            break
        if raw[index] == "," and not expect_item:
            expect_item = True
            index += 1
            continue
        if raw[index] != '"' or not expect_item:
            return None
        index += 1
        chunks: list[PText] = []
        while index < len(raw) and raw[index] != '"':
            if raw[index] == "\\" and index + 1 < len(raw):
                code = raw[index + 1]
                if code == "u" and re.match(r"[0-9a-fA-F]{4}", raw[index + 2:index + 6]):
                    chunks.append(PText(chr(int(raw[index + 2:index + 6], 16)), (text.origins[index],)))
                    index += 6
                    continue
                if code not in escapes:
                    return None
                chunks.append(PText(escapes[code], (text.origins[index],)))
                index += 2
                continue
            chunks.append(text[index:index + 1])
            index += 1
        if index >= len(raw):
            return None
        index += 1
        items.append(PText.join(chunks))
        expect_item = False
    return items if raw[index:].strip() == "" else None


class _Builder:
    def __init__(self, source: SourceText, context_dir: str) -> None:
        self.source = source
        self.context_dir = context_dir
        self.result = Dockerfile(source.path)
        self.stage: Stage | None = None
        self.global_args: dict[str, VarValue] = {}

    def run(self) -> Dockerfile:
        for line in logical_lines(self.source):
            match = _INSTRUCTION.match(line.text)
            if not match:
                continue
            instruction = match.group(1).upper()
            args = line[match.end():]
            handler = getattr(self, f"on_{instruction.lower()}", None)
            if handler is not None:
                handler(args, line)
        return self.result

    def expander(self) -> Expander:
        values: dict[str, VarValue] = dict(self.global_args)
        if self.stage is not None:
            values.update(self.stage.args)
            values.update(self.stage.env)
        return Expander(Environment(values, " when the image is built"))

    def on_from(self, args: PText, line: PText) -> None:
        words = [word for word in args.text.split() if not word.startswith("--")]
        image = words[0] if words else ""
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        parent = next((stage for stage in reversed(self.result.stages) if stage.name == image.lower()), None)
        self.stage = parent.inherit(name, image) if parent is not None else Stage(name, image)
        self.result.stages.append(self.stage)

    def on_arg(self, args: PText, line: PText) -> None:
        for word in tokenize(args).tokens:
            if not isinstance(word, Word):
                continue
            name, value = self.assignment(word)
            if name is None:
                literal = word.literal() or ""
                name, value = literal, None
            target = self.stage.args if self.stage is not None else self.global_args
            if value is None:
                target[name] = VarValue(name, None, source_at(word.raw.at()),
                                        f"build argument ${name} has no default (docker build --build-arg)")
            else:
                target[name] = VarValue(name, value, source_at(word.raw.at(), f"ARG {name}"))

    def assignment(self, word: Word) -> tuple[str | None, PText | None]:
        first = word.parts[0] if word.parts else None
        if not isinstance(first, Lit) or "=" not in first.text.text:
            return None, None
        name, _, _ = first.text.text.partition("=")
        rest = first.text[len(name) + 1:]
        parts = ([Lit(rest, first.quoted)] if len(rest) else []) + list(word.parts[1:])
        return name, self.expander().value(parts)

    def on_env(self, args: PText, line: PText) -> None:
        if self.stage is None:
            return
        tokens = [token for token in tokenize(args).tokens if isinstance(token, Word)]
        if not tokens:
            return
        first_name, _ = self.assignment(tokens[0])
        if first_name is not None:
            for word in tokens:
                name, value = self.assignment(word)
                if name is not None and value is not None:
                    self.stage.env[name] = VarValue(name, value, source_at(word.raw.at(), f"ENV {name}"),
                                                    exported=True)
            return
        name = tokens[0].literal() or tokens[0].raw.text
        expander = self.expander()
        values = [expander.value(word.parts) for word in tokens[1:]]
        joined: list[PText] = []
        for index, value in enumerate(values):
            if index:
                joined.append(PText(" ", (value.at(),)))
            joined.append(value)
        self.stage.env[name] = VarValue(name, PText.join(joined), source_at(tokens[0].raw.at(), f"ENV {name}"),
                                        exported=True)

    def on_workdir(self, args: PText, line: PText) -> None:
        if self.stage is None:
            return
        words = [token for token in tokenize(args).tokens if isinstance(token, Word)]
        if words:
            path = self.expander().value(words[0].parts).text
            self.stage.workdir = posixpath.join(self.stage.workdir or "/", path)

    def on_copy(self, args: PText, line: PText) -> None:
        if self.stage is None:
            return
        items = parse_json_array(args)
        if items is None:
            words = [token for token in tokenize(args).tokens if isinstance(token, Word)]
            texts = [self.expander().value(word.parts).text for word in words]
        else:
            texts = [item.text for item in items]
        if any(text.startswith("--from") for text in texts):
            return
        texts = [text for text in texts if not text.startswith("--")]
        if len(texts) < 2:
            return
        *sources, destination = texts
        if not posixpath.isabs(destination):
            destination = posixpath.join(self.stage.workdir or "/", destination)
        expanded = _expand_sources(self.context_dir, sources)
        for item in expanded:
            local = _in_context(self.context_dir, item)
            if local is None:
                continue
            if os.path.isdir(local):
                self.stage.copies.append((destination, local))
            elif destination.endswith("/") or len(expanded) > 1 or len(expanded) != len(sources):
                self.stage.copies.append((posixpath.join(destination, os.path.basename(local)), local))
            else:
                self.stage.copies.append((destination, local))

    on_add = on_copy

    def on_expose(self, args: PText, line: PText) -> None:
        if self.stage is not None:
            self.stage.exposes.extend(token.raw for token in tokenize(args).tokens if isinstance(token, Word))

    def command(self, instruction: str, args: PText, line: PText) -> tuple[list[PText], bool]:
        items = parse_json_array(args)
        if items is not None:
            reason = _EXEC_LITERAL.format(instruction=instruction)
            words = [mark_literal_dollars(item, reason) for item in items]
            for word in words:
                if "$" in word.text:
                    position = word.at(line.at())
                    self.result.diagnostics.append(Diagnostic(
                        "ADV006", "warning", reason.format(word=repr(word.text)), position.path if position else None,
                        position.line if position else None, position.column if position else None,
                        fix=f'use the shell form ({instruction} gunicorn ...) or ["sh", "-c", "exec gunicorn ..."] so '
                            'that a shell expands it'))
            return words, False
        position = line.at()
        if args.text.lstrip().startswith("["):
            self.result.diagnostics.append(Diagnostic(
                "ADV006", "error", f"{instruction} {args.text.strip()} is not valid JSON (exec form needs double "
                "quotes), so Docker runs it with /bin/sh -c as a shell command, which fails",
                position.path if position else None, position.line if position else None,
                fix=f'write the exec form as JSON with double quotes: {instruction} ["gunicorn", "app:app"]'))
        shell = PText("/bin/sh", (position,) * 7)
        return [shell, PText("-c", (position,) * 2), args.strip()], True

    def on_cmd(self, args: PText, line: PText) -> None:
        if self.stage is not None:
            self.stage.cmd, _ = self.command("CMD", args, line)
            self.stage.cmd_at = line.at()
            self.stage.cmd_set_here = True

    def on_entrypoint(self, args: PText, line: PText) -> None:
        if self.stage is not None:
            self.stage.entrypoint, self.stage.entrypoint_shell = self.command("ENTRYPOINT", args, line)
            self.stage.entrypoint_at = line.at()
            if not self.stage.cmd_set_here:
                self.stage.cmd = None  # Docker: setting ENTRYPOINT resets a CMD inherited from the base


def _context_relative(item: str) -> str:
    """A COPY/ADD source as Docker reads it: relative to the build context, which it cannot leave (an absolute
    source is taken from the context's root; `..` stops at it)."""
    return posixpath.normpath("/" + item.replace(os.sep, "/")).lstrip("/")


def _in_context(context_dir: str, item: str) -> str | None:
    """The local path of a COPY source, or None when it (through a symbolic link) lies outside the context."""
    if "\0" in item:  # no file has such a name
        return None
    local = os.path.normpath(os.path.join(context_dir, _context_relative(item)))
    root = os.path.realpath(context_dir)
    real = os.path.realpath(local)
    return local if real == root or real.startswith(root.rstrip(os.sep) + os.sep) else None


def _expand_sources(context_dir: str, sources: list[str]) -> list[str]:
    """COPY sources with Docker's wildcards (`COPY scripts/* /`) matched in the build context."""
    expanded: list[str] = []
    for item in sources:
        item = _context_relative(item)
        if any(char in item for char in "*?["):
            matches = sorted(glob.glob(os.path.join(glob.escape(context_dir), item)))
            expanded.extend(os.path.relpath(match, context_dir) for match in matches)
            if matches:
                continue
        expanded.append(item)
    return expanded


def parse_dockerfile(source: SourceText, context_dir: str | None = None) -> Dockerfile:
    """Parse a Dockerfile; `context_dir` is the build context (COPY sources), by default the file's directory."""
    return _Builder(source, context_dir or source_dir(source.path)).run()


def uses_nginx_image(dockerfile: Dockerfile) -> bool:
    final = dockerfile.final
    return final is not None and bool(re.search(r"(^|/)(nginx|openresty)([:@/-]|$)", final.image.lower()))


__all__ = ["Dockerfile", "Stage", "logical_lines", "parse_dockerfile", "parse_json_array", "uses_nginx_image"]
