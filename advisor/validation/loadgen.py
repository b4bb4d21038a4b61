"""Open-loop HTTP/1.1 load generator for loopback and unix-socket targets.

One thread, one epoll set, non-blocking sockets; arrival times are drawn before the run starts, so a slow server
never slows the schedule down (no coordinated omission). Each request is a fresh connection with
``Connection: close``. Talking directly to a gunicorn-like server, the generator plays nginx's part: a pending TCP
connect older than ``connect_timeout_s`` becomes "connect_timeout" (504), no byte within ``read_timeout_s`` of the
request being sent (or of the previous read) becomes "read_timeout" (504), a full unix accept queue is "eagain"
(502) and a connection closed without a response is "reset" (502). Behind nginx, give generous timeouts and let
nginx produce the 502/504s.
"""

from __future__ import annotations

import errno
import gc
import heapq
import math
import random
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass

from .endpoints import Endpoint, parse_endpoint
from .loadresult import LoadResult, RequestRecord
from .service_spec import draw, parse_service_spec

ARRIVALS = ("poisson", "constant", "burst")
MAX_REQUESTS = 2_000_000
MAX_DURATION_S = 6 * 3600.0
EOF_GRACE_S = 1.0  # after a complete response, wait this long for the server's close before closing ourselves

_CONNECTING, _SENDING, _READING, _DRAINING = range(4)


@dataclass(frozen=True)
class LoadSpec:
    """What to send where. The run is bounded by ``max_requests`` and by ``duration_s`` (arrivals after it are
    not sent), plus the timeouts for the requests still open at the end."""

    target: str  # 127.0.0.1:PORT, [::1]:PORT or unix:/path
    arrivals: str = "poisson"  # poisson | constant | burst (all max_requests at once)
    rate: float | None = None  # requests/s for poisson and constant
    max_requests: int = 1000
    duration_s: float = 10.0
    path: str = "/"
    service: str | None = None  # ServiceTime spec; if set, each request gets ?t=<drawn> (reproducible with seed)
    connect_timeout_s: float = 60.0
    read_timeout_s: float = 60.0
    seed: int | None = None
    method: str = "GET"
    host_header: str = "localhost"
    tag_requests: bool = False  # add &i=<index> to each target, to join server/nginx logs to the records

    def validate(self) -> Endpoint:
        endpoint = parse_endpoint(self.target)
        if self.arrivals not in ARRIVALS:
            raise ValueError(f"arrivals must be one of {', '.join(ARRIVALS)}, got {self.arrivals!r}")
        if self.arrivals != "burst" and not (self.rate and self.rate > 0 and math.isfinite(self.rate)):
            raise ValueError(f"{self.arrivals} arrivals need a rate > 0 (requests/s), got {self.rate!r}")
        if not 1 <= self.max_requests <= MAX_REQUESTS:
            raise ValueError(f"max_requests must be between 1 and {MAX_REQUESTS}, got {self.max_requests}")
        if not 0 < self.duration_s <= MAX_DURATION_S:
            raise ValueError(f"duration_s must be in (0, {MAX_DURATION_S:.0f}], got {self.duration_s!r}")
        for name in ("connect_timeout_s", "read_timeout_s"):
            value = getattr(self, name)
            if not (0 < value <= 3600 and math.isfinite(value)):
                raise ValueError(f"{name} must be in (0, 3600], got {value!r}")
        if not self.path.startswith("/") or any(c in self.path for c in " \r\n"):
            raise ValueError(f"path must start with / and contain no spaces or line breaks: {self.path!r}")
        if self.method not in ("GET", "HEAD", "POST", "PUT", "DELETE"):
            raise ValueError(f"unsupported method {self.method!r}")
        if self.service is not None:
            parse_service_spec(self.service)
        return endpoint


def make_schedule(arrivals: str, rate: float | None, max_requests: int, duration_s: float,
                  rng: random.Random) -> list[float]:
    """Send offsets in seconds from the start, at most ``max_requests`` and all < ``duration_s``."""
    if arrivals == "burst":
        return [0.0] * max_requests
    assert rate
    offsets: list[float] = []
    t = 0.0
    while len(offsets) < max_requests:
        t = t + rng.expovariate(rate) if arrivals == "poisson" else len(offsets) / rate
        if t >= duration_s:
            break
        offsets.append(t)
    return offsets


class _Conn:
    __slots__ = ("rec", "sock", "fd", "phase", "out", "buf", "deadline", "head_end", "status", "body_needed",
                 "chunked")

    def __init__(self, rec: RequestRecord, sock: socket.socket, out: bytes) -> None:
        self.rec = rec
        self.sock = sock
        self.fd = sock.fileno()
        self.phase = _CONNECTING
        self.out = memoryview(out)
        self.buf = bytearray()
        self.deadline = math.inf
        self.head_end = -1
        self.status: int | None = None
        self.body_needed: int | None = None
        self.chunked = False


class _Runner:
    def __init__(self, spec: LoadSpec, endpoint: Endpoint) -> None:
        self.spec = spec
        self.endpoint = endpoint
        self.family = endpoint.family
        self.addr = endpoint.sockaddr
        self.ep = select.epoll()
        self.conns: dict[int, _Conn] = {}
        self.timers: list[tuple[float, int, _Conn]] = []
        self._seq = 0
        host = spec.host_header
        self._head = f" HTTP/1.1\r\nHost: {host}\r\nUser-Agent: advisor-loadgen\r\nConnection: close\r\n"

    def request_bytes(self, path: str) -> bytes:
        extra = "Content-Length: 0\r\n" if self.spec.method in ("POST", "PUT") else ""
        return f"{self.spec.method} {path}{self._head}{extra}\r\n".encode("latin-1")

    # -- timers ------------------------------------------------------------------------------------------------

    def _arm(self, conn: _Conn, deadline: float) -> None:
        conn.deadline = deadline
        self._seq += 1
        heapq.heappush(self.timers, (deadline, self._seq, conn))

    def _fire_timers(self, now: float) -> None:
        timers = self.timers
        while timers and timers[0][0] <= now:
            _, _, conn = heapq.heappop(timers)
            if conn.fd not in self.conns or self.conns[conn.fd] is not conn:
                continue  # already finished
            if conn.deadline > now:  # re-armed by a later read: wait for the new deadline
                self._seq += 1
                heapq.heappush(timers, (conn.deadline, self._seq, conn))
                continue
            self._expire(conn, now)

    def _expire(self, conn: _Conn, now: float) -> None:
        """Give up on ``conn``: a connect or read timeout, or just close it if its answer was already counted."""
        if conn.phase == _CONNECTING:
            self._finish(conn, "connect_timeout", now)
        elif conn.phase == _DRAINING:
            self._close(conn)
        else:
            self._finish(conn, "read_timeout", now)

    # -- per request -------------------------------------------------------------------------------------------

    def launch(self, rec: RequestRecord, path: str) -> None:
        now = time.monotonic()
        rec.started = now
        try:
            sock = socket.socket(self.family, socket.SOCK_STREAM)
        except OSError as exc:
            rec.done, rec.outcome, rec.detail = now, "error", f"socket(): {exc}"
            return
        sock.setblocking(False)
        conn = _Conn(rec, sock, self.request_bytes(path))
        err = sock.connect_ex(self.addr)
        if err == 0:
            rec.connected = time.monotonic()
            self.conns[conn.fd] = conn
            self.ep.register(conn.fd, select.EPOLLOUT)
            self._send(conn)
        elif err == errno.EINPROGRESS:
            self.conns[conn.fd] = conn
            self.ep.register(conn.fd, select.EPOLLOUT)
            self._arm(conn, now + self.spec.connect_timeout_s)
        else:
            sock.close()
            rec.done = time.monotonic()
            rec.outcome = _connect_error_outcome(err, self.endpoint.is_unix)
            rec.detail = f"connect: {errno.errorcode.get(err, err)}"

    def _on_event(self, conn: _Conn, events: int) -> None:
        if conn.phase == _CONNECTING:
            err = conn.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            now = time.monotonic()
            if err:
                conn.rec.detail = f"connect: {errno.errorcode.get(err, err)}"
                self._finish(conn, _connect_error_outcome(err, self.endpoint.is_unix), now)
                return
            conn.rec.connected = now
            self._send(conn)
        elif conn.phase == _SENDING:
            self._send(conn)
        else:
            self._read(conn)

    def _send(self, conn: _Conn) -> None:
        if conn.phase == _CONNECTING:
            # nginx's proxy_send_timeout plays this part; a stuck send is rare with one small request
            conn.phase = _SENDING
            self._arm(conn, time.monotonic() + self.spec.read_timeout_s)
        try:
            sent = conn.sock.send(conn.out)
        except BlockingIOError:
            return
        except OSError as exc:
            conn.rec.detail = f"send: {exc}"
            self._finish(conn, "reset", time.monotonic())
            return
        conn.out = conn.out[sent:]
        now = time.monotonic()
        if len(conn.out):
            return
        conn.rec.sent = now
        conn.phase = _READING
        self.ep.modify(conn.fd, select.EPOLLIN)
        self._arm(conn, now + self.spec.read_timeout_s)

    def _read(self, conn: _Conn) -> None:
        try:
            data = conn.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError as exc:  # ECONNRESET and friends
            if conn.phase == _DRAINING:
                self._close(conn)
                return
            conn.rec.detail = f"recv: {exc}"
            self._at_eof(conn, time.monotonic())
            return
        now = time.monotonic()
        if not data:
            if conn.phase == _DRAINING:
                self._close(conn)
            else:
                self._at_eof(conn, now)
            return
        if conn.phase == _DRAINING:
            return
        if not conn.buf:
            conn.rec.first_byte = now
        conn.buf += data
        conn.deadline = now + self.spec.read_timeout_s  # nginx: timeout between two successive reads
        if self._response_complete(conn):
            self._complete(conn, now)

    def _response_complete(self, conn: _Conn) -> bool:
        buf = conn.buf
        if conn.head_end < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return False
            conn.head_end = end + 4
            _parse_head(conn, bytes(buf[:end]))
        body = len(buf) - conn.head_end
        if conn.body_needed is not None:
            return body >= conn.body_needed
        if conn.chunked:
            return buf.endswith(b"0\r\n\r\n")
        return False  # body delimited by close

    def _at_eof(self, conn: _Conn, now: float) -> None:
        if conn.head_end < 0 and conn.buf.find(b"\r\n\r\n") >= 0:
            self._response_complete(conn)
        delimited_by_close = conn.head_end >= 0 and conn.body_needed is None and not conn.chunked
        if conn.status is not None and delimited_by_close:
            self._complete(conn, now)
        else:
            if conn.buf and not conn.rec.detail:
                conn.rec.detail = "truncated response"
            self._finish(conn, "reset", now)

    def _complete(self, conn: _Conn, now: float) -> None:
        status = conn.status
        rec = conn.rec
        rec.status = status
        rec.done = now
        if status is None:
            rec.outcome, rec.detail = "error", "unparseable status line"
        elif 200 <= status < 300:
            rec.outcome = "ok"
        else:
            rec.outcome = f"http_{status}"
        conn.phase = _DRAINING
        conn.buf = bytearray()
        self._arm(conn, now + EOF_GRACE_S)

    def _finish(self, conn: _Conn, outcome: str, now: float) -> None:
        conn.rec.outcome = outcome
        conn.rec.done = now
        self._close(conn)

    def _close(self, conn: _Conn) -> None:
        if self.conns.pop(conn.fd, None) is not None:
            try:
                self.ep.unregister(conn.fd)
            except OSError:
                pass
        conn.sock.close()

    # -- the loop ----------------------------------------------------------------------------------------------

    def run(self, records: list[RequestRecord], paths: list[str], hard_stop: float) -> None:
        n = len(records)
        i = 0
        conns = self.conns
        poll = self.ep.poll
        epoll_fd = [self.ep.fileno()]
        precise = epoll_fd[0] < 1024  # select() cannot watch descriptors >= FD_SETSIZE
        try:
            while True:
                now = time.monotonic()
                while i < n and records[i].scheduled <= now:
                    self.launch(records[i], paths[i])
                    i += 1
                    now = time.monotonic()
                if self.timers and self.timers[0][0] <= now:
                    self._fire_timers(now)
                if i >= n and not conns:
                    return
                if now >= hard_stop:
                    self._abandon(now)
                    return
                wake = records[i].scheduled if i < n else hard_stop
                if self.timers:
                    wake = min(wake, self.timers[0][0])
                # epoll_wait only takes whole milliseconds; select() on the epoll fd itself waits with
                # microsecond precision and without spinning, then epoll hands over the ready sockets.
                wait = max(wake - now, 0.0)
                if precise:
                    if not select.select(epoll_fd, (), (), wait)[0]:
                        continue
                    wait = 0.0
                for fd, events in poll(wait):
                    conn = conns.get(fd)
                    if conn is not None:
                        self._on_event(conn, events)
        finally:
            for conn in list(conns.values()):
                self._close(conn)
            self.ep.close()

    def _abandon(self, now: float) -> None:
        for conn in list(self.conns.values()):
            self._expire(conn, now)


def _parse_head(conn: _Conn, head: bytes) -> None:
    lines = head.split(b"\r\n")
    parts = lines[0].split(None, 2)
    if len(parts) >= 2 and parts[0].startswith(b"HTTP/") and parts[1].isdigit():
        conn.status = int(parts[1])
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length" and value.strip().isdigit():
            conn.body_needed = int(value.strip())
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            conn.chunked = True
    if conn.status is not None and (conn.status in (204, 304) or 100 <= conn.status < 200):
        conn.body_needed = 0


def _connect_error_outcome(err: int, unix: bool) -> str:
    if err in (errno.EAGAIN, errno.EWOULDBLOCK) and unix:
        return "eagain"
    if err in (errno.ECONNREFUSED, errno.ENOENT):
        return "refused"
    if err == errno.ETIMEDOUT:
        return "connect_timeout"
    if err in (errno.ECONNRESET, errno.EPIPE):
        return "reset"
    return "error"


def run_load(spec: LoadSpec, *, observer: Callable[[list[RequestRecord], float], None] | None = None) -> LoadResult:
    """Run one open-loop load and return every request's record.

    ``observer(records, t0)`` is called once before the first send with the (live) record list and the monotonic
    start time, e.g. for a progress thread that reads outcomes while the run goes on.
    Raises ValueError (with a message) for a non-loopback target or invalid settings, before sending anything.
    """
    endpoint = spec.validate()
    rng = random.Random(spec.seed)
    offsets = make_schedule(spec.arrivals, spec.rate, spec.max_requests, spec.duration_s, rng)
    paths = request_paths(spec, len(offsets))
    t0 = time.monotonic() + 0.005
    wall_start = time.time() + 0.005
    records = [RequestRecord(index=k, scheduled=t0 + off) for k, off in enumerate(offsets)]
    last = t0 + (offsets[-1] if offsets else 0.0)
    hard_stop = last + spec.connect_timeout_s + spec.read_timeout_s + EOF_GRACE_S + 1.0
    if observer is not None:
        observer(records, t0)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # a full collection over the records is a multi-ms pause in the middle of the schedule
    try:
        _Runner(spec, endpoint).run(records, paths, hard_stop)
    finally:
        if gc_was_enabled:
            gc.enable()
    return LoadResult(
        records=records,
        target=str(endpoint),
        schedule_kind=spec.arrivals,
        nominal_rate=spec.rate,
        wall_start=wall_start,
        extra={"t0_monotonic": t0},
    )


def request_paths(spec: LoadSpec, count: int) -> list[str]:
    """The request targets in send order: ``path``, plus ``?t=<drawn>`` when ``spec.service`` is set (seeded)."""
    rng = random.Random(None if spec.seed is None else spec.seed + 1)
    sep = "&" if "?" in spec.path else "?"
    if spec.service is None:
        paths = [spec.path] * count
    else:
        dist = parse_service_spec(spec.service)
        paths = [f"{spec.path}{sep}t={draw(dist, rng):.6f}" for _ in range(count)]
        sep = "&"
    if spec.tag_requests:
        paths = [f"{path}{sep}i={index}" for index, path in enumerate(paths)]
    return paths


def request_index(target: str) -> int | None:
    """The ``i=<index>`` a tagged request carries (see ``LoadSpec.tag_requests``), or None."""
    query = target.partition("?")[2]
    for item in query.split("&"):
        name, _, value = item.partition("=")
        if name == "i" and value.isdigit():
            return int(value)
    return None


def requested_service_s(target: str) -> float | None:
    """The ``t=<seconds>`` service time a request asked for, or None."""
    query = target.partition("?")[2]
    for item in query.split("&"):
        name, _, value = item.partition("=")
        if name == "t":
            try:
                return float(value)
            except ValueError:
                return None
    return None
