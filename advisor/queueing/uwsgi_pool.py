"""What the queueing model takes from uWSGI (docs/model.md#uwsgi): which links are a plain pool of request slots, and
uWSGI's own timing constants, measured with uWSGI 2.0.30.

* A link is modelled when nginx reaches a worker socket that speaks nginx's protocol (`socket` for uwsgi_pass,
  `http-socket` for proxy_pass). uWSGI's HTTP router (`http = :8000`) is a separate process with its own queue and
  `http-timeout` in front of the workers, and a protocol mismatch fails every request: neither is a pool of slots.
* harakiri: the master compares whole-second clocks on its 1-s cycle, so a request is cut between about harakiri -
  1 s and harakiri + 1 s after it started (a 1-s window whose place depends on the master's phase, mean harakiri).
  The model cuts every request longer than harakiri at harakiri. The default harakiri-graceful-signal (SIGTERM)
  ends a uWSGI worker at once, so harakiri-graceful-timeout delays the cut only for an app that handles the signal.
* A killed worker is reaped and re-forked on the master's next cycle: about 1 s.
"""

from __future__ import annotations

from advisor.model.deployment import Link

HARAKIRI_KILL_LAG_S = 0.0  # the model cuts at harakiri itself (the mean over the master's phase)
RESPAWN_S = 1.0  # a killed worker accepts again after the master's next 1-s cycle (plus the app import with lazy-apps)
HARAKIRI_STATUS = 502  # the worker dies without an answer: nginx logs "upstream prematurely closed connection"

ROUTER_PROTOCOLS = frozenset({"http-router", "https-router"})
# what each nginx pass module speaks and which uWSGI socket protocols understand it (as the ADR010 rule classifies)
_PASS_SPEAKS = {"proxy": "http", "uwsgi": "uwsgi", "fastcgi": "fastcgi", "scgi": "scgi"}
_PROTOCOL_SPEAKS = {"http": "http", "http11": "http", "https": "http", "uwsgi": "uwsgi", "suwsgi": "uwsgi",
                    "puwsgi": "uwsgi", "fastcgi": "fastcgi", "fastcgi-nph": "fastcgi", "scgi": "scgi",
                    "scgi-nph": "scgi"}


def linked_protocol(link: Link) -> str | None:
    """The protocol of the uWSGI socket the link reaches (None when the socket is not known)."""
    return link.app.protocol_of(link.bind)


def uwsgi_refusal(link: Link) -> str | None:
    """Why the model does not apply to this uWSGI link (None: it does): an HTTP router, a protocol that differs from
    what nginx sends, or one the model does not classify."""
    protocol = linked_protocol(link)
    route = link.route
    if protocol is None:
        return None
    if protocol in ROUTER_PROTOCOLS:
        return (f"nginx reaches uWSGI's HTTP router process ({protocol}, the `http` option), not the workers: the "
                "router keeps its own connections and http-timeout in front of an internal socket, so the workers "
                "are not a plain pool behind nginx. Bind the workers with `http-socket` (proxy_pass) or `socket` "
                "(uwsgi_pass) and model that")
    sends = _PASS_SPEAKS.get(route.kind)
    understands = _PROTOCOL_SPEAKS.get(protocol)
    if sends is None or understands is None:
        return (f"{route.kind}_pass to a uWSGI {protocol} socket is not modelled, so no outcome is predicted for "
                "it. The model covers workers bound with `http-socket` behind proxy_pass or `socket` behind "
                "uwsgi_pass")
    if sends != understands:
        return (f"{route.kind}_pass speaks {sends} to a uWSGI socket that speaks {understands}: every request fails "
                "with 502 (see `advisor check`, ADR010), so there is no queue to model")
    return None


# the model's knob names (gunicorn's) -> uWSGI's options
OPTION_NAMES = {"workers": "processes", "backlog": "listen", "timeout": "harakiri", "threads": "threads"}


def option_line(knob: str, value: object, path: str | None) -> str:
    """The line that sets the model's `knob` to `value` in uWSGI's syntax for the file at `path` (an ini, yaml, json
    or xml config; anything else is a command line)."""
    name = OPTION_NAMES.get(knob, knob.replace("_", "-"))
    suffix = (path or "").rsplit(".", 1)[-1].lower() if path and "." in path else ""
    if suffix == "ini":
        return f"{name} = {value}"
    if suffix in ("yaml", "yml"):
        return f"{name}: {value}"
    if suffix == "json":
        return f'"{name}": {value}'
    if suffix == "xml":
        return f"<{name}>{value}</{name}>"
    return f"--{name} {value}"
