"""The pre-commit hooks in .pre-commit-hooks.yaml (linter-conventions.md §2.2).

The slow test installs advisor the way users get it — `pre-commit try-repo` clones a committed copy of this
repository and pip-installs it into a fresh virtualenv (needs PyPI) — and runs both hooks in a scratch git repository
holding a bad and a good nginx + gunicorn pair configured in `.advisor.toml`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = REPO_ROOT / "fixtures"
MANIFEST = REPO_ROOT / ".pre-commit-hooks.yaml"
GIT_IDENTITY = ["-c", "user.name=advisor tests", "-c", "user.email=tests@advisor.invalid", "-c", "commit.gpgsign=false",
                "-c", "init.defaultBranch=main", "-c", "core.hooksPath=/dev/null"]


def _hooks() -> dict[str, dict]:
    from pre_commit.clientlib import load_manifest

    return {hook["id"]: hook for hook in load_manifest(str(MANIFEST))}


def test_manifest_is_valid_and_has_both_hooks():
    hooks = _hooks()
    assert set(hooks) == {"advisor", "advisor-pair"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["entry"] == "advisor check"
        assert hook["require_serial"] is True
        assert hook["minimum_pre_commit_version"] == "3.0.0"
    assert hooks["advisor"]["pass_filenames"] is True
    assert hooks["advisor-pair"]["pass_filenames"] is False


def test_files_regex_selects_nginx_and_gunicorn_configs():
    for hook in _hooks().values():
        files = re.compile(hook["files"])
        for path in ("nginx.conf", "deploy/nginx.conf", "deploy/nginx-site.conf", "gunicorn.conf.py",
                     "svc/gunicorn_prod.conf.py"):
            assert files.search(path), path
        for path in ("README.md", "nginx.conf.bak", "app.py", "deploy/nginx/app.txt", "gunicorn.py"):
            assert not files.search(path), path


# try-repo ---------------------------------------------------------------------------------------------------------

def _git(*args: str, cwd: Path) -> str:
    result = subprocess.run(["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                            env=_clean_env())
    assert result.returncode == 0, f"git {' '.join(args)} failed: {result.stderr}"
    return result.stdout


def _clean_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_") and key != "PRE_COMMIT"}
    env.update(extra)
    return env


def _committed_copy(destination: Path) -> Path:
    """This working tree (tracked and untracked, minus ignored files) as a fresh one-commit repository, so try-repo
    sees uncommitted work too. Never touches the real repository's git state."""
    listing = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=60, env=_clean_env())
    assert listing.returncode == 0, listing.stderr
    for name in filter(None, listing.stdout.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    _git("init", "-q", ".", cwd=destination)
    _git("add", "-A", cwd=destination)
    _git("commit", "-q", "-m", "snapshot for pre-commit try-repo", cwd=destination)
    return destination


def _consumer_repository(path: Path) -> Path:
    for name, fixture in (("bad", FIXTURES / "demo"), ("good", FIXTURES / "pairs" / "tcp-good")):
        (path / "deploy" / name).mkdir(parents=True)
        for file in ("nginx.conf", "gunicorn.conf.py"):
            shutil.copy2(fixture / file, path / "deploy" / name / file)
    (path / "README.md").write_text("scratch repository\n")
    (path / ".advisor.toml").write_text(
        "cpus = 2\n"
        "[[pairs]]\nname = \"bad\"\nnginx = [\"deploy/bad/nginx.conf\"]\napp = [\"deploy/bad/gunicorn.conf.py\"]\n"
        "[[pairs]]\nname = \"good\"\nnginx = [\"deploy/good/nginx.conf\"]\napp = [\"deploy/good/gunicorn.conf.py\"]\n")
    _git("init", "-q", ".", cwd=path)
    _git("add", "-A", cwd=path)
    return path


@pytest.mark.slow
def test_hooks_fail_on_the_bad_pair_and_pass_on_the_good_one(tmp_path):
    pytest.importorskip("pre_commit")
    hook_repo = _committed_copy(tmp_path / "hook-repo")
    consumer = _consumer_repository(tmp_path / "consumer")
    env = _clean_env(PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), PIP_DISABLE_PIP_VERSION_CHECK="1",
                     NO_COLOR="1")

    def try_repo(hook: str, *args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook, "--verbose",
                               "--color", "never", *args], cwd=consumer, env=env, capture_output=True, text=True,
                              timeout=timeout)

    try:
        # 1. advisor-pair, no file names: checks both configured pairs; only the bad one has findings.
        #    (The first run installs advisor into pre-commit's virtualenv from PyPI, hence the long timeout.)
        pair_run = try_repo("advisor-pair", "--all-files", timeout=900)
        output = pair_run.stdout + pair_run.stderr
        assert pair_run.returncode == 1, output
        assert "- exit code: 1" in output, output  # findings, not a usage error (2)
        assert "deploy/bad/" in output, output
        assert "deploy/good/" not in output, output

        # 2. advisor with the good pair's files: passes.
        good_run = try_repo("advisor", "--files", "deploy/good/nginx.conf", "deploy/good/gunicorn.conf.py")
        assert good_run.returncode == 0, good_run.stdout + good_run.stderr
        assert "Passed" in good_run.stdout

        # 3. advisor with only the bad pair's nginx.conf changed: the pair is completed from .advisor.toml, so the
        #    cross-file findings in gunicorn.conf.py are reported too.
        bad_run = try_repo("advisor", "--files", "deploy/bad/nginx.conf")
        output = bad_run.stdout + bad_run.stderr
        assert bad_run.returncode == 1, output
        assert "- exit code: 1" in output, output
        assert "deploy/bad/gunicorn.conf.py" in output, output
        assert "deploy/good/" not in output, output
    finally:
        for leftover in ("pre-commit-home", "hook-repo", "consumer"):
            shutil.rmtree(tmp_path / leftover, ignore_errors=True)
