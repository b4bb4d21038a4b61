"""Service-time specs for the synthetic app and the load generator."""

from __future__ import annotations

import random

import pytest

from advisor.validation.distributions import ServiceTime
from advisor.validation.loadresult import quantile


def test_lognormal_matches_its_p50_and_p99():
    dist = ServiceTime.parse("lognormal:0.05,0.4")
    rng = random.Random(2)
    samples = [dist.sample(rng) for _ in range(40000)]
    assert quantile(samples, 0.5) == pytest.approx(0.05, rel=0.03)
    assert quantile(samples, 0.99) == pytest.approx(0.4, rel=0.08)
    assert sum(samples) / len(samples) == pytest.approx(dist.mean, rel=0.05)


def test_exponential_and_constant():
    rng = random.Random(3)
    exp = ServiceTime.parse("exp:0.02")
    samples = [exp.sample(rng) for _ in range(40000)]
    assert sum(samples) / len(samples) == pytest.approx(0.02, rel=0.03)
    assert ServiceTime.parse("const:0.25").sample(rng) == 0.25
    assert ServiceTime.parse("exp:0").sample(rng) == 0.0
    assert ServiceTime.parse(exp.spec()) == exp


@pytest.mark.parametrize("spec", ["", "exp", "exp:-1", "const:nan", "lognormal:0.4,0.05", "lognormal:0.1",
                                  "weibull:1", "exp:abc"])
def test_invalid_specs_are_refused(spec):
    with pytest.raises(ValueError):
        ServiceTime.parse(spec)
