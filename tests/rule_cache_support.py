"""What the rule-cache tests share: one small valid rule and a private cache directory for the test."""

from __future__ import annotations

from pathlib import Path

import pytest

RULE = """code: TST001
name: test-rule
severity: warning
scope: app
summary: s
when: app.timeout == 0
message: "timeout {app.timeout}"
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.delenv("ADVISOR_NO_CACHE", raising=False)
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(directory))
    return directory
