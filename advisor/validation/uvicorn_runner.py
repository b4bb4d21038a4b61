"""Run a real standalone uvicorn with a synthetic ASGI app on a loopback/unix address, for validation runs.

The app is gunicorn_runner's synthetic ASGI app, written into a private temp dir (the user's app is never run):
``?t=<seconds>`` awaits ``asyncio.sleep`` that long and answers 200. uvicorn runs with the link's ``--workers``,
``--backlog`` and ``--limit-concurrency`` (beyond it uvicorn itself answers 503). With several workers uvicorn's
supervisor binds the socket and its worker processes share it, as in production.

uvicorn runs under coreutils ``timeout`` (it stops by itself after ``max_seconds``), in its own process group, and
dies with the starting process (PR_SET_PDEATHSIG); ``stop()`` sends TERM to the group, KILLs what lingers, checks
the workers are gone and removes the temp dir.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
from dataclasses import dataclass
from functools import partial

from .app_server import AppServerHandle, checked_bind, start_app_server
from .endpoints import Endpoint
from .errors import ServerStartError
from .gunicorn_runner import SYNTHETIC_ASGI_APP
from .procutil import child_pids, stop_process_group

__all__ = ["UvicornConfig", "UvicornError", "UvicornHandle", "start_uvicorn", "uvicorn_available"]

MAX_WORKERS = 32
MAX_LIMIT = 100_000


class UvicornError(ServerStartError):
    pass


def uvicorn_available() -> bool:
    return importlib.util.find_spec("uvicorn") is not None


@dataclass(frozen=True)
class UvicornConfig:
    """uvicorn settings for a validation run."""

    bind: str = "127.0.0.1:0"  # 127.0.0.1:PORT, [::1]:PORT (0: a free port), unix:/path, or "unix:" (temp path)
    workers: int = 1
    backlog: int = 2048
    limit_concurrency: int | None = None
    max_seconds: float = 300.0
    request_log: bool = False

    def validate(self) -> Endpoint | None:
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ValueError(f"uvicorn workers must be between 1 and {MAX_WORKERS}, got {self.workers}")
        if self.backlog < 0:
            raise ValueError(f"backlog must be >= 0, got {self.backlog}")
        if self.limit_concurrency is not None and not 1 <= self.limit_concurrency <= MAX_LIMIT:
            raise ValueError(f"limit_concurrency must be between 1 and {MAX_LIMIT}, got {self.limit_concurrency}")
        return checked_bind(self)


class UvicornHandle(AppServerHandle):
    """A running uvicorn. Context manager; ``stop()`` is idempotent."""

    LOG_NAME = "uvicorn.log"
    config: UvicornConfig

    def worker_pids(self) -> list[int]:
        master = self.master_pid()
        if master is None:
            return []
        return child_pids(master) if self.config.workers > 1 else [master]

    def _stop_master(self) -> None:
        stop_process_group(self._proc, signal.SIGTERM, 6.0)


def start_uvicorn(config: UvicornConfig, *, ready_timeout_s: float = 20.0) -> UvicornHandle:
    """Start uvicorn with the synthetic ASGI app and wait until it listens and every worker imported the app."""
    endpoint = config.validate()
    if not uvicorn_available():
        raise UvicornError("uvicorn is not installed (pip install uvicorn)")
    # settle_s: the app is imported before the worker's loop serves the shared socket
    return start_app_server("uvicorn", UvicornHandle, UvicornError, config=config, endpoint=endpoint,
                            app_source=SYNTHETIC_ASGI_APP, command=partial(_command, config), workers=config.workers,
                            settle_s=0.2, ready_timeout_s=ready_timeout_s)


def _command(config: UvicornConfig, address: Endpoint, tmpdir: str) -> tuple[list[str], dict[str, str]]:
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("UVICORN_") and key not in ("WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS")}
    if address.is_unix:
        where = ["--uds", str(address.path)]
    else:
        where = ["--host", str(address.host), "--port", str(address.port)]
    argv = [sys.executable, "-m", "uvicorn", *where, "--workers", str(config.workers),
            "--backlog", str(config.backlog), "--no-access-log", "--log-level", "warning", "--lifespan", "off",
            "--app-dir", tmpdir]
    if config.limit_concurrency is not None:
        argv += ["--limit-concurrency", str(config.limit_concurrency)]
    argv.append("advisor_synthetic_app:app")
    return argv, env
