"""uWSGI: config files (ini, YAML, JSON, XML) and command lines -> AppServer (kind "uwsgi"), never executed.

Public API:
  load_uwsgi_config(path, host) -> AppLoadResult: a config file given directly (`advisor check nginx.conf uwsgi.ini`)
  parse_uwsgi_args(words) -> UwsgiArgs: a command line (`uwsgi --ini app.ini --processes 4`), words with positions
  app_server_from_args(args, source, host, *, id, resolve, cwd=None, service_name=None) -> AppLoadResult
"""

from importlib import import_module
from typing import Any

# Where each public name lives: imported on first use, so that importing one submodule (the option table, which
# the rule catalog reads on every run) does not load the whole loader.
_EXPORTS = {
    "app_server_from_args": "build", "load_uwsgi_config": "build", "UwsgiArgs": "cmdline",
    "parse_uwsgi_args": "cmdline", "Entry": "entries", "Word": "entries", "UWSGI_VERSION": "options",
}

__all__ = ["Entry", "UWSGI_VERSION", "UwsgiArgs", "Word", "app_server_from_args", "load_uwsgi_config",
           "parse_uwsgi_args"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{module}"), name)
