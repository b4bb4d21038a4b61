"""Time rule evaluation alone (`run_rules`) on a deployment built once, in-process: the engine's cost per route.

Loading is excluded (it has its own benches); the deployment is built once and the rules run --runs times, the
median printed with the number of routes and links and the cost per route. The configs are the generated ones of
bench/make_large_nginx.py (N servers, 2 proxied locations each, linked when --with-app) or, with --many, one
proxied location per server all linked to one gunicorn (every route is checked across files). With --rps and
--service-time the `model` facts are computed at that workload (`advisor check --rps ...`). The peak RSS of the
process is printed too.

Usage: python bench/bench_rules.py [--servers 2000] [--with-app] [--many] [--runs 5] [--profile]
                                   [--rps 50 --service-time 100ms]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_large_nginx import generate  # noqa: E402

GUNICORN = "bind = '{bind}'\nworkers = 4\ntimeout = 30\nbacklog = 10000\n"


def many_servers(count: int) -> str:
    """One server with one proxied location per server block, all passing to the same app."""
    return "events {}\nhttp {\n" + "".join(
        f"  server {{ listen {8000 + i % 1000}; location /{i} {{ proxy_pass http://127.0.0.1:8000; }} }}\n"
        for i in range(count)) + "}\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--with-app", action="store_true")
    parser.add_argument("--many", action="store_true")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--rps", type=float, default=None)
    parser.add_argument("--service-time", default=None)
    options = parser.parse_args()

    from advisor import privacy, readers
    from advisor.model.deployment import HostFacts
    from advisor.model.inputs import Inputs
    from advisor.engine.rules import load_rules
    from advisor.engine.run import run_rules
    from advisor.engine.workload_facts import resolve_workload
    from advisor.loaders.deployment import build_deployment

    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as workdir:
        nginx = Path(workdir, "nginx.conf")
        nginx.write_text(many_servers(options.servers) if options.many else generate(options.servers))
        paths = [str(nginx)]
        if options.with_app or options.many:
            app = Path(workdir, "gunicorn.conf.py")
            app.write_text(GUNICORN.format(bind="127.0.0.1:8000" if options.many else "10.0.0.1:8000"))
            paths.append(str(app))
        with readers.session(), privacy.project(paths):
            deployment = build_deployment(Inputs(paths=paths), HostFacts.build(cpus=2))
        rules = load_rules(())
        workload = resolve_workload(options.rps, options.service_time, None)
        gc.disable()  # as `advisor check` runs
        if options.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile()
            profiler.runcall(run_rules, deployment, rules, workload=workload)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
        samples = []
        for _ in range(options.runs):
            start = time.process_time()
            result = run_rules(deployment, rules, workload=workload)
            samples.append(time.process_time() - start)
    seconds = statistics.median(samples)
    routes = len(deployment.routes)
    print(f"{routes} routes, {len(deployment.links)} links, {len(result.findings)} findings: run_rules "
          f"{seconds * 1000:.0f} ms median of {options.runs} ({seconds / max(routes, 1) * 1e6:.1f} us per route); "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")


if __name__ == "__main__":
    main()
