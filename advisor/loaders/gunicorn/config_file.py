"""Read one gunicorn config file into a layer of settings (never importing or executing it).

The layer holds only what the file sets; `build.py` puts it between the defaults and the command line. Names the
file assigns that are not settings, not helpers (referenced elsewhere), not constants (ALL_CAPS) and not private
(`_x`) are reported as UnknownSetting with the closest setting name (`tiemout` -> timeout).
"""

from __future__ import annotations

import ast
import importlib.util
import warnings
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from advisor.lazy_regex import lazy_re
from advisor.loaders.gunicorn.convert import InvalidValue, NotStatic, model_value, validate
from advisor.loaders.gunicorn.evaluate import Binding, ModuleEvaluation, evaluate_module, snippet
from advisor.loaders.gunicorn.settings import SETTINGS, SETTINGS_BY_NAME, SettingSpec, suggest_setting
from advisor.loaders.gunicorn.suppressions import collect_suppressions
from advisor.loaders.gunicorn.template_fill import (
    FilledTemplate, fill_template, first_placeholder, has_placeholders, inserted_at, is_template_name,
    placeholder_reason, placeholders_in_code, restore, unknown_literals,
)
from advisor.loaders.gunicorn.values import Unknown, describe_marker, is_plain
from advisor.loaders.gunicorn.worker_names import unassigned_worker_counts
from advisor.model.deployment import Diagnostic, HostFacts, UnknownSetting
from advisor.model.provenance import Setting, Source
from advisor.model.suppressions import Suppression
from advisor.readers import describe_size, read_bytes

RAW_LIMIT = 120  # longest `raw` text kept for a setting (a logconfig_dict literal can be hundreds of lines)
UNPARSABLE = "config file could not be parsed"


@dataclass(slots=True)
class ConfigFileLayer:
    """What a gunicorn config file sets: its layer of settings, read statically."""

    path: str
    settings: dict[str, Setting] = field(default_factory=dict)  # only what the file sets (or may set)
    unknown_settings: list[UnknownSetting] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    parsed: bool = True


def unknown_layer(path: str, reason: str, line: int | None = None) -> dict[str, Setting]:
    """Every setting unknown: rules skip instead of guessing from defaults."""
    return {spec.name: Setting.unknown(reason, path, line) for spec in SETTINGS}


def read_config_file(path: str, host: HostFacts) -> ConfigFileLayer:
    try:
        data = read_bytes(path)
    except OSError as error:
        message = f"cannot read gunicorn config file: {error.strerror or error}"
        return _failed(path, Diagnostic("ADV004", "error", message, path, None, None,
                                        fix="check the path (relative paths are taken from the current directory) "
                                            "and that the file is readable"))
    if len(data) > MAX_CONFIG_BYTES:  # its syntax tree alone would take hundreds of megabytes
        return _failed(path, Diagnostic(
            "ADV004", "error", f"gunicorn config file is {len(data)} bytes; files over "
            f"{describe_size(MAX_CONFIG_BYTES)} are not read (a gunicorn config is a few kilobytes), so its settings "
            "were not checked", path, None, None,
            fix="pass the gunicorn config file itself (gunicorn.conf.py)"))
    return parse_config_source(data, path, host)


MAX_CONFIG_BYTES = 1024 * 1024


def parse_config_source(data: bytes | str, path: str, host: HostFacts) -> ConfigFileLayer:
    """Evaluate config source text (bytes are decoded as Python does: coding cookie, BOM, UTF-8)."""
    try:
        text = importlib.util.decode_source(data) if isinstance(data, bytes) else data
    except (SyntaxError, UnicodeDecodeError, LookupError) as error:
        message = f"cannot decode gunicorn config file as Python source: {error}"
        return _failed(path, Diagnostic("ADV004", "error", message, path, getattr(error, "lineno", None), None))
    templated = has_placeholders(text) and (is_template_name(path) or placeholders_in_code(text))
    template = fill_template(text) if templated else None
    try:
        tree = _parse(template.text if template is not None else text, path)
    except SyntaxError as error:
        if template is None and has_placeholders(text):
            template = fill_template(text)
            try:
                tree = _parse(template.text, path)
            except SyntaxError:
                pass
            else:
                return _evaluate(tree, path, text, host, template)
        if template is not None:
            return _unreadable_template(path, text, error)
        detail = f"{error.msg}" + (f": {error.text.strip()}" if error.text and error.text.strip() else "")
        diagnostic = Diagnostic("ADV004", "error", f"gunicorn config is not valid Python ({detail}); gunicorn "
                                "would exit with \"Failed to read config file\"", path, error.lineno, error.offset)
        layer = _failed(path, diagnostic)
        layer.suppressions = collect_suppressions(text, path, None)
        return layer
    except (ValueError, RecursionError, MemoryError) as error:
        message = f"gunicorn config cannot be parsed: {error or type(error).__name__}"
        return _failed(path, Diagnostic("ADV004", "error", message, path, None, None,
                                        fix="check that this is the gunicorn config file and that gunicorn loads it "
                                            "(gunicorn --check-config)"))
    return _evaluate(tree, path, text, host, template)


def _parse(text: str, path: str) -> ast.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ast.parse(text, filename=path)


def _evaluate(tree: ast.Module, path: str, text: str, host: HostFacts,
              template: FilledTemplate | None) -> ConfigFileLayer:
    unknown_names: dict[str, Unknown] = {}
    taint: Unknown | None = None
    if template is not None:
        placeholders = template.placeholders
        tree = unknown_literals(tree, placeholders)
        unknown_names = {token: Unknown(placeholder_reason(written)) for token, written in placeholders.items()}
        inserted = inserted_at(tree, placeholders)
        if inserted is not None:
            taint = Unknown(f"the text the template inserts at line {inserted[0]} ({inserted[1]})", inserted[0], 1)
    evaluation = evaluate_module(tree, path, host, unknown_names, taint)
    layer = ConfigFileLayer(path, diagnostics=list(evaluation.diagnostics),
                            suppressions=collect_suppressions(text, path, tree))
    evaluated_text = template.text if template is not None else text
    layer.settings = _settings_from(evaluation, path, evaluated_text, layer.diagnostics)
    if template is not None:
        layer.settings = {name: _untemplated(name, setting, template) for name, setting in layer.settings.items()}
        layer.diagnostics = [replace(diagnostic, message=restore(diagnostic.message, template.placeholders))
                             for diagnostic in layer.diagnostics]
    layer.unknown_settings = find_unknown_settings(tree, path)
    if len(layer.unknown_settings) > MAX_UNKNOWN_SETTINGS:  # each becomes a finding: keep the report readable
        extra = len(layer.unknown_settings) - MAX_UNKNOWN_SETTINGS
        first = layer.unknown_settings[MAX_UNKNOWN_SETTINGS]
        del layer.unknown_settings[MAX_UNKNOWN_SETTINGS:]
        layer.diagnostics.append(Diagnostic(
            "ADV004", "info", f"{extra} more names that are not gunicorn settings were not checked (only the first "
            f"{MAX_UNKNOWN_SETTINGS} are)", path, first.source.line, first.source.column,
            fix="check that this is the gunicorn config file; module-level names gunicorn does not know are ignored"))
    if "workers" not in evaluation.bindings and evaluation.namespace_taint is None:  # a computed count left unused
        layer.unknown_settings += unassigned_worker_counts(tree, path, {item.name for item in layer.unknown_settings})
    return layer


def _untemplated(name: str, setting: Setting, template: FilledTemplate) -> Setting:
    """Placeholder identifiers back to their text; a value holding one, or assigned between template statements
    (`{% if %}` ... `{% endif %}`), is unknown. An unknown bind keeps its addresses as written in `raw`
    (`unix:%(root)s/app.sock`): the nginx side may name the same placeholder text."""
    raw = restore(setting.raw, template.placeholders) if isinstance(setting.raw, str) else setting.raw
    source = setting.source
    if source.detail:
        source = replace(source, detail=restore(source.detail, template.placeholders))
    if not setting.known:
        if name == "bind" and isinstance(raw, str):
            raw = _literal_addresses(raw)
        return Setting(setting.value, source, raw)
    found = first_placeholder(setting.value, template.placeholders)
    if found is not None:
        return Setting.unknown(placeholder_reason(found), source.path, source.line, source.column, raw)
    block = template.block
    if block is not None and source.kind == "file" and source.line is not None and block[0] < source.line < block[1]:
        reason = (f"assigned between the template statements {block[2]} (line {block[0]}) and {block[3]} "
                  f"(line {block[1]}): whether the template renders it is not known")
        return Setting.unknown(reason, source.path, source.line, source.column, raw)
    return Setting(setting.value, source, raw)


def _literal_addresses(raw: str) -> str:
    """`"unix:{{ root }}/app.sock"` or `["a", "b"]` as written in the file -> the address texts, comma-separated."""
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return raw
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)) and value and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    return raw


def _unreadable_template(path: str, text: str, error: SyntaxError) -> ConfigFileLayer:
    """A template that is not Python even with its placeholders filled in: what it renders is not known here."""
    reason = f"the template could not be read as Python once its placeholders are filled in ({error.msg})"
    layer = ConfigFileLayer(path, unknown_layer(path, reason), [], [Diagnostic(
        "ADV004", "info", f"{reason}; its gunicorn settings are unknown", path, error.lineno, None,
        fix="pass the rendered config file to check its settings")], parsed=False)
    layer.suppressions = collect_suppressions(text, path, None)
    return layer


def _failed(path: str, diagnostic: Diagnostic) -> ConfigFileLayer:
    return ConfigFileLayer(path, unknown_layer(path, UNPARSABLE), [], [diagnostic], [], parsed=False)


def _settings_from(evaluation: ModuleEvaluation, path: str, text: str,
                   diagnostics: list[Diagnostic]) -> dict[str, Setting]:
    settings: dict[str, Setting] = {}
    taint = evaluation.namespace_taint
    for spec in SETTINGS:
        binding = evaluation.bindings.get(spec.name)
        if taint is not None and (binding is None or binding.line <= (taint.line or 0)):
            settings[spec.name] = Setting.unknown(f"may be set by {taint.reason}", path, taint.line, taint.column)
            continue
        if binding is None:
            continue
        settings[spec.name] = setting_from_binding(spec, binding, path, text, diagnostics)
    return settings


def setting_from_binding(spec: SettingSpec, binding: Binding, path: str, text: str,
                         diagnostics: list[Diagnostic]) -> Setting:
    raw = _raw_text(text, binding)
    value = binding.value
    if isinstance(value, Unknown):
        reason = value.reason
        if value.line is not None and value.line != binding.line:
            reason = f"{reason} (line {value.line})"
        return Setting.unknown(reason, path, binding.line, binding.column, raw)
    try:
        validated = validate(spec, value)
        model, bind_raw = model_value(spec, validated)
    except InvalidValue as error:
        shown = repr(value) if is_plain(value) else describe_marker(value)
        if len(shown) > RAW_LIMIT:
            shown = shown[: RAW_LIMIT - 1] + "…"
        diagnostics.append(Diagnostic(
            "ADV006", "error", f"Invalid value for {spec.name}: {shown} ({error}); gunicorn refuses to start",
            path, binding.line, binding.column,
            fix=f"give {spec.name} a value gunicorn accepts (gunicorn --check-config reports the same error)"))
        return Setting.unknown(f"invalid value: {error}", path, binding.line, binding.column, raw)
    except NotStatic as error:
        return Setting.unknown(str(error), path, binding.line, binding.column, raw)
    detail = "; ".join(binding.notes) or None
    source = Source("file", path, binding.line, binding.column, detail, binding.inputs)
    return Setting(model, source, bind_raw if bind_raw is not None else raw)


@lru_cache(maxsize=4)
def _source_lines(text: str) -> list[str]:
    return _LINE_BREAKS.split(text)


_LINE_BREAKS = lazy_re(r"(?<=\r\n)|(?<=\r)(?!\n)|(?<=\n)")  # after each line break, as ast.get_source_segment


def _source_segment(text: str, node: ast.AST) -> str | None:
    """ast.get_source_segment without splitting the whole text again for every node (quadratic on big files)."""
    try:
        first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined, operator]
        start, end = node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
    except (AttributeError, TypeError):
        return None
    if end is None:
        return None
    lines = _source_lines(text)
    if not 0 <= first <= last < len(lines):
        return None
    if first == last:
        return lines[first].encode()[start:end].decode("utf-8", "replace")
    return (lines[first].encode()[start:].decode("utf-8", "replace") + "".join(lines[first + 1:last])
            + lines[last].encode()[:end].decode("utf-8", "replace"))


def _raw_text(text: str, binding: Binding) -> str | None:
    node = binding.value_node
    if node is None:
        return None
    segment: Any = _source_segment(text, node) or snippet(node, RAW_LIMIT)
    segment = " ".join(str(segment).split())
    return segment if len(segment) <= RAW_LIMIT else segment[: RAW_LIMIT - 1] + "…"


# --- names that are not settings ------------------------------------------------------------------------------------

def find_unknown_settings(tree: ast.Module, path: str) -> list[UnknownSetting]:
    referenced = _referenced_names(tree)
    code_names: set[str] = set()
    assigned: dict[str, ast.Name] = {}
    for statement in _module_level_statements(tree.body):
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            code_names.add(statement.name)
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            code_names.update(alias.asname or alias.name.split(".")[0] for alias in statement.names)
        elif isinstance(statement, (ast.Assign, ast.AnnAssign)):
            targets = statement.targets if isinstance(statement, ast.Assign) else [statement.target]
            for target in targets:
                for name_node in _target_names(target):
                    assigned.setdefault(name_node.id, name_node)
    found: list[UnknownSetting] = []
    for name, node in assigned.items():
        if (name in SETTINGS_BY_NAME or name in referenced or name in code_names or name.startswith("_")
                or name.isupper()):
            continue
        source = Source.file(path, node.lineno, node.col_offset + 1)
        # "did you mean" costs a fuzzy comparison with every setting: only for the first few unknown names
        found.append(UnknownSetting(name, source, suggest_setting(name) if len(found) < MAX_SUGGESTIONS else None))
    return found


MAX_SUGGESTIONS = 50
MAX_UNKNOWN_SETTINGS = 200


def _module_level_statements(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements executed at module level, including those nested in if/try/with/for blocks."""
    found: list[ast.stmt] = []
    for statement in body:
        found.append(statement)
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for block in ("body", "orelse", "finalbody"):
            found.extend(_module_level_statements(getattr(statement, block, []) or []))
        for handler in getattr(statement, "handlers", []) or []:
            found.extend(_module_level_statements(handler.body))
        for case in getattr(statement, "cases", []) or []:
            found.extend(_module_level_statements(case.body))
    return found


def _target_names(target: ast.AST) -> list[ast.Name]:
    if isinstance(target, ast.Name):
        return [target]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [name for element in target.elts for name in _target_names(element)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _referenced_names(tree: ast.Module) -> set[str]:
    """Names read anywhere (module level or inside functions), or declared global: those are helpers."""
    referenced: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Load, ast.Del)):
            referenced.add(node.id)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            referenced.update(node.names)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            referenced.add(node.target.id)
    return referenced
