"""JUnit XML: one `<testsuite name="advisor">`, one failing `<testcase>` per finding, or one passing testcase when
there are no findings (CI dashboards then show a green check rather than an empty suite). What the run could not
check is a `<property name="advisor.notice">` of the suite and its `<system-out>` text."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from typing import Any, TextIO
from xml.etree import ElementTree

from advisor.engine.findings import Finding, Notice
from advisor.report.locations import (
    TOOL_NAME, location_text, notice_texts, primary_location, related_texts, relative_path,
)

NO_FILE = "(no file)"
NOTICE_PROPERTY = f"{TOOL_NAME}.notice"
_PLACEHOLDER = "advisor-testcase-placeholder"
_CASE_LEVEL = 2  # testsuites > testsuite > testcase
_CASE_SEPARATOR = "\n" + "  " * _CASE_LEVEL

# Characters XML 1.0 cannot carry at all (even escaped): C0 controls other than TAB/LF/CR, surrogates, U+FFFE/U+FFFF.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: Any) -> str:
    return _XML_INVALID.sub("\ufffd", str(text))


def render_junit(findings: Iterable[Finding], rules: Any = None, *, root: str,
                 notices: Iterable[Notice | str] = ()) -> str:
    """The JUnit XML document (with XML declaration) as one string. `rules` is unused (uniform signature)."""
    buffer = io.StringIO()
    write_junit(findings, buffer, root=root, notices=notices)
    return buffer.getvalue()


def write_junit(findings: Iterable[Finding], stream: TextIO, *, root: str,
                notices: Iterable[Notice | str] = ()) -> None:
    """Write the JUnit XML document to `stream` one testcase at a time: the suite's skeleton (counts, notices) is
    serialised around a placeholder testcase, and each finding's testcase is indented as it would be in the whole
    tree, so the text is the same as serialising one tree but memory does not grow with the findings."""
    findings = list(findings)
    suites = ElementTree.Element("testsuites", name=TOOL_NAME, tests=str(max(len(findings), 1)),
                                 failures=str(len(findings)), errors="0")
    suite = ElementTree.SubElement(suites, "testsuite", name=TOOL_NAME, tests=str(max(len(findings), 1)),
                                   failures=str(len(findings)), errors="0", skipped="0")
    texts = notice_texts(notices)
    if texts:  # <properties> comes first in a testsuite (JUnit XSD)
        properties = ElementTree.SubElement(suite, "properties")
        for text in texts:
            ElementTree.SubElement(properties, "property", name=NOTICE_PROPERTY, value=_clean(text))
    if not findings:
        name = "no problems found by the checks that ran" if texts else "all checks passed"
        ElementTree.SubElement(suite, "testcase", name=name, classname=TOOL_NAME)
    else:
        ElementTree.SubElement(suite, "testcase", name=_PLACEHOLDER)
    if texts:  # <system-out> follows the testcases
        ElementTree.SubElement(suite, "system-out").text = _clean("\n".join(f"note: {text}" for text in texts))
    ElementTree.indent(suites)
    skeleton = '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode") + "\n"
    if not findings:
        stream.write(skeleton)
        return
    before, after = skeleton.split(f'<testcase name="{_PLACEHOLDER}" />', 1)
    stream.write(before)
    for index, finding in enumerate(findings):
        if index:
            stream.write(_CASE_SEPARATOR)
        stream.write(_testcase_text(finding, root))
    stream.write(after)


def _testcase_text(finding: Finding, root: str) -> str:
    code, name = finding.code, finding.name or ""
    path, line, column = primary_location(finding)
    relative = relative_path(path, root) if path else None
    attributes = {"name": _clean(f"{TOOL_NAME}.{code}" + (f" {name}" if name else "")),
                  "classname": _clean(relative or TOOL_NAME)}
    if relative:
        attributes["file"] = _clean(relative)
        if line:
            attributes["line"] = str(line)
    case = ElementTree.Element("testcase", attributes)
    message = finding.message
    body = [f"{location_text(relative, line, column) or NO_FILE}: {code} {message}"]
    body += [f"{label}: {loc_message}" if loc_message else label
             for label, loc_message in related_texts(finding, root)]
    if finding.fix:
        body.append(f"help: {finding.fix}")
    failure = ElementTree.SubElement(case, "failure", message=_clean(message), type=_clean(finding.severity))
    failure.text = _clean("\n".join(body))
    ElementTree.indent(case, level=_CASE_LEVEL)
    return ElementTree.tostring(case, encoding="unicode")
