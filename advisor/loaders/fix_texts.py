"""Fix texts for loader diagnostics whose cause is a value advisor cannot see (a placeholder, a shell expansion).

The fix must fit the cause: a value the user may know is passed with `--env`; arguments a script forwards
(`"$@"`) come from the file that runs the script, which `--env` cannot supply; text a template renders comes
from the rendered file.
"""

from __future__ import annotations

from advisor.lazy_regex import lazy_re

_NAME = lazy_re(r"[A-Za-z_][A-Za-z0-9_]*")
_ENVSUBST = lazy_re(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
_FORWARDED = frozenset({"$@", "$*", "${@}", "${*}"})


def variable_name(text: str) -> str | None:
    """The variable a shell or envsubst expansion names (`${EXTRA_ARGS:-}` -> EXTRA_ARGS); None for `$@`/`$*`."""
    stripped = text.strip().strip('"')
    if not stripped.startswith("$") or stripped in _FORWARDED:
        return None
    match = _NAME.search(stripped)
    return match.group(0) if match else None


def expansion_fix(raw: str, server: str) -> str:
    """For a whole-word expansion on a command line that may add `server` options advisor cannot see."""
    name = variable_name(raw)
    if name is None:
        return (f"pass the file that runs this command with its arguments (the image's CMD, the compose command or "
                f"the caller of the script) to check the {server} options they add")
    return f"pass --env {name}=VALUE if you know its value, to check the {server} options it adds"


def placeholder_fix(text: str, what: str) -> str:
    """For an nginx template placeholder (`text` holds it: `${EXTRA}`, `envsubst placeholder ${HOST}`, `{{ x }}`)
    whose rendered text advisor cannot see; `what` ends the sentence."""
    match = _ENVSUBST.search(text)
    name = match.group(1) if match else None
    if name is None:
        return f"pass the rendered file to check {what}"
    return f"pass --env {name}=VALUE if you know its value (or the rendered file) to check {what}"


__all__ = ["expansion_fix", "placeholder_fix", "variable_name"]
