"""Standalone uvicorn command lines: `uvicorn app:app --workers 4 --timeout-keep-alive 5 ...` -> AppServer.

Public API:
  parse_uvicorn_args(argv, source_for=None) -> UvicornArgs
  uvicorn_app_server(parsed, source, host, *, id, service_name=None) -> AppLoadResult
  OPTIONS / OPTIONS_BY_NAME: uvicorn 0.54.0's options (setting names = uvicorn.Config parameters)

gunicorn with `-k uvicorn.workers.UvicornWorker` / `uvicorn_worker.UvicornWorker` stays a gunicorn AppServer
(gunicorn's `keepalive` becomes uvicorn's timeout_keep_alive there; see docs/failures.md#keep-alive-race).
"""

from advisor.loaders.uvicorn.build import uvicorn_app_server
from advisor.loaders.uvicorn.cmdline import UvicornArgs, UvicornParsedOption, parse_uvicorn_args
from advisor.loaders.uvicorn.options import OPTIONS, OPTIONS_BY_NAME, UVICORN_VERSION, UvicornOption

__all__ = ["OPTIONS", "OPTIONS_BY_NAME", "UVICORN_VERSION", "UvicornArgs", "UvicornOption", "UvicornParsedOption",
           "parse_uvicorn_args", "uvicorn_app_server"]
