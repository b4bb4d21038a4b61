"""What a validation run executes: the user's link as a queue, time-scaled if asked, checked against the limits
of a small machine.

The *executed* system is what the prediction, the band and the measurement all describe: with ``--time-scale F``
every service time and timeout is multiplied by F and the arrival rate divided by F, so ρ and every T/S ratio stay
the same. What cannot be scaled stays as it is and is said in the notes: the kernel's 1-s SYN retransmissions,
gunicorn's 1-s arbiter loop and its whole-second ``timeout``, uWSGI's 1-s master cycle (harakiri's cut window and
the respawn of a killed worker) and its whole-second ``harakiri``.

Limits (usage errors, exit 2), chosen for a 2-core machine that also runs nginx and the load generator:

* workers: at most 64 for the reference server (sleeping forks of one process) and 32 for real gunicorn or uWSGI
  (full Python processes, ~25 MB each), with at most 64 threads each (gthread, uWSGI threads);
* offered rate after scaling: at most 1000 requests/s (the generator keeps its schedule up to ~2000/s alone; nginx
  and the servers share the same two cores);
* service time after scaling: mean at least 5 ms, timeouts at least 10 ms (the load generator's send lag p99 is
  2-5 ms, timer wake-ups are ms-granular);
* duration at most 600 s, warm-up at most 120 s, at most 200,000 requests; requests still open 120 s after the
  last arrival are cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from advisor.queueing.params import QueueParams, ServiceTime

from .nginx_runner import NEXT_UPSTREAM_TOKENS, PASS_KINDS, NginxRoute

MAX_WORKERS = {"ref": 64, "gunicorn": 32, "uwsgi": 32, "uvicorn": 32}
MAX_RATE_PER_S = 1000.0
MIN_MEAN_SERVICE_S = 0.005
MIN_TIMEOUT_S = 0.010
MAX_DURATION_S = 600.0
MAX_WARMUP_S = 120.0
MAX_REQUESTS = 200_000
TAIL_CAP_S = 120.0
GUNICORN_ARBITER_LOOP_S = 1.0
REF_CHECK_INTERVAL_S = 1.0  # the reference server's arbiter loop, as gunicorn's, before time scaling
MAX_THREADS = 64
SERVERS = ("ref", "gunicorn", "uwsgi", "uvicorn")
PROXIES = ("nginx", "builtin")
# the model's worker families that real gunicorn runs here, and the runner's worker class for each named family
GUNICORN_CLASSES = {"sync": "sync", "gthread": "gthread", "gevent": "gevent", "eventlet": "gevent",
                    "uvicorn": "uvicorn", "asgi": "asgi"}


class PlanError(ValueError):
    """A setting this machine cannot validate, or an invalid option; the message says what to do instead."""


@dataclass(frozen=True)
class ValidationPlan:
    """Everything a run needs. Times are seconds of the executed (scaled) system unless named ``user_``."""

    params: QueueParams  # executed system: what is predicted, simulated and measured
    user_params: QueueParams  # the deployment as configured, before time scaling
    route: NginxRoute  # executed nginx route settings
    server: str  # "ref", "gunicorn", "uwsgi" or "uvicorn"
    proxy: str  # "nginx" or "builtin"
    duration_s: float  # measured part of the run (wall clock)
    warmup_s: float
    seed: int
    time_scale: float
    tcp_host: str = "127.0.0.1"  # for TCP binds: 127.0.0.1 or ::1, the same family as the user's address
    listen_backlog: int = 2048  # min(backlog, the app host's somaxconn): this machine's queue then matches the host's
    gunicorn_timeout_s: int = 0  # gunicorn's --timeout (whole seconds) for --server gunicorn
    restart_s: float = 0.0  # the model's R (scaled): the reference server waits R before replacing a dead worker;
    #                         gunicorn's synthetic app import sleeps R (also at start, which the run waits for)
    worker_class: str = "sync"  # what gunicorn runs (gunicorn_runner.WORKER_CLASSES): the link's own class
    processes: int = 1  # worker processes
    harakiri_s: int = 0  # uWSGI's --harakiri (whole seconds) for --server uwsgi
    threads: int = 1  # gthread threads per worker
    worker_connections: int = 1000  # gthread / gevent
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def socket(self) -> str:
        return self.params.socket

    @property
    def expected_requests(self) -> int:
        return math.ceil(self.params.arrival_rate * (self.duration_s + self.warmup_s))

    @property
    def tail_s(self) -> float:
        """How long the load generator waits for answers after the last arrival."""
        deadline = (self.params.read_timeout_s or TAIL_CAP_S) + self.params.connect_timeout_s
        if self.params.worker_timeout_enabled:
            deadline = max(deadline, self.params.worker_timeout_s + self.params.kill_lag_max_s + 1.0)
        return min(TAIL_CAP_S, deadline + 5.0)

    @property
    def max_seconds(self) -> float:
        """Hard cap for every child process (they stop by themselves after it)."""
        return self.warmup_s + self.duration_s + self.tail_s + 120.0

    def to_user_time(self, seconds: float | None) -> float | None:
        return None if seconds is None else seconds / self.time_scale

    def describe(self) -> dict[str, Any]:
        p, u = self.params, self.user_params
        return {
            "workers": self.processes,
            "worker_class": self.worker_class,
            "threads": self.threads,
            "worker_connections": self.worker_connections,
            "limit_concurrency": p.concurrency_limit,
            "slots": p.servers,
            "backlog": p.backlog,
            "listen_backlog": self.listen_backlog,
            "queue_room": p.queue_room,
            "accept_queue": p.kernel_room,
            "socket": p.socket,
            "rps": u.arrival_rate,
            "service": u.service.describe(),
            "mean_service_s": u.service.mean_s,
            "rho": u.offered_load,
            "proxy_read_timeout_s": u.read_timeout_s,
            "proxy_connect_timeout_s": u.connect_timeout_s,
            "worker_timeout_s": u.worker_timeout_s,
            "server": self.server,
            "nginx_pass": self.route.pass_kind,
            "harakiri_s": u.worker_timeout_s if self.server == "uwsgi" and u.worker_timeout_enabled else None,
            "proxy": self.proxy,
            "duration_s": self.duration_s,
            "warmup_s": self.warmup_s,
            "seed": self.seed,
            "time_scale": self.time_scale,
            "executed": {
                "rps": p.arrival_rate,
                "mean_service_s": p.service.mean_s,
                "proxy_read_timeout_s": p.read_timeout_s,
                "proxy_connect_timeout_s": p.connect_timeout_s,
                "proxy_send_timeout_s": self.route.proxy_send_timeout_s,
                "worker_timeout_s": p.worker_timeout_s,
                "kill_lag_max_s": p.kill_lag_max_s,
                "restart_s": p.restart_s,
                "worker_timeout_status": p.worker_timeout_status,
                "syn_retry_schedule_s": list(p.syn_retry_schedule_s),
                "proxy_http_version": self.route.proxy_http_version,
                "upstream_keepalive": self.route.upstream_keepalive,
                "proxy_buffering": self.route.proxy_buffering,
            },
        }


@dataclass
class RouteSettings:
    """The nginx route of the link, in seconds and plain values (before scaling), plus what could not be copied."""

    connect_timeout_s: float
    read_timeout_s: float
    send_timeout_s: float = 60.0
    http_version: str = "1.0"
    buffering: bool = True
    request_buffering: bool = True
    next_upstream: str = "error timeout"
    upstream_block: bool = False
    upstream_keepalive: int | None = None
    connection_header: str | None = None
    notes: list[str] = field(default_factory=list)
    kind: str = "proxy"  # the pass module: proxy (HTTP) or uwsgi


def route_settings_from_model(route: Any) -> RouteSettings:
    """Copy the settings of a deployment-model ``Route`` that shape a passed request (proxy_* or uwsgi_*)."""
    settings = route.settings
    notes: list[str] = []
    kind = route.kind if route.kind in PASS_KINDS else "proxy"

    def value(name: str, default: Any) -> Any:
        setting = settings.get(name)
        if setting is None or not setting.known or setting.value is None:
            return default
        return setting.value

    next_upstream = value(f"{kind}_next_upstream", ["error", "timeout"])
    if isinstance(next_upstream, str):
        next_upstream = next_upstream.split()
    tokens = [t for t in next_upstream if t in NEXT_UPSTREAM_TOKENS]
    upstream = route.target.upstream
    keepalive = None
    if upstream is not None:
        setting = upstream.settings.get("keepalive")
        if setting is not None and setting.known and isinstance(setting.value, int) and setting.value > 0:
            keepalive = min(int(setting.value), 10000)
    connection = None
    header = route.headers.get("connection") if kind == "proxy" else None
    if header is not None and header.known and isinstance(header.value, str):
        text = header.value.strip().strip("\"'")
        if "$" in text or any(c in text for c in '"\\;{}\n'):
            notes.append(f"proxy_set_header Connection {header.value} is not reproduced (it needs variables or maps "
                         "of the full config); the generated config leaves nginx's default")
        else:
            connection = text
    return RouteSettings(
        connect_timeout_s=float(value(f"{kind}_connect_timeout", 60.0)),
        read_timeout_s=float(value(f"{kind}_read_timeout", 60.0)),
        send_timeout_s=float(value(f"{kind}_send_timeout", 60.0)),
        http_version=str(value("proxy_http_version", "1.0")) if kind == "proxy" else "1.0",
        buffering=bool(value(f"{kind}_buffering", True)),
        request_buffering=bool(value(f"{kind}_request_buffering", True)),
        next_upstream=" ".join(tokens) or "error timeout",
        upstream_block=upstream is not None,
        upstream_keepalive=keepalive,
        connection_header=connection,
        notes=notes,
        kind=kind,
    )


def scale_service(service: ServiceTime, factor: float) -> ServiceTime:
    if service.kind == "lognormal":
        return ServiceTime.lognormal(service.scale_s * factor, service.sigma)
    return replace(service, scale_s=service.scale_s * factor)


def make_plan(
    user_params: QueueParams,
    route: RouteSettings,
    *,
    server: str = "ref",
    proxy: str = "nginx",
    duration_s: float = 20.0,
    warmup_s: float = 2.0,
    time_scale: float = 1.0,
    seed: int = 1,
    tcp_host: str = "127.0.0.1",
    family: str = "sync",
    worker_class: str = "sync",
    processes: int | None = None,
    threads: int = 1,
    worker_connections: int = 1000,
    app_kind: str = "gunicorn",
) -> ValidationPlan:
    """Check the options and the limits, and build the executed system. Raises PlanError with a suggestion.
    ``app_kind``: the link's app server (gunicorn, uwsgi or a standalone uvicorn)."""
    if server not in SERVERS:
        raise PlanError(f"unknown --server {server!r}: use ref, gunicorn, uwsgi or uvicorn")
    if (app_kind == "uvicorn") != (server == "uvicorn"):
        raise PlanError("the link's app server is standalone uvicorn: use --server uvicorn (real uvicorn with a "
                        "synthetic ASGI app)" if app_kind == "uvicorn" else
                        f"--server uvicorn runs standalone uvicorn, but the link's app server is {app_kind}: use "
                        "--server gunicorn, uwsgi or ref")
    if proxy not in PROXIES:
        raise PlanError(f"unknown --proxy {proxy!r}: use auto, nginx or builtin")
    if (family == "uwsgi") != (server == "uwsgi"):
        raise PlanError("the link's app server is uWSGI: use --server uwsgi (real uWSGI with a synthetic app)"
                        if family == "uwsgi" else
                        "--server uwsgi runs uWSGI, but the link's app server is gunicorn: use --server gunicorn or "
                        "--server ref")
    if server == "uwsgi" and worker_class != "uwsgi":
        raise PlanError(f"the link's uWSGI workers run {worker_class.split('-')[-1]} cores; this validation runs "
                        "uWSGI processes x threads only, so this link cannot be validated (its prediction stays "
                        "unmeasured)")
    if family != "sync" and server == "ref":
        raise PlanError(f"the link uses {worker_class or family} workers; the reference server emulates sync workers "
                        "only. Use --server gunicorn: it runs real gunicorn with the link's worker class")
    runner_class = None
    if server not in ("uwsgi", "uvicorn"):
        runner_class = GUNICORN_CLASSES.get(worker_class if family != "sync" else "sync")
    if server == "gunicorn" and runner_class is None:
        raise PlanError(f"the link uses {worker_class} workers, which this validation cannot run with a synthetic "
                        f"app (it runs {', '.join(sorted(GUNICORN_CLASSES))})")
    if not (math.isfinite(time_scale) and 1e-4 <= time_scale <= 1e4):
        raise PlanError(f"--time-scale must be between 0.0001 and 10000, got {time_scale!r}")
    if not (math.isfinite(duration_s) and 1.0 <= duration_s <= MAX_DURATION_S):
        raise PlanError(f"--duration must be between 1 s and {MAX_DURATION_S:.0f} s, got {duration_s:g} s")
    if not (math.isfinite(warmup_s) and 0.0 <= warmup_s <= MAX_WARMUP_S):
        raise PlanError(f"--warmup must be between 0 and {MAX_WARMUP_S:.0f} s, got {warmup_s:g} s")
    if tcp_host not in ("127.0.0.1", "::1"):
        raise PlanError(f"validation binds only 127.0.0.1 or ::1, not {tcp_host!r}")

    limit = MAX_WORKERS[server]
    c = processes if processes is not None else user_params.servers
    if threads > MAX_THREADS:
        raise PlanError(f"{threads} threads per worker: this validation runs at most {MAX_THREADS}")
    if c > limit:
        names = {"ref": "reference", "gunicorn": "gunicorn", "uwsgi": "uWSGI", "uvicorn": "uvicorn"}
        raise PlanError(
            f"{c} workers: this validation runs at most {limit} {names[server]} "
            f"workers reliably on this machine. Validate a reduced copy instead: e.g. workers = {limit} with --rps "
            f"{user_params.arrival_rate * limit / c:g} keeps ρ = {user_params.offered_load:.2f} (the shares then "
            f"describe the smaller pool, which checks the model, not your exact numbers)")

    listen_backlog = _listen_backlog(user_params)
    f = time_scale
    notes: list[str] = []
    warnings: list[str] = []
    executed_status = 500  # the reference server and gunicorn >= 22 write a 500 for a killed (interruptible) worker
    if server == "uwsgi":
        executed_status = user_params.worker_timeout_status  # harakiri: nginx answers 502 (uwsgi_pool)
    elif user_params.worker_timeout_status != 500 and user_params.worker_timeout_enabled:
        notes.append("your gunicorn version answers a killed worker with 502; the servers run here (reference "
                     "server, gunicorn >= 22) write a 500, so the executed system predicts 500s")

    kill_lag = GUNICORN_ARBITER_LOOP_S if server == "gunicorn" else REF_CHECK_INTERVAL_S * f
    worker_timeout = user_params.worker_timeout_s * f if user_params.worker_timeout_enabled else None
    restart = user_params.restart_s * f
    harakiri = 0
    if server == "uwsgi":  # the master's 1-s cycle sets the cut window and the respawn: neither scales
        kill_lag, restart = user_params.kill_lag_max_s, user_params.restart_s
        if worker_timeout is not None:
            wanted = user_params.worker_timeout_s * f
            harakiri = max(1, math.ceil(wanted - 1e-9))
            if abs(harakiri - wanted) > 1e-9:
                notes.append(f"uWSGI's harakiri is whole seconds: {wanted:g} s (scaled) runs as {harakiri} s")
            if f != 1.0:
                notes.append("uWSGI's master checks harakiri and respawns workers on a 1-s cycle whatever the time "
                             "scale: the cut window and the restart time are not scaled")
            worker_timeout = float(harakiri)
    gunicorn_timeout = 0
    if worker_timeout is not None and server == "gunicorn":
        gunicorn_timeout = max(1, math.ceil(worker_timeout - 1e-9))
        if abs(gunicorn_timeout - worker_timeout) > 1e-9:
            notes.append(f"gunicorn's timeout is whole seconds: {worker_timeout:g} s (scaled) runs as "
                         f"{gunicorn_timeout} s")
        worker_timeout = float(gunicorn_timeout)
    if server == "gunicorn" and f != 1.0 and user_params.worker_timeout_enabled:
        notes.append("gunicorn's arbiter wakes every 1 s whatever the time scale: the kill lag is not scaled")

    params = replace(
        user_params,
        arrival_rate=user_params.arrival_rate / f,
        service=scale_service(user_params.service, f),
        read_timeout_s=None if user_params.read_timeout_s is None else user_params.read_timeout_s * f,
        connect_timeout_s=user_params.connect_timeout_s * f,
        worker_timeout_s=worker_timeout,
        restart_s=restart,
        kill_lag_max_s=kill_lag,
        worker_timeout_status=executed_status,
    )
    executed_route = NginxRoute(
        proxy_connect_timeout_s=route.connect_timeout_s * f,
        proxy_read_timeout_s=route.read_timeout_s * f,
        proxy_send_timeout_s=route.send_timeout_s * f,
        proxy_http_version=route.http_version if route.http_version in ("1.0", "1.1") else "1.0",
        upstream_block=route.upstream_block,
        upstream_keepalive=route.upstream_keepalive,
        proxy_set_connection_header=route.connection_header,
        proxy_buffering=route.buffering,
        proxy_request_buffering=route.request_buffering,
        proxy_next_upstream=route.next_upstream,
        pass_kind=route.kind,
    )
    notes.extend(route.notes)
    if route.kind == "proxy" and route.http_version not in ("1.0", "1.1"):
        notes.append(f"proxy_http_version {route.http_version} runs as 1.0 (the synthetic servers speak HTTP/1.x)")
    if f != 1.0:
        notes.append(f"time-scaled by {f:g}: service times and every timeout x {f:g}, the request rate / {f:g}; "
                     f"ρ and the timeout/service ratios are unchanged. Latencies are reported in your units "
                     f"(measured / {f:g})")
        if params.socket == "tcp":
            notes.append("the kernel's SYN retransmissions (1 s, 2 s, ...) are not time-scaled")
    _check_limits(params, executed_route, f, warnings)
    if proxy == "builtin":
        notes.append("--proxy builtin: the load generator emulates nginx's connect and read timeouts (no nginx); "
                     "buffering, keep-alive and the send timeout are not emulated")
    if server == "uwsgi":
        notes.append(f"--server uwsgi: real uWSGI ({c} processes x {threads} threads, "
                     f"{'socket' if route.kind == 'uwsgi' else 'http-socket'}) with a synthetic WSGI app that sleeps "
                     "the drawn service time; your application is not run")
    elif server == "uvicorn":
        limit = params.concurrency_limit
        notes.append(f"--server uvicorn: real uvicorn ({c} workers, "
                     + (f"limit_concurrency {limit}" if limit is not None else "no concurrency limit")
                     + ") with a synthetic ASGI app that awaits the drawn service time; your application is not run")
    elif server == "gunicorn":
        app = "ASGI app that awaits" if runner_class in ("uvicorn", "asgi") else "WSGI app that sleeps"
        notes.append(f"--server gunicorn: real gunicorn ({runner_class}) with a synthetic {app} the drawn "
                     "service time; your application is not run")
    else:
        notes.append("--server ref: the reference pre-fork server (gunicorn sync-worker semantics) sleeps the drawn "
                     "service time")

    plan = ValidationPlan(
        params=params, user_params=user_params, route=executed_route, server=server, proxy=proxy,
        duration_s=duration_s, warmup_s=warmup_s, seed=seed, time_scale=f, tcp_host=tcp_host,
        gunicorn_timeout_s=gunicorn_timeout, restart_s=params.restart_s, listen_backlog=listen_backlog,
        worker_class=server if server in ("uwsgi", "uvicorn") else runner_class or "sync", processes=c,
        threads=threads,
        worker_connections=worker_connections, harakiri_s=harakiri,
        notes=tuple(notes),
        warnings=tuple(warnings),
    )
    if plan.expected_requests > MAX_REQUESTS:
        raise PlanError(f"about {plan.expected_requests} requests: more than the {MAX_REQUESTS} a validation run "
                        "sends; shorten --duration or use a larger --time-scale")
    return plan


def machine_somaxconn() -> int | None:
    try:
        with open("/proc/sys/net/core/somaxconn", encoding="ascii") as fh:
            return int(fh.read().strip())
    except (OSError, ValueError):
        return None


def _listen_backlog(params: QueueParams) -> int:
    """The backlog to listen() with so that this machine's accept queue holds what the app host's would:
    min(backlog, host somaxconn) (the kernel adds the same + 1 here)."""
    room = params.queue_room - 1
    here = machine_somaxconn()
    if here is not None and room > here:
        raise PlanError(
            f"the app host's accept queue holds {room + 1} connections (min(backlog, somaxconn) + 1), more than this "
            f"machine's net.core.somaxconn {here} allows; raise it here (sysctl -w net.core.somaxconn={room}) or "
            "validate a copy with a smaller backlog")
    return room


def _check_limits(params: QueueParams, route: NginxRoute, f: float, warnings: list[str]) -> None:
    rate = params.arrival_rate
    if rate > MAX_RATE_PER_S:
        factor = f * rate / MAX_RATE_PER_S
        raise PlanError(
            f"{rate:g} requests/s after scaling: above the {MAX_RATE_PER_S:g} requests/s this machine's load "
            f"generator, nginx and server can drive reliably. Use --time-scale {_round_up(factor):g} (or larger): "
            "it slows service times and timeouts down and the rate by the same factor, so ρ and the timeout ratios "
            "stay the same")
    if params.service.mean_s < MIN_MEAN_SERVICE_S:
        factor = f * MIN_MEAN_SERVICE_S / params.service.mean_s
        raise PlanError(
            f"mean service time {params.service.mean_s * 1000:g} ms after scaling: below the "
            f"{MIN_MEAN_SERVICE_S * 1000:g} ms the timers here resolve reliably. Use --time-scale "
            f"{_round_up(factor):g} or larger")
    timeouts = {"proxy_read_timeout": params.read_timeout_s, "proxy_connect_timeout": params.connect_timeout_s,
                "gunicorn timeout": params.worker_timeout_s}
    for name, value in timeouts.items():
        if value is not None and value < MIN_TIMEOUT_S:
            raise PlanError(f"{name} {value * 1000:g} ms after scaling: below {MIN_TIMEOUT_S * 1000:g} ms. Use a "
                            f"--time-scale of at least {_round_up(f * MIN_TIMEOUT_S / value):g}")
    try:
        route.validate()
    except ValueError as err:
        raise PlanError(f"the nginx route cannot be reproduced: {err}") from None
    if params.read_timeout_s is not None and params.read_timeout_s + params.connect_timeout_s + 5 > TAIL_CAP_S:
        warnings.append(f"proxy_read_timeout + proxy_connect_timeout exceed the {TAIL_CAP_S:g}-s tail cap: requests "
                        f"still open {TAIL_CAP_S:g} s after the last arrival are cut and counted as 'other'")


def _round_up(value: float) -> float:
    """A readable factor >= value (1, 2, 5 x 10^k)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for mantissa in (1, 2, 5, 10):
        candidate = mantissa * 10**exponent
        if candidate >= value * (1 - 1e-9):
            return float(f"{candidate:.6g}")
    return float(10 ** (exponent + 1))
