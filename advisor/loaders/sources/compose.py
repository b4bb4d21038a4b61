"""docker-compose files: each service's command, environment, mounts and ports; services that run nginx.

Read with `yaml.compose` (nodes with marks, nothing constructed), so every value keeps its line and column.
Compose interpolates `${VAR}` / `${VAR:-default}` / `$$` in the file from the shell environment (`--env`) and the
`.env` file next to it — not from a service's `environment:`. The container's environment is `env_file:` <
`environment:` (< the image's ENV when the command comes from a Dockerfile), with `--env` on top as the
deployment's environment. `command:`/`entrypoint:` as a string is split with shell quoting but not run by a shell;
a list is used as is. A service without a command takes it from its build context's Dockerfile when that exists.
"""

from __future__ import annotations

import os
import posixpath
import re
from dataclasses import dataclass, field
from functools import lru_cache

import yaml

from advisor.loaders.sources.dockerfile import Dockerfile, parse_dockerfile, uses_nginx_image
from advisor.loaders.sources.envfile import parse_env_file
from advisor.loaders.sources.expand import Environment, VarValue, interpolate
from advisor.loaders.sources.launch import NOTE, Collector, LaunchContext
from advisor.loaders.sources.paths import PathResolver, source_dir
from advisor.loaders.sources.service_roles import is_infrastructure
from advisor.loaders.sources.text import PText, Pos, SourceText, Unresolved, read_source_file, source_at
from advisor.loaders.sources.words import mark_literal_dollars, split_without_shell
from advisor.loaders.sources.yaml_positions import is_null, mapping_items, scalar_ptext, sequence_items
from advisor.model.deployment import Diagnostic
from advisor.model.provenance import Setting
from advisor.yaml_limits import YamlLimitError, check_yaml

_INTERPOLATION_HINT = (" when compose reads the file (compose takes it from the shell environment or the .env file, "
                       "not from the service's environment:)")
_LITERAL_REASON = ("compose passes {word} to the command as written and no shell expands it (write the command "
                   "as [\"sh\", \"-c\", \"...\"] to expand variables in the container)")
_NGINX_IMAGE = re.compile(r"(^|/)(nginx|openresty|nginx-unprivileged)([:@/-]|$)")
NGINX_CONFIG_DIRS = ("/etc/nginx", "/usr/local/openresty/nginx/conf", "/opt/bitnami/nginx/conf")


@dataclass(slots=True)
class NginxMount:
    service: str
    local: str  # a file on this machine
    target: str  # where nginx sees it
    position: Pos | None


@dataclass(slots=True)
class ComposeResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    nginx_mounts: list[NginxMount] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    nginx_env: dict[str, Setting] = field(default_factory=dict)  # the nginx containers' environment (templates)


def _diagnostic(severity: str, message: str, position: Pos | None, path: str, code: str = "ADV004", *,
                fix: str | None = None, missing: str | None = None) -> Diagnostic:
    return Diagnostic(code, severity, message, position.path if position else path,  # type: ignore[arg-type]
                      position.line if position else None, position.column if position else None, fix=fix,
                      missing=missing)


class _ComposeFile:
    def __init__(self, source: SourceText, host_env: dict[str, str]) -> None:
        self.source = source
        self.directory = source_dir(source.path)
        self.result = ComposeResult()
        self.interpolation = self._interpolation_env(host_env)
        self.host_env = host_env

    def _interpolation_env(self, host_env: dict[str, str]) -> Environment:
        env = Environment(unset_hint=_INTERPOLATION_HINT)
        dotenv = os.path.join(self.directory, ".env")
        if os.path.isfile(dotenv) and os.path.abspath(dotenv) != os.path.abspath(self.source.path):
            text = read_source_file(dotenv)
            if text is not None:
                for entry in parse_env_file(SourceText(dotenv, text), interpolate_with=env):
                    env.set(VarValue(entry.name, entry.value, source_at(entry.name_at.at(), entry.name)))
        for name, value in host_env.items():
            env.set(VarValue(name, PText(value), None))
        return env

    def text(self, node: yaml.Node) -> PText:
        """A scalar's value after compose interpolation, positioned."""
        if not isinstance(node, yaml.ScalarNode):
            return PText("")
        return interpolate(scalar_ptext(self.source, node), self.interpolation)

    def position(self, node: yaml.Node | None) -> Pos | None:
        if node is None:
            return None
        return self.source.pos(node.start_mark.index)

    def services(self, root: yaml.Node) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        top = mapping_items(root)
        if "services" in top:
            return mapping_items(top["services"][1])
        # version-1 files: services at the top level
        return {name: item for name, item in top.items()
                if isinstance(item[1], yaml.MappingNode)
                and any(key in mapping_items(item[1]) for key in ("image", "build", "command"))}


MAX_COMPOSE_CHARS = 1024 * 1024  # PyYAML's Python parser reads about 1 MB/s; a compose file is a few KB


@lru_cache(maxsize=8)
def _composed(text: str) -> yaml.Node | None:
    """The node tree of a compose text, composed once however many readers ask (nodes are never modified)."""
    check_yaml(text)
    return yaml.compose(text, Loader=yaml.SafeLoader)


_NOT_CHECKED = "the services in this file were not checked"


def read_compose(source: SourceText) -> tuple[yaml.Node | None, Diagnostic | None]:
    if len(source.text) > MAX_COMPOSE_CHARS:
        return None, Diagnostic("ADV004", "info", f"{source.path} is {len(source.text)} characters long; a compose "
                                f"file over {MAX_COMPOSE_CHARS} characters is not read, so its app server settings "
                                "were not checked", source.path,
                                fix="pass the compose file of the deployment (or the file that starts the server)")
    try:
        return _composed(source.text), None
    except YamlLimitError as error:
        line = source.first_line + error.line - 1 if error.line is not None else None
        return None, Diagnostic("ADV004", "error", f"{source.path} is not read ({error}): {_NOT_CHECKED}",
                                source.path, line,
                                fix="simplify the YAML (docker compose itself refuses documents this large)")
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
        line = source.first_line + mark.line if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        return None, Diagnostic("ADV004", "error", f"{source.path} is not valid YAML ({problem}): docker compose "
                                f"refuses it, and {_NOT_CHECKED}", source.path, line, column,
                                fix="fix the YAML at this position (`docker compose config` reports the same error)")


def load_compose(source: SourceText, host_env: dict[str, str], collector: Collector) -> ComposeResult:
    """Hand each service's command to the collector; return nginx mounts and diagnostics."""
    compose = _ComposeFile(source, host_env)
    root, error = read_compose(source)
    if error is not None:
        compose.result.diagnostics.append(error)
        return compose.result
    if root is None:
        return compose.result
    for name, (key_node, node) in compose.services(root).items():
        compose.result.services.append(name)
        _Service(compose, name, key_node, node, collector).load()
    return compose.result


class _Service:
    def __init__(self, compose: _ComposeFile, name: str, key_node: yaml.Node, node: yaml.Node,
                 collector: Collector) -> None:
        self.compose = compose
        self.name = name
        self.key_node = key_node
        self.items = mapping_items(node)
        self.collector = collector
        self.path = compose.source.path

    def value(self, key: str) -> yaml.Node | None:
        item = self.items.get(key)
        return item[1] if item is not None else None

    def scalar(self, key: str) -> PText | None:
        node = self.value(key)
        return self.compose.text(node) if isinstance(node, yaml.ScalarNode) and not is_null(node) else None

    # -- build context, mounts -------------------------------------------------------------------------------
    def build(self) -> tuple[str | None, str | None]:
        node = self.value("build")
        if node is None:
            return None, None
        if isinstance(node, yaml.ScalarNode):
            context, dockerfile = self.compose.text(node).text, "Dockerfile"
        else:
            items = mapping_items(node)
            context = self.compose.text(items["context"][1]).text if "context" in items else "."
            dockerfile = self.compose.text(items["dockerfile"][1]).text if "dockerfile" in items else "Dockerfile"
        if "://" in context or context.startswith("git@"):
            return None, None
        directory = os.path.normpath(os.path.join(self.compose.directory, context))
        return directory, os.path.normpath(os.path.join(directory, dockerfile))

    def mounts(self) -> list[tuple[str, str, Pos | None]]:
        """(target in the container, local path, position) for bind mounts of local paths."""
        found = []
        for item in sequence_items(self.value("volumes")):
            if isinstance(item, yaml.ScalarNode):
                value = self.compose.text(item)
                parts = value.text.split(":")
                if len(parts) < 2:
                    continue
                local, target = parts[0], parts[1]
                local_text = value[:len(local)]
            else:
                fields = mapping_items(item)
                if "source" not in fields or "target" not in fields:
                    continue
                local_text = self.compose.text(fields["source"][1])
                local, target = local_text.text, self.compose.text(fields["target"][1]).text
            if not (local.startswith((".", "/", "~")) or "/" in local):
                continue  # a named volume
            if any(isinstance(tag, Unresolved) for tag in local_text.all_tags()):
                continue  # `${PWD}/...` without a value
            found.append((target, os.path.normpath(os.path.join(self.compose.directory, os.path.expanduser(local))),
                          self.compose.position(item)))
        return found

    # -- environment -----------------------------------------------------------------------------------------
    def environment(self, base: Environment | None) -> Environment:
        env = base.copy() if base is not None else Environment()
        for path_text, required, position in self.env_files():
            local = os.path.normpath(os.path.join(self.compose.directory, path_text))
            text = read_source_file(local)
            if text is None:
                if required:
                    self.compose.result.diagnostics.append(_diagnostic(
                        "info", f"env_file {path_text} of service {self.name} is not among the inputs (not found "
                                "next to the compose file), so the variables it sets are unknown",
                        position, self.path, missing=path_text,
                        fix="nothing to fix if the file exists where compose runs (it is often kept out of the "
                            "repository); pass the values you know with --env NAME=VALUE to check what uses them"))
                continue
            for entry in parse_env_file(SourceText(local, text), interpolate_with=self.compose.interpolation):
                env.set(VarValue(entry.name, entry.value, source_at(entry.name_at.at(), f"env_file: {entry.name}"),
                                 exported=True))
        for name, value, position in self.environment_entries():
            if value is None:
                passed = self.compose.interpolation.get(name)
                if passed is not None:
                    env.set(VarValue(name, passed.text, passed.source or source_at(position, f"environment: {name}"),
                                     passed.reason, exported=True))
                continue
            env.set(VarValue(name, value, source_at(position, f"environment: {name}"), exported=True))
        for name, value in self.compose.host_env.items():
            env.set(VarValue(name, PText(value), None, exported=True))
        return env

    def env_files(self) -> list[tuple[str, bool, Pos | None]]:
        node = self.value("env_file")
        if node is None:
            return []
        items = [node] if isinstance(node, yaml.ScalarNode) else list(sequence_items(node))
        found = []
        for item in items:
            if isinstance(item, yaml.ScalarNode):
                found.append((self.compose.text(item).text, True, self.compose.position(item)))
            elif isinstance(item, yaml.MappingNode):
                fields = mapping_items(item)
                if "path" in fields:
                    required = True
                    if "required" in fields:
                        required = self.compose.text(fields["required"][1]).text.lower() not in ("false", "no")
                    found.append((self.compose.text(fields["path"][1]).text, required, self.compose.position(item)))
        return found

    def environment_entries(self) -> list[tuple[str, PText | None, Pos | None]]:
        node = self.value("environment")
        entries: list[tuple[str, PText | None, Pos | None]] = []
        if isinstance(node, yaml.MappingNode):
            for name, (key, value) in mapping_items(node).items():
                entries.append((name, None if is_null(value) else self.compose.text(value), self.compose.position(key)))
        for item in sequence_items(node):
            text = self.compose.text(item)
            name, equals, _ = text.text.partition("=")
            entries.append((name.strip(), text[len(name) + 1:] if equals else None, self.compose.position(item)))
        return entries

    # -- command ---------------------------------------------------------------------------------------------
    def words(self, key: str) -> list[PText] | None:
        node = self.value(key)
        if node is None or is_null(node):
            return None
        if isinstance(node, yaml.ScalarNode):
            words, errors = split_without_shell(self.compose.text(node), _LITERAL_REASON)
            for message in errors:
                self.compose.result.diagnostics.append(_diagnostic(
                    "error", f"{key} of service {self.name}: {message}", self.compose.position(node), self.path,
                    fix=f"fix the quoting of {key}: compose splits it into words like a shell, without expanding "
                        "variables"))
            return words
        return [mark_literal_dollars(self.compose.text(item), _LITERAL_REASON) for item in sequence_items(node)]

    def healthcheck_program(self) -> str | None:
        """The program `healthcheck: test:` runs (`pg_isready` of `["CMD", "pg_isready", ...]`)."""
        node = self.value("healthcheck")
        test = mapping_items(node).get("test") if isinstance(node, yaml.MappingNode) else None
        if test is None:
            return None
        if isinstance(test[1], yaml.ScalarNode):
            words = self.compose.text(test[1]).text.split()
        else:
            words = [self.compose.text(item).text for item in sequence_items(test[1])]
            if words and words[0] in ("CMD", "CMD-SHELL"):
                words = " ".join(words[1:]).split()
        return words[0] if words else None

    def extra_settings(self) -> dict[str, Setting]:
        settings: dict[str, Setting] = {}
        ports = [(self.compose.text(item).text, self.compose.position(item))
                 for item in sequence_items(self.value("ports")) if isinstance(item, yaml.ScalarNode)]
        if ports:
            settings["published_ports"] = Setting([text for text, _ in ports], source_at(ports[0][1], "ports"),
                                                  ", ".join(text for text, _ in ports))
        expose = [(self.compose.text(item).text, self.compose.position(item))
                  for item in sequence_items(self.value("expose")) if isinstance(item, yaml.ScalarNode)]
        if expose:
            settings["exposed_ports"] = Setting([text for text, _ in expose], source_at(expose[0][1], "expose"),
                                                ", ".join(text for text, _ in expose))
        return settings

    def load(self) -> None:
        context_dir, dockerfile_path = self.build()
        dockerfile = _dockerfile(dockerfile_path, context_dir)
        stage = dockerfile.final if dockerfile is not None else None
        mounts = self.mounts()
        self.note_nginx(mounts, dockerfile, context_dir)
        entrypoint, command = self.words("entrypoint"), self.words("command")
        via = "compose service " + self.name
        if entrypoint is not None:
            argv = entrypoint + (command or [])
            via += ": entrypoint" + (" + command" if command else "")
        elif command is not None:
            argv = (list(stage.entrypoint) if stage is not None and stage.entrypoint and not stage.entrypoint_shell
                    else []) + command
            via += ": command"
        elif stage is not None:
            argv, instruction = stage.argv()
            via += f": {instruction} of {os.path.relpath(dockerfile_path or '', self.compose.directory)}"
        else:
            return
        env = self.environment(stage.environment() if stage is not None else None)
        working_dir = self.scalar("working_dir")
        resolver = PathResolver(
            base_dir=context_dir if context_dir and os.path.isdir(context_dir) else self.compose.directory,
            mounts=[(target, local) for target, local, _ in mounts] + (list(stage.copies) if stage else []),
            roots=[self.compose.directory] + ([context_dir] if context_dir else []),
            working_dir=working_dir.text if working_dir is not None else (stage.workdir if stage else None),
            runs_near_source=False)
        context = LaunchContext(self.path, via, resolver, label=self.name, service_name=self.name,
                                extra_settings=self.extra_settings())
        self.collector.argv(argv, env, context)

    def note_nginx(self, mounts: list[tuple[str, str, Pos | None]], dockerfile: Dockerfile | None,
                   context_dir: str | None) -> None:
        image = self.scalar("image")
        runs_nginx = bool(image is not None and _NGINX_IMAGE.search(image.text.lower())) or (
            dockerfile is not None and uses_nginx_image(dockerfile))
        if not runs_nginx:
            return
        for name, variable in self.environment(None).exported().items():
            if variable.text is not None and not variable.unresolved_reasons and variable.source is not None:
                self.compose.result.nginx_env.setdefault(name, Setting(variable.text.text, variable.source,
                                                                       variable.text.text))
        found: list[NginxMount] = []
        copies = [(target, local, None) for target, local in (dockerfile.final.copies if dockerfile and
                                                             dockerfile.final else [])]
        for target, local, position in mounts + copies:
            if not any(target == root or target.startswith(root + "/") for root in NGINX_CONFIG_DIRS):
                continue
            for path in _config_files(local, target):
                found.append(NginxMount(self.name, path, target, position or self.compose.position(self.key_node)))
        self.compose.result.nginx_mounts.extend(found)
        where = self.compose.position(self.key_node)
        if found:
            shown = ", ".join(os.path.relpath(mount.local, self.compose.directory) for mount in found)
            self.compose.result.diagnostics.append(_diagnostic(
                "info", f"service {self.name} runs nginx with {shown}; advisor checks this mounted config when no "
                        "nginx config is given", where, self.path, NOTE,
                fix="nothing to do if this is the config that runs; to check another, pass it explicitly, e.g. "
                    f"`advisor check {os.path.relpath(found[0].local, self.compose.directory)} "
                    f"{os.path.basename(self.path)}`"))
        else:
            self.compose.result.diagnostics.append(_diagnostic(
                "info", f"service {self.name} runs nginx, but no nginx config from this directory is mounted or "
                        "copied into it, so its nginx config was not checked", where, self.path, NOTE,
                fix=f"pass the nginx config the image uses as an input (`advisor check nginx.conf "
                    f"{os.path.basename(self.path)}`) to check nginx too"))


def _config_files(local: str, target: str) -> list[str]:
    if os.path.isfile(local):
        return [local]
    if not os.path.isdir(local):
        return []
    if posixpath.basename(target.rstrip("/")) in ("nginx", "conf") and os.path.isfile(os.path.join(local,
                                                                                                   "nginx.conf")):
        return [os.path.join(local, "nginx.conf")]
    return sorted(os.path.join(local, name) for name in os.listdir(local)
                  if name.endswith((".conf", ".template")) and os.path.isfile(os.path.join(local, name)))


def _dockerfile(path: str | None, context_dir: str | None) -> Dockerfile | None:
    if path is None or not os.path.isfile(path):
        return None
    text = read_source_file(path)
    return parse_dockerfile(SourceText(path, text), context_dir) if text is not None else None


def nginx_environment_from_compose(path: str, host_env: dict[str, str]) -> dict[str, Setting]:
    """The environment compose gives its nginx services (`environment:`, `env_file:`), each value positioned: what
    the nginx image's envsubst templates are filled with."""
    text = read_source_file(path)
    if text is None:
        return {}
    return load_compose(SourceText(path, text), host_env, Collector()).nginx_env


def nginx_configs_from_compose(path: str) -> list[str]:
    """The nginx config files a compose file's nginx services mount or copy from this machine, main configs
    (mounted at <nginx dir>/nginx.conf) first. Empty when there is none or the file cannot be read."""
    text = read_source_file(path)
    if text is None:
        return []
    result = load_compose(SourceText(path, text), {}, Collector())
    mounts = sorted(result.nginx_mounts, key=lambda mount: (not mount.target.endswith("/nginx.conf"),
                                                            mount.local))
    return list(dict.fromkeys(mount.local for mount in mounts))


def compose_service_names(path: str) -> list[str]:
    """The service names of a compose file (the host names other containers reach them by); empty when it cannot
    be read."""
    text = read_source_file(path)
    if text is None:
        return []
    source = SourceText(path, text)
    root, error = read_compose(source)
    if error is not None or root is None:
        return []
    return list(_ComposeFile(source, {}).services(root))


@dataclass(slots=True)
class ImageService:
    """A service that runs its image's own command: no `build:`, `command:`, `entrypoint:` or `extends:`, so what
    it runs is not in the compose file."""

    name: str
    image: str
    position: Pos | None
    infrastructure: bool  # a proxy, database, cache, frontend ... (service_roles)
    env: Environment  # env_file < environment: < --env
    extra_settings: dict[str, Setting]


def image_services(path: str, host_env: dict[str, str]) -> list[ImageService]:
    """The services of a compose file that run a pulled image's own command (empty when it cannot be read)."""
    text = read_source_file(path)
    if text is None:
        return []
    source = SourceText(path, text)
    root, error = read_compose(source)
    if error is not None or root is None:
        return []
    compose = _ComposeFile(source, host_env)
    found = []
    for name, (key_node, node) in compose.services(root).items():
        service = _Service(compose, name, key_node, node, Collector())
        image = service.scalar("image")
        if image is None or any(key in service.items for key in ("build", "command", "entrypoint", "extends")):
            continue
        found.append(ImageService(name, image.text, compose.position(key_node),
                                  is_infrastructure(image.text, service.healthcheck_program()),
                                  service.environment(None), service.extra_settings()))
    return found
