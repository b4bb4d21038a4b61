"""Service-time spec strings for the reference server and the load generator.

The distribution itself is the queueing model's :class:`advisor.queueing.params.ServiceTime`; this module only adds
the string form that travels on the reference server's command line and in ``LoadSpec.service``. Accepted:

* the queueing model's forms (``parse_service_time``): ``80ms``, ``mean=80ms``, ``p50=40ms,p99=400ms``,
  ``constant=50ms``;
* the short forms in seconds: ``exp:MEAN``, ``const:S``, ``lognormal:P50,P99``.

A zero service time (``const:0``, ``exp:0``, ``constant=0``, ``0``) means "answer at once" and parses to ``None``,
because the model's ServiceTime needs a positive scale.
"""

from __future__ import annotations

import math
import random

from advisor.queueing.params import ServiceTime, parse_service_time

__all__ = ["ServiceTime", "draw", "format_service_spec", "parse_service_spec"]

_SHORT_KINDS = ("exp", "const", "lognormal")
_ZERO_FORMS = ("0", "0s", "0ms", "constant=0", "const=0", "constant=0s", "constant=0ms")


def parse_service_spec(spec: "str | ServiceTime | None") -> ServiceTime | None:
    """Parse a spec string; ``None`` stands for a zero service time. Raises ValueError with a usage hint."""
    if spec is None or isinstance(spec, ServiceTime):
        return spec
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError("empty service-time spec; use e.g. exp:0.05, const:0.05, lognormal:0.04,0.4 or 50ms")
    text = spec.strip()
    kind, colon, args = text.partition(":")
    if colon and kind in _SHORT_KINDS:
        return _parse_short(text, kind, args)
    if text.replace(" ", "").lower() in _ZERO_FORMS:
        return None
    try:
        return parse_service_time(text)
    except ValueError as err:
        raise ValueError(f"invalid service-time spec {text!r}: {err}") from None


def _parse_short(text: str, kind: str, args: str) -> ServiceTime | None:
    try:
        values = [float(v) for v in args.split(",")]
    except ValueError:
        raise ValueError(f"invalid numbers in service-time spec {text!r}") from None
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"service-time spec {text!r} must use finite numbers")
    if kind in ("exp", "const") and len(values) == 1:
        value = values[0]
        if value < 0:
            raise ValueError(f"service time must be >= 0 seconds, got {text!r}")
        if value == 0:
            return None
        return ServiceTime.exponential(value) if kind == "exp" else ServiceTime.constant(value)
    if kind == "lognormal" and len(values) == 2:
        return ServiceTime.lognormal_from_quantiles(values[0], values[1])
    raise ValueError(f"invalid service-time spec {text!r}: use const:S, exp:MEAN or lognormal:P50,P99 (seconds)")


def format_service_spec(service: ServiceTime | None) -> str:
    """The short form of ``service``; ``parse_service_spec`` reads it back to an equal distribution."""
    if service is None:
        return "const:0"
    if service.kind == "exponential":
        return f"exp:{service.scale_s!r}"
    if service.kind == "constant":
        return f"const:{service.scale_s!r}"
    return f"lognormal:{service.scale_s!r},{service.quantile(0.99)!r}"


def draw(service: ServiceTime | None, rng: random.Random) -> float:
    """One service time in seconds (0 for ``None``)."""
    return 0.0 if service is None else service.sample(rng)
