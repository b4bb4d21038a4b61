"""Parse a uWSGI command line (already split into words) the way uWSGI 2.0.30's getopt_long does.

`--name value`, `--name=value`, flags (`--master`), options whose value must be glued (`--chmod-socket=660`),
short options (`-s :3031`, `-p4`, `-Mp 4`), a unique prefix of a long option (`--proc` is ambiguous, `--harak` is
not), `--` ends the options; every other word is a config file uWSGI loads after all options (`uwsgi app.ini`),
except words starting with `[`. An unknown option makes uWSGI exit ("getopt_long() error"). A word advisor cannot
resolve (`$UWSGI_ARGS`) may add options it cannot see: it is reported, as with gunicorn.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from advisor.loaders.uwsgi.entries import Entry, Word
from advisor.loaders.uwsgi.option_names import ALL_OPTIONS, NO_ARGUMENT, OPTIONAL_ARGUMENT
from advisor.loaders.uwsgi.options import SHORT_OPTIONS
from advisor.model.deployment import Diagnostic

EXIT_OPTIONS = {"help": "help", "usage": "help", "version": "version"}
# `$ARGS`, `${ARGS}`, `"$@"`: a whole word that a shell expands into any number of words
_WHOLE_EXPANSION = re.compile(r'^"?\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|[@*]|\{@\})"?$')


@dataclass(slots=True)
class UwsgiArgs:
    entries: list[Entry] = field(default_factory=list)  # options in command-line order (loads not yet read)
    configs: list[Word] = field(default_factory=list)  # config files given as plain arguments
    expansions: list[Word] = field(default_factory=list)  # whole words whose text is not known
    errors: list[Diagnostic] = field(default_factory=list)
    exits_early: str | None = None


def _error(word: Word, message: str) -> Diagnostic:
    position = word.source.position()
    return Diagnostic("ADV006", "error", message, position.path if position else None,
                      position.line if position else None, position.column if position else None,
                      fix="correct the option: uWSGI exits with this error when it starts")


def _long_name(text: str) -> str | None | tuple[str, ...]:
    """The option a long word names: exact, or a unique prefix (getopt_long); a tuple when ambiguous."""
    if text in ALL_OPTIONS:
        return text
    matches = tuple(sorted(name for name in ALL_OPTIONS if name.startswith(text)))
    if len(matches) == 1:
        return matches[0]
    return matches or None


def _entry(name: str, value: str | None, option_word: Word, value_word: Word | None) -> Entry:
    source = option_word.source
    unknown = option_word.unknown or (value_word.unknown if value_word is not None else None)
    shown = f"--{name} {value}" if value is not None else f"--{name}"
    notes = [item.source.detail for item in (option_word, value_word) if item is not None and item.source.detail]
    detail = "; ".join(dict.fromkeys(notes))
    return Entry(name, value, replace(source, detail=f"{detail}: {shown}" if detail else shown), unknown)


def parse_uwsgi_args(words: list[Word]) -> UwsgiArgs:
    """Parse uWSGI's arguments (without the program name). Never raises for bad input."""
    result = UwsgiArgs()
    index = 0
    only_arguments = False
    while index < len(words):
        word = words[index]
        text = word.text
        if word.unknown is not None and _WHOLE_EXPANSION.match(text):
            result.expansions.append(word)
            index += 1
            continue
        if only_arguments or not text.startswith("-") or text == "-":
            _argument(word, result)
            index += 1
            continue
        if text == "--":
            only_arguments = True
            index += 1
            continue
        if text.startswith("--"):
            index = _long(words, index, result)
        else:
            index = _short(words, index, result)
    return result


def _argument(word: Word, result: UwsgiArgs) -> None:
    if not word.text.startswith("["):
        result.configs.append(word)


def _long(words: list[Word], index: int, result: UwsgiArgs) -> int:
    word = words[index]
    written, equals, inline = word.text[2:].partition("=")
    named = _long_name(written)
    if named is None or isinstance(named, tuple):
        why = "unrecognized option" if named is None else f"option is ambiguous ({', '.join(named[:4])} ...)"
        result.errors.append(_error(word, f"uWSGI exits: {why} '--{written}' (getopt_long() error)"))
        return index + 1
    name = named
    if name in EXIT_OPTIONS:
        result.exits_early = result.exits_early or EXIT_OPTIONS[name]
        return index + 1
    if name in NO_ARGUMENT:
        if equals:
            result.errors.append(_error(word, f"uWSGI exits: option '--{name}' doesn't allow an argument "
                                              "(getopt_long() error)"))
            return index + 1
        result.entries.append(_entry(name, None, word, None))
        return index + 1
    if name in OPTIONAL_ARGUMENT:
        result.entries.append(_entry(name, inline if equals else None, word, word if equals else None))
        return index + 1
    if equals:
        result.entries.append(_entry(name, inline, word, word))
        return index + 1
    if index + 1 >= len(words):
        result.errors.append(_error(word, f"uWSGI exits: option '--{name}' requires an argument "
                                          "(getopt_long() error)"))
        return index + 1
    value_word = words[index + 1]
    result.entries.append(_entry(name, value_word.text, word, value_word))
    return index + 2


def _short(words: list[Word], index: int, result: UwsgiArgs) -> int:
    word = words[index]
    letters = word.text[1:]
    position = 0
    while position < len(letters):
        letter = letters[position]
        name = SHORT_OPTIONS.get(letter)
        if name is None:
            result.errors.append(_error(word, f"uWSGI exits: invalid option -- '{letter}' (getopt_long() error)"))
            return index + 1
        if name in EXIT_OPTIONS:
            result.exits_early = result.exits_early or EXIT_OPTIONS[name]
            return index + 1
        rest = letters[position + 1:]
        if name in NO_ARGUMENT:
            result.entries.append(_entry(name, None, word, None))
            position += 1
            continue
        if name in OPTIONAL_ARGUMENT:
            result.entries.append(_entry(name, rest or None, word, word if rest else None))
            return index + 1
        if rest:
            result.entries.append(_entry(name, rest, word, word))
            return index + 1
        if index + 1 >= len(words):
            result.errors.append(_error(word, f"uWSGI exits: option requires an argument -- '{letter}' "
                                              "(getopt_long() error)"))
            return index + 1
        value_word = words[index + 1]
        result.entries.append(_entry(name, value_word.text, word, value_word))
        return index + 2
    return index + 1


__all__ = ["EXIT_OPTIONS", "UwsgiArgs", "parse_uwsgi_args"]
