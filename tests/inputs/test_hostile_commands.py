"""`--nginx DIR`/`--app DIR`, input nested beyond a parser's recursion limit, standard input in SARIF, huge lines in
snippets and absurd workloads: clear output and exit 0/1/2 from every command."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers_hostile import GUNICORN, NGINX, run_advisor

from advisor.loaders.deployment import InputError, build_deployment
from advisor.model.deployment import HostFacts
from advisor.model.inputs import Inputs


@pytest.fixture
def split(tmp_path: Path) -> Path:
    (tmp_path / "web").mkdir()
    (tmp_path / "app").mkdir()
    (tmp_path / "web" / "nginx.conf").write_text(NGINX)
    (tmp_path / "app" / "gunicorn.conf.py").write_text(GUNICORN)
    return tmp_path


def test_option_directories_are_searched_for_their_side(split: Path) -> None:
    result = run_advisor("show", "--nginx", "web", "--app", "app", cwd=split)
    assert result.returncode == 0, result.stderr
    assert "advisor: --nginx web: web/nginx.conf" in result.stderr
    assert "advisor: --app app: app/gunicorn.conf.py (gunicorn)" in result.stderr
    assert "web/nginx.conf:6 location / -> app/gunicorn.conf.py" in result.stdout


def test_an_option_directory_without_that_side_is_a_usage_error(split: Path) -> None:
    result = run_advisor("check", "--nginx", "app", "--app", "app", cwd=split)
    assert result.returncode == 2
    assert "advisor: error: --nginx app: found no nginx config in the directory" in result.stderr


def test_json_nested_beyond_the_recursion_limit_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text(NGINX)
    (tmp_path / "uwsgi.json").write_text('{"uwsgi": {"socket": "127.0.0.1:8000", "x": '
                                         + "[" * 20_000 + "]" * 20_000 + "}}")
    result = run_advisor("check", "nginx.conf", "uwsgi.json", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "uwsgi.json:1:1: ADV004 [error] uwsgi.json is nested too deeply for advisor to read" in result.stdout
    assert len(max(result.stdout.splitlines(), key=len)) < 1000  # the snippet of the huge line is cut


def test_an_nginx_config_beyond_the_recursion_limit_is_a_usage_error_naming_it(tmp_path: Path, monkeypatch) -> None:
    import advisor.loaders.nginx as nginx_loader

    def deep(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    (tmp_path / "nginx.conf").write_text(NGINX)
    monkeypatch.setattr(nginx_loader, "load_nginx", deep)
    with pytest.raises(InputError, match=r"nginx\.conf: nested too deeply"):
        build_deployment(Inputs(paths=[str(tmp_path / "nginx.conf")]), HostFacts())


def test_standard_input_in_sarif_has_a_valid_uri(tmp_path: Path) -> None:
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN)
    result = run_advisor("check", "-", "gunicorn.conf.py", "--output-format", "sarif", cwd=tmp_path,
                         stdin=NGINX.encode())
    assert result.returncode == 1, result.stderr
    uris = [location["physicalLocation"]["artifactLocation"]["uri"]
            for run in json.loads(result.stdout)["runs"] for item in run["results"] for location in item["locations"]]
    assert uris and all(re.fullmatch(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", uri) for uri in uris), uris
    assert "%3Cstdin%3E" in uris


@pytest.mark.parametrize("command", [["model"], ["validate", "--duration", "1s", "--proxy", "builtin"]])
def test_a_service_time_too_wide_for_floats_is_a_usage_error(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "nginx.conf").write_text(NGINX)
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN)
    result = run_advisor(*command, "nginx.conf", "gunicorn.conf.py", "--rps", "10", "--service-time",
                         "p50=1us,p99=1e300s", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("advisor: error: --service-time"), result.stderr
    assert "internal error" not in result.stderr


def test_a_sparse_access_log_is_not_read_into_memory(tmp_path: Path) -> None:
    (tmp_path / "nginx.conf").write_text(NGINX)
    (tmp_path / "gunicorn.conf.py").write_text(GUNICORN)
    with open(tmp_path / "access.log", "wb") as handle:
        handle.truncate(256 << 20)
    result = run_advisor("model", "nginx.conf", "gunicorn.conf.py", "--access-log", "access.log", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("advisor: error: "), result.stderr
    assert "access.log" in result.stderr and "MemoryError" not in result.stderr
