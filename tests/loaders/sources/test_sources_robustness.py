"""Bad input never raises: it becomes a diagnostic with the file (and line when known)."""

from __future__ import annotations

import pytest
from sources_helpers import CORPUS, load, load_text

from advisor.loaders.sources import SOURCE_KINDS

NASTY = {
    "binary": "\x00\x01\x02gunicorn\xff",
    "empty": "",
    "unterminated": "exec gunicorn 'app --workers ${X:-\n",
    "nested": "exec gunicorn $($($($(echo)))) ${A:-${B:-${C:-${D}}}} app",
    "self-merge": "x: &x\n  <<: *x\nservices:\n  web:\n    <<: *x\n    command: gunicorn app\n",
    "bad-yaml": "services: [\n",
    "not-a-mapping": "- just\n- a list\n",
    "deep-ifs": "if a; then\n" * 50 + "X=1\n" + "fi\n" * 50 + "exec gunicorn -w $X app\n",
    "operators-only": ";;; && || | & ( ) < >",
    "very-deep-default": "exec gunicorn -w " + "${A:-" * 2000 + "1" + "}" * 2000 + " app\n",
}


@pytest.mark.parametrize("kind", SOURCE_KINDS)
@pytest.mark.parametrize("name", sorted(NASTY))
def test_nasty_input_is_a_diagnostic_not_a_crash(tmp_path, kind, name):
    result = load_text(tmp_path, NASTY[name], kind, name=f"{name}.src")
    for diagnostic in result.diagnostics:
        assert diagnostic.message and diagnostic.path


def test_missing_file(tmp_path):
    result = load(tmp_path / "nope.sh", "shell")
    assert [(d.code, d.severity) for d in result.diagnostics] == [("ADV004", "error")]
    assert "cannot read" in result.diagnostics[0].message


def test_script_that_runs_itself_terminates(tmp_path):
    result = load_text(tmp_path, "#!/bin/sh\nsh ./loop.sh\nexec gunicorn app\n", "shell", name="loop.sh")
    assert len(result.apps) == 1


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not available")
@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_every_corpus_file_as_every_kind(kind):
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file() and path.suffix not in (".json", ".tsv"):
            load(path, kind)  # no exception, whatever the file is
