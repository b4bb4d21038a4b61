"""Static gunicorn settings loader: config files evaluated with `ast` (never executed) and gunicorn command lines.

Public API:
  load_gunicorn_config(path, host, *, command_line=None) -> AppLoadResult
  app_server_from_command_line(parsed, source, host, *, base_dir, id, ...) -> AppLoadResult
  parse_gunicorn_args(argv, source_for=None, *, shell_vars=True) -> ParsedArgs
  build_app_server(layers, host, *, id, source, ...) -> (AppServer, diagnostics)
  classify_worker_class(worker_class, threads=1) -> WorkerClassInfo
"""

from typing import Any

from advisor.loaders.gunicorn.build import (
    AppLoadResult, app_server_from_command_line, build_app_server, default_settings, load_gunicorn_config,
)
from advisor.loaders.gunicorn.settings import (
    SETTINGS, SETTINGS_BY_NAME, WorkerClassInfo, classify_worker_class, suggest_setting,
)

__all__ = [
    "AppLoadResult", "ParsedArgs", "ParsedOption", "SETTINGS", "SETTINGS_BY_NAME", "UnknownOption",
    "WorkerClassInfo", "app_server_from_command_line", "build_app_server", "classify_worker_class",
    "default_settings", "load_gunicorn_config", "parse_gunicorn_args", "suggest_setting",
]
_COMMAND_LINE_NAMES = frozenset({"ParsedArgs", "ParsedOption", "UnknownOption", "parse_gunicorn_args"})


def __getattr__(name: str) -> Any:
    """The command-line parser's names, imported on first use: loading a config file alone does not need it."""
    if name in _COMMAND_LINE_NAMES:
        from advisor.loaders.gunicorn import cmdline

        return getattr(cmdline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
