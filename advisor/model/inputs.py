"""What a run reads: the input files, as given on the command line or in the project config (before any loading).

The host facts given with them (`--cpus`, `[host]`, ...) are the model's HostFacts (advisor/model/deployment.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Inputs:
    """The files to read. `paths` are positional arguments, classified by kind (nginx vs app server config); a
    directory among them stands for the configs discovered in it (advisor/loaders/discover.py). `nginx` / `app` are
    explicit (`--nginx`, `--app`). `-` (standard input) is replaced by a temporary file before loading
    (advisor/commands/given_inputs.py)."""

    paths: list[str] = field(default_factory=list)
    nginx: list[str] = field(default_factory=list)
    app: list[str] = field(default_factory=list)
    app_format: str | None = None  # override app source kind detection (issue: command-line sources)
