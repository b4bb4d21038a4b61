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
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .endpoints import Endpoint, parse_endpoint, wait_listening
from .errors import ServerStartError
from .gunicorn_runner import SYNTHETIC_ASGI_APP, AppServerHandle, concrete_address
from .procutil import child_pids, set_parent_death_signal, stop_process_group

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
        if not 0 < self.max_seconds <= 24 * 3600:
            raise ValueError(f"max_seconds must be in (0, 86400], got {self.max_seconds!r}")
        if self.bind == "unix:":
            return None
        return parse_endpoint(self.bind, allow_port_zero=True)


class UvicornHandle(AppServerHandle):
    """A running uvicorn. Context manager; ``stop()`` is idempotent."""

    LOG_NAME = "uvicorn.log"
    config: UvicornConfig

    def master_pid(self) -> int | None:
        """uvicorn's main process (the supervisor with several workers; the only process with one)."""
        if not self.running:
            return None
        if Path(self._proc.args[0]).name != "timeout":
            return self._proc.pid
        children = child_pids(self._proc.pid)
        return children[0] if children else None

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
    tmpdir = tempfile.mkdtemp(prefix="advisor-uvicorn-")
    try:
        return _start(config, endpoint, tmpdir, ready_timeout_s)
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise


def _start(config: UvicornConfig, endpoint: Endpoint | None, tmpdir: str, ready_timeout_s: float) -> UvicornHandle:
    Path(tmpdir, "advisor_synthetic_app.py").write_text(SYNTHETIC_ASGI_APP, encoding="utf-8")
    ready_dir = Path(tmpdir, "ready")
    ready_dir.mkdir()
    last_log = ""
    for _ in range(3):  # a probed free port can be taken before uvicorn binds it
        address = concrete_address(endpoint, tmpdir)
        proc: subprocess.Popen | None = None
        try:
            proc = _spawn(config, address, tmpdir, ready_dir)
            handle = UvicornHandle(proc, address, config, tmpdir)
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
    raise UvicornError(f"uvicorn did not start: {last_log.strip()[-2000:] or 'no output'}")


def _spawn(config: UvicornConfig, address: Endpoint, tmpdir: str, ready_dir: Path) -> subprocess.Popen:
    for name in os.listdir(ready_dir):
        os.unlink(ready_dir / name)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("UVICORN_") and key not in ("WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS")}
    env.update(HOME=tmpdir, TMPDIR=tmpdir, PYTHONDONTWRITEBYTECODE="1", ADVISOR_APP_READY_DIR=str(ready_dir))
    if config.request_log:
        env["ADVISOR_APP_LOG"] = os.path.join(tmpdir, "requests.jsonl")
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
    timeout_bin = shutil.which("timeout")
    if timeout_bin:  # coreutils timeout: TERM after max_seconds, KILL 5 s later
        argv = [timeout_bin, "--kill-after=5s", f"{config.max_seconds:g}s", *argv]
    with open(os.path.join(tmpdir, UvicornHandle.LOG_NAME), "wb") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=tmpdir,
                                start_new_session=True, preexec_fn=_die_with_parent)


def _wait_ready(handle: UvicornHandle, ready_dir: Path, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    if not wait_listening(handle.address, timeout_s, alive=lambda: handle.running):
        return False
    while time.monotonic() < deadline and handle.running:
        if len(os.listdir(ready_dir)) >= handle.config.workers:
            time.sleep(0.2)  # the app is imported before the worker's loop serves the shared socket
            return True
        time.sleep(0.01)
    return False


def _die_with_parent() -> None:
    set_parent_death_signal(signal.SIGTERM)
