"""The network commands (`check`, `probe`, `watch`): wiring of fetch → judge → watch →
findings → report → state. Imported only when one of them runs."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from optout_watch._atomic import write_text_atomic
from optout_watch._cli import EXIT_USAGE, Streams, UsageError, validate_catalogue
from optout_watch.catalogue.targets import CataloguePlatform, Target, collect_targets
from optout_watch.check import CheckOptions, CheckResult, run_check
from optout_watch.config import Config
from optout_watch.fetch import Fetcher, FetchResult, FetchSettings
from optout_watch.findings import Thresholds
from optout_watch.lint.runner import ValidationResult, display_path
from optout_watch.progress import progress
from optout_watch.remap import Remap, RemapError, parse_remap
from optout_watch.report.formats import REPORT_FORMATS, github_annotations, step_summary
from optout_watch.report.model import ValidationProblem
from optout_watch.snapshots import SnapshotStore
from optout_watch.state import State, StateError, load_state, save_state


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
    streams: Streams,
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


def _publish(result: CheckResult, args: argparse.Namespace, streams: Streams) -> None:
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
    args: argparse.Namespace, config: Config, streams: Streams, options: CheckOptions
) -> int:
    validation = validate_catalogue(args, config, [config.catalogue])
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


def run_check_command(args: argparse.Namespace, config: Config, streams: Streams) -> int:
    confirm_after = args.confirm_after or config.confirm_after
    if confirm_after < 1 or args.blocked_after < 1:
        raise UsageError("--confirm-after and --blocked-after must be at least 1")
    options = CheckOptions(
        thresholds=Thresholds(confirm_after=confirm_after, blocked_after=args.blocked_after),
        remaps=_remaps(args),
    )
    return _stateful_run(args, config, streams, options)


def run_watch_command(args: argparse.Namespace, config: Config, streams: Streams) -> int:
    options = CheckOptions(
        thresholds=Thresholds(confirm_after=1), remaps=_remaps(args), only_watched=True
    )
    return _stateful_run(args, config, streams, options)


def run_probe_command(args: argparse.Namespace, config: Config, streams: Streams) -> int:
    """Stateless: every problem counts at once, and nothing is remembered."""
    validation = validate_catalogue(args, config, [config.catalogue])
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
