"""Time `advisor model --access-log` on a 1,000,000-line access log (target <= 10 s on a 2-core machine).

The log is generated: an M/M/c/K queue (32 sync workers, 500 requests/s, 60 ms mean service, read timeout 1 s) as
nginx logs it in the recommended timing format, two proxied routes and a static one (10 % of the lines never reach
the app). Reported: the time of the fit alone (reading, matching every request to its route, rates, service-time
fit) and of the whole command, for the plain file and the same file gzip-compressed, with the peak memory of the
command (constant in the log's length: the log is streamed).

Usage: python bench/bench_accesslog.py [--lines 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "accesslog"))

from synthetic_log import simulate_lines  # noqa: E402

NGINX_CONF = """events {}
http {
    log_format timing '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
                      '"$http_referer" "$http_user_agent" msec=$msec rt=$request_time '
                      'uct="$upstream_connect_time" uht="$upstream_header_time" urt="$upstream_response_time" '
                      'ua="$upstream_addr" us="$upstream_status" host="$host" port=$server_port';
    access_log /var/log/nginx/access.log timing;
    server {
        listen 80;
        server_name shop.example.com;
        location /static/ { root /srv; }
        location / {
            proxy_pass http://unix:/run/app.sock:;
            proxy_read_timeout 1s;
        }
        location ~ ^/api/v[0-9]+/ {
            proxy_pass http://unix:/run/app.sock:;
            proxy_read_timeout 1s;
        }
    }
}
"""
GUNICORN_CONF = 'bind = "unix:/run/app.sock"\nworkers = 32\nbacklog = 64\n'


def _path(rng: random.Random) -> str:
    return f"/api/v1/items/{rng.randrange(100000)}?page={rng.randrange(9)}" if rng.random() < 0.5 else \
        f"/account/{rng.randrange(1000)}/orders"


def write_log(directory: Path, lines: int) -> Path:
    rate = 500.0
    proxied, _ = simulate_lines(rate=rate, duration_s=lines * 0.9 / rate, servers=32, queue=65, read_timeout=1.0,
                                service=lambda rng: rng.expovariate(1 / 0.06), path=_path)
    rng = random.Random(7)
    path = directory / "access.log"
    with open(path, "w", encoding="utf-8") as handle:
        for line in proxied:
            handle.write(line)
            if rng.random() < 0.111:  # a static file, answered by nginx itself
                static = line.replace('"GET /', '"GET /static/app.', 1)
                static = static.split(' uct="', 1)[0] + ' uct="-" uht="-" urt="-" ua="-" us="-" host="shop.example.com" port=80\n'
                handle.write(static)
    return path


def time_fit(directory: Path, log: Path) -> float:
    from advisor.accesslog.workload import fit_workload
    from advisor.commands.options import HostOptions, Inputs
    from advisor.loaders.deployment import build_deployment, host_facts_from_options

    deployment = build_deployment(Inputs(paths=[str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py")]),
                                  host_facts_from_options(HostOptions()))
    started = time.perf_counter()
    fitted = fit_workload(deployment, [str(log)])
    elapsed = time.perf_counter() - started
    analysis = fitted.analysis
    app = next(iter(fitted.apps.values()))
    print(f"  {analysis.lines:,} lines, {analysis.parsed:,} parsed, {analysis.not_proxied:,} static; rate "
          f"{app.rps:.1f}/s (mean {app.pool.mean_rps:.1f}), service mean {app.service.mean_s * 1000:.1f} ms "
          f"({app.pool.method}, {app.pool.samples.n:,} samples)")
    return elapsed


def time_command(directory: Path, log: Path) -> tuple[float, float, float]:
    """Wall time, CPU time and peak memory (MiB, the child's own VmHWM: the peak since it started the command)."""
    code = ("import runpy, sys\n"
            "sys.argv = ['advisor', *sys.argv[1:]]\n"
            "try:\n    runpy.run_module('advisor', run_name='__main__')\n"
            "except SystemExit:\n    pass\n"
            "sys.stderr.write(next(l for l in open('/proc/self/status') if l.startswith('VmHWM')))\n")
    command = [sys.executable, "-c", code, "model", str(directory / "nginx.conf"), str(directory / "gunicorn.conf.py"),
               "--access-log", str(log), "--output-format", "json"]
    before = os.times()
    started = time.perf_counter()
    result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    elapsed = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    peak_kib = next((int(line.split()[1]) for line in result.stderr.splitlines() if line.startswith("VmHWM")), 0)
    return elapsed, cpu, peak_kib / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--keep", help="write the files here and keep them")
    args = parser.parse_args()
    directory = Path(args.keep or tempfile.mkdtemp(prefix="advisor-bench-accesslog-"))
    directory.mkdir(parents=True, exist_ok=True)
    try:
        (directory / "nginx.conf").write_text(NGINX_CONF)
        (directory / "gunicorn.conf.py").write_text(GUNICORN_CONF)
        print(f"generating about {args.lines:,} lines ...")
        log = write_log(directory, args.lines)
        compressed = directory / "access.log.2.gz"
        with open(log, "rb") as source, gzip.open(compressed, "wb", compresslevel=6) as target:
            shutil.copyfileobj(source, target)
        for name, path in (("plain", log), ("gzip", compressed)):
            print(f"{name}: {path.stat().st_size / 1e6:.0f} MB")
            fit = time_fit(directory, path)
            command, cpu, peak = time_command(directory, path)
            print(f"  fit {fit:.2f} s; whole command {command:.2f} s wall, {cpu:.2f} s CPU (target <= 10 s); peak "
                  f"memory {peak:.0f} MiB")
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
