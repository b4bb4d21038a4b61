"""Inputs of the queueing model: the service-time distribution and the queue parameters.

Everything here is plain data. The analytic model (``analytic.py``) and the simulator (``simulate.py``) read the
same :class:`QueueParams`, so a prediction and a simulation of one deployment always describe the same system.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from statistics import NormalDist

from .outcome import OUTCOME_KEYS  # re-exported: the outcome kinds are defined in outcome.py

from advisor.units import format_duration

__all__ = [
    "CLASSIC_SYN_RETRIES_S",
    "LADDER_RANKS",
    "LINEAR_SYN_RETRIES_S",
    "LINUX_QUEUED_WORKER_WEIGHT",
    "LINUX_SPLIT_RATIO",
    "MAX_QUEUE_ROOM",
    "MAX_RPS",
    "MAX_SERVERS",
    "MAX_SERVICE_S",
    "MAX_WORKERS",
    "MIN_SERVICE_S",
    "OUTCOME_KEYS",
    "ParameterError",
    "QueueParams",
    "ServiceTime",
    "check_pool",
    "check_workload",
    "parse_duration_s",
    "parse_service_time",
    "rank_ladder",
]

_STANDARD_NORMAL = NormalDist()
Z_99 = _STANDARD_NORMAL.inv_cdf(0.99)

# Cumulative times (seconds after the first SYN) at which a client retransmits an unanswered SYN.
# Linux >= 6.5 with net.ipv4.tcp_syn_linear_timeouts = 4 (measured 1.02, 2.06, 3.08, 4.10, 5.12, 7.13, 11.29 s),
# and the classic exponential schedule (1, 2, 4, 8, 16, 32 s gaps).
LINEAR_SYN_RETRIES_S: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0, 7.0, 11.0)
CLASSIC_SYN_RETRIES_S: tuple[float, ...] = (1.0, 3.0, 7.0, 15.0, 31.0, 63.0)

# Which gthread worker accepts a connection is a race the kernel decides. Measured with gunicorn 27 on Linux 6.x
# (docs/model-worker-classes.md): the workers win it in a fixed order of preference, each about 0.7 times as often
# as the one before it (the per-run accept counts of two to four workers), and a worker with connections queued
# inside it wins about 1.4 times as often as it would otherwise (per-connection traces: 1.2-1.5).
LINUX_SPLIT_RATIO = 0.7
# The ladder was measured with up to four workers; further workers are assumed to get the fourth's share.
LADDER_RANKS = 4
LINUX_QUEUED_WORKER_WEIGHT = 1.4

SERVICE_KINDS = ("exponential", "lognormal", "constant")
SOCKET_KINDS = ("unix", "tcp")

# Physical limits. Beyond them a value describes no real host, so it is refused with a clear message instead of
# being computed (the formulas themselves take any size in bounded time).
MAX_WORKERS = 4_194_304  # Linux PID_MAX_LIMIT: no host runs more worker processes (or threads)
MAX_SERVERS = 2**30  # concurrent request slots; each holds a connection, and one host holds at most ~2^30 sockets
MAX_QUEUE_ROOM = 2**53  # queued connections: 2^31 in the accept queue plus up to 2^30 in each of MAX_WORKERS
MAX_RPS = 1e9  # offered requests/s on one app server
MIN_SERVICE_S = 1e-6  # a request through a proxy and an app server takes at least a microsecond
MAX_SERVICE_S = 1e6  # mean service time: about 11.6 days


class ParameterError(ValueError):
    """A model input beyond physical limits; the message says which and what the limit is."""


def check_workload(rps: float, service: ServiceTime) -> None:
    """Raise ParameterError when the offered load or the service time is beyond what any host sees."""
    if not (math.isfinite(rps) and 0 < rps <= MAX_RPS):
        raise ParameterError(f"--rps {rps:g}: the offered load must be a positive number of requests/s up to "
                             f"{MAX_RPS:g} (no single app server sees more)")
    mean = service.mean_s
    if not (math.isfinite(mean) and MIN_SERVICE_S <= service.scale_s and mean <= MAX_SERVICE_S):
        shown = format_duration(service.scale_s)
        if service.kind == "lognormal":
            shown = f"p50 {shown}, p99 {format_duration(service.quantile(0.99))}"
        raise ParameterError(f"--service-time {shown}: the model needs a service time between 1 us and "
                             f"{MAX_SERVICE_S:g} s (mean {mean:.3g} s)")


def check_pool(family: str, workers: int, threads: int) -> None:
    """Raise ParameterError for more worker processes (or gthread threads) than Linux runs on one host."""
    if workers > MAX_WORKERS:
        raise ParameterError(f"workers = {workers}: more processes than Linux runs on one host (at most "
                             f"{MAX_WORKERS})")
    if family == "gthread" and workers * threads > MAX_WORKERS:
        raise ParameterError(f"workers x threads = {workers} x {threads}: more threads than Linux runs on one host "
                             f"(at most {MAX_WORKERS})")


def rank_ladder(workers: int, ratio: float) -> tuple[float, ...]:
    """Shares of ``workers`` workers when each gets ``ratio`` times the share of the one before it (1: even), down
    to rank LADDER_RANKS; the workers after it get the last rung's share (the ladder was measured that far)."""
    weights = [ratio ** min(k, LADDER_RANKS - 1) for k in range(workers)]
    total = math.fsum(weights)
    return tuple(weight / total for weight in weights)


@dataclass(frozen=True)
class ServiceTime:
    """A service-time distribution.

    ``scale_s`` is the mean (exponential), the median (lognormal) or the value (constant); ``sigma`` is the
    standard deviation of ln S for the lognormal and 0 otherwise.
    """

    kind: str
    scale_s: float
    sigma: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in SERVICE_KINDS:
            raise ValueError(f"unknown service-time kind {self.kind!r}; expected one of {', '.join(SERVICE_KINDS)}")
        if not (math.isfinite(self.scale_s) and self.scale_s > 0):
            raise ValueError(f"service time must be a positive number of seconds, got {self.scale_s!r}")
        if not (math.isfinite(self.sigma) and self.sigma >= 0):
            raise ValueError(f"lognormal sigma must be >= 0, got {self.sigma!r}")

    # -- constructors -------------------------------------------------------------------------------------------
    @classmethod
    def exponential(cls, mean_s: float) -> ServiceTime:
        return cls("exponential", float(mean_s))

    @classmethod
    def constant(cls, s: float) -> ServiceTime:
        return cls("constant", float(s))

    @classmethod
    def lognormal(cls, median_s: float, sigma: float) -> ServiceTime:
        return cls("lognormal", float(median_s), float(sigma))

    @classmethod
    def lognormal_from_quantiles(cls, p50_s: float, p99_s: float) -> ServiceTime:
        """Fit a lognormal to a median and a 99th percentile: sigma = ln(p99/p50) / z_0.99."""
        if not (p50_s > 0 and p99_s > 0):
            raise ValueError(f"p50 and p99 must be positive, got p50={p50_s!r}, p99={p99_s!r}")
        if p99_s <= p50_s:
            raise ValueError(f"p99 ({p99_s:g} s) must be larger than p50 ({p50_s:g} s)")
        return cls("lognormal", float(p50_s), math.log(p99_s / p50_s) / Z_99)

    # -- moments ------------------------------------------------------------------------------------------------
    @property
    def mean_s(self) -> float:
        if self.kind == "lognormal":  # beyond exp(709) the mean is infinite for any use (check_workload refuses it)
            return self.scale_s * math.exp(self.sigma**2 / 2) if self.sigma**2 / 2 < 709 else math.inf
        return self.scale_s

    @property
    def scv(self) -> float:
        """Squared coefficient of variation Var(S)/E[S]^2."""
        if self.kind == "exponential":
            return 1.0
        if self.kind == "lognormal":
            return math.expm1(self.sigma**2) if self.sigma**2 < 709 else math.inf
        return 0.0

    def describe(self) -> str:
        if self.kind == "exponential":
            return f"exponential, mean {format_duration(self.scale_s)}"
        if self.kind == "constant":
            return f"constant {format_duration(self.scale_s)}"
        return (
            f"lognormal, p50 {format_duration(self.scale_s)}, p99 {format_duration(self.quantile(0.99))}, "
            f"mean {format_duration(self.mean_s)}, SCV {self.scv:.2f}"
        )

    # -- distribution functions ---------------------------------------------------------------------------------
    def cdf(self, t: float) -> float:
        if t <= 0:
            return 0.0
        if self.kind == "exponential":
            return -math.expm1(-t / self.scale_s)
        if self.kind == "constant":
            return 1.0 if t >= self.scale_s else 0.0
        if self.sigma == 0:
            return 1.0 if t >= self.scale_s else 0.0
        return _STANDARD_NORMAL.cdf(math.log(t / self.scale_s) / self.sigma)

    def sf(self, t: float) -> float:
        """P(S > t)."""
        if t <= 0:
            return 1.0
        if self.kind == "exponential":
            return math.exp(-t / self.scale_s)
        if self.kind == "constant" or self.sigma == 0:
            return 0.0 if t >= self.scale_s else 1.0
        return _STANDARD_NORMAL.cdf(-math.log(t / self.scale_s) / self.sigma)

    def quantile(self, p: float) -> float:
        if not 0.0 <= p < 1.0:
            raise ValueError(f"quantile level must be in [0, 1), got {p!r}")
        if self.kind == "exponential":
            return -self.scale_s * math.log1p(-p)
        if self.kind == "constant" or self.sigma == 0:
            return self.scale_s
        if p == 0.0:
            return 0.0
        return self.scale_s * math.exp(self.sigma * _STANDARD_NORMAL.inv_cdf(p))

    def mean_below(self, limit_s: float) -> float:
        """E[min(S, limit)]: the mean time a worker holds a request that is cut at ``limit_s``."""
        if limit_s <= 0:
            return 0.0
        if self.kind == "exponential":
            return -self.scale_s * math.expm1(-limit_s / self.scale_s)
        if self.kind == "constant" or self.sigma == 0:
            return min(self.scale_s, limit_s)
        # E[S; S <= L] = mean * Phi((ln L - ln m - sigma^2) / sigma) for a lognormal with median m.
        z = (math.log(limit_s / self.scale_s) - self.sigma**2) / self.sigma
        return self.mean_s * _STANDARD_NORMAL.cdf(z) + limit_s * self.sf(limit_s)

    # -- sampling -----------------------------------------------------------------------------------------------
    def sample(self, rng: random.Random) -> float:
        return self.sampler(rng)()

    def sampler(self, rng: random.Random) -> Callable[[], float]:
        """A fast zero-argument draw function bound to ``rng`` (used by the simulator's inner loop)."""
        if self.kind == "exponential":
            rate = 1.0 / self.scale_s
            expovariate = rng.expovariate
            return lambda: expovariate(rate)
        if self.kind == "constant" or self.sigma == 0:
            value = self.scale_s
            return lambda: value
        mu, sigma = math.log(self.scale_s), self.sigma
        lognormvariate = rng.lognormvariate
        return lambda: lognormvariate(mu, sigma)


@dataclass(frozen=True)
class QueueParams:
    """One gunicorn sync-worker pool behind nginx, as a queue.

    * ``servers``: c, the number of sync workers.
    * ``queue_room``: Q = min(backlog, somaxconn) + 1, the connections the kernel accept queue holds.
    * ``arrival_rate``: lambda in requests per second (Poisson unless the simulator is told otherwise).
    * ``read_timeout_s``: nginx proxy_read_timeout T, a deadline on wait + service (None: no deadline).
    * ``connect_timeout_s``: nginx proxy_connect_timeout (only matters for TCP overflow).
    * ``worker_timeout_s``: gunicorn ``timeout`` Tw for sync workers (None or 0: disabled).
    * ``restart_s``: R, time until a killed worker's replacement accepts again.
    * ``kill_lag_max_s``: the arbiter kills at Tw + U with U ~ U(0, kill_lag_max_s] (its loop wakes every 1 s).
    * ``worker_timeout_status``: what the client gets when a worker is killed, 500 (gunicorn >= 22, interruptible
      code) or 502 (older gunicorn, or stuck in C code).
    * ``syn_retry_schedule_s``: cumulative SYN retransmission times used for TCP overflow.
    * ``backlog``/``somaxconn``: informational, kept when built with :meth:`from_backlog`.
    * ``workers``/``worker_room``: worker processes that each accept connections beyond their free slots, up to
      ``worker_room`` more, and queue them inside the worker (gthread with worker_connections > threads). Such a
      pool is *partitioned*: ``servers`` slots split evenly over the workers, each worker its own FIFO queue, and
      an arriving connection goes to whichever worker accepts first, whether or not it has a free slot. The kernel
      accept queue (``queue_room`` minus the workers' rooms) only fills when every worker holds its maximum.
      ``None``/0: one pooled FIFO queue in front of all slots (sync workers; gthread with worker_connections <=
      threads).
    * ``split``: relative shares of the connections each worker accepts (None: from ``split_ratio``). The kernel
      decides the split, not the configuration.
    * ``split_ratio``: without ``split``, the workers' shares form a ladder by rank: each worker gets ``split_ratio``
      times the share of the one before it (1: even). Which worker holds which rank does not matter to the outcome.
    * ``queued_worker_weight``: how much more likely a worker with connections queued inside it is to accept the
      next one than a worker without (1: no preference). Which worker's accept() wins is a race decided by the
      kernel's wake-ups and the scheduler; measured on Linux, a worker whose threads keep picking up queued
      connections wins it about 1.4 times as often (see docs/model-worker-classes.md).
    * ``split_spread``: the per-run bias of an even split (no ``split``, ``split_ratio`` 1; ignored otherwise):
      every worker gets a weight e^(spread Z), Z standard normal, for a whole run (0: none). The prediction
      averages over it; the simulator draws it once per run.
    * ``unbounded``: every connection gets a slot at once (an event loop); nothing ever waits in a queue.
      Without ``concurrency_limit`` nothing is refused either and ``servers`` (= ``workers``) only sizes the
      utilisation figure.
    * ``concurrency_limit``: uvicorn's ``limit_concurrency`` L of every worker (event loops only; None: no limit).
      A worker answers a request with an immediate 503 when it holds L connections counting the request's own
      (so it serves at most L - 1 at once) or runs L requests (a request nginx gave up on keeps running, its
      connection is closed). ``servers`` is then ``workers`` x max(1, L - 1).
    """

    servers: int
    queue_room: int
    arrival_rate: float
    service: ServiceTime
    read_timeout_s: float | None = 60.0
    connect_timeout_s: float = 60.0
    worker_timeout_s: float | None = None
    restart_s: float = 0.5
    kill_lag_max_s: float = 1.0
    socket: str = "unix"
    worker_timeout_status: int = 500
    syn_retry_schedule_s: tuple[float, ...] = field(default=LINEAR_SYN_RETRIES_S)
    backlog: int | None = None
    somaxconn: int | None = None
    workers: int | None = None
    worker_room: int = 0
    split: tuple[float, ...] | None = None
    split_ratio: float = 1.0
    queued_worker_weight: float = 1.0
    split_spread: float = 0.0
    unbounded: bool = False
    concurrency_limit: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.servers, int) or self.servers < 1:
            raise ValueError(f"servers (workers) must be an integer >= 1, got {self.servers!r}")
        if self.servers > MAX_SERVERS:
            raise ParameterError(f"{self.servers} concurrent request slots are beyond what one host holds (each "
                                 f"needs a connection; at most {MAX_SERVERS})")
        if not isinstance(self.queue_room, int) or self.queue_room < 0:
            raise ValueError(f"queue_room must be an integer >= 0, got {self.queue_room!r}")
        if self.queue_room > MAX_QUEUE_ROOM:
            raise ParameterError(f"{self.queue_room} queued connections are beyond any host (the kernel's accept "
                                 f"queue holds at most 2^31, a process at most 2^30 connections)")
        if not (math.isfinite(self.arrival_rate) and self.arrival_rate >= 0):
            raise ValueError(f"arrival_rate must be >= 0 requests/s, got {self.arrival_rate!r}")
        if not isinstance(self.service, ServiceTime):
            raise TypeError("service must be a ServiceTime")
        if self.read_timeout_s is not None and not self.read_timeout_s > 0:
            raise ValueError(f"read_timeout_s must be > 0 or None, got {self.read_timeout_s!r}")
        if not self.connect_timeout_s > 0:
            raise ValueError(f"connect_timeout_s must be > 0, got {self.connect_timeout_s!r}")
        if self.worker_timeout_s is not None and self.worker_timeout_s < 0:
            raise ValueError(f"worker_timeout_s must be >= 0 or None, got {self.worker_timeout_s!r}")
        if self.restart_s < 0 or self.kill_lag_max_s < 0:
            raise ValueError("restart_s and kill_lag_max_s must be >= 0")
        if self.socket not in SOCKET_KINDS:
            raise ValueError(f"socket must be 'unix' or 'tcp', got {self.socket!r}")
        if self.worker_timeout_status not in (500, 502):
            raise ValueError(f"worker_timeout_status must be 500 or 502, got {self.worker_timeout_status!r}")
        schedule = tuple(float(x) for x in self.syn_retry_schedule_s)
        if any(x <= 0 for x in schedule) or list(schedule) != sorted(schedule):
            raise ValueError("syn_retry_schedule_s must be increasing positive times")
        object.__setattr__(self, "syn_retry_schedule_s", schedule)
        self._check_workers()

    def _check_workers(self) -> None:
        if self.concurrency_limit is not None and (
                not self.unbounded or not isinstance(self.concurrency_limit, int) or self.concurrency_limit < 1):
            raise ValueError(f"concurrency_limit needs an event loop (unbounded) and an integer >= 1, got "
                             f"{self.concurrency_limit!r}")
        if not (math.isfinite(self.queued_worker_weight) and self.queued_worker_weight > 0):
            raise ValueError(f"queued_worker_weight must be > 0, got {self.queued_worker_weight!r}")
        if not (math.isfinite(self.split_spread) and 0.0 <= self.split_spread <= 5.0):
            raise ValueError(f"split_spread must be between 0 and 5, got {self.split_spread!r}")
        if not (isinstance(self.split_ratio, (int, float)) and 0.0 < self.split_ratio <= 1.0):
            raise ValueError(f"split_ratio must be in (0, 1], got {self.split_ratio!r}")
        if self.workers is None:
            if self.worker_room or self.split is not None:
                raise ValueError("worker_room and split need workers")
            return
        if not isinstance(self.workers, int) or self.workers < 1 or self.servers % self.workers:
            raise ValueError(f"workers must be an integer >= 1 that divides servers ({self.servers}), "
                             f"got {self.workers!r}")
        if self.workers > MAX_WORKERS:
            raise ParameterError(f"{self.workers} workers are more processes than Linux runs on one host (at most "
                                 f"{MAX_WORKERS})")
        if not isinstance(self.worker_room, int) or self.worker_room < 0:
            raise ValueError(f"worker_room must be an integer >= 0, got {self.worker_room!r}")
        if self.queue_room < self.workers * self.worker_room:
            raise ValueError("queue_room must include every worker's room (workers x worker_room)")
        if self.split is not None:
            split = tuple(float(x) for x in self.split)
            if len(split) != self.workers or any(not (math.isfinite(x) and x >= 0) for x in split) or not sum(split):
                raise ValueError(f"split needs {self.workers} non-negative shares with a positive sum, got {split!r}")
            object.__setattr__(self, "split", tuple(x / math.fsum(split) for x in split))

    @classmethod
    def from_backlog(
        cls, servers: int, backlog: int, somaxconn: int = 4096, **kwargs: object
    ) -> QueueParams:
        """Build from gunicorn's ``backlog`` and the kernel's ``net.core.somaxconn``: Q = min(B, somaxconn) + 1."""
        if backlog < 0 or somaxconn < 0:
            raise ValueError(f"backlog and somaxconn must be >= 0, got {backlog!r} and {somaxconn!r}")
        return cls(
            servers=servers,
            queue_room=min(backlog, somaxconn) + 1,
            backlog=backlog,
            somaxconn=somaxconn,
            **kwargs,  # type: ignore[arg-type]
        )

    # -- derived quantities -------------------------------------------------------------------------------------
    @property
    def capacity(self) -> int:
        """K = c + Q, the most requests the pool holds (in service plus queued)."""
        return self.servers + self.queue_room

    @property
    def partitioned(self) -> bool:
        """Several workers queue connections inside themselves: per-worker queues, not one pooled queue."""
        return self.workers is not None and self.workers > 1 and self.worker_room > 0 and not self.unbounded

    @property
    def limited_loop(self) -> bool:
        """Event loops that refuse requests beyond their concurrency limit with 503s."""
        return self.unbounded and self.concurrency_limit is not None

    @property
    def kernel_room(self) -> int:
        """The accept queue's places: queue_room without the connections queued inside the workers."""
        return self.queue_room - (self.workers or 0) * self.worker_room

    @property
    def slots_per_worker(self) -> int:
        return self.servers // (self.workers or 1) if self.workers else self.servers

    @property
    def shares(self) -> tuple[float, ...]:
        """Each worker's share of the accepted connections: ``split``, else the ``split_ratio`` ladder by rank."""
        if self.split is not None:
            return self.split
        return rank_ladder(self.workers or 1, self.split_ratio)

    @property
    def even_split(self) -> bool:
        """Every worker gets the same share (no ``split``, no ladder)."""
        return self.split is None and (self.split_ratio == 1.0 or (self.workers or 1) == 1)

    @property
    def worker_timeout_enabled(self) -> bool:
        return bool(self.worker_timeout_s)

    @property
    def mean_holding_s(self) -> float:
        """Mean time a request keeps a worker slot, including kill lag and restart when the worker timeout fires."""
        service = self.service
        if not self.worker_timeout_enabled:
            return service.mean_s
        tw = float(self.worker_timeout_s)  # type: ignore[arg-type]
        return service.mean_below(tw) + service.sf(tw) * (self.kill_lag_max_s / 2 + self.restart_s)

    @property
    def offered_load(self) -> float:
        """rho = lambda * E[holding] / c."""
        return self.arrival_rate * self.mean_holding_s / self.servers

    @property
    def syn_retries_before_timeout(self) -> tuple[float, ...]:
        """The SYN retransmissions that happen before nginx's proxy_connect_timeout fires."""
        return tuple(r for r in self.syn_retry_schedule_s if r < self.connect_timeout_s)

    def with_rho(self, rho: float) -> QueueParams:
        """The same system at offered load rho (arrival rate rho * c / E[holding])."""
        return replace(self, arrival_rate=rho * self.servers / self.mean_holding_s)

    def with_backlog(self, backlog: int, somaxconn: int | None = None) -> QueueParams:
        """The same system with another listen backlog (the workers' own rooms stay)."""
        cap = somaxconn if somaxconn is not None else (self.somaxconn if self.somaxconn is not None else 4096)
        worker_rooms = (self.workers or 0) * self.worker_room
        return replace(self, queue_room=min(backlog, cap) + 1 + worker_rooms, backlog=backlog, somaxconn=cap)


# -- parsing ------------------------------------------------------------------------------------------------------

_UNIT_SECONDS = {"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "min": 60.0}
_DURATION = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*(us|µs|ms|s|min|m)?\s*$")


def parse_duration_s(text: str) -> float:
    """Parse '80ms', '1.5s', '0.08' (seconds), '2m' into seconds."""
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"cannot read {text.strip()!r} as a duration; use e.g. 80ms, 1.5s or 0.08 (seconds)")
    value = float(match.group(1)) * _UNIT_SECONDS[match.group(2) or "s"]
    if value <= 0:
        raise ValueError(f"duration {text.strip()!r} must be greater than zero")
    return value


def parse_service_time(text: str) -> ServiceTime:
    """Parse a service-time spec.

    Accepted forms: ``80ms`` / ``0.08`` / ``1.5s`` (exponential with that mean), ``mean=80ms`` or ``exp=80ms``,
    ``p50=80ms,p99=900ms`` (lognormal fitted to the two quantiles), ``constant=50ms``.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty service time; use e.g. 80ms, p50=80ms,p99=900ms or constant=50ms")
    spec = text.strip()
    if "=" not in spec:
        return ServiceTime.exponential(parse_duration_s(spec))
    fields: dict[str, float] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().lower()
        if not sep or not key:
            raise ValueError(f"cannot read {part.strip()!r} in service time {spec!r}; expected key=duration")
        if key in fields:
            raise ValueError(f"{key!r} given twice in service time {spec!r}")
        try:
            fields[key] = parse_duration_s(value)
        except ValueError as err:
            raise ValueError(f"{key}: {err}") from None
    keys = set(fields)
    if keys == {"p50", "p99"}:
        return ServiceTime.lognormal_from_quantiles(fields["p50"], fields["p99"])
    if len(keys) == 1:
        (key,) = keys
        if key in ("constant", "const", "fixed"):
            return ServiceTime.constant(fields[key])
        if key in ("mean", "exp", "exponential"):
            return ServiceTime.exponential(fields[key])
        if key in ("p50", "p99"):
            raise ValueError(f"service time {spec!r} needs both p50 and p99 (e.g. p50=80ms,p99=900ms)")
    raise ValueError(
        f"unknown service-time keys {', '.join(sorted(keys))} in {spec!r}; "
        "use mean=80ms, p50=80ms,p99=900ms or constant=50ms"
    )
