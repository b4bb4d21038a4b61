"""The errors the nginx lexer and parser raise, named and worded as crossplane's (crossplane.errors), so that
messages stay what crossplane users know without importing crossplane's package for them."""

from __future__ import annotations


class NgxParserBaseException(Exception):
    """A parse error of `filename` at `lineno` (None: no line); str() is crossplane's "MESSAGE in FILE:LINE"."""

    def __init__(self, strerror: str, filename: str | None, lineno: int | None) -> None:
        super().__init__(strerror, filename, lineno)
        self.strerror = strerror
        self.filename = filename
        self.lineno = lineno

    def __str__(self) -> str:
        where = self.filename if self.lineno is None else f"{self.filename}:{self.lineno}"
        return f"{self.strerror} in {where}"


class NgxParserSyntaxError(NgxParserBaseException):
    """Unbalanced braces, an unexpected end of file, a token too long."""


class NgxParserDirectiveError(NgxParserBaseException):
    """A statement that is not a well-formed directive."""


class NgxParserDirectiveArgumentsError(NgxParserDirectiveError):
    """A directive not terminated as its kind must be (`;` or a block)."""
