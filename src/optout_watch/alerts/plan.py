"""What the sync should do, given a report and the issues already there. Pure: no I/O.

The lifecycle of a problem's issue, keyed by the finding's fingerprint (see `issues`):

- A confirmed `error` or `warning` with no issue yet: create one, up to `max_new` per run
  (errors first, in the report's order); the rest are *held back* and shown on the dashboard,
  and created by a later run. Unconfirmed and `info` findings never open an issue.
- Still failing, issue open: nothing, unless the evidence digest changed; then one comment
  and the body rewritten with the new evidence (that is where the digest is kept).
- Failing again, issue closed as completed: reopened, with a comment. Never a second issue.
  An issue a person closed as *not planned* stays closed while the problem lasts: that is how
  a maintainer mutes a problem (a link that only robots find blocked); the dashboard lists it.
- Gone from the report, issue open: it depends on what the report says of the subject,
  recorded in the issue's markers (`judge_absence`):
  - *healed*: the subject was checked and is fine: a "resolved" comment, then closed;
  - *removed*: the subject is no longer in the catalogue: a comment saying so, then closed;
  - *unchecked*: the report cannot tell: nothing. An unconfirmed finding (the streak started
    again) also changes nothing: an open issue stays open until a check sees the problem gone.

When is a subject healed, removed, or unchecked?

- Its catalogue file is in `skipped_files` (not checked this run): unchecked, whatever the code.
- Links (`link-*`): healed when `links[]` has the URL with outcome `ok`. Another outcome
  (blocked, failing in another way, moved) is not "fine": the issue stays open, and the new
  problem gets an issue of its own. Removed when the URL is neither in `links[]` nor in
  `pages[]`; unchecked when only `links[]` lacks it.
- Labels (`label-*`): healed when its page was checked (`checked` and no selector failure) and
  the label is `present`. Removed when the page is no longer watched (not in `pages[]`) or no
  longer expects the label. Otherwise unchecked.
- Layout (`page-selector-empty`): healed when the page was checked and its selector matched;
  removed when the page is no longer watched; unchecked otherwise.
- Findings without a URL (`catalogue-invalid`, `review-stale`): the whole file is validated at
  every run, so the finding's absence is conclusive once the file is known to the report:
  healed when the file is one of `platforms[]` (and not skipped: a file that no longer parses
  hides its other problems), removed when the report knows the file no more.

Issues are found among open and closed issues labelled `optout-watch`, by their markers only;
when several carry one fingerprint (a run that stopped halfway, a copy made by hand), the open
one with the lowest number is kept and the others are left alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from optout_watch.alerts.github import GitHubIssue
from optout_watch.alerts.issues import (
    IssueMarkers,
    IssueSubject,
    RepositoryFiles,
    evidence_comment,
    evidence_digest,
    is_dashboard,
    issue_body,
    issue_labels,
    read_markers,
    removed_comment,
    reopen_comment,
    resolved_comment,
)
from optout_watch.kinds import CATALOGUE_CODES, LABEL_CODES, LINK_CODES, PAGE_CODES
from optout_watch.report.people import (
    TITLE_LIMIT,
    ReportView,
    finding_title,
)
from optout_watch.report.read import ReportedFinding, alerts, label_on
from optout_watch.report.safe_markdown import one_line

#: GitHub's `state_reason` for an issue closed as resolved; a person's "won't fix" is
#: `not_planned`.
COMPLETED = "completed"
NOT_PLANNED = "not_planned"


class Absence(StrEnum):
    """What a report says of the subject of an issue whose finding it lacks."""

    HEALED = "healed"
    REMOVED = "removed"
    UNCHECKED = "unchecked"


class IssueChange(StrEnum):
    """Why an existing issue is written to; the value ends its line in the plan."""

    EVIDENCE = "evidence changed"
    REOPEN = "failing again"
    RESOLVED = "resolved"
    REMOVED = "removed from the catalogue"


@dataclass(frozen=True, slots=True)
class TrackedIssue:
    """One of our issues: an issue with our markers."""

    issue: GitHubIssue
    markers: IssueMarkers

    @property
    def number(self) -> int:
        return self.issue.number

    @property
    def is_open(self) -> bool:
        return self.issue.state == "open"

    @property
    def is_muted(self) -> bool:
        return not self.is_open and self.issue.state_reason == NOT_PLANNED


@dataclass(frozen=True, slots=True)
class IssueIndex:
    """The issues listed, sorted out: ours by fingerprint, and our dashboard."""

    by_fingerprint: Mapping[str, TrackedIssue]
    dashboard: GitHubIssue | None


def index_issues(issues: Iterable[GitHubIssue]) -> IssueIndex:
    """Our issues by fingerprint and our dashboard; any other issue is ignored, whatever its
    labels. Open issues first, then the lowest number, when markers repeat."""
    ordered = sorted(issues, key=lambda issue: (issue.state != "open", issue.number))
    tracked: dict[str, TrackedIssue] = {}
    dashboard = None
    for issue in ordered:
        if is_dashboard(issue.body):
            dashboard = dashboard or issue
            continue
        markers = read_markers(issue.body)
        if markers is not None:
            tracked.setdefault(markers.fingerprint, TrackedIssue(issue, markers))
    return IssueIndex(tracked, dashboard)


@dataclass(frozen=True, slots=True)
class CreateIssue:
    fingerprint: str
    title: str
    body: str
    labels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IssueEdit:
    """The fields to PATCH; None leaves a field as it is."""

    title: str | None = None
    body: str | None = None
    state: str | None = None
    state_reason: str | None = None


@dataclass(frozen=True, slots=True)
class UpdateIssue:
    """A comment on one of our issues and an edit of it. A reopened issue is reopened first,
    so that the comment reads after the reopening; otherwise the comment comes first, so that
    an issue is never closed without its reason."""

    change: IssueChange
    number: int
    fingerprint: str
    title: str
    comment: str
    edit: IssueEdit

    @property
    def edit_first(self) -> bool:
        return self.change is IssueChange.REOPEN


Action = CreateIssue | UpdateIssue


@dataclass(frozen=True, slots=True)
class SyncPlan:
    actions: tuple[Action, ...]
    held_back: tuple[ReportedFinding, ...]
    """Confirmed findings left without an issue by the flood cap."""
    open_issues: Mapping[str, int] = field(default_factory=dict)
    """Issue number by fingerprint, for every issue that stays or becomes open."""
    muted: Mapping[str, int] = field(default_factory=dict)
    """Issue number by fingerprint, for failing problems closed as not planned."""

    @property
    def creates(self) -> tuple[CreateIssue, ...]:
        return tuple(action for action in self.actions if isinstance(action, CreateIssue))

    def updates(self, change: IssueChange) -> tuple[UpdateIssue, ...]:
        return tuple(
            action
            for action in self.actions
            if isinstance(action, UpdateIssue) and action.change is change
        )


def judge_absence(subject: IssueSubject, report: ReportView) -> Absence:
    """What `report` says of `subject` when it has no finding for it (see the module's
    docstring for the reasons)."""
    if subject.file in report.skipped_files:
        return Absence.UNCHECKED
    if subject.code in CATALOGUE_CODES:
        return Absence.HEALED if report.is_checked_file(subject.file) else Absence.REMOVED
    if subject.url is None:
        return Absence.UNCHECKED
    link, page = report.link(subject.url), report.page(subject.url)
    if subject.code in LINK_CODES:
        if link is None:
            return Absence.REMOVED if page is None else Absence.UNCHECKED
        return Absence.HEALED if link.outcome == "ok" else Absence.UNCHECKED
    if subject.code in LABEL_CODES | PAGE_CODES:
        if page is None:
            return Absence.REMOVED
        if subject.code in LABEL_CODES:
            label = label_on(page, subject.label or "")
            if label is None:
                return Absence.REMOVED
            fine = label.state == "present"
        else:
            fine = True
        if page.checked and not page.selector_failed and fine:
            return Absence.HEALED
    return Absence.UNCHECKED


def alerting_findings(report: ReportView) -> list[ReportedFinding]:
    """The findings that call for an issue, once each: errors first, then warnings, each in
    the report's order, so that the flood cap holds back the least urgent."""
    seen: set[str] = set()
    chosen = []
    for finding in report.findings:
        if alerts(finding) and finding.fingerprint not in seen:
            seen.add(finding.fingerprint)
            chosen.append(finding)
    return sorted(chosen, key=lambda finding: finding.severity != "error")


def plan_sync(
    report: ReportView,
    index: IssueIndex,
    *,
    max_new: int,
    repository: RepositoryFiles,
) -> SyncPlan:
    """The actions that bring the issues in step with `report`. An outage report changes
    nothing: the caller must not even get here (nothing in it can be trusted)."""
    actions: list[Action] = []
    held_back: list[ReportedFinding] = []
    open_issues: dict[str, int] = {}
    muted: dict[str, int] = {}
    created = 0
    for finding in alerting_findings(report):
        tracked = index.by_fingerprint.get(finding.fingerprint)
        if tracked is None:
            if created < max_new:
                created += 1
                actions.append(
                    CreateIssue(
                        fingerprint=finding.fingerprint,
                        title=finding_title(finding, report),
                        body=issue_body(finding, report, repository),
                        labels=issue_labels(finding),
                    )
                )
            else:
                held_back.append(finding)
            continue
        if tracked.is_muted:
            muted[finding.fingerprint] = tracked.number
            continue
        open_issues[finding.fingerprint] = tracked.number
        if tracked.is_open and tracked.markers.evidence == evidence_digest(finding, report):
            continue
        change = IssueChange.EVIDENCE if tracked.is_open else IssueChange.REOPEN
        comment = (evidence_comment if tracked.is_open else reopen_comment)(finding, report)
        actions.append(
            UpdateIssue(
                change=change,
                number=tracked.number,
                fingerprint=finding.fingerprint,
                title=tracked.issue.title,
                comment=comment,
                edit=IssueEdit(
                    title=finding_title(finding, report),
                    body=issue_body(finding, report, repository),
                    state=None if tracked.is_open else "open",
                ),
            )
        )
    present = {finding.fingerprint for finding in report.findings}
    for fingerprint, tracked in sorted(index.by_fingerprint.items(), key=lambda i: i[1].number):
        if not tracked.is_open:
            continue
        closing = None if fingerprint in present else _closing(tracked, report)
        if closing is None:
            open_issues.setdefault(fingerprint, tracked.number)
        else:
            actions.append(closing)
    return SyncPlan(tuple(actions), tuple(held_back), open_issues, muted)


def _closing(tracked: TrackedIssue, report: ReportView) -> UpdateIssue | None:
    subject = tracked.markers.subject
    if subject is None:
        return None
    absence = judge_absence(subject, report)
    if absence is Absence.UNCHECKED:
        return None
    healed = absence is Absence.HEALED
    return UpdateIssue(
        change=IssueChange.RESOLVED if healed else IssueChange.REMOVED,
        number=tracked.number,
        fingerprint=tracked.markers.fingerprint,
        title=tracked.issue.title,
        comment=(resolved_comment if healed else removed_comment)(subject, report),
        edit=IssueEdit(state="closed", state_reason=COMPLETED),
    )


def plan_lines(plan: SyncPlan, report: ReportView, *, max_new: int) -> list[str]:
    """The plan for a person, one line per action, as `--dry-run` prints it."""
    lines = []
    for action in plan.actions:
        if isinstance(action, CreateIssue):
            lines.append(f"create: {action.title}")
            continue
        title = one_line(action.title, TITLE_LIMIT)
        verb = {IssueChange.EVIDENCE: "comment", IssueChange.REOPEN: "reopen"}.get(
            action.change, "close"
        )
        lines.append(f"{verb}: #{action.number} {title} ({action.change})")
    lines += [
        f"hold: {finding_title(finding, report)} (held back by the flood cap, --max-new {max_new})"
        for finding in plan.held_back
    ]
    return lines
