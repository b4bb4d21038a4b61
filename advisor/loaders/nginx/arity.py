"""Argument counts of main- and events-level directives, checked with crossplane's directive table.

The loader parses with `check_args=False` (crossplane's table predates newer nginx arguments such as
`keepalive 32 local;`), but nginx refuses to start when a directive has the wrong number of arguments — typically a
missing `;` that turns the next line into extra arguments (`user www-data` + `pid /run/nginx.pid;` gives `user`
three arguments). The main and events directives have not changed arity in nginx for years, so their bit masks are
reliable; other contexts are left alone.

A template placeholder counts as one argument (`{{ a.b }}` was tokenised as one); when arguments are too few and one
of them is a placeholder, it may expand to several, so nothing is said.
"""

from __future__ import annotations

from collections.abc import Sequence

from advisor.loaders.nginx.crossplane_tables import analyzer as _analyzer

from advisor.loaders.nginx.templates import may_hold_placeholder, placeholder_reason

_CONTEXT_MASKS = {"main": _analyzer.NGX_MAIN_CONF, "events": _analyzer.NGX_EVENT_CONF}


def _accepts(mask: int, count: int) -> bool:
    return bool((count <= 7 and mask >> count & 1)
                or (mask & _analyzer.NGX_CONF_FLAG and count == 1)
                or mask & _analyzer.NGX_CONF_ANY
                or (mask & _analyzer.NGX_CONF_1MORE and count >= 1)
                or (mask & _analyzer.NGX_CONF_2MORE and count >= 2))


def _minimum(mask: int) -> int:
    """The fewest arguments a mask accepts (to tell "too few" from "too many")."""
    return next((count for count in range(8) if _accepts(mask, count)), 8)


def arity_error(directive: str, args: Sequence[str], block: bool, context: str) -> str | None:
    """nginx's error text when `directive` with `args` cannot appear in `context` ("main" or "events"), else None.

    Directives unknown to crossplane, or not allowed in this context at all, are not judged here."""
    context_mask = _CONTEXT_MASKS.get(context)
    masks = _analyzer.DIRECTIVES.get(directive)
    if context_mask is None or not masks:
        return None
    fitting = [mask for mask in masks
               if mask & context_mask and bool(mask & _analyzer.NGX_CONF_BLOCK) == block]
    if not fitting or any(_accepts(mask, len(args)) for mask in fitting):
        return None
    too_few = all(len(args) < _minimum(mask) for mask in fitting)
    if too_few and any(may_hold_placeholder(arg) and placeholder_reason(arg) for arg in args):
        return None  # a placeholder may expand to several arguments
    return f'invalid number of arguments in "{directive}" directive'


def arity_fix(directive: str, args: Sequence[str]) -> str:
    """A fix that names the likely cause: a missing `;` before an argument that is itself a directive name."""
    for index, arg in enumerate(args):
        if index > 0 and arg in _analyzer.DIRECTIVES:
            return (f'a ";" is probably missing after "{directive} {" ".join(args[:index])}" (the next line\'s '
                    f'"{arg}" was read as more arguments); `nginx -t` reports the same error')
    return f'give "{directive}" the number of arguments nginx expects; `nginx -t` reports the same error'
