"""Parse a gunicorn argv (already shell-split) exactly as gunicorn 27's argparse parser would.

Supported: short and long options, `--opt=value`, glued short options (`-w4`, `-Dw4`), unique prefixes of long options
(`--work 4`, argparse's allow_abbrev), repeated `-b`/`-e` (append), store_true/store_const flags, `--proxy-protocol`
with its optional argument, the positional APP_MODULE, `--` and the underscore spelling `--limit-request-field_size`.
Unknown options are reported with the closest real option. Every parsed option carries a Source from the caller's
`source_for(index)`, so a compose/Dockerfile loader can point at the option's own line and column.

Values that still contain shell expansions (`$WORKERS`, `${X:-4}`) are kept as text and the setting becomes unknown
(`shell_vars=True`, the default for command lines taken from files). GUNICORN_CMD_ARGS is not shell-expanded by
gunicorn, so it is parsed with `shell_vars=False`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from advisor.lazy_regex import lazy_re
from advisor.loaders.gunicorn.convert import InvalidValue, NotStatic, cli_argument, model_value, validate
from advisor.loaders.gunicorn.origins import option_diagnostic
from advisor.loaders.gunicorn.settings import (
    EXIT_OPTIONS, OPTION_TO_SETTING, SettingSpec, suggest_option,
)
from advisor.model.deployment import Diagnostic
from advisor.model.provenance import Setting, Source

_SHELL_EXPANSION = lazy_re(r"\$(\{[^}]*\}?|[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]|\()")
_NEGATIVE_NUMBER = lazy_re(r"^-\d+$|^-\d*\.\d+$")


@dataclass(frozen=True, slots=True)
class ParsedOption:
    """One recognised option as written: `written` is the option text without its value (`-w` for `-w4`)."""

    flag: str  # the canonical option string it matched (`--workers` for `--work`)
    written: str
    setting: str | None  # None for -h/--help and -v/--version
    value: str | None  # the argument text (None for flags)
    index: int  # argv index of the option
    source: Source


@dataclass(frozen=True, slots=True)
class UnknownOption:
    text: str
    index: int
    suggestion: str | None
    source: Source

    def message(self) -> str:
        hint = f"; did you mean {self.suggestion}?" if self.suggestion else ""
        return f"gunicorn does not know the option {self.text}{hint} (it exits: \"unrecognized arguments\")"


@dataclass(slots=True)
class ParsedArgs:
    argv: list[str]
    options: list[ParsedOption] = field(default_factory=list)
    settings: dict[str, Setting] = field(default_factory=dict)  # converted values, keyed by setting name
    config: Setting | None = None  # -c/--config
    app_module: Setting | None = None  # the first positional argument
    positionals: list[Setting] = field(default_factory=list)
    expansions: list[Setting] = field(default_factory=list)  # whole-word `${EXTRA_ARGS}`: may add any options
    unknown_options: list[UnknownOption] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)  # everything else argparse or a validator rejects
    exits_early: str | None = None  # "help" / "version": gunicorn prints and exits without serving

    @property
    def flags(self) -> list[str]:
        """The option strings as written, in order (`['-w', '--bind', '--chdir']`)."""
        return [option.written for option in self.options]

    def diagnostics(self) -> list[Diagnostic]:
        """Errors plus one error per unknown option, each at the option's position."""
        found = list(self.errors)
        for unknown in self.unknown_options:
            found.append(option_diagnostic(unknown.source, unknown.message()))
        return found


# `"$@"` / `$@` / `$*` (the script's arguments, not known) count as whole-word expansions too
_WHOLE_EXPANSION = lazy_re(r"^\$(\{[^}]*\}|[A-Za-z_][A-Za-z0-9_]*|[@*])$|^\"\$(@|\{@\})\"$")


def contains_shell_expansion(text: str) -> bool:
    return _SHELL_EXPANSION.search(text) is not None or "`" in text


def default_source_for(argv: list[str]) -> Callable[[int], Source]:
    return lambda index: Source.option("gunicorn command line")


def parse_gunicorn_args(argv: list[str], source_for: Callable[[int], Source] | None = None, *,
                        shell_vars: bool = True) -> ParsedArgs:
    """Parse gunicorn's arguments (without the program name). Never raises for bad input."""
    parser = _Parser(list(argv), source_for or default_source_for(argv), shell_vars)
    return parser.parse()


# --- argparse's classification --------------------------------------------------------------------------------------

@dataclass(slots=True)
class _Match:
    flag: str | None  # canonical option string, None when unknown
    written: str
    explicit: str | None  # text after "=" or glued to a short option
    ambiguous: tuple[str, ...] = ()


def _option_takes(flag: str) -> str:
    """'one', 'optional' or 'none': how many arguments the option consumes."""
    if flag in EXIT_OPTIONS:
        return "none"
    spec = OPTION_TO_SETTING[flag]
    if spec.nargs == "?":
        return "optional"
    return "one" if spec.takes_value else "none"


_ALL_FLAGS: tuple[str, ...] = tuple(OPTION_TO_SETTING) + tuple(EXIT_OPTIONS)


def _classify(text: str) -> _Match | None:
    """None for a positional; otherwise the option argparse would take it for (argparse `_parse_optional`)."""
    if not text or text[0] != "-":
        return None
    if text in _ALL_FLAGS:
        return _Match(text, text, None)
    if len(text) == 1:
        return None
    if "=" in text:
        head, explicit = text.split("=", 1)
        if head in _ALL_FLAGS:
            return _Match(head, head, explicit)
    candidates = _prefix_candidates(text)
    if len(candidates) > 1:
        return _Match(None, text, None, tuple(candidate.flag for candidate in candidates))  # type: ignore[misc]
    if len(candidates) == 1:
        return candidates[0]
    if _NEGATIVE_NUMBER.match(text) or " " in text:
        return None
    return _Match(None, text, None)


def _prefix_candidates(text: str) -> list[_Match]:
    found: list[_Match] = []
    if text.startswith("--"):
        head, explicit = text, None
        if "=" in text:
            head, explicit = text.split("=", 1)
        for flag in _ALL_FLAGS:
            if flag.startswith(head):
                found.append(_Match(flag, head, explicit))
        return found
    short, glued = text[:2], text[2:]
    for flag in _ALL_FLAGS:
        if flag == short:
            found.append(_Match(flag, short, glued))
        elif flag.startswith(text):
            found.append(_Match(flag, text, None))
    return found


def _with_detail(source: Source, text: str) -> Source:
    return replace(source, detail=f"{source.detail}: {text}" if source.detail else text)


def _argument_name(flag: str) -> str:
    if flag in EXIT_OPTIONS:
        return "/".join(option for option in EXIT_OPTIONS if EXIT_OPTIONS[option] == EXIT_OPTIONS[flag])
    return "/".join(OPTION_TO_SETTING[flag].cli)


class _Parser:
    def __init__(self, argv: list[str], source_for: Callable[[int], Source], shell_vars: bool) -> None:
        self.argv = argv
        self.source_for = source_for
        self.shell_vars = shell_vars
        self.result = ParsedArgs(argv)
        self.values: dict[str, list[tuple[Any, int, ParsedOption]]] = {}  # setting -> occurrences
        self.positional_done = False

    def source(self, index: int) -> Source:
        try:
            return self.source_for(index)
        except Exception:  # a caller's mapping must not break parsing
            return Source.option("gunicorn command line")

    def error(self, index: int, message: str) -> None:
        self.result.errors.append(option_diagnostic(self.source(index), message))

    def parse(self) -> ParsedArgs:
        argv = self.argv
        kinds: list[str] = []  # 'O' option, 'A' argument, '-' the "--" marker
        matches: list[_Match | None] = []
        rest_positional = False
        for text in argv:
            if rest_positional:
                kinds.append("A")
                matches.append(None)
            elif text == "--":
                kinds.append("-")
                matches.append(None)
                rest_positional = True
            else:
                match = _classify(text)
                kinds.append("O" if match is not None else "A")
                matches.append(match)
        index = 0
        while index < len(argv):
            if kinds[index] == "O":
                index = self.consume_option(index, matches[index], kinds)  # type: ignore[arg-type]
            else:
                end = index
                while end < len(argv) and kinds[end] != "O":
                    end += 1
                self.consume_positionals(index, end, kinds)
                index = end
        self.finish()
        return self.result

    def consume_positionals(self, start: int, end: int, kinds: list[str]) -> None:
        indexes = [i for i in range(start, end) if kinds[i] == "A"]
        if self.shell_vars:
            for i in [i for i in indexes if _WHOLE_EXPANSION.match(self.argv[i])]:
                source = _with_detail(self.source(i), self.argv[i])
                self.result.expansions.append(Setting.unknown(
                    f"{self.argv[i]} is expanded by the shell and may add options advisor cannot see",
                    *_where(source), raw=self.argv[i]))
                indexes.remove(i)
        if self.positional_done:
            if indexes:
                texts = " ".join(self.argv[i] for i in indexes)
                self.error(indexes[0], f"gunicorn exits: unrecognized arguments: {texts} (only one run of "
                                       "positional arguments (APP_MODULE) is allowed)")
            return
        self.positional_done = bool(indexes) or self.positional_done
        for i in indexes:
            text = self.argv[i]
            source = _with_detail(self.source(i), text)
            if self.shell_vars and contains_shell_expansion(text):
                setting = Setting.unknown(f"{text!r} is expanded by the shell; advisor keeps it as text",
                                          *_where(source), raw=text)
            else:
                setting = Setting(text, source, text)
            self.result.positionals.append(setting)
        if self.result.positionals and self.result.app_module is None:
            self.result.app_module = self.result.positionals[0]

    def consume_option(self, index: int, match: _Match, kinds: list[str]) -> int:
        text = self.argv[index]
        if match.flag is None:
            if match.ambiguous:
                self.error(index, f"gunicorn exits: ambiguous option: {match.written} could match "
                                  f"{', '.join(match.ambiguous)}")
                return index + 1
            suggestion = suggest_option(text)
            self.result.unknown_options.append(
                UnknownOption(text, index, suggestion, _with_detail(self.source(index), text)))
            # gunicorn exits on the unknown option either way; taking the next word as its value (when the
            # option it resembles takes one) avoids a second, confusing "unrecognized arguments" report.
            next_is_argument = index + 1 < len(self.argv) and kinds[index + 1] == "A"
            if suggestion and "=" not in text and next_is_argument and _option_takes(suggestion) == "one":
                return index + 2
            return index + 1
        flag, explicit, written = match.flag, match.explicit, match.written
        while True:
            takes = _option_takes(flag)
            if explicit is not None:
                if takes == "none":
                    if not flag.startswith("--") and explicit != "":
                        # combined short flags: -Dw4 is -D then -w4
                        self.record(flag, written, None, index)
                        next_flag = "-" + explicit[0]
                        if next_flag not in _ALL_FLAGS:
                            self.error(index, f"gunicorn exits: argument {_argument_name(flag)}: ignored explicit "
                                              f"argument {explicit!r}")
                            return index + 1
                        flag, written, explicit = next_flag, next_flag, explicit[1:] or None
                        continue
                    self.error(index, f"gunicorn exits: argument {_argument_name(flag)}: ignored explicit "
                                      f"argument {explicit!r}")
                    return index + 1
                self.record(flag, written, explicit, index)
                return index + 1
            if takes == "none":
                self.record(flag, written, None, index)
                return index + 1
            value_index = index + 1
            while value_index < len(self.argv) and kinds[value_index] == "-":
                value_index += 1  # "--" markers may precede the argument
            has_argument = value_index < len(self.argv) and kinds[value_index] == "A"
            if takes == "optional":
                if has_argument:
                    self.record(flag, written, self.argv[value_index], index)
                    return value_index + 1
                self.record(flag, written, None, index)
                return index + 1
            if not has_argument:
                self.error(index, f"gunicorn exits: argument {_argument_name(flag)}: expected one argument")
                return index + 1
            self.record(flag, written, self.argv[value_index], index)
            return value_index + 1

    def record(self, flag: str, written: str, value: str | None, index: int) -> None:
        option_text = written if value is None else f"{written} {value}"
        source = _with_detail(self.source(index), option_text)
        if flag in EXIT_OPTIONS:
            self.result.options.append(ParsedOption(flag, written, None, value, index, source))
            self.result.exits_early = self.result.exits_early or EXIT_OPTIONS[flag]
            return
        spec = OPTION_TO_SETTING[flag]
        option = ParsedOption(flag, written, spec.name, value, index, source)
        self.result.options.append(option)
        if spec.action == "store_true":
            argument: Any = True
        elif spec.action == "store_const":
            argument = spec.const
        elif value is None:  # --proxy-protocol without an argument
            argument = spec.const
        else:
            argument = value
        self.values.setdefault(spec.name, []).append((argument, index, option))

    def finish(self) -> None:
        for name, occurrences in self.values.items():
            spec = OPTION_TO_SETTING[occurrences[0][2].flag]
            setting = self.convert(spec, occurrences)
            self.result.settings[name] = setting
            if name == "config":
                self.result.config = setting

    def convert(self, spec: SettingSpec, occurrences: list[tuple[Any, int, ParsedOption]]) -> Setting:
        if spec.action == "append":
            used = occurrences
        else:
            used = occurrences[-1:]  # argparse: the last one wins
        first_option = used[0][2]
        source = first_option.source if spec.action != "append" or len(used) == 1 else Source(
            first_option.source.kind, first_option.source.path, first_option.source.line,
            first_option.source.column,
            "; ".join(option.source.detail or option.written for _, _, option in used),
            tuple(option.source for _, _, option in used))
        raw_texts = [text for text, _, _ in used if isinstance(text, str)]
        raw = " ".join(raw_texts) if raw_texts else None
        typed: list[Any] = []
        for argument, index, option in used:
            if isinstance(argument, str) and self.shell_vars and contains_shell_expansion(argument):
                return Setting.unknown(f"{option.written} {argument!r} is expanded by the shell when gunicorn "
                                       "starts; advisor keeps it as text", *_where(option.source), raw=argument)
            if isinstance(argument, str) and spec.takes_value:
                try:
                    argument = cli_argument(spec, argument)
                except InvalidValue as error:
                    self.error(index, f"gunicorn exits: argument {'/'.join(spec.cli)}: {error}")
                    return Setting.unknown(f"invalid value for {option.written}: {error}", *_where(option.source),
                                           raw=raw)
            typed.append(argument)
        value: Any = typed if spec.action == "append" else typed[0]
        index = used[-1][1]
        try:
            validated = validate(spec, value)
            model, bind_raw = model_value(spec, validated)
        except InvalidValue as error:
            self.error(index, f"Invalid value for {spec.name}: {value!r} ({error}); gunicorn refuses to start")
            return Setting.unknown(f"invalid value: {error}", *_where(source), raw=raw)
        except NotStatic as error:
            return Setting.unknown(str(error), *_where(source), raw=raw)
        return Setting(model, source, bind_raw or raw)


def _where(source: Source) -> tuple[str | None, int | None, int | None]:
    position = source.position()
    if position is None:
        return None, None, None
    return position.path, position.line, position.column
