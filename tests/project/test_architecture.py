"""The shape of the code, checked: imports point one way, each rule and each type has one
home. These tests read the source; they run nothing of it."""

from __future__ import annotations

import ast
import dataclasses
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from optout_watch._cli import build_parser
from optout_watch.fetching.fetch import FetchSettings
from optout_watch.run.findings import Thresholds
from optout_watch.settings import DEFAULTS
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
        "optout_watch.alerts.report_view",
        "optout_watch.schemas",
    }


def test_the_alerts_read_the_report_and_nothing_of_the_run() -> None:
    allowed = ("alerts", "report", "errors", "severity", "settings")
    assert {
        imported for imported in _stage_imports("alerts") if imported.split(".")[1] not in allowed
    } == set()


def test_no_stage_imports_the_command_line() -> None:
    # The parser and the commands it runs (`_commands`, `_network_commands`, `_*_command`).
    cli_modules = {"optout_watch._cli"} | {
        name for name in MODULES if re.fullmatch(r"optout_watch\._\w*commands?", name)
    }
    assert {"optout_watch._commands", "optout_watch._network_commands"} <= cli_modules
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
    assert homes["Hop"] == ["optout_watch.fetching.fetch"]
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
    parser = build_parser()
    for action in parser._subparsers._group_actions[0].choices["check"]._actions:  # type: ignore[union-attr,index]
        if action.dest.replace("_", "-") in {
            f.name.replace("_", "-") for f in dataclasses.fields(DEFAULTS)
        }:
            assert action.default in (None, "==SUPPRESS=="), action.dest


def test_the_parsers_format_names_are_the_formats() -> None:
    from optout_watch._cli import REPORT_FORMAT_NAMES, VALIDATION_FORMAT_NAMES  # noqa: PLC0415
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
        "from optout_watch._cli import main\n"
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
        "from optout_watch._cli import main\n"
        "main(['validate', '--catalogue', 'catalogue', '-q'])\n"
        "print(sorted({'httpx', 'aiohttp', 'playwright'} & set(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True, text=True, check=True, cwd=PACKAGE.parents[1],
    )  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "[]"
