"""The one base class of the errors a validation run's servers raise when they cannot start or answer."""

from __future__ import annotations

__all__ = ["ServerStartError"]


class ServerStartError(RuntimeError):
    """A server of the validation run (reference server, gunicorn, uvicorn, uWSGI, nginx) could not be started or
    used; the message says why. `advisor validate` reports it as a usage error, not an internal one."""
