"""The committed schema and the CLI give the same verdict, and the real catalogue is valid."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from optout_watch.catalogue.models import Platform
from optout_watch.lint.rules import RuleSettings
from optout_watch.lint.runner import Selection, discover, validate_files
from optout_watch.severity import Severity
from tests.support.catalogue import WriteFile, valid_platform
from tests.support.paths import ROOT

COMMITTED = json.loads((ROOT / "schema" / "platform.schema.json").read_text(encoding="utf-8"))


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def _delete(path: tuple[Any, ...]) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


MISTAKES = {
    "unknown channel": _set(("procedures", 0, "channel"), "app"),
    "unknown surface": _set(("procedures", 0, "surfaces"), ["watch"]),
    "unknown link kind": _set(("links", 0, "kind"), "page"),
    "unknown audience": _set(("procedures", 0, "audience"), ["everyone"]),
    "extra key at the top": _set(("notes",), "x"),
    "extra key in a step": _set(("procedures", 0, "steps", "fr", 0, "label"), "x"),
    "extra key in watch": _set(("links", 0, "watch", "expected"), ["x"]),
    "missing provider": _delete(("provider",)),
    "missing English steps": _delete(("procedures", 0, "steps", "en")),
    "no procedures": _set(("procedures",), []),
    "empty surfaces": _set(("procedures", 0, "surfaces"), []),
    "not a date": _set(("last_reviewed",), "28/11/2026"),
    "impossible date": _set(("last_reviewed",), "2026-02-30"),
    "upper-case id": _set(("id",), "Example-Chat"),
    "boolean as text": _set(("procedures", 0, "requires_account"), "yes"),
    "empty text": _set(("service",), ""),
    "text with trailing space": _set(("service",), "Chat "),
    "relative URL": _set(("links", 0, "url"), "/help/1"),
    "language name": _set(("links", 0, "lang"), "english"),
    "null required": _set(("procedures", 0, "stops"), None),
}


def _editor_accepts(data: dict[str, Any]) -> bool:
    validator_class = jsonschema.validators.validator_for(COMMITTED)
    validator = validator_class(COMMITTED, format_checker=validator_class.FORMAT_CHECKER)
    return not list(validator.iter_errors(data))


def _models_accept(data: dict[str, Any]) -> bool:
    try:
        Platform.model_validate(data)
    except ValidationError:
        return False
    return True


def _cli_schema_codes(data: dict[str, Any], write: WriteFile) -> list[str]:
    result = validate_files(
        [write(data, name="example-chat.yaml")],
        selection=Selection(),
        settings=RuleSettings(today=dt.date(2026, 11, 28)),
    )
    return [d.code for d in result.diagnostics]


def test_the_valid_example_is_accepted_everywhere(write_catalogue_file: WriteFile) -> None:
    data = valid_platform()
    assert _editor_accepts(data)
    assert _models_accept(data)
    assert _cli_schema_codes(data, write_catalogue_file) == []


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_a_mistake_gets_the_same_verdict_everywhere(
    name: str, write_catalogue_file: WriteFile
) -> None:
    data = valid_platform()
    MISTAKES[name](data)
    assert not _editor_accepts(data)
    assert not _models_accept(data)
    assert "OW201" in _cli_schema_codes(data, write_catalogue_file)


#: Watched pages left without `select` (OW507), each with the reason: no public record of
#: the page's structure names its article container, and a guessed one would be a fact
#: without a source.
UNSCOPED_PAGES = {
    "whatsapp.yaml": "faq.whatsapp.com: no published record of its article container",
    "deepseek.yaml": "static.deepseek.com/faq: no published record of its article container",
}


def test_the_real_catalogue_is_valid() -> None:
    files = discover([ROOT / "catalogue"])
    assert len(files) >= 1
    result = validate_files(
        files, selection=Selection(), settings=RuleSettings(today=dt.datetime.now(dt.UTC).date())
    )
    problems = [
        f"{d.location()}: {d.code} {d.message}"
        for d in result.diagnostics
        # A review falling due is the calendar's doing, not a mistake in the files.
        if not (d.severity is Severity.WARNING and d.code == "OW601")
        and not (d.code == "OW507" and Path(d.path).name in UNSCOPED_PAGES)
    ]
    assert problems == []
    assert len(result.platforms) == len(files)
