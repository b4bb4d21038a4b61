"""All rules over the real-world corpus (shared/corpus): no rule errors, and known pairs give known answers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from advisor.commands.options import HostOptions, Inputs
from advisor.engine.rules import load_rules
from advisor.engine.run import run_rules
from advisor.engine.selection import select_rules
from advisor.model.build import build_deployment, host_facts_from_options

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
pytestmark = pytest.mark.skipif(not (CORPUS / "SOURCES.tsv").is_file(), reason="shared corpus not available")
RULES = load_rules()
SELECTED = select_rules(RULES)
NOT_NGINX = (".py", ".sh", ".yml", ".yaml", ".service", ".md")


def _nginx_files() -> list[str]:
    if not (CORPUS / "SOURCES.tsv").is_file():
        return []
    with open(CORPUS / "SOURCES.tsv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [row["local_path"] for row in rows if row["kind"] in ("nginx", "pair-member")
            and not row["local_path"].endswith(NOT_NGINX) and "__run" not in row["local_path"]
            and not row["local_path"].endswith("__start")]


def _run(nginx: list[str], app: list[str] = ()):
    inputs = Inputs(nginx=[str(CORPUS / path) for path in nginx], app=[str(CORPUS / path) for path in app])
    deployment = build_deployment(inputs, host_facts_from_options(HostOptions()))
    return run_rules(deployment, RULES, SELECTED, strict=True)


def test_every_corpus_nginx_file_evaluates():
    files = _nginx_files()
    assert len(files) > 90
    for path in files:
        _run([path])  # strict: a rule expression error raises


def _codes(result, severities=("error", "warning")):
    return sorted({finding.code for finding in result.findings if finding.severity in severities})


def test_netbox_pair_is_clean():
    result = _run(["netbox-community__netbox/contrib__nginx.conf"], ["netbox-community__netbox/contrib__gunicorn.py"])
    assert _codes(result) == []


def test_gunicorn_examples_disagree_on_the_socket():
    """gunicorn's own example nginx.conf uses unix:/tmp/gunicorn.sock; its example_config.py binds TCP."""
    result = _run(["benoitc__gunicorn/examples__nginx.conf"], ["benoitc__gunicorn/examples__example_config.py"])
    assert _codes(result) == ["ADR003"]


def test_default_bind_is_a_warning_not_an_error():
    """InvenTree's gunicorn.conf.py sets no bind (its container passes -b 0.0.0.0:8000): warn, do not fail hard."""
    result = _run(["inventree__InvenTree/contrib__container__nginx.conf"],
                  ["inventree__InvenTree/contrib__container__gunicorn.conf.py"])
    assert _codes(result) == ["ADR007"]
    assert _codes(result, ("error",)) == []
