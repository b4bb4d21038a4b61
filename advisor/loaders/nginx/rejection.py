"""The consequence of a configuration error nginx itself reports (`nginx: [emerg] ...`), written once for every
loader message that repeats nginx's own text (ADV006)."""

from __future__ import annotations

REFUSES_TO_START = "nginx refuses to start"


def rejected(message: str) -> str:
    """nginx's error text with what it means: `invalid value "10x" in ... directive: nginx refuses to start`."""
    return f"{message}: {REFUSES_TO_START}"


__all__ = ["REFUSES_TO_START", "rejected"]
