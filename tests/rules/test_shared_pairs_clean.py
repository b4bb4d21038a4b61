"""The well-configured pairs in fixtures/pairs must not raise a single warning or error: false alarms on good
configs cost users' trust more than misses. Checked under several host assumptions."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from advisor.commands import check
from advisor.commands.options import CheckOptions, HostFacts, Inputs

PAIRS = Path(__file__).resolve().parents[2] / "fixtures" / "pairs"
HOSTS = [HostFacts.build(cpus=2), HostFacts.build(cpus=8), HostFacts.build(cpus=2, nginx_version="1.24.0"),
         HostFacts.build(cpus=4, gunicorn_version="22.0.0")]


@pytest.mark.parametrize("pair", sorted(p.name for p in PAIRS.iterdir() if p.is_dir()))
@pytest.mark.parametrize("host", HOSTS, ids=["cpus2", "cpus8", "nginx1.24", "gunicorn22"])
def test_good_pair_has_no_warnings(pair: str, host: HostFacts):
    out = io.StringIO()
    code = check.run(CheckOptions(inputs=Inputs(paths=[str(PAIRS / pair / "nginx.conf"),
                                                       str(PAIRS / pair / "gunicorn.conf.py")]),
                                  host=host, output_format="concise", isolated=True),
                     stdout=out, stderr=io.StringIO())
    problems = [line for line in out.getvalue().splitlines() if "[warning]" in line or "[error]" in line]
    assert code == 0 and not problems, out.getvalue()
