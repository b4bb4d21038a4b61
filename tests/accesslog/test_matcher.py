"""nginx's choice of server and location, as advisor.accesslog.matcher reproduces it."""

from __future__ import annotations

import pytest

from advisor.accesslog.matcher import UNDECIDED, LocationMatcher, ServerSelector, normalize_uri, request_path
from advisor.loaders.nginx.sites import parse_listen, split_location
from advisor.model.nginx_sites import ListenDef, LocationDef, ServerDef


def loc(spec: str, *children: LocationDef, line: int = 0) -> LocationDef:
    modifier, pattern = split_location(spec.split(" ", 1) if " " in spec else [spec])
    return LocationDef(modifier, pattern, "nginx.conf", line or hash(spec) % 10_000, tuple(children))


def matched(locations: list[LocationDef], uri: str) -> str | None:
    found = LocationMatcher(tuple(locations)).match(uri)
    if found is UNDECIDED:
        return "UNDECIDED"
    return None if found is None else f"{found.modifier} {found.pattern}".strip()


SITE = [
    loc("/"),
    loc("/api/"),
    loc("/api/v2/"),
    loc("= /api/health"),
    loc("^~ /static/"),
    loc("~ \\.php$"),
    loc("~* \\.(png|jpg)$"),
    loc("~ ^/api/v2/admin"),
    loc("@app"),
]


@pytest.mark.parametrize("uri, expected", [
    ("/api/health", "= /api/health"),  # exact wins over everything
    ("/api/health/x", "/api/"),  # not exact: the longest prefix
    ("/api/v2/users", "/api/v2/"),  # longest prefix
    ("/api/v2/admin/x", "~ ^/api/v2/admin"),  # a regex beats the longest prefix
    ("/static/logo.png", "^~ /static/"),  # ^~ stops the regex search
    ("/img/logo.PNG", "~* \\.(png|jpg)$"),  # ~* is caseless
    ("/index.php", "~ \\.php$"),  # regexes in order: the first that matches
    ("/INDEX.PHP", "/"),  # ~ is case-sensitive
    ("/other", "/"),
])
def test_location_rules(uri: str, expected: str) -> None:
    assert matched(SITE, uri) == expected


def test_regexes_are_tried_in_config_order() -> None:
    locations = [loc("~ ^/a"), loc("~ ^/a/b")]
    assert matched(locations, "/a/b/c") == "~ ^/a"


def test_nested_locations_are_searched_inside_the_matched_prefix() -> None:
    api = loc("/api/", loc("/api/upload/"), loc("~ \\.json$", line=99))
    locations = [loc("/"), api, loc("~ ^/api/upload/big")]
    assert matched(locations, "/api/upload/file") == "/api/upload/"
    assert matched(locations, "/api/data.json") == "~ \\.json$"  # the nested regex matches first
    assert matched(locations, "/api/upload/big") == "~ ^/api/upload/big"  # an outer regex beats a nested prefix


def test_no_location_and_named_locations() -> None:
    assert matched([loc("/api/"), loc("@app")], "/other") is None
    assert matched([loc("@app")], "/app") is None


def test_pcre_named_groups_and_unreadable_regexes() -> None:
    assert matched([loc("/"), loc("~ ^/u/(?<id>\\d+)$")], "/u/42") == "~ ^/u/(?<id>\\d+)$"
    assert matched([loc("/"), loc("~ ^/(?<x")], "/a") == "UNDECIDED"  # Python cannot read it: say so
    assert matched([loc("^~ /"), loc("~ ^/(?<x")], "/a") == "^~ /"  # ... unless nginx never reaches it


def test_glued_modifiers() -> None:
    assert split_location(["=/x"]) == ("=", "/x")
    assert split_location(["~*\\.png$"]) == ("~*", "\\.png$")
    assert split_location(["@app"]) == ("@", "app")
    assert split_location(["^~", "/s/"]) == ("^~", "/s/")


@pytest.mark.parametrize("target, uri", [
    ("/a//b/./c/../d?x=1", "/a/b/d"),
    ("/caf%C3%A9/", "/café/"),
    ("/", "/"),
])
def test_uri_normalization(target: str, uri: str) -> None:
    assert normalize_uri(target) == uri


def test_request_path() -> None:
    assert request_path("GET /a?b=1 HTTP/1.1") == "/a?b=1"
    assert request_path("GET http://example.com/x HTTP/1.1") == "/x"
    assert request_path("-") is None


def server(names: str, *listens: str) -> ServerDef:
    return ServerDef(tuple(names.split()), tuple(parse_listen(listen.split()) for listen in listens), "nginx.conf",
                     hash(names) % 1000)


SERVERS = [
    server("redirect.example.com", "80"),
    server("example.com www.example.com", "443 ssl", "80"),
    server("*.example.com", "443 ssl"),
    server("api.*", "443 ssl"),
    server("~^(?<tenant>\\w+)\\.shop\\.net$", "443 ssl"),
    server("_", "443 ssl default_server"),
]


@pytest.mark.parametrize("host, port, expected", [
    ("www.example.com", 443, "example.com"),  # exact
    ("shop.example.com", 443, "*.example.com"),  # leading wildcard
    ("api.other.org", 443, "api.*"),  # trailing wildcard
    ("acme.shop.net", 443, "~^(?<tenant>\\w+)\\.shop\\.net$"),  # regex name
    ("unknown.org", 443, "_"),  # the port's default_server
    ("unknown.org", 80, "redirect.example.com"),  # no default_server: the first server on the port
    ("EXAMPLE.COM", 443, "example.com"),  # names are caseless
])
def test_server_selection(host: str, port: int, expected: str) -> None:
    chosen = ServerSelector(SERVERS).candidates(host, port)
    assert [s.names[0] for s in chosen] == [expected]


def test_unknown_port_or_host_leaves_every_possible_server() -> None:
    selector = ServerSelector(SERVERS)
    assert {s.names[0] for s in selector.candidates("unknown.org", None)} == {"redirect.example.com", "_"}
    assert len(selector.candidates(None, 443)) == 5
    assert [s.names[0] for s in selector.candidates(None, None, server_name="api.*")] == ["api.*"]


def test_listen_ports() -> None:
    assert parse_listen(["127.0.0.1:8080"]) == ListenDef("127.0.0.1:8080", 8080, False)
    assert parse_listen(["[::]:443", "ssl", "default_server"]).port == 443
    assert parse_listen(["[::1]"]).port == 80
    assert parse_listen(["localhost"]).port == 80
    assert parse_listen(["unix:/run/nginx.sock"]).port is None
