"""Load and validate rule files: one YAML file per rule, in folders by family (rules/timeouts/TMO002.yaml).

Schema (see a bundled rule for a full example):
  code: TMO002                      family prefix (3 letters) + 3 digits; stable
  name: kebab-case-bad-pattern
  severity: error | warning | info
  scope: route | upstream | app | link | deployment | diagnostic | unknown_setting
  summary: one line
  when: expression over facts       (optional for scope diagnostic, where the rule matches loader diagnostics by code)
  let: {name: expression, ...}      optional, evaluated in order after `when`, usable in templates and later lets
  at: ns.fact                       fact whose source is the primary location (default: the scope object)
  related: [ns.fact | {fact: ns.fact, message: template}]
  phrases: {name: {by: expression, VALUE: template, ..., else: template}}
                                    optional wording tables, evaluated after `let`: the value of `by` picks the
                                    template (`else` when no case matches), so prose stays in templates and
                                    expressions only compute values; usable in templates and later phrases
  phrases_from: NAME.phrases.yaml   optional: wording tables shared by several rules, in a file beside the rule
                                    (`phrases:` at its top); they come first, and the rule's own `phrases` replace a
                                    shared table of the same name in place or follow them
  message: template                 one sentence with the concrete values and the consequence; `{expression}`
                                    segments; `{{`/`}}` are literal braces; once `when` matched, a segment whose
                                    fact is unknown reads "unknown" (the finding is still reported)
  fix: template                     optional: one line, the concrete change
  explanation: template             optional: the mechanism, log lines and behaviour under load, with the
                                    finding's values (JSON, SARIF, `advisor check --explain`, the rule page)
  docs: {what, why, example, instead, references: [...]}
  examples: {fail: [{nginx, gunicorn, compose, options}], pass: [...]}   options: host facts (cpus, somaxconn,
                                    versions, env) and the workload (rps, service_time, error_budget)
  enabled: false                    optional: an opt-in rule, run only when a --select/--extend-select selector
                                    (a code, prefix, name or ALL) names it; for explanations that are not problems
  escalate: {warning: expression}   optional: a higher severity for a finding whose expression is true (evaluated
                                    after `let`); an unknown or absent fact keeps `severity` (never guesses upward)

For scope `diagnostic` the finding keeps the loader's severity for that diagnostic (an include glob that matches
nothing is info even though include-not-found is a warning); `severity` is the usual level.

Every problem is a RuleFileError naming the file and the key; the CLI exits 2 on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from advisor.engine import catalog
from advisor.engine.expressions import (
    CONSTANT_NAMES, FUNCTION_NAMES, Expression, ExpressionError, FactUnavailable, Template, compile_expression,
    compile_template, quick_unpickle,
)
from advisor.lazy_regex import lazy_re
from advisor.model.severity import Severity

CODE_PATTERN = lazy_re(r"^[A-Z]{3}\d{3}$")
NAME_PATTERN = lazy_re(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
FACT_PATTERN = lazy_re(r"^[a-z_]+\.[a-z_][a-z0-9_]*$")
DOC_SECTIONS = ("what", "why", "example", "instead", "references")
SNIPPET_KEYS = ("nginx", "gunicorn", "compose", "uwsgi")
EXAMPLE_KEYS = frozenset(SNIPPET_KEYS) | {"options", "note"}
OPTION_KEYS = frozenset({"cpus", "somaxconn", "nginx_version", "gunicorn_version", "env", "rps", "service_time",
                         "error_budget"})

_REQUIRED = ("code", "name", "severity", "scope", "summary", "message")
_OPTIONAL = ("when", "let", "phrases", "at", "related", "fix", "explanation", "docs", "examples", "enabled",
             "escalate")
PHRASE_SELECTOR, PHRASE_DEFAULT = "by", "else"
SHARED_PHRASES_KEY, PHRASE_FILE_SUFFIX = "phrases_from", ".phrases.yaml"  # shared wording tables, not rules


MAX_RULE_FILE_BYTES = 1024 * 1024  # a rule file is a few KB; --max-file-size is about the configs checked


class RuleFileError(Exception):
    """A rule file that cannot be used. The message names the file (and the key when there is one)."""


@quick_unpickle
@dataclass(frozen=True, slots=True)
class RelatedSpec:
    """A `related:` entry: a fact whose location the finding also points to."""

    fact: str
    message: Template | None = None


def case_key(value: Any) -> str:
    """The text a phrase case is keyed by: YAML `true:`/`2:` and the JSON rule cache's "true"/"2" keys, and the
    values `by` evaluates to, all compare as the same string."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if value is None:
        return "none"
    return str(value)


@quick_unpickle
@dataclass(frozen=True, slots=True)
class Phrase:
    """A wording table: `by` computes a value, the case with that value (else `default`) is the text."""

    name: str
    by: Expression
    cases: dict[str, Any]  # case_key(value) -> Template | DeferredTemplate
    default: Any = None    # Template | DeferredTemplate | None

    def template_for(self, value: Any) -> Any:
        """The template for `value`; None when no case matches and there is no `else`."""
        return self.cases.get(case_key(value), self.default)


@quick_unpickle
@dataclass(frozen=True, slots=True)
class Rule:
    """A validated rule file, its expressions and templates compiled."""

    code: str
    name: str
    severity: str
    scope: str
    summary: str
    message: Template
    path: str
    when: Expression | None = None
    lets: tuple[tuple[str, Expression], ...] = ()
    at: str | None = None
    related: tuple[RelatedSpec, ...] = ()
    fix: Template | None = None
    docs: dict[str, Any] = field(default_factory=dict)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    enabled: bool = True  # False: opt-in, only run when a selector names it
    escalations: tuple[tuple[str, Expression], ...] = ()  # (severity, condition), highest severity first
    phrases: tuple[Phrase, ...] = ()
    explanation: Template | None = None

    @property
    def family(self) -> str:
        return self.code[:3]

    def severity_for(self, evaluator: Any, names: dict[str, Any]) -> str:
        """The finding's severity: the first escalation whose condition holds, else `severity`.

        A condition that needs an unknown or absent fact (no workload given, a value the model cannot read) does
        not hold: a finding is raised only on evidence, never because a fact is missing."""
        for severity, condition in self.escalations:
            try:
                if evaluator.evaluate(condition, names):
                    return severity
            except FactUnavailable:
                continue
        return self.severity


def bundled_rules_dir() -> Path:
    """The rules shipped with advisor: inside the installed package (wheel), else `<repo>/rules` (source checkout
    or editable install)."""
    package = Path(__file__).resolve().parent.parent  # what importlib.resources.files("advisor") gives for a
    packaged = package / "rules"                        # regular install, without importing importlib.resources
    if packaged.is_dir():
        return packaged
    checkout = package.parent / "rules"
    if checkout.is_dir():
        return checkout
    raise RuleFileError("advisor rule files not found (broken install?): expected advisor/rules in the package "
                        f"or {checkout}")


def rule_files(directory: Path) -> list[Path]:
    return sorted(path for pattern in ("*.yaml", "*.yml") for path in directory.rglob(pattern)
                  if path.is_file() and not path.name.endswith(PHRASE_FILE_SUFFIX))


def phrase_files(directory: Path) -> list[Path]:
    """The shared wording tables under a rules directory (`phrases_from` names one of them)."""
    return sorted(path for path in directory.rglob(f"*{PHRASE_FILE_SUFFIX}") if path.is_file())


def load_rules(extra_dirs: Iterable[str] = (), include_bundled: bool = True,
               eager_templates: bool = False) -> list[Rule]:
    """Load the bundled rules plus every `*.yaml` under each extra directory; sorted by code.

    The bundled rules' message/fix templates are compiled on first use (most rules never fire in a run, and
    compiling them is a fifth of a small check's time); the test suite compiles and checks every one of them
    (`eager_templates=True`). Rules from `--rules` directories are always checked completely at load time."""
    from advisor.engine.rule_cache import load_compiled

    bundled = bundled_rules_dir() if include_bundled else None
    directories: list[Path] = [bundled] if bundled is not None else []
    for extra in extra_dirs:
        path = Path(extra)
        if not path.is_dir():
            raise RuleFileError(f"--rules {extra}: not a directory")
        directories.append(path)
    variant = f"rules eager={eager_templates} bundled={bundled is not None}"
    return load_compiled(directories, variant, lambda: _compile_rules(directories, bundled, eager_templates))


def _compile_rules(directories: list[Path], bundled: Path | None,
                   eager_templates: bool) -> tuple[list[Path], list[Rule]]:
    """The files read and the rules of `directories`, validated and compiled (load_rules, on a cache miss)."""
    from advisor.engine.rule_cache import load_documents

    paths = [path for directory in directories for path in rule_files(directory)]
    shared = [path for directory in directories for path in phrase_files(directory)]
    documents = load_documents(paths + shared, read_yaml)
    rules: list[Rule] = []
    by_code: dict[str, Rule] = {}
    by_name: dict[str, Rule] = {}
    for path in paths:
        lazy = not eager_templates and bundled is not None and bundled in path.parents
        data = with_shared_phrases(documents[str(path)], path, documents)
        rule = parse_rule(data, str(path), lazy_templates=lazy)
        if rule.code in by_code:
            raise RuleFileError(f"{path}: key 'code': duplicate rule code {rule.code} "
                                f"(also in {by_code[rule.code].path})")
        if rule.name in by_name:
            raise RuleFileError(f"{path}: key 'name': duplicate rule name {rule.name} "
                                f"(also in {by_name[rule.name].path})")
        by_code[rule.code] = rule
        by_name[rule.name] = rule
        rules.append(rule)
    return paths + shared, sorted(rules, key=lambda rule: rule.code)


def load_rule_file(path: Path) -> Rule:
    return parse_rule(with_shared_phrases(read_yaml(path), path), str(path))


def with_shared_phrases(data: Any, path: Path, documents: dict[str, Any] | None = None) -> Any:
    """The rule document with `phrases_from: NAME.phrases.yaml` (a file beside the rule) resolved: the shared
    tables first, in their order; the rule's own `phrases` replace a shared table of the same name in place (so
    later shared tables see the rule's version) or follow them. `documents` holds already parsed files."""
    if not isinstance(data, dict) or SHARED_PHRASES_KEY not in data:
        return data
    reference = data[SHARED_PHRASES_KEY]
    fail = f"{path}: key '{SHARED_PHRASES_KEY}'"
    if not isinstance(reference, str) or not reference.endswith(PHRASE_FILE_SUFFIX) or "/" in reference \
            or "\\" in reference:
        raise RuleFileError(f"{fail}: expected the name of a *{PHRASE_FILE_SUFFIX} file beside the rule file")
    shared_path = path.parent / reference
    document = (documents or {}).get(str(shared_path))
    if document is None:
        if not shared_path.is_file():
            raise RuleFileError(f"{fail}: {reference} not found beside the rule file")
        document = read_yaml(shared_path)
    shared = document.get("phrases") if isinstance(document, dict) else None
    if not isinstance(shared, dict) or set(document) != {"phrases"}:
        raise RuleFileError(f"{shared_path}: a shared phrases file holds one key, `phrases:`, a mapping of tables")
    own = data.get("phrases") or {}
    if not isinstance(own, dict):
        raise RuleFileError(f"{path}: key 'phrases': must be a mapping of name: {{by: expression, ...}}")
    merged = {name: own.get(name, table) for name, table in shared.items()}
    merged.update((name, table) for name, table in own.items() if name not in merged)
    resolved = {key: value for key, value in data.items() if key != SHARED_PHRASES_KEY}
    resolved["phrases"] = merged
    return resolved


def read_yaml(path: Path) -> Any:
    """The YAML document of one rule file; RuleFileError (with the line) when it cannot be read or parsed."""
    import yaml

    from advisor.readers import read_bytes
    from advisor.yaml_limits import YamlLimitError, check_yaml

    try:
        text = read_bytes(str(path), limit=MAX_RULE_FILE_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleFileError(f"{path}: cannot read rule file: {error}") from None
    try:
        check_yaml(text)
    except YamlLimitError as error:
        where = f":{error.line}" if error.line is not None else ""
        raise RuleFileError(f"{path}{where}: YAML not read: {error}") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise RuleFileError(f"{path}{where}: invalid YAML: {problem}") from None
    return _string_case_keys(data)


def _string_case_keys(data: Any) -> Any:
    """Phrase cases written `true:` or `500:` load with bool/int keys; as strings they compare the same (case_key)
    and the document stays JSON-cacheable (advisor/engine/rule_cache.py skips documents with non-string keys)."""
    phrases = data.get("phrases") if isinstance(data, dict) else None
    if isinstance(phrases, dict):
        for name, table in phrases.items():
            if isinstance(table, dict):
                phrases[name] = {case_key(case) if not isinstance(case, (dict, list)) else case: text
                                 for case, text in table.items()}
    return data


def parse_rule(data: Any, path: str, lazy_templates: bool = False) -> Rule:
    """Validate one rule's YAML data and compile its expressions."""
    if not isinstance(data, dict):
        raise RuleFileError(f"{path}: a rule file must be a YAML mapping")

    fail = _failure(path)
    unknown = sorted(set(data) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        raise fail(unknown[0], f"unknown key (allowed: {', '.join(_REQUIRED + _OPTIONAL)})")
    for key in _REQUIRED:
        if key not in data or data[key] in (None, ""):
            raise fail(key, "missing")
    for key in ("code", "name", "severity", "scope", "summary"):
        if not isinstance(data[key], str):
            raise fail(key, "must be a string")
    code, name, severity, scope = data["code"], data["name"], data["severity"], data["scope"]
    if not CODE_PATTERN.match(code):
        raise fail("code", f"{code!r} is not a family prefix plus 3 digits (e.g. TMO002)")
    if not NAME_PATTERN.match(name):
        raise fail("name", f"{name!r} is not kebab-case")
    try:
        Severity.parse(severity)
    except ValueError as error:
        raise fail("severity", str(error)) from None
    if scope not in catalog.SCOPES:
        raise fail("scope", f"{scope!r} is not one of {', '.join(catalog.SCOPES)}")
    if "when" not in data and scope != "diagnostic":
        raise fail("when", "missing (only scope 'diagnostic' rules may omit it)")

    namespaces = frozenset(catalog.SCOPE_NAMESPACES[scope])
    checker = _NameChecker(scope, namespaces, path)

    when = None
    if data.get("when") is not None:
        when = _compile(fail, "when", data["when"], compile_expression)
        checker.check(fail, "when", when, frozenset())

    lets: list[tuple[str, Expression]] = []
    let_data = data.get("let") or {}
    if not isinstance(let_data, dict):
        raise fail("let", "must be a mapping of name: expression")
    for let_name, let_text in let_data.items():
        key = f"let.{let_name}"
        if not isinstance(let_name, str) or not let_name.isidentifier() or let_name.startswith("_"):
            raise fail(key, "a let name must be a plain identifier")
        if let_name in namespaces or let_name in FUNCTION_NAMES or let_name in CONSTANT_NAMES:
            raise fail(key, f"{let_name!r} shadows a namespace or function")
        expression = _compile(fail, key, str(let_text), compile_expression)
        checker.check(fail, key, expression, frozenset(name for name, _ in lets))
        lets.append((let_name, expression))
    let_names = frozenset(name for name, _ in lets)
    phrases = _phrases(fail, checker, data.get("phrases"), namespaces, let_names, lazy_templates)
    text_names = let_names | frozenset(phrase.name for phrase in phrases)

    at = data.get("at")
    if at is not None:
        checker.check_fact(fail, "at", at)

    related: list[RelatedSpec] = []
    related_data = data.get("related") or []
    if not isinstance(related_data, list):
        raise fail("related", "must be a list of facts")
    for index, item in enumerate(related_data):
        key = f"related[{index}]"
        if isinstance(item, str):
            checker.check_fact(fail, key, item)
            related.append(RelatedSpec(item))
        elif isinstance(item, dict) and set(item) <= {"fact", "message"} and "fact" in item:
            checker.check_fact(fail, key, item["fact"])
            template = None
            if item.get("message") is not None:
                template = _template(fail, checker, f"{key}.message", item["message"], text_names, lazy_templates)
            related.append(RelatedSpec(item["fact"], template))
        else:
            raise fail(key, "expected a fact name or {fact: ..., message: ...}")

    message = _template(fail, checker, "message", data["message"], text_names, lazy_templates)
    fix = None
    if data.get("fix") is not None:
        fix = _template(fail, checker, "fix", data["fix"], text_names, lazy_templates)
    explanation = None
    if data.get("explanation") is not None:
        explanation = _template(fail, checker, "explanation", data["explanation"], text_names, lazy_templates)

    docs = data.get("docs") or {}
    _check_docs(fail, docs)
    escalations = _escalations(fail, checker, data.get("escalate"), severity, let_names)
    examples = data.get("examples") or {}
    _check_examples(fail, examples)
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", "must be true or false")

    return Rule(code=code, name=name, severity=severity, scope=scope, summary=" ".join(data["summary"].split()),
                message=message, path=path, when=when, lets=tuple(lets), at=at, related=tuple(related), fix=fix,
                docs=docs, examples=examples, enabled=enabled, escalations=escalations, phrases=phrases,
                explanation=explanation)


def _phrases(fail, checker: "_NameChecker", data: Any, namespaces: frozenset[str], let_names: frozenset[str],
             lazy: bool) -> tuple[Phrase, ...]:
    """`phrases: {name: {by: expr, VALUE: template, else: template}}`, each usable by the later ones."""
    if data is None:
        return ()
    if not isinstance(data, dict):
        raise fail("phrases", "must be a mapping of name: {by: expression, VALUE: template, ..., else: template}")
    found: list[Phrase] = []
    for name, table in data.items():
        key = f"phrases.{name}"
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            raise fail(key, "a phrase name must be a plain identifier")
        if name in namespaces or name in FUNCTION_NAMES or name in CONSTANT_NAMES or name in let_names:
            raise fail(key, f"{name!r} shadows a namespace, function or let")
        if not isinstance(table, dict) or PHRASE_SELECTOR not in table:
            raise fail(key, "expected {by: expression, VALUE: template, ..., else: template}")
        known = let_names | frozenset(phrase.name for phrase in found)
        selector = _compile(fail, f"{key}.by", table[PHRASE_SELECTOR], compile_expression)
        checker.check(fail, f"{key}.by", selector, known)
        cases: dict[str, Any] = {}
        default = None
        for case, text in table.items():
            if case == PHRASE_SELECTOR:
                continue
            if isinstance(case, (dict, list)):
                raise fail(key, f"case {case!r} must be a plain value")
            template = _template(fail, checker, f"{key}.{case_key(case)}", "" if text is None else text, known,
                                 lazy)
            if case == PHRASE_DEFAULT:
                default = template
            else:
                cases[case_key(case)] = template
        if not cases:
            raise fail(key, "needs at least one case besides `by` and `else`")
        found.append(Phrase(name, selector, cases, default))
    return tuple(found)


def _escalations(fail, checker: "_NameChecker", data: Any, severity: str,
                 let_names: frozenset[str]) -> tuple[tuple[str, Expression], ...]:
    """`escalate: {warning: expr}`: severities above the rule's own, checked from the highest down."""
    if data is None:
        return ()
    if not isinstance(data, dict) or not data:
        raise fail("escalate", "must be a mapping of severity: expression, e.g. {warning: \"model.rho >= 1\"}")
    found: list[tuple[str, Expression]] = []
    for level, text in data.items():
        key = f"escalate.{level}"
        try:
            escalated = Severity.parse(level)
        except ValueError as error:
            raise fail(key, str(error)) from None
        if escalated <= Severity.parse(severity):
            raise fail(key, f"must be above the rule's severity {severity!r}")
        expression = _compile(fail, key, text, compile_expression)
        checker.check(fail, key, expression, let_names)
        found.append((level, expression))
    return tuple(sorted(found, key=lambda item: -Severity.parse(item[0]).rank))


class DeferredTemplate:
    """A template compiled and name-checked on first use; a broken one raises RuleFileError then. Plain data until
    then (the rule file, scope, key and let names it is checked with), so compiled rules can be cached."""

    __slots__ = ("text", "_context", "_parts")

    def __init__(self, text: str, context: tuple[str, str, str, frozenset[str]]) -> None:
        self.text = text
        self._context = context  # (path, scope, key, let names)
        self._parts: tuple[str | Expression, ...] | None = None

    @property
    def parts(self) -> tuple[str | Expression, ...]:
        if self._parts is None:
            path, scope, key, let_names = self._context
            checker = _NameChecker(scope, frozenset(catalog.SCOPE_NAMESPACES[scope]), path)
            self._parts = _checked_template(_failure(path), checker, key, self.text, let_names).parts
        return self._parts

    def __getstate__(self) -> tuple[str, tuple[str, str, str, frozenset[str]]]:
        return self.text, self._context

    def __setstate__(self, state: tuple[str, tuple[str, str, str, frozenset[str]]]) -> None:
        self.text, self._context = state
        self._parts = None


def _template(fail, checker: "_NameChecker", key: str, text: Any, let_names: frozenset[str],
              lazy: bool) -> "Template | DeferredTemplate":
    if not isinstance(text, str):
        raise fail(key, "must be a string")
    if lazy:
        return DeferredTemplate(text, (checker.path, checker.scope, key, let_names))
    return _checked_template(fail, checker, key, text, let_names)


def _checked_template(fail, checker: "_NameChecker", key: str, text: str, let_names: frozenset[str]) -> Template:
    template = _compile(fail, key, text, compile_template)
    checker.check_template(fail, key, template, let_names)
    return template


def _failure(path: str) -> Callable[[str, str], RuleFileError]:
    """The error for a problem with one key of a rule file."""

    def fail(key: str, problem: str) -> RuleFileError:
        return RuleFileError(f"{path}: key '{key}': {problem}")

    return fail


def _compile(fail, key: str, text: Any, compiler):
    if not isinstance(text, str):
        raise fail(key, "must be a string")
    try:
        return compiler(text)
    except ExpressionError as error:
        raise fail(key, str(error)) from None


class _NameChecker:
    """Checks that expressions only use this scope's namespaces, catalogued facts, let names and functions."""

    def __init__(self, scope: str, namespaces: frozenset[str], path: str = "") -> None:
        self.scope = scope
        self.namespaces = namespaces
        self.path = path  # the rule file, for templates checked later (DeferredTemplate)

    def check_fact(self, fail, key: str, fact: Any) -> None:
        if not isinstance(fact, str) or not FACT_PATTERN.match(fact):
            raise fail(key, f"{fact!r} is not a fact name like route.proxy_read_timeout")
        namespace, _, attr = fact.partition(".")
        if namespace not in self.namespaces:
            raise fail(key, f"namespace {namespace!r} is not available in scope {self.scope!r} "
                            f"(available: {', '.join(sorted(self.namespaces))})")
        if not catalog.is_known_fact(namespace, attr):
            hint = catalog.closest_fact(namespace, attr)
            raise fail(key, f"unknown fact {fact!r}" + (f" (did you mean {hint!r}?)" if hint else ""))

    def check(self, fail, key: str, expression: Expression, let_names: frozenset[str]) -> None:
        allowed = self.namespaces | let_names | FUNCTION_NAMES | CONSTANT_NAMES | expression.bound
        for name in sorted(expression.names):
            if name in allowed:
                continue
            if name in catalog.NAMESPACE_FACTS:
                raise fail(key, f"namespace {name!r} is not available in scope {self.scope!r}")
            raise fail(key, f"unknown name {name!r} in {expression.text!r}")
        for fact in sorted(expression.facts):
            namespace = fact.partition(".")[0]
            if namespace in self.namespaces:
                self.check_fact(fail, key, fact)

    def check_template(self, fail, key: str, template: Template, let_names: frozenset[str]) -> None:
        for part in template.parts:
            if isinstance(part, Expression):
                self.check(fail, key, part, let_names)


def _check_docs(fail, docs: Any) -> None:
    if not isinstance(docs, dict):
        raise fail("docs", "must be a mapping with what/why/example/instead/references")
    unknown = sorted(set(docs) - set(DOC_SECTIONS))
    if unknown:
        raise fail(f"docs.{unknown[0]}", f"unknown section (allowed: {', '.join(DOC_SECTIONS)})")
    for section in DOC_SECTIONS[:-1]:
        if section in docs and not isinstance(docs[section], str):
            raise fail(f"docs.{section}", "must be a string")
    references = docs.get("references")
    if references is not None and (not isinstance(references, list)
                                   or not all(isinstance(item, str) for item in references)):
        raise fail("docs.references", "must be a list of strings")


def _check_examples(fail, examples: Any) -> None:
    if not isinstance(examples, dict):
        raise fail("examples", "must be a mapping with 'fail' and 'pass' lists")
    unknown = sorted(set(examples) - {"fail", "pass"})
    if unknown:
        raise fail(f"examples.{unknown[0]}", "unknown key (allowed: fail, pass)")
    for kind, items in examples.items():
        if not isinstance(items, list):
            raise fail(f"examples.{kind}", "must be a list of examples")
        for index, item in enumerate(items):
            key = f"examples.{kind}[{index}]"
            if not isinstance(item, dict) or not item or not set(item) <= EXAMPLE_KEYS:
                raise fail(key, f"an example is a mapping with keys from {', '.join(sorted(EXAMPLE_KEYS))}")
            if not (set(SNIPPET_KEYS) & set(item)):
                raise fail(key, "an example needs an nginx, gunicorn or compose snippet")
            for snippet in SNIPPET_KEYS:
                if snippet in item and not isinstance(item[snippet], str):
                    raise fail(f"{key}.{snippet}", "must be a string (use a YAML block scalar: |)")
            options = item.get("options") or {}
            if not isinstance(options, dict) or not set(options) <= OPTION_KEYS:
                raise fail(f"{key}.options", f"allowed options: {', '.join(sorted(OPTION_KEYS))}")
