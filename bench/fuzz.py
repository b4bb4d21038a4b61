"""Hostile-input fuzz run of the advisor CLI: every case kind at full size, each in a fresh interpreter.

Sizes (tests/fuzz/harness.py HEAVY): 5 MB single lines and tokens, 10,000-deep nesting, 2 GB sparse files, plus
random mutations of the repository's fixture configs; FIFOs, /dev/zero, alias bombs, non-UTF-8 and NUL bytes, an
ASCII terminal and secrets outside the project; `model` (with --simulate) and `validate` planning with absurd settings
and workloads (workers = 100000, threads = 10**6, backlog 2**31, --rps 1e12 and 1e308) and hostile access logs.
Each case runs with a 1 GiB address-space limit and a timeout.
Prints one line per failing case and a summary: cases, exit codes, max time, max RSS, failures.

Usage: python bench/fuzz.py [--seeds 0,1,2] [--scale heavy|ci] [--timeout 10] [--forked] [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "fuzz"))

from harness import CI, HEAVY, Result, cases, run_all  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="0", help="comma-separated seeds for the mutation cases")
    parser.add_argument("--scale", choices=("heavy", "ci"), default="heavy")
    parser.add_argument("--timeout", type=float, default=10.0)
    parser.add_argument("--forked", action="store_true", help="fork this process per case (faster; RSS shared)")
    parser.add_argument("--only", default=None, help="only cases whose name contains this")
    parser.add_argument("--verbose", action="store_true")
    options = parser.parse_args()
    scale = HEAVY if options.scale == "heavy" else CI
    selected = []
    seen: set[str] = set()
    for seed in (int(text) for text in options.seeds.split(",")):
        for case in cases(seed, scale):
            if case.name in seen or (options.only and options.only not in case.name):
                continue
            seen.add(case.name)
            selected.append(case)

    def report(result: Result) -> None:
        if result.problems or options.verbose:
            print(f"{'FAIL' if result.problems else 'ok  '} {result.name}: exit {result.code}, {result.seconds:.2f} s,"
                  f" {result.max_rss_kb // 1024} MB {'; '.join(result.problems)}", flush=True)

    with tempfile.TemporaryDirectory(prefix="advisor-fuzz-") as workdir:
        results = run_all(selected, Path(workdir), options.timeout, fresh=not options.forked, report=report)
    codes = collections.Counter(result.code for result in results)
    slowest = max(results, key=lambda result: result.seconds)
    biggest = max(results, key=lambda result: result.max_rss_kb)
    failed = [result for result in results if result.problems]
    print(f"{len(results)} cases; exit codes {dict(sorted(codes.items(), key=str))}; "
          f"max time {slowest.seconds:.2f} s ({slowest.name}); max RSS {biggest.max_rss_kb // 1024} MB "
          f"({biggest.name}); {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
