"""Project config discovery and parsing (.advisor.toml, advisor.toml, pyproject.toml [tool.advisor])."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.commands.options import CheckOptions, HostFacts, Inputs, Workload
from advisor.project_config import (
    ConfigError,
    find_config_file,
    load_project_config,
    merge_check_options,
)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git repository root with a nested working directory."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "services" / "web").mkdir(parents=True)
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# Discovery --------------------------------------------------------------------------------------------------------

def test_closest_directory_wins_and_name_order(project):
    cwd = project / "services" / "web"
    write(project / ".advisor.toml", "fail-on = 'error'\n")
    assert find_config_file(cwd) == project / ".advisor.toml"
    write(project / "services" / "advisor.toml", "fail-on = 'info'\n")
    assert find_config_file(cwd) == project / "services" / "advisor.toml"
    write(project / "services" / ".advisor.toml", "fail-on = 'warning'\n")
    write(project / "services" / "pyproject.toml", "[tool.advisor]\nfail-on = 'error'\n")
    assert find_config_file(cwd) == project / "services" / ".advisor.toml"
    (project / "services" / ".advisor.toml").unlink()
    assert find_config_file(cwd) == project / "services" / "advisor.toml"
    (project / "services" / "advisor.toml").unlink()
    assert find_config_file(cwd) == project / "services" / "pyproject.toml"
    assert load_project_config(cwd).fail_on == "error"


def test_pyproject_without_table_is_skipped(project):
    cwd = project / "services" / "web"
    write(project / "services" / "web" / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    write(project / "services" / "pyproject.toml", "[project]\nname = 'advisor-like'\n[tool.advisorx]\na = 1\n")
    write(project / "pyproject.toml", "[tool.advisor]\nselect = ['TMO']\n")
    config = load_project_config(cwd)
    assert config.path == project / "pyproject.toml"
    assert config.select == ("TMO",)


def test_broken_unrelated_pyproject_is_skipped_but_broken_candidate_is_an_error(project):
    cwd = project / "services" / "web"
    write(cwd / "pyproject.toml", "[tool.ruff\n")  # not ours: never parsed
    assert load_project_config(cwd) is None
    write(cwd / "pyproject.toml", "[tool.advisor]\nselect = [\n")
    with pytest.raises(ConfigError) as info:
        load_project_config(cwd)
    assert info.value.path == str(cwd / "pyproject.toml")


def test_walk_stops_at_git_root(project):
    write(project.parent / ".advisor.toml", "fail-on = 'error'\n")  # above the repository: not used
    assert find_config_file(project / "services" / "web") is None
    assert load_project_config(project / "services" / "web") is None


def test_walk_stops_at_home(tmp_path):
    home = tmp_path / "home"
    write(tmp_path / ".advisor.toml", "fail-on = 'error'\n")
    (home / "work").mkdir(parents=True)
    assert find_config_file(home / "work", home=home) is None
    write(home / "advisor.toml", "")
    assert find_config_file(home / "work", home=home) == home / "advisor.toml"


def test_explicit_path_and_isolated(project):
    cwd = project / "services" / "web"
    write(project / ".advisor.toml", "fail-on = 'error'\n")
    write(project / "ci" / "strict.toml", "fail-on = 'info'\n")
    assert load_project_config(cwd, explicit_path=project / "ci" / "strict.toml").fail_on == "info"
    assert load_project_config(project, explicit_path="ci/strict.toml").fail_on == "info"  # relative to cwd
    assert load_project_config(cwd, isolated=True) is None
    with pytest.raises(ConfigError, match="cannot be used together"):
        load_project_config(cwd, explicit_path="x.toml", isolated=True)
    with pytest.raises(ConfigError, match="config file not found") as info:
        load_project_config(cwd, explicit_path="missing.toml")
    assert info.value.path.endswith("missing.toml")
    write(cwd / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"no \[tool.advisor\] table"):
        load_project_config(cwd, explicit_path="pyproject.toml")


# Parsing ----------------------------------------------------------------------------------------------------------

FULL = """\
select = ["TMO", "keepalive-race"]
extend-select = ["ALL"]
ignore = ["CAP003"]
fail-on = "error"
output-format = "sarif"
cpus = 4
somaxconn = 1024
nginx-version = "1.28.0"
gunicorn_version = "23.0.0"
error-budget = 0.01
rules = ["ci/rules"]

[env]
PORT = "8000"
WORKERS = 3

[severity]
TMO002 = "info"

[per-file-ignores]
"legacy/*.conf" = ["TMO002"]

[[pairs]]
name = "web"
nginx = ["deploy/nginx.conf"]
app = "deploy/gunicorn.conf.py"
workload = { rps = 150, service-time = "80ms" }

[[pairs]]
nginx = "admin/nginx.conf"
gunicorn = ["admin/gunicorn.conf.py"]
"""


def test_all_keys_are_typed_and_paths_resolved(project):
    (project / "ci" / "rules").mkdir(parents=True)
    config = load_project_config(project, explicit_path=write(project / ".advisor.toml", FULL))
    base = str(project)
    assert config.path == project / ".advisor.toml"
    assert config.directory == project
    assert config.select == ("TMO", "keepalive-race")
    assert config.extend_select == ("ALL",)
    assert config.ignore == ("CAP003",)
    assert (config.fail_on, config.output_format, config.error_budget) == ("error", "sarif", 0.01)
    assert (config.host.cpus.value, config.host.somaxconn.value) == (4, 1024)
    assert (str(config.host.nginx_version), str(config.host.gunicorn_version)) == ("1.28.0", "23.0.0")
    given_in = config.host.cpus.source  # the project config, not a command-line option
    assert (given_in.kind, given_in.path, given_in.describe()) == ("file", str(config.path), f"{config.path} ([host])")
    assert config.host.version_sources["nginx_version"] == given_in and config.host.env_sources["PORT"] == given_in
    assert config.host.env == {"PORT": "8000", "WORKERS": "3"}
    assert config.severity == {"TMO002": "info"}
    assert config.rules == (project / "ci" / "rules",)
    web, admin = config.pairs
    assert web.name == "web"
    assert web.nginx == (f"{base}/deploy/nginx.conf",)
    assert web.app == (f"{base}/deploy/gunicorn.conf.py",)
    assert (web.workload.rps, web.workload.service_time) == (150.0, "80ms")
    assert admin.nginx == (f"{base}/admin/nginx.conf",) and admin.app == (f"{base}/admin/gunicorn.conf.py",)
    assert admin.name is None and admin.workload is None
    assert config.warnings == ()


def test_pyproject_table_and_pairs_relative_to_config_file(project):
    write(project / "pyproject.toml", "[tool.advisor]\nfail-on = 'info'\n[[tool.advisor.pairs]]\n"
                                      "nginx = ['nginx.conf']\napp = ['app/gunicorn.conf.py']\n")
    config = load_project_config(project / "services" / "web")
    assert config.fail_on == "info"
    assert config.pairs[0].app == (str(project / "app" / "gunicorn.conf.py"),)


def test_bad_toml_names_file_line_and_column(project):
    path = write(project / ".advisor.toml", 'fail-on = "error"\nselect = ["TMO"\nignore = []\n')
    with pytest.raises(ConfigError) as info:
        load_project_config(project)
    error = info.value
    assert (error.path, error.line) == (str(path), 3)
    assert error.column is not None
    assert str(error).startswith(f"{path}:3:")
    assert "invalid TOML" in str(error)


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ('fail-on = "fatal"\n', 1, "fail-on: expected one of error, warning, info, got 'fatal'"),
    ('\n\nselect = "TMO"\n', 3, "select: expected a list of non-empty strings"),
    ('output-format = "xml"\n', 1, "output-format: expected one of full, concise"),
    ('cpus = 0\n', 1, "cpus: expected a positive integer"),
    ('error-budget = 2\n', 1, "error-budget: expected a fraction"),
    ('nginx-version = "latest"\n', 1, "nginx-version: expected a version"),
    ('[severity]\nTMO002 = "loud"\n', 2, "severity.TMO002: expected one of error, warning, info"),
    ('[[pairs]]\nname = "x"\n', 1, "pairs: pair 1 names no files"),
    ('[[pairs]]\nnginx = ["a"]\nworkload = {rps = -1}\n', 3, "pairs.workload.rps: expected a positive number"),
    ('[[pairs]]\nnginx = ["a"]\nworkload = {rps = 5, service-time = "100"}\n', 3,
     "pairs.workload.service-time: '100' has no unit: did you mean 100ms or 100s?"),
    ('rules = ["nowhere"]\n', 1, "rules: rule directory not found"),
    ('[per-file-ignores]\n"*.conf" = "TMO"\n', 2, "per-file-ignores.*.conf: expected a list"),
])
def test_bad_values_are_errors_with_line(project, text, line, fragment):
    path = write(project / ".advisor.toml", text)
    with pytest.raises(ConfigError) as info:
        load_project_config(project)
    assert info.value.path == str(path)
    assert info.value.line == line
    assert fragment in info.value.message


def test_unknown_keys_are_reported_with_suggestions(project):
    path = write(project / ".advisor.toml",
                 'fail-on = "error"\ningore = ["X"]\nnginx = "n.conf"\n\n[[pairs]]\nngnix = ["a.conf"]\napp = "b.py"\n')
    config = load_project_config(project)
    assert config.fail_on == "error"
    messages = [str(warning) for warning in config.warnings]
    assert messages == [
        f"{path}:2: unknown key 'ingore' ignored (did you mean 'ignore'?)",
        f"{path}:3: unknown key 'nginx' ignored (files go in a pair: [[pairs]] nginx = [...], app = [...])",
        f"{path}:6: unknown key 'pairs.ngnix' ignored (did you mean 'nginx'?)",
    ]


def test_top_level_key_after_pairs_header_says_move_it_above(project):
    path = write(project / ".advisor.toml",
                 '[[pairs]]\nnginx = ["n.conf"]\napp = ["g.py"]\n\nignore = ["TMO005"]\ncpus = 4\n'
                 'per_file_ignores = { "x/*.conf" = ["KAL"] }\n')
    config = load_project_config(project)
    assert config.ignore == () and not config.host.cpus.known  # TOML made them part of the pair: not applied
    assert [str(warning) for warning in config.warnings] == [
        f"{path}:{line}: '{key}' is a top-level setting: move it above [[pairs]] (keys after a [[pairs]] header "
        "belong to that pair); ignored here"
        for line, key in ((5, "ignore"), (6, "cpus"), (7, "per_file_ignores"))]


def test_unknown_key_in_pyproject_table(project):
    write(project / "pyproject.toml", "[project]\nname='x'\n\n[tool.advisor]\nfail_on = 'info'\nselct = ['A']\n")
    config = load_project_config(project)
    assert config.fail_on == "info"
    [warning] = config.warnings
    assert warning.line == 6 and "did you mean 'select'?" in warning.message


# Per-file ignores -------------------------------------------------------------------------------------------------

def test_per_file_ignores_matching(project, monkeypatch):
    write(project / ".advisor.toml", """\
[per-file-ignores]
"legacy/*.conf" = ["TMO002"]
"gunicorn.conf.py" = ["CAP"]
"deploy/**/nginx.conf" = ["KAL001"]
"!deploy/**" = ["INFO001"]
"./tools/n?inx.conf" = ["ALL"]
"[!x]*.py" = ["WRK"]
""")
    config = load_project_config(project)

    def ignored(relative: str) -> set[str]:
        return set(config.ignored_selectors(str(project / relative)))

    assert ignored("legacy/old.conf") == {"TMO002", "INFO001"}
    assert ignored("legacy/sub/old.conf") == {"INFO001"}  # `*` stays within one directory
    assert ignored("services/api/gunicorn.conf.py") == {"CAP", "INFO001", "WRK"}  # name-only glob: any directory
    assert ignored("deploy/nginx.conf") == {"KAL001"}  # `**/` may be empty; `!deploy/**` does not apply
    assert ignored("deploy/a/b/nginx.conf") == {"KAL001"}
    assert ignored("deploy/gunicorn.conf.py") == {"CAP", "WRK"}
    assert ignored("tools/nginx.conf") == {"ALL", "INFO001"}
    assert ignored("xgunicorn.py") == {"INFO001"}
    # Relative paths are taken from the current directory.
    monkeypatch.chdir(project)
    assert set(config.ignored_selectors("legacy/old.conf")) == {"TMO002", "INFO001"}


def test_pairs_for_files_completes_a_pair(project):
    write(project / ".advisor.toml", '[[pairs]]\nnginx = "a/nginx.conf"\napp = "a/gunicorn.conf.py"\n'
                                     '[[pairs]]\nnginx = "b/nginx.conf"\napp = "b/gunicorn.conf.py"\n')
    config = load_project_config(project)
    chosen, leftover = config.pairs_for_files([str(project / "b" / "nginx.conf"), str(project / "c.conf"),
                                               str(project / "b" / "gunicorn.conf.py")])
    assert chosen == [config.pairs[1]]
    assert leftover == [str(project / "c.conf")]


# Merging with command-line options --------------------------------------------------------------------------------

def _options(**changes) -> CheckOptions:
    options = CheckOptions(inputs=Inputs(), host=HostFacts.build(), workload=Workload(error_budget=None),
                           output_format=None, fail_on=None)
    for key, value in changes.items():
        setattr(options, key, value)
    return options


def test_merge_fills_gaps_and_keeps_command_line_values(project):
    (project / "r").mkdir()
    write(project / ".advisor.toml", 'select = ["TMO"]\nignore = ["TMO003", "KAL"]\nextend-select = ["CAP"]\n'
                                     'fail-on = "error"\noutput-format = "json"\ncpus = 4\nerror-budget = 0.01\n'
                                     'rules = ["r"]\n[env]\nA = "1"\nB = "2"\n')
    config = load_project_config(project)
    merged = merge_check_options(_options(host=HostFacts.build(cpus=8, env={"B": "cli"}), extend_select=["KAL"],
                                          rules_dirs=["x"]), config)
    assert merged.host.cpus.value == 8 and merged.host.cpus.source.describe() == "command-line option --cpus 8"
    assert merged.host.env == {"A": "1", "B": "cli"}
    assert "B" not in merged.host.env_sources and merged.host.env_sources["A"].path == str(config.path)
    from_config = merge_check_options(_options(), config).host.cpus
    assert (from_config.value, from_config.source.path) == (4, str(config.path))
    assert (merged.fail_on, merged.output_format, merged.workload.error_budget) == ("error", "json", 0.01)
    assert merged.select == ["TMO"]
    assert merged.ignore == ["TMO003"]  # --extend-select KAL overrides the config's ignore of KAL
    assert merged.extend_select == ["CAP", "KAL"]
    assert merged.rules_dirs == [str(project / "r"), "x"]

    cli_select = merge_check_options(_options(select=["ALL"], ignore=["X"], fail_on="info",
                                              output_format="sarif"), config)
    assert (cli_select.select, cli_select.ignore, cli_select.extend_select) == (["ALL"], ["X"], [])
    assert (cli_select.fail_on, cli_select.output_format) == ("info", "sarif")


def test_merge_without_config_applies_defaults():
    merged = merge_check_options(_options(), None)
    assert (merged.fail_on, merged.output_format, merged.workload.error_budget) == ("warning", "full", 0.001)
    assert (merged.select, merged.ignore, merged.extend_select) == ([], [], [])


# What `advisor check` runs, and what the config does to findings ---------------------------------------------------

def _two_pairs(project: Path):
    write(project / ".advisor.toml", '[[pairs]]\nname = "a"\nnginx = "a/nginx.conf"\napp = "a/gunicorn.conf.py"\n'
                                     '[[pairs]]\nnginx = "b/nginx.conf"\napp = ["b/gunicorn.conf.py"]\n')
    return load_project_config(project)


def test_no_files_means_the_configured_pairs(project):
    from advisor.project_config import inputs_for_run

    config = _two_pairs(project)
    runs = inputs_for_run(Inputs(), config)
    assert [pair.name for pair, _ in runs] == ["a", None]
    assert runs[0][1].nginx == [str(project / "a" / "nginx.conf")]
    assert runs[1][1].app == [str(project / "b" / "gunicorn.conf.py")]
    with pytest.raises(ConfigError, match="no input files and no pairs configured"):
        inputs_for_run(Inputs(), None)


def test_changed_files_are_completed_to_their_pairs(project, monkeypatch):
    from advisor.project_config import inputs_for_run

    config = _two_pairs(project)
    monkeypatch.chdir(project)
    runs = inputs_for_run(Inputs(paths=["b/nginx.conf", "other/nginx.conf"], app=["extra.py"], app_format="shell"),
                          config)
    assert len(runs) == 2
    (pair, first), (none, rest) = runs
    assert pair is config.pairs[1] and none is None
    assert (first.nginx, first.app) == ([str(project / "b" / "nginx.conf")], [str(project / "b" / "gunicorn.conf.py")])
    assert (rest.paths, rest.app, rest.app_format) == (["other/nginx.conf"], ["extra.py"], "shell")
    given = Inputs(paths=["x.conf"])
    assert inputs_for_run(given, None) == [(None, given)]


def test_per_file_ignores_and_severity_overrides_apply_to_findings(project):
    from advisor.engine.findings import Finding
    from advisor.engine.postprocess import apply_policy

    write(project / ".advisor.toml", '[per-file-ignores]\n"legacy/*.conf" = ["TMO"]\n'
                                     '[severity]\nALL = "info"\nKAL = "warning"\nKAL001 = "error"\n'
                                     'backlog-hides-overload = "warning"\n')
    config = load_project_config(project)

    def finding(code: str, name: str, path: str | None) -> Finding:
        return Finding(code, name, "warning", "m", None, str(project / path) if path else None, 1, 1)

    result = apply_policy([
        finding("TMO002", "proxy-read-timeout-below-app-time", "legacy/old.conf"),  # ignored here
        finding("TMO002", "proxy-read-timeout-below-app-time", "deploy/nginx.conf"),  # ALL -> info
        finding("KAL001", "keepalive-race", "legacy/old.conf"),  # exact code beats prefix and ALL
        finding("KAL002", "keepalive-other", None),  # prefix beats ALL
        finding("CAP003", "backlog-hides-overload", "a.py"),  # name
    ], config.finding_policy())
    assert [(f.code, f.severity) for f in result] == [
        ("TMO002", "info"), ("KAL001", "error"), ("KAL002", "warning"), ("CAP003", "warning")]
    assert apply_policy(result, None) == result
