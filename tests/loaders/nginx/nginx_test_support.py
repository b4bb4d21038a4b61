"""Helpers shared by the nginx loader tests: write config files into a temporary tree and load them."""

from __future__ import annotations

from pathlib import Path

from advisor.loaders.nginx import NginxLoadResult, load_nginx
from advisor.model.deployment import Diagnostic, HostFacts, Route

REPO_ROOT = Path(__file__).resolve().parents[3]
CORPUS = (REPO_ROOT / ".." / "shared" / "corpus").resolve()


def write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def load_text(root: Path, text: str, version: str | None = None, cpus: int | None = None,
              name: str = "nginx.conf") -> NginxLoadResult:
    path = write(root, name, text)
    return load_nginx(str(path), HostFacts.build(cpus=cpus, nginx_version=version))


def route(result: NginxLoadResult, location: str | None) -> Route:
    matches = [r for r in result.routes if r.location == location]
    assert len(matches) == 1, f"expected one route for {location!r}, got {[r.id for r in result.routes]}"
    return matches[0]


def codes(result: NginxLoadResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def only(result: NginxLoadResult, code: str) -> Diagnostic:
    found = [d for d in result.diagnostics if d.code == code]
    assert len(found) == 1, f"expected one {code}, got {result.diagnostics}"
    return found[0]
