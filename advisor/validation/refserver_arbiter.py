"""The reference server's master process, modelled on gunicorn's Arbiter.

The loop wakes on a signal or every ``check_interval_s`` (gunicorn: 1 s). Each round reaps dead workers, sends
SIGABRT to a worker whose heartbeat is older than the timeout (SIGKILL on a later round if it is still alive), and
forks replacements once ``restart_delay_s`` has passed. SIGTERM stops gracefully within ``graceful_timeout_s``;
SIGINT/SIGQUIT stop quickly; the ``max_seconds`` cap and the disappearance of ``parent_pid`` stop it by itself.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
import time
from dataclasses import dataclass, field

from .endpoints import Endpoint
from .refserver_worker import EXIT_BOOT_ERROR, WORKER_SIGNALS, Worker
from .scoreboard import Scoreboard
from .service_spec import parse_service_spec

QUICK_STOP_S = 2.0


@dataclass
class _WorkerRecord:
    pid: int
    slot: int
    aborted: bool = False


@dataclass
class _Counters:
    spawned: int = 0
    aborted: int = 0
    killed: int = 0
    stop_killed: int = 0
    exits: dict[str, int] = field(default_factory=dict)


def log(message: str) -> None:
    print(f"[refserver {os.getpid()}] {message}", file=sys.stderr, flush=True)


class Arbiter:
    def __init__(
        self,
        config,  # RefServerConfig (imported lazily to avoid a cycle)
        listener: socket.socket,
        endpoint: Endpoint,
        *,
        unix_inode: int | None = None,
        stats_path: str | None = None,
        parent_pid: int | None = None,
        on_ready=None,
    ) -> None:
        self.cfg = config
        self.listener = listener
        self.endpoint = endpoint
        self.unix_inode = unix_inode
        self.stats_path = stats_path
        self.parent_pid = parent_pid
        self.on_ready = on_ready
        self.service = parse_service_spec(config.service)
        self.board = Scoreboard(config.workers)
        self.workers: dict[int, _WorkerRecord] = {}
        self.respawn_at: dict[int, float] = {slot: 0.0 for slot in range(config.workers)}
        self.generation = 0
        self.counters = _Counters()
        self.pending_signals: list[int] = []
        self.started = time.monotonic()
        self.deadline = self.started + config.max_seconds
        self.state = "starting"
        self.stop_reason = ""
        self._last_stats = 0.0

    # -- main loop ---------------------------------------------------------------------------------------------

    def run(self) -> int:
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        signal.set_wakeup_fd(self._wake_w)
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        try:
            self._manage_workers()
            self.state = "running"
            self._write_stats(force=True)
            if self.on_ready:
                self.on_ready(self)
            graceful = self._loop()
            self._stop(graceful)
        finally:
            self._close_listener()
            self.state = "stopped"
            self._write_stats(force=True)
        return 0

    def _on_signal(self, signum, frame) -> None:
        self.pending_signals.append(signum)

    def _loop(self) -> bool:
        """Run until told to stop; return True for a graceful stop."""
        while True:
            now = time.monotonic()
            wake = min(self.cfg.check_interval_s, self.deadline - now, self._next_respawn(now) - now)
            self._sleep(max(wake, 0.0))
            signals, self.pending_signals = self.pending_signals, []
            for signum in signals:
                if signum == signal.SIGTERM:
                    self.stop_reason = "SIGTERM"
                    return True
                if signum in (signal.SIGINT, signal.SIGQUIT):
                    self.stop_reason = signal.Signals(signum).name
                    return False
            if time.monotonic() >= self.deadline:
                self.stop_reason = "max_seconds"
                log(f"max_seconds={self.cfg.max_seconds} reached, stopping")
                return False
            if self.parent_pid is not None and os.getppid() != self.parent_pid:
                self.stop_reason = "parent exited"
                return False
            self._reap()
            if self._fatal_worker_exit():
                self.stop_reason = "worker failed to boot"
                return False
            self._murder_workers()
            self._manage_workers()
            self._write_stats()

    def _sleep(self, seconds: float) -> None:
        ready, _, _ = select.select([self._wake_r], [], [], seconds)
        if ready:
            try:
                os.read(self._wake_r, 4096)
            except BlockingIOError:
                pass

    def _next_respawn(self, now: float) -> float:
        times = [t for t in self.respawn_at.values()]
        return min(times) if times else now + 3600.0

    # -- workers -----------------------------------------------------------------------------------------------

    def _spawn(self, slot: int) -> None:
        self.generation += 1
        self.board.notify(slot)  # a fresh worker starts with a fresh heartbeat
        self.board.set_busy(slot, False)  # its predecessor may have died mid-request
        worker = Worker(
            listener=self.listener,
            slot=slot,
            generation=self.generation,
            board=self.board,
            master_pid=os.getpid(),
            deadline=self.deadline,
            timeout_s=self.cfg.timeout_s,
            boot_delay_s=self.cfg.boot_delay_s,
            service=self.service,
            mode=self.cfg.mode,
            seed=self.cfg.seed,
            max_service_s=self.cfg.max_seconds,
            request_log=self.cfg.request_log,
        )
        sys.stdout.flush()
        sys.stderr.flush()
        # Signals stay blocked across fork() until the child has its own handlers, so a stop request sent
        # right after the spawn is delivered to the worker's handler instead of the master's inherited one.
        signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                worker.run(close_fds=(self._wake_r, self._wake_w))  # never returns
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)
        self.workers[pid] = _WorkerRecord(pid=pid, slot=slot)
        self.counters.spawned += 1

    def _manage_workers(self) -> None:
        now = time.monotonic()
        for slot, when in sorted(self.respawn_at.items()):
            if when <= now:
                del self.respawn_at[slot]
                self._spawn(slot)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            record = self.workers.pop(pid, None)
            if record is None:
                continue
            if os.WIFSIGNALED(status):
                how = f"signal:{signal.Signals(os.WTERMSIG(status)).name}"
            else:
                how = f"exit:{os.WEXITSTATUS(status)}"
            self.counters.exits[how] = self.counters.exits.get(how, 0) + 1
            if how.startswith("signal:SIGKILL"):
                log(f"worker (pid:{pid}) was sent SIGKILL")
            if self.state == "running":
                self.respawn_at[record.slot] = time.monotonic() + self.cfg.restart_delay_s

    def _fatal_worker_exit(self) -> bool:
        return self.counters.exits.get(f"exit:{EXIT_BOOT_ERROR}", 0) > 0

    def _murder_workers(self) -> None:
        if not self.cfg.timeout_s:
            return
        now = time.monotonic()
        for pid, record in list(self.workers.items()):
            if now - self.board.last_heartbeat(record.slot) <= self.cfg.timeout_s:
                continue
            if not record.aborted:
                log(f"WORKER TIMEOUT (pid:{pid})")
                record.aborted = True
                self.counters.aborted += 1
                self._kill(pid, signal.SIGABRT)
            else:
                self.counters.killed += 1
                self._kill(pid, signal.SIGKILL)

    @staticmethod
    def _kill(pid: int, sig: int) -> None:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass

    # -- stopping ----------------------------------------------------------------------------------------------

    def _close_listener(self) -> None:
        if self.listener.fileno() >= 0:
            self.listener.close()
        if self.endpoint.is_unix and self.unix_inode is not None:
            try:
                if os.lstat(self.endpoint.path).st_ino == self.unix_inode:
                    os.unlink(self.endpoint.path)
            except FileNotFoundError:
                pass

    def _stop(self, graceful: bool) -> None:
        """gunicorn Arbiter.stop: close the listener, signal the workers, wait, then SIGKILL the rest."""
        self.state = "stopping"
        self._close_listener()
        self._reap()
        self._signal_workers(signal.SIGTERM if graceful else signal.SIGQUIT)
        limit = time.monotonic() + (self.cfg.graceful_timeout_s if graceful else QUICK_STOP_S)
        while self.workers and time.monotonic() < limit:
            self._sleep(min(0.05, max(limit - time.monotonic(), 0.0)))
            if graceful and any(s in (signal.SIGINT, signal.SIGQUIT) for s in self.pending_signals):
                graceful = False
                self._signal_workers(signal.SIGQUIT)
                limit = min(limit, time.monotonic() + QUICK_STOP_S)
            self.pending_signals.clear()
            self._reap()
        for pid in list(self.workers):
            self.counters.stop_killed += 1
            self._kill(pid, signal.SIGKILL)
        for pid in list(self.workers):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            self.workers.pop(pid, None)
        self._reap()

    def _signal_workers(self, sig: int) -> None:
        for pid in list(self.workers):
            self._kill(pid, sig)

    # -- stats -------------------------------------------------------------------------------------------------

    def stats(self) -> dict:
        return {
            "pid": os.getpid(),
            "address": str(self.endpoint),
            "state": self.state,
            "stop_reason": self.stop_reason,
            "uptime_s": round(time.monotonic() - self.started, 3),
            "workers": sorted(self.workers),
            "spawned": self.counters.spawned,
            "aborted": self.counters.aborted,
            "killed": self.counters.killed,
            "stop_killed": self.counters.stop_killed,
            "exits": dict(self.counters.exits),
            "busy": self.board.busy(),
            "requests": self.board.totals(),
        }

    def _write_stats(self, force: bool = False) -> None:
        if not self.stats_path:
            return
        now = time.monotonic()
        if not force and now - self._last_stats < 0.05:
            return
        self._last_stats = now
        tmp = f"{self.stats_path}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(self.stats(), fh)
        os.replace(tmp, self.stats_path)
