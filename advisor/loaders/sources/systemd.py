"""systemd units: `ExecStart=` (with continuation lines, prefixes, quoting, `$VAR`/`${VAR}` and specifiers),
`Environment=`, `EnvironmentFile=`, `WorkingDirectory=`; socket activation through a `.socket` unit.

systemd runs ExecStart without a shell. `${FOO}` becomes exactly one argument, a bare `$FOO` word is split at
whitespace, `$$` is a dollar, `%%` a percent; other specifiers (`%i`, `%h`...) depend on the instance. Variables
come from Environment= and then EnvironmentFile= (which overrides it); `--env` overrides both. When the service
is socket-activated (`gunicorn.socket` next to `gunicorn.service`), gunicorn serves the sockets systemd passes in
(LISTEN_FDS) and ignores its own bind, so the bind is the socket unit's `ListenStream=`.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from advisor.loaders.sources.envfile import parse_env_file
from advisor.loaders.sources.expand import Environment, VarValue
from advisor.loaders.sources.launch import NOTE, Collector, LaunchContext
from advisor.loaders.sources.paths import PathResolver, source_dir
from advisor.loaders.sources.text import PText, Pos, SourceText, Unresolved, VarUse, read_source_file, source_at
from advisor.model.addresses import Address, abstract_socket_address
from advisor.model.deployment import Diagnostic
from advisor.model.provenance import Setting

_KEY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9]*)\s*=\s*")
_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a", "b": "\b", "f": "\f",
              "v": "\v", "s": " "}
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\$|%%|%([A-Za-z])")


@dataclass(slots=True)
class UnitEntry:
    section: str
    key: str
    value: PText
    position: Pos | None


def unit_entries(source: SourceText) -> list[UnitEntry]:
    """Key=value entries by section; continuation lines (trailing backslash) are joined with a space."""
    entries: list[UnitEntry] = []
    section = ""
    pending: list[PText] = []
    text = source.text
    for _, start, end in source.lines():
        line = text[start:end].rstrip("\r")
        stripped = line.strip()
        if stripped.startswith(("#", ";")) or (not stripped and not pending):
            continue
        if not pending and stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            continue
        body = line.rstrip()
        if body.endswith("\\"):
            pending.append(source.ptext(start, start + len(body) - 1))
            pending.append(PText(" ", (source.pos(start + len(body) - 1),)))
            continue
        pending.append(source.ptext(start, start + len(line)))
        logical = PText.join(pending)
        pending = []
        match = _KEY.match(logical.text)
        if match:
            entries.append(UnitEntry(section, match.group(1), logical[match.end():].strip(),
                                     logical.at()))
    return entries


def split_words(value: PText) -> list[tuple[PText, bool]]:
    """systemd's word splitting: whitespace separates, quotes group, C escapes. (word, had quotes)."""
    words: list[tuple[PText, bool]] = []
    raw = value.text
    index = 0
    while index < len(raw):
        while index < len(raw) and raw[index].isspace():
            index += 1
        if index >= len(raw):
            break
        chunks: list[PText] = []
        quoted = False
        quote: str | None = None
        while index < len(raw):
            char = raw[index]
            if quote is None and char.isspace():
                break
            if char in "\"'" and quote is None:
                quote, quoted = char, True
                index += 1
                continue
            if quote is not None and char == quote:
                quote = None
                index += 1
                continue
            if char == "\\" and index + 1 < len(raw):
                escaped = _C_ESCAPES.get(raw[index + 1], raw[index + 1])
                chunks.append(PText(escaped, (value.origins[index],)))
                index += 2
                continue
            chunks.append(value[index:index + 1])
            index += 1
        words.append((PText.join(chunks), quoted))
    return words


def expand_word(word: PText, quoted: bool, env: Environment) -> list[PText]:
    """ExecStart variable and specifier expansion of one word."""
    bare = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word.text)
    if bare and not quoted:
        variable = env.get(bare.group(1))
        value = _value(word, bare.group(1), variable)
        if any(isinstance(tag, Unresolved) for tag in value.all_tags()):
            return [value]
        parts, start = [], None
        for position, char in enumerate(value.text + " "):
            if char.isspace():
                if start is not None:
                    parts.append(value[start:position])
                start = None
            elif start is None:
                start = position
        return parts
    out: list[PText] = []
    last = 0
    for match in _VARIABLE.finditer(word.text):
        out.append(word[last:match.start()])
        token = match.group(0)
        if token == "$$":
            out.append(word[match.start():match.start() + 1])
        elif token == "%%":
            out.append(word[match.start():match.start() + 1])
        elif match.group(1):
            out.append(_value(word[match.start():match.end()], match.group(1), env.get(match.group(1))))
        else:
            out.append(word[match.start():match.end()].with_tag(Unresolved(
                f"{token} is a systemd specifier filled in when the unit starts")))
        last = match.end()
    out.append(word[last:])
    return [PText.join(out)]


def _value(raw: PText, name: str, variable: VarValue | None) -> PText:
    if variable is None:
        return raw.with_tag(Unresolved(f"${name} is not set by Environment= or EnvironmentFile= (systemd would pass "
                                       f"an empty string; pass --env {name}=... if it is set elsewhere)"))
    if not variable.known:
        return raw.with_tag(Unresolved(variable.reason or f"${name} is not known"))
    return variable.text.with_tag(VarUse(name, variable.source, variable.text.text))  # type: ignore[union-attr]


def _diagnostic(severity: str, message: str, position: Pos | None, path: str, code: str = "ADV004") -> Diagnostic:
    return Diagnostic(code, severity, message, position.path if position else path,  # type: ignore[arg-type]
                      position.line if position else None, position.column if position else None)


def load_systemd(source: SourceText, host_env: dict[str, str], collector: Collector) -> list[Diagnostic]:
    diagnostics: list[Diagnostic] = []
    entries = unit_entries(source)
    directory = source_dir(source.path)
    resolver = PathResolver(base_dir=directory, roots=[directory], host_paths=True)
    service = [entry for entry in entries if entry.section == "Service"]
    if not service:
        return diagnostics
    env = Environment()
    file_vars: list[VarValue] = []
    working_dir: str | None = None
    commands: list[UnitEntry] = []
    for entry in service:
        if entry.key == "Environment":
            if not entry.value.text:
                env = Environment()
            for word, _ in split_words(entry.value):
                name, equals, _ = word.text.partition("=")
                if equals and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                    env.set(VarValue(name, word[len(name) + 1:], source_at(word.at(), f"Environment={name}"),
                                     exported=True))
        elif entry.key == "EnvironmentFile":
            file_vars.extend(_environment_file(entry, resolver, diagnostics, source.path))
        elif entry.key == "WorkingDirectory":
            working_dir = _working_directory(entry.value.text)
        elif entry.key == "ExecStart":
            if not entry.value.text:
                commands = []
            else:
                commands.append(entry)
    for variable in file_vars:
        env.set(variable)
    for name, value in host_env.items():
        env.set(VarValue(name, PText(value), None, exported=True))
    extra = _socket_bind(source, entries, resolver, diagnostics)
    for entry in commands:
        argv = _exec_argv(entry.value, env)
        context = LaunchContext(source.path, f"systemd {os.path.basename(source.path)} ExecStart",
                                resolver.with_working_dir(working_dir), extra_settings=dict(extra), label="")
        collector.argv(argv, env, context)
    return diagnostics


def socket_unit_note(source: SourceText) -> Diagnostic | None:
    """A `.socket` unit starts no process: it is the listening socket of the service it activates, which advisor
    reads through that `.service` unit. The note to pass the service, or None when the unit has a [Service]."""
    entries = unit_entries(source)
    if any(entry.section == "Service" for entry in entries) or not any(entry.section == "Socket"
                                                                       for entry in entries):
        return None
    named = [entry.value.text.strip() for entry in entries if entry.section == "Socket" and entry.key == "Service"]
    name = os.path.basename(source.path)
    service = named[-1] if named and named[-1] else os.path.splitext(name)[0] + ".service"
    note = _diagnostic("info", f"{name} is a socket unit: it gives the listening address of {service}, which "
                       "starts the server", None, source.path, NOTE)
    note.fix = f"pass {service} too: advisor reads the socket through it"
    return note


def _working_directory(text: str) -> str | None:
    """`WorkingDirectory=` as written (`-` only makes a missing directory non-fatal); None when it depends on the
    instance or user (`~`, `%h`...)."""
    directory = text.strip().lstrip("-")
    if not directory or directory.startswith("~") or re.search(r"%[^%]", directory.replace("%%", "")):
        return None
    return directory.replace("%%", "%")


def _exec_argv(value: PText, env: Environment) -> list[PText]:
    text = value.text
    prefix = 0
    while prefix < len(text) and text[prefix] in "@-:+!":
        prefix += 1
    at_sign = "@" in text[:prefix]
    words = split_words(value[prefix:])
    argv: list[PText] = []
    for word, quoted in words:
        argv.extend(expand_word(word, quoted, env))
    if at_sign and len(argv) > 1:
        del argv[1]  # `@/bin/prog argv0 ...`: the second word is argv[0]
    return argv


def _environment_file(entry: UnitEntry, resolver: PathResolver, diagnostics: list[Diagnostic],
                      path: str) -> list[VarValue]:
    text = entry.value.text
    optional = text.startswith("-")
    file_path = text.lstrip("-").strip()
    local = resolver.resolve(file_path)
    content = read_source_file(local) if local is not None else None
    if content is None:
        if not optional:
            missing = _diagnostic("info", f"EnvironmentFile={file_path} is not among the inputs, so the variables it "
                                  "sets are unknown", entry.position, path)
            missing.missing = file_path
            missing.fix = ("nothing to fix if the file exists on the server (it often holds secrets kept out of the "
                           "repository); pass the values you know with --env NAME=VALUE to check what uses them")
            diagnostics.append(missing)
        return []
    return [VarValue(item.name, item.value, source_at(item.name_at.at(), f"EnvironmentFile {item.name}"),
                     exported=True)
            for item in parse_env_file(SourceText(local, content), comment_chars="#;")]  # type: ignore[arg-type]


def _socket_bind(source: SourceText, entries: list[UnitEntry], resolver: PathResolver,
                 diagnostics: list[Diagnostic]) -> dict[str, Setting]:
    names = [os.path.splitext(os.path.basename(source.path))[0] + ".socket"]
    for entry in entries:
        if entry.key in ("Sockets", "Requires", "Wants", "After", "BindsTo"):
            names.extend(word for word in entry.value.text.split() if word.endswith(".socket"))
    directory = source_dir(source.path)
    for name in dict.fromkeys(names):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            continue
        text = read_source_file(path)
        if text is None:
            continue
        socket_source = SourceText(path, text)
        listens: list[UnitEntry] = []
        for entry in unit_entries(socket_source):
            if entry.section == "Socket" and entry.key == "ListenStream":
                if entry.value.text:
                    listens.append(entry)
                else:  # an empty value resets the list
                    listens = []
        if not listens:
            continue
        addresses: list[Address] = []
        raw = " ".join(entry.value.text for entry in listens)
        for entry in listens:
            address = _listen_address(entry.value.text)
            if isinstance(address, Address):
                addresses.append(address)
                continue
            unread = _diagnostic("info", f"ListenStream={entry.value.text} is {address}: the server's bind is "
                                 "unknown, so the address checks were skipped", entry.position, path)
            unread.fix = "nothing to fix if systemd accepts it"
            diagnostics.append(unread)
            at = entry.position
            return {"bind": Setting.unknown(f"{name} ListenStream={entry.value.text} is {address}",
                                            at.path if at else path, at.line if at else None,
                                            at.column if at else None, raw=raw)}
        first = listens[0].position
        return {"bind": Setting(addresses, source_at(first, f"{name} ListenStream (socket activation: gunicorn "
                                                            "serves the sockets systemd passes, not its bind)"),
                                raw)}
    return {}


def _listen_address(text: str) -> Address | str:
    """The address `ListenStream=TEXT` binds, read as systemd.socket(5) describes it (`/path` a socket file, `@name`
    an abstract socket), or what it is instead (a templated socket, vsock...) when advisor cannot compare it with
    nginx's targets."""
    text = text.strip()
    if "%" in text and not text.startswith("["):
        return "a name with a systemd specifier (its value depends on the unit instance)"
    if text.startswith("/"):
        return Address("unix", path=text)
    if text.startswith("@") and len(text) > 1:  # the abstract socket `@name` (no file, nginx cannot connect to it)
        return abstract_socket_address(text)
    if text.isdigit():  # IPv6 on every address, and IPv4 too unless BindIPv6Only=ipv6-only
        return Address("tcp", host="::", port=int(text)) if 0 < int(text) < 65536 else _NOT_AN_ADDRESS
    host, port = _ip_and_port(text)
    if host is None or port is None:
        return _NOT_AN_ADDRESS
    return Address("tcp", host=host, port=port)


_NOT_AN_ADDRESS = "not an address advisor understands"


def _ip_and_port(text: str) -> tuple[str | None, int | None]:
    """`v.w.x.y:z` or `[x]:y` (with an optional `%interface` scope); systemd takes no host names here."""
    import ipaddress

    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        host = host.split("%", 1)[0]
        port_text = rest[1:].split("%", 1)[0] if rest.startswith(":") else ""
        family = 6
    else:
        host, _, port_text = text.rpartition(":")
        family = 4
    try:
        if ipaddress.ip_address(host).version != family:
            return None, None
    except ValueError:
        return None, None
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        return None, None
    return host.lower(), int(port_text)
