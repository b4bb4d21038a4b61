"""Template syntax a file may hold before a template engine renders it, defined once: the file suffixes of
templates, and the placeholders and statements of the common engines (Python %-format, Jinja/Go `{{ }}` and
`{% %}`, envsubst `${X}`, ERB `<%= %>` and `<% %>`).

Used to classify inputs (advisor/model/classify.py), to find them in a directory (advisor/loaders/discover.py) and
to read gunicorn config templates (advisor/loaders/gunicorn/template_fill.py). Every pattern stops at the next
opener of its kind, so matching stays linear on lines such as `{{ {{ {{` (a lazy `.*?` retries from every opener).
"""

from __future__ import annotations

import re

from advisor.lazy_regex import lazy_re

# Suffixes that mark a template of the file named without them (`default.conf.template` renders `default.conf`).
DISTINCT_TEMPLATE_SUFFIXES = (".template", ".tpl", ".tmpl", ".j2", ".jinja", ".jinja2")
# Also `.erb` and `.in`: templates when the rest of the name says what they render (`gunicorn.conf.py.in`), but too
# common as other files (`requirements.in`, `Gemfile.erb`) to pick a file by while walking a directory.
TEMPLATE_SUFFIXES = (*DISTINCT_TEMPLATE_SUFFIXES, ".erb", ".in")

_PERCENT = r"(?<!%)%\([A-Za-z_][\w.]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]"  # %(name)s; %%(name)s is a literal
_BRACES = r"\{\{(?:(?!\{\{|\}\}).)*\}\}"  # {{ name }}: Jinja, Go, Mustache
_ENVSUBST = r"\$\{[^{}\n]*\}"  # ${NAME}
_ERB_VALUE = r"<%=(?:(?!<%|%>).)*%>"  # <%= name %>

# A value the template renders into the text.
PLACEHOLDER = lazy_re("|".join((_PERCENT, _BRACES, _ENVSUBST, _ERB_VALUE)))
# A statement or comment that renders no value: {% if x %}, {# note #}, <% end %>.
STATEMENT = r"\{%(?:(?!\{%|%\}).)*%\}|\{#(?:(?!\{#|#\}).)*#\}|<%(?!=)(?:(?!<%|%>).)*%>"
# A line of statements only.
STATEMENT_LINE = lazy_re(rf"^[ \t]*(?:(?:{STATEMENT})[ \t]*)+$", re.M)


def blank_template(text: str, value: str = "0") -> str:
    """The text with every placeholder replaced by `value` and every statement line emptied (line numbers kept):
    what a template looks like to a parser once rendered, whatever it renders."""
    return STATEMENT_LINE.sub("", PLACEHOLDER.sub(value, text))


__all__ = ["DISTINCT_TEMPLATE_SUFFIXES", "PLACEHOLDER", "STATEMENT", "STATEMENT_LINE", "TEMPLATE_SUFFIXES",
           "blank_template"]
