"""lazy_re: a module-level pattern compiled on first use, then used exactly like the compiled pattern."""

from __future__ import annotations

import re

from advisor.lazy_regex import lazy_re


def test_compiles_on_first_use_only(monkeypatch):
    compiled: list[str] = []
    real_compile = re.compile

    def recording_compile(pattern, flags=0):
        compiled.append(pattern)
        return real_compile(pattern, flags)

    monkeypatch.setattr(re, "compile", recording_compile)
    pattern = lazy_re(r"(\d+)(ms|s)?")
    assert compiled == []
    assert pattern.fullmatch("20ms").groups() == ("20", "ms")
    assert pattern.search("x 5s").group(1) == "5"
    assert compiled == [r"(\d+)(ms|s)?"]  # once, however often it is used


def test_behaves_like_the_compiled_pattern():
    text = "a=1, b=22\nC=333"
    for source, flags in ((r"^(\w)=(\d+)", re.MULTILINE | re.IGNORECASE), (r"(?P<key>\w)=(?P<value>\d+)", 0)):
        lazy, real = lazy_re(source, flags), re.compile(source, flags)
        assert [m.groups() for m in lazy.finditer(text)] == [m.groups() for m in real.finditer(text)]
        assert lazy.findall(text) == real.findall(text)
        assert lazy.sub("_", text) == real.sub("_", text)
        assert lazy.split(text) == real.split(text)
        assert (lazy.pattern, lazy.flags, lazy.groups, lazy.groupindex) == \
            (real.pattern, real.flags, real.groups, real.groupindex)
        for pos in (0, 4, 5):
            assert repr(lazy.match(text, pos)) == repr(real.match(text, pos))
            assert repr(lazy.search(text, pos)) == repr(real.search(text, pos))


def test_pattern_text_composes_and_bad_patterns_fail_on_use():
    inner = lazy_re(r"\d+")
    assert re.fullmatch(inner.pattern + "ms", "15ms")
    broken = lazy_re("(")
    try:
        broken.match("x")
    except re.error:
        pass
    else:
        raise AssertionError("an invalid pattern must raise re.error when used")
