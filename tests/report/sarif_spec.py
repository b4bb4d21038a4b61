"""SARIF 2.1.0 checks that need no file from outside the repository.

The OASIS schema is not shipped here; this helper checks the objects advisor writes against the specification's
rules for them: required properties, the properties each object may have (the schema allows no others), enum values,
integer minimums and URI forms. Where ../shared/schemas is present the tests also validate against the full schema.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

LEVELS = ("none", "note", "warning", "error")
RESULT_KINDS = ("notApplicable", "pass", "fail", "review", "open", "informational")
COLUMN_KINDS = ("utf16CodeUnits", "unicodeCodePoints")

# object name -> (required properties, allowed properties): from the SARIF 2.1.0 specification's object definitions.
OBJECTS: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "log": (("version", "runs"), frozenset({"$schema", "version", "runs", "inlineExternalProperties", "properties"})),
    "run": (("tool",), frozenset({
        "addresses", "artifacts", "automationDetails", "baselineGuid", "columnKind", "conversion", "defaultEncoding",
        "defaultSourceLanguage", "externalPropertyFileReferences", "graphs", "invocations", "language",
        "logicalLocations", "newlineSequences", "originalUriBaseIds", "policies", "properties", "redactionTokens",
        "results", "runAggregates", "specialLocations", "taxonomies", "threadFlowLocations", "tool", "translations",
        "versionControlProvenance", "webRequests", "webResponses"})),
    "tool": (("driver",), frozenset({"driver", "extensions", "properties"})),
    "toolComponent": (("name",), frozenset({
        "associatedComponent", "contents", "dottedQuadFileVersion", "downloadUri", "fullDescription", "fullName",
        "globalMessageStrings", "guid", "informationUri", "isComprehensive", "language", "localizedDataSemanticVersion",
        "locations", "minimumRequiredLocalizedDataSemanticVersion", "name", "notifications", "organization", "product",
        "productSuite", "properties", "releaseDateUtc", "rules", "semanticVersion", "shortDescription",
        "supportedTaxonomies", "taxa", "translationMetadata", "version"})),
    "reportingDescriptor": (("id",), frozenset({
        "defaultConfiguration", "deprecatedGuids", "deprecatedIds", "deprecatedNames", "fullDescription", "guid",
        "help", "helpUri", "id", "messageStrings", "name", "properties", "relationships", "shortDescription"})),
    "multiformatMessageString": (("text",), frozenset({"markdown", "properties", "text"})),
    "message": ((), frozenset({"arguments", "id", "markdown", "properties", "text"})),
    "reportingConfiguration": ((), frozenset({"enabled", "level", "parameters", "properties", "rank"})),
    "result": (("message",), frozenset({
        "analysisTarget", "attachments", "baselineState", "codeFlows", "correlationGuid", "fingerprints", "fixes",
        "graphTraversals", "graphs", "guid", "hostedViewerUri", "kind", "level", "locations", "message",
        "occurrenceCount", "partialFingerprints", "properties", "provenance", "rank", "relatedLocations", "rule",
        "ruleId", "ruleIndex", "stacks", "suppressions", "taxa", "webRequest", "webResponse", "workItemUris"})),
    "location": ((), frozenset({"annotations", "id", "logicalLocations", "message", "physicalLocation", "properties",
                                "relationships"})),
    "physicalLocation": ((), frozenset({"address", "artifactLocation", "contextRegion", "properties", "region"})),
    "artifactLocation": ((), frozenset({"description", "index", "properties", "uri", "uriBaseId"})),
    "region": ((), frozenset({"byteLength", "byteOffset", "charLength", "charOffset", "endColumn", "endLine",
                              "message", "properties", "snippet", "sourceLanguage", "startColumn", "startLine"})),
    "invocation": (("executionSuccessful",), frozenset({
        "account", "arguments", "commandLine", "endTimeUtc", "environmentVariables", "executableLocation",
        "executionSuccessful", "exitCode", "exitCodeDescription", "exitSignalName", "exitSignalNumber", "machine",
        "notificationConfigurationOverrides", "processId", "processStartFailureMessage", "properties",
        "responseFiles", "ruleConfigurationOverrides", "startTimeUtc", "stderr", "stdin", "stdout", "stdoutStderr",
        "toolConfigurationNotifications", "toolExecutionNotifications", "workingDirectory"})),
    "notification": (("message",), frozenset({"associatedRule", "descriptor", "exception", "level", "locations",
                                              "message", "properties", "threadId", "timeUtc"})),
    "runAutomationDetails": ((), frozenset({"correlationGuid", "description", "guid", "id", "properties"})),
}


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, where: str, text: str) -> None:
        self.problems.append(f"{where}: {text}")

    def obj(self, value: Any, kind: str, where: str) -> bool:
        if not isinstance(value, dict):
            self.problem(where, f"{kind} must be an object")
            return False
        required, allowed = OBJECTS[kind]
        for key in required:
            if key not in value:
                self.problem(where, f"{kind} lacks required property {key!r}")
        for key in value:
            if key not in allowed:
                self.problem(where, f"{kind} does not allow property {key!r}")
        return True

    def array(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.problem(where, "must be an array")
            return []
        return value

    def string(self, value: Any, where: str) -> None:
        if not isinstance(value, str):
            self.problem(where, "must be a string")

    def integer(self, value: Any, where: str, minimum: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(where, f"must be an integer >= {minimum}")

    def enum(self, value: Any, where: str, choices: tuple[str, ...]) -> None:
        if value not in choices:
            self.problem(where, f"{value!r} is not one of {', '.join(choices)}")

    def absolute_uri(self, value: Any, where: str) -> None:
        if not isinstance(value, str) or not urlsplit(value).scheme or " " in value:
            self.problem(where, f"{value!r} is not an absolute URI")

    def uri_reference(self, value: Any, where: str) -> None:
        if not isinstance(value, str) or any(char in value for char in " <>\"{}|\\^`"):
            self.problem(where, f"{value!r} is not a URI reference")

    # -- objects advisor writes
    def log(self, log: Any) -> None:
        if not self.obj(log, "log", "$"):
            return
        if log.get("version") != "2.1.0":
            self.problem("$.version", "must be \"2.1.0\"")
        if "$schema" in log:
            self.absolute_uri(log["$schema"], "$.$schema")
        for index, run in enumerate(self.array(log.get("runs"), "$.runs")):
            self.run(run, f"$.runs[{index}]")

    def run(self, run: Any, where: str) -> None:
        if not self.obj(run, "run", where):
            return
        rules = self.tool(run.get("tool"), f"{where}.tool")
        if "columnKind" in run:
            self.enum(run["columnKind"], f"{where}.columnKind", COLUMN_KINDS)
        if "automationDetails" in run and self.obj(run["automationDetails"], "runAutomationDetails",
                                                    f"{where}.automationDetails"):
            if "id" in run["automationDetails"]:
                self.string(run["automationDetails"]["id"], f"{where}.automationDetails.id")
        for name, base in (run.get("originalUriBaseIds") or {}).items():
            place = f"{where}.originalUriBaseIds.{name}"
            if self.obj(base, "artifactLocation", place) and "uri" in base:
                self.absolute_uri(base["uri"], f"{place}.uri")
                if not str(base["uri"]).endswith("/"):
                    self.problem(f"{place}.uri", "a base URI must end with '/'")
        for index, invocation in enumerate(self.array(run.get("invocations", []), f"{where}.invocations")):
            self.invocation(invocation, f"{where}.invocations[{index}]")
        for index, result in enumerate(self.array(run.get("results", []), f"{where}.results")):
            self.result(result, f"{where}.results[{index}]", rules)

    def tool(self, tool: Any, where: str) -> list[Any]:
        if not self.obj(tool, "tool", where) or not self.obj(tool.get("driver"), "toolComponent", f"{where}.driver"):
            return []
        driver = tool["driver"]
        self.string(driver.get("name"), f"{where}.driver.name")
        if "informationUri" in driver:
            self.absolute_uri(driver["informationUri"], f"{where}.driver.informationUri")
        rules = self.array(driver.get("rules", []), f"{where}.driver.rules")
        for index, rule in enumerate(rules):
            self.descriptor(rule, f"{where}.driver.rules[{index}]")
        return rules

    def descriptor(self, rule: Any, where: str) -> None:
        if not self.obj(rule, "reportingDescriptor", where):
            return
        self.string(rule.get("id"), f"{where}.id")
        for key in ("shortDescription", "fullDescription", "help"):
            if key in rule and self.obj(rule[key], "multiformatMessageString", f"{where}.{key}"):
                self.string(rule[key].get("text"), f"{where}.{key}.text")
        if "helpUri" in rule:
            self.absolute_uri(rule["helpUri"], f"{where}.helpUri")
        configuration = rule.get("defaultConfiguration")
        if configuration is not None and self.obj(configuration, "reportingConfiguration",
                                                  f"{where}.defaultConfiguration"):
            if "level" in configuration:
                self.enum(configuration["level"], f"{where}.defaultConfiguration.level", LEVELS)
        tags = (rule.get("properties") or {}).get("tags", [])
        if not all(isinstance(tag, str) for tag in tags) or len(set(tags)) != len(tags):
            self.problem(f"{where}.properties.tags", "tags must be unique strings")

    def message(self, message: Any, where: str) -> None:
        if self.obj(message, "message", where) and "text" not in message and "id" not in message:
            self.problem(where, "a message needs text or id")

    def invocation(self, invocation: Any, where: str) -> None:
        if not self.obj(invocation, "invocation", where):
            return
        if not isinstance(invocation.get("executionSuccessful"), bool):
            self.problem(f"{where}.executionSuccessful", "must be a boolean")
        for index, note in enumerate(self.array(invocation.get("toolExecutionNotifications", []),
                                                f"{where}.toolExecutionNotifications")):
            place = f"{where}.toolExecutionNotifications[{index}]"
            if self.obj(note, "notification", place):
                self.message(note.get("message"), f"{place}.message")
                if "level" in note:
                    self.enum(note["level"], f"{place}.level", LEVELS)

    def result(self, result: Any, where: str, rules: list[Any]) -> None:
        if not self.obj(result, "result", where):
            return
        self.message(result.get("message"), f"{where}.message")
        if "level" in result:
            self.enum(result["level"], f"{where}.level", LEVELS)
        if "kind" in result:
            self.enum(result["kind"], f"{where}.kind", RESULT_KINDS)
        if "ruleIndex" in result:
            self.integer(result["ruleIndex"], f"{where}.ruleIndex", -1)
            index = result["ruleIndex"]
            if isinstance(index, int) and 0 <= index and (index >= len(rules) or
                                                          rules[index].get("id") != result.get("ruleId")):
                self.problem(f"{where}.ruleIndex", "does not point at the descriptor of ruleId")
        for index, location in enumerate(self.array(result.get("locations", []), f"{where}.locations")):
            self.location(location, f"{where}.locations[{index}]")
        ids: list[int] = []
        for index, location in enumerate(self.array(result.get("relatedLocations", []), f"{where}.relatedLocations")):
            self.location(location, f"{where}.relatedLocations[{index}]")
            if isinstance(location, dict) and "id" in location:
                ids.append(location["id"])
        if len(set(ids)) != len(ids):
            self.problem(f"{where}.relatedLocations", "location ids must be unique within a result")

    def location(self, location: Any, where: str) -> None:
        if not self.obj(location, "location", where):
            return
        if "id" in location:
            self.integer(location["id"], f"{where}.id", -1)
        if "message" in location:
            self.message(location["message"], f"{where}.message")
        physical = location.get("physicalLocation")
        if physical is None or not self.obj(physical, "physicalLocation", f"{where}.physicalLocation"):
            return
        artifact = physical.get("artifactLocation")
        place = f"{where}.physicalLocation.artifactLocation"
        if artifact is not None and self.obj(artifact, "artifactLocation", place):
            if "uri" in artifact:
                self.uri_reference(artifact["uri"], f"{where}.physicalLocation.artifactLocation.uri")
            if "uriBaseId" in artifact:
                self.string(artifact["uriBaseId"], f"{where}.physicalLocation.artifactLocation.uriBaseId")
        region = physical.get("region")
        if region is not None and self.obj(region, "region", f"{where}.physicalLocation.region"):
            for key in ("startLine", "startColumn", "endLine", "endColumn"):
                if key in region:
                    self.integer(region[key], f"{where}.physicalLocation.region.{key}", 1)


def sarif_problems(log: Any) -> list[str]:
    """What makes `log` (a parsed SARIF document) invalid SARIF 2.1.0, as `path: problem` lines; empty when valid."""
    checker = _Checker()
    checker.log(log)
    return checker.problems
