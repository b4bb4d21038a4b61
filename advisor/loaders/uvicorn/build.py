"""Assemble a standalone uvicorn AppServer: defaults < UVICORN_* environment < command line (click's order).

Settings carry uvicorn's own names (`timeout_keep_alive`, `limit_concurrency`, `backlog`, `workers`, ...), plus
the model's common ones: `bind` (list of Address from --host/--port, --uds or --fd), `worker_class` = "uvicorn"
(one event loop per worker process) and `timeout` = 0 (uvicorn has no worker timeout, as gunicorn's timeout 0).
"""

from __future__ import annotations

from typing import Any

from advisor.loaders.fix_texts import expansion_fix
from advisor.loaders.gunicorn.build import AppLoadResult
from advisor.loaders.gunicorn.origins import env_source, option_diagnostic
from advisor.loaders.uvicorn.cmdline import InvalidOptionValue, UvicornArgs, convert_value, exit_message, \
    has_shell_expansion, skipped_checks
from advisor.loaders.uvicorn.options import OPTIONS, UVICORN_VERSION
from advisor.model.addresses import Address, unix_socket_address
from advisor.model.deployment import AppServer, Diagnostic, HostFacts
from advisor.model.provenance import Setting, Source

_LABEL = f"uvicorn {UVICORN_VERSION} default"


def _defaults() -> dict[str, Setting]:
    settings = {option.name: Setting(list(option.default or []) if option.multiple else option.default,
                                     Source.default(_LABEL)) for option in OPTIONS}
    settings["log_level"] = Setting("info", Source.default(f"{_LABEL} (info)"))
    return settings


def _environment_layer(host: HostFacts, diagnostics: list[Diagnostic]) -> dict[str, Setting]:
    """click reads UVICORN_<OPTION> for every option not given on the command line."""
    layer: dict[str, Setting] = {}
    for option in OPTIONS:
        text = host.env.get(option.envvar)
        if text is None:
            continue
        source = env_source(host, option.envvar)
        try:
            value: Any = ([convert_value(option, item) for item in text.split()] if option.multiple
                          else convert_value(option, text))
        except InvalidOptionValue as error:
            diagnostics.append(option_diagnostic(source, exit_message(
                f"{option.flags[0]} from {option.envvar}: {error}", skipped_checks(option.flags[0]))))
            layer[option.name] = Setting.unknown(f"{option.envvar}={text!r} is invalid: {error}", raw=text)
            continue
        layer[option.name] = Setting(value, source, text)
    return layer


def _workers(settings: dict[str, Setting], explicit: bool, host: HostFacts,
             diagnostics: list[Diagnostic]) -> Setting:
    if explicit:
        return settings["workers"]
    text = host.env.get("WEB_CONCURRENCY")
    if text is None:
        return Setting(1, Source.default(f"{_LABEL}: $WEB_CONCURRENCY or 1"))
    source = env_source(host, "WEB_CONCURRENCY")
    try:
        count = int(text)
    except ValueError:
        diagnostics.append(option_diagnostic(source, f"WEB_CONCURRENCY={text!r} is not an integer; uvicorn fails "
                                                     "when it starts (int() in uvicorn.Config)",
                                             fix="set WEB_CONCURRENCY to a whole number, or unset it"))
        return Setting.unknown(f"WEB_CONCURRENCY={text!r} is not an integer", raw=text)
    return Setting(count, Source("default", detail=f"{_LABEL}: int($WEB_CONCURRENCY) with WEB_CONCURRENCY={text}",
                                 inputs=(source,)), text)


def _bind(settings: dict[str, Setting]) -> Setting:
    uds, fd, host, port = (settings[name] for name in ("uds", "fd", "host", "port"))
    if not uds.known:
        return uds
    if uds.value:
        return Setting([unix_socket_address(str(uds.value))], uds.source, f"unix:{uds.value}")
    if not fd.known:
        return fd
    if fd.value is not None:
        return Setting([Address("fd", fd=int(fd.value))], fd.source, f"fd://{fd.value}")
    for part in (host, port):
        if not part.known:
            return part
    address = Address("tcp", host=str(host.value).strip("[]").lower() or "0.0.0.0", port=int(port.value))
    raw = str(address)
    given = [part.source for part in (host, port) if not part.is_default]
    if not given:
        return Setting([address], Source.default(f"{_LABEL}: --host 127.0.0.1 --port 8000"), raw)
    first = given[0]
    return Setting([address], Source(first.kind, first.path, first.line, first.column,
                                     f"--host {host.value} --port {port.value}", tuple(given)), raw)


def uvicorn_app_server(parsed: UvicornArgs, source: Source, host: HostFacts, *, id: str,
                       service_name: str | None = None) -> AppLoadResult:
    """The AppServer a `uvicorn APP ...` command line starts (never raises for bad input)."""
    diagnostics: list[Diagnostic] = []
    settings = _defaults()
    settings.update(_environment_layer(host, diagnostics))
    settings.update(parsed.settings)
    explicit_workers = "workers" in parsed.settings or "UVICORN_WORKERS" in host.env
    settings["workers"] = _workers(settings, explicit_workers, host, diagnostics)
    reload = settings["reload"]
    if reload.known and reload.value:
        workers = settings["workers"]
        if workers.known and isinstance(workers.value, int) and workers.value > 1:
            diagnostics.append(option_diagnostic(reload.source, f"--reload runs one process: uvicorn ignores workers="
                                                                f"{workers.value}", "warning",
                                                 fix="drop --reload from the command that serves production traffic "
                                                     "(it is for development)"))
        settings["workers"] = Setting(1, Source.derived("--reload runs a single server process", reload.source,
                                                        workers.source), "1")
    if "forwarded_allow_ips" not in parsed.settings and "UVICORN_FORWARDED_ALLOW_IPS" not in host.env:
        text = host.env.get("FORWARDED_ALLOW_IPS")
        if text is not None:
            settings["forwarded_allow_ips"] = Setting(text, Source("default", detail=f"{_LABEL}: "
                                                      "$FORWARDED_ALLOW_IPS", inputs=(env_source(host,
                                                      "FORWARDED_ALLOW_IPS"),)), text)
        else:
            settings["forwarded_allow_ips"] = Setting("127.0.0.1", Source.default(f"{_LABEL}: "
                                                                                  "$FORWARDED_ALLOW_IPS or 127.0.0.1"))
    settings["bind"] = _bind(settings)
    settings["worker_class"] = Setting("uvicorn", Source.default(
        "standalone uvicorn: one asyncio event loop per worker process"))
    settings["timeout"] = Setting(0, Source.default(
        f"uvicorn {UVICORN_VERSION} has no worker timeout (like gunicorn's timeout 0): a slow request is never "
        "killed"))
    settings["app"] = _app(parsed, host, source, diagnostics)
    diagnostics = parsed.diagnostics() + diagnostics
    if parsed.exits_early is not None:
        option = next(option for option in parsed.options if option.setting is None)
        diagnostics.append(option_diagnostic(option.source, f"{option.flag} makes uvicorn print its "
                                                            f"{parsed.exits_early} and exit; this command line does "
                                                            "not serve requests", "warning",
                                            fix=f"remove {option.flag} from the command that starts the server"))
    for expansion in parsed.expansions:
        diagnostics.append(option_diagnostic(expansion.source, f"{expansion.raw} may add uvicorn options when the "
                                                               "shell expands it; advisor cannot see them", "info",
                                             fix=expansion_fix(str(expansion.raw), "uvicorn")))
    app = AppServer(id=id, kind="uvicorn", source=source, settings=settings, service_name=service_name)
    return AppLoadResult(app, diagnostics)


def _app(parsed: UvicornArgs, host: HostFacts, source: Source, diagnostics: list[Diagnostic]) -> Setting:
    if parsed.app is not None:
        return parsed.app
    text = host.env.get("UVICORN_APP")
    if text is not None and not has_shell_expansion(text):
        return Setting(text, env_source(host, "UVICORN_APP"), text)
    if parsed.expansions:
        return Setting.unknown(f"the APP argument may come from {parsed.expansions[0].raw}, which is not known")
    if parsed.exits_early is None:
        diagnostics.append(option_diagnostic(source, exit_message(
            "the command names no application (the APP argument, module:app)",
            "advisor checked its options without one"),
                                             fix="pass the application as the first argument (uvicorn module:app)"))
    return Setting.unknown("no APP argument was given")
