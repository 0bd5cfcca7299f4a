"""`optout-watch inspect URL`: read a page (live, in the browser, or the archive's freshest
copy) and propose its `watch:` block. Imported only when the command runs."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass

import yaml

from optout_watch.archive.wayback import (
    ArchivedCopy,
    ArchiveError,
    Wayback,
    archive_fetch_settings,
    archive_hosts,
)
from optout_watch.cli.network import _browser_settings, _fetch_settings
from optout_watch.cli.streams import Streams
from optout_watch.errors import ExitCode, UsageError
from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.browser import Renderer
from optout_watch.fetching.browser_model import RenderRequest
from optout_watch.fetching.failures import Outcome
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.judge import judge
from optout_watch.fetching.model import FetchRequest, FetchResult
from optout_watch.fetching.remap import Remap, apply_remaps, parse_remap, remapped_hosts
from optout_watch.pages.inspect import Inspection, Proposal, inspect_page
from optout_watch.settings import Settings

#: Older archived copies the proposal is tried on, spread over the last year.
OLDER_COPIES = 3
_HISTORY = dt.timedelta(days=365)
_READABLE = frozenset({Outcome.OK, Outcome.REDIRECTED})


@dataclass(frozen=True, slots=True)
class _Read:
    html: str
    #: How the page was read, for people: "live", "in the browser", "archive of 2026-11-30".
    how: str
    #: Older archived copies by date.
    older: dict[str, str]


def _readable_html(result: FetchResult, what: str) -> str:
    """The page's HTML, or a UsageError saying why it cannot be read (the judge's words)."""
    verdict = judge(result)
    if verdict.outcome not in _READABLE:
        raise UsageError(
            f"{what}: cannot be read ({verdict.outcome}): {verdict.reason}; try "
            "`--archive` for the archive's copy or `--render browser`"
        )
    return result.text()


def _spread(copies: Sequence[ArchivedCopy], count: int) -> list[ArchivedCopy]:
    """Up to `count` copies spread evenly over `copies` (oldest first), the oldest included."""
    if len(copies) <= count:
        return list(copies)
    step = len(copies) / count
    return [copies[int(index * step)] for index in range(count)]


async def _from_archive(
    url: str, settings: Settings, remaps: Sequence[Remap], policy: AddressPolicy, now: dt.datetime
) -> _Read:
    async with Fetcher(archive_fetch_settings(settings), address_policy=policy) as fetcher:
        wayback = Wayback(fetcher, remaps)
        freshest = await wayback.closest(url, now)
        if freshest is None:
            raise ArchiveError(f"{url}: the web archive keeps no copy of this page")
        history = await wayback.copies(url, (now - _HISTORY).date())
        older = _spread([c for c in history if c.timestamp < freshest.timestamp], OLDER_COPIES)
        results = await wayback.read([freshest, *older])
    html = _readable_html(results[0], f"{url} (archive copy {freshest.raw_url})")
    kept = {
        copy.day: result.text()
        for copy, result in zip(older, results[1:], strict=True)
        if judge(result).outcome in _READABLE
    }
    return _Read(html, f"archive of {freshest.day}", kept)


async def _read(args: argparse.Namespace, settings: Settings, now: dt.datetime) -> _Read:
    url: str = args.url
    remaps = tuple(parse_remap(rule) for rule in args.remap)
    policy = AddressPolicy(remapped_hosts([url], remaps) | archive_hosts(remaps))
    if args.from_archive:
        return await _from_archive(url, settings, remaps, policy, now)
    fetched = apply_remaps(url, remaps)
    if args.read_with == "browser":
        async with Renderer(_browser_settings(settings), address_policy=policy) as renderer:
            rendered = await renderer.render(RenderRequest(fetched, lang=args.lang))
        if rendered.error is not None:
            raise UsageError(f"{url}: the browser could not show the page: {rendered.error}")
        return _Read(rendered.html, "in the browser", {})
    async with Fetcher(_fetch_settings(settings), address_policy=policy) as fetcher:
        result = await fetcher.fetch(FetchRequest(fetched, accept_language=args.lang))
    return _Read(_readable_html(result, url), "live", {})


def watch_block(proposal: Proposal) -> str:
    """The `watch:` block as YAML, ready to paste under the link."""
    watch: dict[str, object] = {"select": proposal.select}
    if proposal.remove:
        watch["remove"] = list(proposal.remove)
    if proposal.expect:
        watch["expect"] = list(proposal.expect)
    return yaml.safe_dump({"watch": watch}, allow_unicode=True, sort_keys=False, width=1000)


def _summary(proposal: Proposal, read: _Read) -> list[str]:
    lines = [
        f"read {read.how}; keeps {proposal.share:.0%} of the page's text "
        f"({proposal.kept_chars} of {proposal.page_chars} characters)"
    ]
    for decoy in proposal.decoys:
        where = f"{decoy.where} (removed)" if decoy.removed else decoy.where
        lines.append(f"left out: « {decoy.label} » in {where}")
    if proposal.older:
        holding = [copy for copy in proposal.older if copy.holds]
        lines.append(
            f"holds on {len(holding)} of {len(proposal.older)} older archived copies"
            + "".join(
                f"; {copy.name}: "
                + (f"{copy.labels_found}/{len(proposal.expect)} labels" if copy.holds else "no")
                for copy in proposal.older
            )
        )
    return lines


def _as_json(url: str, read: _Read, inspection: Inspection) -> str:
    proposal = inspection.proposal
    document: dict[str, object] = {"url": url, "read": read.how}
    if proposal is None:
        document |= {
            "watch": None,
            "missing": list(inspection.missing),
            "reason": inspection.reason,
        }
    else:
        document |= {
            "watch": {
                "select": proposal.select,
                "remove": list(proposal.remove),
                "expect": list(proposal.expect),
            },
            "share": round(proposal.share, 4),
            "kept_chars": proposal.kept_chars,
            "page_chars": proposal.page_chars,
            "decoys": [
                {"label": d.label, "where": d.where, "removed": d.removed} for d in proposal.decoys
            ],
            "older": [
                {"date": c.name, "holds": c.holds, "labels_found": c.labels_found}
                for c in proposal.older
            ],
        }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def run_inspect(args: argparse.Namespace, settings: Settings, streams: Streams) -> int:
    read = asyncio.run(_read(args, settings, _now()))
    inspection = inspect_page(read.html, args.expect, older=read.older)
    if args.format == "json":
        streams.out.write(_as_json(args.url, read, inspection))
    elif inspection.proposal is not None:
        streams.out.write(watch_block(inspection.proposal))
        streams.out.write("".join(f"# {line}\n" for line in _summary(inspection.proposal, read)))
    if inspection.proposal is None:
        missing = "".join(f"; not on the page: « {label} »" for label in inspection.missing)
        streams.err.write(
            f"optout-watch: {args.url} (read {read.how}): {inspection.reason}{missing}\n"
        )
        return ExitCode.FINDINGS
    return ExitCode.OK
