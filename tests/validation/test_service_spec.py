"""Service-time spec strings: the short forms used on the reference server's command line map onto the queueing
model's ServiceTime (one distribution class for the model, the simulator, the reference server and the load)."""

from __future__ import annotations

import random

import pytest

from advisor.queueing.params import ServiceTime
from advisor.validation.loadresult import quantile
from advisor.validation.service_spec import draw, format_service_spec, parse_service_spec


def test_short_forms_are_the_queueing_model_distributions():
    assert parse_service_spec("exp:0.05") == ServiceTime.exponential(0.05)
    assert parse_service_spec("const:0.25") == ServiceTime.constant(0.25)
    assert parse_service_spec("lognormal:0.04,0.4") == ServiceTime.lognormal_from_quantiles(0.04, 0.4)
    # and the model's own forms pass through
    assert parse_service_spec("50ms") == ServiceTime.exponential(0.05)
    assert parse_service_spec("p50=40ms,p99=400ms") == ServiceTime.lognormal_from_quantiles(0.04, 0.4)


def test_lognormal_matches_its_p50_and_p99():
    dist = parse_service_spec("lognormal:0.05,0.4")
    rng = random.Random(2)
    samples = [draw(dist, rng) for _ in range(40000)]
    assert quantile(samples, 0.5) == pytest.approx(0.05, rel=0.03)
    assert quantile(samples, 0.99) == pytest.approx(0.4, rel=0.08)
    assert sum(samples) / len(samples) == pytest.approx(dist.mean_s, rel=0.05)


def test_exponential_constant_and_zero():
    rng = random.Random(3)
    exp = parse_service_spec("exp:0.02")
    samples = [draw(exp, rng) for _ in range(40000)]
    assert sum(samples) / len(samples) == pytest.approx(0.02, rel=0.03)
    assert draw(parse_service_spec("const:0.25"), rng) == 0.25
    for zero in ("const:0", "exp:0", "0", "constant=0"):
        assert parse_service_spec(zero) is None
    assert draw(None, rng) == 0.0


@pytest.mark.parametrize("spec", ["exp:0.05", "const:0.1", "lognormal:0.04,0.4", "const:0"])
def test_format_round_trips(spec):
    service = parse_service_spec(spec)
    again = parse_service_spec(format_service_spec(service))
    if service is None:
        assert again is None
    else:
        assert again.kind == service.kind
        assert again.scale_s == pytest.approx(service.scale_s, rel=1e-12)
        assert again.sigma == pytest.approx(service.sigma, rel=1e-12)


@pytest.mark.parametrize("spec", ["", "exp", "exp:-1", "const:nan", "lognormal:0.4,0.05", "lognormal:0.1",
                                  "weibull:1", "exp:abc", "p50=40ms"])
def test_invalid_specs_are_refused(spec):
    with pytest.raises(ValueError):
        parse_service_spec(spec)
