"""build_deployment: input classification, compose-mounted nginx configs, usage errors."""

from pathlib import Path

import pytest

from advisor.commands.options import Inputs
from advisor.loaders.deployment import InputError, build_deployment, split_inputs
from advisor.model.deployment import HostFacts

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def test_positional_files_are_classified(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy").mkdir()
    for name in ("deploy/nginx.conf", "deploy/gunicorn.conf.py", "Procfile"):
        (tmp_path / name).write_text("")
    nginx, apps = split_inputs(Inputs(paths=["deploy/nginx.conf", "deploy/gunicorn.conf.py", "Procfile"]))
    assert nginx == ["deploy/nginx.conf"]
    assert apps == [("deploy/gunicorn.conf.py", "gunicorn"), ("Procfile", "procfile")]


def test_a_named_file_that_is_not_there_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "nginx.conf").write_text("")
    with pytest.raises(InputError, match=r"gunicorn\.conf\.py: no such file or directory"):
        split_inputs(Inputs(paths=["nginx.conf", "gunicorn.conf.py"]))


def test_unknown_app_format_is_a_usage_error():
    with pytest.raises(InputError, match="--app-format"):
        split_inputs(Inputs(paths=["missing-is-not-checked-first"], app_format="bogus"))


def test_no_inputs_is_a_usage_error():
    with pytest.raises(InputError, match="no input files"):
        build_deployment(Inputs(), HostFacts.build())


def test_compose_file_alone_brings_the_nginx_config_its_nginx_service_mounts():
    compose = FIXTURES / "sources" / "compose" / "docker-compose.yml"
    deployment = build_deployment(Inputs(paths=[str(compose)]), HostFacts.build())
    assert deployment.nginx is not None and deployment.nginx.root.endswith("nginx.conf")
    assert deployment.links, "the mounted nginx config's routes should reach the compose web service"
    assert {link.app.service_name for link in deployment.links} == {"web", "api"}


def test_demo_pair_links_both_routes():
    deployment = build_deployment(Inputs(paths=[str(FIXTURES / "demo/nginx.conf"),
                                                str(FIXTURES / "demo/gunicorn.conf.py")]), HostFacts.build(cpus=2))
    assert sorted(link.route.location for link in deployment.links) == ["/", "/reports/"]
    assert not deployment.unlinked_routes
