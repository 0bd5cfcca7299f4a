"""One nightly run: probe and watch with one fetch per URL, then findings, report and the next
state. The caller does the I/O at both ends (catalogue, state directory, report files)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from optout_watch.catalogue.targets import Target
from optout_watch.errors import ExitCode
from optout_watch.fetching.browser import Rendered, Renderer, RenderRequest, unavailable
from optout_watch.fetching.fetch import Fetcher, FetchResult, Validators
from optout_watch.fetching.remap import Remap
from optout_watch.lint.diagnostics import Diagnostic
from optout_watch.pages import extract
from optout_watch.pages.labels import Evidence, LabelSighting, LastingEvidence, Suggestion
from optout_watch.run.findings import (
    Thresholds,
    TrackedFinding,
    confirm,
    count_confirmed,
    link_drafts,
    page_drafts,
    validation_drafts,
)
from optout_watch.run.probe import Probed, probe_targets
from optout_watch.run.watch import PageResult, readable, shown_by_browser, watch_page
from optout_watch.settings import DEFAULTS, RenderSetting
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


def _next_links(state: State, probed: Sequence[Probed]) -> dict[str, LinkMemory]:
    """Validators of the answers that worked; a failed fetch keeps the previous ones."""
    links = {}
    for item in probed:
        result = item.result
        worked = result.error is None and result.status is not None and result.status < 400
        if worked and (result.validators.etag or result.validators.last_modified):
            links[item.target.url] = LinkMemory(
                etag=result.validators.etag, last_modified=result.validators.last_modified
            )
        elif not worked and item.target.url in state.links:
            links[item.target.url] = state.links[item.target.url]
    return links


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
) -> CheckResult:
    """`renderer` shows the pages whose text scripts write (none can be read without it).

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
    probed = await probe_targets(
        targets, fetcher, remaps=options.remaps, validators=validators, on_result=on_result
    )
    outage = is_outage(probed, options.outage_ratio)
    to_render = [
        item
        for item in probed
        if item.target.url in previous
        and shown_by_browser(item.target, options.render)
        and readable(item)
    ]
    rendered = await _render(to_render, renderer, on_rendered)
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
    pages = list(watched.values())
    drafts = [*validation_drafts(validation), *link_drafts(probed), *page_drafts(pages)]
    unchecked = frozenset(p.target.url for p in pages if not p.checked and not p.selector_failed)
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
        next_state = State(
            last_run=state.last_run,
            extractor=next_extractor,
            links={**state.links, **_next_links(state, probed)},
            labels=_next_labels(state, watched, set(state.labels) | {t.url for t in targets}),
            findings=state.findings,
        )
    else:
        next_state = State(
            last_run=started,
            extractor=next_extractor,
            links=_next_links(state, probed),
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
    )
