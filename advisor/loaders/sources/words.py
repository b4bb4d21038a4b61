"""Argument lists that no shell sees: exec-form CMD, compose `command:` after interpolation, supervisor `command=`.

They are split with POSIX quoting (like `shlex.split`), but `$VAR` stays text: the program receives it as written.
Such a `$` is tagged ExecLiteral, so a setting that depends on it is unknown with that reason. A template
placeholder (`{{ workers }}`, a file rendered before it is used) is part of one word and unknown.
"""

from __future__ import annotations

from advisor.loaders.sources.shell_lex import Lit, Template, Word, tokenize
from advisor.loaders.sources.text import ExecLiteral, PText, Unresolved


def mark_literal_dollars(word: PText, reason: str) -> PText:
    if "$" not in word.text or any(isinstance(tag, Unresolved) for tag in word.all_tags()):
        return word
    return word.with_tag(ExecLiteral(reason.format(word=word.text)))


def _literal_word(word: Word) -> PText:
    pieces = [part.text if isinstance(part, Lit) else _placeholder(part) if isinstance(part, Template) else part.raw
              for part in word.parts]
    return PText.join(pieces)


def _placeholder(part: Template) -> PText:
    """A template placeholder stays as written and is unknown (unless the format already said why)."""
    if any(isinstance(tag, Unresolved) for tag in part.raw.all_tags()):
        return part.raw
    return part.raw.with_tag(Unresolved(f"template placeholder {part.shown}"))


def split_without_shell(text: PText, literal_reason: str) -> tuple[list[PText], list[str]]:
    """Words of a command line split with shell quoting but no expansion; plus quoting errors.

    `literal_reason` (with `{word}`) explains why a `$` in a word reaches the program unexpanded."""
    lexed = tokenize(text, shell=False)
    words: list[PText] = []
    for token in lexed.tokens:
        if isinstance(token, Word):
            words.append(mark_literal_dollars(_literal_word(token), literal_reason))
        elif token.text != "\n":
            words.append(token.raw)
    return words, [message for _, message in lexed.errors]
