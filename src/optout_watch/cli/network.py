"""The network commands (`check`, `probe`, `watch`): wiring of fetch → judge → watch →
findings → report → state. Imported only when one of them runs."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from optout_watch.archive.wayback import Wayback, archive_fetch_settings, archive_hosts
from optout_watch.catalogue.targets import CataloguePlatform, Target, collect_targets
from optout_watch.cli.catalogue import validate_catalogue
from optout_watch.cli.progress import progress
from optout_watch.cli.streams import Streams
from optout_watch.errors import ExitCode, UsageError
from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.browser import Renderer
from optout_watch.fetching.browser_model import NEEDS_BROWSER, BrowserSettings, Rendered
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.model import FetchResult, FetchSettings
from optout_watch.fetching.remap import Remap, parse_remap, remapped_hosts
from optout_watch.lint.diagnostics import Diagnostic
from optout_watch.lint.runner import ValidationResult
from optout_watch.report.build import build_report
from optout_watch.report.formats import (
    REPORT_FORMATS,
    github_annotations,
    outage_line,
    report_format,
    step_summary,
)
from optout_watch.report.plural import plural
from optout_watch.run.check import CheckOptions, CheckResult, run_check
from optout_watch.run.findings import Thresholds
from optout_watch.settings import Settings
from optout_watch.storage.atomic import write_text_atomic
from optout_watch.storage.lock import StateLock
from optout_watch.storage.snapshots import SnapshotStore
from optout_watch.storage.state import State, load_state, save_state


def _fetch_settings(settings: Settings) -> FetchSettings:
    return FetchSettings(
        timeout=settings.timeout,
        deadline=settings.deadline,
        retries=settings.retries,
        max_concurrency=settings.max_concurrency,
        per_host=settings.per_host,
        user_agent=settings.user_agent,
    )


def _browser_settings(settings: Settings) -> BrowserSettings:
    return BrowserSettings(
        executable=settings.chromium,
        timeout=settings.timeout,
        deadline=settings.deadline,
        max_concurrency=settings.max_concurrency,
        per_host=settings.per_host,
        user_agent=settings.user_agent,
    )


def _skipped_files(validation: ValidationResult, streams: Streams) -> list[str]:
    """The files that could not be read as platforms, named on stderr: none of their URLs
    is checked."""
    read = {item.file for item in validation.platforms}
    skipped = sorted({d.path for d in validation.diagnostics} - read)
    for path in skipped:
        streams.err.write(
            f"optout-watch: {path}: not checked, the file is invalid; see `optout-watch validate`\n"
        )
    return skipped


def _refuse_nothing_to_check(targets: Sequence[Target], skipped: Sequence[str]) -> None:
    if targets:
        return
    if skipped:
        raise UsageError(
            f"nothing to check: every catalogue file is invalid ({', '.join(skipped)}); "
            "fix them with `optout-watch validate`"
        )
    raise UsageError("nothing to check: the catalogue names no URL to fetch")


def _execute(
    targets: Sequence[Target],
    validation: Sequence[Diagnostic],
    state: State,
    store: SnapshotStore | None,
    *,
    settings: Settings,
    options: CheckOptions,
    streams: Streams,
) -> CheckResult:
    policy = AddressPolicy(
        remapped_hosts((t.url for t in targets), options.remaps) | archive_hosts(options.remaps)
    )
    done: list[CheckResult] = []
    # Chromium starts only if a page needs it; the renderer says afterwards if none could.
    missing: list[str] = []

    async def go(advance: Callable[[FetchResult], None]) -> None:
        # The result is handed over beside the coroutine, not returned: asyncio keeps and
        # may show a coroutine's return value, and this one holds the whole run.
        async with (
            Fetcher(_fetch_settings(settings), address_policy=policy) as fetcher,
            Fetcher(archive_fetch_settings(settings), address_policy=policy) as archive,
            Renderer(_browser_settings(settings), address_policy=policy) as renderer,
        ):
            wayback = Wayback(archive, options.remaps) if options.archive == "fallback" else None
            done.append(
                await run_check(
                    targets, validation, state, store.read if store else lambda _: None,
                    fetcher, options=options, clock=lambda: dt.datetime.now(dt.UTC),
                    on_result=advance, renderer=renderer,
                    on_rendered=shown if streams.verbose else None, wayback=wayback,
                )
            )  # fmt: skip
            if renderer.unavailable is not None:
                pages = renderer.unavailable_pages
                missing.append(
                    f"{plural(pages, 'watched page')} not checked: "
                    + NEEDS_BROWSER.format(reason=renderer.unavailable)
                )

    def show(result: FetchResult) -> None:
        seen = result.error.kind if result.error else result.status
        streams.err.write(f"{seen} {result.url} ({result.elapsed_ms} ms)\n")

    def shown(result: Rendered) -> None:
        seen = "unavailable" if result.unavailable else result.status or "error"
        streams.err.write(f"browser {seen} {result.url} ({result.elapsed_ms} ms)\n")

    # What was loaded so far lives for the whole run: the collector need not scan it again
    # and again while thousands of responses come and go.
    gc.freeze()
    if streams.verbose:
        asyncio.run(go(show))
    else:
        bar = progress(len(targets), streams.err, label="fetching", enabled=not streams.quiet)
        with bar as advance:
            asyncio.run(go(advance))
    for line in missing:
        streams.err.write(f"optout-watch: {line}\n")
    return done[0]


def _publish(
    result: CheckResult,
    catalogue: Sequence[CataloguePlatform],
    skipped: Sequence[str],
    args: argparse.Namespace,
    streams: Streams,
) -> None:
    """Every output a run asked for, plus GitHub's job summary and annotations in Actions.
    An outage is said once, in one line: by the text report on the terminal, else on stderr."""
    report = build_report(result, catalogue, skipped)
    rendered = report_format(args.format, verbose=streams.verbose).render(report)
    output: Path | None = getattr(args, "output", None)
    if output is None:
        streams.out.write(rendered)
    else:
        write_text_atomic(output, rendered)
        streams.info(f"wrote {output}")
    if report.summary.outage and (args.format != "text" or output is not None):
        streams.err.write(f"optout-watch: {outage_line(report)}\n")
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


def _remaps(args: argparse.Namespace) -> tuple[Remap, ...]:
    return tuple(parse_remap(rule) for rule in args.remap)


def _stateful_run(
    args: argparse.Namespace, settings: Settings, streams: Streams, options: CheckOptions
) -> int:
    validation = validate_catalogue(settings, [settings.catalogue])
    catalogue = validation.platforms
    skipped = _skipped_files(validation, streams)
    targets = collect_targets(catalogue)
    if options.only_watched:
        targets = [target for target in targets if target.watch is not None]
    _refuse_nothing_to_check(targets, skipped)
    state_dir = settings.state
    with StateLock(state_dir):
        state = load_state(state_dir)
        store = SnapshotStore(state_dir / "snapshots")
        problems = () if options.only_watched else tuple(validation.diagnostics)
        result = _execute(
            targets, problems, state, store, settings=settings, options=options, streams=streams
        )
        _publish(result, catalogue, skipped, args, streams)
        if result.outage:
            return ExitCode.USAGE
        if result.rebaselined:
            _say_rebaselined(result, streams)
        files: dict[str, bytes] = {}
        for snapshot in result.snapshots:
            snapshot_files = store.files(snapshot.meta.url, snapshot.text, snapshot.meta)
            for path, content in snapshot_files.items():
                files[path.relative_to(state_dir).as_posix()] = content
        save_state(state_dir, result.state, files)
    return result.exit_code


def _say_rebaselined(result: CheckResult, streams: Streams) -> None:
    """Snapshots were taken by another extractor: this run compared none of them."""
    before = ", ".join(version or "unknown" for version in result.previous_extractors)
    streams.err.write(
        f"optout-watch: the extractor changed ({before} → {result.extractor}): snapshots "
        "re-baselined, no page reported as changed\n"
    )
    stale = result.stale_snapshots
    if stale:
        pages = plural(len(stale), "watched page")
        keep = "keeps" if len(stale) == 1 else "keep"
        streams.err.write(
            f"optout-watch: {pages} could not be read and {keep} the old extractor's "
            f"snapshot, re-baselined when read: {', '.join(stale)}\n"
        )


def run_check_command(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    options = CheckOptions(
        thresholds=Thresholds(
            confirm_after=settings.confirm_after, blocked_after=settings.blocked_after
        ),
        remaps=_remaps(args),
        render=settings.render,
        archive=settings.archive,
        archive_max_age_days=settings.archive_max_age_days,
    )
    return _stateful_run(args, settings, streams, options)


def run_watch_command(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    options = CheckOptions(
        thresholds=Thresholds(confirm_after=1),
        remaps=_remaps(args),
        only_watched=True,
        render=settings.render,
        archive=settings.archive,
        archive_max_age_days=settings.archive_max_age_days,
    )
    return _stateful_run(args, settings, streams, options)


def run_probe_command(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    """Stateless: every problem counts at once, and nothing is remembered."""
    validation = validate_catalogue(settings, [settings.catalogue])
    catalogue = validation.platforms
    skipped = _skipped_files(validation, streams)
    targets = collect_targets(catalogue)
    _refuse_nothing_to_check(targets, skipped)
    options = CheckOptions(
        thresholds=Thresholds(confirm_after=1, blocked_after=1),
        remaps=_remaps(args),
        watch_pages=False,
        render="never",  # no page is watched, so none is shown in a browser
    )
    result = _execute(
        targets, (), State(), None, settings=settings, options=options, streams=streams
    )
    _publish(result, catalogue, skipped, args, streams)
    return result.exit_code
