"""Time whole `advisor` processes (what a pre-commit hook pays) side by side with the tools they compete with.

All cases of one comparison run interleaved (a, b, a, b, ...) so that load from other processes on the machine
hits both alike; the median of --runs runs is printed.

(a) the demo pair against gixy-ng on the same nginx file (target: advisor <= 0.8x gixy; gixy-ng is not a
    dependency: install it into a separate virtualenv and pass its `gixy` with --gixy);
(b) `advisor model` on the demo pair (target <= 0.5 s);
(c) a generated 2,000-server nginx config (~42k lines) with a gunicorn config, against `crossplane.parse` of the
    same file in a fresh interpreter (target <= 1.5x), and 4,000 servers against 2,000 (target <= 2.2x: linear).

Compare like with like: install advisor and gixy-ng each into a virtualenv (as users do) and pass both executables.
An interpreter's own start-up differs between a virtualenv and a base installation whose site-packages holds .pth
files (a sandbox's certificate hook there costs ~15 ms per process), so the bare start of each interpreter is printed
beside them.

Usage: python bench/bench_check.py [--runs 7] [--gixy /tmp/gixy-venv/bin/gixy] [--advisor /tmp/venv/bin/advisor]
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


def advisor_command(executable: str | None = None) -> list[str]:
    """`executable`, else the console script installed with this interpreter (not a version manager's shim on PATH,
    whose own start-up would be measured too), else `python -m advisor`."""
    if executable:
        return [executable]
    beside = Path(sys.executable).with_name("advisor")
    if beside.is_file():
        return [str(beside)]
    return [sys.executable, "-m", "advisor"]


# Measure what users get: bytecode caches written and reused (some sandboxes set PYTHONDONTWRITEBYTECODE).
ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


def _run(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV)
    return time.perf_counter() - start


def interleaved_medians(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """Median seconds of each command, the commands taking turns (after two warm-up rounds)."""
    for _ in range(2):  # warm the page cache and write bytecode
        for command in commands.values():
            _run(command)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(_run(command))
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--gixy", default=shutil.which("gixy"), help="gixy-ng's `gixy` executable")
    parser.add_argument("--advisor", help="the `advisor` executable to time (default: this interpreter's)")
    parser.add_argument("--small-only", action="store_true", help="only the demo-pair cases (a) and (b)")
    args = parser.parse_args()
    advisor = advisor_command(args.advisor)
    demo_nginx = str(REPO / "fixtures/demo/nginx.conf")
    demo = [demo_nginx, str(REPO / "fixtures/demo/gunicorn.conf.py"), "--cpus", "2"]
    small = {
        "python -c pass (advisor's interpreter)": [_interpreter_of(advisor), "-c", "pass"],
        "advisor --version": advisor + ["--version"],
        "advisor check demo pair": advisor + ["check", *demo],
        "advisor model demo pair": advisor + ["model", *demo, "--rps", "50", "--service-time", "80ms"],
    }
    if args.gixy:
        small["python -c pass (gixy's interpreter)"] = [_interpreter_of([args.gixy]), "-c", "pass"]
        small["gixy demo nginx.conf"] = [args.gixy, demo_nginx]
    values = interleaved_medians(small, args.runs)
    if args.small_only:
        _print_table(values)
        _print_small_ratios(values)
        return

    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as tmp:
        gunicorn_conf = Path(tmp, "gunicorn.conf.py")
        gunicorn_conf.write_text(GUNICORN_CONF)
        for count in (2000, 4000):
            path = Path(tmp, f"nginx-{count}.conf")
            path.write_text(generate(count))
            lines = path.read_text().count("\n")
            large = {
                f"crossplane.parse {count} servers ({lines} lines)":
                    [_interpreter_of(advisor), "-c", f"import crossplane; crossplane.parse({str(path)!r})"],
                f"advisor check {count} servers": advisor + ["check", str(path), str(gunicorn_conf)],
            }
            values.update(interleaved_medians(large, max(3, args.runs // 2)))

    _print_table(values)
    ratio_2k = values["advisor check 2000 servers"] / values[next(k for k in values if k.startswith(
        "crossplane.parse 2000"))]
    scaling = values["advisor check 4000 servers"] / values["advisor check 2000 servers"]
    _print_small_ratios(values)
    print(f"advisor check / crossplane.parse at 2,000 servers: {ratio_2k:.2f}x (target <= 1.5x)")
    print(f"advisor check 4,000 / 2,000 servers: {scaling:.2f}x (target <= 2.2x)")


def _interpreter_of(command: list[str]) -> str:
    """The Python interpreter a console script (or `python -m`) runs with: its #! line."""
    if len(command) > 1:
        return command[0]
    with open(command[0], "rb") as script:
        first = script.readline().decode("utf-8", "replace")
    return first[2:].strip().split()[0] if first.startswith("#!") else sys.executable


def _print_table(values: dict[str, float]) -> None:
    width = max(len(name) for name in values)
    print(f"{'case'.ljust(width)}  median")
    for name, seconds in values.items():
        print(f"{name.ljust(width)}  {seconds * 1000:8.1f} ms")


def _print_small_ratios(values: dict[str, float]) -> None:
    print()
    if "gixy demo nginx.conf" in values:
        ratio = values["advisor check demo pair"] / values["gixy demo nginx.conf"]
        print(f"advisor check demo / gixy-ng on its nginx.conf: {ratio:.2f}x (target <= 0.8x)")
    print(f"advisor model demo: {values['advisor model demo pair'] * 1000:.0f} ms (target <= 500 ms)")


if __name__ == "__main__":
    main()
