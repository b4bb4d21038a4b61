"""Options shared by the commands (`check`, `show`, `model`, `validate`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.model.deployment import HostFacts
from advisor.model.inputs import Inputs

__all__ = ["CheckOptions", "HostFacts", "Inputs", "Workload", "parse_env_assignments"]


@dataclass(slots=True)
class Workload:
    """What the run assumes about traffic (`--rps`, `--service-time`, access logs); None: not given."""

    rps: float | None = None
    service_time: str | None = None  # "80ms" or "p50=80ms,p99=900ms"
    error_budget: float | None = None  # None: the project config or 0.001
    access_logs: list[str] = field(default_factory=list)  # fit rps and service time from nginx access logs
    log_format: str | None = None
    window: str | None = None


@dataclass(slots=True)
class CheckOptions:
    """Everything `advisor check` was asked to do, before the project config fills the gaps."""

    inputs: Inputs
    host: HostFacts
    workload: Workload = field(default_factory=Workload)
    output_format: str | None = None  # None: the project config or "full"
    output_file: str | None = None
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    extend_select: list[str] = field(default_factory=list)
    fail_on: str | None = None  # None: the project config or "warning"
    exit_zero: bool = False
    color: str = "auto"
    explain_skips: bool = False
    explain: bool = False  # full text output: each finding's explanation (`--explain`)
    statistics: bool = False
    rules_dirs: list[str] = field(default_factory=list)
    config: str | None = None
    isolated: bool = False
    debug: bool = False


def parse_env_assignments(values: list[str]) -> dict[str, str]:
    """`--env NAME=VALUE` (repeatable) into a dict; raises ValueError naming the bad item."""
    env: dict[str, str] = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name or not name.replace("_", "a").isalnum():
            raise ValueError(f"--env expects NAME=VALUE, got {item!r}")
        env[name] = value
    return env
