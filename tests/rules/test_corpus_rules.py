"""All rules over the real-world corpus (shared/corpus): no rule errors, and known pairs give known answers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from advisor.commands.options import HostFacts, Inputs
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.engine.selection import select_rules
from advisor.loaders.deployment import build_deployment

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not (CORPUS / "SOURCES.tsv").is_file(), reason="shared corpus not available")
RULES = load_rules()
SELECTED = select_rules(RULES)
NOT_NGINX = (".py", ".sh", ".yml", ".yaml", ".service", ".md")


def _nginx_files() -> list[str]:
    if not (CORPUS / "SOURCES.tsv").is_file():
        return []
    with open(CORPUS / "SOURCES.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [row["local_path"] for row in rows if row["kind"] in ("nginx", "pair-member")
            and not row["local_path"].endswith(NOT_NGINX) and "__run" not in row["local_path"]
            and not row["local_path"].endswith("__start")]


def _run(nginx: list[str], app: list[str] = (), **host):
    inputs = Inputs(nginx=[str(CORPUS / path) for path in nginx], app=[str(CORPUS / path) for path in app])
    deployment = build_deployment(inputs, HostFacts.build(**host))
    return run_rules(deployment, RULES, SELECTED, strict=True)


def test_every_corpus_nginx_file_evaluates():
    files = _nginx_files()
    assert len(files) > 90
    for path in files:
        _run([path])  # strict: a rule expression error raises


def _codes(result, severities=("error", "warning")):
    return sorted({finding.code for finding in result.findings if finding.severity in severities})


def test_netbox_pair_is_clean():
    result = _run(["netbox-community__netbox/contrib__nginx.conf"], ["netbox-community__netbox/contrib__gunicorn.py"])
    assert _codes(result) == []


def test_gunicorn_examples_disagree_on_the_socket():
    """gunicorn's own example nginx.conf uses unix:/tmp/gunicorn.sock; its example_config.py binds TCP."""
    result = _run(["benoitc__gunicorn/examples__nginx.conf"], ["benoitc__gunicorn/examples__example_config.py"])
    assert _codes(result) == ["ADR003"]


def test_default_bind_is_a_warning_not_an_error():
    """InvenTree's gunicorn.conf.py sets no bind (its container passes -b 0.0.0.0:8000): warn, do not fail hard."""
    result = _run(["inventree__InvenTree/contrib__container__nginx.conf"],
                  ["inventree__InvenTree/contrib__container__gunicorn.conf.py"])
    assert _codes(result) == ["ADR007"]
    assert _codes(result, ("error",)) == []


LOADER_CODES = ("ADV001", "ADV002", "ADV003", "ADV004", "ADV005", "ADV006")

# Real deployments whose findings were checked by hand against the files (see each comment). The exact set of rule
# codes (any severity; loader diagnostics left out, they belong to the loaders' own tests) must not change silently.
VERIFIED_PAIRS = [
    pytest.param(
        ["netbox-community__netbox/contrib__nginx.conf"], ["netbox-community__netbox/contrib__gunicorn.py"], {},
        ["TMO005"],  # implicit upstream to 127.0.0.1:8001 with the 60 s default connect timeout
        id="netbox"),
    pytest.param(
        ["CTFd__CTFd/conf__nginx__http.conf"], ["CTFd__CTFd/docker-entrypoint.sh"], {},
        # gevent (WORKER_CLASS default) with keepalive 2 behind `upstream app_servers`, pooled by default on 1.30
        ["KAL001", "TMO005"],
        id="ctfd"),
    pytest.param(
        ["CTFd__CTFd/conf__nginx__http.conf"], ["CTFd__CTFd/docker-entrypoint.sh"], {"nginx_version": "1.24.0"},
        ["TMO005"],  # before 1.29.7 an upstream block without `keepalive` pools nothing: no race
        id="ctfd-nginx-1.24"),
    pytest.param(
        ["graphite-project__docker-graphite-statsd/conf__etc__nginx__sites-enabled__graphite-statsd.conf"],
        ["graphite-project__docker-graphite-statsd/conf__etc__service__graphite__run"], {"cpus": 2},
        # sync, --timeout 65 > the 60 s proxy_read_timeout default; graceful_timeout default 30 < 65;
        # --max-requests 1000 with 4 workers and no jitter
        ["LIF001", "LIF002", "TMO002", "TMO005"],
        id="graphite"),
    pytest.param(
        ["apache__superset/docker__nginx__templates__superset.conf.template"],
        ["apache__superset/docker__entrypoints__run-server.sh"], {},
        # gthread (20 threads) with --keep-alive 2 behind `keepalive 100` + HTTP/1.1; proxy_connect_timeout 300
        ["KAL001", "TMO004"],
        id="superset"),
    pytest.param(
        ["apache__superset/docker__nginx__templates__superset.conf.template"],
        ["apache__superset/docker__entrypoints__run-server.sh"], {"nginx_version": "1.24.0"},
        ["KAL003", "TMO004"],  # on older nginx the same pool is useless: Connection: close is not cleared
        id="superset-nginx-1.24"),
    pytest.param(
        ["readthedocs__readthedocs.org/dockerfiles__nginx__web.conf.template"],
        ["readthedocs__readthedocs.org/common__dockerfiles__entrypoints__web.sh"], {},
        # -w 3 sync with the default backlog 2048 and the 60 s read timeout: break-even 88 ms < 100 ms;
        # --max-requests=10000 without jitter; --timeout=0
        ["CAP003", "LIF002", "TMO005", "TMO006"],
        id="readthedocs-web"),
    pytest.param(
        ["cookiecutter__cookiecutter-django/{{cookiecutter.project_slug}}__compose__production__nginx__default.conf"],
        ["cookiecutter__cookiecutter-django/{{cookiecutter.project_slug}}__compose__production__django__start"], {},
        ["ADR009"],  # this nginx only serves media; traefik fronts gunicorn
        id="cookiecutter-django"),
    pytest.param(
        ["inventree__InvenTree/contrib__container__nginx.conf"],
        ["inventree__InvenTree/contrib__container__gunicorn.conf.py"], {"cpus": 2},
        ["ADR007", "CAP006"],  # no bind in the file; workers = multiprocessing.cpu_count() * 2 + 1 in a container
        id="inventree"),
]


@pytest.mark.parametrize(("nginx", "app", "host", "codes"), VERIFIED_PAIRS)
def test_verified_corpus_pair_findings(nginx, app, host, codes):
    result = _run(nginx, app, **host)
    found = sorted({finding.code for finding in result.findings if finding.code not in LOADER_CODES})
    assert found == codes, [(f.code, f.line, f.message[:120]) for f in result.findings]


def test_misspelled_setting_in_authentik():
    """goauthentik's gunicorn.conf.py sets `preload = True`; gunicorn's setting is `preload_app`."""
    result = _run([], ["goauthentik__authentik/lifecycle__gunicorn.conf.py"])
    (finding,) = [finding for finding in result.findings if finding.code == "SET001"]
    assert finding.line == 39 and "did you mean preload_app?" in finding.message
