"""What the sync decides, without GitHub: one issue per confirmed problem, left alone while
nothing changes, commented on when the evidence does, closed when healed or removed, reopened
when back, nothing when the report cannot tell; and the dashboard that sums it up."""

from __future__ import annotations

from typing import Any

import pytest

from optout_watch.alerts.dashboard import DashboardIssues, dashboard_body, same_body
from optout_watch.alerts.github import GitHubIssue
from optout_watch.alerts.issues import DASHBOARD_MARKER, IssueSubject, RepositoryFiles
from optout_watch.alerts.plan import (
    Absence,
    CreateIssue,
    IssueChange,
    IssueIndex,
    SyncPlan,
    UpdateIssue,
    index_issues,
    judge_absence,
    plan_lines,
    plan_sync,
)
from optout_watch.report.read import ReportView
from tests.support.alerts_reports import (
    failing_link,
    finding,
    label,
    link,
    page,
    report,
    use,
    view,
)

REPOSITORY = RepositoryFiles("https://github.com", "octo/guide")
FORM = "https://www.facebook.com/help/contact/6359191084165019"
HELP = "https://help.openai.com/en/articles/7730893"
LABEL = "Improve the model for everyone"


def plan(
    data: dict[str, Any], issues: list[GitHubIssue] | None = None, max_new: int = 10
) -> SyncPlan:
    return plan_sync(view(data), index_issues(issues or []), max_new=max_new, repository=REPOSITORY)


def issues_after(
    first: SyncPlan, *, state: str = "open", reason: str | None = None
) -> list[GitHubIssue]:
    """The issues the first plan's creates would leave, numbered from 1."""
    return [
        GitHubIssue(n, action.title, action.body, state, reason, action.labels)
        for n, action in enumerate(first.creates, 1)
    ]


def broken_report(**options: Any) -> dict[str, Any]:
    entry_link, entry_finding = failing_link(FORM, **options)
    return report(findings=[entry_finding], links=[entry_link])


def label_report(state: str, *, finding_present: bool, **page_options: Any) -> dict[str, Any]:
    findings = (
        [finding("label-missing", platform="openai-chatgpt", url=HELP, label=LABEL, line=31)]
        if finding_present
        else []
    )
    return report(
        findings=findings,
        links=[link(HELP, uses=[use("openai-chatgpt", "data-controls", line=22)])],
        pages=[page(HELP, ["openai-chatgpt"], labels=[label(LABEL, state)], **page_options)],
    )


# --- creating -------------------------------------------------------------------------------


def test_one_issue_per_confirmed_error_or_warning_and_none_for_the_rest() -> None:
    broken_link, broken = failing_link(FORM)
    moved_link, moved = failing_link(
        "https://x.example/moved", "link-moved", status=301, new_url="https://x.example/new"
    )
    pending_link, pending = failing_link("https://x.example/flaky", "link-error", streak=1)
    changed = finding("page-changed", platform="openai-chatgpt", url=HELP, streak=1, runs_needed=1)
    result = plan(
        report(
            findings=[broken, moved, pending, changed],
            links=[broken_link, moved_link, pending_link],
        )
    )
    assert [action.fingerprint for action in result.creates] == [
        broken["fingerprint"],
        moved["fingerprint"],
    ]
    assert result.creates[0].labels == ("optout-watch", "broken-link")
    assert result.held_back == ()


def test_the_flood_cap_holds_back_the_rest_errors_first() -> None:
    pairs = [failing_link(f"https://x.example/{n}", "link-moved", status=301) for n in range(4)]
    pairs += [failing_link(f"https://x.example/e{n}") for n in range(8)]
    data = report(findings=[f for _, f in pairs], links=[entry for entry, _ in pairs])
    result = plan(data, max_new=10)
    assert len(result.creates) == 10
    assert all(action.title.startswith("Broken link") for action in result.creates[:8])
    assert [f.fingerprint for f in result.held_back] == [f["fingerprint"] for _, f in pairs[2:4]]
    lines = plan_lines(result, view(data), max_new=10)
    assert (
        lines[-2:]
        == ["hold: Moved link: Meta AI › objection form (held back by the flood cap, --max-new 10)"]
        * 2
    )


# --- still failing --------------------------------------------------------------------------


def test_nothing_to_do_when_nothing_changed() -> None:
    first = plan(broken_report())
    again = plan(broken_report(attempts=3, streak=5), issues_after(first))
    assert again.actions == ()
    assert again.open_issues == {first.creates[0].fingerprint: 1}


def test_one_comment_and_a_new_body_when_the_evidence_changes() -> None:
    first = plan(broken_report(status=404))
    later = plan(broken_report(status=410), issues_after(first))
    (action,) = later.actions
    assert isinstance(action, UpdateIssue)
    assert (action.change, action.number, action.edit.state) == (IssueChange.EVIDENCE, 1, None)
    assert "- HTTP status: 410" in action.comment
    assert action.edit.title == "Broken link: Meta AI › objection form (410)"
    assert action.edit.body is not None
    assert "- HTTP status: 410" in action.edit.body
    assert not action.edit_first
    assert plan_lines(later, view(broken_report()), max_new=10) == [
        "comment: #1 Broken link: Meta AI › objection form (404) (evidence changed)"
    ]
    # Once the body holds the new digest, the next run is quiet again.
    rewritten = GitHubIssue(1, action.edit.title, action.edit.body, "open", None, ())
    assert plan(broken_report(status=410), [rewritten]).actions == ()


def test_an_unconfirmed_recurrence_leaves_the_issue_as_it_is() -> None:
    first = plan(broken_report())
    assert plan(broken_report(streak=1), issues_after(first)).actions == ()
    closed = issues_after(first, state="closed", reason="completed")
    assert plan(broken_report(streak=1), closed).actions == ()


# --- back -----------------------------------------------------------------------------------


def test_a_closed_issue_is_reopened_never_duplicated() -> None:
    first = plan(broken_report())
    back = plan(broken_report(), issues_after(first, state="closed", reason="completed"))
    (action,) = back.actions
    assert isinstance(action, UpdateIssue)
    assert (action.change, action.number, action.edit.state) == (IssueChange.REOPEN, 1, "open")
    assert action.edit_first
    assert action.comment.startswith("The problem is back")
    assert back.creates == ()


def test_an_issue_closed_as_not_planned_stays_closed() -> None:
    first = plan(broken_report())
    muted = plan(broken_report(), issues_after(first, state="closed", reason="not_planned"))
    assert muted.actions == ()
    assert muted.muted == {first.creates[0].fingerprint: 1}


# --- gone -----------------------------------------------------------------------------------


def test_healed_is_commented_then_closed_as_completed() -> None:
    first = plan(broken_report())
    healed = plan(report(links=[link(FORM)]), issues_after(first))
    (action,) = healed.actions
    assert isinstance(action, UpdateIssue)
    assert action.change is IssueChange.RESOLVED
    assert (action.edit.state, action.edit.state_reason) == ("closed", "completed")
    assert not action.edit_first
    assert action.comment.startswith("Resolved: ")


def test_removed_from_the_catalogue_is_commented_then_closed() -> None:
    first = plan(broken_report())
    removed = plan(report(links=[link("https://x.example/other")]), issues_after(first))
    (action,) = removed.actions
    assert isinstance(action, UpdateIssue)
    assert action.change is IssueChange.REMOVED
    assert "no longer in the catalogue" in action.comment
    assert action.edit.state == "closed"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(report(skipped_files=["catalogue/meta-ai.yaml"]), id="file-skipped"),
        pytest.param(report(pages=[page(FORM)]), id="link-absent-page-present"),
        pytest.param(report(links=[link(FORM, "blocked", status=403)]), id="now-blocked"),
        pytest.param(report(links=[link(FORM, "error", status=None)]), id="now-failing-otherwise"),
    ],
)
def test_a_report_that_cannot_tell_changes_nothing(data: dict[str, Any]) -> None:
    first = plan(broken_report())
    assert plan(data, issues_after(first)).actions == ()


def _judge(subject: IssueSubject, data: dict[str, Any]) -> Absence:
    return judge_absence(subject, view(data))


def test_judging_labels() -> None:
    subject = IssueSubject("label-missing", "catalogue/openai-chatgpt.yaml", HELP, LABEL)
    present = label_report("present", finding_present=False)
    assert _judge(subject, present) is Absence.HEALED
    unchecked = label_report("present", finding_present=False, checked=False, error="timeout")
    assert _judge(subject, unchecked) is Absence.UNCHECKED
    no_selector = label_report("present", finding_present=False, selector_failed=True)
    assert _judge(subject, no_selector) is Absence.UNCHECKED
    still_missing = label_report("missing", finding_present=False)
    assert _judge(subject, still_missing) is Absence.UNCHECKED
    other_label = report(pages=[page(HELP, ["openai-chatgpt"], labels=[label("Other")])])
    assert _judge(subject, other_label) is Absence.REMOVED
    not_watched = report(links=[link(HELP)])
    assert _judge(subject, not_watched) is Absence.REMOVED


def test_judging_layouts() -> None:
    subject = IssueSubject("page-selector-empty", "catalogue/openai-chatgpt.yaml", HELP)
    assert _judge(subject, report(pages=[page(HELP)])) is Absence.HEALED
    assert _judge(subject, report(pages=[page(HELP, checked=False)])) is Absence.UNCHECKED
    assert _judge(subject, report(links=[link(HELP)])) is Absence.REMOVED


def test_judging_findings_without_url() -> None:
    subject = IssueSubject("catalogue-invalid", "catalogue/meta-ai.yaml")
    assert _judge(subject, report()) is Absence.HEALED
    assert _judge(subject, report(skipped_files=["catalogue/meta-ai.yaml"])) is Absence.UNCHECKED
    assert _judge(subject, report(platforms=[])) is Absence.REMOVED
    stale = IssueSubject("review-stale", "catalogue/whatsapp.yaml")
    assert _judge(stale, report()) is Absence.HEALED


def test_healed_labels_close_through_the_plan() -> None:
    first = plan(label_report("missing", finding_present=True))
    healed = plan(label_report("present", finding_present=False), issues_after(first))
    assert [a.change for a in healed.actions if isinstance(a, UpdateIssue)] == [
        IssueChange.RESOLVED
    ]


# --- finding our issues ---------------------------------------------------------------------


def test_issues_are_found_by_marker_never_by_title() -> None:
    first = plan(broken_report())
    (ours,) = issues_after(first)
    index = index_issues(
        [
            GitHubIssue(
                7, ours.title, "Filed by hand, same title", "open", None, ("optout-watch",)
            ),
            GitHubIssue(8, "Renamed by a maintainer", ours.body, "open", None, ("optout-watch",)),
            GitHubIssue(
                9, "Quoting a marker", "Look:\n" + ours.body, "open", None, ("optout-watch",)
            ),
        ]
    )
    assert list(index.by_fingerprint) == [first.creates[0].fingerprint]
    assert index.by_fingerprint[first.creates[0].fingerprint].number == 8
    assert plan_sync(view(broken_report()), index, max_new=10, repository=REPOSITORY).actions == ()


def test_of_two_issues_with_one_fingerprint_the_open_lowest_is_kept() -> None:
    (ours,) = issues_after(plan(broken_report()))
    index = index_issues(
        [
            GitHubIssue(3, ours.title, ours.body, "closed", "completed", ()),
            GitHubIssue(12, ours.title, ours.body, "open", None, ()),
            GitHubIssue(10, ours.title, ours.body, "open", None, ()),
        ]
    )
    (tracked,) = index.by_fingerprint.values()
    assert tracked.number == 10


def test_the_dashboard_is_found_by_its_marker() -> None:
    dashboard = GitHubIssue(4, "Anything", f"{DASHBOARD_MARKER}\n# x", "open", None, ())
    index = index_issues(
        [dashboard, GitHubIssue(5, "optout-watch dashboard", "", "open", None, ())]
    )
    assert index == IssueIndex({}, dashboard)


# --- the dashboard --------------------------------------------------------------------------


def dashboard_report() -> ReportView:
    broken_link, broken = failing_link(FORM, title="Objection form")
    pending_link, pending = failing_link(
        "https://x.example/flaky", "link-error", platform="openai-chatgpt", streak=1, status=503
    )
    blocked_link, blocked = failing_link(
        "https://www.linkedin.com/mypreferences/d/settings/data-for-ai-improvement",
        "link-blocked",
        platform="whatsapp",
        entry="settings",
        status=999,
        streak=3,
        runs_needed=7,
    )
    held_link, held = failing_link("https://x.example/held", platform="whatsapp")
    return view(
        report(
            findings=[broken, held, pending, blocked],
            links=[broken_link, held_link, pending_link, blocked_link],
            skipped_files=["catalogue/x-grok.yaml"],
        )
    )


def test_the_dashboard_shows_each_platform_problems_and_what_is_waiting() -> None:
    parsed = dashboard_report()
    broken, held = parsed.findings[0], parsed.findings[1]
    body = dashboard_body(
        parsed,
        DashboardIssues(numbers={broken.fingerprint: 12}, held_back=(held,), max_new=1),
    )
    assert body.startswith(f"{DASHBOARD_MARKER}\n# optout-watch dashboard\n")
    assert "Last check: **2026-12-01T03:17:00Z**." in body
    assert "| ChatGPT | ⏳ 1 awaiting confirmation |" in body
    assert "| Meta AI | ❌ 1 error: #12 |" in body
    assert "| WhatsApp | ❌ 1 error: no issue yet (held back); 1 blocked link |" in body
    assert "- #12 Broken link: Meta AI › Objection form (404) (error)" in body
    assert "- Link fails: ChatGPT › objection form (503): seen in 1 of the 2 checks" in body
    assert "blocked in 3 checks in a row; an issue opens at 7" in body
    assert "## Held back by the flood cap" in body
    assert "- Broken link: WhatsApp › objection form (404)" in body
    assert "- `catalogue/x-grok.yaml`" in body
    assert "meta-ai" not in body
    assert "openai-chatgpt" not in body.replace("openai-chatgpt.yaml", "")


def test_the_dashboard_of_a_quiet_night() -> None:
    body = dashboard_body(view(report(links=[link(FORM)])), DashboardIssues())
    assert "| Meta AI | ✅ fine |" in body
    assert "## Confirmed problems" not in body
    assert "## Held back" not in body


def test_the_dashboard_text_depends_on_the_report_only() -> None:
    parsed = dashboard_report()
    state = DashboardIssues(numbers={parsed.findings[0].fingerprint: 12})
    assert dashboard_body(parsed, state) == dashboard_body(dashboard_report(), state)
    assert same_body(
        dashboard_body(parsed, state).replace("\n", "\r\n"), dashboard_body(parsed, state)
    )


def test_create_actions_carry_title_body_and_labels() -> None:
    (action,) = plan(broken_report()).creates
    assert isinstance(action, CreateIssue)
    assert action.title == "Broken link: Meta AI › objection form (404)"
    assert action.body.startswith(f"<!-- optout-watch:fingerprint={action.fingerprint} -->\n")
