"""A gunicorn config written as a template (`workers = %(num_workers)s`, `bind = "unix:{{ root }}/app.sock"`).

gunicorn never reads the template itself, only what it renders to, so the placeholders are values that are not
known here: never a syntax error and never their literal text. Each placeholder is replaced by a unique identifier
so that the file parses; the evaluator binds each identifier to an Unknown ("template placeholder %(x)s"), and a
string literal that holds one becomes that identifier too (its value is whatever the template renders). Raw texts
get the placeholder text back, so that both sides of a link can still be compared by their template text.

Template statements on lines of their own (`{% if %}`, `<% end %>`, Go's `{{ if }}`) are blanked, so both branches
are read; a setting assigned between them is unknown (the template may not render it). A placeholder that stands
alone as a statement inserts text that is not here: any setting may be set there.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from advisor.lazy_regex import lazy_re
from advisor.template_syntax import PLACEHOLDER as _PLACEHOLDER
from advisor.template_syntax import STATEMENT as _STATEMENT
from advisor.template_syntax import STATEMENT_LINE as _STATEMENT_LINE
from advisor.template_syntax import TEMPLATE_SUFFIXES  # also read by advisor/loaders/sources/paths.py

_INLINE_STATEMENTS = lazy_re(rf"(?:{_STATEMENT}).*(?:{_STATEMENT})|(?:{_STATEMENT})")
_GO_CONTROL = lazy_re(r"^\{\{-?\s*(?:if|else|end|range|with|define|block|template|break|continue)\b.*\}\}$")
_BLOCK_WORDS = lazy_re(r"^(?:\{%-?|<%-?|\{\{-?)\s*(?:if|elif|else|end\w*|for|with|block|macro|call|filter|raw|"
                       r"range|define|unless|elsif|case|when|while)\b|\bdo\s*(?:\|[^|]*\|)?\s*-?%>$")
_TOKEN = lazy_re(r"_Tpl(\d+)_+")


@dataclass(slots=True)
class FilledTemplate:
    """A templated config with its placeholders replaced, so that it can be parsed."""

    text: str  # the template with every placeholder replaced by an identifier: parses as Python when it can
    placeholders: dict[str, str] = field(default_factory=dict)  # identifier -> the placeholder as written
    block: tuple[int, int, str, str] | None = None  # (first line, last line, first statement, last statement)


def is_template_name(path: str) -> bool:
    """`gunicorn.conf.py.template`, `gunicorn.conf.py.j2`: a file a template engine renders."""
    return PurePath(path).name.lower().endswith(TEMPLATE_SUFFIXES)


def has_placeholders(text: str) -> bool:
    return bool(_PLACEHOLDER.search(text) or _STATEMENT_LINE.search(text))


def placeholders_in_code(text: str) -> bool:
    """Whether a placeholder stands in code rather than in a string or comment: `workers = {{ n }}` parses as a
    set display (and fails when gunicorn loads it), but it is a template. Placeholders inside string literals of a
    file that parses may be the file's own text (`access_log_format = '%(h)s'`)."""
    if not _PLACEHOLDER.search(text):
        return False
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    quoted: list[tuple[int, int]] = []
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.STRING, tokenize.COMMENT) or token.type in _FSTRING_TOKENS:
                quoted.append((starts[token.start[0] - 1] + token.start[1], starts[token.end[0] - 1] + token.end[1]))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return False
    return any(not any(start <= match.start() < end for start, end in quoted) for match in _PLACEHOLDER.finditer(text))


_FSTRING_TOKENS = {getattr(tokenize, name) for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                   if hasattr(tokenize, name)}


def fill_template(text: str) -> FilledTemplate:
    """Identifiers for placeholders, blanks for statement lines (line numbers unchanged)."""
    filled = FilledTemplate("")
    statements: list[tuple[int, str]] = []

    def blank(match: re.Match[str]) -> str:
        line = text.count("\n", 0, match.start()) + 1
        statements.append((line, match.group(0).strip()))
        return ""

    def identifier(written: str) -> str:
        token = f"_Tpl{len(filled.placeholders)}_"
        token += "_" * max(0, len(written) - len(token))  # keep the columns of what follows when it can
        filled.placeholders[token] = written
        return token

    lines = []
    for number, line in enumerate(_STATEMENT_LINE.sub(blank, text).split("\n"), start=1):
        stripped = line.strip()
        if _GO_CONTROL.match(stripped):
            statements.append((number, stripped))
            lines.append("")
            continue
        line = _INLINE_STATEMENTS.sub(lambda match: identifier(match.group(0)), line)
        lines.append(_PLACEHOLDER.sub(lambda match: identifier(match.group(0)), line))
    filled.text = "\n".join(lines)
    blocks = [(line, written) for line, written in statements if _BLOCK_WORDS.search(written)]
    if blocks:
        filled.block = (blocks[0][0], blocks[-1][0], blocks[0][1], blocks[-1][1])
    return filled


def restore(text: str, placeholders: dict[str, str]) -> str:
    """The text with identifiers turned back into the placeholders they stand for."""
    return _TOKEN.sub(lambda match: placeholders.get(match.group(0), match.group(0)), text)


def placeholder_reason(written: str) -> str:
    return f"template placeholder {written}"


def first_placeholder(value: Any, placeholders: dict[str, str]) -> str | None:
    """The first placeholder a (possibly nested) evaluated value holds, as written."""
    if isinstance(value, str):
        for match in _TOKEN.finditer(value):
            if match.group(0) in placeholders:
                return placeholders[match.group(0)]
        return None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            found = first_placeholder(item, placeholders)
            if found is not None:
                return found
    return None


class _Literals(ast.NodeTransformer):
    """String literals that hold a placeholder become the placeholder's identifier (an unknown value)."""

    def __init__(self, placeholders: dict[str, str]) -> None:
        self.placeholders = placeholders

    def _token(self, node: ast.AST) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            match = next((m for m in _TOKEN.finditer(node.value) if m.group(0) in self.placeholders), None)
            return match.group(0) if match else None
        return None

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        token = self._token(node)
        return ast.copy_location(ast.Name(token, ast.Load()), node) if token else node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        values: list[ast.expr] = []
        for part in node.values:
            token = self._token(part)
            if token:
                name = ast.copy_location(ast.Name(token, ast.Load()), part)
                values.append(ast.copy_location(ast.FormattedValue(name, -1, None), part))
            else:
                values.append(self.visit(part))
        node.values = values
        return node


def unknown_literals(tree: ast.Module, placeholders: dict[str, str]) -> ast.Module:
    return _Literals(placeholders).visit(tree)


def inserted_at(tree: ast.Module, placeholders: dict[str, str]) -> tuple[int, str] | None:
    """The first statement that is only a placeholder (the template inserts code there): line and placeholder."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Name) and node.value.id in placeholders:
            return node.lineno, placeholders[node.value.id]
    return None


__all__ = ["FilledTemplate", "fill_template", "first_placeholder", "has_placeholders", "inserted_at",
           "is_template_name", "placeholder_reason", "placeholders_in_code", "restore", "unknown_literals"]
