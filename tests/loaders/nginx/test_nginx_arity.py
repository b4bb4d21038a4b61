"""A main/events directive with the wrong number of arguments makes nginx refuse to start: ADV001 with nginx's text."""

from __future__ import annotations

from pathlib import Path

from nginx_test_support import REPO_ROOT, load_text, only

from advisor.loaders.nginx import load_nginx
from advisor.loaders.nginx.arity import arity_error
from advisor.model.deployment import HostFacts


def test_missing_semicolon_after_a_jinja_user_is_a_start_failure() -> None:
    path = REPO_ROOT / "fixtures" / "nginx-templates" / "cookiecutter-nginx.conf"
    diagnostic = only(load_nginx(str(path), HostFacts.build()), "ADV001")
    assert diagnostic.severity == "error" and diagnostic.line == 1 and diagnostic.column == 1
    assert diagnostic.message == 'invalid number of arguments in "user" directive'
    assert '"pid"' in diagnostic.fix and '";" is probably missing' in diagnostic.fix


def test_events_directive_and_valid_counts(tmp_path: Path) -> None:
    result = load_text(tmp_path, "user www-data www-data;\nworker_processes auto;\npid /run/nginx.pid;\n"
                                 "events {\n    worker_connections 1024 2048;\n    multi_accept on;\n}\nhttp {}\n")
    diagnostic = only(result, "ADV001")
    assert diagnostic.line == 5 and diagnostic.message == 'invalid number of arguments in "worker_connections" directive'


def test_placeholders_and_unknown_directives() -> None:
    assert arity_error("user", ["{{ cookiecutter.project_name }}"], False, "main") is None
    assert arity_error("worker_processes", [], False, "main") == \
        'invalid number of arguments in "worker_processes" directive'
    assert arity_error("load_module", ["a", "b"], False, "main") is not None
    assert arity_error("thirdparty_directive", ["a", "b", "c"], False, "main") is None
    assert arity_error("proxy_pass", ["a", "b"], False, "main") is None  # not a main directive: not judged here
    assert arity_error("daemon", ["${DAEMON}"], False, "main") is None
    assert arity_error("env", [], False, "main") is not None


def test_fragments_are_not_checked_as_main(tmp_path: Path) -> None:
    result = load_text(tmp_path, "server {\n listen 80;\n location / { proxy_pass http://127.0.0.1:8000; }\n}\n",
                       name="app.conf")
    assert result.diagnostics == []
