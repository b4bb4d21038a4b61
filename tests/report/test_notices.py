"""Honest verdicts: what a run could not check is said next to the verdict, in every format, without changing the
exit code.

The deployments are small hand-written pairs: a site with an app route and a search route, gunicorn on the app's
port (or on another port), a static-only nginx, a compose file whose nginx is built into an image, a Procfile
that runs no gunicorn.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from xml.etree import ElementTree

import pytest

from advisor.commands import check
from advisor.commands.options import CheckOptions, HostFacts, Inputs
from advisor.engine.coverage import GivenInputs, coverage_notices
from advisor.engine.findings import Finding, Notice
from advisor.engine.rules import load_rules, parse_rule
from advisor.loaders.deployment import build_deployment, split_inputs
from advisor.model.deployment import HostFacts
from advisor.report import ReportData, text
from advisor.report.formats import render as render_format

SNAPSHOT = Path(__file__).with_name("snapshots") / "notices.txt"
UPDATE = os.environ.get("ADVISOR_UPDATE_SNAPSHOTS") == "1"

FILES = {
    "nginx.conf": """\
events {}
http {
    server {
        listen 80;
        server_name shop.example.com;
        location / {
            proxy_pass http://127.0.0.1:8000;
            proxy_read_timeout 60s;
        }
        location /search/ {
            proxy_pass http://127.0.0.1:9200;
        }
    }
}
""",
    "gunicorn.conf.py": 'bind = "127.0.0.1:8000"\nworkers = 2\ntimeout = 30\n',
    "gunicorn-elsewhere.conf.py": 'bind = "127.0.0.1:9000"\nworkers = 2\ntimeout = 30\n',
    "static.conf": "events {}\nhttp {\n    server {\n        listen 80;\n        root /srv/www;\n"
                   "        location / { try_files $uri =404; }\n    }\n}\n",
    "compose.yaml": """\
services:
  web:
    image: example/shop
    command: gunicorn --bind 0.0.0.0:8000 --timeout 30 shop.wsgi
  proxy:
    build: ./proxy
    ports: ["80:80"]
""",
    "Procfile": "web: python manage.py runserver 0.0.0.0:$PORT\n",
}

# (name, input files) of the scenarios whose notice text is snapshot.
SCENARIOS = [
    ("nginx alone", ["nginx.conf"]),
    ("app settings alone", ["gunicorn.conf.py"]),
    ("compose without a mounted nginx config", ["compose.yaml"]),
    ("app file without gunicorn", ["nginx.conf", "Procfile"]),
    ("no route reaches the app", ["nginx.conf", "gunicorn-elsewhere.conf.py"]),
    ("nginx passes nothing to a backend", ["static.conf", "gunicorn.conf.py"]),
    ("one of two routes reaches the app", ["nginx.conf", "gunicorn.conf.py"]),
]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, content in FILES.items():
        (tmp_path / name).write_text(content)
    monkeypatch.chdir(tmp_path)
    for name in ("NO_COLOR", "FORCE_COLOR", "ADVISOR_OUTPUT_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _rule(code: str, scope: str):
    return parse_rule({"code": code, "name": f"rule-{code.lower()}", "severity": "warning", "scope": scope,
                       "summary": "s", "message": "m", "when": "False"}, f"rules/{code}.yaml")


# A fixed rule set for the wording snapshot (the bundled set grows; the counts here must not).
RULES = [_rule("TMO901", "link"), _rule("TMO902", "link"), _rule("KAL901", "link"), _rule("CAP901", "app"),
         _rule("ADR901", "route"), _rule("SET901", "unknown_setting"), _rule("ORG901", "link"),
         _rule("ADR902", "deployment")]


def _notices(paths: list[str], rules=RULES) -> list[Notice]:
    inputs = Inputs(paths=paths)
    nginx, app = split_inputs(inputs)
    deployment = build_deployment(inputs, HostFacts.build())
    return coverage_notices(deployment, rules, GivenInputs(tuple(nginx), tuple(app)))


def _check(paths: list[str], **changes) -> tuple[int, str]:
    out = io.StringIO()
    code = check.run(CheckOptions(inputs=Inputs(paths=paths), host=HostFacts.build(), **changes), stdout=out,
                     stderr=io.StringIO())
    return code, out.getvalue()


def test_notice_wording_matches_the_snapshot(site: Path):
    rendered = []
    for name, paths in SCENARIOS:
        rendered.append(f"## {name}: {' '.join(paths)}")
        rendered.extend(f"{notice.text} [not run: {notice.checks_not_run}, routes: {notice.routes_not_checked}]"
                        for notice in _notices(paths))
    actual = "\n".join(rendered) + "\n"
    if UPDATE:
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(actual, encoding="utf-8")
    assert actual == SNAPSHOT.read_text(encoding="utf-8"), \
        "notice wording changed; if deliberate, rerun with ADVISOR_UPDATE_SNAPSHOTS=1 and review the diff"


def test_affected_rules_come_from_scopes(site: Path):
    [alone] = _notices(["nginx.conf"])
    assert alone.checks_not_run == 6  # link ×4, app, unknown_setting; not route, deployment
    assert "(timeouts, keep-alive, capacity, settings, ORG)" in alone.text  # bundled families first, custom by code
    [app_only] = _notices(["gunicorn.conf.py"])
    assert app_only.checks_not_run == 5  # link ×4, route
    [unlinked] = _notices(["nginx.conf", "gunicorn-elsewhere.conf.py"])
    assert (unlinked.checks_not_run, unlinked.routes_not_checked) == (4, 2)


def test_nothing_to_say_when_no_selected_rule_is_affected(site: Path):
    route_only = [_rule("ADR901", "route"), _rule("ADR902", "deployment")]
    assert _notices(["nginx.conf"], route_only) == []
    assert _notices(["nginx.conf", "gunicorn-elsewhere.conf.py"], route_only) == []


def test_full_text_notes_before_the_summary_and_no_bare_pass(site: Path):
    code, out = _check(["gunicorn.conf.py"])
    lines = out.splitlines()
    assert code == 0
    assert re.fullmatch(r"note: \d+ nginx and cross-file checks \(timeouts, addresses, keep-alive, capacity.*\) did "
                        r"not run: no nginx config was given — pass the nginx config that proxies to the app .*",
                        lines[-2])
    assert re.fullmatch(r"No problems found by the checks that ran; \d+ checks did not run \(see the note above\)\.",
                        lines[-1])
    assert "All checks passed!" not in out


def test_concise_text_carries_the_note(site: Path):
    code, out = _check(["nginx.conf"], output_format="concise")
    assert code == 0
    assert out.splitlines()[-2].startswith("note: ")
    assert "no app server settings were given — pass gunicorn.conf.py" in out
    assert out.splitlines()[-1].startswith("No problems found by the checks that ran; ")


def test_partial_link_summary_counts_routes(site: Path):
    data = ReportData([], notices=[Notice("1 of 2 proxied routes ...", routes_not_checked=1)])
    assert text.summary_line(data) == \
        "No problems found by the checks that ran; 1 route was not cross-checked (see the note above)."
    assert text.summary_line(ReportData([])) == "All checks passed!"


def test_json_summary_notices_and_unchanged_exit_code(site: Path):
    code, out = _check(["nginx.conf"], output_format="json")
    summary = json.loads(out)["summary"]
    assert code == 0
    [notice] = summary["notices"]
    assert notice.endswith("did not run: no app server settings were given — pass gunicorn.conf.py or the file that "
                           "starts gunicorn or uvicorn (Procfile, Dockerfile, compose file, systemd unit, supervisor "
                           "config or start script)")
    code, out = _check(["nginx.conf", "gunicorn.conf.py"], output_format="json", select=["TMO002"])
    assert code == 0 and json.loads(out)["summary"]["notices"] == [
        "1 of 2 proxied routes reaches no given app server, so the cross-file checks did not run for it — "
        "nginx.conf:10 location /search/: 127.0.0.1:9200 matches no bind of the given app servers (another service?)"]


def test_findings_still_fail_and_keep_the_found_line(site: Path):
    code, out = _check(["nginx.conf", "gunicorn-elsewhere.conf.py"], output_format="concise")
    assert code == 1  # ADR001: every request fails; the notice does not change that
    assert out.splitlines()[-1].startswith("Found ")
    assert any(line.startswith("note: ") and "none of the 2 proxied routes reaches" in line
               for line in out.splitlines())


def test_github_notice_lines(site: Path):
    _code, out = _check(["nginx.conf"], output_format="github")
    [line] = out.splitlines()
    assert line.startswith("::notice title=advisor::") and "no app server settings were given" in line


def test_junit_property_and_system_out(site: Path):
    _code, out = _check(["nginx.conf"], output_format="junit")
    suite = ElementTree.fromstring(out.split("\n", 1)[1]).find("testsuite")
    [prop] = suite.findall("properties/property")
    assert prop.get("name") == "advisor.notice" and "no app server settings were given" in prop.get("value")
    assert suite.find("system-out").text.startswith("note: ")
    assert suite.find("testcase").get("name") == "no problems found by the checks that ran"
    assert list(suite)[0].tag == "properties"


def test_gitlab_and_json_lines_have_no_place_for_notices(site: Path):
    for name in ("gitlab", "json-lines"):
        code, out = _check(["nginx.conf"], output_format=name)
        assert code == 0 and "did not run" not in out


def test_sarif_tool_execution_notifications(site: Path):
    _code, out = _check(["nginx.conf"], output_format="sarif")
    [invocation] = json.loads(out)["runs"][0]["invocations"]
    [notification] = invocation["toolExecutionNotifications"]
    assert notification["level"] == "note"
    assert "no app server settings were given" in notification["message"]["text"]
    assert invocation["executionSuccessful"] is True


def test_sarif_notifications_are_schema_valid(site: Path):
    from shared_material import require_shared

    schema_path = require_shared("schemas") / "sarif-schema-2.1.0.json"
    from jsonschema import Draft4Validator

    validator = Draft4Validator(json.loads(schema_path.read_text()))
    log = json.loads(render_format("sarif", [], load_rules(), root=str(site), version="1.0.0",
                                   notices=[Notice("a note"), "another note"]))
    assert not [error.message for error in validator.iter_errors(log)]
    assert [n["message"]["text"] for n in log["runs"][0]["invocations"][0]["toolExecutionNotifications"]] == \
        ["a note", "another note"]


def test_notices_per_pair_are_prefixed(site: Path):
    (site / ".advisor.toml").write_text(
        '[[pairs]]\nname = "shop"\nnginx = ["nginx.conf"]\napp = ["gunicorn.conf.py"]\n\n'
        '[[pairs]]\nname = "static"\nnginx = ["static.conf"]\napp = ["gunicorn.conf.py"]\n')
    out = io.StringIO()
    code = check.run(CheckOptions(inputs=Inputs(), host=HostFacts.build(), output_format="json", select=["TMO002"]),
                     stdout=out, stderr=io.StringIO())
    notices = json.loads(out.getvalue())["summary"]["notices"]
    assert code == 0
    assert [notice.split(": ", 1)[0] for notice in notices] == ["pair shop", "pair static"]
    assert "the nginx config passes no request to a backend" in notices[1]


def test_one_pair_is_not_prefixed(site: Path):
    _code, out = _check(["nginx.conf"], output_format="json")
    assert not json.loads(out)["summary"]["notices"][0].startswith("pair ")


def test_findings_type_is_unchanged_for_reporters():
    finding = Finding("TMO002", "n", "warning", "m", None, "nginx.conf", 1, 1)
    assert text.render(ReportData([finding], notices=[Notice("x", checks_not_run=3)]), concise=True).splitlines() == [
        "nginx.conf:1:1: TMO002 [warning] m", "note: x", "Found 1 problem (0 errors, 1 warning, 0 info)."]


def test_no_route_in_an_nginx_config_that_was_partly_read(site: Path):
    (site / "main.conf").write_text("events {}\nhttp {\n    include sites-enabled/*.conf;\n"
                                    "    include /etc/nginx/generated/site.conf;\n}\n")
    [notice] = _notices(["main.conf", "gunicorn.conf.py"])
    assert "no route that passes requests to a backend was found in the part of the nginx config that could be " \
           "read" in notice.text
    assert notice.checks_not_run == 4
