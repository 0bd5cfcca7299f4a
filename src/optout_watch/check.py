"""One nightly run: probe and watch with one fetch per URL, then findings, report and the next
state. The caller does the I/O at both ends (catalogue, state directory, report files)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from optout_watch import __version__
from optout_watch.catalogue.targets import Target
from optout_watch.fetch import Fetcher, FetchResult, Validators
from optout_watch.findings import (
    Thresholds,
    confirm,
    count_confirmed,
    link_drafts,
    page_drafts,
    validation_drafts,
)
from optout_watch.labels import LabelSighting
from optout_watch.probe import Probed, link_report, probe_targets
from optout_watch.remap import Remap
from optout_watch.report.model import (
    REPORT_FORMAT_VERSION,
    Finding,
    LinkReport,
    PageReport,
    Report,
    Severity,
    Summary,
    ValidationProblem,
)
from optout_watch.snapshots import Snapshot
from optout_watch.state import LabelMemory, LinkMemory, State
from optout_watch.watch import PageWatch, watch_page

EXIT_OK, EXIT_FINDINGS, EXIT_OUTAGE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class CheckOptions:
    thresholds: Thresholds = field(default_factory=Thresholds)
    remaps: tuple[Remap, ...] = ()
    #: More than this share of URLs failing at the network level makes the run an outage.
    outage_ratio: float = 0.5
    #: Extract and judge the text of watched pages (`probe` does not).
    watch_pages: bool = True
    #: The targets are only the watched pages (`watch`): the findings' streaks are left alone,
    #: since most problems were not looked for.
    only_watched: bool = False


@dataclass(frozen=True, slots=True)
class CheckResult:
    report: Report
    #: What to remember; the caller must not save it when the run is an outage.
    state: State
    snapshots: tuple[Snapshot, ...]

    @property
    def outage(self) -> bool:
        return self.report.summary.outage

    @property
    def exit_code(self) -> int:
        return self.report.summary.exit_code


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def is_outage(probed: Sequence[Probed], ratio: float) -> bool:
    """Most URLs failed at the network level: our side is down, not the pages."""
    failures = sum(item.network_failure for item in probed)
    return bool(probed) and failures > ratio * len(probed)


def _validators(state: State) -> dict[str, Validators]:
    return {
        url: Validators(etag=memory.etag, last_modified=memory.last_modified)
        for url, memory in state.links.items()
    }


def _history(state: State, url: str) -> dict[str, LabelSighting]:
    return {
        label: LabelSighting(label, memory.first_seen, memory.last_seen)
        for label, memory in state.labels.get(url, {}).items()
    }


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
    state: State, watched: Mapping[str, PageWatch], current_urls: set[str]
) -> dict[str, dict[str, LabelMemory]]:
    labels = {url: dict(memory) for url, memory in state.labels.items() if url in current_urls}
    for url, page in watched.items():
        if page.report.checked:
            labels[url] = {
                label: LabelMemory(first_seen=s.first_seen, last_seen=s.last_seen)
                for label, s in page.sightings.items()
            }
    return labels


def _summary(
    links: Sequence[LinkReport],
    pages: Sequence[PageReport],
    findings: Sequence[Finding],
    outage: bool,
) -> Summary:
    errors = count_confirmed(findings, Severity.ERROR)
    exit_code = EXIT_OUTAGE if outage else (EXIT_FINDINGS if errors else EXIT_OK)
    return Summary(
        links=len(links),
        outcomes=dict(sorted(Counter(link.outcome for link in links).items())),
        pages=len(pages),
        pages_changed=sum(page.changed for page in pages),
        labels=dict(sorted(Counter(lab.state for page in pages for lab in page.labels).items())),
        findings=len(findings),
        confirmed_errors=errors,
        confirmed_warnings=count_confirmed(findings, Severity.WARNING),
        outage=outage,
        exit_code=exit_code,
    )


async def run_check(
    targets: Sequence[Target],
    validation: Sequence[ValidationProblem],
    state: State,
    read_snapshot: Callable[[str], Snapshot | None],
    fetcher: Fetcher,
    *,
    options: CheckOptions,
    clock: Callable[[], dt.datetime],
    on_result: Callable[[FetchResult], None] | None = None,
) -> CheckResult:
    started = _timestamp(clock())
    previous = {
        target.url: read_snapshot(target.url)
        for target in targets
        if target.watch is not None and options.watch_pages
    }
    # A page without a snapshot must be fetched whole, even if its validators are known.
    validators = {
        url: known
        for url, known in _validators(state).items()
        if url not in previous or previous[url] is not None
    }
    probed = await probe_targets(
        targets, fetcher, remaps=options.remaps, validators=validators, on_result=on_result
    )
    outage = is_outage(probed, options.outage_ratio)
    links = [link_report(item) for item in probed]
    watched = {
        item.target.url: watch_page(
            item, previous[item.target.url], _history(state, item.target.url), now=started
        )
        for item in probed
        if item.target.url in previous
    }
    pages = [page.report for page in watched.values()]
    drafts = [*validation_drafts(validation), *link_drafts(links), *page_drafts(pages)]
    unchecked = frozenset(p.url for p in pages if not p.checked and not p.selector_failed)
    findings, memory = confirm(
        drafts, state.findings, thresholds=options.thresholds, now=started, unchecked_urls=unchecked
    )
    if options.only_watched:
        next_state = State(
            last_run=state.last_run,
            links={**state.links, **_next_links(state, probed)},
            labels=_next_labels(state, watched, set(state.labels) | {t.url for t in targets}),
            findings=state.findings,
        )
    else:
        next_state = State(
            last_run=started,
            links=_next_links(state, probed),
            labels=_next_labels(state, watched, {t.url for t in targets}),
            findings=memory,
        )
    report = Report(
        format_version=REPORT_FORMAT_VERSION,
        generator=f"optout-watch {__version__}",
        started_at=started,
        finished_at=_timestamp(clock()),
        summary=_summary(links, pages, findings, outage),
        validation=list(validation),
        links=links,
        pages=pages,
        findings=findings,
    )
    snapshots = tuple(page.snapshot for page in watched.values() if page.snapshot is not None)
    return CheckResult(report, next_state, snapshots)
