"""Parse a uvicorn argv (already shell-split) as uvicorn 0.54.0's click command would.

click rules that matter: long options only (`--port 8000`, `--port=8000`), no abbreviations, options and the APP
argument in any order, an option's value is the next word even when it starts with `-`, `--` ends the options,
repeated options: the last wins (`--header`, `--reload-dir`... append), exactly one APP argument. Bad input never
raises; it becomes a diagnostic at the option's position: the reason uvicorn exits, and what advisor did with the
option instead (`exit_message`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from advisor.loaders.gunicorn.origins import option_diagnostic
from advisor.loaders.uvicorn.options import EXIT_FLAGS, FLAG_TO_OPTION, UvicornOption, suggest_flag
from advisor.model.deployment import Diagnostic
from advisor.model.provenance import Setting, Source

_SHELL_EXPANSION = re.compile(r"\$(\{[^}]*\}?|[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]|\()|`")
# `"$@"` / `$@` / `$*` (the script's arguments, not known) count as whole-word expansions too
_WHOLE_EXPANSION = re.compile(r"^\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|[@*])$|^\"\$(@|\{@\})\"$")
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


@dataclass(frozen=True, slots=True)
class UvicornParsedOption:
    flag: str
    setting: str | None  # None for --help / --version
    value: str | None
    index: int
    value_index: int | None
    source: Source


@dataclass(slots=True)
class UvicornArgs:
    argv: list[str]
    options: list[UvicornParsedOption] = field(default_factory=list)
    settings: dict[str, Setting] = field(default_factory=dict)
    app: Setting | None = None
    expansions: list[Setting] = field(default_factory=list)  # whole-word `${EXTRA_ARGS}`: may add any options
    errors: list[Diagnostic] = field(default_factory=list)
    exits_early: str | None = None

    @property
    def flags(self) -> list[str]:
        return [option.flag for option in self.options]

    def diagnostics(self) -> list[Diagnostic]:
        return list(self.errors)


class InvalidOptionValue(ValueError):
    pass


def exit_message(reason: str, consequence: str) -> str:
    """One sentence for an option uvicorn rejects: what is wrong, then what advisor checked or skipped for it."""
    return f"uvicorn exits at start: {reason}; {consequence}"


def skipped_checks(flag: str) -> str:
    return f"the checks that need {flag} were skipped"


_WITHOUT_IT = "advisor checked the rest of the command without it"


def convert_value(option: UvicornOption, text: str) -> Any:
    """click's type conversion for one option value; raises InvalidOptionValue with click's wording."""
    if option.type == "int":
        try:
            return int(text.strip())
        except ValueError:
            raise InvalidOptionValue(f"{text!r} is not a valid integer") from None
    if option.type == "float":
        try:
            return float(text.strip())
        except ValueError:
            raise InvalidOptionValue(f"{text!r} is not a valid float") from None
    if option.type in ("bool", "flag"):
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise InvalidOptionValue(f"{text!r} is not a valid boolean")
    if option.type == "choice" and text not in option.choices:
        raise InvalidOptionValue(f"{text!r} is not one of {', '.join(repr(c) for c in option.choices)}")
    return text


def has_shell_expansion(text: str) -> bool:
    return _SHELL_EXPANSION.search(text) is not None


def parse_uvicorn_args(argv: list[str], source_for: Callable[[int], Source] | None = None) -> UvicornArgs:
    """Parse uvicorn's arguments (without the program name). Never raises for bad input."""
    def source(index: int, text: str) -> Source:
        base = source_for(index) if source_for is not None else Source.option("uvicorn command line")
        detail = f"{base.detail}: {text}" if base.detail else text
        return Source(base.kind, base.path, base.line, base.column, detail, base.inputs)

    result = UvicornArgs(list(argv))
    occurrences: dict[str, list[tuple[Any, UvicornParsedOption]]] = {}
    positionals: list[tuple[int, str]] = []
    index = 0
    only_positionals = False
    while index < len(argv):
        text = argv[index]
        if text == "--" and not only_positionals:
            only_positionals = True
            index += 1
            continue
        if only_positionals or not text.startswith("--"):
            positionals.append((index, text))
            index += 1
            continue
        flag, has_equals, inline = text.partition("=")
        if flag in EXIT_FLAGS:
            result.options.append(UvicornParsedOption(flag, None, None, index, None, source(index, flag)))
            result.exits_early = result.exits_early or EXIT_FLAGS[flag]
            index += 1
            continue
        if flag not in FLAG_TO_OPTION:
            suggestion = suggest_flag(text)
            hint = f" (did you mean {suggestion}?)" if suggestion else ""
            result.errors.append(option_diagnostic(source(index, text), exit_message(
                f"there is no option {flag}{hint}", _WITHOUT_IT)))
            # uvicorn exits either way; taking the next word as the value of the option it resembles avoids a
            # second, confusing "unexpected extra argument" report.
            resembles = FLAG_TO_OPTION.get(suggestion or "")
            takes_next = (resembles is not None and resembles[0].takes_value and not has_equals
                          and index + 1 < len(argv) and not argv[index + 1].startswith("--"))
            index += 2 if takes_next else 1
            continue
        option, switch_value = FLAG_TO_OPTION[flag]
        if not option.takes_value:
            if has_equals:
                result.errors.append(option_diagnostic(source(index, text), exit_message(
                    f"{flag} takes no value ({text})", f"advisor checked the rest of the command with {flag} set")))
            parsed = UvicornParsedOption(flag, option.name, None, index, None, source(index, flag))
            result.options.append(parsed)
            occurrences.setdefault(option.name, []).append((switch_value, parsed))
            index += 1
            continue
        if has_equals:
            value, value_index, consumed = inline, index, 1
        elif index + 1 < len(argv):
            value, value_index, consumed = argv[index + 1], index + 1, 2
        else:
            result.errors.append(option_diagnostic(source(index, text), exit_message(
                f"{flag} needs a value and the command ends there",
                f"advisor checked the rest of the command with {flag} at its default")))
            index += 1
            continue
        parsed = UvicornParsedOption(flag, option.name, value, index, value_index, source(index, f"{flag} {value}"))
        result.options.append(parsed)
        occurrences.setdefault(option.name, []).append((value, parsed))
        index += consumed
    _finish_settings(result, occurrences)
    _finish_app(result, positionals, source)
    return result


def _finish_settings(result: UvicornArgs, occurrences: dict[str, list[tuple[Any, UvicornParsedOption]]]) -> None:
    for name, found in occurrences.items():
        option, _ = FLAG_TO_OPTION[found[0][1].flag]
        used = found if option.multiple else found[-1:]
        values: list[Any] = []
        unknown: Setting | None = None
        for value, parsed in used:
            if isinstance(value, str) and has_shell_expansion(value):
                unknown = Setting.unknown(f"{parsed.flag} {value!r} is expanded by the shell when uvicorn starts",
                                          *_where(parsed.source), raw=value)
                break
            if isinstance(value, str):
                try:
                    value = convert_value(option, value)
                except InvalidOptionValue as error:
                    result.errors.append(option_diagnostic(parsed.source, exit_message(
                        f"{parsed.flag} {error}", skipped_checks(parsed.flag))))
                    unknown = Setting.unknown(f"invalid value for {parsed.flag}: {error}", *_where(parsed.source),
                                              raw=str(value))
                    break
            values.append(value)
        if unknown is not None:
            result.settings[name] = unknown
            continue
        last = used[-1][1]
        raw = " ".join(str(parsed.value) for _, parsed in used if parsed.value is not None) or last.flag
        result.settings[name] = Setting(values if option.multiple else values[0], last.source, raw)


def _finish_app(result: UvicornArgs, positionals: list[tuple[int, str]], source: Callable[[int, str], Source]) -> None:
    for index, text in [item for item in positionals if _WHOLE_EXPANSION.match(item[1])]:
        result.expansions.append(Setting.unknown(f"{text} is expanded by the shell and may add options advisor "
                                                 "cannot see", *_where(source(index, text)), raw=text))
    positionals = [item for item in positionals if not _WHOLE_EXPANSION.match(item[1])]
    if positionals:
        index, text = positionals[0]
        where = source(index, text)
        if has_shell_expansion(text):
            result.app = Setting.unknown(f"{text!r} is expanded by the shell", *_where(where), raw=text)
        else:
            result.app = Setting(text, where, text)
    for index, text in positionals[1:]:
        result.errors.append(option_diagnostic(source(index, text), exit_message(
            f"unexpected extra argument {text} (uvicorn takes one APP argument)", _WITHOUT_IT)))


def _where(source: Source) -> tuple[str | None, int | None, int | None]:
    position = source.position()
    if position is None:
        return None, None, None
    return position.path, position.line, position.column
