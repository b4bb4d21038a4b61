"""Files that nginx packages ship next to nginx.conf, assumed present with their stock content when missing.

Only content that matters to the advisor is modelled: Debian/Ubuntu `proxy_params` sets four proxy headers
(older packages and the brief of this project: `Host $http_host`; some patched stable packages now use `$host`).
The others (MIME types, FastCGI/uwsgi/SCGI parameters, charset maps) hold nothing the advisor reads.
"""

from __future__ import annotations

import os
from typing import Any

_PROXY_PARAMS = (
    ("Host", "$http_host"),
    ("X-Real-IP", "$remote_addr"),
    ("X-Forwarded-For", "$proxy_add_x_forwarded_for"),
    ("X-Forwarded-Proto", "$scheme"),
)

STOCK_FILES: dict[str, tuple[tuple[str, list[str]], ...]] = {
    "mime.types": (),
    "proxy_params": tuple(("proxy_set_header", [name, value]) for name, value in _PROXY_PARAMS),
    "uwsgi_params": (),
    "fastcgi_params": (),
    "fastcgi.conf": (),
    "scgi_params": (),
    "koi-utf": (),
    "koi-win": (),
    "win-utf": (),
    "snippets/fastcgi-php.conf": (),
    "snippets/snakeoil.conf": (),
}
# Glob includes of stock directories that are commonly absent outside the server (Debian's main nginx.conf).
STOCK_GLOB_DIRS = frozenset({"modules-enabled"})


def stock_name(include_arg: str) -> str | None:
    """The stock file an include argument refers to (`/etc/nginx/proxy_params` -> `proxy_params`), or None."""
    normalized = include_arg.replace("\\", "/")
    for name in STOCK_FILES:
        if normalized == name or normalized.endswith("/" + name):
            return name
    parent = os.path.basename(os.path.dirname(normalized))
    if parent in STOCK_GLOB_DIRS:
        return parent
    return None


def stock_statements(name: str, line: int) -> list[dict[str, Any]]:
    """crossplane-shaped statements for a stock file, all placed on the include directive's line."""
    return [{"directive": directive, "line": line, "args": list(args)} for directive, args in STOCK_FILES.get(name, ())]
