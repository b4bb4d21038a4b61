"""A valid ~5 MB nginx config: `advisor check` against bare `crossplane.parse` of the same file.

Target: the whole check (read, lex, parse, walk, rules, report) within 2x crossplane.parse with the loader's options.
Each measurement runs in a fresh interpreter (imports excluded from the timing: advisor checks a tiny config
first); the median of --runs is printed, with the peak RSS of the check, and the same for the nginx loader alone
(read, lex, parse, walk: `load_nginx`). The config is bench/make_large_nginx.py's (N upstreams + N servers, 3 locations and
2 proxy_pass each); --with-app also passes a gunicorn.conf.py listening where the upstreams point, so every route is
linked and cross-checked.

Usage: python bench/bench_large_nginx.py [--servers 10000] [--runs 3] [--with-app]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
_CROSSPLANE = ("import crossplane\nrun = lambda: crossplane.parse(PATH, catch_errors=True, single=True, comments=True,"
               " check_ctx=False, check_args=False)")
_CHECK = ("import io\nfrom advisor.commands.check import run as check\nfrom advisor.commands.options import "
          "CheckOptions, Inputs\nfrom advisor.model.deployment import HostFacts\nfrom advisor import readers, privacy\n"
          "def check_files(paths):\n"
          "    options = CheckOptions(inputs=Inputs(paths=paths), host=HostFacts.build(cpus=2),\n"
          "                           output_format='concise')\n"
          "    with readers.session(), privacy.project(paths):\n"
          "        check(options, stdout=io.StringIO(), stderr=io.StringIO())\n"
          "check_files(WARMUP)  # imports and the rule cache, as crossplane's import is not timed either\n"
          "run = lambda: check_files(ARGS)\n")
_LOAD = ("from advisor import readers\nfrom advisor.loaders.nginx.loader import load_nginx\n"
         "from advisor.model.deployment import HostFacts\n"
         "def load(path):\n"
         "    with readers.session():\n"
         "        load_nginx(path, HostFacts.build(cpus=2))\n"
         "load(WARMUP)\nrun = lambda: load(PATH)\n")
_TIMER = ("import resource, time\n{setup}\nstart = time.perf_counter()\nrun()\n"
          "print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n")


def time_once(snippet: str) -> tuple[float, int]:
    code = _TIMER.format(setup=snippet)
    output = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True,
                            cwd=os.path.dirname(HERE), timeout=900).stdout
    seconds, rss = output.strip().splitlines()[-1].split()
    return float(seconds), int(rss)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--with-app", action="store_true")
    options = parser.parse_args()
    sys.path.insert(0, HERE)
    from make_large_nginx import generate

    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as workdir:
        path = os.path.join(workdir, "nginx.conf")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(generate(options.servers))
        args = [path]
        if options.with_app:
            app = os.path.join(workdir, "gunicorn.conf.py")
            with open(app, "w", encoding="utf-8") as handle:
                handle.write("bind = '10.0.0.1:8000'\nworkers = 4\ntimeout = 30\n")
            args.append(app)
        warmup = os.path.join(workdir, "small.conf")
        with open(warmup, "w", encoding="utf-8") as handle:
            handle.write(generate(2))
        size = os.path.getsize(path)
        base = [time_once(_CROSSPLANE.replace("PATH", repr(path))) for _ in range(options.runs)]
        snippet = _CHECK.replace("WARMUP", repr([warmup, *args[1:]])).replace("ARGS", repr(args))
        check = [time_once(snippet) for _ in range(options.runs)]
        load = [time_once(_LOAD.replace("WARMUP", repr(warmup)).replace("PATH", repr(path)))
                for _ in range(options.runs)]
    base_s = statistics.median(sample[0] for sample in base)
    check_s = statistics.median(sample[0] for sample in check)
    peak = max(sample[1] for sample in check) // 1024
    print(f"{size / 1e6:.1f} MB, {options.servers} servers{' + app' if options.with_app else ''}: "
          f"crossplane.parse {base_s:.2f} s; advisor check {check_s:.2f} s ({check_s / base_s:.2f}x), "
          f"peak RSS {peak} MB; the nginx loader alone {statistics.median(sample[0] for sample in load):.2f} s, "
          f"peak RSS {max(sample[1] for sample in load) // 1024} MB")


if __name__ == "__main__":
    main()
