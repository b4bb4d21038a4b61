"""Output that any terminal can take: text the stream's encoding cannot hold is written in ASCII instead.

Messages use `×`, `≥`, `→`, `–`, `…` and a few other symbols. On a stream whose encoding cannot encode them (ASCII
in a minimal container, Latin-1) a plain write raises UnicodeEncodeError; `EncodingSafeStream` writes those symbols
as ASCII (`x`, `>=`, `->`, `-`, `...`) and anything else unencodable as `?`.
"""

from __future__ import annotations

import codecs
from typing import Any, TextIO

ASCII_FALLBACK = str.maketrans({
    "×": "x", "≥": ">=", "≤": "<=", "→": "->", "←": "<-", "⇒": "=>", "–": "-", "—": "--", "…": "...",
    "‘": "'", "’": "'", "“": '"', "”": '"', "«": '"', "»": '"', "µ": "u", "ρ": "rho", "λ": "lambda",
    "·": "*", "•": "*", "≈": "~", "±": "+/-", "≠": "!=", "²": "^2", "³": "^3", "✓": "ok", "✗": "x",
    "│": "|", "─": "-", "█": "#", "░": ".", "▁": "_", "\u00a0": " ",
})
_SAMPLE = "×≥→–…"


def ascii_fallback(text: str, encoding: str = "ascii") -> str:
    """`text` with the known symbols spelled in ASCII and anything else `encoding` cannot hold as `?`."""
    return text.translate(ASCII_FALLBACK).encode(encoding, errors="replace").decode(encoding, errors="replace")


def _encoding(stream: Any) -> str | None:
    encoding = getattr(stream, "encoding", None)
    try:
        return codecs.lookup(encoding).name if encoding else None
    except LookupError:
        return None


def needs_fallback(stream: Any) -> bool:
    """Whether `stream` cannot encode the symbols advisor prints."""
    encoding = _encoding(stream)
    if encoding is None:
        return False
    try:
        _SAMPLE.encode(encoding)
    except UnicodeEncodeError:
        return True
    return False


class EncodingSafeStream:
    """A text stream that never raises UnicodeEncodeError (everything else is the wrapped stream's)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._encoding = _encoding(stream) or "ascii"

    def write(self, text: str) -> int:
        try:
            text.encode(self._encoding)
        except UnicodeEncodeError:
            text = ascii_fallback(text, self._encoding)
        return self._stream.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def safe_stream(stream: TextIO) -> TextIO:
    """`stream` itself when it can encode advisor's output, else an EncodingSafeStream around it."""
    return EncodingSafeStream(stream) if needs_fallback(stream) else stream  # type: ignore[return-value]


__all__ = ["ASCII_FALLBACK", "EncodingSafeStream", "ascii_fallback", "needs_fallback", "safe_stream"]
