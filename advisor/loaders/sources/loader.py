"""Load one app-server source file of a given kind: find the gunicorn/uvicorn commands it starts, build them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from advisor.loaders.sources.dockerfile import parse_dockerfile
from advisor.loaders.sources.expand import VarValue
from advisor.loaders.sources.launch import Collector, LaunchContext
from advisor.loaders.sources.makefile import load_makefile
from advisor.loaders.sources.paths import PathResolver, passed_inputs, source_dir
from advisor.loaders.sources.python_launcher import load_python_launcher
from advisor.loaders.sources.scripts import SHELL_LANGUAGES, load_lines, load_procfile, load_shell, markdown_blocks
from advisor.loaders.sources.servers import LoadedServer, app_ids, build_server
from advisor.loaders.sources.supervisor import load_supervisor
from advisor.loaders.sources.systemd import load_systemd, socket_unit_note
from advisor.loaders.sources.text import PText, SourceText, source_at
from advisor.model.deployment import AppServer, Diagnostic, HostFacts
from advisor.model.provenance import Setting
from advisor.model.suppressions import Suppression, parse_suppression_comment
from advisor.readers import read_text

if TYPE_CHECKING:
    from advisor.loaders.sources.compose import NginxMount

SOURCE_KINDS = ("compose", "dockerfile", "procfile", "systemd", "supervisor", "shell", "markdown", "python",
                "makefile")
_DESCRIPTIONS = {"compose": "docker-compose file", "dockerfile": "Dockerfile", "procfile": "Procfile",
                 "systemd": "systemd unit", "supervisor": "supervisord config", "shell": "shell script",
                 "markdown": "Markdown document", "python": "Python script", "makefile": "Makefile"}


@dataclass(slots=True)
class SourceLoadResult:
    servers: list[LoadedServer] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    nginx_mounts: list["NginxMount"] = field(default_factory=list)
    no_server: Diagnostic | None = None  # the note that this source starts no app server (also in diagnostics)

    @property
    def apps(self) -> list[AppServer]:
        return [server.result.app for server in self.servers]


# Script-like sources become per-character positioned text (advisor/loaders/sources/text.py): about 300 bytes of
# memory per character. A start script is a few kilobytes; beyond these bounds the file is not read.
MAX_SCRIPT_CHARS = 256 * 1024
MAX_SERVERS = 200  # app server processes checked per source file


def _read(path: str) -> tuple[str | None, str | None]:
    try:
        return read_text(path), None
    except OSError as error:
        return None, error.strerror or str(error)


def load_source(path: str, kind: str, host: HostFacts, inputs: list[str] | None = None) -> SourceLoadResult:
    """Every gunicorn/uvicorn process `path` (of `kind`, one of SOURCE_KINDS) starts, as AppServers.

    `inputs` are all files given to advisor: a script or config path a command names may be one of them.
    Never raises for bad input: unreadable files, syntax errors and sources without a server are diagnostics."""
    if inputs is not None:
        with passed_inputs(inputs):
            return load_source(path, kind, host)
    result = SourceLoadResult()
    text, error = _read(path)
    if text is None:
        result.diagnostics.append(Diagnostic("ADV004", "error", f"cannot read {path}: {error}", path,
                                             fix="check the path (relative paths are taken from the current "
                                                 "directory) and that the file is readable"))
        return result
    limit = MAX_SCRIPT_CHARS
    if len(text) > limit and kind != "compose":  # compose: advisor/loaders/sources/compose.py reads or refuses
        result.diagnostics.append(Diagnostic(
            "ADV004", "info", f"{path} is {len(text)} characters long; a {_DESCRIPTIONS.get(kind, kind)} over "
            f"{limit} characters is not read (a deployment's is far shorter), so its app server "
            "settings were not checked", path,
            fix="pass the file that starts the server itself (the script, unit or gunicorn.conf.py)"))
        return result
    source = SourceText(path, text)
    collector = Collector()
    try:
        _dispatch(kind, source, dict(host.env), collector, result)
        result.diagnostics.extend(collector.diagnostics)
        if len(collector.found) > MAX_SERVERS:
            result.diagnostics.append(Diagnostic(
                "ADV004", "info", f"{path} starts {len(collector.found)} app server processes; only the first "
                f"{MAX_SERVERS} were checked", path, fix="pass the file of the deployment that matters"))
            del collector.found[MAX_SERVERS:]
        for found, app_id in zip(collector.found, app_ids(collector.found)):
            loaded = build_server(found, host, app_id)
            result.servers.append(loaded)
            result.diagnostics.extend(loaded.result.diagnostics)
            result.suppressions.extend(loaded.result.suppressions)
    except RecursionError:
        result.diagnostics.append(Diagnostic("ADV004", "error", f"{path} nests expansions or scripts too deeply "
                                             "for advisor to follow", path,
                                             fix="pass the script or config that starts the server directly"))
        return result
    if not result.servers and result.no_server is None \
            and not any(d.severity == "error" for d in result.diagnostics):
        # info: the process may be started elsewhere (an image's command, a script passed next to this file)
        result.no_server = Diagnostic(
            "ADV004", "info", f"no gunicorn or uvicorn command found in this {_DESCRIPTIONS.get(kind, kind)}; "
            "its app server settings were not checked", path,
            fix="pass the file that starts the server (the script or config the process runs), or --app-format "
                "if the kind was guessed wrong")
        result.diagnostics.append(result.no_server)
    result.suppressions.extend(collect_suppressions(source))
    return result


def _dispatch(kind: str, source: SourceText, host_env: dict[str, str], collector: Collector,
              result: SourceLoadResult) -> None:
    if kind == "compose":
        from advisor.loaders.sources.compose import load_compose  # pyyaml only when a compose file is read

        compose = load_compose(source, host_env, collector)
        result.diagnostics.extend(compose.diagnostics)
        result.nginx_mounts.extend(compose.nginx_mounts)
    elif kind == "dockerfile":
        load_dockerfile(source, host_env, collector, result)
    elif kind == "procfile":
        load_procfile(source, host_env, collector)
    elif kind == "systemd":
        socket_note = socket_unit_note(source)
        if socket_note is not None:  # it starts nothing itself: this note replaces "no command found"
            result.no_server = socket_note
            result.diagnostics.append(socket_note)
        else:
            result.diagnostics.extend(load_systemd(source, host_env, collector))
    elif kind == "supervisor":
        load_supervisor(source, host_env, collector)
    elif kind == "shell":
        load_shell(source, host_env, collector)
    elif kind == "python":
        unparsed = load_python_launcher(source, host_env, collector)
        if unparsed is not None:  # says why no command was found
            result.no_server = unparsed
            result.diagnostics.append(unparsed)
    elif kind == "makefile":
        load_makefile(source, host_env, collector)
    elif kind == "markdown":
        for language, block in markdown_blocks(source):
            if language in SHELL_LANGUAGES:
                load_shell(block, host_env, collector)
            elif language in ("yaml", "yml") and "services:" in block.text:
                _dispatch("compose", block, host_env, collector, result)
            elif language == "dockerfile":
                _dispatch("dockerfile", block, host_env, collector, result)
            elif "[Service]" in block.text:
                result.diagnostics.extend(load_systemd(block, host_env, collector))
            elif "[program:" in block.text:
                load_supervisor(block, host_env, collector)
            elif language not in ("nginx", "python", "py", "json", "toml", "haproxy", "text", "txt", "http"):
                load_lines(block, host_env, collector)
    else:
        raise ValueError(f"unknown source kind {kind!r}")


def load_dockerfile(source: SourceText, host_env: dict[str, str], collector: Collector,
                    result: SourceLoadResult) -> None:
    dockerfile = parse_dockerfile(source)
    result.diagnostics.extend(dockerfile.diagnostics)
    stage = dockerfile.final
    if stage is None:
        return
    argv, via = stage.argv()
    env = stage.environment()
    for name, value in host_env.items():
        env.set(VarValue(name, PText(value), None, exported=True))
    directory = source_dir(source.path)
    resolver = PathResolver(base_dir=directory, mounts=list(stage.copies), roots=[directory],
                            working_dir=stage.workdir, runs_near_source=False)
    extra: dict[str, Setting] = {}
    if stage.exposes:
        extra["exposed_ports"] = Setting([port.text for port in stage.exposes],
                                         source_at(stage.exposes[0].at(), "EXPOSE"),
                                         " ".join(port.text for port in stage.exposes))
    collector.argv(argv, env, LaunchContext(source.path, via, resolver, label="", extra_settings=extra))


def collect_suppressions(source: SourceText) -> list[Suppression]:
    """`# advisor: ignore[CODE]` on a line covers that line, on a line of its own the next line with content;
    `# advisor: file-ignore[CODE]` the whole file."""
    found: list[Suppression] = []
    lines = list(source.lines())
    for position, (number, start, end) in enumerate(lines):
        line = source.text[start:end]
        hash_at = line.find("#")
        if hash_at == -1:
            continue
        parsed = parse_suppression_comment(line[hash_at:])
        if parsed is None:
            continue
        file_level, codes, reason = parsed
        target: int | None = None
        if not file_level:
            if line[:hash_at].strip():
                target = number
            else:
                target = next((other for other, s, e in lines[position + 1:]
                               if source.text[s:e].strip() and not source.text[s:e].lstrip().startswith("#")), None)
        found.append(Suppression(source.path, number, codes, file_level, target, reason))
    return found


__all__ = ["SOURCE_KINDS", "SourceLoadResult", "collect_suppressions", "load_source"]
