"""Time the whole `advisor check` process (what a pre-commit hook pays), median of several runs.

(a) the demo pair (target <= 150 ms on a 2-core machine);
(b) a generated 2,000-server nginx config (~42k lines) with a gunicorn config, against `crossplane.parse` of the
    same file in a fresh interpreter (target <= 1.5x), and 4,000 servers against 2,000 (target <= 2.2x: linear).

Usage: python bench/bench_check.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from make_large_nginx import generate  # noqa: E402

GUNICORN_CONF = 'bind = "10.0.0.1:8000"\nworkers = 4\ntimeout = 30\n'


def advisor_command() -> list[str]:
    script = shutil.which("advisor")
    return [script] if script else [sys.executable, "-m", "advisor"]


# Measure what users get: bytecode caches written and reused (some sandboxes set PYTHONDONTWRITEBYTECODE).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def median_seconds(command: list[str], runs: int) -> float:
    for _ in range(2):  # warm the page cache and write bytecode
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    advisor = advisor_command()
    rows: list[tuple[str, float]] = []

    demo = [str(REPO / "fixtures/demo/nginx.conf"), str(REPO / "fixtures/demo/gunicorn.conf.py"), "--cpus", "2"]
    rows.append(("python -c pass", median_seconds([sys.executable, "-c", "pass"], args.runs)))
    rows.append(("advisor --version", median_seconds(advisor + ["--version"], args.runs)))
    rows.append(("advisor check demo pair", median_seconds(advisor + ["check", *demo], args.runs)))

    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as tmp:
        gunicorn_conf = Path(tmp, "gunicorn.conf.py")
        gunicorn_conf.write_text(GUNICORN_CONF)
        large = {}
        for count in (2000, 4000):
            path = Path(tmp, f"nginx-{count}.conf")
            path.write_text(generate(count))
            large[count] = path
            lines = path.read_text().count("\n")
            parse = median_seconds([sys.executable, "-c", f"import crossplane; crossplane.parse({str(path)!r})"],
                                   max(3, args.runs // 2))
            check = median_seconds(advisor + ["check", str(path), str(gunicorn_conf)], max(3, args.runs // 2))
            rows.append((f"crossplane.parse {count} servers ({lines} lines)", parse))
            rows.append((f"advisor check {count} servers", check))

    width = max(len(name) for name, _ in rows)
    print(f"{'case'.ljust(width)}  median")
    for name, seconds in rows:
        print(f"{name.ljust(width)}  {seconds * 1000:8.1f} ms")
    values = dict(rows)
    ratio_2k = values["advisor check 2000 servers"] / values[next(k for k in values if k.startswith(
        "crossplane.parse 2000"))]
    scaling = values["advisor check 4000 servers"] / values["advisor check 2000 servers"]
    print(f"\nadvisor check / crossplane.parse at 2,000 servers: {ratio_2k:.2f}x (target <= 1.5x)")
    print(f"advisor check 4,000 / 2,000 servers: {scaling:.2f}x (target <= 2.2x)")
    print(f"demo pair: {values['advisor check demo pair'] * 1000:.0f} ms (target <= 150 ms)")


if __name__ == "__main__":
    main()
