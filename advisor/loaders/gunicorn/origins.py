"""Where loaded values come from: the Source of an environment variable, and ADV006 diagnostics placed at a Source.

Shared by the gunicorn and uvicorn loaders (config evaluator, command lines, defaults).
"""

from __future__ import annotations

from advisor.model.deployment import Diagnostic, HostFacts
from advisor.model.severity import Severity
from advisor.model.provenance import Source


def env_source(host: HostFacts, key: str) -> Source:
    """The line that set environment variable `key` (compose, Dockerfile, unit file ...), else the `--env` option."""
    sources = getattr(host, "env_sources", None) or {}
    return sources.get(key) or Source.option(f"--env {key}={host.env[key]}")


# The fix for an option or value the app server rejects; causes that are not a rejection pass their own `fix`.
REJECTED_OPTION_FIX = "correct it as the message says: the app server exits with this error when it starts"


def option_diagnostic(source: Source, message: str, severity: Severity = "error",
                      fix: str = REJECTED_OPTION_FIX) -> Diagnostic:
    """An ADV006 (invalid or ineffective value) diagnostic at the file position `source` best points to."""
    position = source.position()
    return Diagnostic("ADV006", severity, message,
                      position.path if position else None, position.line if position else None,
                      position.column if position else None, fix=fix)
