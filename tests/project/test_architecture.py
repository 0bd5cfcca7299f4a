"""The shape of the code, checked: imports point one way, each rule and each type has one
home. These tests read the source; they run nothing of it."""

from __future__ import annotations

import argparse
import ast
import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from optout_watch import cli
from optout_watch.cli import build_parser
from optout_watch.fetching.model import FetchSettings
from optout_watch.run.findings import Thresholds
from optout_watch.settings import DEFAULTS
from tests.support.alerts_reports import failing_link, report, write_report
from tests.support.paths import ROOT

PACKAGE = ROOT / "src" / "optout_watch"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _imports(name: str) -> set[str]:
    """The package's modules that `name` imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(TREES[name]):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            candidates = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        found |= {c for c in candidates if c in MODULES and c != "optout_watch"}
    return found - {name}


GRAPH = {name: _imports(name) for name in MODULES}


def _cycle_from(start: str) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        current, path = stack.pop()
        for following in GRAPH[current]:
            if following == start:
                return [*path, start]
            if following not in path:
                stack.append((following, [*path, following]))
    return None


def test_no_import_cycle() -> None:
    cycles = [cycle for name in MODULES if (cycle := _cycle_from(name))]
    assert cycles == []


def _importers_of(prefix: str) -> set[str]:
    return {
        name
        for name, imported in GRAPH.items()
        if any(i == prefix or i.startswith(prefix + ".") for i in imported)
    }


def test_only_the_report_builder_its_readers_and_the_schema_know_the_report_models() -> None:
    """The stages hand each other their own results; the report is built in one place and
    read by the formats and the alerts (the report is the one interface of the alerts)."""
    assert _importers_of("optout_watch.report.model") <= {
        "optout_watch.report.build",
        "optout_watch.report.formats",
        "optout_watch.report.people",
        "optout_watch.report.read",
        "optout_watch.report.schema",
    }


def test_the_alerts_read_the_report_and_nothing_of_the_run() -> None:
    allowed = ("alerts", "report", "errors", "severity", "settings", "kinds")
    # What a finding proposes is worked out once, from the report, for `fix` and the alerts.
    shared = {"optout_watch.fixes.propose"}
    assert {
        imported
        for imported in _stage_imports("alerts") - shared
        if imported.split(".")[1] not in allowed
    } == set()


def test_what_a_finding_proposes_reads_only_the_report() -> None:
    assert {imported.split(".")[1] for imported in GRAPH["optout_watch.fixes.propose"]} <= {
        "report",
        "kinds",
    }


def test_no_stage_imports_the_command_line() -> None:
    cli_modules = {name for name in MODULES if name.startswith("optout_watch.cli")}
    assert {
        "optout_watch.cli",
        "optout_watch.cli.catalogue",
        "optout_watch.cli.network",
    } <= cli_modules
    for module in cli_modules:
        assert _importers_of(module) <= cli_modules | {"optout_watch.__main__"}


def _stage_imports(stage: str) -> set[str]:
    return {
        imported
        for name, imports in GRAPH.items()
        if name.startswith(f"optout_watch.{stage}.")
        for imported in imports
    }


def test_fetching_knows_nothing_of_the_catalogue_the_run_or_the_report() -> None:
    forbidden = ("catalogue", "lint", "pages", "run", "report", "storage", "alerts")
    assert not {
        imported for imported in _stage_imports("fetching") if imported.split(".")[1] in forbidden
    }


def test_page_text_knows_nothing_of_http_the_catalogue_or_the_run() -> None:
    forbidden = ("catalogue", "fetching", "run", "report", "storage", "alerts")
    assert not {
        imported for imported in _stage_imports("pages") if imported.split(".")[1] in forbidden
    }


def _definitions() -> Iterator[tuple[str, str]]:
    for name, tree in TREES.items():
        for node in tree.body:
            if isinstance(node, ast.ClassDef):
                yield node.name, name


def test_every_public_type_is_defined_once() -> None:
    homes: dict[str, list[str]] = {}
    for cls, module in _definitions():
        if not cls.startswith("_"):
            homes.setdefault(cls, []).append(module)
    assert {cls: where for cls, where in homes.items() if len(where) > 1} == {}
    assert homes["Hop"] == ["optout_watch.fetching.model"]
    assert homes["Suggestion"] == ["optout_watch.pages.labels"]
    assert homes["Severity"] == ["optout_watch.severity"]
    assert homes["Diagnostic"] == ["optout_watch.lint.diagnostics"]
    assert homes["ExitCode"] == ["optout_watch.errors"]
    # The report keeps copies of its own, so that reading it needs none of the stages.
    assert homes["HopReport"] == ["optout_watch.report.model"]


def _calls(attribute: str) -> set[str]:
    return {
        name
        for name, tree in TREES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == attribute
    }


def test_temporary_files_are_written_in_one_place() -> None:
    assert _calls("mkstemp") == {"optout_watch.storage.atomic"}
    assert _calls("fsync") == {"optout_watch.storage.atomic"}


def test_exit_codes_are_named_once() -> None:
    assigned = {
        (name, target.id)
        for name, tree in TREES.items()
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name) and target.id.startswith("EXIT")
    }
    assert assigned == set()


def test_every_default_comes_from_the_settings() -> None:
    fetch = FetchSettings()
    for name in ("timeout", "retries", "max_concurrency", "per_host", "user_agent"):
        assert getattr(fetch, name) == getattr(DEFAULTS, name)
    assert Thresholds() == Thresholds(DEFAULTS.confirm_after, DEFAULTS.blocked_after)
    # The command line sets nothing unless given, so the settings' merge decides.
    settings = {f.name for f in dataclasses.fields(DEFAULTS)} - {"source"}  # not an option
    checked = set()
    for command in _commands(build_parser()):
        for action in command._actions:
            if action.dest in settings:
                assert action.default in (None, "==SUPPRESS=="), (command.prog, action.dest)
                checked.add(action.dest)
    assert {"confirm_after", "max_new", "min_score", "fixes_branch"} <= checked


#: The options whose destination is not their setting's name.
_SETTING_OF_DEST = {"archive_mode": "archive"}


def test_every_default_in_a_help_is_the_settings_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Built over other defaults, every option of a setting shows them: its help names no
    copy of a default, which would go stale when the default changes."""
    other = dataclasses.replace(
        DEFAULTS, catalogue=Path("cat-x"), state=Path("state-x"), confirm_after=17,
        blocked_after=19, timeout=23.5, deadline=29.5, archive="never", retries=31,
        max_concurrency=37, per_host=41, render="never", min_score=0.43, max_new=47,
        fixes_branch="bots/fixes-x",
    )  # fmt: skip
    monkeypatch.setattr(cli, "DEFAULTS", other)
    # Rule codes to run or skip: none by default, which a help need not say; `source` is where
    # the settings came from, and another command's option of that name is not it.
    settings = {f.name for f in dataclasses.fields(DEFAULTS)} - {"select", "ignore", "source"}
    shown: set[str] = set()
    for command in _commands(build_parser()):
        for action in command._actions:
            name = _SETTING_OF_DEST.get(action.dest, action.dest)
            if name not in settings:
                continue
            value = getattr(other, name)
            assert value != getattr(DEFAULTS, name), f"give {name} another value above"
            text = f"{value:g}" if isinstance(value, float) else str(value)
            assert f"(default {text}" in (action.help or ""), (command.prog, name, action.help)
            shown.add(name)
    assert shown == {
        "catalogue", "state", "confirm_after", "blocked_after", "timeout", "deadline",
        "archive", "retries", "max_concurrency", "per_host", "render", "min_score",
        "max_new", "fixes_branch",
    }  # fmt: skip


def _commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    """Every command's parser, `issues sync` included."""
    for action in parser._subparsers._group_actions if parser._subparsers else ():
        for command in action.choices.values():  # type: ignore[union-attr]
            yield command
            yield from _commands(command)


def test_the_parsers_format_names_are_the_formats() -> None:
    from optout_watch.cli import REPORT_FORMAT_NAMES, VALIDATION_FORMAT_NAMES  # noqa: PLC0415
    from optout_watch.lint.formats import VALIDATION_FORMATS  # noqa: PLC0415
    from optout_watch.report.formats import REPORT_FORMATS  # noqa: PLC0415

    assert tuple(sorted(VALIDATION_FORMATS)) == VALIDATION_FORMAT_NAMES
    assert tuple(sorted(REPORT_FORMATS)) == REPORT_FORMAT_NAMES


@pytest.mark.parametrize("arguments", [["--version"], ["--help"], ["rules"]])
def test_starting_up_loads_nothing_heavy(arguments: list[str]) -> None:
    """Imports, not time, are checked here (time is the benchmark's): `--help`, `--version`
    and `rules` load no model, no HTTP client, no validator and no YAML parser."""
    script = (
        "import sys\n"
        "from optout_watch.cli import main\n"
        "try:\n"
        f"    main({arguments!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'pydantic', 'httpx', 'jsonschema', 'yaml', 'rapidfuzz', 'rich'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_validating_loads_no_http_stack() -> None:
    script = (
        "import sys\n"
        "from optout_watch.cli import main\n"
        "main(['validate', '--catalogue', 'catalogue', '-q'])\n"
        "print(sorted({'httpx', 'aiohttp', 'playwright'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, check=True, cwd=PACKAGE.parents[1],
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "[]"


#: The modules at the package's root: what several stages share, and the entry points.
ROOT_MODULES = {"__init__", "__main__", "settings", "errors", "severity", "kinds"}


def test_the_package_root_holds_only_what_the_stages_share() -> None:
    at_root = {path.stem for path in PACKAGE.glob("*.py")}
    assert at_root == ROOT_MODULES


def test_finding_codes_are_written_only_in_the_kinds_table() -> None:
    from optout_watch.kinds import FINDING_KINDS  # noqa: PLC0415

    written = {
        (name, node.lineno)
        for name, tree in TREES.items()
        if name != "optout_watch.kinds"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and node.value in FINDING_KINDS
    }
    assert written == set()


def test_the_report_model_imports_only_light_modules() -> None:
    """Its own plain types: no stage's module but the small enums both sides name."""
    assert GRAPH["optout_watch.report.model"] <= {
        "optout_watch.severity",
        "optout_watch.fetching.failures",
        "optout_watch.pages.evidence",
    }
    for light in ("optout_watch.fetching.failures", "optout_watch.pages.evidence"):
        assert GRAPH[light] == set(), light


def test_reading_a_report_loads_no_http_html_or_fuzzy_matching(tmp_path: Path) -> None:
    entry, problem = failing_link("https://example.com/privacy/ai", "link-moved")
    path = write_report(tmp_path / "report.json", report(findings=[problem], links=[entry]))
    script = (
        "import sys\n"
        "import optout_watch.report.read\n"
        f"view = optout_watch.report.read.load_report(__import__('pathlib').Path({str(path)!r}))\n"
        "assert len(view.findings) == 1\n"
        "heavy = {'httpx', 'aiohttp', 'selectolax', 'rapidfuzz'}\n"
        "print(sorted(heavy & {name.split('.')[0] for name in sys.modules}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "[]"
