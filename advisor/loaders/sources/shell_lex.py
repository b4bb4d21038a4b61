"""A POSIX shell tokenizer that keeps positions: words (with their quoted/unquoted parts and `$` expansions) and
operators. It follows the POSIX token rules `shlex.split(posix=True)` implements for quoting and backslashes, and in
addition recognises operators, comments, here-documents and parameter expansions, which `shlex` cannot report with
positions. Nothing is executed and nothing is expanded here (see `expand.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from advisor.loaders.sources.text import PText

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_PARAMS = "@*#?$!-0123456789"
_OPERATORS = ("&&", "||", ";;", "<<-", "<<", ">>", ">&", "<&", ">|", "<>", ";", "|", "&", "(", ")", "<", ">")
_REDIRECTIONS = frozenset({"<<-", "<<", ">>", ">&", "<&", ">|", "<>", "<", ">"})
_PARAM_OPS = (":-", ":=", ":+", ":?", "-", "=", "+", "?")
_BLANKS = " \t\r"


@dataclass(slots=True)
class Lit:
    text: PText
    quoted: bool


@dataclass(slots=True)
class Param:
    """`$NAME`, `${NAME}`, `${NAME<op>word}`; op None for plain; "unsupported" for `${#X}`, `${X%y}`, ..."""

    name: str
    op: str | None
    arg: list["Part"] | None
    quoted: bool
    raw: PText


@dataclass(slots=True)
class CommandSub:
    """`$(...)`, backticks or `$((...))`: the output of a command (or arithmetic), never run here."""

    raw: PText
    quoted: bool

    @property
    def arithmetic(self) -> bool:
        return self.raw.text.startswith("$((") and self.raw.text.endswith("))")


@dataclass(slots=True)
class Template:
    """A template placeholder in the file (`{{ expr }}`, `{% stmt %}`, `<%= erb %>`, `%(name)s`): the file is a
    template that something renders before a shell reads it, so the value is not known."""

    raw: PText
    quoted: bool

    @property
    def statement(self) -> bool:
        """`{% ... %}`, `{# ... #}`, `<% ... %>` (without `=`): control flow or a comment, not a value."""
        text = self.raw.text
        return text.startswith(("{%", "{#")) or (text.startswith("<%") and not text.startswith(("<%=", "<%-=")))

    @property
    def shown(self) -> str:
        return " ".join(self.raw.text.split())


Part = Lit | Param | CommandSub | Template

# Template markup: opener -> closer. `%(name)s` (Python %-formatting) needs a name of two characters or more, so
# gunicorn's own access-log atoms (`%(h)s`, `%(r)s`) stay literal.
_TEMPLATE_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}", "<%": "%>"}
_PERCENT_PLACEHOLDER = re.compile(r"%\([A-Za-z_][A-Za-z0-9_]+\)[sdifr]")


@dataclass(slots=True)
class Word:
    parts: list[Part]
    raw: PText  # the word as written, quotes included

    def literal(self) -> str | None:
        """The text when the word has no expansions (quotes removed), else None."""
        if any(not isinstance(part, Lit) for part in self.parts):
            return None
        return "".join(part.text.text for part in self.parts if isinstance(part, Lit))

    def unquoted_literal(self) -> str | None:
        """The text when the word is a plain unquoted literal (reserved words, assignment names), else None."""
        if all(isinstance(part, Lit) and not part.quoted for part in self.parts):
            return "".join(part.text.text for part in self.parts)  # type: ignore[union-attr]
        return None


@dataclass(slots=True)
class Op:
    text: str
    raw: PText


Token = Word | Op


@dataclass(slots=True)
class LexResult:
    tokens: list[Token] = field(default_factory=list)
    errors: list[tuple[PText, str]] = field(default_factory=list)  # (where, message): unterminated quotes...


class _Lexer:
    def __init__(self, source: PText, shell: bool = True) -> None:
        self.shell = shell  # False: shlex.split's rules only (no operators, no comments)
        self.source = source
        self.text = source.text
        self.i = 0
        self.result = LexResult()
        self.pending_heredocs: list[tuple[str, bool]] = []

    # -- helpers -----------------------------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> str:
        index = self.i + offset
        return self.text[index] if index < len(self.text) else ""

    def error(self, start: int, message: str) -> None:
        self.result.errors.append((self.source[start:start + 1], message))

    # -- top level ---------------------------------------------------------------------------------------------
    def run(self) -> LexResult:
        text = self.text
        while self.i < len(text):
            char = text[self.i]
            if char in _BLANKS:
                self.i += 1
            elif char == "\\" and self.peek(1) == "\n":
                self.i += 2
            elif char == "#" and self.shell:
                while self.i < len(text) and text[self.i] != "\n":
                    self.i += 1
            elif char == "\n":
                self.result.tokens.append(Op("\n", self.source[self.i:self.i + 1]))
                self.i += 1
                if self.pending_heredocs:
                    self.skip_heredocs()
            else:
                operator = None if self.template_end(self.i) is not None else self.match_operator()
                if operator is not None:
                    start = self.i
                    self.i += len(operator)
                    self.result.tokens.append(Op(operator, self.source[start:self.i]))
                    if operator in ("<<", "<<-"):
                        self.note_heredoc(operator == "<<-")
                elif self.shell and re.match(r"\d+[<>]", text[self.i:self.i + 12]):
                    while text[self.i].isdigit():  # `2>&1`: the digits name a file descriptor
                        self.i += 1
                else:
                    self.result.tokens.append(self.read_word())
        return self.result

    def template_end(self, index: int) -> int | None:
        """The end of the template placeholder starting at `index`, or None when there is none."""
        text = self.text
        closer = _TEMPLATE_CLOSERS.get(text[index:index + 2])
        if closer is not None:
            end = text.find(closer, index + 2)
            return None if end == -1 else end + len(closer)
        if text.startswith("%(", index):
            match = _PERCENT_PLACEHOLDER.match(text, index)
            return match.end() if match else None
        return None

    def read_template(self, quoted: bool) -> Template | None:
        end = self.template_end(self.i)
        if end is None:
            return None
        start, self.i = self.i, end
        return Template(self.source[start:end], quoted)

    def match_operator(self) -> str | None:
        if not self.shell:
            return None
        for operator in _OPERATORS:
            if self.text.startswith(operator, self.i):
                return operator
        return None

    def note_heredoc(self, strip_tabs: bool) -> None:
        while self.i < len(self.text) and self.text[self.i] in _BLANKS:
            self.i += 1
        if self.i >= len(self.text) or self.text[self.i] == "\n":
            return
        word = self.read_word()
        delimiter = "".join(part.text.text for part in word.parts if isinstance(part, Lit))
        if isinstance(word.parts[-1:][0] if word.parts else None, (Param, CommandSub)):
            delimiter = word.raw.text
        self.result.tokens.append(word)
        self.pending_heredocs.append((delimiter, strip_tabs))

    def skip_heredocs(self) -> None:
        text = self.text
        for delimiter, strip_tabs in self.pending_heredocs:
            while self.i < len(text):
                end = text.find("\n", self.i)
                end = len(text) if end == -1 else end
                line = text[self.i:end]
                self.i = min(end + 1, len(text))
                if (line.lstrip("\t") if strip_tabs else line) == delimiter:
                    break
        self.pending_heredocs = []

    # -- words -------------------------------------------------------------------------------------------------
    def read_word(self) -> Word:
        start = self.i
        parts: list[Part] = []
        chunks: list[PText] = []

        def flush() -> None:
            nonlocal chunks
            if chunks:
                parts.append(Lit(PText.join(chunks), False))
                chunks = []

        text = self.text
        while self.i < len(text):
            char = text[self.i]
            if char in "{<%":
                template = self.read_template(quoted=False)
                if template is not None:
                    flush()
                    parts.append(template)
                    continue
            if char in _BLANKS or char == "\n" or (self.match_operator() is not None):
                break
            if char == "\\":
                if self.peek(1) == "\n":
                    self.i += 2
                    continue
                if self.i + 1 < len(text):
                    chunks.append(self.source[self.i + 1:self.i + 2])
                    self.i += 2
                else:
                    self.i += 1
                continue
            if char == "'":
                flush()
                parts.extend(self.read_single_quoted())
                continue
            if char == '"':
                flush()
                parts.extend(self.read_double_quoted())
                continue
            if char == "$" or char == "`":
                expansion = self.read_expansion(quoted=False)
                if expansion is not None:
                    flush()
                    parts.append(expansion)
                    continue
            chunks.append(self.source[self.i:self.i + 1])
            self.i += 1
        flush()
        return Word(parts, self.source[start:self.i])

    def read_single_quoted(self) -> list[Part]:
        """A single-quoted string: one literal, cut around template placeholders (a template engine renders them
        before any shell sees the quotes)."""
        start = self.i
        end = self.text.find("'", start + 1)
        if end == -1:
            self.error(start, "unterminated single quote")
            end = len(self.text)
        parts: list[Part] = []
        literal_start = index = start + 1
        while index < end:
            template_end = self.template_end(index) if self.text[index] in "{<%" else None
            if template_end is None or template_end > end:
                index += 1
                continue
            if index > literal_start:
                parts.append(Lit(self.source[literal_start:index], True))
            parts.append(Template(self.source[index:template_end], True))
            literal_start = index = template_end
        if literal_start < end or not parts:
            parts.append(Lit(self.source[literal_start:end], True))
        self.i = min(end + 1, len(self.text))
        return parts

    def read_double_quoted(self) -> list[Part]:
        start = self.i
        self.i += 1
        parts: list[Part] = []
        chunks: list[PText] = []
        text = self.text
        terminated = False
        while self.i < len(text):
            char = text[self.i]
            if char == '"':
                self.i += 1
                terminated = True
                break
            if char == "\\" and self.peek(1) in '$`"\\\n':
                if self.peek(1) != "\n":
                    chunks.append(self.source[self.i + 1:self.i + 2])
                self.i += 2
                continue
            if char in "$`{<%":
                expansion = self.read_expansion(quoted=True) if char in "$`" else self.read_template(quoted=True)
                if expansion is not None:
                    if chunks:
                        parts.append(Lit(PText.join(chunks), True))
                        chunks = []
                    parts.append(expansion)
                    continue
            chunks.append(self.source[self.i:self.i + 1])
            self.i += 1
        if not terminated:
            self.error(start, "unterminated double quote")
        parts.append(Lit(PText.join(chunks), True))  # keeps `""` as an empty quoted part
        return parts

    def read_expansion(self, quoted: bool) -> Part | None:
        """At `$` or a backtick: read the expansion; None when the `$` is a literal dollar."""
        text = self.text
        start = self.i
        if text[start] == "`":
            end = start + 1
            while end < len(text) and text[end] != "`":
                end += 2 if text[end] == "\\" else 1
            self.i = min(end + 1, len(text))
            return CommandSub(self.source[start:self.i], quoted)
        following = self.peek(1)
        if following == "(":
            end = self.matching(start + 1, "(", ")")
            self.i = end
            return CommandSub(self.source[start:end], quoted)
        if following == "{":
            return self.read_braced(quoted)
        if following == "'" and not quoted:
            return self.read_ansi_c()
        match = _NAME.match(text, start + 1)
        if match:
            self.i = match.end()
            return Param(match.group(), None, None, quoted, self.source[start:self.i])
        if following and following in _SPECIAL_PARAMS:
            self.i = start + 2
            return Param(following, None, None, quoted, self.source[start:self.i])
        return None

    def matching(self, open_index: int, opening: str, closing: str) -> int:
        """Index just past the bracket that closes the one at `open_index` (quotes and escapes skipped)."""
        text = self.text
        depth = 0
        index = open_index
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 2
                continue
            if char == "'":
                end = text.find("'", index + 1)
                index = len(text) if end == -1 else end + 1
                continue
            if char == '"':
                index = self.skip_double_quoted(index)
                continue
            if char == opening:
                depth += 1
            elif char == closing:
                depth -= 1
                if depth == 0:
                    return index + 1
            index += 1
        self.error(open_index, f"unterminated {opening}")
        return len(text)

    def skip_double_quoted(self, start: int) -> int:
        text = self.text
        index = start + 1
        while index < len(text):
            char = text[index]
            if char == "\\":
                index += 2
            elif char == '"':
                return index + 1
            elif text.startswith("$(", index):
                index = self.matching(index + 1, "(", ")")
            elif text.startswith("${", index):
                index = self.matching(index + 1, "{", "}")
            else:
                index += 1
        return len(text)

    def read_braced(self, quoted: bool) -> Part:
        start = self.i
        end = self.matching(start + 1, "{", "}")
        self.i = end
        raw = self.source[start:end]
        inner_start, inner_end = start + 2, max(end - 1, start + 2)
        inner = self.text[inner_start:inner_end]
        match = _NAME.match(inner) or re.match(r"[0-9]+|[@*#?$!-]", inner)
        if not match or inner.startswith("#") and len(inner) > 1:
            return Param(inner, "unsupported", None, quoted, raw)
        name = match.group()
        rest_at = match.end()
        if rest_at == len(inner):
            return Param(name, None, None, quoted, raw)
        for operator in _PARAM_OPS:
            if inner.startswith(operator, rest_at):
                arg_start = inner_start + rest_at + len(operator)
                sub = _Lexer(self.source[arg_start:inner_end])
                return Param(name, operator, sub.read_argument(quoted), quoted, raw)
        return Param(name, "unsupported", None, quoted, raw)

    def read_argument(self, quoted: bool) -> list[Part]:
        """The word of `${X:-word}`: quotes and expansions are processed, blanks are kept."""
        parts: list[Part] = []
        chunks: list[PText] = []
        text = self.text

        def flush() -> None:
            nonlocal chunks
            if chunks:
                parts.append(Lit(PText.join(chunks), quoted))
                chunks = []

        while self.i < len(text):
            char = text[self.i]
            if char == "\\" and self.i + 1 < len(text):
                chunks.append(self.source[self.i + 1:self.i + 2])
                self.i += 2
            elif char == "'" and not quoted:
                flush()
                parts.extend(self.read_single_quoted())
            elif char == '"' and not quoted:
                flush()
                parts.extend(self.read_double_quoted())
            elif char in "$`":
                expansion = self.read_expansion(quoted)
                if expansion is None:
                    chunks.append(self.source[self.i:self.i + 1])
                    self.i += 1
                else:
                    flush()
                    parts.append(expansion)
            else:
                chunks.append(self.source[self.i:self.i + 1])
                self.i += 1
        flush()
        return parts

    def read_ansi_c(self) -> Lit:
        start = self.i
        index = start + 2
        chunks: list[PText] = []
        escapes = {"n": "\n", "t": "\t", "\\": "\\", "'": "'", '"': '"', "r": "\r"}
        while index < len(self.text) and self.text[index] != "'":
            if self.text[index] == "\\" and index + 1 < len(self.text):
                value = escapes.get(self.text[index + 1], self.text[index + 1])
                chunks.append(PText(value, (self.source.origins[index],)))
                index += 2
            else:
                chunks.append(self.source[index:index + 1])
                index += 1
        self.i = min(index + 1, len(self.text))
        return Lit(PText.join(chunks), True)


def tokenize(source: PText, *, shell: bool = True) -> LexResult:
    """Split shell text into words and operators (newlines are `Op("\\n")`). With `shell=False` only blanks, quotes
    and backslashes matter, as in `shlex.split` (no operators, no comments)."""
    return _Lexer(source, shell).run()


def is_redirection(operator: str) -> bool:
    return operator in _REDIRECTIONS
