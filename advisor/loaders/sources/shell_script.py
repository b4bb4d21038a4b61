"""Read a shell script top to bottom the way advisor needs it: the variables each command sees, and the commands.

This is not a shell. It follows assignments (`X=1`, `export X=${X:-1}`, `${X:=1}`, `set -a`), `cd`, and which
commands run, in file order. Branches of `if`/`elif`/`else`, `case` items, loop bodies and commands after
`&&`/`||` are conditional: each branch starts from the values before the block, and after the block a variable
assigned in it has one value if every path agrees, else it is "one of several values" (unknown, the
alternatives are the reason; without an `else` the value from before the block is one of them). Function bodies
are read in place (a gunicorn command in a function sees the assignments before it). Nothing is executed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from advisor.loaders.sources.expand import Environment, Expander, VarValue, where
from advisor.loaders.sources.shell_lex import Lit, Op, Template, Word, is_redirection, tokenize
from advisor.loaders.sources.text import PText, Pos, source_at

_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?)=")
_OPENERS = {"if": "fi", "case": "esac", "while": "done", "until": "done", "for": "done", "select": "done"}
_SEPARATORS = frozenset({"\n", ";", "&", "&&", "||", "|", ";;", "(", ")"})
_DECLARERS = frozenset({"export", "readonly", "declare", "typeset", "local"})


@dataclass(slots=True)
class ShellCommand:
    """A simple command with its words expanded; `env` is what the started process inherits."""

    argv: list[PText]
    env: Environment
    cwd: PText | None
    position: Pos | None
    conditional: bool


@dataclass(slots=True)
class ScriptScan:
    commands: list[ShellCommand] = field(default_factory=list)
    errors: list[tuple[Pos | None, str]] = field(default_factory=list)
    env: Environment | None = None  # the variables at the end of the script


_PRIOR = object()
_MAX_SHOWN = 6  # alternatives listed in a reason


@dataclass(slots=True)
class _Block:
    """An open conditional block: values before it, and what each branch assigned (None: unset)."""

    kind: str  # if / case / loop / chain
    prior: dict[str, VarValue | None] = field(default_factory=dict)
    branches: list[dict[str, VarValue | None]] = field(default_factory=lambda: [{}])
    has_else: bool = False


class _Scanner:
    def __init__(self, env: Environment) -> None:
        self.env = env
        self.expander = Expander(env)
        self.blocks: list[_Block] = []
        self.case_expects_pattern = False
        self.cwd: PText | None = None
        self.result = ScriptScan()

    @property
    def conditional(self) -> bool:
        return bool(self.blocks)

    def scan(self, script: PText) -> ScriptScan:
        lexed = tokenize(script)
        self.result.errors.extend((where_.at(), message) for where_, message in lexed.errors)
        words: list[Word] = []
        tokens = lexed.tokens
        index = 0
        while index < len(tokens):
            token = tokens[index]
            if isinstance(token, Word):
                words.append(token)
                index += 1
                continue
            if is_redirection(token.text):
                index += 2 if index + 1 < len(tokens) and isinstance(tokens[index + 1], Word) else 1
                continue
            if token.text == "(" and len(words) == 1 and index + 1 < len(tokens) \
                    and isinstance(tokens[index + 1], Op) and tokens[index + 1].text == ")":
                words = []  # `name() {`: a function definition; its body is read in place
                index += 2
                continue
            self.end_command(words, token)
            words = []
            index += 1
        self.end_command(words, None)
        while self.blocks:
            self.close_block()
        self.result.env = self.env
        return self.result

    # -- blocks ------------------------------------------------------------------------------------------------
    def open_block(self, kind: str) -> None:
        self.blocks.append(_Block(kind, branches=[] if kind == "case" else [{}]))

    def new_branch(self, is_else: bool = False) -> None:
        if not self.blocks:
            return
        block = self.blocks[-1]
        if block.branches:
            for name in block.branches[-1]:
                self.put(name, block.prior[name])
        block.branches.append({})
        block.has_else = block.has_else or is_else

    def close_block(self) -> None:
        block = self.blocks.pop()
        names = list(dict.fromkeys(name for branch in block.branches for name in branch))
        for name in names:
            paths = [branch.get(name, _PRIOR) for branch in block.branches]
            if not block.has_else or not block.branches:
                paths.append(_PRIOR)
            values = [block.prior[name] if value is _PRIOR else value for value in paths]
            self.record(name, _merge(name, values))  # type: ignore[arg-type]

    def put(self, name: str, value: VarValue | None) -> None:
        if value is None:
            self.env.unset(name)
        else:
            self.env.values[name] = value

    def record(self, name: str, value: VarValue | None) -> None:
        """Assign, remembering the value before the innermost block the first time the name is assigned in it."""
        if self.blocks:
            block = self.blocks[-1]
            if not block.branches:
                block.branches.append({})
            if name not in block.prior:
                block.prior[name] = self.env.get(name)
            block.branches[-1][name] = value
        if value is None:
            self.env.unset(name)
        else:
            self.env.set(value)

    # -- commands ----------------------------------------------------------------------------------------------
    def end_command(self, words: list[Word], separator: Op | None) -> None:
        text = separator.text if separator is not None else "\n"
        if self.blocks and self.blocks[-1].kind == "case" and self.case_expects_pattern and text == ")":
            self.case_expects_pattern = False  # `pattern)`: not a command, it starts a branch
            self.new_branch(is_else=any(word.literal() == "*" for word in words))
        elif words:
            self.command(words)
        if text == ";;":
            self.case_expects_pattern = True
        if text in ("&&", "||"):
            if not (self.blocks and self.blocks[-1].kind == "chain"):
                self.open_block("chain")
        elif text in ("\n", ";", "&", ";;"):
            while self.blocks and self.blocks[-1].kind == "chain":
                self.close_block()

    def command(self, words: list[Word]) -> None:
        words = self.strip_reserved(words)
        if not words:
            return
        assignments: list[Word] = []
        while words and _assignment(words[0]) is not None:
            assignments.append(words.pop(0))
        if not words:
            for word in assignments:
                self.assign(word, exported=False)
            return
        name = words[0].unquoted_literal()
        if name in _DECLARERS:
            self.declare(name, words[1:])
            return
        if name == "unset":
            for word in words[1:]:
                literal = word.literal()
                if literal and not literal.startswith("-"):
                    self.record(literal, None)
            return
        if name == "set":
            self.set_options(words[1:])
            self.set_arguments(words[1:])
            return
        if name == "shift":
            self.shift(words[1:])
            return
        if name == "read":
            for word in words[1:]:
                literal = word.literal()
                if literal and _NAME_ONLY.match(literal):
                    self.record(literal, VarValue(literal, None, source_at(word.raw.at()),
                                                  f"${literal} is read from input at run time"))
            return
        if name == "cd" and len(words) > 1:
            fields = self.expander.fields(words[1])
            self.cwd = fields[0] if fields else None
            return
        process_env = self.env.copy()
        for word in assignments:
            self.assign(word, exported=True, into=process_env)
        argv: list[PText] = []
        for word in words:
            argv.extend(self.expander.fields(word))
        environment = Environment(dict(process_env.exported()), process_env.unset_hint)
        self.result.commands.append(ShellCommand(argv, environment, self.cwd, words[0].raw.at(),
                                                 self.conditional))

    def strip_reserved(self, words: list[Word]) -> list[Word]:
        words = list(words)
        while words:
            statement = _template_statement(words[0])
            if statement is not None:
                self.template_statement(statement)
                words.pop(0)
                continue
            keyword = words[0].unquoted_literal()
            if keyword in ("if", "while", "until"):
                self.open_block("if" if keyword == "if" else "loop")
                words.pop(0)
            elif keyword in ("case", "for", "select"):
                self.open_block("case" if keyword == "case" else "loop")
                if keyword == "case":
                    self.case_expects_pattern = True
                elif len(words) > 1 and words[1].literal():
                    loop_name = words[1].literal() or ""
                    self.record(loop_name, VarValue(loop_name, None, source_at(words[1].raw.at()),
                                                    f"${loop_name} is a loop variable"))
                return []
            elif keyword in ("elif", "else"):
                self.new_branch(is_else=keyword == "else")
                words.pop(0)
            elif keyword in ("fi", "done", "esac"):
                while self.blocks and self.blocks[-1].kind == "chain":
                    self.close_block()
                if self.blocks:
                    self.close_block()
                words.pop(0)
            elif keyword in ("then", "do", "{", "}", "!", "time", "function", "in"):
                words.pop(0)
                if keyword == "function":
                    return []
            else:
                break
        return words

    def template_statement(self, keyword: str) -> None:
        """`{% if %}`/`{% for %}` ... `{% endif %}` (ERB `<% if %>` ... `<% end %>`): the template renders one
        branch or repeats a body, so what they hold is conditional, like a shell `if`."""
        if keyword in ("if", "unless"):
            self.open_block("if")
        elif keyword in _TEMPLATE_BODIES:
            self.open_block("loop")
        elif keyword in ("elif", "elsif", "else"):
            self.new_branch(is_else=keyword == "else")
        elif keyword.startswith("end") and self.blocks:
            while self.blocks and self.blocks[-1].kind == "chain":
                self.close_block()
            if self.blocks:
                self.close_block()

    # -- variables ---------------------------------------------------------------------------------------------
    def assign(self, word: Word, *, exported: bool, into: Environment | None = None) -> None:
        parsed = _assignment(word)
        if parsed is None:
            return
        name, append, value_parts = parsed
        target = into or self.env
        self.expander.env = target
        value = self.expander.value(value_parts)
        self.expander.env = self.env
        if append:
            previous = target.get(name)
            if previous is not None and previous.known:
                value = previous.text + value  # type: ignore[operator]
        source = source_at(word.raw.at(), f"{name}={value.text}")
        new = VarValue(name, value, source, exported=exported)
        if into is not None:
            into.set(new)
        else:
            self.record(name, new)

    def declare(self, builtin: str, words: list[Word]) -> None:
        exported = builtin == "export"
        for word in words:
            literal = word.unquoted_literal()
            if literal is not None and literal.startswith("-"):
                exported = exported or "x" in literal
                continue
            if _assignment(word) is not None:
                self.assign(word, exported=exported)
            elif literal and exported:
                self.env.export(literal)

    def set_arguments(self, words: list[Word]) -> None:
        """`set -- a b`: new arguments for `$1`, `"$@"` (unknown when only some paths run it)."""
        texts = [word.literal() for word in words]
        if "--" not in texts:
            return
        if self.conditional:
            self.env.positional = None
            return
        arguments: list[PText] = []
        for word in words[texts.index("--") + 1:]:
            arguments.extend(self.expander.fields(word))
        self.env.positional = arguments

    def shift(self, words: list[Word]) -> None:
        if self.env.positional is None:
            return
        count = words[0].literal() if words else "1"
        if self.conditional or count is None or not count.isdigit():
            self.env.positional = None
            return
        self.env.positional = self.env.positional[int(count):]

    def set_options(self, words: list[Word]) -> None:
        texts = [word.literal() or "" for word in words]
        for index, text in enumerate(texts):
            if text.startswith("-") and "a" in text[1:] and not text.startswith("--"):
                self.env.allexport = True
            elif text.startswith("+") and "a" in text[1:]:
                self.env.allexport = False
            elif text in ("-o", "+o") and index + 1 < len(texts) and texts[index + 1] == "allexport":
                self.env.allexport = text == "-o"


def _merge(name: str, values: list[VarValue | None]) -> VarValue | None:
    """One value when every path agrees, else an unknown listing the alternatives."""
    first = values[0]
    if all(_same(first, value) for value in values[1:]):
        return first
    options: list[str] = []
    for value in values:
        for option in (value.alternatives if value is not None and value.alternatives else (_describe(value),)):
            if option not in options:
                options.append(option)
    exported = any(value is not None and value.exported for value in values)
    source = next((value.source for value in reversed(values) if value is not None and value.source), None)
    shown = options if len(options) <= _MAX_SHOWN else options[:_MAX_SHOWN] + [f"{len(options) - _MAX_SHOWN} more"]
    return VarValue(name, None, source, f"${name} depends on a condition in the script: " + " or ".join(shown),
                    exported=exported, alternatives=tuple(options))


def _same(one: VarValue | None, other: VarValue | None) -> bool:
    if one is None or other is None:
        return one is other
    if not one.known or not other.known:
        return one is other
    return one.text.text == other.text.text  # type: ignore[union-attr]


_NAME_ONLY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _assignment(word: Word) -> tuple[str, bool, list] | None:
    """(name, is_append, value parts) when the word is `NAME=value` (the `NAME=` unquoted)."""
    if not word.parts or not isinstance(word.parts[0], Lit) or word.parts[0].quoted:
        return None
    first = word.parts[0]
    match = _ASSIGNMENT.match(first.text.text)
    if not match:
        return None
    rest = first.text[match.end():]
    value_parts = ([Lit(rest, False)] if len(rest) else []) + list(word.parts[1:])
    return match.group(1), bool(match.group(2)), value_parts


# Template statements with a body that renders zero or more times (or elsewhere), closed by `{% end... %}`
_TEMPLATE_BODIES = frozenset({"for", "while", "each", "with", "block", "macro", "filter", "call", "do"})
_ERB_BLOCK = re.compile(r"\bdo(\s*\|[^|]*\|)?$")


def _template_statement(word: Word) -> str | None:
    """The keyword of a word that is only template control markup (`{% if x %}` -> "if"; "" for a comment;
    "do" for an ERB block such as `<% items.each do |x| %>`)."""
    if len(word.parts) != 1 or not isinstance(word.parts[0], Template) or not word.parts[0].statement:
        return None
    raw = word.parts[0].raw.text
    if raw.startswith("{#"):
        return ""
    inner = raw[2:-2].strip("-+=~ \t\n")
    if raw.startswith("<%") and _ERB_BLOCK.search(inner):
        return "do"
    tokens = inner.split()
    return tokens[0] if tokens else ""


def _describe(value: VarValue | None) -> str:
    if value is None:
        return "not set"
    unresolved = value.unresolved_reasons if value.known else []
    if not value.known or unresolved:
        reason = value.reason or "; ".join(unresolved)
        return f"unknown ({reason[:150]}{'...' if len(reason) > 150 else ''})" if reason else "unknown"
    return f"{value.text.text!r} ({where(value.source)})"  # type: ignore[union-attr]


def scan_script(script: PText, env: Environment) -> ScriptScan:
    """Commands of a script with the environment each one sees. `env` is updated in place."""
    return _Scanner(env).scan(script)
