"""nginx parsing in linear time: our lexer yields crossplane's tokens; templates and long lines stay fast."""

from __future__ import annotations

import io
import random
import time
from pathlib import Path

import crossplane.lexer as cp_lexer
import pytest

from advisor.loaders.nginx.delimited import delimited_spans
from advisor.loaders.nginx.lexer import MAX_STATEMENT_TOKENS, lex_text
from advisor.loaders.nginx.parsing import MAX_LINE_CHARS, parse_file
from advisor.loaders.nginx import templates

SAMPLES = [
    "events {}\nhttp {\n  server { listen 80; location / { proxy_pass http://app; } }\n}\n",
    "a 'b c' \"d \\\" e\" f\\;g;\n# comment \\\nx y;\n",
    "server ${BACKEND} fail_timeout=0;\nset $x ${ Y };\nreturn 200 \"$host\";",
    "content_by_lua_block {\n  ngx.say('{ not a block }') -- comment }\n}\nlisten 80;\n",
    "set_by_lua_block $res { return 32 + math.cos(32) }\nx;",
    "unterminated 'quote\nfoo bar",
    "a {\n  b;\n",
    "a }\n",
    "\\",
    "k v\\",
    "#only a comment without newline",
    "x \"a\nb\" 'c\\'d';\r\ny;",
    "map $a $b { default 0; ~^x 1; }\n",
]


def _crossplane(text: str) -> list:
    out: list = []
    try:
        out.extend(cp_lexer._balance_braces(cp_lexer._lex_file_object(io.StringIO(text)), "f"))
    except Exception as error:  # noqa: BLE001 - the error is part of what is compared
        out.append((type(error).__name__, str(error)))
    return out


def _ours(text: str) -> list:
    out: list = []
    try:
        out.extend(lex_text(text, "f"))
    except Exception as error:  # noqa: BLE001
        out.append((type(error).__name__, str(error)))
    return out


@pytest.mark.parametrize("text", SAMPLES)
def test_same_tokens_as_crossplane(text: str) -> None:
    assert _ours(text) == _crossplane(text)


def test_same_tokens_as_crossplane_on_random_text() -> None:
    rng = random.Random(13)
    alphabet = ["a", " ", "\n", "\\", "\"", "'", "{", "}", ";", "#", "$", "${", "\t", "x",
                "content_by_lua_block", " -- ", "\u00a0"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(40)))
        assert _ours(text) == _crossplane(text), repr(text)


def test_a_long_comment_lexes_in_linear_time() -> None:
    text = "events {}\n# " + "x" * 3_000_000 + "\nhttp {}\n"
    start = time.perf_counter()
    tokens = list(lex_text(text, "f", max_token=10_000_000))
    assert time.perf_counter() - start < 10  # quadratic: minutes
    assert [token for token, _, _ in tokens if not token.startswith("#")] == ["events", "{", "}", "http", "{", "}"]


def test_too_many_arguments_is_a_syntax_error() -> None:
    with pytest.raises(Exception, match="more than 10000 arguments"):
        list(lex_text("server_name " + "a " * (MAX_STATEMENT_TOKENS + 5) + ";", "f"))


def test_a_line_over_the_limit_is_a_parse_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "nginx.conf"
    path.write_text("events {}\nhttp {\n  add_header X \"" + "y" * (MAX_LINE_CHARS + 1) + "\";\n}\n")
    parsed = parse_file(str(path))
    assert parsed.stmts == []
    assert [(error.line, error.message) for error in parsed.errors] == [
        (3, f"line 3 is longer than {MAX_LINE_CHARS} characters; the file was not parsed")]


def test_many_syntax_errors_stop_the_parse(tmp_path: Path) -> None:
    path = tmp_path / "nginx.conf"
    path.write_text("{ " * 5000)
    parsed = parse_file(str(path))
    assert len(parsed.errors) <= 102
    assert "more than 100 syntax errors" in parsed.errors[-1].message


def test_parse_reads_the_text_given_not_the_file_again(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "nginx.conf"
    path.write_text("events {}\nhttp { server { listen 80; } }\n")
    monkeypatch.setattr(cp_lexer.io, "open", lambda *args, **kwargs: pytest.fail("crossplane opened a file"))
    assert [stmt["directive"] for stmt in parse_file(str(path)).stmts] == ["events", "http"]


HOSTILE = ["{{ ", "{% ", "<% ", "<%= ", "{# ", "{{if ", "{{/* ", "${"]


@pytest.mark.parametrize("unit", HOSTILE)
def test_template_passes_are_linear(unit: str) -> None:
    line = unit * (60_000 // len(unit))
    text = "\n".join([line] * 8)
    start = time.perf_counter()
    if templates.needs_rewrite(text):
        templates.TemplateText().rewrite(text, {})
    templates.template_placeholders(line)
    assert time.perf_counter() - start < 10  # quadratic: minutes


def test_own_line_placeholders_are_counted_once() -> None:
    text = "server {\n" + "    ${EXTRA}\n" * 100_000 + "}\n"
    start = time.perf_counter()
    rewriter = templates.TemplateText()
    rewriter.rewrite(text, {})
    assert time.perf_counter() - start < 15  # quadratic: minutes
    assert rewriter.insertions[-1].line == 100_001


def test_scanners_agree_with_the_regular_expressions() -> None:
    rng = random.Random(7)
    alphabet = ["{", "}", "{{", "}}", "%", "<", ">", "<%", "%>", "#", "{#", "#}", "\n", " ", "-", "/*", "*/", "if",
                "end", "x", "=", "(", ")", "s", "{%", "%}", "$"]
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(30)))
        assert list(templates._statement_spans(text)) == [m.span() for m in templates._MUSTACHE_STMT.finditer(text)]
        assert list(delimited_spans(text, "{{", "}}")) == [m.span() for m in templates._MUSTACHE_EXPR.finditer(text)]
        assert list(delimited_spans(text, templates._ERB_STMT_OPEN, "%>")) == [
            m.span() for m in templates._ERB_STMT.finditer(text)]
