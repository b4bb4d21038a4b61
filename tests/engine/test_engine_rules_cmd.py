"""`advisor rules` and `advisor rule CODE|NAME`."""

from __future__ import annotations

import io
import json

from advisor.commands.rules_cmd import explain_rule_command, list_rules, list_rules_command
from advisor.engine.rules import load_rules


def _call(function, *args, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    code = function(*args, stdout=out, stderr=err, **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_table_lists_every_rule():
    table = list_rules().splitlines()
    assert table[0].split() == ["CODE", "NAME", "SEVERITY", "SUMMARY"]
    codes = [line.split()[0] for line in table[1:]]
    assert codes == [rule.code for rule in load_rules()]
    assert any("opt-in" in line for line in table if line.startswith("TMO007"))


def test_json_list():
    code, out, _ = _call(list_rules_command, [], "json")
    rows = json.loads(out)
    assert code == 0 and rows[0]["code"] == "ADR001"
    assert set(rows[0]) == {"code", "name", "severity", "scope", "enabled", "summary"}


def test_explain_by_code_or_name():
    code, page, _ = _call(explain_rule_command, "tmo002", [])
    assert code == 0 and page.startswith("# TMO002: proxy-read-timeout-below-app-time\n")
    for heading in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Example finding",
                    "## How to suppress", "## References", "advisor: ignore[TMO002]",
                    "TMO002 [warning] proxy_read_timeout 20s < gunicorn timeout 60 s"):
        assert heading in page
    assert _call(explain_rule_command, "proxy-read-timeout-below-app-time", [])[1] == page


def test_explain_json():
    code, out, _ = _call(explain_rule_command, "ADR004", [], "json")
    document = json.loads(out)
    assert code == 0 and document["code"] == "ADR004" and document["page"].startswith("# ADR004: ")
    assert "{route.link_target}" in document["explanation"] and "## Example finding" in document["page"]
    assert document["docs"]["references"]


def test_unknown_rule_and_format():
    code, out, err = _call(explain_rule_command, "XYZ999", [])
    assert code == 2 and out == "" and "no rule 'XYZ999'" in err
    assert _call(list_rules_command, [], "yaml")[0] == 2


def test_bad_rules_dir(tmp_path):
    (tmp_path / "bad.yaml").write_text("code: 1\n")
    code, _, err = _call(list_rules_command, [str(tmp_path)], "text")
    assert code == 2 and "bad.yaml" in err
