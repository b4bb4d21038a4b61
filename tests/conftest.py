"""Shared test helpers: where the reference corpus lives, and whether real nginx is required."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from shared_material import SHARED, SHARED_MARKERS

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


def pytest_sessionstart(session: pytest.Session) -> None:
    """With ADVISOR_REQUIRE_SHARED=1, a missing ../shared stops the run at once instead of skipping silently."""
    if os.environ.get("ADVISOR_REQUIRE_SHARED") != "1":
        return
    missing = [marker for marker in SHARED_MARKERS if not (SHARED / marker).exists()]
    if missing:
        pytest.exit(f"ADVISOR_REQUIRE_SHARED=1 but {SHARED} lacks {', '.join(missing)}", returncode=3)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With ADVISOR_REQUIRE_SHARED=1, any test skipped for want of ../shared fails the run."""
    if os.environ.get("ADVISOR_REQUIRE_SHARED") != "1":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [report for report in (reporter.stats.get("skipped", []) if reporter else [])
               if any(word in str(getattr(report, "longrepr", "")) for word in ("shared", "corpus"))]
    if skipped:
        reporter.write_line(f"{len(skipped)} tests skipped for want of ../shared although ADVISOR_REQUIRE_SHARED=1",
                            red=True)
        session.exitstatus = 1
