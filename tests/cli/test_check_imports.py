"""A plain `advisor check` of a config pair imports only what that run uses: no typer, no YAML parser (the rules
come from the compiled cache), no TOML parser when no config file applies, no loaders for inputs it does not have,
no queueing model, not crossplane (its tables come from a cache), and none of the standard-library modules only
rare paths need.

The run happens in a fresh interpreter; every `import` executed during it is recorded (even of a module the
interpreter's site had already loaded), so the test means the same wherever it runs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from small_configs import gunicorn_tcp_conf, nginx_proxy_conf

from advisor.engine.rule_cache import SETTLE_NS

NGINX_CONF = nginx_proxy_conf("http://app", "proxy_read_timeout 20s", upstream="app")
GUNICORN_CONF = gunicorn_tcp_conf(workers=2)
# Mentions advisor (as a script name) but cannot hold [tool.advisor]: not parsed, so tomllib is not imported.
PYPROJECT = ('[project]\nname = "shop"\n[project.scripts]\nadvisor = "shop.advisor:main"\n'
             '[tool.ruff]\nline-length = 100\n')

SCRIPT = """\
import builtins, json, sys
requested = set()
original = builtins.__import__

def recording(name, globals=None, locals=None, fromlist=(), level=0):
    module = original(name, globals, locals, fromlist, level)
    if level == 0:  # advisor imports absolutely; a relative import inside a package loads nothing new here
        requested.add(name)
        requested.update(f"{name}.{item}" for item in fromlist or () if f"{name}.{item}" in sys.modules)
    return module

before = set(sys.modules)
builtins.__import__ = recording
sys.argv = ["advisor", *sys.argv[1:]]
from advisor.cli import main
try:
    main(leave_quickly=False)
except SystemExit as exit:
    code = exit.code
finally:
    builtins.__import__ = original
sys.stderr.write("\\n" + json.dumps({"code": code, "requested": sorted(requested),
                                      "loaded": sorted(set(sys.modules) - before)}))
"""

# Modules a check of an nginx.conf + gunicorn.conf.py must not import (a prefix covers its submodules).
NOT_NEEDED = (
    "typer", "click", "rich", "tomllib", "yaml", "tempfile", "subprocess", "zipfile", "textwrap", "difflib",
    "decimal", "shlex", "shutil", "json", "crossplane", "advisor.queueing", "advisor.accesslog", "advisor.validation",
    "advisor.loaders.uvicorn", "advisor.loaders.sources", "advisor.loaders.discover",
    "advisor.loaders.gunicorn.cmdline",
    "advisor.globs", "advisor.report.json_report", "advisor.report.sarif",
)
# Of the uWSGI loader only the option table (the fact catalogue lists uWSGI's settings) is read.
UWSGI_ALLOWED = {"advisor.loaders.uwsgi", "advisor.loaders.uwsgi.options"}


def _run_check(directory: Path, cache: Path) -> dict:
    script = directory / "record_imports.py"
    script.write_text(SCRIPT)
    argv = ["check", "nginx.conf", "gunicorn.conf.py", "--cpus", "2", "--color", "never"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(directory), "ADVISOR_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, str(script), *argv], cwd=directory, capture_output=True, text=True,
                          env=env, timeout=120)
    return json.loads(done.stderr.rsplit("\n", 1)[-1])


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_a_plain_check_imports_only_what_the_run_uses(tmp_path: Path):
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").mkdir()  # no config file above this
    (project / "nginx.conf").write_text(NGINX_CONF)
    (project / "gunicorn.conf.py").write_text(GUNICORN_CONF)
    (project / "pyproject.toml").write_text(PYPROJECT)
    cache = tmp_path / "cache"
    first = _run_check(project, cache)  # fills the rule cache
    assert first["code"] == 1  # the pair has a finding: the whole check ran
    compiled_cache = list(cache.glob("compiled-*.pickle"))
    if not compiled_cache:  # an advisor module changed in the last seconds is not trusted (rule_cache.SETTLE_NS)
        time.sleep(SETTLE_NS / 1e9 + 0.1)
        _run_check(project, cache)
        compiled_cache = list(cache.glob("compiled-*.pickle"))
    result = _run_check(project, cache) if compiled_cache else first
    assert result["code"] == 1
    touched = set(result["requested"]) | set(result["loaded"])
    unexpected = sorted(name for name in touched for prefix in NOT_NEEDED
                        if _matches(name, prefix) and not (prefix == "yaml" and not compiled_cache))
    assert unexpected == []
    uwsgi = sorted(name for name in touched if _matches(name, "advisor.loaders.uwsgi") and name not in UWSGI_ALLOWED)
    assert uwsgi == []
    # what the run does need is loaded (the test would pass vacuously if the check had not run)
    assert {"advisor.loaders.nginx.loader", "advisor.loaders.gunicorn.config_file", "advisor.engine.run"} \
        <= set(result["loaded"])
