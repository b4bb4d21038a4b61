"""What the gunicorn, uvicorn and uWSGI runners share: the handle of a running app server and its start.

A start writes the synthetic app into a private temp dir, spawns the server there under coreutils ``timeout`` (it
stops by itself after ``max_seconds``) in its own process group, dying with the starting process
(PR_SET_PDEATHSIG), and waits until it listens and every worker marked itself ready. A probed free port can be taken
before the server binds it, so a start on port 0 is tried three times. A failed or interrupted start (Ctrl-C
included) leaves no process and no temp dir behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

from .endpoints import Endpoint, free_tcp_port, parse_endpoint, remove_stale_unix_socket, wait_listening
from .errors import ServerStartError
from .procutil import (
    ChildProcessHandle, child_pids, read_json_lines, read_text_if_present, set_parent_death_signal, stop_process_group,
    wait_gone,
)

APP_FILE = "advisor_synthetic_app.py"
START_ATTEMPTS = 3


class AppServerConfig(Protocol):
    bind: str
    max_seconds: float
    request_log: bool


class AppServerHandle(ChildProcessHandle):
    """What the app server handles share: the temp dir with the server log and the request log, the workers under
    the master, and the clean-up after the stop (the logs are kept, the temp dir and a stray socket removed)."""

    LOG_NAME = "server.log"

    def __init__(self, proc: subprocess.Popen, address: Endpoint, config, tmpdir: str) -> None:
        self._proc = proc
        self.address = address
        self.config = config
        self._tmpdir = tmpdir
        self._final_log: str | None = None
        self._final_records: list[dict] | None = None

    def master_pid(self) -> int | None:
        """The server's main process: the child of the ``timeout`` wrapper, or the process itself without one."""
        if not self.running:
            return None
        if Path(self._proc.args[0]).name != "timeout":
            return self._proc.pid
        children = child_pids(self._proc.pid)
        return children[0] if children else None

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


H = TypeVar("H", bound=AppServerHandle)
# (address, temp dir) -> the server's command line and the environment it starts from
Command = Callable[[Endpoint, str], tuple[list[str], dict[str, str]]]


def concrete_address(endpoint: Endpoint | None, tmpdir: str) -> Endpoint:
    """The address to start a server on: a socket in ``tmpdir`` for None, a probed free port for port 0."""
    if endpoint is None:
        return parse_endpoint(f"unix:{tmpdir}/app.sock")
    if not endpoint.is_unix and endpoint.port == 0:
        host = endpoint.host or "127.0.0.1"
        return Endpoint(host=host, port=free_tcp_port(host))
    return endpoint


def checked_bind(config: AppServerConfig) -> Endpoint | None:
    """The address ``config.bind`` names (None for ``"unix:"``: a socket in the temp dir), once ``max_seconds`` is
    checked too. Raises ValueError."""
    if not 0 < config.max_seconds <= 24 * 3600:
        raise ValueError(f"max_seconds must be in (0, 86400], got {config.max_seconds!r}")
    if config.bind == "unix:":
        return None
    return parse_endpoint(config.bind, allow_port_zero=True)


def start_app_server(name: str, handle_class: type[H], error: type[ServerStartError], *, config: AppServerConfig,
                     endpoint: Endpoint | None, app_source: str, command: Command, workers: int,
                     wait_for_workers: bool = True, settle_s: float = 0.0, ready_timeout_s: float) -> H:
    """Start the server ``command`` gives with ``app_source`` as its app, and wait until it is ready (raises
    ``error`` when it does not get there). ``settle_s``: a pause after the last worker marked itself ready."""
    tmpdir = tempfile.mkdtemp(prefix=f"advisor-{name.lower()}-")
    try:
        Path(tmpdir, APP_FILE).write_text(app_source, encoding="utf-8")
        ready_dir = Path(tmpdir, "ready")
        ready_dir.mkdir()
        last_log = ""
        for _ in range(START_ATTEMPTS):  # a probed free port can be taken before the server binds it
            address = concrete_address(endpoint, tmpdir)
            proc: subprocess.Popen | None = None
            try:
                proc = _spawn(command, config, address, tmpdir, ready_dir, handle_class.LOG_NAME)
                handle = handle_class(proc, address, config, tmpdir)
                ready = _wait_ready(handle, ready_dir, ready_timeout_s, workers if wait_for_workers else 0, settle_s)
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
        raise error(f"{name} did not start: {last_log.strip()[-2000:] or 'no output'}")
    except BaseException:
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise


def _spawn(command: Command, config: AppServerConfig, address: Endpoint, tmpdir: str, ready_dir: Path,
           log_name: str) -> subprocess.Popen:
    for name in os.listdir(ready_dir):
        os.unlink(ready_dir / name)
    argv, env = command(address, tmpdir)
    env.update(HOME=tmpdir, TMPDIR=tmpdir, PYTHONDONTWRITEBYTECODE="1", ADVISOR_APP_READY_DIR=str(ready_dir))
    env.pop("ADVISOR_APP_LOG", None)
    if config.request_log:
        env["ADVISOR_APP_LOG"] = os.path.join(tmpdir, "requests.jsonl")
    timeout_bin = shutil.which("timeout")
    if timeout_bin:  # coreutils timeout: TERM after max_seconds, KILL 5 s later
        argv = [timeout_bin, "--kill-after=5s", f"{config.max_seconds:g}s", *argv]
    with open(os.path.join(tmpdir, log_name), "wb") as log:
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log, env=env, cwd=tmpdir,
                                start_new_session=True, preexec_fn=_die_with_parent)


def _wait_ready(handle: AppServerHandle, ready_dir: Path, timeout_s: float, workers: int, settle_s: float) -> bool:
    """True once the server listens and ``workers`` workers marked themselves ready (0: once it listens)."""
    deadline = time.monotonic() + timeout_s
    if not wait_listening(handle.address, timeout_s, alive=lambda: handle.running):
        return False
    if not workers:
        return handle.running
    while time.monotonic() < deadline and handle.running:
        if len(os.listdir(ready_dir)) >= workers:
            if settle_s:
                time.sleep(settle_s)
            return True
        time.sleep(0.01)
    return False


def _die_with_parent() -> None:
    set_parent_death_signal(signal.SIGTERM)
