"""uWSGI: config files (ini, YAML, JSON, XML) and command lines -> AppServer (kind "uwsgi"), never executed.

Public API:
  load_uwsgi_config(path, host) -> AppLoadResult: a config file given directly (`advisor check nginx.conf uwsgi.ini`)
  parse_uwsgi_args(words) -> UwsgiArgs: a command line (`uwsgi --ini app.ini --processes 4`), words with positions
  app_server_from_args(args, source, host, *, id, resolve, cwd=None, service_name=None) -> AppLoadResult
"""

from advisor.loaders.uwsgi.build import app_server_from_args, load_uwsgi_config
from advisor.loaders.uwsgi.cmdline import UwsgiArgs, parse_uwsgi_args
from advisor.loaders.uwsgi.entries import Entry, Word
from advisor.loaders.uwsgi.options import UWSGI_VERSION

__all__ = ["Entry", "UWSGI_VERSION", "UwsgiArgs", "Word", "app_server_from_args", "load_uwsgi_config",
           "parse_uwsgi_args"]
