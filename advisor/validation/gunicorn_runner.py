"""Run a real gunicorn with a synthetic app on a loopback/unix address, for validation runs.

The worker class is the user's: ``sync``, ``gthread`` (``threads``, ``worker_connections``), ``gevent`` (a pool of
``worker_connections`` greenlets), ``uvicorn`` (``UvicornWorker``) or gunicorn's own ``asgi`` (both with a synthetic
ASGI app). The app is written by
us into a private temp dir (the user's app and config are never run): ``?t=<seconds>`` sleeps that long (a blocking
sleep for WSGI, which gevent's monkey-patching makes cooperative; ``asyncio.sleep`` for ASGI) and answers 200 ``ok``.
Each worker marks itself ready after importing the app, and with ``request_log`` every request appends ``{"pid",
"start", "done", "i"}`` (CLOCK_MONOTONIC, comparable with the load generator's times; ``i`` is the load generator's
request index) so the validation can measure utilisation and how requests were split over the workers.

gunicorn runs under coreutils ``timeout`` (it stops by itself after ``max_seconds``) and dies with the starting
process (PR_SET_PDEATHSIG); ``stop()`` sends TERM, KILLs the group if it lingers, checks the workers are gone and
removes the temp dir (socket, logs, heartbeat files, control files).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import sys
import textwrap
from dataclasses import dataclass
from functools import partial

from .app_server import AppServerHandle, checked_bind, start_app_server
from .endpoints import Endpoint
from .errors import ServerStartError
from .procutil import stop_process_group

MAX_WORKERS = 32  # full Python processes (~25 MB each); more does not schedule reliably on a 2-core machine
MAX_THREADS = 64
MAX_WORKER_CONNECTIONS = 10_000

_APP_PRELUDE = """
# Written by advisor.validation.gunicorn_runner: a synthetic app for validation runs.
import json
import os
import time
from urllib.parse import parse_qs

time.sleep(float(os.environ.get("ADVISOR_APP_BOOT_DELAY", "0")))
_READY_DIR = os.environ.get("ADVISOR_APP_READY_DIR")
if _READY_DIR:
    open(os.path.join(_READY_DIR, str(os.getpid())), "w").close()
_LOG = os.environ.get("ADVISOR_APP_LOG")
_LOG_FD = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600) if _LOG else None


def _query(text):
    query = parse_qs(text)
    return float(query.get("t", ["0"])[0]), query.get("i", [None])[0]


def _log(start, index):
    if _LOG_FD is not None:
        line = json.dumps({"pid": os.getpid(), "start": start, "done": time.monotonic(), "i": index})
        os.write(_LOG_FD, (line + "\\n").encode())
"""

SYNTHETIC_APP = _APP_PRELUDE + textwrap.dedent(
    """

    def app(environ, start_response):
        start = time.monotonic()
        seconds, index = _query(environ.get("QUERY_STRING", ""))
        time.sleep(seconds)
        body = b"ok\\n"
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        _log(start, index)
        return [body]
    """
)

SYNTHETIC_ASGI_APP = _APP_PRELUDE + textwrap.dedent(
    """
    import asyncio


    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        start = time.monotonic()
        seconds, index = _query(scope.get("query_string", b"").decode("latin-1"))
        await asyncio.sleep(seconds)
        body = b"ok\\n"
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
        _log(start, index)
    """
)

# worker class -> (gunicorn --worker-class value candidates, the module each needs)
WORKER_CLASSES: dict[str, tuple[tuple[str, str], ...]] = {
    "sync": (("sync", "gunicorn"),),
    "gthread": (("gthread", "gunicorn"),),
    "gevent": (("gevent", "gevent"),),
    "uvicorn": (("uvicorn_worker.UvicornWorker", "uvicorn_worker"), ("uvicorn.workers.UvicornWorker", "uvicorn")),
    "asgi": (("asgi", "gunicorn.asgi"),),
}
ASGI_CLASSES = frozenset({"uvicorn", "asgi"})


class GunicornError(ServerStartError):
    pass


def gunicorn_available() -> bool:
    return importlib.util.find_spec("gunicorn") is not None


def worker_class_argument(worker_class: str) -> str | None:
    """gunicorn's ``--worker-class`` value for ``worker_class``, or None when its package is not installed."""
    for argument, module in WORKER_CLASSES.get(worker_class, ()):
        if importlib.util.find_spec(module) is not None:
            return argument
    return None


def worker_class_available(worker_class: str) -> bool:
    return gunicorn_available() and worker_class_argument(worker_class) is not None


@dataclass(frozen=True)
class GunicornConfig:
    """gunicorn settings for a validation run."""

    bind: str = "127.0.0.1:0"  # 127.0.0.1:PORT, [::1]:PORT (0: a free port), unix:/path, or "unix:" (temp path)
    workers: int = 1
    worker_class: str = "sync"  # sync, gthread, gevent or uvicorn (WORKER_CLASSES)
    threads: int = 1  # gthread only
    worker_connections: int = 1000  # gthread and gevent
    backlog: int = 2048
    timeout_s: int = 30  # gunicorn's --timeout is whole seconds; 0 disables
    graceful_timeout_s: int = 1
    boot_delay_s: float = 0.0  # the app import sleeps this long in every worker
    max_seconds: float = 300.0
    request_log: bool = False
    wait_for_workers: bool = True  # start() returns once every worker imported the app (else: once it listens)

    def validate(self) -> Endpoint | None:
        if self.worker_class not in WORKER_CLASSES:
            raise ValueError(f"worker class must be one of {', '.join(WORKER_CLASSES)}, got {self.worker_class!r}")
        if not 1 <= self.threads <= MAX_THREADS or not 1 <= self.worker_connections <= MAX_WORKER_CONNECTIONS:
            raise ValueError(f"threads must be in 1..{MAX_THREADS} and worker_connections in "
                             f"1..{MAX_WORKER_CONNECTIONS}, got {self.threads} and {self.worker_connections}")
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ValueError(f"gunicorn workers must be between 1 and {MAX_WORKERS}, got {self.workers}")
        if self.backlog < 0:
            raise ValueError(f"backlog must be >= 0, got {self.backlog}")
        if not isinstance(self.timeout_s, int) or self.timeout_s < 0:
            raise ValueError(f"gunicorn's timeout is a whole number of seconds >= 0, got {self.timeout_s!r}")
        return checked_bind(self)


class GunicornHandle(AppServerHandle):
    """A running gunicorn. Context manager; ``stop()`` is idempotent."""

    LOG_NAME = "gunicorn.log"
    config: GunicornConfig

    def _stop_master(self) -> None:
        stop_process_group(self._proc, signal.SIGTERM, self.config.graceful_timeout_s + 5.0)


def start_gunicorn(config: GunicornConfig, *, ready_timeout_s: float = 20.0) -> GunicornHandle:
    """Start gunicorn with the synthetic app and wait until it listens (and its workers are ready)."""
    endpoint = config.validate()
    if not gunicorn_available():
        raise GunicornError("gunicorn is not installed (pip install 'gunicorn>=22')")
    if worker_class_argument(config.worker_class) is None:
        needs = " or ".join(module for _, module in WORKER_CLASSES[config.worker_class])
        raise GunicornError(f"the {config.worker_class} worker class needs {needs} (pip install {needs.split()[0]})")
    app = SYNTHETIC_ASGI_APP if config.worker_class in ASGI_CLASSES else SYNTHETIC_APP
    return start_app_server("gunicorn", GunicornHandle, GunicornError, config=config, endpoint=endpoint,
                            app_source=app, command=partial(_command, config), workers=config.workers,
                            wait_for_workers=config.wait_for_workers, ready_timeout_s=ready_timeout_s)


def _command(config: GunicornConfig, address: Endpoint, tmpdir: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ)
    env.update(
        XDG_RUNTIME_DIR=tmpdir,  # with HOME: gunicorn's per-user files (control socket dir) land in the temp dir
        ADVISOR_APP_BOOT_DELAY=repr(config.boot_delay_s),
    )
    env.pop("GUNICORN_CMD_ARGS", None)
    argv = [
        sys.executable, "-m", "gunicorn",
        "--config", os.devnull,  # never pick up a gunicorn.conf.py from the working directory
        "--bind", str(address),
        "--workers", str(config.workers),
        "--worker-class", str(worker_class_argument(config.worker_class)),
        "--threads", str(config.threads),
        "--worker-connections", str(config.worker_connections),
        "--backlog", str(config.backlog),
        "--timeout", str(config.timeout_s),
        "--graceful-timeout", str(config.graceful_timeout_s),
        "--worker-tmp-dir", tmpdir,
        "--no-control-socket",
        "--chdir", tmpdir,
        "advisor_synthetic_app:app",
    ]
    return argv, env
