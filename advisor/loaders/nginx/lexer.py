"""crossplane's nginx lexer, token for token, in time linear in the text, lexing the text we already read.

crossplane 0.5.8 lexes a file one character at a time through three chained generators and builds tokens by string
concatenation: a long comment or quoted token costs quadratic time (1 MB: seconds, 5 MB: minutes), and it always
opens the file itself. `lex_text` yields the same (token, line, quoted) stream — the same escapes (`\\x` is one
character, kept as written outside quotes), the same line numbers, the same `${` quirk (the blank after `${NAME}`
is glued onto the token), the same tokens dropped at end of file, the same external lexers (the `*_by_lua_block`
directives) — but jumps over runs of ordinary characters with regular expressions and slices tokens out of the text.

Most of a config is plain statements (`name arg arg;` on one line, `}`, comments, simple quoted strings): `_FAST`
matches such a stretch at once and its tokens are cut with `str.split`. Anything else (a backslash, `${`, a directive
with an external lexer, a token cut by the end of the text) goes through `_Lexer._slow`, one token at a time, with
crossplane's rules. crossplane's brace balance check (`_balance_braces`) is done here too, on the same tokens.
`lex_statements` hands a plain one-line statement to the parser (advisor/loaders/nginx/statements.py) as one item.

"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from sys import intern
from typing import Any

from advisor.lazy_regex import lazy_re
from advisor.loaders.nginx.crossplane_tables import EXTERNAL_LEXER_DIRECTIVES, external_lexer
from advisor.loaders.nginx.parse_errors import NgxParserSyntaxError

Token = tuple[str, int, bool]
Statement = tuple[list[str], int, str]  # (directive and arguments, line, terminator `;` `{` `}`): see lex_statements

MAX_TOKEN_CHARS = 64 * 1024
MAX_STATEMENT_TOKENS = 10_000  # arguments of one directive (a long server_name list has a few hundred)
_BLANKS = lazy_re(r"\s+")
_RUN = lazy_re(r"[^\s{};\\]+")  # characters appended to a token as they are
_QUOTES = ("\"", "'")
_WORD = r"[^\s{};\\#\"'][^\s{};\\]*"  # a plain token: no quote or `#` first, no escape, ended by a blank or `{};`
# Between tokens: blanks, then one plain stretch: words on one line (each ended by a blank, or the last one by `;`,
# `}` or a `{` that does not follow `$`), a lone `{};`, a comment whose line does not end with a backslash, or a
# quoted string without backslashes.
_FAST = lazy_re(
    r"\s*(?:"
    rf"(?P<words>{_WORD}(?:[^\S\n]+{_WORD})*)(?:[^\S\n]*(?P<term>[;}}]|(?<!\$)\{{)|(?=\s))"
    r"|(?P<brace>[{};])"
    r"|(?P<comment>#[^\n]*)(?<!\\)(?=\n)"
    r"|(?P<quoted>\"[^\"\\]*\"|'[^'\\]*')"
    r")")


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

    def position(self) -> tuple[int, int]:
        """(pos, line): text[pos] is on `line`; `after` counts on from there."""
        return self._pos, self._line

    def move_to(self, pos: int, line: int) -> None:
        """Continue counting from a position whose line is known (the fast path counts on its own)."""
        self._pos, self._line = pos, line


def _usable_length(text: str) -> int:
    """crossplane stops at a final unpaired backslash (its escape reader runs out of characters)."""
    run = len(text) - len(text.rstrip("\\"))
    return len(text) - 1 if run % 2 else len(text)


def _char_end(text: str, pos: int) -> int:
    return pos + 2 if text[pos] == "\\" else pos + 1


class _Lexer:
    def __init__(self, text: str, filename: str | None, max_token: int, statements: bool = False) -> None:
        self.text = text
        self.statements = statements  # yield a plain one-line statement as one Statement item
        self.n = _usable_length(text)
        self.lines = _Lines(text)
        self.filename = filename
        self.max_token = max_token
        self.pos = 0
        self.arguments = 0  # tokens since the last `;`, `{` or `}`
        self.directive_next = True  # the next token names a directive (crossplane's `next_token_is_directive`)
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
        lexer: Callable[..., Any] = external_lexer(token)
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

    def _balance(self, token: str, depth: int, line: int) -> int:
        """The brace depth after an unquoted `token` (crossplane's `_balance_braces`): a `}` without its `{` is
        the syntax error at once."""
        if token == "{":
            return depth + 1
        if token == "}":
            if depth == 0:
                raise NgxParserSyntaxError('unexpected "}"', self.filename, line)
            return depth - 1
        return depth

    def tokens(self) -> Iterator[Token]:
        """The token stream, with crossplane's brace balance check: plain stretches matched by `_FAST`, the rest
        through `_slow`."""
        text, n, lines = self.text, self.n, self.lines
        fast = _FAST.match
        external = EXTERNAL_LEXER_DIRECTIVES
        max_token = self.max_token
        depth = 0
        last = 0  # line of the last token (crossplane reports a missing `}` there)
        line, line_pos = 1, 0  # the line of text[line_pos]
        pos = 0
        while pos < n:
            match = fast(text, pos, n)
            kind = match.lastgroup if match is not None else None
            if kind == "words" or kind == "term":
                start = match.start("words")
                words = match.group("words").split()
                if self.directive_next and words[0] in external:
                    kind = None  # its own lexer takes over after the name: crossplane's way, one token at a time
                else:
                    line += text.count("\n", line_pos, start)
                    line_pos = start
                    last = line
                    too_long = match.end("words") - start > max_token
                    whole = (kind == "term" and self.statements and self.directive_next and not too_long
                             and self.arguments + len(words) <= MAX_STATEMENT_TOKENS)
                    if not whole:
                        if too_long or self.arguments + len(words) > MAX_STATEMENT_TOKENS:
                            for word in words:
                                self._check(word, line)
                                yield word, line, False
                        else:
                            self.arguments += len(words)
                            for word in words:
                                yield word, line, False
                        self.directive_next = False
                    if kind == "term":
                        char = match.group("term")
                        depth = self._balance(char, depth, line)
                        self.arguments = 0
                        self.directive_next = True
                        if whole:  # one string object for each distinct word: a large config repeats a few hundred
                            yield list(map(intern, words)), line, char  # type: ignore[misc]  # a Statement
                        else:
                            yield char, line, False
                    pos = match.end()
                    continue
            elif kind == "brace":
                start = match.start("brace")
                line += text.count("\n", line_pos, start)
                line_pos = start
                char = text[start]
                depth = self._balance(char, depth, line)
                self.arguments = 0
                self.directive_next = True
                last = line
                yield char, line, False
                pos = match.end()
                continue
            elif kind == "comment":
                start = match.start("comment")
                line += text.count("\n", line_pos, start)
                line_pos = start
                comment = match.group("comment")
                self._check(comment, line, argument=False)
                last = line
                yield comment, line, False
                pos = match.end()
                continue
            elif kind == "quoted":
                start = match.start("quoted")
                body = text[start + 1:match.end() - 1]
                if not (self.directive_next and body in external):
                    line += text.count("\n", line_pos, start)
                    line_pos = start
                    self._check(body, line)
                    last = line
                    yield body, line, True
                    self.directive_next = False
                    pos = match.end()
                    continue
            # anything else: crossplane's rules, one token (and the blanks before it) at a time
            lines.move_to(line_pos, line)
            self.pos = pos
            for token in self._slow():
                if not token[2]:
                    depth = self._balance(token[0], depth, token[1])
                last = token[1]
                yield token
            pos = self.pos
            line_pos, line = lines.position()
        if depth > 0:
            raise NgxParserSyntaxError('unexpected end of file, expecting "}"', self.filename, last)

    def _slow(self) -> Iterator[Token]:
        """crossplane's lexer from self.pos up to the end of the next token (and what ends it); self.pos follows,
        and is n when crossplane stops reading (a quote, comment or `${` left open at the end)."""
        text, n, lines = self.text, self.n, self.lines
        start = -1  # start of the token being read (-1: none)
        token_line = 0
        stepped = False
        while self.pos < n:
            if start < 0 and stepped:
                return
            stepped = True
            pos = self.pos
            char = text[pos]
            if char.isspace():
                if start >= 0:
                    token = text[start:pos]
                    self._check(token, token_line)
                    yield token, token_line, False
                    start = -1
                    self.pos = pos + 1
                    if self.directive_next and token in EXTERNAL_LEXER_DIRECTIVES:
                        for custom in self._external(token):
                            yield custom
                            self.directive_next = True
                        pos = self.pos
                    else:
                        self.directive_next = False
                        pos = self.pos - 1
                blanks = _BLANKS.match(text, pos, n)
                self.pos = blanks.end() if blanks else pos
                continue
            if start < 0 and char == "#":
                end = text.find("\n", pos, n)
                if end < 0:
                    self.pos = n
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
                        self.pos = n
                        return
                    self._check(body, token_line)
                    yield body, token_line, True
                    if self.directive_next and body in EXTERNAL_LEXER_DIRECTIVES:
                        for custom in self._external(body):
                            yield custom
                            self.directive_next = True
                    else:
                        self.directive_next = False
                    continue
                start = pos
            if char == "{" and pos > start and text[pos - 1] == "$":
                self.directive_next = False
                after = self._dollar_brace()
                if after is None:
                    self.pos = n
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
                self.directive_next = True
                self.pos = pos + 1
                continue
            if char == "\\":
                self.pos = pos + 2
                continue
            run_match = _RUN.match(text, pos, n)
            self.pos = run_match.end() if run_match else pos + 1


def lex_text(text: str, filename: str | None = None, max_token: int = MAX_TOKEN_CHARS) -> Iterator[Token]:
    """crossplane's token stream for `text`, with its brace balance check (NgxParserSyntaxError as crossplane)."""
    return _Lexer(text, filename, max_token).tokens()


def lex_statements(text: str, filename: str | None = None) -> Iterator[Token | Statement]:
    """lex_text's stream, except that a directive with plain arguments on one line and its `;`, `{` or `}` come as
    one Statement (words, line, terminator) instead of one token each: where a parser expects a directive, the
    statement is complete. (A `}` without its `{` ends such a statement with the syntax error at once, not after its
    words: the parse fails either way.)"""
    return _Lexer(text, filename, MAX_TOKEN_CHARS, statements=True).tokens()  # type: ignore[return-value]


__all__ = ["MAX_TOKEN_CHARS", "Statement", "Token", "TokenTooLong", "lex_statements", "lex_text"]
