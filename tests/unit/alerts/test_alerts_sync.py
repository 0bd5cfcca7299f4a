"""`optout-watch issues sync` against a fake GitHub over real HTTP: what it creates, comments,
closes and reopens, what it leaves alone, how it waits out rate limits, how it fails, and that
the token never shows. Every assertion on writes reads the server's request log."""

from __future__ import annotations

import io
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from optout_watch.alerts.github import AuthError, GitHubClient, GitHubError, NotFoundError
from optout_watch.alerts.issues import read_markers
from optout_watch.alerts.sync import sync_issues
from optout_watch.cli import main
from optout_watch.errors import OptoutWatchError
from optout_watch.report.safe_markdown import WORD_JOINER
from tests.support.alerts_reports import (
    FORM,
    LABEL,
    failing_link,
    link,
    page,
    report,
    two_problems,
    write_report,
)
from tests.support.fake_github import REPO, TOKEN, FakeGitHub, Fault, LoggedRequest

# Distinctive, so that any leak shows up in a plain substring search.
NOW = 1_800_000_000.0


@dataclass
class Run:
    code: int
    out: str
    err: str
    sleeps: list[float] = field(default_factory=list)


def sync(
    github: FakeGitHub,
    tmp_path: Path,
    data: dict[str, Any],
    *,
    dry_run: bool = False,
    max_new: int = 10,
    dashboard: bool = True,
    repo: str | None = None,
    environ: dict[str, str] | None = None,
    max_wait: float = 300.0,
) -> Run:
    """One run of the sync, as the CLI makes it; the token must show in none of its output."""
    path = write_report(tmp_path / "report.json", data)
    out, err = io.StringIO(), io.StringIO()
    sleeps: list[float] = []
    env = {"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.url}
    env.update(environ or {})
    try:
        code = sync_issues(
            path,
            repo=repo,
            dry_run=dry_run,
            max_new=max_new,
            dashboard=dashboard,
            environ={key: value for key, value in env.items() if value is not None},
            out=out,
            sleep=sleeps.append,
            clock=lambda: NOW,
            max_wait=max_wait,
            write_interval=0,
        )
    except OptoutWatchError as error:  # as `main` says it
        err.write(f"optout-watch: {error}\n")
        code = error.exit_code
    run = Run(code, out.getvalue(), err.getvalue(), sleeps)
    assert TOKEN not in run.out + run.err
    return run


def writes_since(github: FakeGitHub, start: int) -> list[LoggedRequest]:
    return [request for request in github.requests[start:] if request.is_write]


def issue_titled(github: FakeGitHub, prefix: str) -> Any:
    (issue,) = [issue for issue in github.issues.values() if issue.title.startswith(prefix)]
    return issue


# --- the lifecycle --------------------------------------------------------------------------


def test_the_first_run_opens_one_issue_per_confirmed_problem(
    github: FakeGitHub, tmp_path: Path
) -> None:
    run = sync(github, tmp_path, two_problems())
    assert run.code == 0, run.err
    titles = sorted(issue.title for issue in github.ours())
    assert titles == [
        "Broken link: Meta AI › objection form (404)",
        f"Label gone: ChatGPT › « {LABEL} »",
        "optout-watch dashboard",
    ]
    broken = issue_titled(github, "Broken link")
    assert broken.labels == ["optout-watch", "broken-link"]
    assert broken.state == "open"
    assert issue_titled(github, "Label gone").labels == ["optout-watch", "label-gone"]
    assert run.out.splitlines()[-1] == (
        "created 2, commented 0, closed 0, reopened 0; dashboard created"
    )
    listing = github.requests[0]
    assert (listing.method, listing.path) == ("GET", f"/repos/{REPO}/issues")
    assert listing.query == {"state": "all", "labels": "optout-watch", "per_page": "100"}
    headers = {key.lower(): value for key, value in listing.headers.items()}
    assert headers["authorization"] == f"Bearer {TOKEN}"
    assert headers["accept"] == "application/vnd.github+json"
    assert headers["x-github-api-version"] == "2022-11-28"
    assert headers["user-agent"].startswith("optout-watch/")


def test_a_second_run_on_the_same_report_writes_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    sync(github, tmp_path, two_problems())
    start = len(github.requests)
    run = sync(github, tmp_path, two_problems())
    assert run.code == 0
    assert writes_since(github, start) == []
    assert run.out.splitlines()[-1] == (
        "created 0, commented 0, closed 0, reopened 0; dashboard unchanged"
    )


def test_changed_evidence_gets_one_comment_then_quiet(github: FakeGitHub, tmp_path: Path) -> None:
    sync(github, tmp_path, two_problems())
    broken = issue_titled(github, "Broken link")
    changed = two_problems()
    changed["links"][0].update(status=410, reason="HTTP 410 Gone")
    start = len(github.requests)
    run = sync(github, tmp_path, changed, dashboard=False)
    assert f"commented on #{broken.number}" in run.out
    assert [(r.method, r.path) for r in writes_since(github, start)] == [
        ("POST", f"/repos/{REPO}/issues/{broken.number}/comments"),
        ("PATCH", f"/repos/{REPO}/issues/{broken.number}"),
    ]
    assert len(broken.comments) == 1
    assert "HTTP 410 Gone" in broken.comments[0]
    assert broken.title == "Broken link: Meta AI › objection form (410)"
    start = len(github.requests)
    sync(github, tmp_path, changed, dashboard=False)
    assert writes_since(github, start) == []


def test_a_healed_problem_is_commented_then_closed(github: FakeGitHub, tmp_path: Path) -> None:
    sync(github, tmp_path, two_problems())
    broken = issue_titled(github, "Broken link")
    healed = two_problems()
    healed["findings"].pop(0)
    healed["links"][0] = link(FORM)
    start = len(github.requests)
    run = sync(github, tmp_path, healed, dashboard=False)
    assert run.code == 0
    assert [(r.method, r.path, r.body) for r in writes_since(github, start)] == [
        ("POST", f"/repos/{REPO}/issues/{broken.number}/comments", {"body": broken.comments[0]}),
        (
            "PATCH",
            f"/repos/{REPO}/issues/{broken.number}",
            {"state": "closed", "state_reason": "completed"},
        ),
    ]
    assert broken.comments[0].startswith("Resolved: ")
    assert (broken.state, broken.state_reason) == ("closed", "completed")
    assert issue_titled(github, "Label gone").state == "open"


def test_a_problem_back_reopens_its_issue(github: FakeGitHub, tmp_path: Path) -> None:
    sync(github, tmp_path, two_problems())
    broken = issue_titled(github, "Broken link")
    healed = two_problems()
    healed["findings"].pop(0)
    healed["links"][0] = link(FORM)
    sync(github, tmp_path, healed)
    count = len(github.issues)
    run = sync(github, tmp_path, two_problems())
    assert f"reopened #{broken.number}" in run.out
    assert len(github.issues) == count
    assert broken.state == "open"
    assert broken.comments[-1].startswith("The problem is back")
    assert run.out.splitlines()[-1].startswith("created 0, commented 0, closed 0, reopened 1;")


def test_a_url_removed_from_the_catalogue_closes_its_issue(
    github: FakeGitHub, tmp_path: Path
) -> None:
    sync(github, tmp_path, two_problems())
    broken = issue_titled(github, "Broken link")
    removed = two_problems()
    removed["findings"].pop(0)
    removed["links"].pop(0)
    run = sync(github, tmp_path, removed)
    assert f"closed #{broken.number}" in run.out
    assert broken.state == "closed"
    assert "no longer in the catalogue" in broken.comments[-1]


def test_an_unchecked_url_changes_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    sync(github, tmp_path, two_problems(), dashboard=False)
    unchecked = two_problems()
    unchecked["findings"] = []
    unchecked["links"].pop(0)
    unchecked["pages"] = [page(FORM, checked=False, error="timeout"), *unchecked["pages"]]
    unchecked["pages"][1]["checked"] = False
    start = len(github.requests)
    sync(github, tmp_path, unchecked, dashboard=False)
    assert writes_since(github, start) == []


def test_an_outage_report_makes_no_request_at_all(github: FakeGitHub, tmp_path: Path) -> None:
    outage = two_problems()
    outage["summary"]["outage"] = True
    run = sync(github, tmp_path, outage)
    assert run.code == 0
    assert github.requests == []
    assert "outage" in run.out


def test_issues_beyond_the_first_page_are_found_and_others_untouched(
    github: FakeGitHub, tmp_path: Path
) -> None:
    sync(github, tmp_path, two_problems())
    ours = {issue.number for issue in github.ours()}
    # 150 newer issues: some labelled optout-watch by other tools (one quoting a marker in its
    # middle), some pull requests; the list is newest first, so ours are on page 2.
    for number in range(150):
        if number % 3 == 0:
            body = f"Another tool.\n<!-- optout-watch:fingerprint={number:016x} -->"
            github.add_issue(f"Other tool {number}", body, labels=["optout-watch"])
        elif number % 3 == 1:
            github.add_issue(f"PR {number}", "", labels=["optout-watch"], pull_request=True)
        else:
            github.add_issue(f"Bug {number}", "@someone", labels=["bug"])
    healed = two_problems()
    healed["findings"].pop(0)
    healed["links"][0] = link(FORM)
    start = len(github.requests)
    run = sync(github, tmp_path, healed)
    assert run.code == 0
    pages = [r.query.get("page") for r in github.requests[start:] if r.method == "GET"]
    assert pages == [None, "2"]
    touched = {int(r.path.split("/")[5]) for r in writes_since(github, start)}
    assert touched <= ours
    assert issue_titled(github, "Broken link").state == "closed"
    assert len([i for i in github.ours() if i.title == "optout-watch dashboard"]) == 1
    assert sum(issue.title.startswith("Broken link") for issue in github.issues.values()) == 1


# --- the flood cap and the dashboard --------------------------------------------------------


def twelve_problems() -> dict[str, Any]:
    pairs = [failing_link(f"https://x.example/{n:02}", entry=f"link-{n:02}") for n in range(12)]
    return report(findings=[f for _, f in pairs], links=[entry for entry, _ in pairs])


def dashboard_of(github: FakeGitHub) -> Any:
    (dashboard,) = [i for i in github.issues.values() if i.title == "optout-watch dashboard"]
    return dashboard


def test_the_flood_cap_holds_back_the_rest_until_the_next_run(
    github: FakeGitHub, tmp_path: Path
) -> None:
    run = sync(github, tmp_path, twelve_problems(), max_new=10)
    assert run.out.splitlines()[-1] == (
        "created 10, commented 0, closed 0, reopened 0; 2 held back by the flood cap; "
        "dashboard created"
    )
    assert len([i for i in github.ours() if i.title.startswith("Broken link")]) == 10
    body = dashboard_of(github).body
    held = body.split("## Held back by the flood cap", 1)[1]
    assert "- Broken link: Meta AI › link 10 (404)" in held
    assert "- Broken link: Meta AI › link 11 (404)" in held
    run = sync(github, tmp_path, twelve_problems(), max_new=10)
    assert run.out.splitlines()[-1].startswith("created 2, ")
    assert len([i for i in github.ours() if i.title.startswith("Broken link")]) == 12
    assert "Held back" not in dashboard_of(github).body


def test_the_dashboard_is_edited_in_place_never_duplicated(
    github: FakeGitHub, tmp_path: Path
) -> None:
    for night in range(3):
        data = two_problems()
        data["started_at"] = f"2026-12-0{night + 1}T03:17:00Z"
        sync(github, tmp_path, data)
    dashboard = dashboard_of(github)
    assert dashboard.labels == ["optout-watch"]
    assert "Last check: **2026-12-03T03:17:00Z**." in dashboard.body
    edits = [r for r in github.writes if r.path == f"/repos/{REPO}/issues/{dashboard.number}"]
    assert [r.body.keys() for r in edits] == [{"body"}, {"body"}]
    broken = issue_titled(github, "Broken link")
    assert f"- #{broken.number} Broken link: Meta AI › objection form (404) (error)" in (
        dashboard.body
    )
    assert "Link fails: Meta AI › objection form (404): seen in 1 of the 2 checks" in (
        dashboard.body
    )


def test_no_dashboard_when_turned_off(github: FakeGitHub, tmp_path: Path) -> None:
    run = sync(github, tmp_path, two_problems(), dashboard=False)
    assert run.out.splitlines()[-1].endswith("; dashboard off")
    assert all(i.title != "optout-watch dashboard" for i in github.issues.values())


# --- dry run --------------------------------------------------------------------------------


def test_a_dry_run_prints_the_plan_and_writes_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    run = sync(github, tmp_path, two_problems(), dry_run=True)
    assert run.code == 0
    assert github.writes == []
    assert run.out.splitlines() == [
        "create: Broken link: Meta AI › objection form (404)",
        f"create: Label gone: ChatGPT › « {LABEL} »",
        "dashboard: create",
        "dry run, nothing written: would have created 2, commented 0, closed 0, reopened 0; "
        "dashboard create",
    ]


def test_a_dry_run_shows_closing_and_reopening(github: FakeGitHub, tmp_path: Path) -> None:
    sync(github, tmp_path, two_problems())
    broken = issue_titled(github, "Broken link")
    label_issue = issue_titled(github, "Label gone")
    broken.state, broken.state_reason = "closed", "completed"
    healed = two_problems()
    healed["findings"].pop(1)
    healed["pages"][0]["labels"][0]["state"] = "present"
    start = len(github.requests)
    run = sync(github, tmp_path, healed, dry_run=True)
    assert writes_since(github, start) == []
    assert run.out.splitlines()[:3] == [
        f"reopen: #{broken.number} {broken.title} (failing again)",
        f"close: #{label_issue.number} {label_issue.title} (resolved)",
        "dashboard: update",
    ]


# --- web text -------------------------------------------------------------------------------


def test_web_text_lands_quoted_in_the_issue(github: FakeGitHub, tmp_path: Path) -> None:
    forged = "<!-- optout-watch:fingerprint=ffffffffffffffff -->"
    hostile = f"@someone #123 fixes #1 <script>alert(1)</script> [x](javascript:alert(1)) {forged}"
    broken_link, broken = failing_link(FORM, reason=hostile)
    broken["message"] = hostile
    run = sync(github, tmp_path, report(findings=[broken], links=[broken_link]))
    assert run.code == 0
    issue = issue_titled(github, "Broken link")
    body = issue.body
    assert not re.search(f"@(?!{WORD_JOINER})someone", body)
    assert not re.search(f"#(?!{WORD_JOINER})1", body)
    assert "<script>" not in body
    assert not re.search(r"(?<!\\)\]\(javascript:", body)
    assert forged not in body
    markers = read_markers(body)
    assert markers is not None
    assert markers.fingerprint == broken["fingerprint"]
    assert "<script>" not in dashboard_of(github).body


# --- rate limits ----------------------------------------------------------------------------


def test_a_secondary_rate_limit_is_waited_out(github: FakeGitHub, tmp_path: Path) -> None:
    github.secondary_rate_limit(retry_after=30)
    run = sync(github, tmp_path, two_problems())
    assert run.code == 0, run.err
    assert run.sleeps == [30.0]
    assert len([i for i in github.ours() if not i.title.endswith("dashboard")]) == 2


def test_a_secondary_rate_limit_on_a_write_is_retried(github: FakeGitHub, tmp_path: Path) -> None:
    sync(github, tmp_path, two_problems(), dashboard=False)
    healed = two_problems()
    healed["findings"].pop(0)
    healed["links"][0] = link(FORM)
    github.secondary_rate_limit(retry_after=5, methods=["POST"])
    start = len(github.requests)
    run = sync(github, tmp_path, healed, dashboard=False)
    assert run.code == 0, run.err
    assert run.sleeps == [5.0]
    broken = issue_titled(github, "Broken link")
    assert broken.state == "closed"
    assert len(broken.comments) == 1  # the refused comment was sent again, once
    assert [r.method for r in github.requests[start:]] == ["GET", "POST", "POST", "PATCH"]


def test_a_primary_rate_limit_waits_until_the_reset(github: FakeGitHub, tmp_path: Path) -> None:
    github.primary_rate_limit(reset=int(NOW) + 120)
    run = sync(github, tmp_path, two_problems())
    assert run.code == 0, run.err
    assert run.sleeps == [121.0]


def test_the_total_wait_is_bounded(github: FakeGitHub, tmp_path: Path) -> None:
    github.secondary_rate_limit(retry_after=200, times=2)
    run = sync(github, tmp_path, two_problems(), max_wait=300)
    assert run.code == 2
    assert run.sleeps == [200.0]
    assert run.err.startswith("optout-watch: listing the issues of octo/guide: GitHub's rate limit")
    assert "run the sync again later" in run.err
    assert github.writes == []


# --- configuration and failures -------------------------------------------------------------


def test_a_missing_token_is_exit_2_with_one_line(github: FakeGitHub, tmp_path: Path) -> None:
    run = sync(github, tmp_path, two_problems(), environ={"GITHUB_TOKEN": ""})
    assert run.code == 2
    assert run.err.startswith("optout-watch: GITHUB_TOKEN is not set; ")
    assert run.err.count("\n") == 1
    assert github.requests == []


def test_a_dry_run_needs_the_token_too(github: FakeGitHub, tmp_path: Path) -> None:
    run = sync(github, tmp_path, two_problems(), dry_run=True, environ={"GITHUB_TOKEN": ""})
    assert run.code == 2


def test_a_missing_repository_is_exit_2(github: FakeGitHub, tmp_path: Path) -> None:
    run = sync(github, tmp_path, two_problems(), environ={"GITHUB_REPOSITORY": ""})
    assert run.code == 2
    assert run.err == (
        "optout-watch: no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY\n"
    )


def test_a_malformed_repository_is_exit_2(github: FakeGitHub, tmp_path: Path) -> None:
    run = sync(github, tmp_path, two_problems(), repo="../etc/passwd")
    assert run.code == 2
    assert "expected OWNER/NAME" in run.err


def test_a_refused_token_is_exit_2(github: FakeGitHub, tmp_path: Path) -> None:
    github.token = "another-token"
    run = sync(github, tmp_path, two_problems())
    assert run.code == 2
    assert run.err.startswith("optout-watch: the token was refused (401): Bad credentials")
    assert github.writes == []


def test_an_unknown_repository_is_exit_2(github: FakeGitHub, tmp_path: Path) -> None:
    run = sync(github, tmp_path, two_problems(), repo="octo/missing")
    assert run.code == 2
    assert "the repository octo/missing does not exist or the token has no access to it" in (
        run.err
    )


def test_a_forbidden_write_is_exit_2_and_says_which_permission(
    github: FakeGitHub, tmp_path: Path
) -> None:
    refused = {"message": "Resource not accessible by integration"}
    github.fail_next(Fault(403, {}, refused, frozenset({"POST"})))
    run = sync(github, tmp_path, two_problems())
    assert run.code == 2
    assert "creating an issue in octo/guide: forbidden (403): Resource not accessible" in run.err
    assert "issues: write" in run.err
    assert run.err.splitlines()[-1] == (
        "optout-watch: stopped after: created 0, commented 0, closed 0, reopened 0; "
        "dashboard not synced"
    )


def test_a_server_echoing_the_token_is_redacted(github: FakeGitHub, tmp_path: Path) -> None:
    github.fail_next(Fault(500, {}, {"message": f"boom, your token is {TOKEN}"}))
    run = sync(github, tmp_path, two_problems())
    assert run.code == 2
    assert "boom, your token is [token]" in run.err


def test_the_token_shows_in_no_exception(github: FakeGitHub) -> None:
    errors: list[GitHubError] = []
    for api_url, repo in [
        (github.url, "octo/missing"),  # 404
        ("http://127.0.0.1:9", REPO),  # nothing listens there
    ]:
        with GitHubClient(api_url=api_url, token=TOKEN, repo=repo) as client:
            with pytest.raises(GitHubError) as caught:
                client.list_issues("optout-watch")
            errors.append(caught.value)
    github.token = "another-token"
    with GitHubClient(api_url=github.url, token=TOKEN, repo=REPO) as client:
        with pytest.raises(AuthError) as refused:
            client.list_issues("optout-watch")
        errors.append(refused.value)
    assert isinstance(errors[0], NotFoundError)
    for error in errors:
        text = "".join(traceback.format_exception(error))
        assert TOKEN not in text
        assert TOKEN not in repr(error)


def test_an_enterprise_api_path_is_kept(github: FakeGitHub, tmp_path: Path) -> None:
    assert github.url.endswith("/api/v3")
    run = sync(github, tmp_path, two_problems())
    # The fake answers 404 outside its prefix and logs paths without it: every request went
    # under /api/v3.
    assert run.code == 0
    assert all(r.path.startswith(f"/repos/{REPO}/issues") for r in github.requests)


def test_the_public_api_without_a_path(tmp_path: Path) -> None:
    with FakeGitHub(token=TOKEN, repo=REPO) as server:
        run = sync(server, tmp_path, two_problems())
        assert run.code == 0
        assert len(server.ours()) == 3


def test_an_unreadable_report_is_exit_2(github: FakeGitHub, tmp_path: Path) -> None:
    with pytest.raises(OptoutWatchError) as raised:
        sync_issues(
            tmp_path / "missing.json",
            repo=None,
            dry_run=False,
            max_new=10,
            dashboard=True,
            environ={
                "GITHUB_TOKEN": TOKEN,
                "GITHUB_REPOSITORY": REPO,
                "GITHUB_API_URL": github.url,
            },
            out=io.StringIO(),
        )
    assert raised.value.exit_code == 2
    assert str(raised.value).startswith(f"{tmp_path / 'missing.json'}: cannot read")
    assert github.requests == []


def test_a_negative_flood_cap_is_exit_2(
    github: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_report(tmp_path / "report.json", two_problems())
    assert main(["issues", "sync", "--report", str(path), "--max-new", "-1"]) == 2
    assert "--max-new: expected a whole number of at least 0, got '-1'" in capsys.readouterr().err
    assert github.requests == []


def test_writes_are_spaced_by_the_write_interval(github: FakeGitHub) -> None:
    sleeps: list[float] = []
    # The clock is read before each write but the first, and after each write.
    times = iter([100.0, 100.25, 101.5, 101.5, 102.5])
    with GitHubClient(
        api_url=github.url,
        token=TOKEN,
        repo=REPO,
        sleep=sleeps.append,
        clock=lambda: next(times),
        write_interval=1.0,
    ) as client:
        client.list_issues("optout-watch")  # reads are never spaced
        first = client.create_issue(title="one", body="", labels=("optout-watch",))  # at 100.0
        client.add_comment(first.number, "two")  # asked at 100.25: waits 0.75, sent at 101.5
        client.edit_issue(first.number, state="closed")  # asked at 101.5: waits 1.0
    assert sleeps == [0.75, 1.0]
    assert [r.method for r in github.requests] == ["GET", "POST", "POST", "PATCH"]
