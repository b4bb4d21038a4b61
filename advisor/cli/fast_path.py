"""Run a plain command line without importing typer (a third of a small `advisor check`'s time).

A command line is plain when every token is one the parser reads exactly as click does: positional arguments,
`--option VALUE`, `--option=VALUE`, the short `-o VALUE`, and flags, with values of the declared types. Anything
else — `--help`, an unknown or misspelt option, a value that does not convert or is out of range, an option given
twice, `--`, a value starting with `-`, shell completion, Windows argument expansion — is left to typer, which gives
the usage, help or error. The options come from advisor/cli/fast_spec.py, generated from the typer declarations;
when advisor/cli/typer_app.py differs from what the spec was generated from, or another typer or click is installed
(a new version may read a command line differently), typer parses everything.

On a plain command line the handler (advisor/cli/handlers.py) receives exactly the parameters typer would pass it,
and its exit code, interrupts and broken pipes end the process as they do under typer.
"""

from __future__ import annotations

import errno
import os
import sys
from typing import Any

COMPLETION_VARIABLE = "_ADVISOR_COMPLETE"


def run(argv: list[str]) -> None:
    """Run argv[1:] and exit (SystemExit) when it is plain; return when typer has to read it."""
    args = argv[1:]
    if args == ["--version"]:
        from advisor.cli.handlers import version_line

        sys.stdout.write(version_line())
        raise SystemExit(0)
    if not args or os.name == "nt" or os.environ.get(COMPLETION_VARIABLE):
        return
    spec = current_spec().get(args[0])
    if spec is None:
        return
    values = parse(args[1:], spec)
    if values is None:
        return
    from advisor.cli import handlers

    raise SystemExit(invoke(getattr(handlers, spec["handler"]), values))


def current_spec() -> dict[str, Any]:
    """The generated spec, or {} when typer_app.py or the installed typer/click changed after it was generated."""
    from advisor.cli import fast_spec

    try:
        crc = source_crc()
    except OSError:
        return {}
    if crc != fast_spec.SOURCE_CRC or parser_versions() != fast_spec.PARSER_VERSIONS:
        return {}
    return fast_spec.COMMANDS


def source_crc() -> int:
    """The checksum of typer_app.py the spec is stamped with (advisor/cli/spec_gen.py); line endings do not count
    (a CRLF checkout is the same source)."""
    import zlib

    with open(os.path.join(os.path.dirname(__file__), "typer_app.py"), "rb") as handle:
        return zlib.crc32(handle.read().replace(b"\r\n", b"\n"))


def parser_versions() -> tuple[str, str] | None:
    """(typer, click) versions of the typer the `advisor` command would import, read from the names of their
    .dist-info directories without importing either (importlib.metadata alone costs more than the fast path saves).
    click is typer's own copy when typer carries one (typer >= 0.24). None when not found unambiguously."""
    for entry in sys.path:
        folder = entry or "."
        if not os.path.isfile(os.path.join(folder, "typer", "__init__.py")):
            continue
        try:
            names = os.listdir(folder)
        except OSError:
            return None
        typer = _distribution_version(names, "typer")
        if typer is None:
            return None
        if os.path.isdir(os.path.join(folder, "typer", "_click")):
            return typer, f"typer {typer}"
        click = _distribution_version(names, "click")
        return (typer, click) if click is not None else None
    return None


def _distribution_version(names: list[str], project: str) -> str | None:
    found = [name[len(project) + 1:-len(".dist-info")] for name in names
             if name.startswith(project + "-") and name.endswith(".dist-info")]
    return found[0] if len(found) == 1 else None


def parse(tokens: list[str], spec: dict[str, Any]) -> dict[str, Any] | None:
    """Every parameter of the command (defaults filled in), or None when typer has to read the tokens."""
    options = spec["options"]
    values = dict(spec["defaults"])
    given: set[str] = set()
    positional: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token == "-" or not token.startswith("-"):
            positional.append(token)
            continue
        name, equals, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        entry = options.get(name)
        if entry is None:
            return None
        param, kind, repeatable, minimum = entry
        if kind == "flag":
            if equals or param in given:
                return None
            value: Any = True
        else:
            if equals:
                text = inline
            elif index < len(tokens):
                text = tokens[index]
                index += 1
            else:
                return None
            if text.startswith("-") and text != "-":
                return None
            value = convert(text, kind, minimum)
            if value is None:
                return None
        if repeatable:
            values[param] = [*values[param], value] if param in given else [value]
        elif param in given:
            return None
        else:
            values[param] = value
        given.add(param)
    return _with_arguments(values, positional, spec["arguments"])


def _with_arguments(values: dict[str, Any], positional: list[str],
                    arguments: tuple[tuple[str, int, bool], ...]) -> dict[str, Any] | None:
    if not arguments:
        return values if not positional else None
    (name, nargs, required), = arguments
    if nargs == 1:
        if len(positional) != 1:
            return None
        values[name] = positional[0]
    elif positional:
        values[name] = positional
    elif required:  # click's "Missing argument" error: typer's to give
        return None
    return values


def convert(text: str, kind: str, minimum: int | None) -> Any:
    """The value click would pass for `text`, or None when click might read it differently or refuse it."""
    if kind == "str":
        return text
    if kind == "int":
        if not (text.isascii() and text.isdigit()):
            return None
        number = int(text)
        return number if minimum is None or number >= minimum else None
    digits = text.replace(".", "", 1)
    return float(text) if digits and digits.isascii() and digits.isdigit() else None


def invoke(handler: Any, values: dict[str, Any]) -> int:
    """The handler's exit code; interrupts and broken pipes end the process as typer ends them."""
    try:
        return handler(**values)
    except EOFError:
        sys.stderr.write("\nAborted!\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as error:
        if error.errno != errno.EPIPE:
            raise
        sys.stdout, sys.stderr = _Pacified(sys.stdout), _Pacified(sys.stderr)  # type: ignore[assignment]
        return 1


class _Pacified:
    """A stream whose flush ignores a closed pipe (the reader went away), as click's PacifyFlushWrapper."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def flush(self) -> None:
        try:
            self._stream.flush()
        except OSError as error:
            if error.errno != errno.EPIPE:
                raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
