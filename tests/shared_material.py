"""Where the reference material beside the checkout lives (../shared), and how tests that need it skip.

Tests over ../shared (real deployments, the config corpus, the SARIF schema) skip when it is absent, so a clone with
nothing beside it passes; CI sets ADVISOR_REQUIRE_SHARED=1, where a missing ../shared fails instead.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"
# What the tests over ../shared read; CI (ADVISOR_REQUIRE_SHARED=1) must have all of it, so nothing skips there.
SHARED_MARKERS = ("corpus/SOURCES.tsv", "deployments/EXPECTED.md", "schemas")


def require_shared(relative: str = "") -> Path:
    """Return ../shared/<relative>, or skip (fail where ADVISOR_REQUIRE_SHARED=1) when it is absent."""
    path = SHARED / relative
    if path.exists():
        return path
    if os.environ.get("ADVISOR_REQUIRE_SHARED") == "1":
        pytest.fail(f"{path} is required here (ADVISOR_REQUIRE_SHARED=1) but is missing")
    pytest.skip(f"reference material {path} is not available (tests over ../shared skip without it)")
