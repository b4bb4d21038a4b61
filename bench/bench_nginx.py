"""Time the nginx loader against crossplane.parse alone on generated large configs.

Each measurement runs in a fresh Python subprocess (no warm caches), timing only the call itself (imports
excluded); the median of --runs runs is printed. Targets (task brief): load_nginx on 2,000 servers <= 1.3x
crossplane.parse of the same file, and 4,000 servers <= 2.2x the time of 2,000.

Usage: python bench/bench_nginx.py [--runs 5] [--sizes 2000,4000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

_SNIPPETS = {
    "crossplane.parse (defaults)": "import crossplane\nrun = lambda: crossplane.parse(PATH)",
    "crossplane.parse (loader's options)": (
        "import crossplane\n"
        "run = lambda: crossplane.parse(PATH, catch_errors=True, single=True, comments=True, check_ctx=False,"
        " check_args=False)"),
    "load_nginx": (
        "from advisor.loaders.nginx import load_nginx\nfrom advisor.model.deployment import HostFacts\n"
        "host = HostFacts.build(cpus=2)\nrun = lambda: load_nginx(PATH, host)"),
}
_TIMER = ("import time\n{setup}\nstart, cpu = time.perf_counter(), time.process_time()\nrun()\n"
          "print(time.perf_counter() - start, time.process_time() - cpu)\n")


def time_once(snippet: str, path: str) -> tuple[float, float]:
    """(wall, cpu) seconds of one call in a fresh interpreter."""
    code = _TIMER.format(setup=snippet.replace("PATH", repr(path)))
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                            cwd=os.path.dirname(HERE), timeout=600).stdout
    wall, cpu = output.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


def median_time(snippet: str, path: str, runs: int) -> tuple[float, float]:
    samples = [time_once(snippet, path) for _ in range(runs)]
    return statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sizes", default="2000,4000")
    options = parser.parse_args()
    sys.path.insert(0, HERE)
    from make_large_nginx import generate

    results: dict[int, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as workdir:
        for size in (int(text) for text in options.sizes.split(",")):
            path = os.path.join(workdir, f"large{size}.conf")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(generate(size))
            with open(path, encoding="utf-8") as handle:
                lines = sum(1 for _ in handle)
            results[size] = {}
            print(f"{size} servers ({lines} lines), median of {options.runs} fresh-process runs (wall / CPU):")
            for label, snippet in _SNIPPETS.items():
                results[size][label] = median_time(snippet, path, options.runs)
                wall, cpu = results[size][label]
                print(f"  {label:38s} {wall:.3f} s / {cpu:.3f} s")
            loader = results[size]["load_nginx"]
            for label in list(_SNIPPETS)[:2]:
                base = results[size][label]
                print(f"  load_nginx vs {label:38s} {loader[0] / base[0]:.2f}x / {loader[1] / base[1]:.2f}x")
    sizes = sorted(results)
    for small, large in zip(sizes, sizes[1:]):
        wall = results[large]["load_nginx"][0] / results[small]["load_nginx"][0]
        cpu = results[large]["load_nginx"][1] / results[small]["load_nginx"][1]
        print(f"load_nginx {large} vs {small} servers: {wall:.2f}x / {cpu:.2f}x")


if __name__ == "__main__":
    main()
