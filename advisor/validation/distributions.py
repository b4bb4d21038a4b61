"""Service-time distributions for the synthetic app and the load generator (seedable, stdlib only).

Spec strings: ``const:0.05``, ``exp:0.05`` (mean), ``lognormal:0.05,0.4`` (p50, p99).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

Z99 = 2.3263478740408408  # standard normal 99th percentile


@dataclass(frozen=True)
class ServiceTime:
    kind: str  # "const" | "exp" | "lognormal"
    mean_s: float = 0.0  # const value or exponential mean
    p50_s: float = 0.0
    p99_s: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in ("const", "exp", "lognormal"):
            raise ValueError(f"unknown service-time kind {self.kind!r} (const, exp, lognormal)")
        if self.kind in ("const", "exp") and not (self.mean_s >= 0 and math.isfinite(self.mean_s)):
            raise ValueError(f"service time must be a finite number >= 0, got {self.mean_s!r}")
        if self.kind == "lognormal" and not (0 < self.p50_s < self.p99_s and math.isfinite(self.p99_s)):
            raise ValueError(f"lognormal needs 0 < p50 < p99, got p50={self.p50_s!r} p99={self.p99_s!r}")

    @classmethod
    def parse(cls, spec: str) -> "ServiceTime":
        kind, _, args = spec.strip().partition(":")
        try:
            values = [float(v) for v in args.split(",")] if args else []
        except ValueError:
            raise ValueError(f"invalid numbers in service-time spec {spec!r}") from None
        if kind in ("const", "exp") and len(values) == 1:
            return cls(kind, mean_s=values[0])
        if kind == "lognormal" and len(values) == 2:
            return cls(kind, p50_s=values[0], p99_s=values[1])
        raise ValueError(f"invalid service-time spec {spec!r}: use const:S, exp:MEAN or lognormal:P50,P99")

    def spec(self) -> str:
        if self.kind == "lognormal":
            return f"lognormal:{self.p50_s!r},{self.p99_s!r}"
        return f"{self.kind}:{self.mean_s!r}"

    @property
    def mean(self) -> float:
        if self.kind == "lognormal":
            sigma = math.log(self.p99_s / self.p50_s) / Z99
            return self.p50_s * math.exp(sigma * sigma / 2)
        return self.mean_s

    def sample(self, rng: random.Random) -> float:
        if self.kind == "const":
            return self.mean_s
        if self.kind == "exp":
            return rng.expovariate(1.0 / self.mean_s) if self.mean_s > 0 else 0.0
        sigma = math.log(self.p99_s / self.p50_s) / Z99
        return rng.lognormvariate(math.log(self.p50_s), sigma)
