"""gunicorn configs written as templates: placeholders are unknown values, never syntax errors or literal text."""

from __future__ import annotations

from gunicorn_helpers import load_text, reason, value

from advisor.loaders.gunicorn.template_fill import fill_template, is_template_name, restore


def _errors(result) -> list[str]:
    return [d.message for d in result.diagnostics if d.severity != "info"]


def test_python_format_template_loads_with_unknown_placeholders(tmp_path):
    result = load_text(tmp_path, """\
        import multiprocessing

        bind = "unix:%(proj_path)s/gunicorn.sock"
        workers = %(num_workers)s
        errorlog = "/home/%(user)s/logs/%(proj_name)s_error.log"
        loglevel = "error"
        timeout = 45
        """, name="gunicorn.conf.py.template")
    assert not result.diagnostics
    assert reason(result, "workers") == "template placeholder %(num_workers)s"
    assert result.app.settings["workers"].raw == "%(num_workers)s"
    assert reason(result, "bind") == "template placeholder %(proj_path)s"
    assert result.app.settings["bind"].raw == "unix:%(proj_path)s/gunicorn.sock"  # the address as written
    assert reason(result, "errorlog") == "template placeholder %(user)s"
    assert value(result, "loglevel") == "error" and value(result, "timeout") == 45
    assert result.app.settings["workers"].source.line == 4


def test_unparseable_config_with_placeholders_is_a_template_whatever_its_name(tmp_path):
    result = load_text(tmp_path, """\
        workers = {{ gunicorn_workers }}
        bind = ["unix:{{ run_dir }}/app.sock", "127.0.0.1:{{ port }}"]
        keepalive = 5
        """)
    assert not _errors(result)
    assert "{{ gunicorn_workers }}" in reason(result, "workers")
    assert result.app.settings["bind"].raw == "unix:{{ run_dir }}/app.sock, 127.0.0.1:{{ port }}"
    assert value(result, "keepalive") == 5


def test_placeholders_inside_calls_do_not_raise(tmp_path):
    result = load_text(tmp_path, """\
        import os
        workers = int("<%= @workers %>")
        threads = int(os.environ.get("THREADS", "${DEFAULT_THREADS}"))
        if "%(env)s" == "production":
            timeout = 120
        """, name="gunicorn.conf.py.erb")
    assert not _errors(result)
    assert "<%= @workers %>" in reason(result, "workers")
    assert "${DEFAULT_THREADS}" in reason(result, "threads")
    assert not result.app.settings["timeout"].known  # the condition is a placeholder


def test_settings_between_template_statements_are_unknown(tmp_path):
    result = load_text(tmp_path, """\
        bind = "0.0.0.0:8000"
        {% if gunicorn_async %}
        worker_class = "gevent"
        {% else %}
        worker_class = "sync"
        {% endif %}
        timeout = 60
        """, name="gunicorn.conf.py.j2")
    assert "{% if gunicorn_async %}" in reason(result, "worker_class")
    assert "whether the template renders it is not known" in reason(result, "worker_class")
    assert value(result, "timeout") == 60 and str(value(result, "bind")[0]) == "0.0.0.0:8000"


def test_placeholder_standing_as_a_statement_may_set_anything(tmp_path):
    result = load_text(tmp_path, """\
        workers = 3
        {{ extra_gunicorn_settings }}
        timeout = 60
        """, name="gunicorn.conf.py.j2")
    assert not _errors(result)
    assert "the template inserts at line 2" in reason(result, "workers")
    assert "the template inserts at line 2" in reason(result, "keepalive")  # a default may be overridden too
    assert value(result, "timeout") == 60


def test_template_that_stays_unreadable_is_an_info_note(tmp_path):
    result = load_text(tmp_path, """\
        workers = %(num_workers)s
        for each in %(items)s do
        """)
    assert [(d.code, d.severity) for d in result.diagnostics] == [("ADV004", "info")]
    assert "could not be read as Python" in reason(result, "workers")


def test_python_format_strings_of_a_plain_config_are_values(tmp_path):
    result = load_text(tmp_path, """\
        access_log_format = '%(h)s %(l)s "%(r)s" %(s)s'
        bind = "unix:/run/{{ not_rendered }}.sock"
        """)
    assert value(result, "access_log_format") == '%(h)s %(l)s "%(r)s" %(s)s'  # valid Python: not a template


def test_syntax_error_without_placeholders_is_still_an_error(tmp_path):
    result = load_text(tmp_path, "workers = 4 +\n")
    assert [(d.code, d.severity) for d in result.diagnostics] == [("ADV004", "error")]


def test_fill_and_restore_round_trip():
    text = "workers = %(n)s  # keep %%(literal)s\nbind = '{{ a }}:{{ b }}'\n"
    filled = fill_template(text)
    assert "%%(literal)s" in filled.text  # an escaped percent is no placeholder
    assert restore(filled.text, filled.placeholders) == text
    assert is_template_name("deploy/gunicorn.conf.py.j2") and not is_template_name("gunicorn.conf.py")
