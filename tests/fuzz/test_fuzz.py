"""A deterministic sample of the hostile-input fuzz run (tests/fuzz/harness.py): every case kind at small sizes plus
random mutations of the fixture configs, each in a forked child with a 1 GiB address-space limit and a timeout.
The full-size run is bench/fuzz.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import CI, Scale, _mutation_cases, cases, run_case  # noqa: E402

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, FIFOs and /dev/zero: Linux")

MUTATION_SEEDS = (1, 2, 3)
_MUTATIONS = Scale(CI.big, CI.deep, CI.sparse, mutations=30)
SELECTED = cases(0, CI) + [case for seed in MUTATION_SEEDS for case in _mutation_cases(seed, _MUTATIONS)]


@pytest.mark.parametrize("case", SELECTED, ids=[case.name for case in SELECTED])
def test_hostile_input(case, tmp_path: Path) -> None:
    result = run_case(case, tmp_path, timeout=20)
    assert not result.problems, (result.problems, result.stderr[-2000:])
