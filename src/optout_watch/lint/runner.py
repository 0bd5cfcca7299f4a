"""`validate`: load every file, check it against the schema, then run the content rules.

Every problem of every file is reported in one run; a file that cannot be read or does not
match the schema is not given to the content rules (they would only repeat the same mistake).
"""

from __future__ import annotations

import fnmatch
import gc
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match
from pydantic import ValidationError as ModelError

from optout_watch.catalogue.coverage import LabelDecision, label_decisions
from optout_watch.catalogue.loader import Document, LoadError, load_document
from optout_watch.catalogue.models import PATTERN_HINTS, Platform
from optout_watch.catalogue.schema import platform_schema
from optout_watch.catalogue.targets import CataloguePlatform
from optout_watch.lint.diagnostics import Diagnostic
from optout_watch.lint.rules import RULES, RULES_BY_CODE, PlatformFile, RuleSettings
from optout_watch.severity import Severity

CATALOGUE_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Selection:
    """Which rule codes apply where; prefixes select whole groups (`OW3` = every URL rule)."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def enabled(self, code: str, path: str) -> bool:
        if not RULES_BY_CODE[code].can_ignore:
            return True
        if self.select and not code.startswith(self.select):
            return False
        ignored = list(self.ignore)
        for pattern, codes in self.per_file_ignores.items():
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(Path(path).name, pattern):
                ignored += codes
        return not code.startswith(tuple(ignored))


@dataclass(frozen=True, slots=True)
class ValidationResult:
    files: int
    diagnostics: list[Diagnostic]
    platforms: list[CataloguePlatform]

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)

    def label_decisions(self) -> list[LabelDecision]:
        """How each step label of the platforms read is checked (see `catalogue.coverage`)."""
        return [d for item in self.platforms for d in label_decisions(item.platform)]


def discover(paths: Iterable[Path]) -> list[Path]:
    """Catalogue files under `paths` (files as given, folders searched for *.yaml)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in CATALOGUE_SUFFIXES)
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return found


def display_path(path: Path) -> str:
    """`path` relative to the working folder when it lies below it (as editors and GitHub
    annotations expect), else as given."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


@cache
def _validator() -> jsonschema.protocols.Validator:
    schema = platform_schema()
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _schema_message(error: ValidationError) -> str:
    if error.validator == "pattern":
        hint = PATTERN_HINTS.get(str(error.validator_value), f"{error.validator_value}")
        return f"{error.instance!r} is not valid here: expected {hint}"
    if error.validator in ("anyOf", "oneOf") and error.context:
        return _schema_message(best_match(error.context))
    return error.message


def _schema_problems(document: Document) -> Iterable[tuple[tuple[Any, ...], str, bool]]:
    """(path, message, at_key) for every schema error, pointing at the offending key."""
    for error in _validator().iter_errors(document.data):
        path = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            schema = error.schema if isinstance(error.schema, Mapping) else {}
            allowed = sorted(schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(allowed)):
                yield (
                    (*path, key),
                    f"unknown key {key!r}; allowed here: {', '.join(allowed)}",
                    True,
                )
        elif error.validator == "required":
            yield (
                path,
                f"missing {error.message.removesuffix(' is a required property')}, "
                "which is required here",
                False,
            )
        else:
            where = f"{'.'.join(map(str, path))}: " if path else ""
            yield path, where + _schema_message(error), False


def _model_problems(error: ModelError) -> Iterable[tuple[tuple[Any, ...], str, bool]]:
    for item in error.errors():
        yield tuple(item["loc"]), item["msg"], False


class _Collector:
    def __init__(self, selection: Selection) -> None:
        self.selection = selection
        self.diagnostics: list[Diagnostic] = []

    def add(self, name: str, line: int, column: int, code: str, message: str) -> None:
        """Record a problem in the file shown as `name`, unless its code is switched off."""
        if self.selection.enabled(code, name):
            rule = RULES_BY_CODE[code]
            self.diagnostics.append(Diagnostic(name, line, column, code, rule.severity, message))


def validate_files(
    files: Sequence[Path], *, selection: Selection, settings: RuleSettings
) -> ValidationResult:
    collector = _Collector(selection)
    loaded: list[CataloguePlatform] = []
    # The garbage collector is paused while files load. What each file leaves (its data and
    # model) stays alive to the end, so each full collection went over all that was loaded
    # so far and found nothing to free: 15% of validating 1,000 files, for no memory saved
    # (peak RSS is the same without it). Freezing the loaded objects after each file instead
    # saved no more time.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for path in files:
            platform = _validate_file(path, collector, settings)
            if platform is not None:
                loaded.append(platform)
    finally:
        if collecting:
            gc.enable()
    _check_unique_platform_ids(loaded, collector)
    _check_watch_agreement(loaded, collector)
    return ValidationResult(len(files), sorted(collector.diagnostics), loaded)


def _validate_file(
    path: Path, collector: _Collector, settings: RuleSettings
) -> CataloguePlatform | None:
    name = display_path(path)
    try:
        document = load_document(path)
    except LoadError as error:
        position = error.position
        collector.add(name, position.line, position.column, error.code, error.message)
        return None
    except OSError as error:
        collector.add(name, 1, 1, "OW103", f"cannot read the file: {error.strerror}")
        return None
    problems = list(_schema_problems(document))
    platform: Platform | None = None
    if not problems:
        try:
            platform = Platform.model_validate(document.data)
        except ModelError as error:
            problems = list(_model_problems(error))
    for json_path, message, at_key in problems:
        position = document.locate(json_path, key=at_key)
        collector.add(name, position.line, position.column, "OW201", message)
    if platform is None:
        return None
    file = PlatformFile(document, platform, settings)
    for rule in RULES:
        if rule.check is None or not collector.selection.enabled(rule.code, name):
            continue
        for hit in rule.check(file):
            position = document.locate(hit.path, key=hit.at_key)
            collector.add(name, position.line, position.column, rule.code, hit.message)
    return CataloguePlatform(platform, document, name)


def _check_unique_platform_ids(loaded: Sequence[CataloguePlatform], collector: _Collector) -> None:
    first_file: dict[str, Path] = {}
    for item in loaded:
        platform_id = item.platform.id
        if platform_id in first_file:
            position = item.document.locate(("id",))
            collector.add(
                item.file,
                position.line,
                position.column,
                "OW401",
                f"platform id {platform_id!r} is already used by {first_file[platform_id]}; "
                "each platform needs its own id",
            )
        else:
            first_file[platform_id] = item.document.path


def _check_watch_agreement(loaded: Sequence[CataloguePlatform], collector: _Collector) -> None:
    """OW506: links watching one URL, in one file or several, agree on how its text is
    extracted; the second one to disagree is reported, naming the first."""
    first: dict[str, tuple[str, int, tuple[object, ...]]] = {}
    for item in loaded:
        name = item.file
        for index, link in enumerate(item.platform.links):
            if link.watch is None:
                continue
            watch = link.watch
            settings = (watch.select, tuple(watch.remove), tuple(watch.ignore), watch.render)
            position = item.document.locate(("links", index, "watch"), key=True)
            if link.url not in first:
                first[link.url] = (name, position.line, settings)
            elif first[link.url][2] != settings:
                where, line, _ = first[link.url]
                collector.add(
                    name, position.line, position.column, "OW506",
                    f"{link.url} is also watched at {where}:{line} with other select, remove, "
                    "ignore or render settings; the page is fetched and extracted once, so make "
                    "them the same (or watch it from one link only)",
                )  # fmt: skip
