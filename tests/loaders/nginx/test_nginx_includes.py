"""include: globs, paths relative to the main config, stock files, loops and caps, paths in Sources."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from nginx_test_support import codes, only, route, write

from advisor.loaders.nginx import includes, load_nginx
from advisor.model.deployment import HostFacts

MAIN = """
events {}
http {
    include conf.d/*.conf;
}
"""


def _site(name: str, port: int) -> str:
    return f"server {{\n    server_name {name};\n    location / {{\n        proxy_pass http://127.0.0.1:{port};\n" \
           "        include snippets/timeouts.conf;\n    }\n}\n"


def _tree(root: Path) -> Path:
    main = write(root, "etc/nginx/nginx.conf", MAIN)
    write(root, "etc/nginx/conf.d/b.conf", _site("b.example", 8002))
    write(root, "etc/nginx/conf.d/a.conf", _site("a.example", 8001))
    write(root, "etc/nginx/conf.d/ignored.txt", "this is not included;\n")
    write(root, "etc/nginx/snippets/timeouts.conf", "proxy_read_timeout 300s;\n")
    return main


def test_globs_and_relative_paths_resolve_against_the_main_config(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    main = _tree(tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not the config directory: includes must not depend on the cwd
    result = load_nginx(str(main), HostFacts.build())
    assert result.diagnostics == []
    assert [r.server_names for r in result.routes] == [["a.example"], ["b.example"]]  # sorted glob order
    first = result.routes[0]
    assert first.settings["proxy_read_timeout"].value == 300.0
    timeouts = str(tmp_path / "etc/nginx/snippets/timeouts.conf")
    assert first.settings["proxy_read_timeout"].source.path == timeouts  # outside the cwd: absolute
    assert first.settings["proxy_read_timeout"].source.line == 1
    assert first.source.path == str(tmp_path / "etc/nginx/conf.d/a.conf") and first.source.line == 3
    assert result.config.files[0] == str(main)
    assert len(result.config.files) == 4  # main, a, b and the snippet (read once)


def test_included_paths_are_relative_to_the_cwd_when_under_it(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = load_nginx("etc/nginx/nginx.conf", HostFacts.build())
    assert result.config.root == "etc/nginx/nginx.conf"
    assert result.config.files == ["etc/nginx/nginx.conf", os.path.join("etc", "nginx", "conf.d", "a.conf"),
                                   os.path.join("etc", "nginx", "conf.d", "b.conf"),
                                   os.path.join("etc", "nginx", "snippets", "timeouts.conf")]
    assert result.routes[0].id == "etc/nginx/conf.d/a.conf:3 location /"


def test_missing_include_is_an_info_about_an_input_that_is_not_here(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", "http {\n    include sites/app.conf;\n}\n")
    result = load_nginx(str(main), HostFacts.build())
    diagnostic = only(result, "ADV002")
    assert diagnostic.severity == "info" and diagnostic.line == 2 and diagnostic.path == str(main)
    assert diagnostic.missing == "sites/app.conf" and "sites/app.conf" in diagnostic.message
    assert "not among the inputs" in diagnostic.message and "fix the include" not in (diagnostic.fix or "")
    assert "pass it" in diagnostic.fix


def test_missing_include_leaves_unknown_upstream_names_unknown(tmp_path: Path) -> None:
    """A name that is not an upstream block may be defined in the missing file: unknown, not an error."""
    main = write(tmp_path, "nginx.conf", "events {}\nhttp {\n include /run/generated/upstreams.conf;\n"
                                         " server { location / { uwsgi_pass app; } }\n}\n")
    result = load_nginx(str(main), HostFacts.build())
    assert codes(result) == ["ADV002"]
    assert not result.routes[0].target.addresses[0].known


def test_include_rendered_from_a_template_next_to_the_including_file(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx/app.conf.template", "upstream api { server ${API_HOST}:8080; }\n"
                 "server {\n    listen 80;\n    include /etc/nginx/conf.d/extra.conf.inc;\n"
                 "    location / { proxy_pass http://api; }\n}\n")
    write(tmp_path, "nginx/extra.conf.inc.template", "location /mcp { proxy_read_timeout 30s;"
          " proxy_pass http://${MCP_HOST}:8090; }\n")
    result = load_nginx(str(main), HostFacts.build(env={"MCP_HOST": "mcp"}))
    assert codes(result) == []
    mcp = route(result, "/mcp")
    assert str(mcp.target.addresses[0].value) == "mcp:8090"
    read = mcp.settings["proxy_read_timeout"]
    assert read.value == 30.0 and read.source.path.endswith("extra.conf.inc.template")
    assert "rendered from" in read.source.detail and "extra.conf.inc.template" in read.source.detail


def test_include_rendered_from_the_nginx_image_templates_directory(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx/nginx.conf", "events {}\nhttp {\n include /etc/nginx/conf.d/default.conf;\n}\n")
    write(tmp_path, "nginx/templates/default.conf.template",
          "server { location / { proxy_read_timeout ${READ_TIMEOUT}; proxy_pass http://web:8000; } }\n")
    result = load_nginx(str(main), HostFacts.build())
    assert codes(result) == []
    read = route(result, "/").settings["proxy_read_timeout"]
    assert not read.known and "${READ_TIMEOUT}" in read.source.detail


def test_glob_without_match_is_only_info(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", "http {\n    include sites-enabled/*;\n}\n")
    assert only(load_nginx(str(main), HostFacts.build()), "ADV002").severity == "info"


def test_missing_stock_proxy_params_is_assumed(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", """
http {
    include mime.types;
    server {
        location / {
            include proxy_params;
            proxy_pass http://127.0.0.1:8000;
        }
    }
}
""")
    result = load_nginx(str(main), HostFacts.build())
    assert codes(result) == ["ADV003", "ADV003"]
    assert [d.severity for d in result.diagnostics] == ["info", "info"]
    assert result.diagnostics[1].message == ("include proxy_params not found: advisor assumed the stock "
                                             "proxy_params, so edits to the server's copy were not checked")
    assert result.diagnostics[1].line == 6
    headers = route(result, "/").headers
    assert headers["host"].value == "$http_host"
    assert headers["x-forwarded-proto"].value == "$scheme"
    assert headers["x-real-ip"].source.line == 6 and "stock proxy_params" in headers["x-real-ip"].source.detail


def test_present_proxy_params_is_read_not_assumed(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", "http { server { location / {\n include proxy_params;\n"
                                         " proxy_pass http://127.0.0.1:1; } } }\n")
    write(tmp_path, "proxy_params", "proxy_set_header Host $host;\n")
    result = load_nginx(str(main), HostFacts.build())
    assert result.diagnostics == []
    assert set(route(result, "/").headers) == {"host"}
    assert route(result, "/").headers["host"].value == "$host"


def test_include_loop_terminates_with_a_warning(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", "http {\n    include a.conf;\n}\n")
    write(tmp_path, "a.conf", "include b.conf;\nserver { location / { proxy_pass http://127.0.0.1:1; } }\n")
    write(tmp_path, "b.conf", "include a.conf;\n")
    result = load_nginx(str(main), HostFacts.build())
    loop = only(result, "ADV005")
    assert loop.severity == "warning" and "include loop" in loop.message
    assert loop.path == str(tmp_path / "b.conf") and loop.line == 1
    assert len(result.routes) == 1


def test_self_including_main_file(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", "include nginx.conf;\n")
    assert codes(load_nginx(str(main), HostFacts.build())) == ["ADV005"]


def test_huge_glob_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(includes, "MAX_FILES", 5)
    main = write(tmp_path, "nginx.conf", "http {\n    include conf.d/*.conf;\n}\n")
    for index in range(12):
        write(tmp_path, f"conf.d/{index:02d}.conf",
              f"server {{ location /{index} {{ proxy_pass http://127.0.0.1:{8000 + index}; }} }}\n")
    result = load_nginx(str(main), HostFacts.build())
    capped = [d for d in result.diagnostics if d.code == "ADV005"]
    assert capped and all(d.line == 2 for d in capped)
    assert len(result.config.files) <= 5
    assert 0 < len(result.routes) < 12


def test_exponential_include_fan_out_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(includes, "MAX_INCLUSIONS", 50)
    main = write(tmp_path, "nginx.conf", "http {\n include l0.conf;\n}\n")
    for level in range(12):  # each level includes the next twice: 2**12 inclusions without a cap
        write(tmp_path, f"l{level}.conf", f"include l{level + 1}.conf;\ninclude l{level + 1}.conf;\n")
    write(tmp_path, "l12.conf", "server { location / { proxy_pass http://127.0.0.1:1; } }\n")
    result = load_nginx(str(main), HostFacts.build())
    assert any(d.code == "ADV005" and "inclusions" in d.message for d in result.diagnostics)


def test_absolute_etc_nginx_include_prefers_the_repository_tree(tmp_path: Path) -> None:
    main = write(tmp_path, "deploy/nginx/nginx.conf", "http {\n include /etc/nginx/sites-enabled/*;\n}\n")
    write(tmp_path, "deploy/nginx/sites-enabled/app",
          "server { location / { proxy_pass http://127.0.0.1:8000; } }\n")
    result = load_nginx(str(main), HostFacts.build())
    assert result.diagnostics == []
    assert result.routes[0].source.path == str(tmp_path / "deploy/nginx/sites-enabled/app")


def test_unresolved_include_placeholder(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", "http {\n include ${CONF_DIR}/app.conf;\n}\n")
    diagnostic = only(load_nginx(str(main), HostFacts.build()), "ADV002")
    assert "envsubst placeholder ${CONF_DIR}" in diagnostic.message and diagnostic.line == 2
    assert diagnostic.severity == "info" and diagnostic.missing == "${CONF_DIR}/app.conf"


def test_parse_error_in_included_file_points_into_that_file(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", "http {\n include app.conf;\n}\n")
    write(tmp_path, "app.conf", "server {\n    listen 80\n}\n")
    diagnostic = only(load_nginx(str(main), HostFacts.build()), "ADV001")
    assert diagnostic.path == str(tmp_path / "app.conf") and diagnostic.line == 2


def test_glob_characters_in_the_config_directory_are_literal(tmp_path: Path) -> None:
    main = write(tmp_path, "site[1]/nginx.conf", "http {\n include conf.d/*.conf;\n}\n")
    write(tmp_path, "site[1]/conf.d/app.conf", "server { location / { proxy_pass http://127.0.0.1:8000; } }\n")
    result = load_nginx(str(main), HostFacts.build())
    assert result.diagnostics == [] and len(result.routes) == 1
