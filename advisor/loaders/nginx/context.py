"""Which block a configuration file's top level stands for: a full nginx.conf (main) or a fragment.

conf.d files hold `server {}` / `upstream {}` (http context), snippets hold `location` blocks or bare directives
(server or location context). We pick the outermost context in which every top-level directive known to crossplane's
directive table is allowed — the same choice as the corpus' "rooted" parse mode.
"""

from __future__ import annotations

from typing import Any

from advisor.loaders.nginx.crossplane_tables import analyzer as _analyzer

CONTEXTS = ("main", "http", "server", "location")
_MASKS = {
    "main": _analyzer.NGX_MAIN_CONF,
    "http": _analyzer.NGX_HTTP_MAIN_CONF,
    "server": _analyzer.NGX_HTTP_SRV_CONF,
    "location": _analyzer.NGX_HTTP_LOC_CONF,
}
_ANY_CONTEXT = frozenset({"include", "#"})
_REASONS = {
    "main": "top level of a complete nginx.conf",
    "http": "top-level server/upstream/map blocks: a conf.d fragment included inside http {}",
    "server": "top-level location/listen/server_name: a snippet included inside server {}",
    "location": "top-level proxy_pass/location-level directives: a snippet included inside location {}",
}


def infer_context(stmts: list[dict[str, Any]]) -> tuple[str, str]:
    """Return (context, reason) for the top level of a file."""
    allowed_counts = {context: 0 for context in CONTEXTS}
    known = 0
    for stmt in stmts:
        directive = stmt["directive"]
        if directive in _ANY_CONTEXT:
            continue
        masks = _analyzer.DIRECTIVES.get(directive)
        if not masks:
            continue
        known += 1
        union = 0
        for mask in masks:
            union |= mask
        for context in CONTEXTS:
            if union & _MASKS[context]:
                allowed_counts[context] += 1
    if known == 0:
        return "main", "no directive that pins the context; read as a complete nginx.conf"
    for context in CONTEXTS:
        if allowed_counts[context] == known:
            return context, _REASONS[context]
    best = max(CONTEXTS, key=lambda context: allowed_counts[context])
    return best, _REASONS[best] + f" (best fit: {known - allowed_counts[best]} top-level directives do not fit)"
