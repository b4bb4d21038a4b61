"""Turn a found gunicorn/uvicorn/uWSGI command into an AppServer whose every option points at where it was written.

The gunicorn command line goes through the gunicorn loader (`parse_gunicorn_args`, `app_server_from_command_line`:
config file, GUNICORN_CMD_ARGS, defaults from WEB_CONCURRENCY/PORT); uvicorn through the uvicorn loader. Both are
given a HostFacts whose `env` is the process environment the source declares (with `--env` on top) and whose
`env_sources` point at the lines that set each variable. Afterwards each option's Setting is annotated with the
variables its value came from, or made unknown with the reason an expansion could not be resolved.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace

from advisor.loaders.fix_texts import variable_name
from advisor.loaders.gunicorn import AppLoadResult, ParsedArgs, app_server_from_command_line, parse_gunicorn_args
from advisor.loaders.sources.expand import Environment, VarValue, where
from advisor.loaders.sources.launch import NOTE, FoundServer
from advisor.loaders.sources.paths import PathResolver
from advisor.loaders.sources.text import DefaultUsed, ExecLiteral, PText, Pos, Unresolved, VarUse, source_at
from advisor.loaders.uvicorn import UvicornArgs, parse_uvicorn_args, uvicorn_app_server
from advisor.loaders.uwsgi import UwsgiArgs, Word, app_server_from_args, parse_uwsgi_args
from advisor.model.deployment import Diagnostic, HostFacts
from advisor.model.provenance import Setting, Source

@dataclass(slots=True)
class LoadedServer:
    result: AppLoadResult
    parsed: ParsedArgs | UvicornArgs | UwsgiArgs
    found: FoundServer
    args: list[PText]


def process_host(host: HostFacts, env: Environment) -> tuple[HostFacts, dict[str, str]]:
    """HostFacts for one process: its known environment; plus {name: reason} for exported unknown variables."""
    values: dict[str, str] = {}
    sources: dict[str, Source] = {}
    unknown: dict[str, str] = {}
    for name, variable in env.exported().items():
        reasons = variable.unresolved_reasons
        if reasons:
            unknown[name] = "; ".join(dict.fromkeys(reasons))
            continue
        values[name] = variable.text.text  # type: ignore[union-attr]
        if variable.source is not None:
            sources[name] = replace(variable.source, detail=f"{name}={values[name]}")
    return replace(host, env=values, env_sources=sources), unknown


def _source_for(words: list[PText], fallback: Pos | None):
    def source_for(index: int) -> Source:
        position = words[index].at(fallback) if 0 <= index < len(words) else fallback
        return source_at(position)
    return source_for


def _annotate(setting: Setting, indexes: list[int], words: list[PText], fallback: Pos | None) -> Setting:
    tags = [tag for index in indexes if 0 <= index < len(words) for tag in words[index].all_tags()]
    reasons = list(dict.fromkeys(tag.reason for tag in tags if isinstance(tag, (Unresolved, ExecLiteral))))
    position = words[indexes[0]].at(fallback) if indexes and indexes[0] < len(words) else fallback
    if reasons:
        written = " ".join(words[index].text for index in indexes if 0 <= index < len(words))
        return Setting.unknown(f"{written}: {'; '.join(reasons)}", position.path if position else None,
                               position.line if position else None, position.column if position else None,
                               raw=setting.raw)
    uses = list(dict.fromkeys(tag for tag in tags if isinstance(tag, VarUse)))
    defaults = list(dict.fromkeys(tag.name for tag in tags if isinstance(tag, DefaultUsed)))
    if not uses and not defaults:
        return setting
    notes = [f"{use.name}={use.value!r} from {where(use.source)}" if use.value else f"${use.name} is set"
             for use in uses]
    notes += [f"${name} is not set, so its default applies" for name in defaults]
    source = setting.source
    detail = f"{source.detail} ({'; '.join(notes)})" if source.detail else "; ".join(notes)
    inputs = source.inputs + tuple(use.source for use in uses if use.source is not None)
    return Setting(setting.value, replace(source, detail=detail, inputs=tuple(dict.fromkeys(inputs))), setting.raw)


def _unknown(word: PText) -> bool:
    return any(isinstance(tag, (Unresolved, ExecLiteral)) for tag in word.all_tags())


def _drop_errors_on_unknown_values(parsed: ParsedArgs | UvicornArgs, indexes: dict[str, list[int]],
                                   words: list[PText]) -> None:
    """A value advisor could not resolve cannot be judged: drop the parser's "invalid value" errors for it (the
    setting becomes unknown with the reason instead)."""
    spots = set()
    for found in indexes.values():
        if any(_unknown(words[index]) for index in found if 0 <= index < len(words)):
            for index in found:
                position = words[index].at() if 0 <= index < len(words) else None
                if position is not None:
                    spots.add((position.line, position.column))
    if spots:
        parsed.errors = [error for error in parsed.errors if (error.line, error.column) not in spots]


def program_position(found: FoundServer) -> Pos | None:
    """Where the command is written: the program word, or the `$GUNICORN` that expands to it when the arguments
    are written at that expansion rather than in the variable (`exec $GUNICORN -c ...` vs `$CMD`)."""
    invocation = found.invocation
    position = invocation.program.at()
    uses = [tag for tag in invocation.program.all_tags() if isinstance(tag, VarUse) and tag.site is not None]
    if not uses:
        return position
    outer = uses[-1]
    if invocation.args and outer in invocation.args[0].all_tags():
        return position
    return outer.site


def _gunicorn_indexes(parsed: ParsedArgs) -> dict[str, list[int]]:
    """setting -> argv indexes of its option word(s) and value word(s)."""
    found: dict[str, list[int]] = {}
    for option in parsed.options:
        if option.setting is None:
            continue
        indexes = [option.index]
        if option.value is not None and parsed.argv[option.index] == option.written:
            indexes.append(option.index + 1)
        found.setdefault(option.setting, []).extend(indexes)
    return found


def _working_resolver(found: FoundServer) -> PathResolver:
    """The source's resolver, with the working directory a `cd` in the script chose."""
    resolver = found.context.resolver
    cwd = found.cwd
    if cwd is not None and not any(isinstance(tag, Unresolved) for tag in cwd.all_tags()):
        resolver = resolver.with_working_dir(cwd.text)
    return resolver


def _resolver(found: FoundServer):
    return _working_resolver(found).resolve


def _position_diagnostic(code: str, severity: str, message: str, position: Pos | None, fallback_path: str):
    return Diagnostic(code, severity, message, position.path if position else fallback_path,  # type: ignore
                      position.line if position else None, position.column if position else None)


def build_gunicorn(found: FoundServer, host: HostFacts, app_id: str) -> LoadedServer:
    invocation = found.invocation
    words = invocation.args
    program_at = program_position(found)
    parsed = parse_gunicorn_args([word.text for word in words], _source_for(words, program_at))
    indexes = _gunicorn_indexes(parsed)
    _drop_errors_on_unknown_values(parsed, indexes, words)
    for name, setting in list(parsed.settings.items()):
        parsed.settings[name] = _annotate(setting, indexes.get(name, []), words, program_at)
    if parsed.config is not None:
        parsed.config = parsed.settings.get("config", parsed.config)
    if parsed.app_module is not None and parsed.positionals:
        first = next((index for index, word in enumerate(words) if word.text == parsed.app_module.raw), None)
        if first is not None:
            parsed.app_module = _annotate(parsed.app_module, [first], words, program_at)
    process, unknown_env = process_host(host, found.env)
    source = source_at(program_at, f"{found.context.via}: {invocation.program.text}")
    context = found.context
    before = len(context.resolver.guesses)
    default_config = _working_resolver(found).default_file("gunicorn.conf.py")
    result = app_server_from_command_line(parsed, source, process,
                                          base_dir=os.path.dirname(default_config) if default_config else ".",
                                          id=app_id, load_default_config=default_config is not None,
                                          service_name=context.service_name, resolve_config=_resolver(found))
    for written, local in context.resolver.guesses[before:]:
        config = parsed.config
        position = config.source.position() if config is not None else None
        result.diagnostics.append(_position_diagnostic(
            NOTE, "info", f"{written} is a path where the command runs; advisor read {local} "
                          f"({context.resolver.guess_reason(local)})", position, context.path))
    _apply_unknown_env(result, unknown_env, {"WEB_CONCURRENCY": "workers", "PORT": "bind",
                                             "FORWARDED_ALLOW_IPS": "forwarded_allow_ips"}, program_at, context.path)
    if "GUNICORN_CMD_ARGS" in unknown_env:
        diagnostic = _position_diagnostic(
            "ADV006", "info", f"GUNICORN_CMD_ARGS may add gunicorn options, but its value is not known: "
                              f"{unknown_env['GUNICORN_CMD_ARGS']}", program_at, context.path)
        name = variable_name(unknown_env["GUNICORN_CMD_ARGS"]) or "GUNICORN_CMD_ARGS"
        diagnostic.fix = f"pass --env {name}=VALUE if you know its value, to check the gunicorn options it adds"
        result.diagnostics.append(diagnostic)
    result.app.settings.update(context.extra_settings)
    return LoadedServer(result, parsed, found, words)


def build_uvicorn(found: FoundServer, host: HostFacts, app_id: str) -> LoadedServer:
    invocation = found.invocation
    words = invocation.args
    program_at = program_position(found)
    parsed = parse_uvicorn_args([word.text for word in words], _source_for(words, program_at))
    indexes: dict[str, list[int]] = {}
    for option in parsed.options:
        if option.setting is not None:
            indexes.setdefault(option.setting, []).extend(
                [option.index] + ([option.value_index] if option.value_index not in (None, option.index) else []))
    _drop_errors_on_unknown_values(parsed, indexes, words)
    for name, setting in list(parsed.settings.items()):
        parsed.settings[name] = _annotate(setting, indexes.get(name, []), words, program_at)
    if parsed.app is not None:
        first = next((index for index, word in enumerate(words) if word.text == parsed.app.raw), None)
        if first is not None:
            parsed.app = _annotate(parsed.app, [first], words, program_at)
    process, unknown_env = process_host(host, found.env)
    source = source_at(program_at, f"{found.context.via}: {invocation.program.text}")
    result = uvicorn_app_server(parsed, source, process, id=app_id, service_name=found.context.service_name)
    mapping = {"WEB_CONCURRENCY": "workers", "FORWARDED_ALLOW_IPS": "forwarded_allow_ips"}
    mapping.update({f"UVICORN_{name.upper()}": name for name in result.app.settings})
    _apply_unknown_env(result, unknown_env, mapping, program_at, found.context.path)
    result.app.settings.update(found.context.extra_settings)
    return LoadedServer(result, parsed, found, words)


def _apply_unknown_env(result: AppLoadResult, unknown_env: dict[str, str], mapping: dict[str, str],
                       position: Pos | None, path: str) -> None:
    """A default that depends on an exported variable whose value is unknown is unknown too."""
    for variable, setting_name in mapping.items():
        if variable not in unknown_env or setting_name not in result.app.settings:
            continue
        setting = result.app.settings[setting_name]
        if setting.source.kind == "default":
            result.app.settings[setting_name] = Setting.unknown(
                f"the default of {setting_name} comes from ${variable}, which is not known: "
                f"{unknown_env[variable]}", position.path if position else path,
                position.line if position else None, position.column if position else None)


def _uwsgi_word(word: PText, fallback: Pos | None) -> Word:
    tags = word.all_tags()
    reasons = list(dict.fromkeys(tag.reason for tag in tags if isinstance(tag, (Unresolved, ExecLiteral))))
    notes = [f"{tag.name}={tag.value!r} from {where(tag.source)}" for tag in tags if isinstance(tag, VarUse)
             and tag.value]
    notes += [f"${tag.name} is not set, so its default applies" for tag in tags if isinstance(tag, DefaultUsed)]
    source = source_at(word.at(fallback), "; ".join(dict.fromkeys(notes)) or None)
    return Word(word.text, source, "; ".join(reasons) or None)


def build_uwsgi(found: FoundServer, host: HostFacts, app_id: str) -> LoadedServer:
    """uWSGI's options go through the uWSGI loader: UWSGI_* from the process environment, `--ini` and config
    files looked up where the command runs."""
    invocation = found.invocation
    program_at = program_position(found)
    words = invocation.args
    parsed = parse_uwsgi_args([_uwsgi_word(word, program_at) for word in words])
    process, unknown_env = process_host(host, found.env)
    source = source_at(program_at, f"{found.context.via}: {invocation.program.text}")
    resolver = _working_resolver(found)
    before = len(found.context.resolver.guesses)
    cwd = resolver.working_dir if resolver.working_dir and resolver.working_dir.startswith("/") else None
    result = app_server_from_args(parsed, source, process, id=app_id, resolve=resolver.resolve, cwd=cwd,
                                  service_name=found.context.service_name,
                                  unknown_env={name: reason for name, reason in unknown_env.items()
                                               if name.startswith("UWSGI_")})
    for written, local in found.context.resolver.guesses[before:]:
        result.diagnostics.append(_position_diagnostic(
            NOTE, "info", f"{written} is a path where the command runs; advisor read {local} "
                          f"({found.context.resolver.guess_reason(local)})", program_at, found.context.path))
    result.app.settings.update(found.context.extra_settings)
    return LoadedServer(result, parsed, found, words)


def build_server(found: FoundServer, host: HostFacts, app_id: str) -> LoadedServer:
    if found.invocation.kind == "uvicorn":
        return build_uvicorn(found, host, app_id)
    if found.invocation.kind == "uwsgi":
        return build_uwsgi(found, host, app_id)
    return build_gunicorn(found, host, app_id)


def app_ids(found: list[FoundServer]) -> list[str]:
    """`docker-compose.yml:web`, `Procfile:web`, `start.sh:11`; a line is added when a label repeats."""
    labels = []
    for server in found:
        position = program_position(server)
        line = position.line if position else 0
        labels.append(server.context.label if server.context.label is not None else str(line))
    counts = Counter(labels)  # not labels.count() per server: quadratic for a 100k-line Procfile
    ids = []
    for server, label in zip(found, labels):
        position = program_position(server)
        text = f"{server.context.path}:{label}" if label else server.context.path
        if counts[label] > 1 and server.context.label is not None:
            text += f"{':' if not label else '@'}{position.line if position else '?'}"
        ids.append(text)
    return ids


def unset_platform_variable(env: Environment, name: str, reason: str) -> None:
    """Mark a variable the platform sets at run time (Heroku's $PORT) as exported but unknown."""
    if env.get(name) is None:
        env.set(VarValue(name, None, None, reason, exported=True))


__all__ = ["LoadedServer", "NOTE", "app_ids", "build_server", "process_host", "unset_platform_variable"]
