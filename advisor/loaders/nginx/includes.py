"""Resolve `include` directives: globs, relative paths, stock files, templates, caps; parse each file once.

Relative include paths are resolved against the main config's directory (as `nginx -c FILE` does).
An absolute `/etc/nginx/...` path is first looked up under the main config's directory (a repository usually holds
the tree that gets installed as /etc/nginx), then at the absolute path.

An included file that is not here but whose template is (`proxy.conf` and `proxy.conf.template` next to the including
file, next to the main config, or in a `templates/` directory there: the nginx image renders
/etc/nginx/templates/*.template into /etc/nginx/conf.d/ at start) is read from the template. Any other missing
include is an input the repository is not expected to hold (generated at start, a secret, another checkout): an
info diagnostic that names it, never a failure.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from advisor.loaders.fix_texts import placeholder_fix
from advisor.loaders.nginx.columns import remember_text
from advisor.loaders.nginx.parsing import FileReadError, ParsedFile, parse_file
from advisor.loaders.nginx.stock import STOCK_GLOB_DIRS, stock_name, stock_statements
from advisor.loaders.nginx.templates import TemplateText
from advisor.model.deployment import Diagnostic

MAX_FILES = 10_000  # distinct files read
MAX_INCLUSIONS = 20_000  # file inclusions in total (a file included from many places counts each time)
_NGINX_PREFIXES = ("/etc/nginx/",)


@dataclass(slots=True)
class SourceFile:
    """A block of statements to walk: a parsed file, or the assumed stock content of a missing one."""

    key: str  # real path (loop detection), or "stock:NAME"
    display: str  # path used in Sources and diagnostics
    stmts: list[dict[str, Any]]
    template: TemplateText | None = None
    note: str | None = None  # added to the Source detail of every value read from it
    has_suppressions: bool = False  # the text mentions "advisor:" (suppression comments to collect)


def display_path(path: str, cwd: str) -> str:
    absolute = os.path.abspath(path)
    if absolute.startswith(cwd.rstrip(os.sep) + os.sep):
        return os.path.relpath(absolute, cwd)
    return absolute


class FileSet:
    """Every file of one configuration: parsed once, with parse diagnostics reported once."""

    def __init__(self, main_path: str, diagnostics: list[Diagnostic], cwd: str | None = None,
                 env: Mapping[str, str] | None = None, origins: Mapping[str, str] | None = None) -> None:
        self.main_path = main_path
        self.env = env or {}
        self.origins = origins or {}  # where each env value came from, for Sources (default: --env)
        self.incomplete = False  # some included text could not be read: names not found may be defined there
        self.cwd = cwd or os.getcwd()
        self.config_dir = os.path.dirname(main_path)
        self.diagnostics = diagnostics
        self.files: list[str] = []  # display paths, in the order first read
        self.sources: list[SourceFile] = []  # parsed files, in the order first read
        self._parsed: dict[str, SourceFile | None] = {}
        self._inclusions = 0
        self._cap_reported: set[str] = set()
        self._stock_reported: set[str] = set()
        self._resolved: dict[str, list[str]] = {}  # include argument -> files found
        self._keys: dict[str, str] = {}  # path -> real path
        self._main_key = os.path.realpath(main_path)

    # -- reading --------------------------------------------------------------------------------------------
    def load_main(self) -> SourceFile | None:
        return self._load(self.main_path, self.main_path, None)

    def _load(self, path: str, display: str | None, include_site: tuple[str, int] | None,
              note: str | None = None) -> SourceFile | None:
        key = self._keys.get(path)
        if key is None:
            key = self._keys[path] = os.path.realpath(path)
        if key in self._parsed:
            return self._parsed[key]
        if len(self._parsed) >= MAX_FILES:
            self._report_cap("files", include_site,
                             f"more than {MAX_FILES} files included; the rest are not read")
            return None
        if key == self._main_key:
            display = self.main_path
        elif display is None:
            display = display_path(path, self.cwd)
        try:
            parsed: ParsedFile = parse_file(path, self.env, self.origins)
        except FileReadError as error:
            self._parsed[key] = None
            if include_site is None:
                self.diagnostics.append(Diagnostic(
                    "ADV001", "error", f"cannot read nginx config {path}: {error}", path,
                    fix="check the path (relative paths are taken from the current directory) and that the file "
                        "is readable"))
            else:
                self.incomplete = True
                if os.path.isdir(path):  # nginx fails the same way on the server: "pread() ... (21: Is a directory)"
                    self.diagnostics.append(Diagnostic(
                        "ADV002", "warning", f"include {path} names a directory: nginx refuses to start",
                        include_site[0], include_site[1], fix=f"include the files in it, e.g. include {path}/*.conf;"))
                else:  # unreadable here (permissions, a special file) says nothing certain about the server
                    self.diagnostics.append(Diagnostic(
                        "ADV002", "info", f"include {path} cannot be read here: {error}; nothing from it was checked",
                        include_site[0], include_site[1],
                        fix="make it readable for advisor (nginx refuses to start if it cannot read it either)"))
            return None
        self.files.append(display)
        remember_text(display, parsed.text)
        for error in parsed.errors:
            self.diagnostics.append(Diagnostic("ADV001", "error", error.message, display, error.line))
        if parsed.template is not None:
            for insertion in parsed.template.insertions:
                self.incomplete = True
                self.diagnostics.append(Diagnostic(
                    "ADV002", "info", f"{insertion.placeholder} on a line of its own inserts configuration when the "
                    "template is rendered; what it inserts was not checked", display, insertion.line,
                    fix=placeholder_fix(insertion.placeholder, "what it inserts")))
        source = SourceFile(key, display, parsed.stmts, parsed.template, has_suppressions=parsed.has_suppressions,
                            note=note)
        self._parsed[key] = source
        self.sources.append(source)
        return source

    def _report_cap(self, what: str, site: tuple[str, int] | None, message: str) -> None:
        if what in self._cap_reported:
            return
        self._cap_reported.add(what)
        path, line = site if site else (self.main_path, None)
        self.diagnostics.append(Diagnostic("ADV005", "warning", message, path, line,
                                           fix="check the files that matter one by one: pass the site file that "
                                               "proxies to the app with the app config"))

    # -- include resolution ---------------------------------------------------------------------------------
    def include(self, arg: str, site_path: str, site_line: int) -> list[SourceFile]:
        """The files an `include ARG;` at site_path:site_line pulls in (stock content for missing stock files)."""
        magic = glob.has_magic(arg)
        candidates = self._candidates(arg, magic)
        found = self._resolved.get(arg)
        if found is None:  # the same snippet is often included from hundreds of locations
            found = []
            for pattern in candidates:
                found = self._glob(pattern, (site_path, site_line)) if magic else (
                    [pattern] if os.path.exists(pattern) else [])
                if found:
                    break
            self._resolved[arg] = found
        if not found:
            template = None if magic else self._template_for(arg, site_path)
            if template is None:
                return self._missing(arg, candidates[-1], magic, site_path, site_line)
            source = self._load(template, None, (site_path, site_line),
                                note=f"rendered from {display_path(template, self.cwd)}, the template of {arg}")
            return [source] if source is not None else []
        result = []
        for path in found:
            self._inclusions += 1
            if self._inclusions > MAX_INCLUSIONS:
                self._report_cap("inclusions", (site_path, site_line),
                                 f"more than {MAX_INCLUSIONS} file inclusions; the rest are skipped")
                break
            source = self._load(path, None, (site_path, site_line))
            if source is not None:
                result.append(source)
        return result

    def _candidates(self, arg: str, magic: bool) -> list[str]:
        """Paths (glob patterns when `magic`) to try, in order; the last one is nginx's own reading."""
        base = glob.escape(self.config_dir) if magic else self.config_dir  # `[` in a directory name is no glob
        if not os.path.isabs(arg):
            return [os.path.join(base, arg)]
        for prefix in _NGINX_PREFIXES:
            if arg.startswith(prefix) and os.path.realpath(self.config_dir or ".") != prefix.rstrip("/"):
                return [os.path.join(base, arg[len(prefix):]), arg]
        return [arg]

    def _template_for(self, arg: str, site_path: str) -> str | None:
        """`NAME.template` for a missing `include .../NAME;`: next to the including file or the main config, or in
        a `templates/` directory there or one level up (the nginx image's /etc/nginx/templates)."""
        name = os.path.basename(arg) + ".template"
        directories: list[str] = []
        for base in (os.path.dirname(site_path), self.config_dir):
            for directory in (base, os.path.join(base, "templates"), os.path.join(os.path.dirname(base), "templates")):
                if directory not in directories:
                    directories.append(directory)
        for directory in directories:
            candidate = os.path.join(directory, name)
            if os.path.isfile(candidate):
                return candidate
        return None

    def _glob(self, pattern: str, site: tuple[str, int]) -> list[str]:
        matches = []
        for path in glob.iglob(pattern):
            if os.path.isfile(path):
                matches.append(path)
                if len(matches) > MAX_FILES:
                    self._report_cap("glob", site, f"include {pattern} matches more than {MAX_FILES} files; "
                                                   f"only the first {MAX_FILES} are read")
                    break
        matches.sort()
        return matches[:MAX_FILES]

    def _missing(self, arg: str, path: str, magic: bool, site_path: str, site_line: int) -> list[SourceFile]:
        name = stock_name(arg)
        if name is not None and name in STOCK_GLOB_DIRS:
            return []
        if name is not None:
            if name not in self._stock_reported:  # once per stock file: it is the same assumption every time
                self._stock_reported.add(name)
                self.diagnostics.append(Diagnostic(
                    "ADV003", "info", f"include {arg} not found: advisor assumed the stock {name}, so edits to the "
                    "server's copy were not checked", site_path, site_line))
            stmts = stock_statements(name, site_line)
            if not stmts:
                return []
            return [SourceFile(f"stock:{name}", site_path, stmts,
                               note=f"stock {name} assumed: {arg} not found")]
        if magic:
            self.diagnostics.append(Diagnostic(
                "ADV002", "info", f"include {arg} matches no files; nothing from it is checked", site_path,
                site_line, fix="nothing to fix: nginx accepts a pattern that matches nothing; pass the files it "
                               "should match (or the tree they are in) to check them"))
        else:
            self.incomplete = True
            looked = "" if path == arg else f" (looked for {path})"
            self.diagnostics.append(Diagnostic(
                "ADV002", "info", f"include {arg} is not among the inputs{looked}: nothing from it was checked",
                site_path, site_line,
                missing=arg,
                fix="nothing to fix if the file exists on the server; pass it as an input if you have it (or the "
                    "tree it is in) to check what it sets"))
        return []

