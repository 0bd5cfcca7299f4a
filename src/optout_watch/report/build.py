"""The JSON report, built from the stages' results: the one place that fills the report's
models, so the stages never handle the report and the report never runs a stage."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from optout_watch import __version__
from optout_watch.catalogue.coverage import coverage_by_language, label_decisions
from optout_watch.catalogue.targets import CataloguePlatform, Target
from optout_watch.fetching.failures import Outcome
from optout_watch.report.model import (
    REPORT_FORMAT_VERSION,
    Finding,
    LabelCoverage,
    LabelReport,
    LinkReport,
    Location,
    PageReport,
    PlatformInfo,
    Report,
    Summary,
)
from optout_watch.run.check import CheckResult
from optout_watch.run.findings import TrackedFinding, count_confirmed
from optout_watch.run.probe import Probed
from optout_watch.run.watch import PageResult
from optout_watch.severity import Severity

#: A diff longer than this is cut in the report (the snapshot history keeps it whole).
MAX_DIFF_CHARS = 20_000


def _locations(target: Target) -> list[Location]:
    return [
        Location(
            platform=u.platform, file=u.file, line=u.line, entry=u.entry, kind=u.kind, title=u.title
        )
        for u in target.uses
    ]


def link_report(probed: Probed) -> LinkReport:
    result, verdict = probed.result, probed.verdict
    return LinkReport(
        url=probed.target.url,
        fetched_url=probed.fetched_url,
        outcome=str(verdict.outcome),
        reason=verdict.reason,
        status=result.status,
        final_url=result.final_url,
        new_url=verdict.new_url if verdict.outcome is Outcome.REDIRECTED else None,
        redirects=list(result.redirects),
        attempts=result.attempts,
        elapsed_ms=result.elapsed_ms,
        uses=_locations(probed.target),
    )


def page_report(page: PageResult) -> PageReport:
    """The report of a page, located at the first catalogue entry that names it; each label at
    the entry that expects it."""
    first = page.target.uses[0]
    return PageReport(
        url=page.target.url,
        lang=page.target.lang,
        platforms=list(page.target.platforms),
        file=first.file,
        line=first.line,
        checked=page.checked,
        error=page.error,
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
                last_seen=check.result.sighting.last_seen,
            )
            for check in page.labels
        ],
    )


def finding_report(finding: TrackedFinding) -> Finding:
    draft = finding.draft
    return Finding(
        code=draft.code,
        severity=finding.severity,
        platform=draft.platform,
        file=draft.file,
        line=draft.line,
        url=draft.url,
        label=draft.label,
        message=draft.message,
        evidence=dict(draft.evidence),
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
    links = [link_report(item) for item in result.links]
    pages = [page_report(page) for page in result.pages]
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
        findings=[finding_report(finding) for finding in result.findings],
    )
