"""Every gunicorn config and command line in the shared corpus loads, with concrete values checked for some."""

from __future__ import annotations

import csv
import json
import shlex

import pytest
from gunicorn_helpers import CORPUS

from advisor.loaders.gunicorn import SETTINGS_BY_NAME, load_gunicorn_config, parse_gunicorn_args
from advisor.model.deployment import HostFacts

if not CORPUS.is_dir():
    pytest.skip(f"the shared corpus is not at {CORPUS}", allow_module_level=True)


def _python_configs() -> list[str]:
    with open(CORPUS / "SOURCES.tsv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return sorted(row["local_path"] for row in rows
                  if row["kind"] in ("gunicorn", "pair-member") and row["local_path"].endswith(".py"))


CONFIGS = _python_configs()


def _load(local_path: str, **host: object):
    return load_gunicorn_config(str(CORPUS / local_path), HostFacts.build(**host))  # type: ignore[arg-type]


def test_corpus_has_the_surveyed_configs():
    assert len(CONFIGS) == 19


@pytest.mark.parametrize("local_path", CONFIGS)
def test_every_corpus_config_loads(local_path):
    for host in ({}, {"cpus": 2}):
        result = _load(local_path, **host)
        assert set(result.app.settings) == set(SETTINGS_BY_NAME)
        assert [d for d in result.diagnostics if d.severity == "error"] == []
        for setting in result.app.settings.values():
            assert setting.known or setting.source.detail  # every unknown says why


def _values(result, *names):
    return tuple(result.app.settings[name].value for name in names)


def test_netbox():
    result = _load("netbox-community__netbox/contrib__gunicorn.py")
    assert [str(a) for a in result.app.binds] == ["127.0.0.1:8001"]
    assert _values(result, "workers", "threads", "timeout", "max_requests", "max_requests_jitter") == \
        (5, 3, 120, 5000, 500)
    assert result.app.settings["bind"].source.line == 2
    assert result.app.unknown_settings == []


def test_openverse_bind_list():
    result = _load("WordPress__openverse/api__gunicorn.conf.py")
    assert [str(a) for a in result.app.binds] == ["0.0.0.0:8000"]
    assert _values(result, "workers", "timeout", "wsgi_app", "chdir", "loglevel") == \
        (4, 120, "conf.wsgi:application", "/api", "debug")
    assert result.app.settings["logconfig_dict"].value["version"] == 1


def test_benoitc_example_config():
    result = _load("benoitc__gunicorn/examples__example_config.py")
    assert [str(a) for a in result.app.binds] == ["127.0.0.1:8000"]
    assert _values(result, "backlog", "workers", "worker_class", "worker_connections", "timeout", "keepalive") == \
        (2048, 1, "sync", 1000, 30, 2)
    assert _values(result, "raw_env", "umask", "user", "proc_name") == \
        (["DJANGO_SECRET_KEY=something", "SPAM=eggs"], 0, None, None)
    for hook in ("post_fork", "pre_fork", "pre_exec", "when_ready", "worker_int", "worker_abort", "ssl_context"):
        assert result.app.settings[hook].explicit, hook


def test_warehouse_uploads_arithmetic_and_unix_bind():
    result = _load("pypi__warehouse/gunicorn-uploads.conf.py")
    assert _values(result, "limit_request_field_size", "backlog", "timeout", "control_socket_disable") == \
        (32760, 512, 240, True)
    assert [str(a) for a in result.app.binds] == ["unix:/var/run/cabotage/cabotage.sock"]


def test_heroku_env_driven_settings():
    plain = _load("heroku__python-getting-started/gunicorn.conf.py")
    assert [str(a) for a in plain.app.binds] == ["[::]:5006"]
    assert _values(plain, "keepalive", "worker_class", "threads", "workers") == (95, "gthread", 5, 1)
    assert not plain.app.settings["preload_app"].known  # depends on $ENVIRONMENT
    production = _load("heroku__python-getting-started/gunicorn.conf.py",
                       env={"ENVIRONMENT": "production", "PORT": "80", "WEB_CONCURRENCY": "3"})
    assert [str(a) for a in production.app.binds] == ["[::]:80"]
    assert _values(production, "preload_app", "reuse_port", "forwarded_allow_ips", "workers") == \
        (True, True, ["*"], 3)
    assert production.app.settings["reload"].is_default


def test_inventree_cpu_based_workers():
    assert _values(_load("inventree__InvenTree/contrib__container__gunicorn.conf.py", cpus=2),
                   "workers", "timeout", "threads") == (5, 90, 4)
    assert not _load("inventree__InvenTree/contrib__container__gunicorn.conf.py").app.settings["workers"].known


def test_tiangolo_workers_with_environment():
    path = "tiangolo__uvicorn-gunicorn-docker/docker-images__gunicorn_conf.py"
    assert not _load(path, cpus=2).app.settings["workers"].known  # $MAX_WORKERS decides
    result = _load(path, cpus=4, env={"MAX_WORKERS": ""})
    assert _values(result, "workers", "keepalive", "timeout", "graceful_timeout") == (4, 5, 120, 120)
    assert [str(a) for a in result.app.binds] == ["0.0.0.0:80"]
    capped = _load(path, cpus=4, env={"MAX_WORKERS": "3", "PORT": "8080"})
    assert _values(capped, "workers") == (3,)
    assert [str(a) for a in capped.app.binds] == ["0.0.0.0:8080"]


def test_authentik_misspelled_preload():
    result = _load("goauthentik__authentik/lifecycle__gunicorn.conf.py")
    assert [(u.name, u.suggestion) for u in result.app.unknown_settings] == [("preload", "preload_app")]
    assert result.app.settings["worker_class"].value == "lifecycle.worker.DjangoUvicornWorker"
    assert not result.app.settings["workers"].known


# --- command lines -------------------------------------------------------------------------------------------------

with open(CORPUS / "gunicorn_cmdlines.json") as _handle:
    INVOCATIONS = json.load(_handle)


def _full_command(entry: dict) -> str:
    """The invocation's whole text from its file (the JSON keeps 200 characters), continuation lines joined."""
    lines = (CORPUS / entry["local_path"]).read_text(errors="replace").split("\n")
    for offset in (0, 1, -1, 2, -2):
        index = entry["line"] - 1 + offset
        if 0 <= index < len(lines) and "gunicorn" in lines[index]:
            break
    else:
        return entry["text"]
    text = lines[index]
    while text.rstrip().endswith("\\") and index + 1 < len(lines):
        index += 1
        text = text.rstrip()[:-1] + " " + lines[index]
    return text[text.index("gunicorn"):]


def _argv(text: str) -> list[str]:
    try:
        words = shlex.split(text)
    except ValueError:  # the command sat inside a quoted shell string: CMD="uv run gunicorn ..."
        words = shlex.split(text.rstrip().rstrip("\"'"))
    starts = [i for i, word in enumerate(words)
              if word == "gunicorn" or word.endswith("/gunicorn") or word == "gunicorn.app.wsgiapp"]
    return words[starts[-1] + 1:]


@pytest.mark.parametrize("entry", INVOCATIONS, ids=[f"{e['local_path']}:{e['line']}" for e in INVOCATIONS])
def test_every_corpus_command_line_parses(entry):
    parsed = parse_gunicorn_args(_argv(_full_command(entry)))
    assert parsed.flags == entry["flags"]
    assert parsed.unknown_options == []
    assert parsed.errors == []


def test_command_line_values():
    def parsed(fragment: str):
        entry = next(e for e in INVOCATIONS if fragment in e["local_path"] + e["text"])
        return parse_gunicorn_args(_argv(_full_command(entry)))

    readthedocs = parsed("readthedocs.wsgi")
    assert (readthedocs.settings["workers"].value, readthedocs.settings["timeout"].value) == (3, 0)
    assert readthedocs.settings["max_requests"].value == 10000
    redash = parsed("redash")
    assert redash.settings["workers"].raw == "${REDASH_WEB_WORKERS:-4}" and not redash.settings["workers"].known
    assert redash.settings["proc_name"].value == "redash"
    frappe = parsed("frappe")
    assert frappe.settings["preload_app"].value is True
    assert frappe.settings["worker_tmp_dir"].value == "/dev/shm"
    assert frappe.app_module.value == "frappe.app:application"
