"""The Python launcher and Makefile fixtures, passed positionally with their nginx.conf: the kind is detected and
the route links to the server they start."""

from __future__ import annotations

import pytest
from sources_helpers import FIXTURES

from advisor.commands.options import HostFacts, Inputs
from advisor.loaders.deployment import build_deployment


@pytest.mark.parametrize("folder, source, match", [
    ("python", "serve", "unix"),
    ("makefile", "Makefile", "exact"),
])
def test_positional_new_kinds_link(folder, source, match):
    directory = FIXTURES / folder
    inputs = Inputs(paths=[str(directory / "nginx.conf"), str(directory / source)])
    deployment = build_deployment(inputs, HostFacts.build())
    assert [app.kind for app in deployment.apps] == ["gunicorn"]
    assert {link.match for link in deployment.links} == {match}
    assert not [d for d in deployment.diagnostics if d.severity in ("warning", "error")]
