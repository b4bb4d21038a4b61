"""What happened to the requests: one record shared by the analytic prediction, the simulation and a measured run.

Shares are fractions of all arriving requests and partition them (they sum to 1). The kinds, by who answers:

* ``p_ok``: the app's answer within nginx's read timeout;
* ``p_502``: refused (a full unix accept queue) or cut (a killed worker that writes nothing; gunicorn < 22);
* ``p_503``: the app server itself refused the request at once (uvicorn's ``limit_concurrency``): the app never ran;
* ``p_504``: nginx's read timeout; ``p_504_connect``: nginx's connect timeout (a full TCP accept queue);
* ``p_500``: a killed worker's request that gunicorn (>= 22) answers with 500;
* ``p_other``: anything the model has no name for (only a measurement has it; 0 in a prediction).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["COUNT_NAMES", "OUTCOME_KEYS", "OUTCOME_LABELS", "Outcome", "OutcomeShares", "SHARE_KEYS", "flatten_outcome"]

# key -> the label reports print
OUTCOME_LABELS: dict[str, str] = {
    "p_ok": "ok",
    "p_502": "502",
    "p_503": "503 from the app server",
    "p_504": "504 read timeout",
    "p_504_connect": "504 connect timeout",
    "p_500": "500",
    "p_other": "other (not modelled)",
}
OUTCOME_KEYS: tuple[str, ...] = ("p_ok", "p_502", "p_503", "p_504", "p_504_connect", "p_500")  # what the model names
SHARE_KEYS: tuple[str, ...] = (*OUTCOME_KEYS, "p_other")  # what a measurement reports
COUNT_NAMES: tuple[str, ...] = tuple(key[2:] for key in SHARE_KEYS)  # "ok", "502", ..., "other"


@dataclass(frozen=True)
class Outcome:
    """The outcome shares of one prediction, simulation or measurement (``counts``: the request counts behind the
    shares, by ``COUNT_NAMES``, when they were counted)."""

    p_ok: float
    p_502: float = 0.0
    p_503: float = 0.0
    p_504: float = 0.0
    p_504_connect: float = 0.0
    p_500: float = 0.0
    p_other: float = 0.0
    counts: Mapping[str, int] | None = field(default=None, compare=False)

    @classmethod
    def from_counts(cls, counts: Mapping[str, int]) -> Outcome:
        """Shares from request counts by ``COUNT_NAMES`` (missing names count 0; no requests: every share NaN)."""
        kept = {name: int(counts.get(name, 0)) for name in COUNT_NAMES}
        n = sum(kept.values())
        shares = {f"p_{name}": (count / n if n else math.nan) for name, count in kept.items()}
        return cls(**shares, counts=kept)

    @property
    def shares(self) -> dict[str, float]:
        """Every share by ``SHARE_KEYS``, in that order."""
        return {key: getattr(self, key) for key in SHARE_KEYS}

    @property
    def fractions(self) -> dict[str, float]:
        """The shares the model names (``OUTCOME_KEYS``)."""
        return {key: getattr(self, key) for key in OUTCOME_KEYS}

    @property
    def errors(self) -> float:
        """Every request that did not end ok."""
        return math.fsum(value for key, value in self.shares.items() if key != "p_ok")


class OutcomeShares:
    """Mixin for a result that holds an ``outcome``: its shares read as attributes (``result.p_504``)."""

    outcome: Outcome

    @property
    def p_ok(self) -> float:
        return self.outcome.p_ok

    @property
    def p_502(self) -> float:
        return self.outcome.p_502

    @property
    def p_503(self) -> float:
        return self.outcome.p_503

    @property
    def p_504(self) -> float:
        return self.outcome.p_504

    @property
    def p_504_connect(self) -> float:
        return self.outcome.p_504_connect

    @property
    def p_500(self) -> float:
        return self.outcome.p_500

    @property
    def fractions(self) -> dict[str, float]:
        return self.outcome.fractions


def flatten_outcome(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of a result's ``asdict`` with the nested outcome replaced, at its position, by its named shares (the
    JSON keys)."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "outcome":
            out.update({name: value[name] for name in OUTCOME_KEYS})
        else:
            out[key] = value
    return out
