"""crossplane's nginx lexer, token for token, in time linear in the text, lexing the text we already read.

crossplane 0.5.8 lexes a file one character at a time through three chained generators and builds tokens by string
concatenation: a long comment or quoted token costs quadratic time (1 MB: seconds, 5 MB: minutes), and it always
opens the file itself. `lex_text` yields the same (token, line, quoted) stream — the same escapes (`\\x` is one
character, kept as written outside quotes), the same line numbers, the same `${` quirk (the blank after `${NAME}`
is glued onto the token), the same tokens dropped at end of file, the same external lexers (the `*_by_lua_block`
directives) — but jumps over runs of ordinary characters with regular expressions and slices tokens out of the text.

`parse_text` runs crossplane's parser on that stream (its `lex` swapped for ours while the parse runs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import crossplane.lexer as _cp_lexer
from crossplane.errors import NgxParserSyntaxError

Token = tuple[str, int, bool]

MAX_TOKEN_CHARS = 64 * 1024
MAX_STATEMENT_TOKENS = 10_000  # arguments of one directive (a long server_name list has a few hundred)
_BLANKS = re.compile(r"\s+")
_RUN = re.compile(r"[^\s{};\\]+")  # characters appended to a token as they are
_QUOTES = ("\"", "'")


class TokenTooLong(NgxParserSyntaxError):
    """A token longer than MAX_TOKEN_CHARS (nginx itself refuses far shorter ones)."""


class _Lines:
    """Line numbers as crossplane counts them: a character's line includes the line break it ends with."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._pos = 0
        self._line = 1

    def after(self, end: int) -> int:
        """1 + the line breaks in text[:end] (queries come in increasing order; others are counted afresh)."""
        if end >= self._pos:
            self._line += self._text.count("\n", self._pos, end)
            self._pos = end
            return self._line
        return 1 + self._text.count("\n", 0, end)


def _usable_length(text: str) -> int:
    """crossplane stops at a final unpaired backslash (its escape reader runs out of characters)."""
    run = len(text) - len(text.rstrip("\\"))
    return len(text) - 1 if run % 2 else len(text)


def _char_end(text: str, pos: int) -> int:
    return pos + 2 if text[pos] == "\\" else pos + 1


class _Lexer:
    def __init__(self, text: str, filename: str | None, max_token: int) -> None:
        self.text = text
        self.n = _usable_length(text)
        self.lines = _Lines(text)
        self.filename = filename
        self.max_token = max_token
        self.pos = 0
        self.arguments = 0  # tokens since the last `;`, `{` or `}`
        self._escape = -1
        self._escape_from = len(text) + 1  # nothing searched yet

    def _check(self, token: str, line: int, argument: bool = True) -> None:
        if len(token) > self.max_token:
            raise TokenTooLong(f"a token longer than {self.max_token} characters", self.filename, line)
        if argument:
            self.arguments += 1
            if self.arguments > MAX_STATEMENT_TOKENS:
                raise TokenTooLong(f"a directive with more than {MAX_STATEMENT_TOKENS} arguments", self.filename,
                                   line)

    def _chars(self) -> Iterator[tuple[str, int]]:
        """(character, line) from self.pos on, for crossplane's external lexers; self.pos follows."""
        text, n = self.text, self.n
        while self.pos < n:
            start = self.pos
            self.pos = _char_end(text, start)
            yield text[start:self.pos], self.lines.after(self.pos)

    def _external(self, token: str) -> Iterator[Token]:
        lexer: Callable[..., Any] = _cp_lexer.EXTERNAL_LEXERS[token]
        yield from lexer(self._chars(), token)

    def _quoted(self, quote: str) -> str | None:
        """The quoted string starting at self.pos (a quote); None at end of file. Leaves pos after it."""
        text, n = self.text, self.n
        i = self.pos + 1
        close = text.find(quote, i, n)
        escape = self._escape_at(i)
        while True:
            if close < 0:
                return None
            if 0 <= escape < close:
                i = escape + 2
                if close < i:
                    close = text.find(quote, i, n)
                escape = self._escape_at(i)
                continue
            body = text[self.pos + 1:close]
            self.pos = close + 1
            return body.replace("\\" + quote, quote) if "\\" in body else body

    def _escape_at(self, pos: int) -> int:
        """The first backslash at or after `pos` (-1: none); remembered, so a text without backslashes is
        searched once, not once per quoted token."""
        found = self._escape
        if found < 0 and self._escape_from <= pos:
            return -1
        if found >= pos and self._escape_from <= pos:
            return found
        self._escape_from = pos
        self._escape = self.text.find("\\", pos, self.n)
        return self._escape

    def _dollar_brace(self) -> int | None:
        """crossplane's `${` loop from self.pos (the `{`): the position of the character after it, None at EOF."""
        text, n = self.text, self.n
        i = self.pos
        while i < n:
            char = text[i]
            if char == "\\":
                i += 2
                if text[i - 1] == "}":
                    return i if i < n else None
            elif char.isspace() and i > self.pos:
                return i
            else:
                i += 1
                if char == "}":
                    return i if i < n else None
        return None

    def tokens(self) -> Iterator[Token]:
        text, n, lines = self.text, self.n, self.lines
        directive_next = True
        start = -1  # start of the token being read (-1: none)
        token_line = 0
        while self.pos < n:
            pos = self.pos
            char = text[pos]
            if char.isspace():
                if start >= 0:
                    token = text[start:pos]
                    self._check(token, token_line)
                    yield token, token_line, False
                    start = -1
                    self.pos = pos + 1
                    if directive_next and token in _cp_lexer.EXTERNAL_LEXERS:
                        for custom in self._external(token):
                            yield custom
                            directive_next = True
                        pos = self.pos
                    else:
                        directive_next = False
                        pos = self.pos - 1
                blanks = _BLANKS.match(text, pos, n)
                self.pos = blanks.end() if blanks else pos
                continue
            if start < 0 and char == "#":
                end = text.find("\n", pos, n)
                if end < 0:
                    return  # a comment crossplane is still reading at end of file is dropped
                run = end - len(text[pos:end].rstrip("\\")) - pos if text[end - 1] == "\\" else 0
                comment = text[pos:end - 1] if run % 2 else text[pos:end]
                line = lines.after(pos + 1)
                self._check(comment, line, argument=False)
                yield comment, line, False
                self.pos = end + 1
                continue
            if start < 0:
                token_line = lines.after(_char_end(text, pos))
                if char in _QUOTES:
                    body = self._quoted(char)
                    if body is None:
                        return
                    self._check(body, token_line)
                    yield body, token_line, True
                    if directive_next and body in _cp_lexer.EXTERNAL_LEXERS:
                        for custom in self._external(body):
                            yield custom
                            directive_next = True
                    else:
                        directive_next = False
                    continue
                start = pos
            if char == "{" and pos > start and text[pos - 1] == "$":
                directive_next = False
                after = self._dollar_brace()
                if after is None:
                    return
                # crossplane appends the character after the loop whatever it is (a blank too), unless it is
                # a quote (appended), or `{` `}` `;` (ends the token)
                self.pos = after + 1 if text[after].isspace() else after
                continue
            if char in "{};":
                if pos > start:
                    token = text[start:pos]
                    self._check(token, token_line)
                    yield token, token_line, False
                start = -1
                self.arguments = 0
                yield char, lines.after(pos + 1), False
                directive_next = True
                self.pos = pos + 1
                continue
            if char == "\\":
                self.pos = pos + 2
                continue
            run_match = _RUN.match(text, pos, n)
            self.pos = run_match.end() if run_match else pos + 1


def lex_text(text: str, filename: str | None = None, max_token: int = MAX_TOKEN_CHARS) -> Iterator[Token]:
    """crossplane's token stream for `text`, with its brace balance check (NgxParserSyntaxError as crossplane)."""
    return _cp_lexer._balance_braces(_Lexer(text, filename, max_token).tokens(), filename)


__all__ = ["MAX_TOKEN_CHARS", "TokenTooLong", "lex_text"]
