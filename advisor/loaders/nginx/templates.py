"""Unresolved template placeholders in nginx files: envsubst (`${VAR}`, `$VAR`), Jinja/Ansible and Go templates
(`{{ }}`, `{% %}`), ERB (`<%= %>`, `<% %>`) and Python %-format (`%(name)s`).

nginx variables are lower-case by convention (`$host`, `$remote_addr`, `${host}`); envsubst/docker templates use
upper-case names. A value holding a placeholder is *unknown*, never a value and never a parse error.

crossplane's lexer treats `{`/`}` as block delimiters, `#` as a comment and blanks as argument separators, so
template markup is rewritten before parsing (line numbers unchanged): every expression (`{{ expr }}`, `<%= expr %>`)
becomes one opaque token, put back as the original text after parsing, so a placeholder with blanks inside is one
argument; statements (`{% if %}`, `<% end %>`, comments) are blanked out, so both branches of a conditional are read;
a placeholder on a line of its own (`    ${EXTRA_LOCATIONS}`) inserts text that is not here: the line is blanked and
recorded as an insertion (or replaced by its value when the environment gives one).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from advisor.lazy_regex import lazy_re
from advisor.loaders.nginx.delimited import NextFind, delimited_spans, substitute

_ENVSUBST_BRACED = lazy_re(r"\$\{([^{}\s]*)\}")  # no `{` inside: linear on `${${${...`
_ENVSUBST_BARE = lazy_re(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_MUSTACHE_EXPR = lazy_re(r"\{\{.*?\}\}", re.DOTALL)
# Jinja statements and comments; Go template actions that are control flow or comments, not values.
_MUSTACHE_STMT = lazy_re(r"\{%.*?%\}|\{#[^\n]*?#\}|\{\{-?\s*(?:/\*.*?\*/|(?:if|else|end|range|with|define|block|"
                         r"template|break|continue)\b[^}]*?)\s*-?\}\}", re.DOTALL)
_ERB_EXPR = lazy_re(r"<%=.*?%>", re.DOTALL)
_ERB_STMT = lazy_re(r"<%(?![=%]).*?%>", re.DOTALL)
_PYTHON_FORMAT = lazy_re(r"%\([A-Za-z_][A-Za-z0-9_.]*\)[sdifr]")
# The expressions above, found by the linear scanners of advisor/loaders/nginx/delimited.py (as backtracking
# regular expressions they cost quadratic time on many openers without closers).
_ERB_STMT_OPEN = lazy_re(r"<%(?![=%])")
_STMT_OPEN = lazy_re(r"\{[%#{]")
_GO_PREFIX = lazy_re(r"-?\s*")
_GO_KEYWORD = lazy_re(r"(?:if|else|end|range|with|define|block|template|break|continue)\b")
_GO_COMMENT_END = lazy_re(r"\*/\s*-?\}\}")
_PLACEHOLDER_OPEN = lazy_re(r"\{\{|<%=|%\(")
# A line holding nothing but one placeholder (and maybe a `;`): the template inserts directives there.
_OWN_LINE = lazy_re(r"^([ \t]*)(\$\{[A-Z_][A-Z0-9_]*\}|\$[A-Z_][A-Z0-9_]*|\{\{[^\n]*?\}\}|<%=[^\n]*?%>)"
                    r"[ \t]*;?[ \t]*$", re.MULTILINE)
# Where such a `$` line can start: found by the literal line break (a scan), not tried at every position like
# _OWN_LINE's `^` (25x slower on a large config without any).
_DOLLAR_FIRST = lazy_re(r"[ \t]*\$")
_DOLLAR_AFTER_BREAK = lazy_re(r"\n[ \t]*\$")
TOKEN_PREFIX = "__advisor_template_"
_TOKEN = lazy_re(TOKEN_PREFIX + r"(\d+)__")


def needs_rewrite(text: str) -> bool:
    """Whether the text holds template markup crossplane cannot read as it is: Jinja/Go/ERB markup, or a
    placeholder on a line of its own (inline envsubst placeholders parse as ordinary arguments)."""
    if "{{" in text or "{%" in text or "<%" in text:
        return True
    if "$" not in text or (_DOLLAR_FIRST.match(text) is None and _DOLLAR_AFTER_BREAK.search(text) is None):
        return False
    return _OWN_LINE.search(text) is not None  # `{{ }}` and `<%= %>` lines are found above


def _is_envsubst_name(name: str) -> bool:
    """Upper-case names (`BACKEND`, `PROXY_READ_TIMEOUT`) are envsubst; `host`, `http_x`, `1` are nginx's."""
    return any(char.isupper() for char in name) and not any(char.islower() for char in name)


@dataclass(frozen=True, slots=True)
class Insertion:
    """A placeholder on a line of its own: the template inserts text there that is not in the file."""

    line: int
    placeholder: str


def _at_statement_start(text: str, position: int) -> bool:
    """Whether the line starting at `position` begins a new statement (the previous significant line ended one)."""
    end = position - 1  # the line break that ends the previous line
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        line, end = text[start:end], start - 1
        code = line.split("#", 1)[0].strip() if not line.lstrip().startswith(("{#", "<%#")) else ""
        if not code:
            continue
        return code.endswith((";", "{", "}", "%}", "%>")) or bool(_OWN_LINE.fullmatch(line))
    return True


class _LineStarts:
    """Line numbers of positions in one text, by binary search (counting from the start each time is quadratic)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def line(self, position: int) -> int:
        if self._starts is None:
            starts, found = [0], self._text.find("\n")
            while found >= 0:
                starts.append(found + 1)
                found = self._text.find("\n", found + 1)
            self._starts = starts
        return bisect_right(self._starts, position)


def _statement_spans(text: str) -> Iterator[tuple[int, int]]:
    """The matches of _MUSTACHE_STMT, as `finditer` gives them, in linear time: `{% %}` (across lines), `{# #}` (on
    one line), Go `{{/* */}}` comments and `{{if ...}}`-style actions (no `}` before the closing `}}`)."""
    openers = NextFind(text, _STMT_OPEN)
    closers = {"%": NextFind(text, "%}"), "#": NextFind(text, "#}"), "}": NextFind(text, "}")}
    newlines = NextFind(text, "\n")
    comment_ends = NextFind(text, _GO_COMMENT_END)
    pos = 0
    while True:
        start, after = openers.find(pos)
        if start < 0:
            return
        kind = text[start + 1]
        end = -1
        if kind == "%":
            end = closers["%"].find(after)[1]
        elif kind == "#":
            close, close_end = closers["#"].find(after)
            newline = newlines.find(after)[0]
            if close >= 0 and not 0 <= newline < close:
                end = close_end
        else:
            inner = _GO_PREFIX.match(text, after).end()
            if text.startswith("/*", inner):
                end = comment_ends.find(inner + 2)[1]
            else:
                keyword = _GO_KEYWORD.match(text, inner)
                if keyword is not None:
                    brace = closers["}"].find(keyword.end())[0]
                    if brace >= 0 and text.startswith("}}", brace):
                        end = brace + 2
        if end < 0:
            pos = start + 1
            continue
        yield start, end
        pos = end


class TemplateText:
    """Rewrites template markup into placeholder tokens and remembers what each token stood for."""

    def __init__(self) -> None:
        self.originals: list[str] = []
        self.insertions: list[Insertion] = []
        self.filled: list[str] = []  # envsubst names of own-line placeholders filled from the environment

    def rewrite(self, source: str, env: Mapping[str, str] | None = None) -> str:
        def own_line(match: re.Match[str]) -> str:
            if not _at_statement_start(source, match.start()):
                return match.group(0)  # an argument continued from the line above
            placeholder = match.group(2)
            if _MUSTACHE_STMT.fullmatch(placeholder):
                return match.group(0)  # control flow, blanked below
            name = placeholder.strip("${}")
            if placeholder.startswith("$") and env and name in env:
                self.filled.append(name)
                return match.group(1) + " ".join(env[name].split())  # nginx syntax ignores line breaks
            line = line_starts.line(match.start())
            self.insertions.append(Insertion(line, " ".join(placeholder.split())))
            return ""

        def expression(original: str) -> str:
            self.originals.append(" ".join(original.split()))
            return f"{TOKEN_PREFIX}{len(self.originals) - 1}__" + "\n" * original.count("\n")

        def statement(original: str) -> str:
            return "\n" * original.count("\n")

        line_starts = _LineStarts(source)
        text = _OWN_LINE.sub(own_line, source)
        text = substitute(text, _statement_spans(text), statement)
        text = substitute(text, delimited_spans(text, _ERB_STMT_OPEN, "%>"), statement)
        text = substitute(text, delimited_spans(text, "{{", "}}"), expression)
        return substitute(text, delimited_spans(text, "<%=", "%>"), expression)

    def restore(self, text: str) -> str:
        """Put the original placeholder text back in place of its tokens."""
        if TOKEN_PREFIX not in text:
            return text
        return _TOKEN.sub(lambda match: self.original(int(match.group(1))), text)

    def restore_statements(self, stmts: list[dict[str, Any]]) -> None:
        for stmt in stmts:
            stmt["args"] = [self.restore(arg) for arg in stmt["args"]]
            stmt["directive"] = self.restore(stmt["directive"])
            if "block" in stmt:
                self.restore_statements(stmt["block"])

    def original(self, token_number: int) -> str:
        return self.originals[token_number] if 0 <= token_number < len(self.originals) else "{{ ? }}"


def _describe_template(placeholder: str) -> str:
    if placeholder.startswith("<%"):
        return f"ERB placeholder {placeholder}"
    if placeholder.startswith("%("):
        return f"Python format placeholder {placeholder}"
    inner = placeholder[2:-2].strip()
    if inner.startswith((".", "$")):
        return f"Go template placeholder {placeholder}"
    return f"Jinja placeholder {placeholder}"


def may_hold_placeholder(value: str) -> bool:
    """Cheap test before placeholder_reason: whether the value could hold any placeholder."""
    return "$" in value or "{{" in value or "<%" in value or "%(" in value


def template_placeholders(value: str) -> list[str]:
    """The non-envsubst template placeholders in a value (`{{ x }}`, `<%= x %>`, `%(x)s`), as written."""
    found: list[str] = []
    openers = NextFind(value, _PLACEHOLDER_OPEN)
    closers = {"{": NextFind(value, "}}"), "<": NextFind(value, "%>")}
    newlines = NextFind(value, "\n")
    pos = 0
    while True:
        start, after = openers.find(pos)
        if start < 0:
            return found
        end = -1
        if value[start] == "%":
            match = _PYTHON_FORMAT.match(value, start)
            end = match.end() if match else -1
        else:
            close, close_end = closers[value[start]].find(after)
            newline = newlines.find(after)[0]
            if close >= 0 and not 0 <= newline < close:
                end = close_end
        if end < 0:
            pos = start + 1
            continue
        found.append(value[start:end])
        pos = end


def placeholder_reason(value: str, defined_variables: Collection[str] = ()) -> str | None:
    """Why `value` is not a literal value (a template placeholder), or None if it holds none.

    `defined_variables` are upper-case names the configuration itself defines (`set $BACKEND ...`, `map ... $X`);
    those are nginx variables, not placeholders.
    """
    if "{{" in value or "<%" in value or "%(" in value:
        found = template_placeholders(value)
        if found:
            return _describe_template(found[0])
    if "$" not in value:
        return None
    for match in _ENVSUBST_BRACED.finditer(value):
        name = match.group(1).split(":", 1)[0]
        if _is_envsubst_name(name) and name not in defined_variables:
            return f"envsubst placeholder {match.group(0)}"
    for match in _ENVSUBST_BARE.finditer(value):
        name = match.group(1)
        if _is_envsubst_name(name) and name not in defined_variables:
            return f"envsubst placeholder ${name}"
    return None


def nginx_variables(value: str, defined_variables: Collection[str] = ()) -> list[str]:
    """The nginx (run-time) variables a value uses, e.g. ["$backend"]; envsubst placeholders excluded."""
    found = []
    for pattern in (_ENVSUBST_BRACED, _ENVSUBST_BARE):
        for match in pattern.finditer(value):
            name = match.group(1)
            if not _is_envsubst_name(name) or name in defined_variables:
                found.append(match.group(0))
    return found


def fill_envsubst(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Replace envsubst placeholders (`${NAME}`, `$NAME`, upper-case names) whose value the environment gives, as
    envsubst would when the container starts; others stay. Returns the text and the names filled in."""
    filled: list[str] = []

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if _is_envsubst_name(name) and name in env:
            filled.append(name)
            return env[name]
        return match.group(0)

    return _ENVSUBST_BARE.sub(substitute, _ENVSUBST_BRACED.sub(substitute, text)), filled


def fill_note(names: Collection[str], origins: Mapping[str, str] | None = None) -> str:
    """"envsubst ${BACKEND} from --env" (or from the file:line that gave the value)."""
    by_origin: dict[str, list[str]] = {}
    for name in sorted(set(names)):
        by_origin.setdefault((origins or {}).get(name, "--env"), []).append("${" + name + "}")
    return "; ".join(f"envsubst {', '.join(items)} from {origin}" for origin, items in by_origin.items())


def fill_envsubst_statements(stmts: list[dict], env: Mapping[str, str],
                             origins: Mapping[str, str] | None = None) -> None:
    """Fill placeholders in every statement's arguments; a statement that got a value from the environment records
    where it came from under "envsubst" so its Sources can say so."""
    for stmt in stmts:
        names: list[str] = []
        args = stmt.get("args") or []
        for index, arg in enumerate(args):
            if "$" in arg:
                args[index], filled = fill_envsubst(arg, env)
                names.extend(filled)
        if names:
            stmt["envsubst"] = fill_note(names, origins)
        if stmt.get("block"):
            fill_envsubst_statements(stmt["block"], env, origins)


def envsubst_note(stmt: dict) -> str | None:
    """"envsubst ${BACKEND} from --env" for a statement whose placeholders were filled, else None."""
    return stmt.get("envsubst") or None
