"""One nightly run: probe and watch with one fetch per URL, then findings, report and the next
state. The caller does the I/O at both ends (catalogue, state directory, report files)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from optout_watch.archive.fallback import archived_stand_in
from optout_watch.archive.wayback import ArchivedCopy, ArchiveError, Wayback
from optout_watch.catalogue.targets import Target
from optout_watch.errors import ExitCode
from optout_watch.fetching.browser import Renderer
from optout_watch.fetching.browser_model import Rendered, RenderRequest, unavailable
from optout_watch.fetching.failures import Outcome
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.model import FetchResult, Validators
from optout_watch.fetching.remap import Remap, apply_remaps
from optout_watch.lint.diagnostics import Diagnostic
from optout_watch.pages import extract
from optout_watch.pages.evidence import Evidence
from optout_watch.pages.labels import LabelSighting, LastingEvidence, Suggestion
from optout_watch.run.findings import (
    Thresholds,
    TrackedFinding,
    confirm,
    count_confirmed,
    failing_since_remembered,
    link_drafts,
    page_drafts,
    validation_drafts,
)
from optout_watch.run.probe import Probed, probe_targets
from optout_watch.run.watch import (
    ArchiveReading,
    PageResult,
    ReadFrom,
    readable,
    shown_by_browser,
    watch_archived_copy,
    watch_page,
)
from optout_watch.settings import DEFAULTS, ArchiveSetting, RenderSetting
from optout_watch.severity import Severity
from optout_watch.storage.snapshots import Snapshot
from optout_watch.storage.state import LabelMemory, LinkMemory, RenameMemory, State


@dataclass(frozen=True, slots=True)
class CheckOptions:
    thresholds: Thresholds = field(default_factory=Thresholds)
    remaps: tuple[Remap, ...] = ()
    #: More than this share of URLs failing at the network level makes the run an outage.
    outage_ratio: float = 0.5
    #: Extract and judge the text of watched pages (`probe` does not).
    watch_pages: bool = True
    #: Which watched pages the browser shows (see `run.watch.shown_by_browser`).
    render: RenderSetting = DEFAULTS.render
    #: The targets are only the watched pages (`watch`): the findings' streaks are left alone,
    #: since most problems were not looked for.
    only_watched: bool = False
    #: Whether the web archive is asked (see `settings.ArchiveSetting` and `run_check`).
    archive: ArchiveSetting = "never"
    #: The web archive's copy stands in for a page no older than this (see `run_check`).
    archive_max_age_days: int = DEFAULTS.archive_max_age_days


@dataclass(frozen=True, slots=True)
class LastArchivedCopy:
    """For a broken link: the web archive's copy closest to the last run the link worked."""

    #: The last run that found the link working (None: unknown, the copy is the latest).
    last_worked: str | None
    copy: ArchivedCopy | None
    #: Why there is no copy, when there is none.
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Everything one run found, as the stages gave it; `report.build` turns it into the
    JSON report."""

    started_at: str
    finished_at: str
    validation: tuple[Diagnostic, ...]
    links: tuple[Probed, ...]
    pages: tuple[PageResult, ...]
    findings: tuple[TrackedFinding, ...]
    outage: bool
    #: What to remember; the caller must not save it when the run is an outage.
    state: State
    #: The extractor of this run's text (`pages.extract.EXTRACTOR_VERSION`), and the ones of
    #: the snapshots it re-baselined (None: unknown), sorted.
    extractor: str = ""
    previous_extractors: tuple[str | None, ...] = ()
    #: Some snapshots were taken by another extractor: each of those pages that was read
    #: replaced its snapshot without being compared, so none is reported as changed.
    rebaselined: bool = False
    #: The pages with a snapshot of another extractor that could not be read: their snapshots
    #: stay the old extractor's, and are re-baselined on the run that reads them.
    stale_snapshots: tuple[str, ...] = ()
    #: By catalogue URL, the archived copy of each broken link (when the archive was asked).
    archived_links: Mapping[str, LastArchivedCopy] = field(default_factory=dict)
    #: (the archive's address, where `--remap` sent it) of each archived copy read.
    archive_fetches: tuple[tuple[str, str], ...] = ()

    @property
    def snapshots(self) -> tuple[Snapshot, ...]:
        return tuple(page.snapshot for page in self.pages if page.snapshot is not None)

    @property
    def exit_code(self) -> ExitCode:
        if self.outage:
            return ExitCode.USAGE
        if count_confirmed(self.findings, Severity.ERROR):
            return ExitCode.FINDINGS
        return ExitCode.OK


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def is_outage(probed: Sequence[Probed], ratio: float) -> bool:
    """Most URLs failed in ways that say more about our network than about the pages."""
    failures = sum(item.verdict.counts_towards_outage for item in probed)
    return bool(probed) and failures > ratio * len(probed)


def _validators(state: State) -> dict[str, Validators]:
    return {
        url: Validators(etag=memory.etag, last_modified=memory.last_modified)
        for url, memory in state.links.items()
    }


def _extractor_of(snapshot: Snapshot, state: State) -> str | None:
    """The extractor that took `snapshot`: its own record, or for a snapshot written before
    snapshots recorded it, the state's (see `State.extractor`)."""
    return snapshot.meta.extractor if snapshot.meta.extractor is not None else state.extractor


def _history(state: State, url: str) -> dict[str, LabelSighting]:
    return {
        label: LabelSighting(
            label, memory.first_seen, memory.last_seen, _evidence_from_memory(memory.evidence)
        )
        for label, memory in state.labels.get(url, {}).items()
    }


def _evidence_from_memory(memory: RenameMemory | None) -> LastingEvidence | None:
    if memory is None or memory.why not in set(Evidence):
        return None  # (a kind of evidence this version does not know is forgotten)
    suggestion = Suggestion(memory.text, memory.score, Evidence(memory.why))
    return LastingEvidence(suggestion, memory.url, memory.seen_at, memory.old_line, memory.new_line)


def _evidence_memory(evidence: LastingEvidence | None) -> RenameMemory | None:
    if evidence is None:
        return None
    suggestion = evidence.suggestion
    return RenameMemory(
        text=suggestion.text,
        score=suggestion.score,
        why=str(suggestion.why),
        url=evidence.url,
        seen_at=evidence.seen_at,
        old_line=evidence.old_line,
        new_line=evidence.new_line,
    )


def _next_links(state: State, probed: Sequence[Probed], now: str) -> dict[str, LinkMemory]:
    """Validators of the answers that worked; a failed fetch keeps the previous ones, and
    when the link began to fail and the last run before (when it worked, or none is known)."""
    links = {}
    for item in probed:
        result, url = item.result, item.target.url
        worked = result.error is None and result.status is not None and result.status < 400
        if worked and (result.validators.etag or result.validators.last_modified):
            links[url] = LinkMemory(
                etag=result.validators.etag, last_modified=result.validators.last_modified
            )
        elif not worked:
            before = state.links.get(url) or LinkMemory()
            if before.failing_since is None:
                # A state written before the links kept it may know from the link's findings
                # that it already failed at the last run: when it last worked is unknown then.
                earlier = failing_since_remembered(state.findings, url, state.last_run)
                before = before.model_copy(
                    update={"failing_since": now, "last_worked": state.last_run}
                    if earlier is None
                    else {"failing_since": earlier, "last_worked": None}
                )
            links[url] = before
    return links


async def _archive_stand_ins(
    pages: Mapping[str, PageResult],
    state: State,
    wayback: Wayback,
    *,
    now: dt.datetime,
    max_age_days: int,
) -> dict[str, PageResult]:
    """Each page not read live whose archived copy may stand in for it, read from that copy
    (see `run.watch.watch_archived_copy`), or with the reason no copy could."""

    async def stand_in(page: PageResult) -> PageResult:
        if not page.archive_may_stand_in:
            return page
        target = page.target
        try:
            fallback = await archived_stand_in(
                wayback,
                target.url,
                now=now,
                max_age_days=max_age_days,
                sign_in_expected=target.sign_in_expected,
            )
        except ArchiveError as error:
            note = f"the web archive could not be asked: {error}"
            return replace(page, archive=ArchiveReading(None, used=False, note=note))
        found = fallback.page
        if found is None or not found.usable:
            copy = found.copy if found is not None else None
            return replace(page, archive=ArchiveReading(copy, used=False, note=fallback.note))
        history = _history(state, target.url)
        return watch_archived_copy(page, found.copy, found.result.text(), history)

    stood_in = await asyncio.gather(*(stand_in(page) for page in pages.values()))
    return dict(zip(pages, stood_in, strict=True))


async def _last_archived_copies(
    probed: Sequence[Probed], links: Mapping[str, LinkMemory], wayback: Wayback, now: dt.datetime
) -> dict[str, LastArchivedCopy]:
    """For each broken link, the archive's copy closest to the last run it worked (the latest
    copy when that is unknown), if the site then answered with the page."""

    async def last_copy(url: str) -> LastArchivedCopy:
        last_worked = links[url].last_worked if url in links else None
        at = dt.datetime.fromisoformat(last_worked) if last_worked else now
        try:
            copy = await wayback.closest(url, at)
        except ArchiveError as error:
            note = f"the web archive could not be asked: {error}"
            return LastArchivedCopy(last_worked, None, note)
        if copy is None:
            return LastArchivedCopy(last_worked, None, "the web archive keeps no copy of the page")
        if not copy.usable_status:
            return LastArchivedCopy(
                last_worked,
                None,
                f"the web archive's closest copy ({copy.day}) is of an error page "
                f"(HTTP {copy.status})",
            )
        return LastArchivedCopy(last_worked, copy)

    broken = [item.target.url for item in probed if item.verdict.outcome is Outcome.BROKEN]
    found = await asyncio.gather(*(last_copy(url) for url in broken))
    return dict(zip(broken, found, strict=True))


def _next_labels(
    state: State, watched: Mapping[str, PageResult], current_urls: set[str]
) -> dict[str, dict[str, LabelMemory]]:
    labels = {url: dict(memory) for url, memory in state.labels.items() if url in current_urls}
    for url, page in watched.items():
        if page.checked:
            labels[url] = {
                label: LabelMemory(
                    first_seen=s.first_seen,
                    last_seen=s.last_seen,
                    evidence=_evidence_memory(s.evidence),
                )
                for label, s in page.sightings.items()
            }
    return labels


async def _render(
    probed: Sequence[Probed],
    renderer: Renderer | None,
    on_rendered: Callable[[Rendered], None] | None,
) -> dict[str, Rendered]:
    """The pages as the browser shows them, by catalogue URL (fetched where the probe went)."""
    if not probed:
        return {}
    if renderer is None:
        return {item.target.url: unavailable(item.fetched_url, "none given") for item in probed}
    requests = [
        RenderRequest(
            item.fetched_url,
            lang=item.target.lang,
            select=item.target.watch.select if item.target.watch is not None else None,
        )
        for item in probed
    ]
    results = await renderer.render_all(requests, on_result=on_rendered)
    return {item.target.url: result for item, result in zip(probed, results, strict=True)}


async def run_check(
    targets: Sequence[Target],
    validation: Sequence[Diagnostic],
    state: State,
    read_snapshot: Callable[[str], Snapshot | None],
    fetcher: Fetcher,
    *,
    options: CheckOptions,
    clock: Callable[[], dt.datetime],
    on_result: Callable[[FetchResult], None] | None = None,
    renderer: Renderer | None = None,
    on_rendered: Callable[[Rendered], None] | None = None,
    extractor: str | None = None,
    wayback: Wayback | None = None,
) -> CheckResult:
    """`renderer` shows the pages whose text scripts write (none can be read without it).

    `wayback` (None: the archive is never asked) gives each watched page that could not be
    read live (blocked, failing, or needing a browser there is none of) the archive's freshest
    copy no older than `options.archive_max_age_days`, on which its labels are judged, and
    each broken link the archive's copy closest to the last run it worked.

    `extractor` is the version of the text extraction (`pages.extract.EXTRACTOR_VERSION` by
    default). Each snapshot taken by another extractor (or an unknown one) is re-baselined
    by the first run that reads its page (see `watch_page`); later runs compare as usual."""
    started = _timestamp(clock())
    extractor = extract.EXTRACTOR_VERSION if extractor is None else extractor
    previous = {
        target.url: read_snapshot(target.url)
        for target in targets
        if target.watch is not None and options.watch_pages
    }
    rebaseline = {
        url: old_extractor
        for url, snapshot in previous.items()
        if snapshot is not None and (old_extractor := _extractor_of(snapshot, state)) != extractor
    }
    # A page without a snapshot must be fetched whole, even if its validators are known; so
    # must a page being re-baselined (a 304 would keep the old extractor's text).
    validators = {
        url: known
        for url, known in _validators(state).items()
        if url not in previous or (previous[url] is not None and url not in rebaseline)
    }

    async def probe(group: Sequence[Target]) -> list[Probed]:
        return await probe_targets(
            group, fetcher, remaps=options.remaps, validators=validators, on_result=on_result
        )

    async def probe_and_show(group: Sequence[Target]) -> tuple[list[Probed], dict[str, Rendered]]:
        probed = await probe(group)
        return probed, await _render(
            [item for item in probed if readable(item)], renderer, on_rendered
        )

    # The pages a browser shows are probed and shown while the other links are still being
    # fetched: a slow link elsewhere never holds the browser back, so the run ends within
    # one URL's deadline, not the sum of the probe's and the browser's.
    shown = {t.url for t in targets if t.url in previous and shown_by_browser(t, options.render)}
    (shown_probed, rendered), others = await asyncio.gather(
        probe_and_show([t for t in targets if t.url in shown]),
        probe([t for t in targets if t.url not in shown]),
    )
    by_url = {item.target.url: item for item in (*shown_probed, *others)}
    probed = [by_url[target.url] for target in targets]
    outage = is_outage(probed, options.outage_ratio)
    watched = {
        item.target.url: watch_page(
            item,
            previous[item.target.url],
            _history(state, item.target.url),
            now=started,
            rendered=rendered.get(item.target.url),
            rebaseline=item.target.url in rebaseline,
            extractor=extractor,
        )
        for item in probed
        if item.target.url in previous
    }
    next_links = _next_links(state, probed, started)
    archived_links: dict[str, LastArchivedCopy] = {}
    if wayback is not None and not outage:
        watched = await _archive_stand_ins(
            watched, state, wayback, now=clock(), max_age_days=options.archive_max_age_days
        )
        archived_links = await _last_archived_copies(probed, next_links, wayback, clock())
    pages = list(watched.values())
    drafts = [*validation_drafts(validation), *link_drafts(probed, pages), *page_drafts(pages)]
    # A page read from the archive's copy may advance its findings, but not end them: the
    # copy is not the page of tonight.
    unchecked = frozenset(
        p.target.url
        for p in pages
        if (not p.checked and not p.selector_failed) or p.read_from is ReadFrom.ARCHIVE
    )
    findings, memory = confirm(
        drafts, state.findings, thresholds=options.thresholds, now=started, unchecked_urls=unchecked
    )
    stale = tuple(
        page.target.url for page in pages if page.target.url in rebaseline and not page.checked
    )
    # Snapshots that record no extractor have the state's: it stays theirs while one is stale.
    unrecorded = {url for url, s in previous.items() if s is not None and s.meta.extractor is None}
    unrecorded_left = not unrecorded.isdisjoint(stale)
    next_extractor = extractor if options.watch_pages and not unrecorded_left else state.extractor
    if options.only_watched:
        fetched_urls = {item.target.url for item in probed}
        next_state = State(
            last_run=state.last_run,
            extractor=next_extractor,
            # The links fetched tonight are remembered as tonight found them (a link that works
            # again forgets when it failed); the others as they were.
            links={
                **{url: m for url, m in state.links.items() if url not in fetched_urls},
                **next_links,
            },
            labels=_next_labels(state, watched, set(state.labels) | {t.url for t in targets}),
            findings=state.findings,
        )
    else:
        next_state = State(
            last_run=started,
            extractor=next_extractor,
            links=next_links,
            labels=_next_labels(state, watched, {t.url for t in targets}),
            findings=memory,
        )
    return CheckResult(
        started_at=started,
        finished_at=_timestamp(clock()),
        validation=tuple(validation),
        links=tuple(probed),
        pages=tuple(pages),
        findings=tuple(findings),
        outage=outage,
        state=next_state,
        extractor=extractor,
        previous_extractors=tuple(sorted(set(rebaseline.values()), key=lambda v: v or "")),
        rebaselined=bool(rebaseline),
        stale_snapshots=stale,
        archived_links=archived_links,
        archive_fetches=tuple(
            (page.archive.copy.raw_url, apply_remaps(page.archive.copy.raw_url, options.remaps))
            for page in pages
            if page.archive is not None and page.archive.copy is not None
        ),
    )
