"""Shell words whose value is not known from the file: command substitution, arithmetic, template placeholders,
and the script's own arguments (`"$@"`, `$1`)."""

from __future__ import annotations

import textwrap

import pytest

from advisor.loaders.sources.expand import Environment, Expander
from advisor.loaders.sources.shell_lex import CommandSub, Lit, Template, Word, tokenize
from advisor.loaders.sources.shell_script import scan_script
from advisor.loaders.sources.text import PText, SourceText, Unresolved


def words(text: str, shell: bool = True) -> list[Word]:
    return [token for token in tokenize(SourceText("s", text).ptext(), shell=shell).tokens
            if isinstance(token, Word)]


def scan(text: str, arguments: list[str] | None = None, **env: str):
    source = SourceText("run.sh", textwrap.dedent(text).lstrip("\n"))
    environment = Environment.from_host(env)
    environment.positional = None if arguments is None else [PText(argument) for argument in arguments]
    return scan_script(source.ptext(), environment)


def argv_of(result, program: str) -> list[PText]:
    return next(c.argv for c in result.commands if c.argv and c.argv[0].text == program)


def reasons(word: PText) -> list[str]:
    return [tag.reason for tag in word.all_tags() if isinstance(tag, Unresolved)]


# -- $(...), backticks, $((...)) --------------------------------------------------------------------------------

def test_substitutions_and_arithmetic_are_one_unknown_word_each():
    result = scan("""
        exec gunicorn --workers $(( $(nproc) * 2 + 1 )) --timeout `echo 30` -b "$(hostname -i):8000" app
    """)
    argv = argv_of(result, "exec")
    assert [word.text for word in argv] == ["exec", "gunicorn", "--workers", "$(( $(nproc) * 2 + 1 ))", "--timeout",
                                            "`echo 30`", "-b", '"$(hostname -i)":8000', "app"]
    assert reasons(argv[3]) == ["$(( $(nproc) * 2 + 1 )) is shell arithmetic, which advisor does not evaluate"]
    assert reasons(argv[5]) == ["`echo 30` is the output of a command, which advisor does not run"]


def test_a_variable_holding_a_substitution_is_not_split_on_its_blanks():
    result = scan("""
        WORKERS=$(expr $CORES \\* 2)
        gunicorn -w $WORKERS app
    """)
    argv = argv_of(result, "gunicorn")
    assert [word.text for word in argv] == ["gunicorn", "-w", "$(expr $CORES \\* 2)", "app"]
    assert "is the output of a command" in reasons(argv[2])[0]


def test_arithmetic_part_is_recognised():
    [word] = words("$((2*4))")
    assert isinstance(word.parts[0], CommandSub) and word.parts[0].arithmetic
    [word] = words("$(nproc)")
    assert not word.parts[0].arithmetic


# -- template placeholders ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text, placeholder", [
    ("--timeout {{ timeout|default(30) }}", "{{ timeout|default(30) }}"),
    ("--timeout {{timeout}}", "{{timeout}}"),
    ("--timeout <%= @timeout %>", "<%= @timeout %>"),
    ("--timeout {{ .Values.timeout }}", "{{ .Values.timeout }}"),
    ("--timeout %(gunicorn_timeout)s", "%(gunicorn_timeout)s"),
    ('--timeout "{{ timeout }}"', "{{ timeout }}"),
    ("--timeout '{{ timeout }}'", "{{ timeout }}"),
])
def test_template_placeholders_are_part_of_one_word(text, placeholder):
    found = words(text)
    assert len(found) == 2
    templates = [part for part in found[1].parts if isinstance(part, Template)]
    assert [part.raw.text for part in templates] == [placeholder]
    field = Expander(Environment()).fields(found[1])
    assert len(field) == 1 and reasons(field[0]) == [f"template placeholder {' '.join(placeholder.split())}"]


def test_placeholder_inside_a_word_keeps_the_literal_around_it():
    [word] = words("unix:{{ venv }}/run/app.sock")
    assert [type(part) for part in word.parts] == [Lit, Template, Lit]
    [field] = Expander(Environment()).fields(word)
    assert field.text == "unix:{{ venv }}/run/app.sock" and reasons(field) == ["template placeholder {{ venv }}"]


def test_gunicorn_access_log_atoms_are_not_placeholders():
    [_, word] = words("--access-logformat '%(h)s %(r)s %(s)s'")
    assert [type(part) for part in word.parts] == [Lit]


def test_erb_placeholder_is_not_a_redirection():
    tokens = tokenize(SourceText("s", "gunicorn -w <%= @workers %> app").ptext()).tokens
    assert [token.raw.text for token in tokens] == ["gunicorn", "-w", "<%= @workers %>", "app"]


def test_assignment_from_a_placeholder_names_the_placeholder():
    result = scan("""
        NUM_WORKERS={{ gunicorn_num_workers }}
        exec gunicorn --workers $NUM_WORKERS app
    """)
    workers = argv_of(result, "exec")[3]
    assert reasons(workers) == ["template placeholder {{ gunicorn_num_workers }}"]
    assert "not set" not in " ".join(reasons(workers))


def test_template_conditionals_are_conditional_blocks():
    result = scan("""
        {% if use_gevent %}
        WORKER=gevent
        {% else %}
        WORKER=sync
        {% endif %}
        {# a comment #}
        gunicorn -k $WORKER app
    """)
    assert [command.argv[0].text for command in result.commands] == ["gunicorn"]
    variable = result.env.get("WORKER")
    assert not variable.known and "'gevent'" in variable.reason and "'sync'" in variable.reason


# -- "$@", $@, $*, $1 ---------------------------------------------------------------------------------------------

def test_quoted_arguments_forward_each_argument_as_one_word():
    result = scan('exec gunicorn app "$@"\n', ["--workers", "3", "--name", "my app"])
    assert [word.text for word in argv_of(result, "exec")] == ["exec", "gunicorn", "app", "--workers", "3",
                                                               "--name", "my app"]


def test_no_arguments_forward_nothing():
    for form in ('"$@"', "$@", "$*", '"${@}"'):
        result = scan(f"exec gunicorn app {form}\n", [])
        assert [word.text for word in argv_of(result, "exec")] == ["exec", "gunicorn", "app"], form


def test_unquoted_and_star_forms():
    result = scan('a $@\nb "$*"\nc $1 ${2:-x} ${3:-dflt} $#\n', ["one two", "three"])
    assert [word.text for word in argv_of(result, "a")] == ["a", "one", "two", "three"]
    assert [word.text for word in argv_of(result, "b")] == ["b", "one two three"]
    assert [word.text for word in argv_of(result, "c")] == ["c", "one", "two", "three", "dflt", "2"]


def test_arguments_not_known_stay_unknown():
    result = scan('exec gunicorn app "$@"\n')
    last = argv_of(result, "exec")[-1]
    assert last.text == '"$@"' and "an argument the script is started with" in reasons(last)[0]


def test_set_and_shift_change_the_arguments():
    result = scan("""
        set -- gunicorn "$@"
        shift 0
        exec "$@"
    """, ["app:app", "-w", "2"])
    assert [word.text for word in argv_of(result, "exec")] == ["exec", "gunicorn", "app:app", "-w", "2"]
    result = scan("shift\nrun $1\n", ["web", "app"])
    assert [word.text for word in argv_of(result, "run")] == ["run", "app"]


def test_set_in_a_branch_makes_the_arguments_unknown():
    result = scan("""
        if [ "${1#-}" != "$1" ]; then
          set -- gunicorn "$@"
        fi
        exec "$@"
    """, ["-w", "2"])
    assert reasons(argv_of(result, "exec")[1])


def test_argument_lists_without_a_shell_keep_placeholders_in_one_word():
    from advisor.loaders.sources.words import split_without_shell

    words_, errors = split_without_shell(SourceText("app.conf", "{{ venv }}/bin/gunicorn -w {{ workers }} app").ptext(),
                                         "{word} is passed as written")
    assert [word.text for word in words_] == ["{{ venv }}/bin/gunicorn", "-w", "{{ workers }}", "app"] and not errors
    assert reasons(words_[2]) == ["template placeholder {{ workers }}"]


def test_cd_and_chain_sets_the_working_directory():
    result = scan("cd /srv/shop && exec gunicorn shop.wsgi\n")
    command = next(c for c in result.commands if c.argv[0].text == "exec")
    assert command.cwd is not None and command.cwd.text == "/srv/shop"
