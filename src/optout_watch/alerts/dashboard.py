"""The dashboard issue: the state of every platform at a glance, for the maintainer who opens
one issue rather than twenty. Pure: a report and issue numbers in, Markdown out.

There is exactly one dashboard, found by the marker on its first line (never by its title),
edited in place when its text changes. Its text depends on the report and the issues only, not
on the time it is rendered, so that syncing one report twice leaves it untouched.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from optout_watch.alerts.issues import DASHBOARD_MARKER, TRACKING_LABEL
from optout_watch.alerts.label_coverage import label_coverage_section
from optout_watch.alerts.plan import alerting_findings
from optout_watch.kinds import Code
from optout_watch.report.people import (
    ReportView,
    archived_copies_section,
    finding_title,
    how_read,
    reading_section,
    use_name,
)
from optout_watch.report.plural import plural
from optout_watch.report.read import (
    ReportedFinding,
    ReportedLink,
    ReportedPlatform,
    platforms_of,
)
from optout_watch.report.safe_markdown import autolink, code_span, inline

DASHBOARD_TITLE = "optout-watch dashboard"
DASHBOARD_LABELS = (TRACKING_LABEL,)


@dataclass(frozen=True, slots=True)
class DashboardIssues:
    """What the dashboard knows of the issues, after the sync's writes (or, for a dry run,
    as they would be)."""

    numbers: Mapping[str, int] = field(default_factory=dict)
    """Issue number by fingerprint, for every problem with an open issue."""
    held_back: Sequence[ReportedFinding] = ()
    muted: Mapping[str, int] = field(default_factory=dict)
    max_new: int = 0


def _awaiting(report: ReportView) -> list[ReportedFinding]:
    """Errors and warnings not confirmed yet; blocked links have a section of their own."""
    return [
        finding
        for finding in report.findings
        if not finding.confirmed
        and finding.severity in {"error", "warning"}
        and finding.code != Code.LINK_BLOCKED
    ]


def _blocked(report: ReportView) -> list[ReportedLink]:
    return [link for link in report.links if link.outcome == "blocked"]


def _reference(finding: ReportedFinding, state: DashboardIssues) -> str:
    """The finding's issue as a reference GitHub links (`#12`), or why it has none."""
    if finding.fingerprint in state.numbers:
        return f"#{state.numbers[finding.fingerprint]}"
    if finding.fingerprint in state.muted:
        return f"#{state.muted[finding.fingerprint]} (closed as not planned)"
    if any(held.fingerprint == finding.fingerprint for held in state.held_back):
        return "no issue yet (held back)"
    return "new issue"


def _platform_state(
    platform: ReportedPlatform,
    report: ReportView,
    state: DashboardIssues,
    confirmed: Sequence[ReportedFinding],
) -> str:
    def concerns(finding: ReportedFinding) -> bool:
        return platform.id in platforms_of(finding, report)

    errors = [f for f in confirmed if f.severity == "error" and concerns(f)]
    warnings = [f for f in confirmed if f.severity == "warning" and concerns(f)]
    awaiting = [f for f in _awaiting(report) if concerns(f)]
    blocked = [
        link for link in _blocked(report) if any(u.platform == platform.id for u in link.uses)
    ]
    skipped = platform.file in report.skipped_files
    parts = []
    for findings, noun in ((errors, "error"), (warnings, "warning")):
        if findings:
            references = ", ".join(_reference(finding, state) for finding in findings)
            parts.append(f"{plural(len(findings), noun)}: {references}")
    if awaiting:
        parts.append(f"{len(awaiting)} awaiting confirmation")
    if blocked:
        parts.append(plural(len(blocked), "blocked link"))
    if skipped:
        parts.append("not checked (its file has errors)")
    if errors:
        icon = "❌"
    elif warnings:
        icon = "⚠️"
    elif skipped:
        icon = "⏸️"
    elif awaiting or blocked:
        icon = "⏳"
    else:
        icon = "✅"
    return f"{icon} " + ("; ".join(parts) if parts else "fine")


def _platforms_section(report: ReportView, state: DashboardIssues) -> list[str]:
    if not report.platforms:
        return ["## Platforms", "", "The report lists no platform."]
    confirmed = alerting_findings(report)
    rows = [
        f"| {inline(platform.service)} | {_platform_state(platform, report, state, confirmed)} |"
        for platform in sorted(report.platforms, key=lambda p: (p.service.casefold(), p.id))
    ]
    return ["## Platforms", "", "| Platform | State |", "| --- | --- |", *rows]


def _confirmed_section(report: ReportView, state: DashboardIssues) -> list[str]:
    confirmed = alerting_findings(report)
    if not confirmed:
        return []
    items = [
        f"- {_reference(finding, state)} {inline(finding_title(finding, report))} "
        f"({finding.severity})"
        for finding in confirmed
    ]
    return ["## Confirmed problems", "", *items]


def _awaiting_section(report: ReportView, state: DashboardIssues) -> list[str]:
    awaiting = _awaiting(report)
    if not awaiting:
        return []
    items = []
    for finding in awaiting:
        still_open = state.numbers.get(finding.fingerprint)
        note = f"; #{still_open} stays open meanwhile" if still_open else ""
        items.append(
            f"- {inline(finding_title(finding, report))}: seen in {finding.streak} of the "
            f"{finding.runs_needed} checks in a row that confirm it{note}"
        )
    return ["## Awaiting confirmation", "", *items]


def _blocked_section(report: ReportView, state: DashboardIssues) -> list[str]:
    blocked = _blocked(report)
    if not blocked:
        return []
    findings = {f.url: f for f in report.findings if f.code == Code.LINK_BLOCKED}
    items = []
    for link in blocked:
        names = ", ".join(
            dict.fromkeys(
                f"{inline(report.service(use.platform))} › {inline(use_name(use))}"
                for use in link.uses
            )
        )
        finding = findings.get(link.url)
        if finding is None:
            progress = "blocked in this check"
        elif finding.confirmed:
            progress = _reference(finding, state)
        else:
            progress = (
                f"blocked in {finding.streak} checks in a row; an issue opens at "
                f"{finding.runs_needed}"
            )
        page = report.page(link.url)
        if page is not None and page.archive is not None:
            progress += f"; the watched page: {inline(how_read(page))}"
        items.append(f"- {names}: {autolink(link.url)}: {progress}")
    return [
        "## Blocked links that need a person",
        "",
        "Bot protection turns the check away from these: open them in a browser.",
        "",
        *items,
    ]


def _held_back_section(report: ReportView, state: DashboardIssues) -> list[str]:
    if not state.held_back:
        return []
    items = [f"- {inline(finding_title(finding, report))}" for finding in state.held_back]
    return [
        "## Held back by the flood cap",
        "",
        f"This check confirmed more new problems than the {state.max_new} issues a run may "
        "open: these get theirs in a later run.",
        "",
        *items,
    ]


def _skipped_section(report: ReportView) -> list[str]:
    if not report.skipped_files:
        return []
    items = [f"- {code_span(file)}" for file in report.skipped_files]
    return [
        "## Files not checked",
        "",
        "These catalogue files have errors: their links and pages were not checked.",
        "",
        *items,
    ]


def _headline(report: ReportView, state: DashboardIssues) -> str:
    confirmed = alerting_findings(report)
    counts = [
        plural(len(confirmed), "confirmed problem"),
        f"{len(_awaiting(report))} awaiting confirmation",
        plural(len(_blocked(report)), "blocked link"),
    ]
    if state.held_back:
        counts.append(f"{len(state.held_back)} held back")
    if report.skipped_files:
        counts.append(plural(len(report.skipped_files), "file") + " not checked")
    return f"Last check: **{inline(report.started_at)}**. " + ", ".join(counts) + "."


def dashboard_body(report: ReportView, state: DashboardIssues) -> str:
    sections = [
        [DASHBOARD_MARKER, f"# {DASHBOARD_TITLE}", "", _headline(report, state)],
        _platforms_section(report, state),
        _confirmed_section(report, state),
        _awaiting_section(report, state),
        _blocked_section(report, state),
        archived_copies_section(report),
        reading_section(report),
        _held_back_section(report, state),
        _skipped_section(report),
        label_coverage_section(report),
        [
            "<sub>Kept up to date by optout-watch after each check; edits are overwritten. "
            "Each confirmed problem has an issue of its own, labelled "
            f"{code_span(TRACKING_LABEL)}.</sub>"
        ],
    ]
    return "\n\n".join("\n".join(section) for section in sections if section) + "\n"


def same_body(old: str, new: str) -> bool:
    """Whether two bodies read the same; GitHub may store line ends as CRLF after a web edit."""
    return old.replace("\r\n", "\n").strip() == new.replace("\r\n", "\n").strip()
