"""Assemble a uWSGI AppServer from its option entries: defaults, then every entry in uWSGI's order.

Settings carry uWSGI's option names with `_` for `-` (`processes`, `threads`, `listen`, `harakiri`,
`buffer_size`, `max_requests`, `max_requests_delta`, `reload_on_rss`, ... see options.py), every modelled option at
its uWSGI 2.0.30 default when nothing sets it, plus the model's common names: `workers` (the worker processes:
`processes`, alias `workers`), `bind` (every socket's address) and `app` (the module or file uWSGI loads). Each
socket is also a Listener with its protocol. An option set in a file that is not among the inputs (an `ini =`
that is not here) may be overridden there: options not set after it are unknown, and so are the sockets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.loaders.gunicorn.build import AppLoadResult
from advisor.loaders.gunicorn.origins import env_source, option_diagnostic
from advisor.loaders.uwsgi.cmdline import UwsgiArgs
from advisor.loaders.uwsgi.config_files import LoadContext, file_format, load_option, placeholder_entries, \
    read_config, split_section
from advisor.loaders.uwsgi.entries import Entry, Word
from advisor.loaders.uwsgi.option_names import ALL_OPTIONS
from advisor.loaders.uwsgi.options import ALIASES, LOAD_OPTIONS, OPTIONS, OPTIONS_BY_NAME, PLACEHOLDER_OPTIONS, \
    SOCKET_OPTIONS, UWSGI_VERSION, InvalidValue, convert, setting_name
from advisor.loaders.uwsgi.placeholders import resolve_placeholders
from advisor.loaders.uwsgi.sockets import made_abstract, socket_address
from advisor.model.addresses import Address
from advisor.model.deployment import AppServer, Diagnostic, HostFacts, Listener, UnknownSetting
from advisor.model.provenance import Setting, Source

_LABEL = f"uWSGI {UWSGI_VERSION} default"
# UWSGI_* variables uWSGI does not read as options (core/utils.c parse_sys_envs)
_ENV_NOT_OPTIONS = frozenset({"UWSGI_RELOADS", "UWSGI_VASSALS_DIR", "UWSGI_EMPEROR_FD", "UWSGI_BROODLORD_NUM",
                              "UWSGI_EMPEROR_FD_CONFIG", "UWSGI_EMPEROR_PROXY", "UWSGI_JAIL_PID",
                              "UWSGI_ORIGINAL_PROC_NAME"})
_MASTER_OPTIONS = ("cheaper", "cheaper-initial", "cheaper-step", "cheaper-algo", "evil-reload-on-rss")


@dataclass(slots=True)
class _Assembly:
    settings: dict[str, Setting]
    positions: dict[str, int] = field(default_factory=dict)  # setting -> index of the entry that set it last
    listeners: list[tuple[int, Entry, str]] = field(default_factory=list)  # (index, entry, option)
    env: list[Setting] = field(default_factory=list)
    unknown_names: list[UnknownSetting] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


def defaults() -> dict[str, Setting]:
    settings = {}
    for option in OPTIONS:
        detail = f"{_LABEL}: {option.default_note}" if option.default_note else _LABEL
        settings[option.setting] = Setting(option.default, Source.default(detail))
    return settings


def environment_entries(env: Mapping[str, str], host: HostFacts) -> list[Entry]:
    """UWSGI_PROCESSES=4 is `processes = 4` (lower case, `_` -> `-`), read before the command line."""
    found = []
    for name, value in env.items():
        if not name.startswith("UWSGI_") or name in _ENV_NOT_OPTIONS or len(name) <= 6:
            continue
        option = name[6:].lower().replace("_", "-")
        source = env_source(host, name) if name in host.env else Source.option(f"{name}={value}")
        found.append(Entry(option, value, source))
    return found


def _convert(entry: Entry, key: str, assembly: _Assembly, index: int) -> None:
    option = OPTIONS_BY_NAME[key]
    name = option.setting
    if entry.unknown is not None:
        position = entry.source
        assembly.settings[name] = Setting.unknown(f"{entry.key} = {entry.written}: {entry.unknown}", position.path,
                                                  position.line, position.column, raw=entry.written)
    else:
        try:
            value: Any = convert(option, entry.value)
        except InvalidValue as error:
            assembly.diagnostics.append(option_diagnostic(entry.source, f"uWSGI exits: {error}"))
            assembly.settings[name] = Setting.unknown(str(error), entry.source.path, entry.source.line,
                                                      entry.source.column, raw=entry.value)
            assembly.positions[name] = index
            return
        assembly.settings[name] = Setting(value, entry.source, entry.value)
    assembly.positions[name] = index


def _configure(entries: list[Entry]) -> _Assembly:
    assembly = _Assembly(defaults())
    referenced = " ".join(entry.written for entry in entries)
    for index, entry in enumerate(entries):
        key = ALIASES.get(entry.key, entry.key)
        if key in SOCKET_OPTIONS:
            assembly.listeners.append((index, entry, key))
        elif key in OPTIONS_BY_NAME:
            _convert(entry, key, assembly, index)
        elif key == "env" and entry.value is not None:
            assembly.env.append(Setting(entry.value, entry.source, entry.value) if entry.unknown is None
                                else Setting.unknown(entry.unknown, entry.source.path, entry.source.line))
        elif key not in ALL_OPTIONS and "_" in key and key.replace("_", "-") in ALL_OPTIONS \
                and f"%({key})" not in referenced:
            assembly.unknown_names.append(UnknownSetting(key, entry.source, key.replace("_", "-")))
    return assembly


def _listeners(assembly: _Assembly) -> tuple[list[Listener], Setting | None]:
    """Every socket with its protocol; the reason (as an unknown Setting) when one of them is not known."""
    protocol = assembly.settings["protocol"]
    found: list[Listener] = []
    for _, entry, option in assembly.listeners:
        if entry.unknown is not None:
            return found, Setting.unknown(f"{entry.key} = {entry.written}: {entry.unknown}", entry.source.path,
                                          entry.source.line, entry.source.column, raw=entry.written)
        try:
            address = socket_address(entry.value or "", option)
        except ValueError as error:
            return found, Setting.unknown(str(error), entry.source.path, entry.source.line, entry.source.column,
                                          raw=entry.value)
        address, source, problem = _abstract_flag(address, entry, assembly.settings["abstract_socket"])
        if problem is not None:
            return found, problem
        speaks = SOCKET_OPTIONS[option]
        if speaks is None:
            if not protocol.known:
                return found, Setting.unknown(f"the protocol of {entry.key} = {entry.value} is not known: "
                                              f"{protocol.source.detail}", entry.source.path, entry.source.line)
            speaks = str(protocol.value) if protocol.value else "uwsgi"
        found.append(Listener(address, speaks, option, source))
    return found, None


def _abstract_flag(address: Address, entry: Entry, flag: Setting) -> tuple[Address, Source, Setting | None]:
    """`abstract-socket` (uWSGI reads it once, when it binds): a unix socket path becomes an abstract name. The
    source stays the socket's line and names the option's; an unknown flag makes a unix socket unknown."""
    if address.kind != "unix" or address.abstract or (flag.known and not flag.value):
        return address, entry.source, None
    if not flag.known:
        return address, entry.source, Setting.unknown(
            f"whether {entry.key} = {entry.value} is an abstract socket is not known: {flag.source.detail}",
            entry.source.path, entry.source.line, entry.source.column, raw=entry.value)
    where = flag.source.describe() if flag.source.kind != "file" else f"{flag.source.path}:{flag.source.line}"
    source = entry.source
    detail = f"abstract-socket ({where}) makes it the abstract socket {made_abstract(address).path}"
    return made_abstract(address), Source(source.kind, source.path, source.line, source.column,
                                          "; ".join(filter(None, (source.detail, detail))),
                                          source.inputs + (flag.source,)), None


def _bind(listeners: list[Listener], problem: Setting | None, missing: list[tuple[str, Source]]) -> Setting:
    if missing:
        written, source = missing[0]
        return Setting.unknown(f"{written} is not among the inputs and may bind more sockets", source.path,
                               source.line, source.column)
    if problem is not None:
        return problem
    if not listeners:
        return Setting([], Source.default(f"{_LABEL}: no socket option is set (uWSGI then serves nothing, unless "
                                          "an Emperor or systemd passes it a socket)"))
    first = listeners[0].source
    text = ", ".join(f"{listener.option} {listener.address}" for listener in listeners)
    inputs = tuple(listener.source for listener in listeners[1:])
    return Setting([listener.address for listener in listeners],
                   Source(first.kind, first.path, first.line, first.column, text, inputs),
                   ", ".join(str(listener.address) for listener in listeners))


def _unknown_before_missing(assembly: _Assembly, entries: list[Entry], missing: list[tuple[str, Source]]) -> None:
    """Options not set after a load whose file is not here may be set there."""
    if not missing:
        return
    positions = {(source.path, source.line, source.column): written for written, source in missing}
    last = max((index for index, entry in enumerate(entries)
                if (entry.source.path, entry.source.line, entry.source.column) in positions), default=-1)
    written = missing[-1][0]
    for name, setting in list(assembly.settings.items()):
        if assembly.positions.get(name, -1) < last and setting.known:
            assembly.settings[name] = Setting.unknown(f"{written} is not among the inputs and may set {name}",
                                                      missing[-1][1].path, missing[-1][1].line)


def _common(settings: dict[str, Setting], source: Source) -> None:
    settings["workers"] = settings["processes"]
    master = settings["master"]
    if master.is_default:
        forcing = next((name for name in _MASTER_OPTIONS if settings[setting_name(name)].explicit), None)
        if forcing is not None:
            forced = settings[setting_name(forcing)]
            settings["master"] = Setting(True, Source.derived(f"{forcing} turns the master process on",
                                                              forced.source))
    module, wsgi_file = settings["module"], settings["wsgi_file"]
    settings["app"] = module if module.value or not module.known else wsgi_file


def assemble(entries: list[Entry], host: HostFacts, *, id: str, source: Source, env: Mapping[str, str],
             context: LoadContext, service_name: str | None = None,
             diagnostics: list[Diagnostic] | None = None) -> AppLoadResult:
    """The AppServer for the collected entries (env first, then command line and files, in order)."""
    resolved = resolve_placeholders(entries, env)
    assembly = _configure(resolved)
    _unknown_before_missing(assembly, resolved, context.missing)
    listeners, problem = _listeners(assembly)
    settings = assembly.settings
    settings["bind"] = _bind(listeners, problem, context.missing)
    if assembly.env:
        settings["env"] = Setting([item.value for item in assembly.env if item.known], assembly.env[0].source)
    _common(settings, source)
    app = AppServer(id=id, kind="uwsgi", source=source, settings=settings, unknown_settings=assembly.unknown_names,
                    service_name=service_name, listeners=listeners if problem is None and not context.missing
                    else [])
    found = list(diagnostics or []) + context.diagnostics + assembly.diagnostics
    return AppLoadResult(app, found, config_file=context.files[0] if context.files else None)


def load_uwsgi_config(path: str, host: HostFacts, *, section: str | None = None,
                      resolve: Callable[[str], str | None] | None = None) -> AppLoadResult:
    """A uWSGI config file given directly (`advisor check nginx.conf uwsgi.ini`): its options, with the UWSGI_*
    variables of `--env` before them."""
    import os

    kind = file_format(path) or "ini"
    base = os.path.dirname(path) or "."

    def local(written: str) -> str | None:
        candidate = written if os.path.isabs(written) else os.path.join(base, written)
        if os.path.isfile(candidate):
            return candidate
        beside = os.path.join(base, os.path.basename(written))
        return beside if os.path.isfile(beside) else None

    context = LoadContext(resolve or local, cpus=host.cpus.value if host.cpus.known else None)
    entries = environment_entries(host.env, host)
    entries += read_config(path, None, section, kind, context)
    return assemble(entries, host, id=path, source=Source.file(path, None), env=host.env, context=context)


def app_server_from_args(args: UwsgiArgs, source: Source, host: HostFacts, *, id: str,
                         resolve: Callable[[str], str | None], cwd: str | None = None,
                         service_name: str | None = None, unknown_env: Mapping[str, str] | None = None
                         ) -> AppLoadResult:
    """The AppServer a `uwsgi ...` command line starts: UWSGI_* environment, the options in order (a load option
    inserts its file there), then config files given as arguments. `unknown_env`: UWSGI_* variables the process
    gets whose value is not known ({name: reason})."""
    context = LoadContext(resolve, cpus=host.cpus.value if host.cpus.known else None, cwd=cwd)
    entries = environment_entries(host.env, host)
    for name, reason in (unknown_env or {}).items():
        if name not in _ENV_NOT_OPTIONS and len(name) > 6:
            entries.append(Entry(name[6:].lower().replace("_", "-"), "", source, f"${name} is not known: {reason}"))
    for entry in args.entries:
        if entry.key in PLACEHOLDER_OPTIONS:
            entries.extend(placeholder_entries(entry))
            continue
        entries.append(entry)
        if entry.key in LOAD_OPTIONS and entry.value is not None:
            entries.extend(load_option(entry, "", None, "uwsgi", "ini", context, 0))
    for word in args.configs:
        entries.extend(_positional_config(word, context))
    diagnostics = list(args.errors)
    if args.exits_early is not None:
        diagnostics.append(option_diagnostic(source, f"this uWSGI command line prints its {args.exits_early} and "
                                                     "exits; it does not serve requests", "warning",
                                             fix="remove --help/--version from the command that starts uWSGI"))
    for word in args.expansions:
        diagnostics.append(option_diagnostic(word.source, f"{word.text} may add uWSGI options when the shell "
                                                          "expands it; advisor cannot see them", "info",
                                             fix=f"pass --env with the value of {word.text.strip(chr(34))} to "
                                                 "check the options it adds"))
    return assemble(entries, host, id=id, source=source, env=host.env, context=context,
                    service_name=service_name, diagnostics=diagnostics)


def _positional_config(word: Word, context: LoadContext) -> list[Entry]:
    """`uwsgi app.ini`: a config file named as an argument, loaded by its extension."""
    kind = file_format(split_section(word.text)[0])
    if kind is None:
        context.diagnostics.append(option_diagnostic(word.source, f"uWSGI exits: unable to load configuration from "
                                                                  f"{word.text} (not an ini, yaml, json or xml file)",
                                                     fix="pass the config with --ini FILE (or the option for its "
                                                         "format)"))
        return []
    return load_option(Entry(kind, word.text, word.source, word.unknown), "", None, "uwsgi", kind, context, 0)


__all__ = ["app_server_from_args", "assemble", "defaults", "environment_entries", "load_uwsgi_config"]
