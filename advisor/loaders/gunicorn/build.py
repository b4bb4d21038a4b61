"""Assemble an AppServer from layers with gunicorn's precedence:
defaults < config file < $GUNICORN_CMD_ARGS < command line.

Defaults are gunicorn 27.0.1's, including the host-dependent ones (`workers` from $WEB_CONCURRENCY, `bind` from
$PORT, `forwarded_allow_ips` from $FORWARDED_ALLOW_IPS), read from HostFacts.env.
"""

from __future__ import annotations

import copy
import os
import posixpath
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from advisor.loaders.fix_texts import expansion_fix
from advisor.loaders.gunicorn.config_file import ConfigFileLayer, read_config_file, unknown_layer
from advisor.loaders.gunicorn.convert import InvalidValue, NotStatic, model_value, validate
from advisor.loaders.gunicorn.origins import env_source, option_diagnostic
from advisor.loaders.gunicorn.settings import GUNICORN_VERSION, SETTINGS, SettingSpec
from advisor.model.deployment import AppServer, Diagnostic, HostFacts, UnknownSetting
from advisor.model.provenance import Setting, Source
from advisor.model.suppressions import Suppression

if TYPE_CHECKING:  # the command-line parser is imported when there is a command line to parse
    from advisor.loaders.gunicorn.cmdline import ParsedArgs

DEFAULT_CONFIG_NAME = "gunicorn.conf.py"


@dataclass(slots=True)
class AppLoadResult:
    """A gunicorn app server with the diagnostics and suppressions of its inputs."""

    app: AppServer
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    config_file: str | None = None  # the local config file the app's settings were read from, if any


# --- defaults -------------------------------------------------------------------------------------------------------

def default_settings(host: HostFacts) -> tuple[dict[str, Setting], list[Diagnostic]]:
    """Every gunicorn setting at its default for this host, plus diagnostics for broken default inputs."""
    settings: dict[str, Setting] = {}
    diagnostics: list[Diagnostic] = []
    for spec in SETTINGS:
        settings[spec.name] = _default(spec, host, diagnostics)
    return settings, diagnostics


def _default(spec: SettingSpec, host: HostFacts, diagnostics: list[Diagnostic]) -> Setting:
    label = f"gunicorn {GUNICORN_VERSION} default"
    env = host.env
    if spec.is_hook:
        return Setting(None, Source.default(f"{label} (no-op hook)"))
    if spec.name in ("chdir", "user", "group"):
        what = {"chdir": "the directory gunicorn is started in", "user": "the user gunicorn runs as",
                "group": "the group gunicorn runs as"}[spec.name]
        return Setting(None, Source.default(f"{label}: {what}"))
    raw_default = copy.deepcopy(spec.default)
    detail, inputs = label, ()
    if spec.name == "workers" and "WEB_CONCURRENCY" in env:
        text = env["WEB_CONCURRENCY"]
        inputs = (env_source(host, "WEB_CONCURRENCY"),)
        detail = f"{label}: int($WEB_CONCURRENCY) with WEB_CONCURRENCY={text}"
        try:
            raw_default = int(text)
        except ValueError as error:
            diagnostics.append(option_diagnostic(inputs[0], f"WEB_CONCURRENCY={text!r} is not an integer; gunicorn "
                                                 f"fails when it starts ({error})",
                                                 fix="set WEB_CONCURRENCY to a whole number, or unset it"))
            return Setting.unknown(f"WEB_CONCURRENCY={text!r} is not an integer")
    elif spec.name == "bind" and "PORT" in env:
        raw_default = [f"0.0.0.0:{env['PORT']}"]
        inputs = (env_source(host, "PORT"),)
        detail = f"{label}: 0.0.0.0:$PORT with PORT={env['PORT']}"
    elif spec.name == "forwarded_allow_ips" and "FORWARDED_ALLOW_IPS" in env:
        raw_default = env["FORWARDED_ALLOW_IPS"]
        inputs = (env_source(host, "FORWARDED_ALLOW_IPS"),)
        detail = f"{label}: $FORWARDED_ALLOW_IPS={raw_default}"
    elif spec.name == "control_socket":
        if env.get("XDG_RUNTIME_DIR"):
            raw_default = posixpath.join(env["XDG_RUNTIME_DIR"], "gunicorn.ctl")
            inputs = (env_source(host, "XDG_RUNTIME_DIR"),)
        else:
            raw_default = posixpath.join(env.get("HOME", "~"), ".gunicorn", "gunicorn.ctl")
        detail = f"{label}: $XDG_RUNTIME_DIR/gunicorn.ctl or $HOME/.gunicorn/gunicorn.ctl"
    try:
        model, raw = model_value(spec, validate(spec, raw_default))
    except (InvalidValue, NotStatic) as error:
        diagnostics.append(option_diagnostic(Source("default", detail=detail, inputs=inputs),
                                             f"the default of {spec.name} from the environment is invalid: {error}; "
                                             "gunicorn fails when it starts",
                                             fix=f"correct the environment variable that sets this default, or set "
                                                 f"{spec.name} in the gunicorn config"))
        return Setting.unknown(f"invalid default: {error}")
    return Setting(model, Source("default", detail=detail, inputs=inputs), raw)


# --- assembly -------------------------------------------------------------------------------------------------------

def build_app_server(layers: Sequence[Mapping[str, Setting]], host: HostFacts, *, id: str, source: Source,
                     unknown_settings: Sequence[UnknownSetting] = (), service_name: str | None = None,
                     ) -> tuple[AppServer, list[Diagnostic]]:
    """Defaults, then each layer in order (later wins). Returns the AppServer and the defaults' diagnostics."""
    settings, diagnostics = default_settings(host)
    for layer in layers:
        settings.update(layer)
    app = AppServer(id=id, kind="gunicorn", source=source, settings=settings,
                    unknown_settings=list(unknown_settings), service_name=service_name)
    return app, diagnostics


def env_command_line(host: HostFacts) -> tuple[ParsedArgs | None, list[Diagnostic]]:
    """$GUNICORN_CMD_ARGS parsed like gunicorn does (shlex.split, no shell expansion)."""
    text = host.env.get("GUNICORN_CMD_ARGS")
    if not text:
        return None, []
    import shlex

    from advisor.loaders.gunicorn.cmdline import parse_gunicorn_args

    base = (getattr(host, "env_sources", None) or {}).get("GUNICORN_CMD_ARGS") or Source.option("GUNICORN_CMD_ARGS")
    if base.detail != "GUNICORN_CMD_ARGS":
        base = replace(base, detail="GUNICORN_CMD_ARGS")
    try:
        argv = shlex.split(text)
    except ValueError as error:
        return None, [option_diagnostic(base, f"GUNICORN_CMD_ARGS cannot be split into arguments ({error}); "
                                        "gunicorn fails when it starts",
                                        fix="fix the quoting in GUNICORN_CMD_ARGS (gunicorn splits it like a shell, "
                                            "without expanding variables)")]
    parsed = parse_gunicorn_args(argv, lambda index: base, shell_vars=False)
    return parsed, parsed.diagnostics()


def _command_line_layer(parsed: ParsedArgs | None, *, with_app: bool) -> dict[str, Setting]:
    if parsed is None:
        return {}
    layer = dict(parsed.settings)
    if with_app and parsed.app_module is not None:
        layer["wsgi_app"] = parsed.app_module  # the positional APP_MODULE wins over wsgi_app
    return layer


def _early_exit_diagnostics(parsed: ParsedArgs | None) -> list[Diagnostic]:
    if parsed is None or parsed.exits_early is None:
        return []
    option = next(option for option in parsed.options if option.setting is None)
    return [option_diagnostic(option.source, f"{option.written} makes gunicorn print its {parsed.exits_early} and "
                              "exit; this command line does not serve requests", "warning",
                              fix=f"remove {option.written} from the command that starts the server")]


def _expansion_diagnostic(expansion: Setting) -> Diagnostic:
    return option_diagnostic(expansion.source, f"{expansion.raw} may add gunicorn options when the shell "
                             "expands it; advisor cannot see them", "info",
                             fix=expansion_fix(str(expansion.raw), "gunicorn"))


def assemble(file_layer: ConfigFileLayer | None, host: HostFacts, command_line: ParsedArgs | None, *, id: str,
             source: Source, extra_diagnostics: Sequence[Diagnostic] = ()) -> AppLoadResult:
    env_args, env_diagnostics = env_command_line(host)
    layers: list[Mapping[str, Setting]] = []
    if file_layer is not None:
        layers.append(file_layer.settings)
    layers.append(_command_line_layer(env_args, with_app=False))  # gunicorn ignores positionals here
    layers.append(_command_line_layer(command_line, with_app=True))
    app, default_diagnostics = build_app_server(
        layers, host, id=id, source=source,
        unknown_settings=file_layer.unknown_settings if file_layer is not None else ())
    diagnostics = list(extra_diagnostics)
    diagnostics += file_layer.diagnostics if file_layer is not None else []
    diagnostics += default_diagnostics + env_diagnostics
    if command_line is not None:
        diagnostics += command_line.diagnostics() + _early_exit_diagnostics(command_line)
        diagnostics += [_expansion_diagnostic(expansion) for expansion in command_line.expansions]
    suppressions = list(file_layer.suppressions) if file_layer is not None else []
    return AppLoadResult(app, diagnostics, suppressions)


def load_gunicorn_config(path: str, host: HostFacts, *, command_line: ParsedArgs | None = None) -> AppLoadResult:
    """Load a gunicorn config file statically; `command_line` (if the caller knows it) overrides it."""
    layer = read_config_file(path, host)
    return assemble(layer, host, command_line, id=path, source=Source.file(path, None))


def app_server_from_command_line(parsed: ParsedArgs, source: Source, host: HostFacts, *, base_dir: str, id: str,
                                 load_default_config: bool = True, service_name: str | None = None,
                                 resolve_config: Callable[[str], str | None] | None = None) -> AppLoadResult:
    """An AppServer for a gunicorn command line found in a compose file, Dockerfile, Procfile, unit file...

    The config file is the command line's `-c` (else GUNICORN_CMD_ARGS's `-c`, else `./gunicorn.conf.py` if it
    exists), resolved against `base_dir` (the directory gunicorn starts in, as the caller knows it).
    `resolve_config(path_as_written)` may map a path inside a container to the file on this machine (None: not
    found); without it, relative paths are joined to base_dir and absolute ones are used as they are.
    """
    env_args, _ = env_command_line(host)
    config = parsed.config or (env_args.config if env_args is not None else None)
    extra: list[Diagnostic] = []
    file_layer: ConfigFileLayer | None = None
    if config is not None:
        file_layer = _layer_for_config_option(config, base_dir, host, extra, resolve_config)
    elif load_default_config:
        default_path = os.path.join(base_dir, DEFAULT_CONFIG_NAME)
        if os.path.isfile(default_path):
            file_layer = read_config_file(default_path, host)
    result = assemble(file_layer, host, parsed, id=id, source=source, extra_diagnostics=extra)
    result.app.service_name = service_name
    if file_layer is not None and os.path.isfile(file_layer.path):
        result.config_file = file_layer.path
    return result


def _layer_for_config_option(config: Setting, base_dir: str, host: HostFacts, diagnostics: list[Diagnostic],
                             resolve_config: Callable[[str], str | None] | None) -> ConfigFileLayer:
    position = config.source.position()
    where = (position.path, position.line, position.column) if position else (None, None, None)
    if not config.known or not isinstance(config.value, str):
        reason = f"the config file path is not known: {config.source.detail}"
        return ConfigFileLayer(where[0] or "", unknown_layer(where[0] or "", reason, where[1]), parsed=False)
    location = config.value
    if location.startswith("python:"):
        reason = f"the config is the Python module {location[len('python:'):]!r}, which advisor does not import"
        diagnostics.append(Diagnostic("ADV004", "info", f"{reason}; the settings it sets are unknown", *where,
                                      fix="pass the module's .py file as an input if you have it, to check its "
                                          "settings"))
        return ConfigFileLayer(location, unknown_layer(location, reason), parsed=False)
    path = location[len("file:"):] if location.startswith("file:") else location
    if resolve_config is not None:
        full_path = resolve_config(path)
    else:
        full_path = path if os.path.isabs(path) else os.path.join(base_dir, path)
    if full_path is None or not os.path.isfile(full_path):
        shown = full_path or path
        reason = f"the config file {shown} (from {config.source.detail or '-c'}) is not among the inputs"
        diagnostics.append(Diagnostic(
            "ADV004", "info", f"{reason}; the settings it sets are unknown", *where,
            fix=f"pass the gunicorn config file the command loads ({path}) as an input if you have it",
            missing=path))
        return ConfigFileLayer(shown, unknown_layer(shown, reason), parsed=False)
    return read_config_file(full_path, host)
