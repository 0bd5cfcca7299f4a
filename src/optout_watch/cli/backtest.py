"""`optout-watch backtest`: a watched page's history (the web archive's copies, or an Open
Terms Archive snapshots repository) replayed through the nightly's steps. Imported only when
the command runs."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from optout_watch.archive.wayback import (
    ArchivedCopy,
    Wayback,
    archive_fetch_settings,
    archive_hosts,
)
from optout_watch.catalogue.targets import Target, collect_targets
from optout_watch.cli.catalogue import validate_catalogue
from optout_watch.cli.progress import Advance, progress
from optout_watch.cli.streams import Streams
from optout_watch.errors import ExitCode, UsageError
from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.remap import parse_remap
from optout_watch.history.ota import ota_content, ota_history
from optout_watch.history.replay import PageCopy, PageHistory, Replay, replay, stored_copy
from optout_watch.settings import Settings

#: Archived copies read at once: more than the per-host limit lets run, fewer than would
#: weigh in memory (up to the fetcher's byte cap each).
READ_AT_ONCE = 8
#: Without `--since`, this much history is replayed.
DEFAULT_HISTORY = dt.timedelta(days=365)


def _since(value: str | None, today: dt.date) -> dt.date:
    if value is None:
        return today - DEFAULT_HISTORY
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--since {value!r}: expected a date such as 2026-01-31") from None


def _watched(settings: Settings, wanted: Sequence[str]) -> list[Target]:
    """The catalogue's watched pages that `wanted` names (a platform id or a URL), all of them
    when it names none."""
    validation = validate_catalogue(settings, [settings.catalogue])
    watched = [t for t in collect_targets(validation.platforms) if t.watch is not None]
    if not wanted:
        if not watched:
            raise UsageError(f"{settings.catalogue}: no watched page to replay")
        return watched
    chosen = []
    for name in wanted:
        found = [t for t in watched if name == t.url or name in t.platforms]
        if not found:
            raise UsageError(
                f"{name}: no watched page of that platform or URL in {settings.catalogue}; "
                "a page must have a watch: block to be replayed"
            )
        chosen += [t for t in found if t not in chosen]
    return chosen


async def _from_wayback(
    targets: Sequence[Target],
    since: dt.date,
    args: argparse.Namespace,
    settings: Settings,
    streams: Streams,
) -> list[PageHistory]:
    remaps = tuple(parse_remap(rule) for rule in args.remap)
    policy = AddressPolicy(archive_hosts(remaps))
    async with Fetcher(archive_fetch_settings(settings), address_policy=policy) as fetcher:
        wayback = Wayback(fetcher, remaps)
        listed: list[tuple[ArchivedCopy, ...]] = [
            await wayback.copies(target.url, since) for target in targets
        ]
        total = sum(len(copies) for copies in listed)
        histories = []
        with _progress(total, streams) as advance:
            for target, copies in zip(targets, listed, strict=True):
                replaying = Replay(target)
                # A few copies at a time: only they and the last text are in memory.
                for start in range(0, len(copies), READ_AT_ONCE):
                    batch = copies[start : start + READ_AT_ONCE]
                    results = await wayback.read(batch, on_result=advance)
                    for copy, result in zip(batch, results, strict=True):
                        replaying.add(PageCopy(copy.iso, copy.raw_url, result))
                histories.append(replaying.history())
    return histories


def _from_ota(
    targets: Sequence[Target],
    since: dt.date,
    repository: Path,
    args: argparse.Namespace,
    streams: Streams,
) -> list[PageHistory]:
    path: str | None = args.ota_path
    if path is None or len(targets) != 1:
        raise UsageError(
            "--source ota:PATH replays one page: name it (platform or URL) and give its file "
            "in the repository with --ota-path SERVICE/TERMS TYPE.html"
        )
    target = targets[0]
    history = ota_history(repository, path, since)

    def copies(advance: Advance) -> Iterator[PageCopy]:
        """One copy at a time, so that the history is never held in memory whole."""
        for copy in history:
            body = ota_content(repository, copy, path)
            yield PageCopy(copy.taken_at, f"{copy.commit}:{path}", stored_copy(target.url, body))
            advance()

    with _progress(len(history), streams) as advance:
        return [replay(target, copies(advance))]


def _progress(total: int, streams: Streams) -> AbstractContextManager[Advance]:
    return progress(total, streams.err, label="replaying", enabled=not streams.quiet)


def _day(moment: str | None) -> str:
    return moment[:10] if moment else "never"


def _text(history: PageHistory, target: Target, source: str) -> list[str]:
    lines = [f"{history.url} ({', '.join(target.platforms)})"]
    if not history.copies:
        return [*lines, f"  no copy in {source} since the date asked"]
    select = target.watch.select if target.watch is not None else None
    lines.append(
        f"  {history.copies} copies in {source} from {_day(history.first_copy)} to "
        f"{_day(history.last_copy)}; {history.read} read"
    )
    if select is not None:
        lines.append(
            f"  select {select!r} matched on {history.selector_matched} of {history.read} "
            f"({history.selector_share:.0%})"
        )
    lines.append(f"  text changed {history.text_changes} times")
    for label in history.labels:
        if label.first_seen is None:
            lines.append(f"  « {label.label} »: never seen")
        else:
            lines.append(
                f"  « {label.label} »: first seen {_day(label.first_seen)}, "
                f"last seen {_day(label.last_seen)}"
            )
    for rename in history.renames:
        found = "; ".join(f"« {s.text} » ({s.score:.2f}, {s.why})" for s in rename.suggestions)
        lines.append(
            f"  renamed on {_day(rename.taken_at)}: « {rename.label} » → "
            + (found or "no likely new wording")
        )
    lines += [f"  not checked {_day(u.taken_at)}: {u.why}" for u in history.unchecked]
    return lines


def _json(history: PageHistory, source: str) -> dict[str, object]:
    return {
        "url": history.url,
        "source": source,
        "copies": history.copies,
        "first_copy": history.first_copy,
        "last_copy": history.last_copy,
        "read": history.read,
        "selector_matched": history.selector_matched,
        "selector_share": round(history.selector_share, 4),
        "text_changes": history.text_changes,
        "labels": [
            {"label": s.label, "first_seen": s.first_seen, "last_seen": s.last_seen}
            for s in history.labels
        ],
        "renames": [
            {
                "label": r.label,
                "date": r.taken_at,
                "suggestions": [
                    {"text": s.text, "score": s.score, "why": str(s.why)} for s in r.suggestions
                ],
            }
            for r in history.renames
        ],
        "unchecked": [{"date": u.taken_at, "why": u.why} for u in history.unchecked],
    }


def run_backtest(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    since = _since(args.since, dt.datetime.now(dt.UTC).date())
    targets = _watched(settings, args.pages)
    source: str = args.source
    if source == "wayback":
        histories = asyncio.run(_from_wayback(targets, since, args, settings, streams))
        described = "the web archive"
    elif source.startswith("ota:") and source != "ota:":
        repository = Path(source.removeprefix("ota:"))
        histories = _from_ota(targets, since, repository, args, streams)
        described = f"{repository}"
    else:
        raise UsageError(f"--source {source!r}: expected wayback or ota:PATH (a local clone)")
    if args.format == "json":
        pages = [_json(history, described) for history in histories]
        streams.out.write(json.dumps(pages, ensure_ascii=False, indent=2) + "\n")
    else:
        for history in histories:
            target = next(t for t in targets if t.url == history.url)
            streams.out.write("".join(line + "\n" for line in _text(history, target, described)))
    return ExitCode.OK
