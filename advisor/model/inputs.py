"""What a run reads: the input files and the host facts given as options (plain values, before any loading).

The commands fill these from the command line and the project config; the deployment builder
(advisor/loaders/deployment.py) turns HostOptions into the model's HostFacts (Settings with provenance).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class HostOptions:
    """Facts the config files cannot tell: CPU count, somaxconn, versions, environment for `os.environ` lookups."""

    cpus: int | None = None
    somaxconn: int | None = None
    nginx_version: str | None = None
    gunicorn_version: str | None = None
    env: dict[str, str] = field(default_factory=dict)

    def over(self, fallback: HostOptions) -> HostOptions:
        """These options, with `fallback`'s (the project config's) where these give none; env merged, ours win."""
        return HostOptions(
            cpus=self.cpus if self.cpus is not None else fallback.cpus,
            somaxconn=self.somaxconn if self.somaxconn is not None else fallback.somaxconn,
            nginx_version=self.nginx_version or fallback.nginx_version,
            gunicorn_version=self.gunicorn_version or fallback.gunicorn_version,
            env={**fallback.env, **self.env},
        )


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
