"""Template syntax is defined once (advisor/template_syntax.py) and read the same way by the classifier, the
directory walk and the gunicorn template reader."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from advisor.loaders.gunicorn.template_fill import fill_template, has_placeholders
from advisor.model.classify import looks_like_python
from advisor.template_syntax import DISTINCT_TEMPLATE_SUFFIXES, TEMPLATE_SUFFIXES, blank_template

ADVISOR = Path(__file__).resolve().parents[2] / "advisor"


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


@pytest.mark.parametrize("text", [
    "workers = %(num_workers)s\ntimeout = 30\n",
    'bind = "unix:{{ root }}/app.sock"\nworkers = {{ workers }}\n',
    "workers = ${WORKERS}\n",
    "<% if @tls %>\nkeyfile = '<%= @key %>'\n<% end %>\nworkers = <%= @workers %>\n",
    "{% if debug %}\nreload = True\n{% endif %}\nworkers = 2\n",
    "{{ {{ workers = 2\n",  # an opener without its end is no placeholder for either reader
])
def test_the_classifier_and_the_template_reader_agree(text: str) -> None:
    assert looks_like_python(text) == _parses(fill_template(text).text) == _parses(blank_template(text))


@pytest.mark.parametrize("opener", ["{{ ", "${", "<%= ", "{% ", "%("])
def test_placeholder_matching_is_linear_in_the_line_length(opener: str) -> None:
    text = "x = '" + opener * 20_000 + "'\n"
    started = time.perf_counter()
    has_placeholders(text)
    looks_like_python(text)
    fill_template(text)
    assert time.perf_counter() - started < 1.0  # a lazy `.*?` per opener took seconds here


def test_template_suffixes_are_declared_once() -> None:
    assert set(DISTINCT_TEMPLATE_SUFFIXES) < set(TEMPLATE_SUFFIXES)
    holders = [str(path.relative_to(ADVISOR)) for path in sorted(ADVISOR.rglob("*.py"))
               if '".jinja2"' in path.read_text(encoding="utf-8")]
    assert holders == ["template_syntax.py"]


def test_the_directory_walk_leaves_generic_suffixes_to_named_templates() -> None:
    from advisor.loaders.discover import _untemplated
    from advisor.loaders.gunicorn.template_fill import is_template_name

    assert _untemplated("default.conf.template") == "default.conf"
    assert _untemplated("requirements.in") == "requirements.in"  # not a script named `requirements`
    assert is_template_name("gunicorn.conf.py.in")
