"""Shared helpers for the app-source loader tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from advisor.loaders.sources import SourceLoadResult, load_source
from advisor.model.deployment import AppServer, HostFacts
from advisor.model.provenance import Setting, Source

REPO_ROOT = Path(__file__).resolve().parents[3]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
FIXTURES = REPO_ROOT / "fixtures" / "sources"


def load(path: Path | str, kind: str, **host: object) -> SourceLoadResult:
    return load_source(str(path), kind, HostFacts.build(**host))  # type: ignore[arg-type]


def load_text(tmp_path: Path, text: str, kind: str, name: str = "source", **host: object) -> SourceLoadResult:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return load(path, kind, **host)


def only_app(result: SourceLoadResult) -> AppServer:
    assert len(result.apps) == 1, [app.id for app in result.apps]
    return result.apps[0]


def value(app: AppServer, name: str) -> object:
    setting = app.settings[name]
    assert setting.known, f"{name} is unknown: {setting.source.detail}"
    return setting.value


def reason(app: AppServer, name: str) -> str:
    setting = app.settings[name]
    assert not setting.known, f"{name} is known: {setting.value!r}"
    return setting.source.detail or ""


def text_at(source: Source) -> str:
    """The file text from a Source's line and column to the end of that line."""
    position = source.position()
    assert position is not None and position.path and position.line, source
    lines = Path(position.path).read_text().split("\n")
    return lines[position.line - 1][(position.column or 1) - 1:]


def written_at(item: Setting | Source) -> str:
    return text_at(item.source if isinstance(item, Setting) else item)
