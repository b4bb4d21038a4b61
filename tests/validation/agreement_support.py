"""Helpers shared by the validation tests: the band check of an `advisor validate` report, the uWSGI requirement and
the process tree of a run (to check that nothing is left behind)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARES = ("p_ok", "p_502", "p_504", "p_504_connect", "p_500", "p_other")
# Every test module compares ~20 informative shares with their bands; a 99.8 % band per comparison keeps the chance
# that a correct model fails one of them (family-wise, Bonferroni) at about 4 % for fresh seeds. The seed is fixed,
# so a run repeats its arrivals and service times and only timing jitter varies.
BAND_LEVEL = 0.998


def band_table(report: dict) -> str:
    """The rows, with the run's send lag: a busy machine (lag p99 >> 5 ms) explains a failure without a model error."""
    lag = report["measured"]["send_lag_p99_s"]
    rows = [f"{row['label']:>22}: predicted {row['predicted']}, measured {row['measured']}, band {row['band']} "
            f"-> {row['verdict']}" for row in report["rows"]]
    return "\n".join([f"send lag p99 {lag * 1000:.1f} ms; warnings {report['warnings']}", *rows])


def assert_inside(report: dict) -> None:
    """Every request matched in the access log, the verdict "inside" and every measured share inside its band."""
    measured = report["measured"]
    assert measured["access_log_unmatched"] == 0
    assert report["verdict"] == "inside", band_table(report)
    for key in SHARES:
        lo, hi = report["band"].get(key, (0.0, 0.0))
        assert lo - 1e-12 <= measured[key] <= hi + 1e-12, band_table(report)


def require_uwsgi() -> None:
    """Skip without uWSGI; fail in CI, which installs the test extra (pyuwsgi)."""
    from advisor.validation.uwsgi_runner import uwsgi_binary

    if uwsgi_binary() is not None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail("uWSGI is required in CI (the test extra installs pyuwsgi) but `uwsgi` is not on PATH")
    pytest.skip("uWSGI is not installed (pip install pyuwsgi; part of the test extra)")


def descendants(root: int) -> set[int]:
    """Every live process below ``root`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text(errors="replace").rpartition(")")[2].split()
            except OSError:
                continue
            parents[int(entry)] = int(fields[1])
    found: set[int] = set()
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in found]
        found.update(children)
        frontier.extend(children)
    return found
