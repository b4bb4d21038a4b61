"""crossplane's directive table and external-lexer names, as the loader reads them without importing crossplane
(advisor/loaders/nginx/crossplane_tables.py): the same data as crossplane's modules, from a cache that a changed
crossplane or a file others can write does not feed."""

from __future__ import annotations

import marshal
import os
import subprocess
import sys
from pathlib import Path

import crossplane.analyzer
import crossplane.lexer

from advisor.loaders.nginx import crossplane_tables

PROBE = """\
import sys
from advisor.loaders.nginx import crossplane_tables
from advisor.loaders.nginx.lexer import lex_text
tokens = list(lex_text("content_by_lua_block {\\n  ngx.say('{ }')\\n}\\nlisten 80;\\n", "f.conf"))
print(len(crossplane_tables.analyzer.DIRECTIVES), "crossplane.analyzer" in sys.modules, tokens[1][0].strip(), sep="|")
"""


def test_the_tables_are_crossplanes():
    analyzer = crossplane_tables.analyzer
    assert analyzer.DIRECTIVES == crossplane.analyzer.DIRECTIVES
    assert analyzer.NGX_HTTP_LOC_CONF == crossplane.analyzer.NGX_HTTP_LOC_CONF
    assert analyzer.NGX_CONF_BLOCK == crossplane.analyzer.NGX_CONF_BLOCK
    assert crossplane_tables.EXTERNAL_LEXER_DIRECTIVES == set(crossplane.lexer.EXTERNAL_LEXERS)


def _probe(cache: Path, script: str = PROBE) -> list[str]:
    env = {**os.environ, "ADVISOR_CACHE_DIR": str(cache)}
    env.pop("ADVISOR_NO_CACHE", None)  # the test session turns caches off
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60,
                          check=True)
    return done.stdout.strip().split("|")


def _cache_file(cache: Path) -> Path:
    [path] = cache.glob("crossplane-tables-*.marshal")
    return path


def test_a_second_process_reads_the_cache_and_imports_crossplane_only_for_a_lua_block(tmp_path: Path):
    cache = tmp_path / "cache"
    count = str(len(crossplane.analyzer.DIRECTIVES))
    # first run: read from crossplane (and cached); the Lua block is lexed by crossplane's external lexer
    assert _probe(cache) == [count, "True", "ngx.say('{ }')"]
    assert _cache_file(cache).stat().st_size > 1000
    probe_without_lua = PROBE.replace("content_by_lua_block {\\n  ngx.say('{ }')\\n}\\n", "a b;\\n")
    assert _probe(cache, probe_without_lua) == [count, "False", "b"]


def test_a_cache_for_another_crossplane_or_writable_by_others_is_not_used(tmp_path: Path):
    cache = tmp_path / "cache"
    _probe(cache)
    path = _cache_file(cache)
    stamp, directives, masks, external = marshal.loads(path.read_bytes())
    path.write_bytes(marshal.dumps((stamp, {"only": [1]}, masks, external)))
    os.chmod(path, 0o600)
    assert _probe(cache)[0] == "1"  # this user's file with the current stamp is trusted
    path.write_bytes(marshal.dumps((("another crossplane",), {"only": [1]}, masks, external)))
    assert _probe(cache)[0] == str(len(crossplane.analyzer.DIRECTIVES))  # stale stamp: read again, rewritten
    assert len(marshal.loads(path.read_bytes())[1]) == len(crossplane.analyzer.DIRECTIVES)
    path.write_bytes(marshal.dumps((stamp, {"only": [1]}, masks, external)))
    os.chmod(path, 0o666)
    assert _probe(cache)[0] == str(len(crossplane.analyzer.DIRECTIVES))
