"""Unresolved template placeholders in nginx files: envsubst (`${VAR}`, `$VAR`) and Jinja (`{{ }}`, `{% %}`).

nginx variables are lower-case by convention (`$host`, `$remote_addr`, `${host}`); envsubst/docker templates use
upper-case names. A value holding a placeholder is *unknown*, never a value and never a parse error.

crossplane's lexer treats `{`/`}` as block delimiters, so Jinja text is rewritten before parsing: every `{{ expr }}`
becomes an opaque token (mapped back to the original text for messages) and every `{% ... %}` / `{# ... #}` is blanked
out, keeping line numbers unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

_ENVSUBST_BRACED = re.compile(r"\$\{([^}\s]*)\}")
_ENVSUBST_BARE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_JINJA_EXPR = re.compile(r"\{\{.*?\}\}", re.DOTALL)
_JINJA_STMT = re.compile(r"\{%.*?%\}|\{#[^\n]*?#\}", re.DOTALL)
JINJA_TOKEN_PREFIX = "__advisor_jinja_"
_JINJA_TOKEN = re.compile(JINJA_TOKEN_PREFIX + r"(\d+)__")


def has_jinja(text: str) -> bool:
    return "{{" in text or "{%" in text


def _is_envsubst_name(name: str) -> bool:
    """Upper-case names (`BACKEND`, `PROXY_READ_TIMEOUT`) are envsubst; `host`, `http_x`, `1` are nginx's."""
    return any(char.isupper() for char in name) and not any(char.islower() for char in name)


class TemplateText:
    """Rewrites Jinja markup into placeholder tokens and remembers what each token stood for."""

    def __init__(self) -> None:
        self.originals: list[str] = []

    def rewrite(self, text: str) -> str:
        def expression(match: re.Match[str]) -> str:
            original = match.group(0)
            self.originals.append(" ".join(original.split()))
            token = f"{JINJA_TOKEN_PREFIX}{len(self.originals) - 1}__"
            return token + "\n" * original.count("\n")

        def statement(match: re.Match[str]) -> str:
            return "\n" * match.group(0).count("\n")

        return _JINJA_EXPR.sub(expression, _JINJA_STMT.sub(statement, text))

    def original(self, token_number: int) -> str:
        return self.originals[token_number] if 0 <= token_number < len(self.originals) else "{{ ? }}"


def placeholder_reason(value: str, jinja: TemplateText | None = None,
                       defined_variables: Collection[str] = ()) -> str | None:
    """Why `value` is not a literal value (a template placeholder), or None if it holds none.

    `defined_variables` are upper-case names the configuration itself defines (`set $BACKEND ...`, `map ... $X`);
    those are nginx variables, not placeholders.
    """
    if "$" not in value and JINJA_TOKEN_PREFIX not in value:
        return None
    if JINJA_TOKEN_PREFIX in value:
        match = _JINJA_TOKEN.search(value)
        original = jinja.original(int(match.group(1))) if (match and jinja) else "{{ ... }}"
        return f"Jinja placeholder {original}"
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
    """Replace envsubst placeholders (`${NAME}`, `$NAME`, upper-case names) whose value `--env` gives, as envsubst
    would when the container starts; others stay. Returns the text and the names filled in."""
    filled: list[str] = []

    def braced(match: re.Match[str]) -> str:
        name = match.group(1)
        if _is_envsubst_name(name) and name in env:
            filled.append(name)
            return env[name]
        return match.group(0)

    def bare(match: re.Match[str]) -> str:
        name = match.group(1)
        if _is_envsubst_name(name) and name in env:
            filled.append(name)
            return env[name]
        return match.group(0)

    return _ENVSUBST_BARE.sub(bare, _ENVSUBST_BRACED.sub(braced, text)), filled


def fill_envsubst_statements(stmts: list[dict], env: Mapping[str, str]) -> None:
    """Fill placeholders in every statement's arguments; a statement that got a value from `--env` records the
    names under "envsubst" so its Sources can say where the value came from."""
    for stmt in stmts:
        names: list[str] = []
        args = stmt.get("args") or []
        for index, arg in enumerate(args):
            if "$" in arg:
                args[index], filled = fill_envsubst(arg, env)
                names.extend(filled)
        if names:
            stmt["envsubst"] = sorted(set(names))
        if stmt.get("block"):
            fill_envsubst_statements(stmt["block"], env)


def envsubst_note(stmt: dict) -> str | None:
    """"envsubst ${BACKEND} from --env" for a statement whose placeholders were filled, else None."""
    names = stmt.get("envsubst")
    if not names:
        return None
    return "envsubst " + ", ".join("${" + name + "}" for name in names) + " from --env"

