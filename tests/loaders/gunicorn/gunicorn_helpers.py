"""Shared helpers for the gunicorn loader tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

from advisor.loaders.gunicorn import AppLoadResult, load_gunicorn_config
from advisor.model.deployment import HostFacts

REPO_ROOT = Path(__file__).resolve().parents[3]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"


def load_text(tmp_path: Path, text: str, name: str = "gunicorn.conf.py", **host: object) -> AppLoadResult:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return load_gunicorn_config(str(path), HostFacts.build(**host))  # type: ignore[arg-type]


def value(result: AppLoadResult, name: str) -> object:
    setting = result.app.settings[name]
    assert setting.known, f"{name} is unknown: {setting.source.detail}"
    return setting.value


def reason(result: AppLoadResult, name: str) -> str:
    setting = result.app.settings[name]
    assert not setting.known, f"{name} is known: {setting.value!r}"
    return setting.source.detail or ""
