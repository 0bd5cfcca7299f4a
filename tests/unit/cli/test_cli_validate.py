"""`optout-watch validate`, `rules`, `export` and `schema` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from optout_watch.catalogue.loader import Position
from optout_watch.catalogue.models import PATTERN_HINTS
from optout_watch.catalogue.schema import export_schema, platform_schema
from optout_watch.cli import main
from tests.support.catalogue import HAZARDS, WriteFile, valid_platform
from tests.support.paths import ROOT


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# Run in an empty folder so that the repository's pyproject.toml is not picked up.
pytestmark = pytest.mark.usefixtures("run_folder")


def test_valid_catalogue_exits_0(
    capsys: pytest.CaptureFixture[str], write_catalogue_file: WriteFile
) -> None:
    write_catalogue_file(valid_platform())
    code, out, _ = run(capsys, "validate")
    assert code == 0
    assert out == (
        "1 file checked: no problems.\n"
        "labels watched: fr 0/1, en 1/1; 1 not watchable, each with its reason\n"
    )


def test_every_problem_of_every_file_is_reported_with_its_location(
    capsys: pytest.CaptureFixture[str], write_catalogue_file: WriteFile
) -> None:
    data = valid_platform()
    data["procedures"][0]["channel"] = "settingz"
    data["procedures"][0]["caveat"] = [{"fr": "x", "en": "y"}]
    del data["provider"]
    write_catalogue_file(data)
    write_catalogue_file("id: x\nid: y\n", name="x.yaml")
    code, out, _ = run(capsys, "validate")
    assert code == 1
    lines = out.splitlines()
    assert (
        "catalogue/example-chat.yaml:2:1: OW201 missing 'provider', which is required here" in lines
    )
    assert any(
        line.startswith("catalogue/example-chat.yaml:") and "OW201 unknown key 'caveat'" in line
        for line in lines
    )
    assert any("OW201 procedures.0.channel: 'settingz' is not one of" in line for line in lines)
    assert (
        "catalogue/x.yaml:2:1: OW104 duplicate key 'id' (first at line 1); keep one of the two"
        in lines
    )
    assert lines[-1] == "2 files checked: 4 errors, 0 warnings."


def test_pattern_errors_are_explained_in_words(
    capsys: pytest.CaptureFixture[str], write_catalogue_file: WriteFile
) -> None:
    data = valid_platform()
    data["links"][0]["lang"] = "English"
    write_catalogue_file(data)
    code, out, _ = run(capsys, "validate")
    assert code == 1
    assert "expected a language tag such as fr, en or en-US" in out


def _patterns(schema: object) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["pattern"]} if isinstance(schema.get("pattern"), str) else set()
        return found.union(*(_patterns(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_patterns(value) for value in schema))
    return set()


def test_every_pattern_of_the_format_is_explained_in_words() -> None:
    assert _patterns(platform_schema()) == set(PATTERN_HINTS)


def test_github_format_prints_annotations(
    capsys: pytest.CaptureFixture[str], write_catalogue_file: WriteFile
) -> None:
    data = valid_platform()
    data["links"][0]["url"] = "http://help.example.com/a"
    path = write_catalogue_file(data)
    code, out, _ = run(capsys, "validate", str(path), "--format", "github")
    assert code == 1
    line = out.splitlines()[0]
    assert line.startswith("::error file=catalogue/example-chat.yaml,line=")
    assert ",title=OW301::http%3A" not in line  # the message is data: colons stay
    assert "::http://help.example.com/a is not https" in line


def test_json_format(capsys: pytest.CaptureFixture[str], write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    data["last_reviewed"] = "2020-01-01"
    write_catalogue_file(data)
    code, out, _ = run(capsys, "validate", "--format", "json")
    assert code == 0  # a warning alone needs no action
    document = json.loads(out)
    assert document["warnings"] == 1
    assert document["diagnostics"][0]["code"] == "OW601"


def test_missing_path_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", "nowhere")
    assert code == 2
    assert out == ""
    assert err == "optout-watch: nowhere: no such file or folder\n"


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["validate", "--formatt", "json"])
    assert caught.value.code == 2


def test_configuration_from_pyproject_and_environment(
    capsys: pytest.CaptureFixture[str],
    write_catalogue_file: WriteFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = valid_platform()
    data["last_reviewed"] = "2020-01-01"
    data["links"][0]["url"] = "http://help.example.com/a"
    write_catalogue_file(data)
    (tmp_path / "pyproject.toml").write_text('[tool.optout-watch]\nignore = ["OW301"]\n')
    code, out, _ = run(capsys, "validate")
    assert (code, [line.split()[1] for line in out.splitlines()[:-2]]) == (0, ["OW601"])
    monkeypatch.setenv("OPTOUT_WATCH_IGNORE", "OW301,OW601")
    code, out, _ = run(capsys, "validate")
    assert (code, out.splitlines()[0]) == (0, "1 file checked: no problems.")


def test_configuration_mistake_is_located(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname="x"\n\n[tool.optout-watch]\nmax-age = 3\n'
    )
    code, _, err = run(capsys, "validate")
    assert code == 2
    where = f"{tmp_path / 'pyproject.toml'}:5: [tool.optout-watch] max-age"
    assert err.startswith(f"optout-watch: {where}: unknown setting 'max-age'; known settings: ")


def test_rules_lists_every_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    assert "OW503  french-guillemets" in out
    assert len(out.splitlines()) >= 20


def test_export_matches_its_schema(
    capsys: pytest.CaptureFixture[str], write_catalogue_file: WriteFile, tmp_path: Path
) -> None:
    write_catalogue_file(valid_platform())
    code, _, _ = run(capsys, "export", "-o", "out.json")
    assert code == 0
    document = json.loads((tmp_path / "out.json").read_text())
    jsonschema.validate(document, export_schema())
    link = document["platforms"][0]["links"][0]
    assert link == {
        "id": "help",
        "url": "https://help.example.com/articles/1-privacy",
        "kind": "help",
        "lang": "en",
        "watch": {
            "select": "article",
            "remove": [],
            "ignore": [],
            "expect": ["Privacy"],
            "render": "plain",
            "renamed": [],
        },
    }


def test_export_refuses_an_invalid_catalogue(
    capsys: pytest.CaptureFixture[str], write_catalogue_file: WriteFile
) -> None:
    write_catalogue_file("id: [\n", name="bad.yaml")
    code, out, err = run(capsys, "export")
    assert (code, out) == (1, "")
    assert "export refused" in err


def test_committed_schemas_match_the_models(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "schema", "--check", "--output", str(ROOT / "schema"))
    assert code == 0, err


def test_schema_check_fails_on_drift(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "platform.schema.json").write_text("{}\n")
    code, _, err = run(capsys, "schema", "--check", "--output", "schema")
    assert code == 1
    assert "out of date with the models" in err


@pytest.mark.parametrize(
    ("raw", "code", "position", "fragment"),
    [case[1:] for case in HAZARDS],
    ids=[case[0] for case in HAZARDS],
)
def test_a_hostile_file_is_one_located_finding(
    raw: bytes,
    code: str,
    position: Position,
    fragment: str,
    capsys: pytest.CaptureFixture[str],
    write_catalogue_file: WriteFile,
) -> None:
    write_catalogue_file(raw, name="hostile.yaml")
    write_catalogue_file(valid_platform())
    exit_code, out, err = run(capsys, "validate")
    assert (exit_code, err) == (1, "")
    first = out.splitlines()[0]
    assert first.startswith(f"catalogue/hostile.yaml:{position.line}:{position.column}: {code} ")
    assert fragment in first
    assert out.splitlines()[-2] == "2 files checked: 1 error, 0 warnings."


def test_an_oversized_file_is_one_located_finding(
    capsys: pytest.CaptureFixture[str], write_catalogue_file: WriteFile
) -> None:
    write_catalogue_file(b"a: " + b"x" * (1024 * 1024) + b"\n", name="huge.yaml")
    code, out, _ = run(capsys, "validate")
    assert code == 1
    assert out.startswith("catalogue/huge.yaml:1:1: OW102 file is 1,048,580 bytes, over the limit")


def test_a_dedicated_configuration_file_from_the_environment(
    capsys: pytest.CaptureFixture[str],
    write_catalogue_file: WriteFile,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = valid_platform()
    data["links"][0]["url"] = "http://help.example.com/a"
    write_catalogue_file(data)
    (tmp_path / "watch.toml").write_text('ignore = ["OW301"]\n')
    monkeypatch.setenv("OPTOUT_WATCH_CONFIG", str(tmp_path / "watch.toml"))
    assert run(capsys, "validate")[0] == 0
    monkeypatch.setenv("OPTOUT_WATCH_CONFIG", str(tmp_path / "missing.toml"))
    code, _, err = run(capsys, "validate")
    assert code == 2
    assert err == f"optout-watch: {tmp_path / 'missing.toml'}: no such configuration file\n"
