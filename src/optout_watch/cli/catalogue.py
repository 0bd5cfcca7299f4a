"""The catalogue commands (`validate`, `export`, `schema`), and the validation of the
catalogue that every command works on. Imported only when a command runs."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from optout_watch.catalogue.export import export_document, render_export
from optout_watch.catalogue.schema import export_schema, platform_schema, render_schema
from optout_watch.cli.streams import Streams
from optout_watch.errors import ExitCode, UsageError
from optout_watch.lint.formats import VALIDATION_FORMATS
from optout_watch.lint.rules import RuleSettings
from optout_watch.lint.runner import Selection, ValidationResult, discover, validate_files
from optout_watch.report.schema import report_schema
from optout_watch.settings import Settings
from optout_watch.storage.atomic import write_text_atomic

#: Every committed schema file under `schema/`, by file name.
COMMITTED_SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {
    "platform.schema.json": platform_schema,
    "export.schema.json": export_schema,
    "report.schema.json": report_schema,
}


def validate_catalogue(settings: Settings, paths: Sequence[Path]) -> ValidationResult:
    selection = Selection(
        select=settings.select,
        ignore=settings.ignore,
        per_file_ignores=settings.per_file_ignores,
    )
    rule_settings = RuleSettings(
        today=dt.datetime.now(dt.UTC).date(), max_review_age_days=settings.max_review_age_days
    )
    try:
        files = discover(paths)
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    if not files:
        raise UsageError(f"no catalogue files (*.yaml) under {', '.join(map(str, paths))}")
    return validate_files(files, selection=selection, settings=rule_settings)


def run_validate(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    result = validate_catalogue(settings, args.paths or [settings.catalogue])
    streams.out.write(VALIDATION_FORMATS[args.format].render(result))
    return ExitCode.FINDINGS if result.errors else ExitCode.OK


def run_export(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    result = validate_catalogue(settings, [settings.catalogue])
    if result.errors:
        streams.err.write(VALIDATION_FORMATS["text"].render(result))
        streams.err.write("export refused: fix the catalogue first\n")
        return ExitCode.FINDINGS
    text = render_export(export_document([item.platform for item in result.platforms]))
    if args.output is None:
        streams.out.write(text)
    else:
        write_text_atomic(args.output, text)
        streams.info(f"wrote {args.output} ({len(result.platforms)} platforms)")
    return ExitCode.OK


def run_schema(args: argparse.Namespace, _settings: Settings, streams: Streams) -> int:
    stale: list[str] = []
    for name, generate in COMMITTED_SCHEMAS.items():
        path = args.output / name
        text = render_schema(generate())
        current = path.read_text(encoding="utf-8") if path.is_file() else None
        if current == text:
            continue
        if args.check:
            stale.append(str(path))
        else:
            write_text_atomic(path, text)
            streams.info(f"wrote {path}")
    if stale:
        streams.err.write(f"{', '.join(stale)}: out of date with the models; run `nox -s schema`\n")
        return ExitCode.FINDINGS
    return ExitCode.OK
