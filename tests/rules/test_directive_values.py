"""A duration right after the nginx directive it belongs to is written as nginx takes it (`proxy_read_timeout 60s`);
prose durations stay SI (`drains in 35.1 s`). Checked in the rule sources and in every rendered example finding."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RULE_FILES = sorted((REPO / "rules").rglob("*.yaml"))
SNAPSHOTS = sorted((Path(__file__).with_name("snapshots")).glob("*.txt"))

# an nginx directive name (`{route.prefix}_read_timeout`, `keepalive_timeout`, ...) followed by duration(...)
DIRECTIVE_THEN_DURATION = re.compile(r"(?:\{route\.prefix\}_[a-z_]+|\b[a-z]+(?:_[a-z]+)*_time(?:out)?)\s+"
                                     r"\{duration\(")
# the same in rendered text: `proxy_read_timeout 60 s` (gunicorn's `timeout` and uWSGI's dashed options are prose)
RENDERED_SI_VALUE = re.compile(r"\b[a-z]+(?:_[a-z]+)*_time(?:out)?\s+\d+(?:\.\d+)? (?:s|ms|min|h)\b")


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
def test_rule_texts_write_a_directive_value_as_nginx_does(path: Path):
    found = DIRECTIVE_THEN_DURATION.findall(path.read_text(encoding="utf-8"))
    assert found == [], "use nginx_time(...) for the value right after an nginx directive"


@pytest.mark.parametrize("path", SNAPSHOTS, ids=lambda path: path.name)
def test_rendered_findings_write_a_directive_value_as_nginx_does(path: Path):
    assert RENDERED_SI_VALUE.findall(path.read_text(encoding="utf-8")) == []


def test_the_patterns_see_both_spellings():
    assert DIRECTIVE_THEN_DURATION.search("outlast {route.prefix}_read_timeout\n  {duration(route.read_timeout)}")
    assert DIRECTIVE_THEN_DURATION.search("keepalive_timeout {duration(upstream.keepalive_timeout)}")
    assert not DIRECTIVE_THEN_DURATION.search("gunicorn's timeout {duration(app.timeout)}")
    assert not DIRECTIVE_THEN_DURATION.search("{route.prefix}_read_timeout {nginx_time(route.read_timeout)}")
    assert RENDERED_SI_VALUE.search("past proxy_read_timeout\n     10 s: above")
    assert not RENDERED_SI_VALUE.search("proxy_read_timeout 10s and gunicorn's timeout 120 s")
