"""Variables and their expansion: shell parameter expansion with field splitting, and docker-compose interpolation.

Values keep their provenance: every expanded character is tagged with the variable it came from (`VarUse`, with the
Source of the assignment) or with why it could not be resolved (`Unresolved`). An unresolved expansion stays in the
text as written (`$WORKERS`), so the gunicorn parser sees a shell expansion and the setting becomes unknown; the
tag carries the reason ("$WORKERS is not set and has no default").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from advisor.loaders.sources.shell_lex import CommandSub, Lit, Param, Part, Template, Word
from advisor.loaders.sources.text import DefaultUsed, PText, Unresolved, VarUse, source_at
from advisor.model.provenance import Source

_IFS = " \t\n"
MAX_VALUE_CHARS = 64 * 1024  # a longer variable value or expanded word is unknown (self-doubling `A=$A$A`)
_POSITIONAL = "@*0123456789#"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _too_long(what: str) -> str:
    return f"{what} expands to more than {MAX_VALUE_CHARS} characters; advisor does not follow it"


@dataclass(frozen=True, slots=True)
class VarValue:
    """One variable: its value with positions (None when unknown), where it was set (None: `--env`)."""

    name: str
    text: PText | None
    source: Source | None
    reason: str | None = None
    exported: bool = False
    alternatives: tuple[str, ...] = ()  # when it depends on a condition: the values it may have, described

    @property
    def known(self) -> bool:
        return self.text is not None

    @property
    def unresolved_reasons(self) -> list[str]:
        if self.text is None:
            return [self.reason or f"${self.name} is not known"]
        return [tag.reason for tag in self.text.all_tags() if isinstance(tag, Unresolved)]


def where(source: Source | None) -> str:
    if source is None:
        return "--env"
    if source.path and source.line:
        return f"{source.path}:{source.line}"
    return source.describe()


class Environment:
    """Variables visible at one point of a script (or in a container), plus a hint for unset ones."""

    def __init__(self, values: dict[str, VarValue] | None = None, unset_hint: str = "",
                 positional: list[PText] | None = None) -> None:
        self.values: dict[str, VarValue] = dict(values or {})
        self.unset_hint = unset_hint
        self.allexport = False
        # `$1`, `"$@"`...: the arguments the script was started with; None when they are not known
        self.positional: list[PText] | None = None if positional is None else list(positional)

    @classmethod
    def from_host(cls, env: dict[str, str], unset_hint: str = "") -> "Environment":
        return cls({name: VarValue(name, PText(value), None, exported=True) for name, value in env.items()},
                   unset_hint)

    def copy(self) -> "Environment":
        clone = Environment(self.values, self.unset_hint, self.positional)
        clone.allexport = self.allexport
        return clone

    def get(self, name: str) -> VarValue | None:
        return self.values.get(name)

    def set(self, value: VarValue) -> None:
        if value.text is not None and len(value.text.text) > MAX_VALUE_CHARS:  # `A=$A$A` doubling, or a huge value
            value = replace(value, text=None, reason=_too_long(f"${value.name}"))
        previous = self.values.get(value.name)
        exported = value.exported or self.allexport or (previous is not None and previous.exported)
        self.values[value.name] = replace(value, exported=exported)

    def unset(self, name: str) -> None:
        self.values.pop(name, None)

    def export(self, name: str) -> None:
        if name in self.values:
            self.values[name] = replace(self.values[name], exported=True)

    def exported(self) -> dict[str, VarValue]:
        return {name: value for name, value in self.values.items() if value.exported}

    def not_set_reason(self, name: str) -> str:
        return f"${name} is not set and has no default{self.unset_hint} (pass --env {name}=...)"


@dataclass(slots=True)
class _Segment:
    text: PText
    splittable: bool  # an unquoted expansion: blanks in it separate fields
    quoted: bool
    boundary: bool = False  # ends the field before it (between the arguments of "$@")


_BOUNDARY = _Segment(PText(""), False, False, boundary=True)


def _unresolved(raw: PText, reason: str, quoted: bool) -> _Segment:
    """The expansion as written, tagged with the reason; quoted ones keep their quotes so that the gunicorn parser
    takes them for one argument, not for "may add options"."""
    tag = Unresolved(reason)
    text = raw.with_tag(tag)
    if quoted:
        first, last = raw.at(), raw.origins[-1] if len(raw) else None
        text = PText('"', (first,), ((tag,),)) + text + PText('"', (last,), ((tag,),))
    return _Segment(text, False, quoted)


class Expander:
    """Shell parameter expansion of words against an Environment (assignments `${X:=v}` update it)."""

    def __init__(self, env: Environment) -> None:
        self.env = env

    # -- public ------------------------------------------------------------------------------------------------
    def fields(self, word: Word) -> list[PText]:
        """The words a shell would pass after expansion and field splitting (no pathname expansion)."""
        if self.forwards_no_arguments(word):
            return []
        fields: list[PText] = []
        current: list[PText] = []
        in_field = False  # a field has started (possibly empty, from `""`)
        for segment in self.segments(word.parts):
            if segment.boundary:
                fields.append(PText.join(current))
                current, in_field = [], False
                continue
            if not segment.splittable:
                current.append(segment.text)
                in_field = True
                continue
            text = segment.text.text
            start = 0
            for index, char in enumerate(text):
                if char not in _IFS or _is_unresolved(segment.text.tags[index]):
                    continue  # a blank inside `$(cmd arg)` or `{{ x }}` kept as written is not a separator
                if index > start:
                    current.append(segment.text[start:index])
                    in_field = True
                if in_field:
                    fields.append(PText.join(current))
                current, in_field = [], False
                start = index + 1
            if start < len(text):
                current.append(segment.text[start:])
                in_field = True
        if in_field:
            fields.append(PText.join(current))
        return fields

    def value(self, parts: list[Part]) -> PText:
        """Expansion without field splitting (assignment values, `${X:-word}` arguments)."""
        return PText.join(segment.text if not segment.boundary else PText(" ") for segment in self.segments(parts))

    def forwards_no_arguments(self, word: Word) -> bool:
        """`"$@"` (or `$@`, `$*`) alone when the script was started without arguments: no word at all."""
        if self.env.positional is None or self.env.positional:
            return False
        expansions = [part for part in word.parts if not (isinstance(part, Lit) and part.text.text == "")]
        return len(expansions) == 1 and isinstance(expansions[0], Param) and expansions[0].name in ("@", "*") \
            and expansions[0].op is None and (expansions[0].name == "@" or not expansions[0].quoted)

    # -- parts -------------------------------------------------------------------------------------------------
    def segments(self, parts: list[Part]) -> list[_Segment]:
        found: list[_Segment] = []
        length = 0
        for part in parts:
            if length > MAX_VALUE_CHARS and not isinstance(part, Lit):  # `$A$A$A...` of a huge value
                found.append(_unresolved(part.raw, _too_long(part.raw.text), part.quoted))
                continue
            before = len(found)
            if isinstance(part, Lit):
                found.append(_Segment(part.text, False, part.quoted))
            elif isinstance(part, CommandSub):
                found.append(_unresolved(part.raw, _command_reason(part), part.quoted))
            elif isinstance(part, Template):
                found.append(_unresolved(part.raw, f"template placeholder {part.shown}", part.quoted))
            else:
                found.extend(self.parameter(part))
            length += sum(len(segment.text.text) for segment in found[before:])
        return found

    def parameter(self, param: Param) -> list[_Segment]:
        name, op, quoted = param.name, param.op, param.quoted
        if op == "unsupported":
            return [_unresolved(param.raw, f"{param.raw.text} uses a shell expansion advisor does not evaluate",
                                quoted)]
        if name and name[0] in _POSITIONAL or name in ("@", "*"):
            if self.env.positional is None or name == "0":
                return self.fallback(param, f"{param.raw.text} is an argument the script is started with, not "
                                            "known from the file")
            if name in ("@", "*") and op is None:
                return self.arguments(param)
            variable = self.positional_variable(name)
            if variable is None and op is None:
                return [_Segment(PText(""), not quoted, quoted)]  # not passed: empty, as the shell expands it
            return self.variable_parameter(param, variable)
        if name in ("$", "!", "?", "-"):
            return self.fallback(param, f"{param.raw.text} is a run-time value of the shell")
        return self.variable_parameter(param, self.env.get(name))

    def positional_variable(self, name: str) -> VarValue | None:
        """`$1`..., `$#`, `$@` as a variable (None: not passed), from the arguments the script was started with."""
        arguments = self.env.positional or []
        if name == "#":
            return VarValue(name, PText(str(len(arguments))), None)
        if name in ("@", "*"):
            text = PText.join(_joined(arguments)) if arguments else None
            return VarValue(name, text, None) if text is not None else None
        number = int(name)
        if number > len(arguments):
            return None
        argument = arguments[number - 1]
        return VarValue(name, argument, source_at(argument.at(), f"argument {argument.text}"))

    def arguments(self, param: Param) -> list[_Segment]:
        """`"$@"`: each argument one field; `$@`, `$*`: the arguments, split again; `"$*"`: one field."""
        arguments = self.env.positional or []
        if param.quoted and param.name == "*":
            return [_Segment(PText.join(_joined(arguments)), False, True)]
        if not param.quoted:
            return [_Segment(PText.join(_joined(arguments)), True, False)]
        segments: list[_Segment] = []
        for index, argument in enumerate(arguments):
            if index:
                segments.append(_BOUNDARY)
            segments.append(_Segment(argument, False, True))
        return segments

    def variable_parameter(self, param: Param, variable: VarValue | None) -> list[_Segment]:
        name, op, quoted = param.name, param.op, param.quoted
        is_set = variable is not None
        empty = is_set and variable.known and variable.text.text == ""  # type: ignore[union-attr]
        if op is None:
            if variable is None:
                return [_unresolved(param.raw, self.env.not_set_reason(name), quoted)]
            return [self.use(variable, param)]
        if op in (":-", "-", ":=", "="):
            use_default = not is_set or (op.startswith(":") and empty)
            if not use_default:
                return [self.use(variable, param)]  # type: ignore[arg-type]
            default = self.argument(param, DefaultUsed(name))
            if op in (":=", "="):
                self.env.set(VarValue(name, default, None, exported=False))
            return [_Segment(default, not quoted, quoted)]
        if op in (":+", "+"):
            if variable is not None and not variable.known:
                return [_unresolved(param.raw, variable.reason or f"${name} is not known", quoted)]
            if is_set and not (op == ":+" and empty):
                return [_Segment(self.argument(param, VarUse(name, variable.source, "")), not quoted,  # type: ignore
                                 quoted)]
            return [_Segment(PText(""), not quoted, quoted)]
        # ":?" / "?": the shell exits when unset
        if variable is None or (op == ":?" and empty):
            return [_unresolved(param.raw, f"{param.raw.text}: ${name} is required and not set; the shell exits "
                                           f"(pass --env {name}=...)", quoted)]
        return [self.use(variable, param)]

    def fallback(self, param: Param, reason: str) -> list[_Segment]:
        """Positional/special parameters: only a `${1:-default}` style default is usable."""
        if param.op in (":-", "-", ":=", "=") and param.arg is not None:
            return [_Segment(self.argument(param, DefaultUsed(param.name)), not param.quoted, param.quoted)]
        return [_unresolved(param.raw, reason, param.quoted)]

    def argument(self, param: Param, tag: DefaultUsed | VarUse) -> PText:
        return self.value(param.arg or []).with_tag(tag)

    def use(self, variable: VarValue, param: Param) -> _Segment:
        if not variable.known:
            return _unresolved(param.raw, variable.reason or f"${variable.name} is not known", param.quoted)
        tag = VarUse(variable.name, variable.source, variable.text.text, param.raw.at())  # type: ignore[union-attr]
        return _Segment(variable.text.with_tag(tag), not param.quoted, param.quoted)  # type: ignore[union-attr]


def _command_reason(part: CommandSub) -> str:
    if part.arithmetic:
        return f"{part.raw.text} is shell arithmetic, which advisor does not evaluate"
    return f"{part.raw.text} is the output of a command, which advisor does not run"


def _is_unresolved(tags: tuple) -> bool:
    return any(isinstance(tag, Unresolved) for tag in tags)


def _joined(arguments: list[PText]) -> list[PText]:
    pieces: list[PText] = []
    for index, argument in enumerate(arguments):
        if index:
            pieces.append(PText(" "))
        pieces.append(argument)
    return pieces


# --- docker-compose interpolation ------------------------------------------------------------------------------------

def interpolate(text: PText, env: Environment) -> PText:
    """Compose's `${VAR}`, `$VAR`, `${VAR:-d}`, `${VAR-d}`, `${VAR:+r}`, `${VAR:?e}` and `$$` (a literal `$`).

    Compose does this on the raw YAML value before anything else (no quoting rules apply)."""
    out: list[PText] = []
    raw = text.text
    index = 0
    while index < len(raw):
        char = raw[index]
        if char != "$":
            out.append(text[index:index + 1])
            index += 1
            continue
        following = raw[index + 1:index + 2]
        if following == "$":
            out.append(text[index:index + 1])
            index += 2
            continue
        if following == "{":
            end = _closing_brace(raw, index + 1)
            out.append(_interpolate_braced(text, index, end, env))
            index = end
            continue
        match = _NAME.match(raw, index + 1)
        if match:
            out.append(_lookup(text[index:match.end()], match.group(), env))
            index = match.end()
            continue
        out.append(text[index:index + 1])
        index += 1
    return PText.join(out)


def _closing_brace(raw: str, open_index: int) -> int:
    depth = 0
    for index in range(open_index, len(raw)):
        if raw[index] == "{":
            depth += 1
        elif raw[index] == "}":
            depth -= 1
            if depth == 0:
                return index + 1
    return len(raw)


def _lookup(raw: PText, name: str, env: Environment) -> PText:
    variable = env.get(name)
    if variable is None:
        return raw.with_tag(Unresolved(env.not_set_reason(name)))
    if not variable.known:
        return raw.with_tag(Unresolved(variable.reason or f"${name} is not known"))
    return variable.text.with_tag(VarUse(name, variable.source, variable.text.text))  # type: ignore[union-attr]


def _interpolate_braced(text: PText, start: int, end: int, env: Environment) -> PText:
    raw = text[start:end]
    inner = text.text[start + 2:end - 1]
    match = _NAME.match(inner)
    if not match:
        return raw.with_tag(Unresolved(f"{raw.text} is not a valid compose interpolation"))
    name = match.group()
    rest = inner[match.end():]
    if not rest:
        return _lookup(raw, name, env)
    variable = env.get(name)
    for operator in (":-", "-", ":+", "+", ":?", "?"):
        if not rest.startswith(operator):
            continue
        arg_start = start + 2 + match.end() + len(operator)
        argument = interpolate(text[arg_start:end - 1], env)
        empty = variable is not None and variable.known and variable.text.text == ""  # type: ignore[union-attr]
        if variable is not None and not variable.known:
            return raw.with_tag(Unresolved(variable.reason or f"${name} is not known"))
        if operator in (":-", "-"):
            if variable is None or (operator == ":-" and empty):
                return argument.with_tag(DefaultUsed(name))
            return _lookup(raw, name, env)
        if operator in (":+", "+"):
            if variable is None or (operator == ":+" and empty):
                return PText("")
            return argument.with_tag(VarUse(name, variable.source, ""))
        if variable is None or (operator == ":?" and empty):
            return raw.with_tag(Unresolved(f"{raw.text}: compose refuses to start because ${name} is not set "
                                           f"(pass --env {name}=...)"))
        return _lookup(raw, name, env)
    return raw.with_tag(Unresolved(f"{raw.text} is not a valid compose interpolation"))
