"""The `optout-watch` command: argument parsing and wiring of the stages, nothing else."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from optout_watch import __version__
from optout_watch._atomic import write_text_atomic
from optout_watch.catalogue.export import export_document, render_export
from optout_watch.catalogue.targets import CataloguePlatform, Target, collect_targets
from optout_watch.check import CheckOptions, CheckResult, run_check
from optout_watch.config import Config, ConfigError, load_config
from optout_watch.fetch import Fetcher, FetchResult, FetchSettings
from optout_watch.findings import Thresholds
from optout_watch.lint.formats import VALIDATION_FORMATS
from optout_watch.lint.rules import RULES, RuleSettings
from optout_watch.lint.runner import (
    Selection,
    ValidationResult,
    discover,
    display_path,
    validate_files,
)
from optout_watch.progress import progress
from optout_watch.remap import Remap, RemapError, parse_remap
from optout_watch.report.formats import REPORT_FORMATS, github_annotations, step_summary
from optout_watch.report.model import ValidationProblem
from optout_watch.schemas import COMMITTED_SCHEMAS, render_schema
from optout_watch.snapshots import SnapshotStore
from optout_watch.state import State, StateError, load_state, save_state

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

EPILOG = """\
examples:
  optout-watch check --report report.json     the nightly job: validate, probe, watch, report
  optout-watch probe --format markdown        probe every link once, no state kept
  optout-watch watch                          refresh the watched pages' snapshots
  optout-watch validate                       check every file under catalogue/
  optout-watch validate catalogue/linkedin.yaml --format github
  optout-watch rules                          list every rule code and why it exists
  optout-watch export -o catalogue.json       the whole catalogue as one JSON document
  optout-watch schema --check                 fail if schema/ drifts from the models

exit codes: 0 nothing to act on, 1 findings, 2 usage, configuration or environment error.
Settings come from [tool.optout-watch] in pyproject.toml and OPTOUT_WATCH_* variables.
"""


class UsageError(Exception):
    """A mistake in how the command was called or set up (exit 2)."""


class _Streams:
    def __init__(self, out: TextIO, err: TextIO, *, quiet: bool, verbose: bool) -> None:
        self.out, self.err, self.quiet, self.verbose = out, err, quiet, verbose

    def info(self, text: str) -> None:
        if not self.quiet:
            self.err.write(text + "\n")


def _common_options() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name. Their defaults are suppressed
    so that a subcommand's default cannot overwrite a value given before the subcommand."""
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    common.add_argument(
        "--catalogue", type=Path, metavar="DIR", help="catalogue folder (default: catalogue/)"
    )
    common.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="settings file (default: [tool.optout-watch] of the nearest pyproject.toml)",
    )
    verbosity = common.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", help="print only findings")
    verbosity.add_argument(
        "-v", "--verbose", action="store_true", help="print each URL as it is fetched"
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="optout-watch",
        description="Keeps a guide to AI-training opt-outs true.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"optout-watch {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    validate = commands.add_parser(
        "validate",
        parents=[common],
        help="check catalogue files against the schema and the content rules",
        description="Report every problem of every file as path:line:column: CODE message.",
        epilog="example: optout-watch validate catalogue/ --format github",
    )
    validate.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    validate.add_argument("--format", choices=sorted(VALIDATION_FORMATS), default="text")
    validate.add_argument("--select", metavar="CODES", help="only these codes (comma-separated)")
    validate.add_argument("--ignore", metavar="CODES", help="skip these codes (comma-separated)")
    validate.set_defaults(run=_run_validate)

    network = _network_options()
    check = commands.add_parser(
        "check",
        parents=[common, network],
        help="validate, probe and watch; report; remember the state",
        description="The nightly job. Findings are confirmed after --confirm-after runs.",
        epilog="example: optout-watch check --state state --report report.json "
        "--markdown report.md",
    )
    _state_options(check)
    check.add_argument("--report", type=Path, metavar="FILE", help="write the JSON report")
    check.add_argument("--markdown", type=Path, metavar="FILE", help="write a Markdown report")
    check.add_argument(
        "--confirm-after", type=int, metavar="N", help="runs before a finding is confirmed"
    )
    check.add_argument(
        "--blocked-after", type=int, default=7, metavar="N",
        help="runs before a blocked link becomes a warning (default 7)",
    )  # fmt: skip
    check.set_defaults(run=_run_check)

    probe = commands.add_parser(
        "probe",
        parents=[common, network],
        help="fetch every catalogue URL once and judge it (no state)",
        epilog="example: optout-watch probe --remap '^https://(.*) http://127.0.0.1:8000/\\1'",
    )
    probe.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    probe.set_defaults(run=_run_probe)

    watch = commands.add_parser(
        "watch",
        parents=[common, network],
        help="fetch the watched pages, diff them, track their labels",
        epilog="example: optout-watch watch --state state",
    )
    _state_options(watch)
    watch.set_defaults(run=_run_watch)

    rules = commands.add_parser(
        "rules", parents=[common], help="list the rule codes with their reasons"
    )
    rules.set_defaults(run=_run_rules)

    export = commands.add_parser(
        "export",
        parents=[common],
        help="write the whole catalogue as one JSON document",
        epilog="example: optout-watch export -o catalogue.json",
    )
    export.add_argument("--format", choices=["json"], default="json")
    export.add_argument("-o", "--output", type=Path, metavar="FILE", help="default: stdout")
    export.set_defaults(run=_run_export)

    schema = commands.add_parser(
        "schema",
        parents=[common],
        help="write the JSON Schemas generated from the models",
        epilog="example: optout-watch schema --check",
    )
    schema.add_argument("--output", type=Path, default=Path("schema"), metavar="DIR")
    schema.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file differs"
    )
    schema.set_defaults(run=_run_schema)
    return parser


def _network_options() -> argparse.ArgumentParser:
    network = argparse.ArgumentParser(add_help=False)
    network.add_argument(
        "--remap", action="append", default=[], metavar="'REGEX REPLACEMENT'",
        help="fetch matching URLs elsewhere (repeatable; reports keep the catalogue's URL)",
    )  # fmt: skip
    network.add_argument("--timeout", type=float, metavar="S", help="seconds per request")
    network.add_argument("--retries", type=int, metavar="N", help="retries per URL")
    network.add_argument("--max-concurrency", type=int, metavar="N", help="requests at once")
    network.add_argument("--per-host", type=int, metavar="N", help="requests at once per host")
    network.add_argument("--format", choices=sorted(REPORT_FORMATS), default="text")
    return network


def _state_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state", type=Path, metavar="DIR", help="state folder (default state/)")


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _validate(args: argparse.Namespace, config: Config, paths: Sequence[Path]) -> ValidationResult:
    selection = Selection(
        select=_csv(getattr(args, "select", None)) or config.select,
        ignore=config.ignore + _csv(getattr(args, "ignore", None)),
        per_file_ignores=config.per_file_ignores,
    )
    settings = RuleSettings(
        today=dt.datetime.now(dt.UTC).date(), max_review_age_days=config.max_review_age_days
    )
    try:
        files = discover(paths)
    except FileNotFoundError as error:
        raise UsageError(str(error)) from None
    if not files:
        raise UsageError(f"no catalogue files (*.yaml) under {', '.join(map(str, paths))}")
    return validate_files(files, selection=selection, settings=settings)


def _run_validate(args: argparse.Namespace, config: Config, streams: _Streams) -> int:
    result = _validate(args, config, args.paths or [config.catalogue])
    streams.out.write(VALIDATION_FORMATS[args.format].render(result))
    return EXIT_FINDINGS if result.errors else EXIT_OK


def _run_rules(_args: argparse.Namespace, _config: Config, streams: _Streams) -> int:
    for rule in RULES:
        streams.out.write(f"{rule.code}  {rule.name:<24} {rule.severity:<8} {rule.rationale}\n")
    return EXIT_OK


def _run_export(args: argparse.Namespace, config: Config, streams: _Streams) -> int:
    result = _validate(args, config, [config.catalogue])
    if result.errors:
        streams.err.write(VALIDATION_FORMATS["text"].render(result))
        streams.err.write("export refused: fix the catalogue first\n")
        return EXIT_FINDINGS
    text = render_export(export_document([item.platform for item in result.platforms]))
    if args.output is None:
        streams.out.write(text)
    else:
        write_text_atomic(args.output, text)
        streams.info(f"wrote {args.output} ({len(result.platforms)} platforms)")
    return EXIT_OK


def _run_schema(args: argparse.Namespace, _config: Config, streams: _Streams) -> int:
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
        return EXIT_FINDINGS
    return EXIT_OK


def _fetch_settings(args: argparse.Namespace, config: Config) -> FetchSettings:
    def pick(option: int | float | None, configured: int | float) -> int | float:
        return configured if option is None else option

    settings = FetchSettings(
        timeout=float(pick(args.timeout, config.timeout)),
        retries=int(pick(args.retries, config.retries)),
        max_concurrency=int(pick(args.max_concurrency, config.max_concurrency)),
        per_host=int(pick(args.per_host, config.per_host)),
    )
    if (
        settings.timeout <= 0
        or settings.retries < 0
        or min(settings.max_concurrency, settings.per_host) < 1
    ):
        raise UsageError("--timeout must be positive, --retries at least 0, limits at least 1")
    if config.user_agent:
        settings = replace(settings, user_agent=config.user_agent)
    return settings


def _remaps(args: argparse.Namespace) -> tuple[Remap, ...]:
    try:
        return tuple(parse_remap(rule) for rule in args.remap)
    except RemapError as error:
        raise UsageError(str(error)) from None


def _problems(result: ValidationResult) -> list[ValidationProblem]:
    return [
        ValidationProblem(
            path=d.path, line=d.line, column=d.column, code=d.code,
            severity=str(d.severity), message=d.message,
        )
        for d in result.diagnostics
    ]  # fmt: skip


def _catalogue_targets(result: ValidationResult) -> list[Target]:
    return collect_targets(
        [
            CataloguePlatform(item.platform, item.document, display_path(item.document.path))
            for item in result.platforms
        ]
    )


def _execute(
    targets: Sequence[Target],
    problems: Sequence[ValidationProblem],
    state: State,
    store: SnapshotStore | None,
    *,
    settings: FetchSettings,
    options: CheckOptions,
    streams: _Streams,
) -> CheckResult:
    async def go(advance: Callable[[FetchResult], None]) -> CheckResult:
        async with Fetcher(settings) as fetcher:
            return await run_check(
                targets, problems, state, store.read if store else lambda _: None, fetcher,
                options=options, clock=lambda: dt.datetime.now(dt.UTC), on_result=advance,
            )  # fmt: skip

    def show(result: FetchResult) -> None:
        seen = result.error.kind if result.error else result.status
        streams.err.write(f"{seen} {result.url} ({result.elapsed_ms} ms)\n")

    if streams.verbose:
        return asyncio.run(go(show))
    with progress(len(targets), streams.err, label="fetching", enabled=not streams.quiet) as bar:
        return asyncio.run(go(bar))


def _publish(result: CheckResult, args: argparse.Namespace, streams: _Streams) -> None:
    """Every output a run asked for, plus GitHub's job summary and annotations in Actions."""
    report = result.report
    rendered = REPORT_FORMATS[args.format].render(report)
    output: Path | None = getattr(args, "output", None)
    if output is None:
        streams.out.write(rendered)
    else:
        write_text_atomic(output, rendered)
        streams.info(f"wrote {output}")
    for option, name in (("report", "json"), ("markdown", "markdown")):
        path = getattr(args, option, None)
        if path is not None:
            write_text_atomic(path, REPORT_FORMATS[name].render(report))
            streams.info(f"wrote {path}")
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as stream:
            stream.write(step_summary(report))
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(report):
            streams.out.write(line + "\n")


def _stateful_run(
    args: argparse.Namespace, config: Config, streams: _Streams, options: CheckOptions
) -> int:
    validation = _validate(args, config, [config.catalogue])
    targets = _catalogue_targets(validation)
    if options.only_watched:
        targets = [target for target in targets if target.watch is not None]
    state_dir = args.state or config.state
    try:
        state = load_state(state_dir)
    except StateError as error:
        raise UsageError(str(error)) from None
    store = SnapshotStore(state_dir / "snapshots")
    problems = [] if options.only_watched else _problems(validation)
    result = _execute(
        targets, problems, state, store,
        settings=_fetch_settings(args, config), options=options, streams=streams,
    )  # fmt: skip
    _publish(result, args, streams)
    if result.outage:
        streams.err.write(
            "optout-watch: most URLs failed with network errors: an outage, so no state, "
            "streak or snapshot was changed\n"
        )
        return EXIT_USAGE
    files: dict[str, bytes] = {}
    for snapshot in result.snapshots:
        for path, content in store.files(snapshot.meta.url, snapshot.text, snapshot.meta).items():
            files[path.relative_to(state_dir).as_posix()] = content
    save_state(state_dir, result.state, files)
    return result.exit_code


def _run_check(args: argparse.Namespace, config: Config, streams: _Streams) -> int:
    confirm_after = args.confirm_after or config.confirm_after
    if confirm_after < 1 or args.blocked_after < 1:
        raise UsageError("--confirm-after and --blocked-after must be at least 1")
    options = CheckOptions(
        thresholds=Thresholds(confirm_after=confirm_after, blocked_after=args.blocked_after),
        remaps=_remaps(args),
    )
    return _stateful_run(args, config, streams, options)


def _run_watch(args: argparse.Namespace, config: Config, streams: _Streams) -> int:
    options = CheckOptions(
        thresholds=Thresholds(confirm_after=1), remaps=_remaps(args), only_watched=True
    )
    return _stateful_run(args, config, streams, options)


def _run_probe(args: argparse.Namespace, config: Config, streams: _Streams) -> int:
    """Stateless: every problem counts at once, and nothing is remembered."""
    validation = _validate(args, config, [config.catalogue])
    skipped = validation.files - len(validation.platforms)
    if skipped:
        streams.err.write(
            f"optout-watch: {skipped} catalogue files have errors and were not probed; "
            "see `optout-watch validate`\n"
        )
    options = CheckOptions(
        thresholds=Thresholds(confirm_after=1, blocked_after=1),
        remaps=_remaps(args),
        watch_pages=False,
    )
    targets = _catalogue_targets(validation)
    result = _execute(
        targets, [], State(), None,
        settings=_fetch_settings(args, config), options=options, streams=streams,
    )  # fmt: skip
    _publish(result, args, streams)
    return result.exit_code


Runner = Callable[[argparse.Namespace, Config, _Streams], int]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    streams = _Streams(
        sys.stdout,
        sys.stderr,
        quiet=getattr(args, "quiet", False),
        verbose=getattr(args, "verbose", False),
    )
    try:
        config = load_config(getattr(args, "config", None), cwd=Path.cwd(), environ=os.environ)
        if getattr(args, "catalogue", None) is not None:
            config = replace(config, catalogue=args.catalogue)
        run: Runner = args.run
        return run(args, config, streams)
    except (ConfigError, UsageError) as error:
        sys.stderr.write(f"optout-watch: {error}\n")
        return EXIT_USAGE
    except OSError as error:  # a folder that cannot be written, a full disk
        where = f"{error.filename}: " if error.filename else ""
        sys.stderr.write(f"optout-watch: {where}{error.strerror or error}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("optout-watch: interrupted\n")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
