"""The JSON report, built from the stages' results: the one place that fills the report's
models, so the stages never handle the report and the report never runs a stage.

With `--remap`, the stages speak of the addresses they fetched (a mirror, a test server);
the report speaks of the catalogue's. Every text for people (reasons, messages, evidence,
page errors) and every address (final, redirects, suggested) is put back here, once, so the
formats and the alerts never show a mirror. Only `links[].fetched_url` keeps where the URL
was fetched.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

from optout_watch import __version__
from optout_watch.archive.wayback import ArchivedCopy
from optout_watch.catalogue.coverage import coverage_by_language, label_decisions
from optout_watch.catalogue.targets import CataloguePlatform, Target
from optout_watch.fetching.failures import Outcome
from optout_watch.fetching.remap import MirrorMap
from optout_watch.report.model import (
    REPORT_FORMAT_VERSION,
    ArchivedCopyReport,
    ArchiveReadingReport,
    Finding,
    HopReport,
    LabelCoverage,
    LabelReport,
    LastArchivedCopyReport,
    LinkReport,
    Location,
    PageReport,
    PlatformInfo,
    ProposalReport,
    Report,
    Summary,
)
from optout_watch.run.check import CheckResult, LastArchivedCopy
from optout_watch.run.findings import Evidence, TrackedFinding, count_confirmed
from optout_watch.run.probe import Probed
from optout_watch.run.watch import ArchiveReading, PageResult, ReadFrom
from optout_watch.severity import Severity

EvidenceValue = str | int | float | list[str] | None

#: A diff longer than this is cut in the report (the snapshot history keeps it whole).
MAX_DIFF_CHARS = 20_000


def _locations(target: Target) -> list[Location]:
    return [
        Location(
            platform=u.platform, file=u.file, line=u.line, entry=u.entry, kind=u.kind, title=u.title
        )
        for u in target.uses
    ]


#: For a run that fetched every URL where the catalogue says.
_NO_MIRRORS = MirrorMap(())


def archived_copy_report(copy: ArchivedCopy, mirrors: MirrorMap) -> ArchivedCopyReport:
    """The copy, its web-view address put back to the archive's own if `--remap` sent the
    archive's addresses to a mirror."""
    return ArchivedCopyReport(
        date=copy.day, timestamp=copy.timestamp, url=mirrors.text(copy.view_url)
    )


def _last_archived_copy(
    last: LastArchivedCopy | None, url: str, mirrors: MirrorMap
) -> LastArchivedCopyReport | None:
    if last is None:
        return None
    return LastArchivedCopyReport(
        last_worked=last.last_worked,
        archived=archived_copy_report(last.copy, mirrors) if last.copy is not None else None,
        note=mirrors.text(last.note, url) if last.note else None,
    )


def _archive_reading(
    reading: ArchiveReading | None, url: str, mirrors: MirrorMap
) -> ArchiveReadingReport | None:
    if reading is None:
        return None
    return ArchiveReadingReport(
        archived=archived_copy_report(reading.copy, mirrors) if reading.copy is not None else None,
        used=reading.used,
        note=mirrors.text(reading.note, url),
    )


def _proposal(page: PageResult) -> ProposalReport | None:
    proposal = page.proposal
    if proposal is None:
        return None
    return ProposalReport(
        select=proposal.select,
        remove=list(proposal.remove),
        kept_chars=proposal.kept_chars,
        page_chars=proposal.page_chars,
        decoys=[
            f"« {d.label} » in {d.where}" + (" (removed)" if d.removed else "")
            for d in proposal.decoys
        ],
    )


def link_report(
    probed: Probed, mirrors: MirrorMap, last_archived_copy: LastArchivedCopy | None = None
) -> LinkReport:
    result, verdict, url = probed.result, probed.verdict, probed.target.url

    def put_back(text: str) -> str:
        return mirrors.text(text, url)

    new_url = verdict.new_url if verdict.outcome is Outcome.REDIRECTED else None
    return LinkReport(
        url=url,
        fetched_url=probed.fetched_url,
        outcome=str(verdict.outcome),
        reason=put_back(verdict.reason),
        status=result.status,
        final_url=put_back(result.final_url),
        new_url=put_back(new_url) if new_url else None,
        redirects=[
            HopReport(url=put_back(hop.url), status=hop.status, location=put_back(hop.location))
            for hop in result.redirects
        ],
        attempts=result.attempts,
        elapsed_ms=result.elapsed_ms,
        uses=_locations(probed.target),
        failure=verdict.failure,
        last_archived_copy=_last_archived_copy(last_archived_copy, url, mirrors),
    )


def page_report(page: PageResult, mirrors: MirrorMap = _NO_MIRRORS) -> PageReport:
    """The report of a page, located at the first catalogue entry that names it; each label at
    the entry that expects it."""
    first = page.target.uses[0]
    copy_day = (
        page.archive.copy.day
        if page.read_from is ReadFrom.ARCHIVE and page.archive and page.archive.copy
        else None
    )
    return PageReport(
        url=page.target.url,
        lang=page.target.lang,
        platforms=list(page.target.platforms),
        file=first.file,
        line=first.line,
        checked=page.checked,
        error=mirrors.text(page.error, page.target.url) if page.error else None,
        selector_failed=page.selector_failed,
        changed=page.changed,
        diff=page.change.diff[:MAX_DIFF_CHARS] if page.change is not None else "",
        labels=[
            LabelReport(
                label=check.result.label,
                state=str(check.result.state),
                suggestions=list(check.result.suggestions),
                file=check.expected.file,
                line=check.expected.line,
                last_seen=page.sightings[check.result.label].last_seen
                if check.result.label in page.sightings
                else check.result.sighting.last_seen,
                archive_copy=copy_day,
            )
            for check in page.labels
        ],
        read_from=str(page.read_from),
        not_read_because=page.unread_because,
        archive=_archive_reading(page.archive, page.target.url, mirrors),
        proposed_watch=_proposal(page),
    )


def _evidence(evidence: Evidence, put_back: Callable[[str], str]) -> dict[str, EvidenceValue]:
    """The evidence with its texts put back; numbers and None as they are."""

    def value_of(value: EvidenceValue) -> EvidenceValue:
        if isinstance(value, str):
            return put_back(value)
        if isinstance(value, list):
            return [put_back(item) for item in value]
        return value

    return {key: value_of(value) for key, value in evidence.items()}


def finding_report(finding: TrackedFinding, mirrors: MirrorMap) -> Finding:
    draft = finding.draft

    def put_back(text: str) -> str:
        return mirrors.text(text, draft.url)

    return Finding(
        code=draft.code,
        severity=finding.severity,
        platform=draft.platform,
        file=draft.file,
        line=draft.line,
        url=draft.url,
        label=draft.label,
        message=put_back(draft.message),
        evidence=_evidence(draft.evidence, put_back),
        fingerprint=finding.fingerprint,
        streak=finding.streak,
        runs_needed=finding.runs_needed,
        confirmed=finding.confirmed,
    )


def _summary(
    result: CheckResult, links: Sequence[LinkReport], pages: Sequence[PageReport]
) -> Summary:
    findings = result.findings
    return Summary(
        links=len(links),
        outcomes=dict(sorted(Counter(link.outcome for link in links).items())),
        pages=len(pages),
        pages_changed=sum(page.changed for page in pages),
        labels=dict(sorted(Counter(lab.state for page in pages for lab in page.labels).items())),
        findings=len(findings),
        confirmed_errors=count_confirmed(findings, Severity.ERROR),
        confirmed_warnings=count_confirmed(findings, Severity.WARNING),
        outage=result.outage,
        exit_code=int(result.exit_code),
        pages_read=dict(
            sorted(Counter(p.read_from for p in pages if p.read_from != "not_read").items())
        ),
        pages_not_read=dict(
            sorted(
                Counter(
                    p.not_read_because or "unknown" for p in pages if p.read_from == "not_read"
                ).items()
            )
        ),
    )


def label_coverage(platforms: Sequence[CataloguePlatform]) -> list[LabelCoverage]:
    """Per platform and language, the step labels a watched page checks (see
    `catalogue.coverage`)."""
    return [
        LabelCoverage(
            platform=item.platform.id,
            lang=share.lang,
            watched=share.watched,
            not_watchable=share.not_watchable,
            total=share.total,
        )
        for item in platforms
        for share in coverage_by_language(label_decisions(item.platform))
    ]


def build_report(
    result: CheckResult,
    platforms: Sequence[CataloguePlatform],
    skipped_files: Sequence[str] = (),
) -> Report:
    """The report of one run. `platforms` are the catalogue's platforms that were read;
    `skipped_files` those that could not be."""
    mirrors = MirrorMap(
        [*((item.target.url, item.fetched_url) for item in result.links), *result.archive_fetches]
    )
    links = [
        link_report(item, mirrors, result.archived_links.get(item.target.url))
        for item in result.links
    ]
    pages = [page_report(page, mirrors) for page in result.pages]
    return Report(
        format_version=REPORT_FORMAT_VERSION,
        generator=f"optout-watch {__version__}",
        started_at=result.started_at,
        finished_at=result.finished_at,
        summary=_summary(result, links, pages).model_copy(
            update={"label_coverage": label_coverage(platforms)}
        ),
        platforms=[
            PlatformInfo(
                id=item.platform.id,
                provider=item.platform.provider,
                service=item.platform.service,
                file=item.file,
            )
            for item in platforms
        ],
        skipped_files=list(skipped_files),
        validation=list(result.validation),
        links=links,
        pages=pages,
        findings=[finding_report(finding, mirrors) for finding in result.findings],
    )
