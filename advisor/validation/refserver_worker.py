"""A forked worker of the reference server: gunicorn sync-worker semantics with a synthetic app.

One request at a time, ``Connection: close`` on every response. Heartbeat before each accept and between requests.
Signals as in gunicorn's ``Worker``: SIGTERM finishes the current request and exits; SIGQUIT/SIGINT exit at once;
SIGABRT (the arbiter's worker timeout) raises SystemExit inside the handler, which is caught like gunicorn >= 22's
``except BaseException`` and turned into a 500 written by the worker, unless the response had already started.
"""

from __future__ import annotations

import json
import math
import os
import random
import select
import signal
import socket
import sys
import time
import traceback
from urllib.parse import parse_qs, urlsplit

import h11

from .procutil import set_parent_death_signal
from .scoreboard import Scoreboard
from .service_spec import ServiceTime, draw

MODES = ("sleep", "cpu", "block")
WORKER_SIGNALS = frozenset({signal.SIGABRT, signal.SIGTERM, signal.SIGINT, signal.SIGQUIT})
EXIT_BOOT_ERROR = 3

_ERROR_500 = (
    b"HTTP/1.1 500 Internal Server Error\r\n"
    b"Connection: close\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: 22\r\n"
    b"\r\n"
    b"Internal Server Error\n"
)
_ERROR_400 = (
    b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 12\r\n\r\n"
    b"Bad Request\n"
)


class BadRequest(Exception):
    pass


class Worker:
    def __init__(
        self,
        *,
        listener: socket.socket,
        slot: int,
        generation: int,
        board: Scoreboard,
        master_pid: int,
        deadline: float,
        timeout_s: float,
        boot_delay_s: float,
        service: ServiceTime | None,
        mode: str,
        seed: int | None,
        max_service_s: float,
        request_log: str | None,
    ) -> None:
        self.listener = listener
        self.slot = slot
        self.board = board
        self.master_pid = master_pid
        self.deadline = deadline
        self.wait_s = min(timeout_s / 2.0, 1.0) if timeout_s > 0 else 0.5
        self.boot_delay_s = boot_delay_s
        self.service = service
        self.mode = mode
        self.max_service_s = max_service_s
        self.request_log = request_log
        self.rng = random.Random(f"{seed}:{slot}:{generation}") if seed is not None else random.Random()
        self.alive = True
        self.pid = os.getpid()
        self._log_fd: int | None = None
        self._wake_r = self._wake_w = -1

    # -- lifecycle ---------------------------------------------------------------------------------------------

    def run(self, close_fds: tuple[int, ...] = ()) -> None:
        """Entry point in the child after fork(); never returns."""
        code = 0
        try:
            self.pid = os.getpid()
            set_parent_death_signal(signal.SIGKILL)
            for fd in close_fds:
                try:
                    os.close(fd)
                except OSError:
                    pass
            if os.getppid() != self.master_pid:
                os._exit(0)
            self._init_signals()
            signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)  # blocked by the master around fork()
            if self.request_log:
                self._log_fd = os.open(self.request_log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            self._boot()
            self._serve_forever()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
        except BaseException:  # noqa: BLE001 - report and exit with a boot/crash code, never unwind into the master
            traceback.print_exc(file=sys.stderr)
            code = EXIT_BOOT_ERROR
        finally:
            try:
                sys.stderr.flush()
            finally:
                os._exit(code)

    def _init_signals(self) -> None:
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        signal.set_wakeup_fd(self._wake_w)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._on_term)
        signal.signal(signal.SIGINT, self._on_quit)
        signal.signal(signal.SIGQUIT, self._on_quit)
        signal.signal(signal.SIGABRT, self._on_abort)

    def _on_term(self, signum, frame) -> None:
        self.alive = False

    def _on_quit(self, signum, frame) -> None:
        self.alive = False
        raise SystemExit(0)

    def _on_abort(self, signum, frame) -> None:
        self.alive = False
        raise SystemExit(1)

    def _boot(self) -> None:
        """Emulate loading the app after fork (gunicorn without --preload), heartbeating meanwhile."""
        end = time.monotonic() + self.boot_delay_s
        while self.alive and (left := end - time.monotonic()) > 0:
            self.board.notify(self.slot)
            time.sleep(min(left, 0.1))

    def _serve_forever(self) -> None:
        while self.alive:
            self.board.notify(self.slot)
            if time.monotonic() >= self.deadline or os.getppid() != self.master_pid:
                return
            try:
                client, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                self._wait()
                continue
            self.handle(client)

    def _wait(self) -> None:
        ready, _, _ = select.select([self.listener, self._wake_r], [], [], self.wait_s)
        if self._wake_r in ready:
            try:
                os.read(self._wake_r, 512)
            except BlockingIOError:
                pass

    # -- one request -------------------------------------------------------------------------------------------

    def handle(self, client: socket.socket) -> None:
        accepted = time.monotonic()
        self.board.set_busy(self.slot, True)
        started = None
        status: int | str = "client_gone"
        service = 0.0
        mode = self.mode
        response_started = False
        try:
            client.setblocking(True)
            target = self._read_request(client)
            if target is None:
                return
            service, mode = self._plan(target)
            started = time.monotonic()
            self._work(service, mode)
            body = f"ok pid={self.pid} t={service:.6f}\n".encode()
            head = (
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
                f"Content-Length: {len(body)}\r\nX-Worker-Pid: {self.pid}\r\n\r\n"
            ).encode()
            response_started = True
            # two writes, as gunicorn's sync worker does (send_headers, then the body): nginx may see the header
            # alone, which matters when its read timeout fires in between
            client.sendall(head)
            client.sendall(body)
            status = 200
        except BadRequest:
            status = 400
            self._write_quietly(client, _ERROR_400)
        except (BrokenPipeError, ConnectionResetError):
            status = "client_gone"
        except BaseException as exc:  # noqa: BLE001 - gunicorn >= 22 sync worker: SystemExit from SIGABRT -> 500
            if not isinstance(exc, SystemExit):
                traceback.print_exc(file=sys.stderr)
            if not response_started:
                status = 500
                self._write_quietly(client, _ERROR_500)
            else:
                status = "client_gone"
        finally:
            try:
                # log before closing: once a client sees the close, its request is in the log and the counters
                self._record(accepted, started, status, service, mode)
            finally:
                try:
                    client.close()
                except OSError:
                    pass

    def _read_request(self, client: socket.socket) -> str | None:
        conn = h11.Connection(h11.SERVER)
        target = None
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError:
                raise BadRequest from None
            if event is h11.NEED_DATA:
                data = client.recv(65536)
                conn.receive_data(data)
                if not data and target is None:
                    return None  # client went away before sending a request (a zombie connection)
                continue
            if isinstance(event, h11.Request):
                target = event.target.decode("latin-1")
            elif isinstance(event, h11.EndOfMessage):
                return target
            elif isinstance(event, h11.ConnectionClosed):
                return target

    def _plan(self, target: str) -> tuple[float, str]:
        query = parse_qs(urlsplit(target).query)
        mode = query.get("mode", [self.mode])[0]
        if mode not in MODES:
            raise BadRequest
        if "t" in query:
            try:
                service = float(query["t"][0])
            except ValueError:
                raise BadRequest from None
            if not (math.isfinite(service) and service >= 0):
                raise BadRequest
        else:
            service = draw(self.service, self.rng)
        return min(service, self.max_service_s), mode

    def _work(self, service: float, mode: str) -> None:
        if mode == "sleep":
            time.sleep(service)
        elif mode == "cpu":
            # CPU time, not wall time: with more busy workers than cores the wall time stretches (processor sharing).
            end = time.process_time() + service
            x = 0
            while time.process_time() < end:
                for _ in range(2000):
                    x += 1
        else:  # "block": a C call that ignores signals; only SIGKILL ends it
            signal.pthread_sigmask(signal.SIG_BLOCK, WORKER_SIGNALS)
            try:
                time.sleep(service)
            finally:
                signal.pthread_sigmask(signal.SIG_UNBLOCK, WORKER_SIGNALS)

    @staticmethod
    def _write_quietly(client: socket.socket, payload: bytes) -> None:
        try:
            client.sendall(payload)
        except OSError:
            pass

    def _record(self, accepted: float, started: float | None, status, service: float, mode: str) -> None:
        done = time.monotonic()
        if status == 500:
            counter = "500"
        elif isinstance(status, int) and 200 <= status < 300:
            counter = "2xx"
        elif status == "client_gone":
            counter = "client_gone"
        else:
            counter = "other"
        self.board.count(self.slot, counter)
        self.board.set_busy(self.slot, False)
        if self._log_fd is not None:
            line = json.dumps(
                {
                    "pid": self.pid,
                    "slot": self.slot,
                    "accept": accepted,
                    "start": started,
                    "done": done,
                    "status": status,
                    "service_s": service,
                    "mode": mode,
                },
                separators=(",", ":"),
            )
            os.write(self._log_fd, (line + "\n").encode())
