"""Shared test helpers: where the reference corpus lives, and whether real nginx is required."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "corpus"
FIXTURES = REPO_ROOT / "fixtures"


def require_nginx() -> str:
    """Return the nginx binary, or skip (fail in CI, where ADVISOR_REQUIRE_NGINX=1) when it is missing."""
    binary = shutil.which("nginx") or (Path("/usr/sbin/nginx").is_file() and "/usr/sbin/nginx") or None
    if binary:
        return binary
    if os.environ.get("ADVISOR_REQUIRE_NGINX") == "1":
        pytest.fail("nginx is required here (ADVISOR_REQUIRE_NGINX=1) but is not installed")
    pytest.skip("nginx is not installed")


@pytest.fixture
def nginx_binary() -> str:
    return require_nginx()
