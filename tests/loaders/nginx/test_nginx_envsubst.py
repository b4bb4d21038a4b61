"""envsubst templates: `--env NAME=VALUE` fills `${NAME}` / `$NAME` as the container's envsubst would; without it the
value stays unknown. nginx's own (lower-case) variables are never touched."""

from pathlib import Path

from advisor.loaders.nginx import load_nginx
from advisor.model.deployment import HostFacts

TEMPLATE = """events {}
http {
  upstream backend { server ${BACKEND} fail_timeout=0; }
  server {
    listen 80;
    location / {
      proxy_pass http://backend;
      proxy_read_timeout ${PROXY_READ_TIMEOUT};
      proxy_set_header Host $host;
      proxy_set_header X-Env $ENV_NAME;
    }
  }
}
"""


def _load(tmp_path: Path, env: dict[str, str]):
    path = tmp_path / "nginx.conf.template"
    path.write_text(TEMPLATE)
    return load_nginx(str(path), HostFacts.build(env=env))


def test_placeholders_stay_unknown_without_env(tmp_path: Path):
    result = _load(tmp_path, {})
    (route,) = result.routes
    assert not route.settings["proxy_read_timeout"].known
    assert "${PROXY_READ_TIMEOUT}" in route.settings["proxy_read_timeout"].source.detail
    assert not result.upstreams["backend"].servers[0].address.known


def test_env_fills_placeholders_and_says_so(tmp_path: Path):
    result = _load(tmp_path, {"BACKEND": "web:8000", "PROXY_READ_TIMEOUT": "90s", "ENV_NAME": "prod"})
    (route,) = result.routes
    read = route.settings["proxy_read_timeout"]
    assert read.value == 90.0 and read.source.line == 8
    assert "envsubst ${PROXY_READ_TIMEOUT} from --env" in read.source.detail
    (server,) = result.upstreams["backend"].servers
    assert str(server.address.value) == "web:8000"
    assert "envsubst ${BACKEND}" in server.address.source.detail
    assert server.params["fail_timeout"].value == 0
    assert route.headers["host"].value.endswith("$host")  # nginx's own variable untouched
    assert route.headers["x-env"].value.endswith("prod")
    assert not result.diagnostics


def test_only_the_given_names_are_filled(tmp_path: Path):
    result = _load(tmp_path, {"BACKEND": "web:8000"})
    (route,) = result.routes
    assert not route.settings["proxy_read_timeout"].known
    assert result.upstreams["backend"].servers[0].address.known


def test_values_from_the_nginx_containers_environment_name_their_origin(tmp_path: Path):
    """Values a compose file gives the nginx container fill its templates; `--env` wins over them."""
    from advisor.model.provenance import Setting, Source

    path = tmp_path / "nginx.conf.template"
    path.write_text(TEMPLATE)
    template_env = {"BACKEND": Setting("app:8000", Source.file("compose.yaml", 14, 7)),
                    "PROXY_READ_TIMEOUT": Setting("30s", Source.file("compose.yaml", 15, 7)),
                    "ENV_NAME": Setting.unknown("${ENV_NAME} is not set", "compose.yaml", 16)}
    result = load_nginx(str(path), HostFacts.build(env={"PROXY_READ_TIMEOUT": "45s"}), template_env)
    (route,) = result.routes
    (server,) = result.upstreams["backend"].servers
    assert str(server.address.value) == "app:8000"
    assert "envsubst ${BACKEND} from compose.yaml:14" in server.address.source.detail
    read = route.settings["proxy_read_timeout"]
    assert read.value == 45.0 and "envsubst ${PROXY_READ_TIMEOUT} from --env" in read.source.detail
    assert not route.headers["x-env"].known  # an unknown value fills nothing
