"""Derived facts that read model objects (a route's targets, a link's bind, the deployment's app servers) rather than
single settings; advisor/engine/derived.py has the ones computed from settings. Each returns a Setting whose source
points at the config lines it came from, unknown when an input is."""

from __future__ import annotations

from typing import Any

from advisor.model.deployment import Deployment, Link, Route, Setting, Source


def fact(value: Any, formula: str, *inputs: Source) -> Setting:
    return Setting(value, Source.derived(formula, *inputs))


def assumed_default(source: Source) -> bool:
    """A server default nobody asked for: no config line, no command line, no `--env` value behind it."""
    def user_given(item: Source) -> bool:
        return item.kind in ("file", "option") or any(user_given(inner) for inner in item.inputs)

    return source.kind == "default" and not user_given(source)


def target_kind(route: Route, pass_source: Source) -> Setting:
    """`unix`, `tcp` or `mixed`; unknown unless every target address is known (one templated `server` line of an
    upstream could be the other kind)."""
    addresses = route.target.addresses
    if not addresses or not all(address.known and hasattr(address.value, "kind") for address in addresses):
        return Setting.unknown("the route's target addresses are not known")
    kinds = {address.value.kind for address in addresses}
    return fact(kinds.pop() if len(kinds) == 1 else "mixed", "target address kinds", pass_source)


def bind_protocol(link: Link, bind_source: Source) -> Setting:
    """What the app speaks at the linked bind: a uWSGI socket's own protocol (`socket` uwsgi, `http-socket` http,
    `http` http-router ...), gunicorn's `protocol`, HTTP for uvicorn."""
    app = link.app
    listener = next((item for item in app.listeners if item.address == link.bind), None)
    if listener is not None:
        return Setting(listener.protocol, listener.source, listener.option)
    if app.kind == "gunicorn":
        return app.settings.get("protocol") or Setting.unknown("gunicorn's protocol is not in the model")
    if app.kind == "uwsgi":
        return Setting.unknown("the uWSGI socket and its protocol are not known", bind_source.path, bind_source.line)
    return Setting("http", Source.derived(f"{app.kind} speaks HTTP", bind_source))


# What a pass module sends and what an app protocol understands, by family.
_PASS_FAMILIES = {"proxy": "http", "uwsgi": "uwsgi", "fastcgi": "fastcgi", "scgi": "scgi"}
_PROTOCOL_FAMILIES = {"http": "http", "http11": "http", "https": "http", "http-router": "http",
                      "https-router": "http", "uwsgi": "uwsgi", "suwsgi": "uwsgi", "puwsgi": "uwsgi",
                      "fastcgi": "fastcgi", "fastcgi-nph": "fastcgi", "scgi": "scgi", "scgi-nph": "scgi"}


def protocol_ok(route: Route, protocol: Setting) -> Setting:
    """Whether the route's pass module speaks the protocol of the linked bind (unknown for grpc_pass,
    memcached_pass and protocols advisor does not classify, such as uWSGI's raw sockets)."""
    if not protocol.known:
        return protocol
    sends = _PASS_FAMILIES.get(route.kind)
    understands = _PROTOCOL_FAMILIES.get(str(protocol.value))
    if sends is None or understands is None:
        return Setting.unknown(f"{route.kind}_pass to a {protocol.value} socket is not classified")
    return fact(sends == understands, f"{route.kind}_pass speaks {sends}, the bind {understands}",
                route.pass_directive.source, protocol.source)


def bind_source(link: Link) -> Source:
    """Where the linked bind is written: a uWSGI socket's own line, else the app's `bind` (or the app itself)."""
    listener = next((item for item in link.app.listeners if item.address == link.bind), None)
    if listener is not None:
        return listener.source
    bind_setting = link.app.settings.get("bind")
    return bind_setting.source if bind_setting is not None else link.app.source


def bind_command_line_given(deployment: Deployment, bind: Setting) -> Setting:
    """Whether the command line that starts the server with `bind` is among the inputs. When it is not, that
    command line may pass -b/--bind and override a config file's bind (or gunicorn's default)."""
    owners = [app for app in deployment.apps if bind.value in app.binds] or deployment.apps
    given = bool(owners) and all(app.source.line is not None for app in owners)
    return fact(given, "the command line that starts the server with this bind is an input", bind.source)


def bind_server(deployment: Deployment, bind: Setting) -> Setting:
    """Which server (gunicorn, uvicorn) listens on `bind`, for rule texts; "the app server" if not clear."""
    owners = [app for app in deployment.apps if bind.value in app.binds]
    kinds = {app.kind for app in owners or deployment.apps}
    if len(kinds) == 1:
        owner = owners[0] if owners else deployment.apps[0]
        return Setting(kinds.pop(), owner.source)
    return Setting("the app server", Source.derived("several kinds of app server", bind.source))


def bind_with_app_file(deployment: Deployment, bind: Setting) -> Setting:
    """A default bind has no position of its own; point it at the app config that has that bind."""
    if bind.source.position() is not None:
        return bind
    for app in deployment.apps:
        if bind.value in app.binds and app.source.path:
            return Setting(bind.value, Source.derived(bind.source.describe(), Source.file(app.source.path, 1)),
                           bind.raw)
    return bind


def deployment_anchor(deployment: Deployment) -> Source | None:
    """Where a deployment-wide finding points: the nginx config, else the first app server."""
    if deployment.nginx is not None:
        return Source.file(deployment.nginx.root, 1)
    return deployment.apps[0].source if deployment.apps else None
