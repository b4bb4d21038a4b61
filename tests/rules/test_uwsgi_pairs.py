"""Whole nginx + uWSGI deployments (fixtures/uwsgi): clean pairs stay clean and are linked, the broken pair reports
exactly its mismatches, and the uWSGI rules follow the severity policy."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.commands.options import HostFacts, Inputs
from advisor.engine.examples import run_example
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.loaders.deployment import build_deployment

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "uwsgi"
RULES = load_rules()
CLEAN = {
    "unix-socket": ["nginx.conf", "uwsgi.ini"],
    "tcp": ["nginx.conf", "uwsgi.yaml"],
    "http-socket": ["nginx.conf", "uwsgi.ini"],
    "compose": ["nginx.conf", "docker-compose.yml", "deploy/uwsgi.ini"],
    "placeholders": ["nginx.conf", "blog.ini"],
}


def _run(directory: Path, names: list[str], **options: object):
    inputs = Inputs(paths=[str(directory / name) for name in names])
    deployment = build_deployment(inputs, HostFacts.build(**options))  # type: ignore
    return deployment, run_rules(deployment, RULES, strict=True)


@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_pairs_have_no_warnings_and_are_linked(name):
    deployment, result = _run(FIXTURES / name, CLEAN[name], env={"BLOG_WORKERS": "3"})
    assert [(f.code, Path(f.path).name, f.line) for f in result.findings if f.severity != "info"] == []
    assert not [skip for skip in result.skips if skip.kind == "error"]
    assert [app.kind for app in deployment.apps] == ["uwsgi"]
    assert deployment.links and {d.status for d in deployment.route_diagnoses.values()} == {"linked"}


def test_placeholder_pair_resolves_the_socket_and_the_included_file():
    deployment, _ = _run(FIXTURES / "placeholders", CLEAN["placeholders"], env={"BLOG_WORKERS": "3"})
    (app,) = deployment.apps
    assert str(app.binds[0]) == "unix:/run/uwsgi/blog.sock"
    assert app.settings["processes"].value == 3 and app.settings["threads"].value == 2
    assert app.settings["listen"].source.path.endswith("base.ini")


def test_broken_pair_reports_each_mismatch_at_its_line():
    _, result = _run(FIXTURES / "broken", ["nginx.conf", "uwsgi.ini"])
    found = sorted((f.code, f.severity, Path(f.path).name, f.line) for f in result.findings if f.code != "ADV003")
    assert found == [
        ("ADR010", "error", "nginx.conf", 6),       # proxy_pass to a uwsgi-protocol socket
        ("BUF004", "info", "uwsgi.ini", 6),          # default buffer-size, on the socket nginx reaches by uwsgi_pass
        ("CAP011", "warning", "uwsgi.ini", 8),       # listen 8192 above the assumed somaxconn 4096
        ("SET006", "warning", "uwsgi.ini", 9),       # max_requests is not an option
        ("TMO009", "warning", "nginx.conf", 9),      # uwsgi_read_timeout 60s (default) < harakiri 300
    ]
    (mismatch,) = [f for f in result.findings if f.code == "ADR010"]
    assert [(Path(item.path).name, item.line) for item in mismatch.related] == [("uwsgi.ini", 5)]


def test_listen_above_a_given_somaxconn_is_an_error():
    _, result = _run(FIXTURES / "broken", ["nginx.conf", "uwsgi.ini"], somaxconn=4096)
    assert [f.severity for f in result.findings if f.code == "CAP011"] == ["error"]
    _, unix = _run(FIXTURES / "unix-socket", CLEAN["unix-socket"], somaxconn=128)
    assert [(f.code, f.severity) for f in unix.findings if f.code == "CAP011"] == [("CAP011", "error")]


NGINX = "server {\n    listen 80;\n    location / {\n        include uwsgi_params;\n" \
        "        uwsgi_pass unix:/run/uwsgi/shop.sock;\n        uwsgi_read_timeout 70s;\n    }\n}\n"


@pytest.mark.parametrize(("extra", "expected"), [
    ("", "info"),                      # the master forks replacements from the loaded app
    ("lazy-apps = true\n", "warning"),  # each replacement imports the app again
    ("max-requests-delta = 20\n", None),
])
def test_max_requests_recycling_severity(tmp_path, extra, expected):
    uwsgi = "[uwsgi]\nsocket = /run/uwsgi/shop.sock\nprocesses = 4\nmax-requests = 1000\n" + extra
    found = run_example({"nginx": NGINX, "uwsgi": uwsgi}, RULES, tmp_path).findings_for("LIF003")
    assert [finding.severity for finding in found] == ([expected] if expected else [])


@pytest.mark.parametrize(("harakiri", "codes"), [
    (120, ["TMO009"]),  # nginx gives up first: 504 while the worker keeps going
    (70, ["TMO010"]),   # equal: a race
    (67, ["TMO010"]),   # 3 s apart: still a race
    (30, ["TMO011"]),   # harakiri cuts first: only the opt-in TMO011 explains it (examples run every rule)
])
def test_harakiri_against_the_read_timeout(tmp_path, harakiri, codes):
    uwsgi = f"[uwsgi]\nsocket = /run/uwsgi/shop.sock\nlisten = 128\nbuffer-size = 32768\nharakiri = {harakiri}\n"
    result = run_example({"nginx": NGINX, "uwsgi": uwsgi}, RULES, tmp_path)
    assert sorted({finding.code for finding in result.result.findings} - {"ADV003"}) == codes


def test_gunicorn_rules_stay_silent_for_uwsgi(tmp_path):
    """Rules whose wording or semantics are gunicorn's do not fire on a uWSGI app with the same numbers."""
    nginx = ("server {\n    listen 80;\n    location / {\n        proxy_pass http://127.0.0.1:8000;\n"
             "        proxy_buffering off;\n        proxy_connect_timeout 10s;\n    }\n}\n")
    uwsgi = "[uwsgi]\nhttp-socket = 127.0.0.1:8000\nprocesses = 40\nharakiri = 30\n"
    result = run_example({"nginx": nginx, "uwsgi": uwsgi, "options": {"cpus": 2}}, RULES, tmp_path)
    codes = {finding.code for finding in result.result.findings}
    assert "TMO011" in codes  # not vacuous: the pair is linked and uWSGI's counterpart of TMO007 fires
    assert not codes & {"BUF001", "CAP005", "TMO001", "TMO002", "TMO005", "TMO007", "TMO008", "ADR008"}
