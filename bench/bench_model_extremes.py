"""Timings of the queueing model's public entry points on extreme parameters.

Runs `advisor model` (text, --explain and JSON, with and without --simulate) and `advisor check --rps/--service-time` (the
capacity rules read the model's predictions and recommendations) as separate processes on a grid of hand-made
configurations: huge worker, thread and greenlet counts, backlogs up to 2^31, loads from 1e-6 to 1e308 requests/s,
service times from below a microsecond to days, very short and very long timeouts. Every run must end within
--timeout seconds with exit code 0, 1 or 2 and, for 2, a one-line `advisor: error:` message. Prints one row per run
and a summary; exits 1 when a run breaks those rules.

    python bench/bench_model_extremes.py [--timeout 10] [--only NAME ...] [--jobs 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

UNIX_NGINX = """events {}
http {
    upstream app { server unix:/run/app.sock; }
    server {
        listen 80;
        location / {
            proxy_pass http://app;
            proxy_read_timeout %(read)s;
            proxy_connect_timeout %(connect)s;
        }
    }
}
"""
TCP_NGINX = UNIX_NGINX.replace("unix:/run/app.sock", "127.0.0.1:8000")


@dataclass(frozen=True)
class Case:
    name: str
    gunicorn: str
    args: tuple[str, ...]
    tcp: bool = False
    read: str = "30s"
    connect: str = "5s"


def _conf(bind: str, **settings: object) -> str:
    lines = [f"bind = {bind!r}"]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def cases() -> list[Case]:
    unix, tcp = "unix:/run/app.sock", "127.0.0.1:8000"
    load = ("--rps", "50", "--service-time", "50ms")
    out: list[Case] = [
        Case("ordinary", _conf(unix, workers=4, backlog=64), load),
        Case("workers-1e5", _conf(unix, workers=100000, backlog=64), load),
        Case("workers-pid-max", _conf(unix, workers=4194304), load),
        Case("workers-1e7", _conf(unix, workers=10**7), load),
        Case("workers-1e100", _conf(unix, workers="10**100"), load),
        Case("threads-1e6", _conf(unix, workers=2, threads="10**6", backlog=64), load),
        Case("threads-too-many", _conf(unix, workers=1000, threads=5000, worker_connections=5000), load),
        Case("gthread-wc-1e9", _conf(unix, workers=64, worker_class="'gthread'", threads=4,
                                     worker_connections=10**9), ("--rps", "3000", "--service-time", "100ms")),
        Case("gevent-6e7", _conf(unix, workers=64, worker_class="'gevent'", worker_connections=10**6), load),
        Case("gevent-overload", _conf(unix, workers=64, worker_class="'gevent'", backlog=2048),
             ("--rps", "200", "--service-time", "500s")),
        Case("backlog-2^31", _conf(unix, workers=4, backlog="2**31"),
             (*load, "--somaxconn", str(2**31 - 1))),
        Case("backlog-2^31-overload", _conf(unix, workers=4, backlog="2**31"),
             ("--rps", "100", "--service-time", "50ms", "--somaxconn", str(2**31 - 1))),
        Case("backlog-2^31-rho-1", _conf(unix, workers=4, backlog="2**31"),
             ("--rps", "80", "--service-time", "50ms", "--somaxconn", str(2**31 - 1))),
        Case("backlog-0", _conf(unix, workers=4, backlog=0), load),
        Case("rps-tiny", _conf(unix, workers=4), ("--rps", "1e-9", "--service-time", "50ms")),
        Case("rps-1e9", _conf(unix, workers=4, backlog=0), ("--rps", "1e9", "--service-time", "1us")),
        Case("rps-1e12", _conf(unix, workers=4), ("--rps", "1e12", "--service-time", "50ms")),
        Case("rps-1e308", _conf(unix, workers=4, backlog=0), ("--rps", "1e308", "--service-time", "1us")),
        Case("rps-inf", _conf(unix, workers=4), ("--rps", "inf", "--service-time", "50ms")),
        Case("rps-nan", _conf(unix, workers=4), ("--rps", "nan", "--service-time", "50ms")),
        Case("service-1us", _conf(unix, workers=4), ("--rps", "1e5", "--service-time", "1us")),
        Case("service-below-1us", _conf(unix, workers=4), ("--rps", "50", "--service-time", "100ns")),
        Case("service-days", _conf(unix, workers=4, timeout=0), ("--rps", "0.001", "--service-time", "200000s")),
        Case("service-1e9s", _conf(unix, workers=4), ("--rps", "50", "--service-time", "1000000000s")),
        Case("lognormal-wide", _conf(unix, workers=4), ("--rps", "50", "--service-time", "p50=1ms,p99=1000000s")),
        Case("lognormal-big-pool", _conf(unix, workers=64, worker_class="'gevent'", worker_connections=10**5),
             ("--rps", "5000", "--service-time", "p50=80ms,p99=3s")),
        Case("constant-1us", _conf(unix, workers=4), ("--rps", "1e5", "--service-time", "constant=1us")),
        Case("read-1ms", _conf(unix, workers=4), load, read="1ms"),
        Case("read-huge", _conf(unix, workers=64, worker_class="'gevent'", worker_connections=10**4),
             ("--rps", "5000", "--service-time", "10ms"), read="100000d"),
        Case("timeout-1e9", _conf(unix, workers=4, timeout=10**9), load),
        Case("tcp-retries-big-pool", _conf(tcp, workers=64, worker_class="'gevent'", worker_connections=10**5),
             ("--rps", "1e7", "--service-time", "100ms"), tcp=True, connect="60s"),
        Case("tcp-retries-overload", _conf(tcp, workers=4, backlog="2**31"),
             ("--rps", "500", "--service-time", "50ms", "--somaxconn", str(2**31 - 1)), tcp=True, connect="60s"),
    ]
    simulated = [
        Case("sim-ordinary", _conf(unix, workers=8, backlog=2048), ("--rps", "300", "--service-time", "20ms")),
        Case("sim-gthread", _conf(unix, workers=8, worker_class="'gthread'", threads=4),
             ("--rps", "200", "--service-time", "100ms")),
        Case("sim-fast", _conf(unix, workers=64, backlog=2048), ("--rps", "20000", "--service-time", "2ms")),
        Case("sim-1e6-rps", _conf(unix, workers=4096), ("--rps", "1e6", "--service-time", "1ms")),
        Case("sim-overload-huge-queue", _conf(unix, workers=4, backlog="2**31"),
             ("--rps", "1000", "--service-time", "50ms", "--somaxconn", str(2**31 - 1))),
        Case("sim-many-workers", _conf(unix, workers=100000, worker_class="'gthread'", threads=2,
                                       worker_connections=10), ("--rps", "1000", "--service-time", "50ms")),
        Case("sim-tcp", _conf(tcp, workers=4, backlog=8), ("--rps", "100", "--service-time", "50ms"), tcp=True,
             connect="60s"),
    ]
    return out + [Case(c.name, c.gunicorn, (*c.args, "--simulate"), c.tcp, c.read, c.connect) for c in simulated]


@dataclass
class Row:
    case: str
    command: str
    code: int | None
    seconds: float
    message: str
    problem: str


def run_one(case: Case, command: str, root: Path, timeout: float) -> Row:
    directory = root / case.name
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "gunicorn.conf.py").write_text(case.gunicorn)
    nginx = (TCP_NGINX if case.tcp else UNIX_NGINX) % {"read": case.read, "connect": case.connect}
    (directory / "nginx.conf").write_text(nginx)
    args = [str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py"), *case.args]
    if command == "model-json":
        argv = ["model", *args, "--output-format", "json"]
    elif command == "model-explain":
        argv = ["model", *args, "--explain"]
    elif command == "check":
        argv = ["check", *[a for a in args if a != "--simulate"]]
    else:
        argv = ["model", *args]
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", "advisor", *argv], capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return Row(case.name, command, None, time.perf_counter() - started, "", f"no answer within {timeout:g} s")
    seconds = time.perf_counter() - started
    errors = [line for line in done.stderr.splitlines() if line.startswith("advisor: error:")]
    message = errors[0] if errors else (done.stderr.strip().splitlines() or [""])[0]
    problem = ""
    if done.returncode not in (0, 1, 2):
        problem = f"exit code {done.returncode}"
    elif "Traceback" in done.stderr or "internal error" in done.stderr:
        problem = "crash"
    elif done.returncode == 2 and command != "check" and not errors:
        problem = "exit 2 without an `advisor: error:` line"
    elif seconds > timeout:
        problem = "too slow"
    return Row(case.name, command, done.returncode, seconds, message[:150], problem)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--commands", nargs="*", default=["model", "model-json", "model-explain", "check"])
    options = parser.parse_args(argv)
    selected = [c for c in cases() if not options.only or c.name in options.only]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        jobs = [(case, command) for case in selected for command in options.commands
                if not (command == "check" and "--simulate" in case.args)]
        with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
            rows = list(pool.map(lambda job: run_one(job[0], job[1], root, options.timeout), jobs))
    print(f"{'case':28} {'command':10} {'exit':>4} {'seconds':>7}  message / problem")
    for row in rows:
        flag = f"  !! {row.problem}" if row.problem else ""
        print(f"{row.case:28} {row.command:10} {row.code if row.code is not None else '-':>4} "
              f"{row.seconds:7.2f}  {row.message}{flag}")
    bad = [row for row in rows if row.problem]
    slowest = max(rows, key=lambda row: row.seconds)
    print(f"\n{len(rows)} runs, {len(bad)} broken; slowest {slowest.case} ({slowest.command}) "
          f"{slowest.seconds:.2f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
