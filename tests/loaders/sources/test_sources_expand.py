"""Shell parameter expansion keeps provenance and explains what it cannot resolve."""

from __future__ import annotations

from advisor.loaders.sources.expand import Environment, Expander, VarValue, interpolate
from advisor.loaders.sources.shell_lex import Word, tokenize
from advisor.loaders.sources.text import DefaultUsed, PText, SourceText, Unresolved, VarUse
from advisor.model.provenance import Source


def fields(text: str, env: Environment | None = None) -> list[PText]:
    env = env or Environment()
    result = []
    for token in tokenize(SourceText("cmd", text).ptext()).tokens:
        if isinstance(token, Word):
            result.extend(Expander(env).fields(token))
    return result


def env_of(**values: str) -> Environment:
    return Environment({name: VarValue(name, PText(value), Source.file("env", 3, 1)) for name, value in values.items()})


def test_defaults_with_and_without_colon():
    assert [f.text for f in fields("${W:-4} ${W-4} ${E:-4} ${E-4}", env_of(E=""))] == ["4", "4", "4"]
    # ${E-4} with E set to "" is "" and, unquoted, disappears


def test_set_value_wins_and_is_tagged_with_its_source():
    [word] = fields("-w${WORKERS:-4}", env_of(WORKERS="9"))
    assert word.text == "-w9"
    uses = [tag for tag in word.all_tags() if isinstance(tag, VarUse)]
    assert uses[0].name == "WORKERS" and uses[0].source.line == 3
    assert word.origins[0].column == 1  # "-w" as written


def test_default_is_positioned_where_it_is_written():
    [word] = fields("--workers=${WORKERS:-4}")
    assert word.text == "--workers=4"
    assert word.origins[-1].column == len("--workers=${WORKERS:-") + 1
    assert DefaultUsed("WORKERS") in word.all_tags()


def test_unset_without_default_stays_as_written_with_a_reason():
    [word] = fields("$PORT")
    assert word.text == "$PORT"
    [tag] = [tag for tag in word.all_tags() if isinstance(tag, Unresolved)]
    assert tag.reason.startswith("$PORT is not set and has no default")
    [quoted] = fields('"${PORT}"')
    assert quoted.text == '"${PORT}"'  # quoted: one argument, never "may add options"


def test_field_splitting_only_for_unquoted_expansions():
    env = env_of(ARGS="--preload  --threads=2", EMPTY="")
    assert [f.text for f in fields("gunicorn $ARGS app", env)] == ["gunicorn", "--preload", "--threads=2", "app"]
    assert [f.text for f in fields('gunicorn "$ARGS" app', env)] == ["gunicorn", "--preload  --threads=2", "app"]
    assert [f.text for f in fields('a $EMPTY "" b', env)] == ["a", "", "b"]


def test_alternative_and_assign_defaults():
    env = env_of(SET="x")
    assert [f.text for f in fields("${SET:+yes} ${UNSET:+yes} ${NEW:=7} $NEW", env)] == ["yes", "7", "7"]


def test_positional_and_command_substitution_are_unresolved():
    for text, fragment in (("$1", "argument the script is started with"), ("$(nproc)", "output of a command"),
                           ("${X%%.*}", "does not evaluate")):
        [word] = fields(text)
        assert any(fragment in tag.reason for tag in word.all_tags() if isinstance(tag, Unresolved)), text
    [word] = fields("${1:-app:app}")
    assert word.text == "app:app"


def test_compose_interpolation():
    env = Environment({"TAG": VarValue("TAG", PText("1.2"), None)}, unset_hint=" (compose)")
    value = interpolate(SourceText("c", "img:${TAG} -w ${W:-3} $$HOME ${MISSING}").ptext(), env)
    assert value.text == "img:1.2 -w 3 $HOME ${MISSING}"
    reasons = [tag.reason for tag in value.all_tags() if isinstance(tag, Unresolved)]
    assert reasons == ["$MISSING is not set and has no default (compose) (pass --env MISSING=...)"]
