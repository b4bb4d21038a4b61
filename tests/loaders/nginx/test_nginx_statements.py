"""The loader's own nginx parser (advisor/loaders/nginx/statements.py) gives what crossplane's parser gave on the same
tokens, the lexer's one-item statements are its token stream, and parsing leaves nothing for the cyclic GC."""

from __future__ import annotations

import gc
import io
import random
from pathlib import Path

import crossplane.lexer as cp_lexer
import crossplane.parser as cp_parser
import pytest
from crossplane.errors import NgxParserDirectiveArgumentsError

from advisor import readers
from advisor.loaders.nginx import columns, parse_errors, statements
from advisor.loaders.nginx.lexer import lex_statements, lex_text
from advisor.loaders.nginx.loader import load_nginx
from advisor.loaders.nginx.parsing import _long_line, parse_file
from advisor.model.deployment import HostFacts

REPO = Path(__file__).resolve().parents[3]
FIXTURES = sorted(path for path in (REPO / "fixtures").rglob("*.conf") if path.is_file())

SAMPLES = [
    "events { worker_connections 512; }\nhttp {\n  server { listen 80; location / { proxy_pass http://app; } }\n}\n",
    "http {\n  upstream app { server 10.0.0.1:80 max_fails=3; keepalive 8; }\n  # a comment\n}\n",
    "location / {\n  proxy_pass x }\n  listen 80;\n}\n",  # `}` ends a directive: recovery
    "server {\n  listen 80 {\n    a b;\n  }\n  server_name x;\n}\n",  # a simple directive opening a block
    "http;\nserver;\nlocation / ;\n",  # block directives without a block
    "; x;\n{ a; }\n",  # a lone `;` or `{` where a directive belongs
    "a b # c\n d;\nif ( $a = 1 ) { return 404; }\nif ($x) { }\n",
    "map $a $b {\n  default 0;\n  server 1;\n  http 2;\n}\n",  # free-form block keys
    "a \"{\" '}' b;\nc \"x\ny\" d;\n",  # quoted braces, a quoted newline
    "a {\n  b;\n",  # end of file inside a block
    "a }\n",
    "k v",  # end of file inside a statement
    "server ${BACKEND} fail_timeout=0;\nset $x ${ Y };\n",
    "content_by_lua_block {\n  ngx.say('{ not a block }')\n}\nlisten 80;\n",
    "x \\; y;\nz a\\ b;\n",
    "{ " * 300,  # more syntax errors than are reported
    "a { " * 50 + "}" * 50,
]


def _crossplane(text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    """crossplane's parser as the loader used to run it: our tokens, its analyzer cut to the termination checks."""
    seen = [0]

    def analyze(fname, stmt, term, ctx=(), **_options):  # noqa: ANN001, ANN202 - crossplane's signature
        try:
            statements._check_statement(fname, stmt, term, ctx)
        except parse_errors.NgxParserDirectiveArgumentsError as error:
            seen[0] += 1
            if seen[0] > statements.MAX_PARSE_ERRORS:
                raise statements.TooManyErrors(stmt["line"]) from None
            # crossplane's parser recovers from its own error class only
            raise NgxParserDirectiveArgumentsError(error.strerror, error.filename, error.lineno) from None

    with monkeypatch.context() as patch:
        patch.setattr(cp_parser, "lex", lambda filename: lex_text(text, filename))
        patch.setattr(cp_parser, "analyze", analyze)
        payload = cp_parser.parse("f.conf", catch_errors=True, single=True, comments=True, check_ctx=False,
                                  check_args=False)
    config = payload["config"][0]
    return config["parsed"], [(error["error"], error["line"]) for error in config["errors"]]


def _ours(text: str) -> tuple[list, list]:
    return statements.parse_tokens(lex_statements(text, "f.conf"), "f.conf")


def _random_texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    pieces = ["a", "bc", "\\", "\"", "'", "{", "}", ";", "#c", "$", "${", "x;", "{\n", "}\n", "'}'", "\"{\"",
              "if", "(", ")", " ( $a ) ", "http", "server", "location", "map", "listen", "proxy_pass", "upstream",
              "types", "content_by_lua_block", "#c\n", "\t"]
    return ["".join(rng.choice(pieces) + rng.choice(["", " ", "\n"]) for _ in range(rng.randrange(40)))
            for _ in range(count)]


def _mutations(seed: int, per_file: int) -> list[str]:
    rng = random.Random(seed)
    pieces = ["{", "}", ";", "\"", "'", "#", "\\", "$", "${", "\n", " ", "x"]
    texts = []
    for path in FIXTURES:
        text = path.read_text(encoding="utf-8", errors="replace")
        texts.append(text)
        for _ in range(per_file if text else 0):
            start = rng.randrange(len(text))
            texts.append(text[:start] + rng.choice(pieces) + text[start + rng.randrange(8):])
    return texts


@pytest.mark.parametrize("text", SAMPLES)
def test_same_statements_and_errors_as_crossplane(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _ours(text) == _crossplane(text, monkeypatch)


def test_same_as_crossplane_on_random_and_mutated_configs(monkeypatch: pytest.MonkeyPatch) -> None:
    assert FIXTURES
    for text in _random_texts(12, 1500) + _mutations(13, 6):
        assert _ours(text) == _crossplane(text, monkeypatch), repr(text[:300])


def _expanded(items: list) -> list:
    """lex_statements' items with each Statement spelled out as the tokens it stands for."""
    tokens = []
    for token, line, third in items:
        if isinstance(token, list):
            tokens.extend((word, line, False) for word in token)
            tokens.append((third, line, False))
        else:
            tokens.append((token, line, third))
    return tokens


def _collect(stream) -> list:  # noqa: ANN001 - any token iterator
    out: list = []
    try:
        out.extend(stream)
    except Exception as error:  # noqa: BLE001 - the error is part of what is compared
        out.append((type(error).__name__, str(error)))
    return out


def _up_to_error(tokens: list) -> list:
    """Before a syntax error, the tokens of the statement it cuts short (a statement item is checked as a whole)."""
    if tokens and len(tokens[-1]) == 2:
        error, tokens = tokens[-1], tokens[:-1]
        while tokens and not (tokens[-1][0] in ("{", "}", ";") and tokens[-1][2] is False):
            tokens.pop()
        tokens.append(error)
    return tokens


def test_statement_items_stand_for_the_same_tokens() -> None:
    items = list(lex_statements("a b c;\nd {\n  e f;\n}\n", "f"))
    assert items[:2] == [(["a", "b", "c"], 1, ";"), (["d"], 2, "{")]
    for text in SAMPLES + _random_texts(14, 1500) + _mutations(15, 4):
        ours = _collect(lex_statements(text, "f"))
        error = ours[-1:] if ours and len(ours[-1]) == 2 else []
        tokens = _expanded(ours[:len(ours) - len(error)]) + error
        assert _up_to_error(tokens) == _up_to_error(_collect(lex_text(text, "f"))), repr(text[:300])


def test_the_fast_lexer_gives_crossplanes_tokens_on_whole_configs() -> None:
    for text in _mutations(16, 3):
        expected = _collect(cp_lexer._balance_braces(cp_lexer._lex_file_object(io.StringIO(text)), "f"))
        assert _collect(lex_text(text, "f")) == expected


def test_parsing_leaves_no_reference_cycles(tmp_path: Path) -> None:
    """The statements are freed as soon as the loader drops them, not at some later garbage collection."""
    path = tmp_path / "nginx.conf"
    path.write_text(SAMPLES[0] + "http {\n  server {\n    proxy_pass x }\n}\n")
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        with readers.session():
            parsed = parse_file(str(path))
            assert parsed.stmts and parsed.errors
            del parsed
        assert gc.collect() == 0
    finally:
        if enabled:
            gc.enable()


def test_the_line_cache_is_dropped_after_loading(tmp_path: Path) -> None:
    path = tmp_path / "nginx.conf"
    path.write_text(SAMPLES[0])
    result = load_nginx(str(path), HostFacts.build())
    assert result.routes[0].pass_directive.source.column == 36  # read while loading
    assert columns._cache == {}


def test_long_line_is_found_without_splitting() -> None:
    assert _long_line("a" * 10 + "\n" + "b" * 10, 10) is None
    assert _long_line("a\n" + "b" * 11 + "\n" + "c" * 12, 10) == 2
    assert _long_line("c" * 11, 10) == 1
    assert _long_line("", 10) is None
