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
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

from .endpoints import Endpoint, free_tcp_port, parse_endpoint, remove_stale_unix_socket, wait_listening
from .errors import ServerStartError
from .procutil import (
    ChildProcessHandle, child_pids, read_json_lines, read_text_if_present, set_parent_death_signal, stop_process_group,
    wait_gone,
)

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
        if not 0 < self.max_seconds <= 24 * 3600:
            raise ValueError(f"max_seconds must be in (0, 86400], got {self.max_seconds!r}")
        if self.bind == "unix:":
            return None
        return parse_endpoint(self.bind, allow_port_zero=True)


class AppServerHandle(ChildProcessHandle):
    """What the gunicorn and uWSGI handles share: the temp dir with the server log and the request log, the workers
    under the master, and the clean-up after the stop (the logs are kept, the temp dir and a stray socket removed)."""

    LOG_NAME = "server.log"

    def __init__(self, proc: subprocess.Popen, address: Endpoint, config, tmpdir: str) -> None:
        self._proc = proc
        self.address = address
        self.config = config
        self._tmpdir = tmpdir
        self._final_log: str | None = None
        self._final_records: list[dict] | None = None

    def master_pid(self) -> int | None:
        raise NotImplementedError

    def worker_pids(self) -> list[int]:
        master = self.master_pid()
        return child_pids(master) if master else []

    def log(self) -> str:
        if self._final_log is not None:
            return self._final_log
        return read_text_if_present(Path(self._tmpdir, self.LOG_NAME))

    def request_records(self) -> list[dict]:
        """``{"pid", "start", "done"}`` per request the app finished (needs ``request_log=True``)."""
        if self._final_records is not None:
            return self._final_records
        return read_json_lines(Path(self._tmpdir, "requests.jsonl"))

    def _stop_master(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        if self._final_log is not None:
            return
        workers = self.worker_pids()
        try:
            self._stop_master()
            for pid in wait_gone(workers, 5.0):  # the server's own shutdown should prevent it; never leave a worker
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        finally:
            self._final_log = read_text_if_present(Path(self._tmpdir, self.LOG_NAME))
            self._final_records = read_json_lines(Path(self._tmpdir, "requests.jsonl"))
            if self.address.is_unix and self.address.path and os.path.dirname(self.address.path) != self._tmpdir:
                try:
                    remove_stale_unix_socket(self.address.path)
                except (OSError, ValueError):
                    pass
            shutil.rmtree(self._tmpdir, ignore_errors=True)


def concrete_address(endpoint: Endpoint | None, tmpdir: str) -> Endpoint:
    """The address to start a server on: a socket in ``tmpdir`` for None, a probed free port for port 0."""
    if endpoint is None:
        return parse_endpoint(f"unix:{tmpdir}/app.sock")
    if not endpoint.is_unix and endpoint.port == 0:
        host = endpoint.host or "127.0.0.1"
        return Endpoint(host=host, port=free_tcp_port(host))
    return endpoint


class GunicornHandle(AppServerHandle):
    """A running gunicorn. Context manager; ``stop()`` is idempotent."""

    LOG_NAME = "gunicorn.log"
    config: GunicornConfig

    def master_pid(self) -> int | None:
        """gunicorn's master (the child of the ``timeout`` wrapper, or the process itself without one)."""
        if not self.running:
            return None
        if Path(self._proc.args[0]).name != "timeout":
            return self._proc.pid
        children = child_pids(self._proc.pid)
        return children[0] if children else None

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
    tmpdir = tempfile.mkdtemp(prefix="advisor-gunicorn-")
    try:
        return _start(config, endpoint, tmpdir, ready_timeout_s)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise


def _start(config: GunicornConfig, endpoint: Endpoint | None, tmpdir: str, ready_timeout_s: float) -> GunicornHandle:
    app = SYNTHETIC_ASGI_APP if config.worker_class in ASGI_CLASSES else SYNTHETIC_APP
    Path(tmpdir, "advisor_synthetic_app.py").write_text(app, encoding="utf-8")
    ready_dir = Path(tmpdir, "ready")
    ready_dir.mkdir()
    last_log = ""
    for _ in range(3):  # a probed free port can be taken before gunicorn binds it
        address = concrete_address(endpoint, tmpdir)
        proc: subprocess.Popen | None = None
        try:
            proc = _spawn(config, address, tmpdir, ready_dir)
            handle = GunicornHandle(proc, address, config, tmpdir)
            ready = _wait_ready(handle, ready_dir, ready_timeout_s)
        except BaseException:  # Ctrl-C while it boots: do not leave it running
            if proc is not None:
                stop_process_group(proc, signal.SIGKILL, 1.0)
            raise
        if ready:
            return handle
        last_log = handle.log()
        stop_process_group(proc, signal.SIGKILL, 1.0)
        if endpoint is not None and (endpoint.is_unix or endpoint.port):
            break  # a fixed address: retrying cannot help
    raise GunicornError(f"gunicorn did not start: {last_log.strip()[-2000:] or 'no output'}")


def _spawn(config: GunicornConfig, address: Endpoint, tmpdir: str, ready_dir: Path) -> subprocess.Popen:
    for name in os.listdir(ready_dir):
        os.unlink(ready_dir / name)
    env = dict(os.environ)
    env.update(
        HOME=tmpdir,  # gunicorn's per-user files (control socket dir) land in the temp dir
        XDG_RUNTIME_DIR=tmpdir,
        TMPDIR=tmpdir,
        PYTHONDONTWRITEBYTECODE="1",
        ADVISOR_APP_BOOT_DELAY=repr(config.boot_delay_s),
        ADVISOR_APP_READY_DIR=str(ready_dir),
    )
    env.pop("GUNICORN_CMD_ARGS", None)
    if config.request_log:
        env["ADVISOR_APP_LOG"] = os.path.join(tmpdir, "requests.jsonl")
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
    timeout_bin = shutil.which("timeout")
    if timeout_bin:  # coreutils timeout: TERM after max_seconds, KILL 5 s later
        argv = [timeout_bin, "--kill-after=5s", f"{config.max_seconds:g}s", *argv]
    with open(os.path.join(tmpdir, "gunicorn.log"), "wb") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=tmpdir,
                                start_new_session=True, preexec_fn=_die_with_parent)


def _wait_ready(handle: GunicornHandle, ready_dir: Path, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    if not wait_listening(handle.address, timeout_s, alive=lambda: handle.running):
        return False
    if not handle.config.wait_for_workers:
        return handle.running
    while time.monotonic() < deadline and handle.running:
        if len(os.listdir(ready_dir)) >= handle.config.workers:
            return True
        time.sleep(0.01)
    return False


def _die_with_parent() -> None:
    set_parent_death_signal(signal.SIGTERM)
