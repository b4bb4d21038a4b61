"""Run a real uWSGI with a synthetic WSGI app on a loopback/unix socket, for validation runs.

uWSGI comes from the ``pyuwsgi`` package (its ``uwsgi`` command embeds Python). It serves the synthetic app of
gunicorn_runner (``?t=<seconds>`` sleeps that long; every worker marks itself ready after importing it; with
``request_log`` every request appends ``{"pid", "start", "done", "i"}``) on a ``socket`` (the uwsgi protocol, what
nginx's ``uwsgi_pass`` speaks) or an ``http-socket``, with the link's processes, threads, listen queue and harakiri.
The user's app and ini files are never run: uWSGI gets only command-line options, and every ``UWSGI_*`` variable is
removed from its environment (uWSGI reads them as options).

``lazy-apps`` makes each worker import the app itself, so that a respawned worker announces itself like a new one;
the import takes milliseconds, next to the ~1 s the master takes to re-fork a killed worker.

uWSGI runs under coreutils ``timeout`` (it stops by itself after ``max_seconds``; ``die-on-term`` makes TERM a
shutdown), dies with the starting process (PR_SET_PDEATHSIG, and ``no-orphans`` for the workers); ``stop()`` sends
INT, KILLs the group if it lingers, checks the workers are gone and removes the temp dir (socket, logs, app).
"""

from __future__ import annotations

import os
import shutil
import signal
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from .app_server import APP_FILE, AppServerHandle, checked_bind, start_app_server
from .endpoints import Endpoint
from .errors import ServerStartError
from .gunicorn_runner import SYNTHETIC_APP
from .procutil import read_text_if_present, stop_process_group

MAX_PROCESSES = 32  # full Python processes, as with gunicorn
MAX_THREADS = 64
PROTOCOLS = {"uwsgi": "--socket", "http": "--http-socket"}


class UwsgiError(ServerStartError):
    pass


def uwsgi_binary() -> str | None:
    """The ``uwsgi`` command (pyuwsgi's, or a system uWSGI with the Python plugin built in), or None."""
    return shutil.which("uwsgi")


@dataclass(frozen=True)
class UwsgiConfig:
    """uWSGI settings for a validation run."""

    bind: str = "unix:"  # 127.0.0.1:PORT, [::1]:PORT (0: a free port), unix:/path, or "unix:" (temp path)
    protocol: str = "uwsgi"  # "uwsgi" (socket) or "http" (http-socket)
    processes: int = 1
    threads: int = 1
    listen: int = 100
    harakiri_s: int = 0  # whole seconds; 0 = off
    max_seconds: float = 300.0
    request_log: bool = False
    wait_for_workers: bool = True  # start() returns once every worker imported the app (else: once it listens)

    def validate(self) -> Endpoint | None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {self.protocol!r}")
        if not 1 <= self.processes <= MAX_PROCESSES or not 1 <= self.threads <= MAX_THREADS:
            raise ValueError(f"processes must be in 1..{MAX_PROCESSES} and threads in 1..{MAX_THREADS}, got "
                             f"{self.processes} and {self.threads}")
        if not isinstance(self.listen, int) or self.listen < 1:
            raise ValueError(f"listen must be an integer >= 1, got {self.listen!r}")
        if not isinstance(self.harakiri_s, int) or self.harakiri_s < 0:
            raise ValueError(f"harakiri is a whole number of seconds >= 0, got {self.harakiri_s!r}")
        return checked_bind(self)


class UwsgiHandle(AppServerHandle):
    """A running uWSGI. Context manager; ``stop()`` is idempotent."""

    LOG_NAME = "uwsgi.log"
    config: UwsgiConfig

    def master_pid(self) -> int | None:
        if not self.running:
            return None
        text = read_text_if_present(Path(self._tmpdir, "uwsgi.pid")).strip()
        return int(text) if text.isdigit() else None

    def _stop_master(self) -> None:
        stop_process_group(self._proc, signal.SIGINT, 10.0)  # INT: uWSGI kills its workers and exits


def start_uwsgi(config: UwsgiConfig, *, ready_timeout_s: float = 20.0) -> UwsgiHandle:
    """Start uWSGI with the synthetic app and wait until it listens (and its workers are ready)."""
    endpoint = config.validate()
    binary = uwsgi_binary()
    if binary is None:
        raise UwsgiError("uWSGI is not installed (pip install pyuwsgi)")
    return start_app_server("uWSGI", UwsgiHandle, UwsgiError, config=config, endpoint=endpoint,
                            app_source=SYNTHETIC_APP, command=partial(_command, binary, config),
                            workers=config.processes, wait_for_workers=config.wait_for_workers,
                            ready_timeout_s=ready_timeout_s)


def uwsgi_argv(binary: str, config: UwsgiConfig, address: Endpoint, tmpdir: str) -> list[str]:
    """The uWSGI command line: only options, never a config file."""
    bind = address.path if address.is_unix else str(address)
    argv = [
        binary,
        "--strict",
        "--master",
        PROTOCOLS[config.protocol], str(bind),
        "--processes", str(config.processes),
        "--threads", str(config.threads),
        "--listen", str(config.listen),
        "--harakiri", str(config.harakiri_s),
        "--chdir", tmpdir,
        "--wsgi-file", os.path.join(tmpdir, APP_FILE),
        "--callable", "app",
        "--need-app",
        "--lazy-apps",
        "--single-interpreter",
        "--die-on-term",
        "--no-orphans",
        "--vacuum",
        "--disable-logging",  # no line per request; errors, harakiri and respawns are still logged
        "--pidfile", os.path.join(tmpdir, "uwsgi.pid"),
    ]
    if config.threads > 1:
        argv.append("--enable-threads")
    return argv


def _command(binary: str, config: UwsgiConfig, address: Endpoint, tmpdir: str) -> tuple[list[str], dict[str, str]]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("UWSGI_")}  # uWSGI reads them
    env["ADVISOR_APP_BOOT_DELAY"] = "0"
    return uwsgi_argv(binary, config, address, tmpdir), env
