"""needs_rewrite finds a placeholder line by a quick scan for `$` at a line start before the full expression runs:
it answers as the full expression does."""

from __future__ import annotations

import random

import pytest

from advisor.loaders.nginx import templates


def _reference(text: str) -> bool:
    return ("{{" in text or "{%" in text or "<%" in text
            or ("$" in text and templates._OWN_LINE.search(text) is not None))


@pytest.mark.parametrize(("text", "expected"), [
    ("${EXTRA}\nhttp {}\n", True),  # first line
    ("http {\n    ${EXTRA_DIRECTIVES}\n}\n", True),
    ("http {\n\t$EXTRA;\n}\n", True),
    ("http {\n    set $x 1;\n    return 200 $host;\n}\n", False),  # variables inside statements
    ("http {\n    $host;\n}\n", False),  # lower case: an nginx variable, not a placeholder
    ("server {\n    listen {{ port }};\n}\n", True),
    ("", False),
])
def test_placeholder_lines(text: str, expected: bool) -> None:
    assert templates.needs_rewrite(text) is expected


def test_same_answer_as_the_full_expression() -> None:
    rng = random.Random(21)
    pieces = ["$", "${", "X", "x", "}", "\n", " ", "\t", ";", "a", "$A", "${B}", "\r\n", "#"]
    for _ in range(5000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(25)))
        assert templates.needs_rewrite(text) is _reference(text), repr(text)
