"""`# advisor: ignore[...]` comments: same line covers that line, own line covers the next directive."""

from __future__ import annotations

from pathlib import Path

from nginx_test_support import load_text, write

from advisor.loaders.nginx import load_nginx
from advisor.model.deployment import HostFacts


def test_suppression_lines(tmp_path: Path) -> None:
    result = load_text(tmp_path, """# advisor: file-ignore[NGX010] -- legacy file
http {
    proxy_read_timeout 600s;  # advisor: ignore[NGX001,P09] # long reports
    # an ordinary comment
    # advisor: ignore[NGX002]

    server {  # advisor: ignore[NGX003]
        location / {
            proxy_pass http://127.0.0.1:8000;
        }
    }
}
# advisor: ignore[NGX004]
""")
    found = {(s.line, s.codes, s.file_level, s.applies_to_line, s.reason) for s in result.suppressions}
    assert found == {
        (1, ("NGX010",), True, None, "legacy file"),
        (3, ("NGX001", "P09"), False, 3, "long reports"),
        (5, ("NGX002",), False, 7, None),  # own line: the next directive (the server block)
        (7, ("NGX003",), False, 7, None),  # after `{` on the block's line
        (13, ("NGX004",), False, 13, None),  # nothing follows: its own line
    }
    assert all(s.path.endswith("nginx.conf") for s in result.suppressions)


def test_suppressions_in_included_files_carry_their_path(tmp_path: Path) -> None:
    main = write(tmp_path, "nginx.conf", "http {\n    include app.conf;\n}\n")
    write(tmp_path, "app.conf", "server {\n    # advisor: ignore[NGX001]\n    listen 80;\n}\n")
    result = load_nginx(str(main), HostFacts.build())
    assert [(s.path, s.line, s.applies_to_line) for s in result.suppressions] == [(str(tmp_path / "app.conf"), 2, 3)]


def test_comment_between_arguments(tmp_path: Path) -> None:
    result = load_text(tmp_path, "http {\n    keepalive_timeout # advisor: ignore[NGX005]\n        30s;\n}\n")
    assert [(s.line, s.applies_to_line) for s in result.suppressions] == [(2, 2)]
