"""Reference pre-fork server: gunicorn sync-worker semantics with a synthetic app, for validation runs.

Run it: ``python -m advisor.validation.refserver --bind unix:/tmp/app.sock --workers 4 --backlog 8 --timeout 30``.
Use it from Python: ``with start_refserver(RefServerConfig(workers=2)) as server: ... server.address ...``.

It binds only 127.0.0.1, ::1 or a unix socket, stops by itself after ``max_seconds``, and never leaves workers
behind (workers die with the master via PR_SET_PDEATHSIG and also check their parent). Request ``?t=0.2`` sets
the service time of one request and ``?mode=sleep|cpu|block`` its kind; otherwise ``service`` is sampled.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from .endpoints import Endpoint, parse_endpoint, remove_stale_unix_socket
from .errors import ServerStartError
from .procutil import ChildProcessHandle, stop_process_group
from .service_spec import parse_service_spec

MAX_WORKERS = 64
MAX_SECONDS_CAP = 24 * 3600.0


@dataclass(frozen=True)
class RefServerConfig:
    """Settings of the reference server, named after their gunicorn counterparts where there is one."""

    bind: str = "127.0.0.1:0"  # 127.0.0.1:PORT, [::1]:PORT, unix:/path; "unix:" = a fresh path in a temp dir
    workers: int = 1
    backlog: int = 2048
    timeout_s: float = 30.0  # worker heartbeat timeout; 0 disables
    graceful_timeout_s: float = 30.0
    check_interval_s: float = 1.0  # how often the master wakes (gunicorn: 1 s)
    restart_delay_s: float = 0.0  # master waits this long before replacing a dead worker
    boot_delay_s: float = 0.0  # each worker sleeps this long before its first accept (app import time)
    service: str = "const:0"  # service_spec: const:S, exp:MEAN, lognormal:P50,P99, or 50ms, p50=..,p99=..
    mode: str = "sleep"  # sleep | cpu | block (block ignores signals: only SIGKILL ends it)
    seed: int | None = None
    max_seconds: float = 300.0  # hard cap: everything exits by itself after this
    request_log: str | None = None  # JSON lines: pid, slot, accept, start, done (CLOCK_MONOTONIC), status

    def validate(self) -> None:
        """Raise ValueError with a clear message for any invalid setting."""
        from .refserver_worker import MODES

        if self.bind != "unix:":
            parse_endpoint(self.bind, allow_port_zero=True)
        if not 1 <= self.workers <= MAX_WORKERS:
            raise ValueError(f"workers must be between 1 and {MAX_WORKERS}, got {self.workers}")
        if self.backlog < 0:
            raise ValueError(f"backlog must be >= 0, got {self.backlog}")
        for name in ("timeout_s", "graceful_timeout_s", "restart_delay_s", "boot_delay_s"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if not 0 < self.check_interval_s <= 60:
            raise ValueError(f"check_interval_s must be in (0, 60], got {self.check_interval_s!r}")
        if not 0 < self.max_seconds <= MAX_SECONDS_CAP:
            raise ValueError(f"max_seconds must be in (0, {MAX_SECONDS_CAP:.0f}], got {self.max_seconds!r}")
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {self.mode!r}")
        parse_service_spec(self.service)

    def to_argv(self) -> list[str]:
        argv = [
            "--bind", self.bind,
            "--workers", str(self.workers),
            "--backlog", str(self.backlog),
            "--timeout", repr(self.timeout_s),
            "--graceful-timeout", repr(self.graceful_timeout_s),
            "--check-interval", repr(self.check_interval_s),
            "--restart-delay", repr(self.restart_delay_s),
            "--boot-delay", repr(self.boot_delay_s),
            "--service", self.service,
            "--mode", self.mode,
            "--max-seconds", repr(self.max_seconds),
        ]
        if self.seed is not None:
            argv += ["--seed", str(self.seed)]
        if self.request_log:
            argv += ["--request-log", self.request_log]
        return argv


# -- binding ---------------------------------------------------------------------------------------------------


def bind_listener(endpoint: Endpoint, backlog: int) -> tuple[socket.socket, Endpoint, int | None]:
    """Bind and listen(backlog); return the socket, the actual address (port 0 resolved), the unix inode."""
    if endpoint.is_unix:
        remove_stale_unix_socket(endpoint.path)
    sock = socket.socket(endpoint.family, socket.SOCK_STREAM)
    try:
        if not endpoint.is_unix:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if endpoint.family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(endpoint.sockaddr)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    if endpoint.is_unix:
        return sock, endpoint, os.lstat(endpoint.path).st_ino
    return sock, replace(endpoint, port=sock.getsockname()[1]), None


# -- command line ----------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    d = RefServerConfig()
    p = argparse.ArgumentParser(
        prog="python -m advisor.validation.refserver",
        description="Reference pre-fork server with gunicorn sync-worker semantics (loopback/unix only).",
    )
    p.add_argument("--bind", default=d.bind, help="127.0.0.1:PORT, [::1]:PORT or unix:/path (default %(default)s)")
    p.add_argument("--workers", type=int, default=d.workers)
    p.add_argument("--backlog", type=int, default=d.backlog)
    p.add_argument("--timeout", type=float, default=d.timeout_s, help="worker timeout in s, 0 disables")
    p.add_argument("--graceful-timeout", type=float, default=d.graceful_timeout_s)
    p.add_argument("--check-interval", type=float, default=d.check_interval_s)
    p.add_argument("--restart-delay", type=float, default=d.restart_delay_s)
    p.add_argument("--boot-delay", type=float, default=d.boot_delay_s)
    p.add_argument("--service", default=d.service, help="const:S | exp:MEAN | lognormal:P50,P99")
    p.add_argument("--mode", default=d.mode, help="sleep | cpu | block")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--max-seconds", type=float, default=d.max_seconds)
    p.add_argument("--request-log", default=None, help="append one JSON line per request to this file")
    p.add_argument("--stats-file", default=None, help="keep a JSON stats snapshot in this file")
    p.add_argument("--parent-pid", type=int, default=None, help="stop when this process is no longer the parent")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    config = RefServerConfig(
        bind=args.bind,
        workers=args.workers,
        backlog=args.backlog,
        timeout_s=args.timeout,
        graceful_timeout_s=args.graceful_timeout,
        check_interval_s=args.check_interval,
        restart_delay_s=args.restart_delay,
        boot_delay_s=args.boot_delay,
        service=args.service,
        mode=args.mode,
        seed=args.seed,
        max_seconds=args.max_seconds,
        request_log=args.request_log,
    )
    try:
        config.validate()
        if config.bind == "unix:":
            raise ValueError("unix: needs a path on the command line, e.g. unix:/tmp/app.sock")
        listener, endpoint, inode = bind_listener(parse_endpoint(config.bind, allow_port_zero=True), config.backlog)
    except (ValueError, OSError) as exc:
        print(f"refserver: error: {exc}", file=sys.stderr)
        return 2
    if args.parent_pid is not None and os.getppid() != args.parent_pid:
        listener.close()
        return 0

    from .refserver_arbiter import Arbiter, log

    def announce(arbiter: Arbiter) -> None:
        log(f"listening on {endpoint} with {config.workers} worker(s), backlog {config.backlog}")
        ready = {"event": "ready", "address": str(endpoint), "pid": os.getpid(), "workers": sorted(arbiter.workers)}
        print(json.dumps(ready), flush=True)

    arbiter = Arbiter(
        replace(config, bind=str(endpoint)),
        listener,
        endpoint,
        unix_inode=inode,
        stats_path=args.stats_file,
        parent_pid=args.parent_pid,
        on_ready=announce,
    )
    return arbiter.run()


# -- programmatic API ------------------------------------------------------------------------------------------


class RefServerError(ServerStartError):
    pass


class RefServerHandle(ChildProcessHandle):
    """A running reference server (a child process group). Use as a context manager; ``stop()`` is idempotent."""

    def __init__(self, proc: subprocess.Popen, address: Endpoint, config: RefServerConfig, tmpdir: str) -> None:
        self._proc = proc
        self.address = address
        self.config = config
        self.pid = proc.pid
        self._tmpdir = tmpdir
        self._stats_path = os.path.join(tmpdir, "stats.json")
        self._log_path = os.path.join(tmpdir, "server.log")
        self._final_stats: dict | None = None
        self._server_log = ""

    @property
    def tmpdir(self) -> str:
        """Private temp dir (stats, server log, auto unix socket); removed by ``stop()``."""
        return self._tmpdir

    def stats(self) -> dict:
        """Latest snapshot from the master: worker pids, spawned/aborted/killed counts, exits, request counters."""
        if self._final_stats is not None:
            return self._final_stats
        for _ in range(20):
            try:
                with open(self._stats_path, encoding="utf-8") as fh:
                    return json.load(fh)
            except (FileNotFoundError, json.JSONDecodeError):
                time.sleep(0.01)
        raise RefServerError("the reference server wrote no stats")

    def wait_stats(self, predicate, timeout_s: float = 10.0, interval_s: float = 0.02) -> dict:
        """Poll ``stats()`` until ``predicate(stats)`` holds; raise RefServerError after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        while True:
            stats = self.stats()
            if predicate(stats):
                return stats
            if time.monotonic() >= deadline or not self.running:
                raise RefServerError(f"condition not reached within {timeout_s} s; last stats: {stats}")
            time.sleep(interval_s)

    def server_log(self) -> str:
        """The master's and workers' stderr (WORKER TIMEOUT lines, tracebacks)."""
        if self._final_stats is not None:
            return self._server_log
        return Path(self._log_path).read_text(encoding="utf-8", errors="replace")

    def request_records(self) -> list[dict]:
        """Per-request records from ``config.request_log`` (empty if not configured)."""
        if not self.config.request_log or not os.path.exists(self.config.request_log):
            return []
        with open(self.config.request_log, encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    def stop(self, graceful: bool = True) -> dict:
        """SIGTERM (graceful) or SIGINT (quick) the master; SIGKILL the group if it outlives its timeout."""
        if self._final_stats is not None:
            return self._final_stats
        grace = self.config.graceful_timeout_s if graceful else 2.0
        try:
            stop_process_group(self._proc, signal.SIGTERM if graceful else signal.SIGINT, grace + 3.0)
        finally:
            if self._proc.stdout:
                self._proc.stdout.close()
            try:
                final = self.stats()
            except RefServerError:
                final = {}
            final["returncode"] = self._proc.returncode
            self._server_log = Path(self._log_path).read_text(encoding="utf-8", errors="replace") \
                if os.path.exists(self._log_path) else ""
            self._final_stats = final
            shutil.rmtree(self._tmpdir, ignore_errors=True)
        return final


def busy_fraction(records: list[dict], workers: int, start: float | None = None, end: float | None = None) -> float:
    """Measured utilisation: time workers spent between accept and done, over workers x window.

    ``records`` come from ``RefServerHandle.request_records()``; the window defaults to first accept .. last done.
    """
    spans = [(r["accept"], r["done"]) for r in records]
    if not spans or workers < 1:
        return float("nan")
    lo = min(a for a, _ in spans) if start is None else start
    hi = max(d for _, d in spans) if end is None else end
    if hi <= lo:
        return float("nan")
    busy = sum(max(0.0, min(d, hi) - max(a, lo)) for a, d in spans)
    return busy / (workers * (hi - lo))


def start_refserver(config: RefServerConfig, *, ready_timeout_s: float = 15.0) -> RefServerHandle:
    """Start the reference server as a child process and wait until it listens."""
    config.validate()
    tmpdir = tempfile.mkdtemp(prefix="advisor-refserver-")
    proc: subprocess.Popen | None = None
    try:
        if config.bind == "unix:":
            config = replace(config, bind=f"unix:{tmpdir}/app.sock")
        env = dict(os.environ)
        package_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
        argv = [sys.executable, "-m", "advisor.validation.refserver", *config.to_argv(),
                "--stats-file", os.path.join(tmpdir, "stats.json"), "--parent-pid", str(os.getpid())]
        with open(os.path.join(tmpdir, "server.log"), "wb") as errlog:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errlog,
                                    start_new_session=True, env=env)
        line = _read_ready_line(proc, ready_timeout_s)
        if line is None:
            stop_process_group(proc, signal.SIGKILL, 1.0)
            log = Path(tmpdir, "server.log").read_text(encoding="utf-8", errors="replace").strip()
            raise RefServerError(f"reference server did not start (exit {proc.returncode}): {log or 'no output'}")
        address = parse_endpoint(json.loads(line)["address"])
        return RefServerHandle(proc, address, replace(config, bind=str(address)), tmpdir)
    except BaseException:  # also Ctrl-C while it starts: stop it and remove its temp dir
        if proc is not None:
            stop_process_group(proc, signal.SIGKILL, 1.0)
            if proc.stdout:
                proc.stdout.close()
        shutil.rmtree(tmpdir, ignore_errors=True)
        raise


def _read_ready_line(proc: subprocess.Popen, timeout_s: float) -> str | None:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout_s
    buf = b""
    fd = proc.stdout.fileno()
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            return None
        buf += chunk
        if b"\n" in buf:
            return buf.split(b"\n", 1)[0].decode()
    return None


if __name__ == "__main__":
    sys.exit(main())
