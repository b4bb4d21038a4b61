"""Project configuration: `.advisor.toml`, `advisor.toml` or `pyproject.toml` `[tool.advisor]`.

Discovery (like ruff): starting in the current directory and walking up, the first directory holding `.advisor.toml`,
`advisor.toml`, or a `pyproject.toml` *with* a `[tool.advisor]` table wins (pyproject files without the table are
skipped). The walk stops after the git root (a directory containing `.git`) or `$HOME`. `--config PATH` names the file;
`--isolated` ignores every config file. No merging between files.

Keys (kebab-case; `_` is accepted for `-`):

    pairs = [{nginx = ["deploy/nginx.conf"], app = ["deploy/gunicorn.conf.py"], name = "web",
              workload = {rps = 200, service-time = "80ms"}}]      # or [[pairs]] tables; `gunicorn` = `app`
    # workload = {access-log = "logs/access.log", log-format = "timing", window = "1m"}: fitted from nginx's log
    select / ignore / extend-select = ["TMO", "keepalive-race", "ALL"]   # codes, prefixes, names, ALL
    per-file-ignores = {"legacy/*.conf" = ["TMO002"], "!deploy/**" = ["INFO"]}   # `!` negates the glob
    severity = {TMO002 = "info"}                                  # re-level rules
    fail-on = "warning"          output-format = "concise"        error-budget = 0.001
    cpus = 4   somaxconn = 4096   nginx-version = "1.30.0"   gunicorn-version = "27.0.1"   env = {PORT = "8000"}
    rules = ["ci/advisor-rules"]                                  # extra rule directories

Paths (pairs, rules) are relative to the config file's directory. A file that does not parse raises `ConfigError`
with the file and line (the CLI exits 2); unknown keys become `ConfigWarning`s with a "did you mean" suggestion, and a
top-level key written after a `[[pairs]]` header (where TOML makes it part of the pair) says to move it above.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from advisor import readers
from advisor.lazy_regex import lazy_re
from advisor.model.deployment import HostFacts
from advisor.model.provenance import Source
from advisor.model.severity import SEVERITY_NAMES, Severity

if TYPE_CHECKING:
    from advisor.engine.postprocess import FindingPolicy
    from advisor.globs import Glob

CONFIG_FILE_NAMES = (".advisor.toml", "advisor.toml")
PYPROJECT = "pyproject.toml"

DEFAULT_FAIL_ON = Severity.WARNING.value
DEFAULT_OUTPUT_FORMAT = "full"
DEFAULT_ERROR_BUDGET = 0.001


class ConfigError(Exception):
    """A config file that cannot be used: bad TOML, a value of the wrong type, a missing file."""

    def __init__(self, message: str, path: str | os.PathLike[str] | None = None, line: int | None = None,
                 column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = self.path or ""
        if where and self.line:
            where += f":{self.line}"
            if self.column:
                where += f":{self.column}"
        return f"{where}: {self.message}" if where else self.message


@dataclass(frozen=True, slots=True)
class ConfigWarning:
    """Something the config file says that advisor ignores (an unknown key); printed to stderr, not fatal."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


@dataclass(frozen=True, slots=True)
class PairWorkload:
    """A configured pair's workload: rps and service time, or the access logs to fit them from."""

    rps: float | None = None
    service_time: str | None = None
    access_logs: tuple[str, ...] = ()  # absolute paths: fit rps and service time from these nginx access logs
    log_format: str | None = None
    window: str | None = None


@dataclass(frozen=True, slots=True)
class PairConfig:
    """One deployment to check: nginx config(s) and app server config(s), absolute paths."""

    nginx: tuple[str, ...]
    app: tuple[str, ...]
    name: str | None = None
    workload: PairWorkload | None = None

    @property
    def files(self) -> tuple[str, ...]:
        return self.nginx + self.app

    @property
    def label(self) -> str:
        return self.name or ", ".join(self.files)


@dataclass(frozen=True, slots=True)
class PerFileIgnore:
    """A `per-file-ignores` entry: a glob (negated with `!`) and the selectors it switches off."""

    pattern: str  # as written, including a leading `!`
    selectors: tuple[str, ...]

    @property
    def negated(self) -> bool:
        return self.pattern.startswith("!")

    def applies_to(self, path: str, base_dir: str) -> bool:
        glob = self.pattern[1:] if self.negated else self.pattern
        return _glob_matches(glob, path, base_dir) != self.negated


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """A parsed project config file."""

    path: Path  # the config file
    pairs: tuple[PairConfig, ...] = ()
    select: tuple[str, ...] | None = None  # None: the default selection
    ignore: tuple[str, ...] = ()
    extend_select: tuple[str, ...] = ()
    per_file_ignores: tuple[PerFileIgnore, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)  # selector (code/name) -> error|warning|info
    fail_on: str | None = None
    output_format: str | None = None
    host: HostFacts = field(default_factory=HostFacts)  # [host]: the same facts as --cpus & co.
    error_budget: float | None = None
    rules: tuple[Path, ...] = ()  # extra rule directories, absolute
    warnings: tuple[ConfigWarning, ...] = ()

    @property
    def directory(self) -> Path:
        return self.path.parent

    def finding_policy(self) -> FindingPolicy:
        """What `per-file-ignores` and `severity` do to findings (applied by advisor/engine/postprocess.py)."""
        from advisor.engine.postprocess import FindingPolicy

        return FindingPolicy(self.ignored_selectors, dict(self.severity), bool(self.per_file_ignores))

    def ignored_selectors(self, path: str) -> tuple[str, ...]:
        """Selectors (codes, prefixes, names, ALL) that `per-file-ignores` switches off for `path`
        (absolute, or relative to the current directory)."""
        selectors: list[str] = []
        for entry in self.per_file_ignores:
            if entry.applies_to(path, str(self.directory)):
                selectors.extend(item for item in entry.selectors if item not in selectors)
        return tuple(selectors)

    def pairs_for_files(self, paths: Iterable[str]) -> tuple[list[PairConfig], list[str]]:
        """Split files named on the command line (e.g. by pre-commit) into the configured pairs that contain any of
        them (so a change to only nginx.conf is still checked together with its gunicorn.conf.py) and the files
        that belong to no configured pair."""
        index: dict[str, PairConfig] = {}
        for pair in self.pairs:
            for file in pair.files:
                index.setdefault(os.path.realpath(file), pair)
        chosen: list[PairConfig] = []
        leftover: list[str] = []
        for path in paths:
            pair = index.get(os.path.realpath(path))
            if pair is None:
                leftover.append(path)
            elif pair not in chosen:
                chosen.append(pair)
        return chosen, leftover


# Discovery ------------------------------------------------------------------------------------------------------

def find_config_file(start: str | os.PathLike[str], home: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file that applies in `start`, or None. Stops after the git root or the home directory."""
    directory = Path(start).resolve()
    try:
        home_dir = Path(home).resolve() if home is not None else Path.home().resolve()
    except RuntimeError:  # no home directory can be determined
        home_dir = None
    for candidate_dir in (directory, *directory.parents):
        for name in CONFIG_FILE_NAMES:
            candidate = candidate_dir / name
            if candidate.is_file():
                return candidate
        pyproject = candidate_dir / PYPROJECT
        if pyproject.is_file() and _pyproject_has_table(pyproject):
            return pyproject
        if (candidate_dir / ".git").exists() or candidate_dir == home_dir:
            return None
    return None


def load_project_config(
    cwd: str | os.PathLike[str],
    explicit_path: str | os.PathLike[str] | None = None,
    isolated: bool = False,
) -> ProjectConfig | None:
    """The project config for a run in `cwd`: the `--config` file, else the discovered one; None when isolated or
    when there is none. Raises ConfigError for a file that cannot be used."""
    if isolated:
        if explicit_path is not None:
            raise ConfigError("--config and --isolated cannot be used together")
        return None
    if explicit_path is not None:
        path = Path(cwd, explicit_path) if not Path(explicit_path).is_absolute() else Path(explicit_path)
        if not path.is_file():
            raise ConfigError("config file not found", path)
        return parse_config_file(path.resolve(), require_table=True)
    found = find_config_file(cwd)
    return parse_config_file(found) if found is not None else None


def parse_config_file(path: Path, *, require_table: bool = False) -> ProjectConfig:
    """Read one config file. For pyproject.toml only `[tool.advisor]` is read; `require_table` makes its absence an
    error (used for `--config pyproject.toml`)."""
    text = _read_text(path)
    document = _parse_toml(text, path)
    table_path: tuple[str, ...] = ()
    if path.name == PYPROJECT:
        table_path = ("tool", "advisor")
        table = document.get("tool", {}).get("advisor") if isinstance(document.get("tool"), dict) else None
        if table is None:
            if require_table:
                raise ConfigError("no [tool.advisor] table in this pyproject.toml", path)
            table = {}
        if not isinstance(table, dict):
            raise ConfigError("[tool.advisor] must be a table", path, _Locator(text).line(("tool",), "advisor"))
    else:
        table = document
    return _Builder(path, text, table_path).build(table)


# TOML reading ---------------------------------------------------------------------------------------------------

MAX_CONFIG_BYTES = 1024 * 1024  # a project config is a few hundred bytes; tomllib reads about 1 MB/s


def _read_text(path: Path) -> str:
    try:
        return readers.read_bytes(str(path), limit=MAX_CONFIG_BYTES).decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"not UTF-8 text ({error.reason})", path) from None
    except OSError as error:
        raise ConfigError(f"cannot read config file: {error.strerror or error}", path) from None


_TOML_POSITION = lazy_re(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    import tomllib

    depth = _nesting_depth(text)
    if depth > MAX_TOML_NESTING:
        raise ConfigError(f"invalid TOML: arrays or tables nested more than {MAX_TOML_NESTING} deep", path)
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise ConfigError("invalid TOML: nested too deep", path) from None
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        line = getattr(error, "lineno", None)
        column = getattr(error, "colno", None)
        match = _TOML_POSITION.search(message)
        if match:
            line, column = int(match.group(1)), int(match.group(2))
            message = message[: match.start()]
        elif "(at end of document)" in message:
            line = text.count("\n") + 1
            message = message.replace("(at end of document)", "").strip()
        raise ConfigError(f"invalid TOML: {message}", path, line, column) from None


MAX_TOML_NESTING = 64
MAX_FUZZY_KEY = 64  # longer unknown keys get no "did you mean"
_FUZZY_BUDGET = 50  # unknown keys per file that get one
MAX_WARNINGS = 100
_TOML_TOKENS = lazy_re(r'"""|\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*|[\[\]{}]')


def _nesting_depth(text: str) -> int:
    """The deepest `[`/`{` nesting outside strings and comments (tomllib recurses once per level)."""
    depth = deepest = 0
    closing = {"]": "", "}": ""}
    pos = 0
    while (match := _TOML_TOKENS.search(text, pos)) is not None:
        token = match.group(0)
        pos = match.end()
        if token in ('"""', "'''"):  # a multi-line string: skip to its end
            end = text.find(token, pos)
            pos = len(text) if end < 0 else end + 3
        elif token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in closing:
            depth = max(depth - 1, 0)
    return deepest


# TOML can make `advisor` a key of the top-level `tool` table only in a header starting with `tool.advisor` or a
# `[tool]` header, or in a key/value line starting with the key `tool` (dotted or an inline table): quotes and blanks
# allowed, one key/value pair per line. An escape (\uXXXX) could spell either name, so it always means "parse".
_TOOL_ADVISOR_HINT = lazy_re(
    r"""^[ \t\ufeff]*(?:\[\[?[ \t]*["']?tool["']?[ \t]*(?:\]|\.[ \t]*["']?advisor["']?[ \t]*[.\]])"""
    r"""|["']?tool["']?[ \t]*[.=])""", re.MULTILINE)


def _may_hold_advisor_table(text: str) -> bool:
    """False when `text` cannot define `[tool.advisor]` (whatever else it holds), without parsing it."""
    if "advisor" not in text:
        return False
    return "\\u" in text or "\\U" in text or _TOOL_ADVISOR_HINT.search(text) is not None


def _pyproject_has_table(path: Path) -> bool:
    text = _read_text(path)
    if not _may_hold_advisor_table(text):  # cheap: do not parse (or fail on) unrelated pyproject files
        return False
    document = _parse_toml(text, path)
    tool = document.get("tool")
    return isinstance(tool, dict) and "advisor" in tool


# Locating keys for messages -------------------------------------------------------------------------------------

_HEADER = lazy_re(r"^\s*\[\[?([^\]]+)\]\]?\s*(?:#.*)?$")
_KEY = lazy_re(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_\-]+)\s*(?:\.|=)""")


def _normalize_key(key: str) -> str:
    return key.strip().strip("\"'").replace("_", "-")


def _dotted(name: str) -> tuple[str, ...]:
    return tuple(_normalize_key(part) for part in re.findall(r'"[^"]*"|\'[^\']*\'|[^.\s]+', name))


class _Locator:
    """Best-effort line numbers for keys (tomllib reports positions only for syntax errors), indexed once: a config
    with many unknown keys must not be scanned again for each of them."""

    def __init__(self, text: str) -> None:
        self._headers: dict[tuple[str, ...], int] = {}  # every prefix of a table header -> its first line
        self._keys: dict[tuple[tuple[str, ...], str], int] = {}  # (table, key) -> first line
        current: tuple[str, ...] = ()
        for number, raw in enumerate(text.splitlines(), start=1):
            header = _HEADER.match(raw)
            if header and not raw.lstrip().startswith("#"):
                current = _dotted(header.group(1).strip())
                for end in range(1, len(current) + 1):
                    self._headers.setdefault(current[:end], number)
                continue
            match = _KEY.match(raw)
            if match:
                self._keys.setdefault((current, _normalize_key(match.group(1))), number)

    def line(self, table: tuple[str, ...], key: str) -> int | None:
        table = tuple(_normalize_key(part) for part in table)
        wanted = _normalize_key(key)
        found = [line for line in (self._headers.get((*table, wanted)), self._keys.get((table, wanted)))
                 if line is not None]
        return min(found) if found else None


# Building the typed config ---------------------------------------------------------------------------------------

_TOP_LEVEL_KEYS = (
    "pairs", "select", "ignore", "extend-select", "per-file-ignores", "severity", "fail-on", "output-format",
    "cpus", "somaxconn", "nginx-version", "gunicorn-version", "env", "error-budget", "rules",
)
_PAIR_KEYS = ("nginx", "app", "gunicorn", "name", "workload")
_WORKLOAD_KEYS = ("rps", "service-time", "access-log", "log-format", "window")


class _Builder:
    def __init__(self, path: Path, text: str, table_path: tuple[str, ...]) -> None:
        self.path = path
        self.base = path.parent
        self.table_path = table_path
        self.locator = _Locator(text)
        self.warnings: list[ConfigWarning] = []
        self._fuzzy_budget = _FUZZY_BUDGET
        self._dropped = 0  # unknown keys beyond MAX_WARNINGS

    # -- helpers
    def _line(self, key: str, table: tuple[str, ...] = ()) -> int | None:
        """The key's line, else the line of the table that holds it (inline tables, arrays of tables)."""
        line = self.locator.line(self.table_path + table, key)
        if line is None and table:
            line = self.locator.line(self.table_path + table[:-1], table[-1])
        return line

    def _error(self, key: str, message: str, table: tuple[str, ...] = ()) -> ConfigError:
        return ConfigError(f"{'.'.join((*table, key))}: {message}", self.path, self._line(key, table))

    def _unknown(self, key: str, known: tuple[str, ...], table: tuple[str, ...] = ()) -> None:
        import difflib

        if table == ("pairs",) and _normalize_key(key) in _TOP_LEVEL_KEYS:
            message = (f"'{key}' is a top-level setting: move it above [[pairs]] (keys after a [[pairs]] header "
                       "belong to that pair); ignored here")
            self.warnings.append(ConfigWarning(str(self.path), self._line(key, table), message))
            return
        if len(self.warnings) >= MAX_WARNINGS:
            self._dropped += 1
            return
        hint = ""
        self._fuzzy_budget -= 1  # "did you mean" for the first keys only: each costs a fuzzy comparison per key
        close = (difflib.get_close_matches(_normalize_key(key), known, n=1, cutoff=0.6)
                 if self._fuzzy_budget >= 0 and len(key) <= MAX_FUZZY_KEY else [])
        if close:
            hint = f" (did you mean '{close[0]}'?)"
        elif not table and _normalize_key(key) in ("nginx", "app", "gunicorn"):
            hint = " (files go in a pair: [[pairs]] nginx = [...], app = [...])"
        name = ".".join((*table, key))
        message = f"unknown key '{name}' ignored{hint}"
        self.warnings.append(ConfigWarning(str(self.path), self._line(key, table), message))

    def _normalized(self, table: Mapping[str, Any], known: tuple[str, ...], where: tuple[str, ...] = ()
                    ) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key, value in table.items():
            norm = _normalize_key(key)
            if norm in known:
                result[norm] = value
            else:
                self._unknown(key, known, where)
        return result

    def _string_list(self, key: str, value: Any, table: tuple[str, ...] = (), *, allow_single: bool = False
                     ) -> tuple[str, ...]:
        if allow_single and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
            raise self._error(key, "expected a list of non-empty strings", table)
        return tuple(item.strip() for item in value)

    def _choice(self, key: str, value: Any, choices: Iterable[str], table: tuple[str, ...] = ()) -> str:
        choices = tuple(choices)
        if not isinstance(value, str) or value not in choices:
            raise self._error(key, f"expected one of {', '.join(choices)}, got {value!r}", table)
        return value

    def _positive_int(self, key: str, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self._error(key, f"expected a positive integer, got {value!r}")
        return value

    def _resolve(self, relative: str) -> str:
        return os.path.normpath(os.path.join(self.base, os.path.expanduser(relative)))

    # -- sections
    def _pairs(self, value: Any) -> tuple[PairConfig, ...]:
        if isinstance(value, dict):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self._error("pairs", "expected a list of tables ([[pairs]] with nginx = [...], app = [...])")
        pairs: list[PairConfig] = []
        for position, raw in enumerate(value, start=1):
            where = ("pairs",)
            entry = self._normalized(raw, _PAIR_KEYS, where)
            app_value = entry.get("app", entry.get("gunicorn"))
            if "app" in entry and "gunicorn" in entry:
                raise self._error("gunicorn", "give either app or gunicorn, not both", where)
            nginx = self._string_list("nginx", entry["nginx"], where, allow_single=True) if "nginx" in entry else ()
            key = "app" if "app" in entry else "gunicorn"
            app = self._string_list(key, app_value, where, allow_single=True) if app_value is not None else ()
            if not nginx and not app:
                raise self._error("pairs", f"pair {position} names no files (nginx = [...], app = [...])")
            name = entry.get("name")
            if name is not None and not isinstance(name, str):
                raise self._error("name", f"expected a string, got {name!r}", where)
            workload = self._workload(entry["workload"]) if "workload" in entry else None
            pairs.append(PairConfig(tuple(self._resolve(p) for p in nginx), tuple(self._resolve(p) for p in app),
                                    name, workload))
        return tuple(pairs)

    def _workload(self, value: Any) -> PairWorkload:
        where = ("pairs", "workload")
        if not isinstance(value, dict):
            raise self._error("workload", "expected a table {rps = ..., service-time = \"80ms\"}", ("pairs",))
        entry = self._normalized(value, _WORKLOAD_KEYS, where)
        rps = entry.get("rps")
        if rps is not None and (isinstance(rps, bool) or not isinstance(rps, (int, float)) or rps <= 0):
            raise self._error("rps", f"expected a positive number, got {rps!r}", where)
        service_time = entry.get("service-time")
        if service_time is not None and not isinstance(service_time, str):
            raise self._error("service-time", f"expected a string such as \"80ms\", got {service_time!r}", where)
        if service_time is not None:
            from advisor.units import require_units

            try:
                require_units(service_time)
            except ValueError as error:
                raise self._error("service-time", str(error), where) from None
        logs_value = entry.get("access-log")
        logs = self._string_list("access-log", logs_value, where, allow_single=True) if logs_value is not None else ()
        for key in ("log-format", "window"):
            if entry.get(key) is not None and not isinstance(entry.get(key), str):
                raise self._error(key, f"expected a string, got {entry.get(key)!r}", where)
        if logs and (rps is not None or service_time is not None):
            raise self._error("access-log", "fits rps and service-time from the log: give one or the other", where)
        return PairWorkload(float(rps) if rps is not None else None, service_time,
                            tuple(self._resolve(path) for path in logs), entry.get("log-format"), entry.get("window"))

    def _per_file_ignores(self, value: Any) -> tuple[PerFileIgnore, ...]:
        from advisor.globs import GlobError

        if not isinstance(value, dict):
            raise self._error("per-file-ignores", 'expected a table {"glob" = ["CODE", ...]}')
        entries = []
        for pattern, selectors in value.items():
            if not pattern.strip("!").strip():
                raise self._error("per-file-ignores", "empty file pattern")
            try:
                _compiled_glob(pattern[1:] if pattern.startswith("!") else pattern)
            except GlobError as error:
                raise self._error("per-file-ignores", str(error)) from None
            entries.append(PerFileIgnore(pattern, self._string_list(pattern, selectors, ("per-file-ignores",))))
        return tuple(entries)

    def _severity(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self._error("severity", 'expected a table {CODE = "info"}')
        return {code: self._choice(code, level, SEVERITY_NAMES, ("severity",)) for code, level in value.items()}

    def _env(self, value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise self._error("env", 'expected a table {NAME = "value"}')
        env: dict[str, str] = {}
        for name, item in value.items():
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise self._error(name, f"expected a string, got {item!r}", ("env",))
            env[name] = str(item)
        return env

    def _rules(self, value: Any) -> tuple[Path, ...]:
        dirs = []
        for item in self._string_list("rules", value):
            directory = Path(self._resolve(item))
            if not directory.is_dir():
                raise self._error("rules", f"rule directory not found: {directory}")
            dirs.append(directory)
        return tuple(dirs)

    def build(self, table: Mapping[str, Any]) -> ProjectConfig:
        entry = self._normalized(table, _TOP_LEVEL_KEYS)
        kwargs: dict[str, Any] = {}
        if "pairs" in entry:
            kwargs["pairs"] = self._pairs(entry["pairs"])
        if "select" in entry:
            kwargs["select"] = self._string_list("select", entry["select"])
        for key, attr in (("ignore", "ignore"), ("extend-select", "extend_select")):
            if key in entry:
                kwargs[attr] = self._string_list(key, entry[key])
        if "per-file-ignores" in entry:
            kwargs["per_file_ignores"] = self._per_file_ignores(entry["per-file-ignores"])
        if "severity" in entry:
            kwargs["severity"] = self._severity(entry["severity"])
        if "fail-on" in entry:
            kwargs["fail_on"] = self._choice("fail-on", entry["fail-on"], SEVERITY_NAMES)
        if "output-format" in entry:
            from advisor.report.formats import OUTPUT_FORMATS

            kwargs["output_format"] = self._choice("output-format", entry["output-format"], OUTPUT_FORMATS)
        if "error-budget" in entry:
            budget = entry["error-budget"]
            if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget < 1:
                raise self._error("error-budget", f"expected a fraction between 0 and 1, got {budget!r}")
            kwargs["error_budget"] = float(budget)
        if "rules" in entry:
            kwargs["rules"] = self._rules(entry["rules"])
        host: dict[str, Any] = {}
        for key in ("cpus", "somaxconn"):
            if key in entry:
                host[key] = self._positive_int(key, entry[key])
        for key in ("nginx-version", "gunicorn-version"):
            if key in entry:
                value = entry[key]
                if not isinstance(value, str) or not re.fullmatch(r"\d+(\.\d+){0,2}", value.strip()):
                    raise self._error(key, f"expected a version such as \"1.30.0\", got {value!r}")
                host[key.replace("-", "_")] = value.strip()
        if "env" in entry:
            host["env"] = self._env(entry["env"])
        kwargs["host"] = HostFacts.build(**host, given_in=Source.file(str(self.path), None, detail="[host]"))
        if self._dropped:
            self.warnings.append(ConfigWarning(str(self.path), None, f"{self._dropped} more unknown keys ignored"))
        return ProjectConfig(path=self.path, warnings=tuple(self.warnings), **kwargs)


# Per-file-ignores globs ------------------------------------------------------------------------------------------

@lru_cache(maxsize=256)
def _compiled_glob(pattern: str) -> Glob:
    from advisor.globs import Glob

    return Glob(pattern)


def _glob_matches(glob: str, path: str, base_dir: str) -> bool:
    """Match `glob` against `path` relative to `base_dir`; a glob without `/` also matches the file name alone
    (so `"gunicorn.conf.py" = [...]` applies in every directory, as in ruff)."""
    glob = glob[2:] if glob.startswith("./") else glob
    absolute = os.path.abspath(path)
    compiled = _compiled_glob(glob)
    if os.path.isabs(glob):
        return compiled.matches(Path(absolute).as_posix())
    relative = os.path.relpath(absolute, os.path.abspath(base_dir))
    candidates = [] if relative.startswith("..") else [Path(relative).as_posix()]
    if "/" not in glob:
        candidates.append(os.path.basename(absolute))
    return any(compiled.matches(candidate) for candidate in candidates)


# Combining with command-line options ----------------------------------------------------------------------------

def merge_check_options(options: Any, config: ProjectConfig | None) -> Any:
    """CheckOptions with config values filled in where the command line gave none (None = not given), then the
    built-in defaults. Selection is layered like ruff: a command-line `--select` replaces the config's
    select/ignore/extend-select; otherwise the config's lists come first and the command line's are added
    (a `--extend-select X` overrides the config's `ignore = ["X"]`)."""
    host = options.host
    workload = options.workload
    select = list(options.select) or None
    ignore = list(options.ignore)
    extend = list(options.extend_select)
    rules_dirs = list(options.rules_dirs)
    fail_on = options.fail_on
    output_format = options.output_format
    error_budget = workload.error_budget
    if config is not None:
        host = host.over(config.host)
        if select is None:
            select = list(config.select) if config.select is not None else None
            ignore = [item for item in config.ignore if item not in extend] + ignore
            extend = list(config.extend_select) + [item for item in extend if item not in config.extend_select]
        rules_dirs = [str(path) for path in config.rules] + rules_dirs
        fail_on = fail_on or config.fail_on
        output_format = output_format or config.output_format
        error_budget = error_budget if error_budget is not None else config.error_budget
    workload = replace(workload, error_budget=error_budget if error_budget is not None else DEFAULT_ERROR_BUDGET)
    return replace(
        options, host=host, workload=workload, select=select or [], ignore=ignore, extend_select=extend,
        rules_dirs=rules_dirs, fail_on=fail_on or DEFAULT_FAIL_ON, output_format=output_format or DEFAULT_OUTPUT_FORMAT,
    )


def inputs_for_run(inputs: Any, config: ProjectConfig | None) -> list[tuple[PairConfig | None, Any]]:
    """What `advisor check` should load, as (configured pair or None, Inputs) runs.

    No files on the command line (pre-commit hook `advisor-pair`): one run per configured pair. Files given (hook
    `advisor` passes the changed ones): every configured pair that contains one of them is checked whole, and the
    files outside any pair are checked together as given. Raises ConfigError when there is nothing to check."""
    from advisor.model.inputs import Inputs

    given = list(inputs.paths) + list(inputs.nginx) + list(inputs.app)
    if not given:
        if config is None or not config.pairs:
            where = f" in {config.path}" if config is not None else ""
            raise ConfigError("no input files and no pairs configured" + where + ": pass an nginx config and an app "
                              "server config, or add [[pairs]] nginx = [...], app = [...] to .advisor.toml")
        return [(pair, Inputs(nginx=list(pair.nginx), app=list(pair.app))) for pair in config.pairs]
    if config is None or not config.pairs:
        return [(None, inputs)]
    chosen, _ = config.pairs_for_files(given)
    in_pairs = {os.path.realpath(file) for pair in chosen for file in pair.files}

    def outside(paths: Iterable[str]) -> list[str]:
        return [path for path in paths if os.path.realpath(path) not in in_pairs]

    runs: list[tuple[PairConfig | None, Any]] = [
        (pair, Inputs(nginx=list(pair.nginx), app=list(pair.app))) for pair in chosen]
    rest = Inputs(paths=outside(inputs.paths), nginx=outside(inputs.nginx), app=outside(inputs.app),
                  app_format=inputs.app_format)
    if rest.paths or rest.nginx or rest.app:
        runs.append((None, rest))
    return runs
