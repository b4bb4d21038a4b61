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
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

_ENVSUBST_BRACED = re.compile(r"\$\{([^}\s]*)\}")
_ENVSUBST_BARE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_MUSTACHE_EXPR = re.compile(r"\{\{.*?\}\}", re.DOTALL)
# Jinja statements and comments; Go template actions that are control flow or comments, not values.
_MUSTACHE_STMT = re.compile(r"\{%.*?%\}|\{#[^\n]*?#\}|\{\{-?\s*(?:/\*.*?\*/|(?:if|else|end|range|with|define|block|"
                            r"template|break|continue)\b[^}]*?)\s*-?\}\}", re.DOTALL)
_ERB_EXPR = re.compile(r"<%=.*?%>", re.DOTALL)
_ERB_STMT = re.compile(r"<%(?![=%]).*?%>", re.DOTALL)
_PYTHON_FORMAT = re.compile(r"%\([A-Za-z_][A-Za-z0-9_.]*\)[sdifr]")
_TEMPLATE_PLACEHOLDER = re.compile(r"\{\{.*?\}\}|<%=.*?%>|%\([A-Za-z_][A-Za-z0-9_.]*\)[sdifr]")
# A line holding nothing but one placeholder (and maybe a `;`): the template inserts directives there.
_OWN_LINE = re.compile(r"^([ \t]*)(\$\{[A-Z_][A-Z0-9_]*\}|\$[A-Z_][A-Z0-9_]*|\{\{[^\n]*?\}\}|<%=[^\n]*?%>)"
                       r"[ \t]*;?[ \t]*$", re.MULTILINE)
TOKEN_PREFIX = "__advisor_template_"
_TOKEN = re.compile(TOKEN_PREFIX + r"(\d+)__")


def needs_rewrite(text: str) -> bool:
    """Whether the text holds template markup crossplane cannot read as it is: Jinja/Go/ERB markup, or a
    placeholder on a line of its own (inline envsubst placeholders parse as ordinary arguments)."""
    return "{{" in text or "{%" in text or "<%" in text or ("$" in text and _OWN_LINE.search(text) is not None)


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
            line = source.count("\n", 0, match.start()) + 1
            self.insertions.append(Insertion(line, " ".join(placeholder.split())))
            return ""

        def expression(match: re.Match[str]) -> str:
            original = match.group(0)
            self.originals.append(" ".join(original.split()))
            return f"{TOKEN_PREFIX}{len(self.originals) - 1}__" + "\n" * original.count("\n")

        def statement(match: re.Match[str]) -> str:
            return "\n" * match.group(0).count("\n")

        text = _OWN_LINE.sub(own_line, source)
        text = _MUSTACHE_STMT.sub(statement, text)
        text = _ERB_STMT.sub(statement, text)
        text = _MUSTACHE_EXPR.sub(expression, text)
        return _ERB_EXPR.sub(expression, text)

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
    return _TEMPLATE_PLACEHOLDER.findall(value)


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
