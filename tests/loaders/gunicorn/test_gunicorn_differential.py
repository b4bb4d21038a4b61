"""Differential check: for configs written by these tests (never a user's), the static loader agrees with what the
installed gunicorn computes when it executes the same file."""

from __future__ import annotations

import textwrap

import pytest

from advisor.loaders.gunicorn import load_gunicorn_config
from advisor.model.deployment import HostFacts

gunicorn_base = pytest.importorskip("gunicorn.app.base")

CONFIGS = {
    "literals": """
        bind = ["127.0.0.1:8001", "unix:/run/app.sock"]
        workers = "4"
        timeout = 0x1e
        preload_app = "True"
        raw_env = "A=1"
        forwarded_allow_ips = "10.0.0.0/8, 127.0.0.1"
        http_protocols = "h2, h1"
        proxy_protocol = True
    """,
    "environment": """
        import os
        from os import getenv
        workers = int(os.environ.get("APP_WORKERS", 3)) * 2
        keepalive = getenv("APP_KEEPALIVE", "75")
        bind = "0.0.0.0:%s" % os.environ["APP_PORT"]
        loglevel = os.environ.get("APP_LOGLEVEL", "INFO").lower()
    """,
    "control_flow": """
        import os
        mode = os.environ.get("APP_MODE", "prod")
        if mode == "dev":
            reload = True
            workers = 1
        elif mode.startswith("pr"):
            workers = 6
            preload_app = True
        else:
            workers = 2
        try:
            threads = int(os.environ.get("APP_THREADS", "many"))
        except ValueError:
            threads = 8
        timeout = 30
        timeout += 15
        max_requests = max(1000, threads * 100)
        max_requests_jitter = max_requests // 10
    """,
    "strings": """
        host, port = "0.0.0.0", 8000
        bind = [f"{host}:{port + offset}" for offset in range(2)]
        proc_name = "-".join(part.strip() for part in " api , web ".split(","))
        access_log_format = '%(h)s "%(r)s" ' + "%(s)s"
        worker_class = "uvicorn.workers.UvicornWorker" if port == 8000 else "sync"
        limit_request_field_size = 8190 * 4
    """,
}
ENV = {"APP_PORT": "9000", "APP_MODE": "production", "APP_LOGLEVEL": "DEBUG"}


class _Loader(gunicorn_base.Application):
    def load_config(self):  # only the file is loaded, explicitly, below
        pass

    def load(self):
        return None


def _gunicorn_values(path):
    loader = _Loader()
    loaded = loader.load_config_from_file(str(path))
    return loader.cfg, loaded


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_static_loader_agrees_with_gunicorn(tmp_path, monkeypatch, name):
    for key, item in ENV.items():
        monkeypatch.setenv(key, item)
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent(CONFIGS[name]))
    cfg, namespace = _gunicorn_values(path)
    ours = load_gunicorn_config(str(path), HostFacts.build(env=ENV)).app.settings
    checked = [key for key in namespace if key in cfg.settings]
    assert checked
    for key in checked:
        expected = cfg.settings[key].get()
        setting = ours[key]
        assert setting.known, (key, setting.source.detail)
        if key == "bind":
            assert setting.raw == ", ".join(expected)
        else:
            assert setting.value == expected, key
