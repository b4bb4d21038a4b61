"""The linker joins routes to app servers by address and explains every route it cannot join."""

from advisor.model.addresses import parse_gunicorn_bind, parse_nginx_address
from advisor.model.deployment import AppServer, Route, Target
from advisor.model.linking import link_routes
from advisor.model.provenance import Setting, Source


def route(target: str, route_id: str = "nginx.conf:10 location /") -> Route:
    address = Setting(parse_nginx_address(target), Source.file("nginx.conf", 10, 5), target)
    return Route(id=route_id, kind="proxy", server_names=[], listens=[], location="/",
                 source=Source.file("nginx.conf", 9), pass_directive=address,
                 target=Target(target, "http", None, [address]), settings={}, headers={})


def app(*binds: str, service_name: str | None = None) -> AppServer:
    values = [parse_gunicorn_bind(b) for b in binds]
    return AppServer(id="gunicorn.conf.py", kind="gunicorn", source=Source.file("gunicorn.conf.py", None),
                     settings={"bind": Setting(values, Source.file("gunicorn.conf.py", 1), repr(list(binds)))},
                     service_name=service_name)


def status(routes, apps):
    links, diagnoses = link_routes(routes, apps)
    return links, {key: value.status for key, value in diagnoses.items()}


def test_exact_tcp_and_wildcard_and_unix_links():
    links, statuses = status([route("127.0.0.1:8000", "a"), route("web:8000", "b"), route("unix:/run/a.sock", "c")],
                             [app("127.0.0.1:8000"), app("0.0.0.0:8000"), app("unix:/run/./a.sock")])
    assert statuses == {"a": "linked", "b": "linked", "c": "linked"}
    assert {(link.route.id, link.match) for link in links} >= {("a", "exact"), ("b", "wildcard"), ("c", "unix")}


def test_port_mismatch_points_at_both_sides():
    links, diagnoses = link_routes([route("127.0.0.1:8001")], [app("127.0.0.1:8000")])
    assert not links
    diagnosis = diagnoses["nginx.conf:10 location /"]
    assert diagnosis.status == "port-mismatch"
    assert diagnosis.target.source.line == 10
    assert diagnosis.closest_bind.source.path == "gunicorn.conf.py"


def test_loopback_bind_reached_from_another_container():
    _, statuses = status([route("web:8000")], [app("127.0.0.1:8000")])
    assert statuses == {"nginx.conf:10 location /": "host-mismatch"}


def test_unix_path_and_socket_kind_mismatches():
    _, statuses = status([route("unix:/run/b.sock")], [app("unix:/run/a.sock")])
    assert statuses == {"nginx.conf:10 location /": "unix-path-mismatch"}
    _, statuses = status([route("unix:/run/a.sock")], [app("127.0.0.1:8000")])
    assert statuses == {"nginx.conf:10 location /": "socket-kind-mismatch"}


def test_localhost_against_ipv4_only_bind_is_dualstack():
    links, statuses = status([route("localhost:8000")], [app("127.0.0.1:8000")])
    assert links and statuses == {"nginx.conf:10 location /": "dualstack-localhost"}
    _, statuses = status([route("localhost:8000")], [app("[::]:8000")])
    assert statuses == {"nginx.conf:10 location /": "linked"}


def test_other_routes_are_other_backends_once_one_route_links():
    _, statuses = status([route("127.0.0.1:8000", "app"), route("127.0.0.1:3000", "grafana")],
                         [app("127.0.0.1:8000")])
    assert statuses == {"app": "linked", "grafana": "other-backend"}


def test_without_app_config_routes_are_not_mismatches():
    _, statuses = status([route("127.0.0.1:8000")], [])
    assert statuses == {"nginx.conf:10 location /": "no-app-config"}


def test_unknown_bind_is_not_guessed():
    unknown = AppServer(id="g.py", kind="gunicorn", source=Source.file("g.py", None),
                        settings={"bind": Setting.unknown("environment variable BIND is not set")})
    _, statuses = status([route("127.0.0.1:8000")], [unknown])
    assert statuses == {"nginx.conf:10 location /": "unknown-bind"}


def templated_route(raw: str, route_id: str = "nginx.conf:10 location /") -> Route:
    address = Setting.unknown("Jinja placeholder {{ project }}", "nginx.conf", 10, raw=raw)
    return Route(id=route_id, kind="proxy", server_names=[], listens=[], location="/",
                 source=Source.file("nginx.conf", 9), pass_directive=address,
                 target=Target(raw, "http", None, [address]), settings={}, headers={})


def test_identical_placeholder_text_on_both_sides_links():
    links, diagnoses = link_routes([templated_route("http://unix:/var/www/{{project}}.sock")],
                                   [app("unix:///var/www/{{ project }}.sock")])
    [link] = links
    assert link.match == "template-text" and str(link.bind) == "unix:/var/www/{{ project }}.sock"
    assert link.address.source.line == 10 and "placeholder" in link.address.source.detail
    assert diagnoses["nginx.conf:10 location /"].status == "linked"


def test_different_placeholder_text_stays_unknown():
    links, diagnoses = link_routes([templated_route("http://unix:/var/www/{{ other }}.sock")],
                                   [app("unix:/var/www/{{ project }}.sock")])
    assert not links and diagnoses["nginx.conf:10 location /"].status == "unknown-target"
    links, _ = link_routes([templated_route("http://{{ backend_host }}:8000")], [app("0.0.0.0:8000")])
    assert not links  # a wildcard bind is no placeholder text: the target host stays unknown


def test_unknown_bind_keeping_its_placeholder_text_links_by_that_text():
    bind = Setting.unknown("template placeholder {{ venv }}", "start.sh", 4, 5,
                           raw="unix:{{ venv }}/run/app.sock, 127.0.0.1:{{ port }}")
    templated = AppServer(id="start.sh:4", kind="gunicorn", source=Source.file("start.sh", 4), settings={"bind": bind})
    upstream_raw = Setting.unknown("Jinja placeholder {{ venv }}", "site.j2", 6, raw="unix:{{venv}}/run/app.sock")
    upstream_route = Route(id="r", kind="proxy", server_names=[], listens=[], location="/",
                           source=Source.file("site.j2", 9), pass_directive=upstream_raw,
                           target=Target("app", "http", None, [upstream_raw]), settings={}, headers={})
    links, diagnoses = link_routes([upstream_route], [templated])
    [link] = links
    assert link.match == "template-text" and str(link.bind) == "unix:{{ venv }}/run/app.sock"
    linked = diagnoses["r"]
    assert linked.status == "linked" and linked.closest_bind.source.line == 4
    # a literal target never matches placeholder text, and an unknown bind without placeholders stays unknown
    links, diagnoses = link_routes([route("unix:/srv/run/app.sock")], [templated])
    assert not links and diagnoses["nginx.conf:10 location /"].status == "unknown-bind"


def test_target_naming_another_compose_service_is_not_linked_by_port():
    django = app("0.0.0.0:8000", service_name="django")
    links, diagnoses = link_routes([route("collab-server:8000", "a"), route("django:8000", "b")], [django],
                                   compose_services={"django", "collab-server", "postgres"})
    assert [(link.route.id, link.match) for link in links] == [("b", "service-name")]
    assert diagnoses["a"].status == "other-backend"
    # without the list, another app server's service name is still known
    worker = app("0.0.0.0:8000", service_name="api")
    links, _ = link_routes([route("api:8000")], [django, worker])
    assert [link.app.service_name for link in links] == ["api"]
    # a name that is no known service (an alias, container_name) still links on the port
    links, _ = link_routes([route("app-alias:8000")], [django])
    assert [link.match for link in links] == ["wildcard"]
