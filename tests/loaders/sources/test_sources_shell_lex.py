"""The shell tokenizer agrees with shlex.split on quoting and keeps every character's position."""

from __future__ import annotations

import shlex

import pytest

from advisor.loaders.sources.shell_lex import CommandSub, Lit, Op, Param, Word, tokenize
from advisor.loaders.sources.text import SourceText


def words(text: str, shell: bool = True) -> list[Word]:
    return [token for token in tokenize(SourceText("s", text).ptext(), shell=shell).tokens
            if isinstance(token, Word)]


def literal_texts(text: str) -> list[str]:
    return ["".join(part.text.text if isinstance(part, Lit) else part.raw.text for part in word.parts)
            for word in words(text, shell=False)]


@pytest.mark.parametrize("text", [
    "gunicorn app:app -w 4 --bind 0.0.0.0:8000",
    "gunicorn 'CTFd:create_app()'  --bind '0.0.0.0:8000'",
    'gunicorn --forwarded-allow-ips="10.170.3.217,10.170.3.220" test:app',
    r'echo a\ b "c \"d\"" e\\f',
    "gunicorn --proxy-allow-from '*' app:app",
    "a 'it''s' \"x y\"z",
])
def test_quoting_matches_shlex(text):
    assert literal_texts(text) == shlex.split(text)


def test_positions_survive_quotes_and_continuations():
    source = SourceText("start.sh", "exec gunicorn \\\n    --bind '0.0.0.0:8000' \\\n    -w4 app\n")
    found = words(source.text)
    assert [word.raw.text for word in found] == ["exec", "gunicorn", "--bind", "'0.0.0.0:8000'", "-w4", "app"]
    bind_value = found[3].parts[0]
    assert isinstance(bind_value, Lit) and bind_value.quoted
    assert bind_value.text.text == "0.0.0.0:8000"
    assert (bind_value.text.at().line, bind_value.text.at().column) == (2, 13)  # after the quote
    assert (found[4].raw.at().line, found[4].raw.at().column) == (3, 5)


def test_parameter_expansions_are_parsed_not_expanded():
    found = words('-w${REDASH_WEB_WORKERS:-4} "$WORKER_CLASS" ${X-a b} $(id -u) `date` ${#X} $1')
    glued = found[0].parts
    assert isinstance(glued[0], Lit) and glued[0].text.text == "-w"
    assert isinstance(glued[1], Param) and (glued[1].name, glued[1].op) == ("REDASH_WEB_WORKERS", ":-")
    assert glued[1].arg[0].text.text == "4"
    quoted = found[1].parts[0]
    assert isinstance(quoted, Param) and quoted.quoted and quoted.name == "WORKER_CLASS"
    assert found[2].parts[0].op == "-" and found[2].parts[0].arg[0].text.text == "a b"
    assert isinstance(found[3].parts[0], CommandSub) and isinstance(found[4].parts[0], CommandSub)
    assert found[5].parts[0].op == "unsupported"
    assert found[6].parts[0].name == "1"


def test_operators_comments_and_heredocs():
    text = "a=1; b && c || d | e & # comment\npython << END\nimport gunicorn\nEND\nf 2>&1 > log\n"
    tokens = tokenize(SourceText("s", text).ptext()).tokens
    shown = [token.text if isinstance(token, Op) else token.raw.text for token in tokens]
    assert shown == ["a=1", ";", "b", "&&", "c", "||", "d", "|", "e", "&", "\n", "python", "<<", "END", "\n",
                     "f", ">&", "1", ">", "log", "\n"]


def test_escaped_quotes_inside_command_substitution():
    text = 'val=$(eval "echo \\"\\$$var\\"")\nexec gunicorn app\n'
    result = tokenize(SourceText("s", text).ptext())
    assert result.errors == []
    assert [token.raw.text for token in result.tokens if isinstance(token, Word)][-2:] == ["gunicorn", "app"]


def test_unterminated_quote_is_reported_with_position():
    result = tokenize(SourceText("s", "gunicorn 'app\n").ptext())
    assert [(where.at().line, message) for where, message in result.errors] == [(1, "unterminated single quote")]
