"""`optout-watch issues sync`: bring the repository's issues in step with a check report.

The one function with I/O: it reads the report and the settings, lists the issues, carries out
the plan of `plan`, then creates or edits the dashboard, printing a line per action and a
summary. Exit codes (`ExitCode`): 0 synced (and for a dry run), 2 for any usage,
configuration or GitHub failure, with one line on `err` saying what to fix. Never 1: the
issues are not findings.

What it will not do:
- write anything for an outage report (`summary.outage`): it makes no request at all, as its
  findings are mostly the network's failures;
- write anything with `--dry-run`: it lists the issues (that is a read) and prints the plan;
- show the token: it goes into one header, and every message is built without it.

A run that fails halfway leaves what it did: the next run finds its issues by their markers
and carries on from there.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx

from optout_watch.alerts.dashboard import (
    DASHBOARD_LABELS,
    DASHBOARD_TITLE,
    DashboardIssues,
    dashboard_body,
    same_body,
)
from optout_watch.alerts.github import (
    DEFAULT_MAX_WAIT,
    GitHubClient,
    GitHubError,
    GitHubIssue,
)
from optout_watch.alerts.issues import TRACKING_LABEL, RepositoryFiles
from optout_watch.alerts.plan import (
    CreateIssue,
    IssueChange,
    SyncPlan,
    UpdateIssue,
    index_issues,
    plan_lines,
    plan_sync,
)
from optout_watch.errors import ExitCode, UsageError
from optout_watch.report.people import TITLE_LIMIT
from optout_watch.report.read import ReportView, load_report
from optout_watch.report.safe_markdown import one_line
from optout_watch.settings import DEFAULTS

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"

_REPOSITORY = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_HTTP_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9._~%/-]*)?")
# What a token is made of: printable ASCII, no space. Anything else would be refused by the
# HTTP layer, whose error would quote the header, token included.
_TOKEN = re.compile(r"[\x21-\x7e]+")


@dataclass(frozen=True, slots=True)
class GitHubSettings:
    token: str
    repo: str
    api_url: str
    server_url: str

    def __repr__(self) -> str:  # never the token, whatever prints the settings
        return f"Settings(repo={self.repo!r}, api_url={self.api_url!r})"


def read_settings(environ: Mapping[str, str], repo: str | None) -> GitHubSettings:
    token = environ.get("GITHUB_TOKEN", "").strip()
    if not token:
        raise UsageError(
            "GITHUB_TOKEN is not set; give the job a token allowed to write issues "
            "(in a workflow: `env: GITHUB_TOKEN: ${{ github.token }}` and `issues: write`)"
        )
    if not _TOKEN.fullmatch(token):
        raise UsageError("GITHUB_TOKEN holds spaces or characters no token has; check its value")
    name = (repo or environ.get("GITHUB_REPOSITORY", "")).strip()
    if not name:
        raise UsageError("no repository: pass --repo OWNER/NAME or set GITHUB_REPOSITORY")
    if not _REPOSITORY.fullmatch(name) or ".." in name:
        raise UsageError(f"not a repository: {one_line(name, 100)!r}; expected OWNER/NAME")
    return GitHubSettings(
        token=token,
        repo=name,
        api_url=_url_setting(environ, "GITHUB_API_URL", DEFAULT_API_URL),
        server_url=_url_setting(environ, "GITHUB_SERVER_URL", DEFAULT_SERVER_URL),
    )


def _url_setting(environ: Mapping[str, str], name: str, default: str) -> str:
    value = environ.get(name, "").strip() or default
    if not _HTTP_URL.fullmatch(value):
        raise UsageError(f"{name} is not an http(s) URL: {one_line(value, 100)!r}")
    return value.rstrip("/")


@dataclass(slots=True)
class _Tally:
    created: int = 0
    commented: int = 0
    closed: int = 0
    reopened: int = 0
    dashboard: str = "off"

    def summary(self, *, dry_run: bool, held_back: int) -> str:
        counts = (
            f"created {self.created}, commented {self.commented}, closed {self.closed}, "
            f"reopened {self.reopened}"
        )
        if dry_run:
            counts = "dry run, nothing written: would have " + counts
        held = f"; {held_back} held back by the flood cap" if held_back else ""
        return f"{counts}{held}; dashboard {self.dashboard}"


def sync_issues(
    report_path: Path,
    *,
    repo: str | None,
    dry_run: bool,
    max_new: int = DEFAULTS.max_new,
    dashboard: bool = True,
    environ: Mapping[str, str],
    out: TextIO,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
    transport: httpx.BaseTransport | None = None,
    max_wait: float = DEFAULT_MAX_WAIT,
    write_interval: float = DEFAULTS.github_write_interval,
) -> int:
    """Sync the issues of `repo` (else `GITHUB_REPOSITORY`) with the report at `report_path`;
    the exit code. `sleep` and `clock` (epoch seconds) serve the rate limits and the pause of
    `write_interval` seconds between writes; `max_wait` bounds the total wait on rate limits."""
    report = load_report(report_path)
    settings = read_settings(environ, repo)
    if report.outage:
        out.write(
            "an outage report (most URLs failed at the network level): "
            "the issues are left as they are\n"
        )
        return ExitCode.OK
    tally = _Tally(dashboard="not synced" if dashboard else "off")
    with GitHubClient(
        api_url=settings.api_url,
        token=settings.token,
        repo=settings.repo,
        transport=transport,
        sleep=sleep,
        clock=clock,
        max_wait=max_wait,
        write_interval=write_interval,
    ) as client:
        try:
            index = index_issues(client.list_issues(TRACKING_LABEL))
            repository = RepositoryFiles(settings.server_url, settings.repo)
            plan = plan_sync(report, index, max_new=max_new, repository=repository)
            if dry_run:
                _dry_run(
                    plan,
                    report=report,
                    existing=index.dashboard,
                    dashboard=dashboard,
                    max_new=max_new,
                    out=out,
                    tally=tally,
                )
            else:
                numbers = _carry_out(plan, client, out, tally)
                if dashboard:
                    state = DashboardIssues(numbers, plan.held_back, plan.muted, max_new)
                    _sync_dashboard(client, index.dashboard, dashboard_body(report, state), tally)
        except GitHubError as error:
            # Said after the error: what the run did before it stopped (the next run goes on).
            stopped = f"stopped after: {tally.summary(dry_run=dry_run, held_back=0)}"
            raise GitHubError(f"{error.message}\noptout-watch: {stopped}") from None
    out.write(tally.summary(dry_run=dry_run, held_back=len(plan.held_back)) + "\n")
    return ExitCode.OK


def _dry_run(
    plan: SyncPlan,
    *,
    report: ReportView,
    existing: GitHubIssue | None,
    dashboard: bool,
    max_new: int,
    out: TextIO,
    tally: _Tally,
) -> None:
    for line in plan_lines(plan, report, max_new=max_new):
        out.write(line + "\n")
    tally.created = len(plan.creates)
    tally.commented = len(plan.updates(IssueChange.EVIDENCE))
    tally.reopened = len(plan.updates(IssueChange.REOPEN))
    tally.closed = len(plan.updates(IssueChange.RESOLVED)) + len(plan.updates(IssueChange.REMOVED))
    if dashboard:
        state = DashboardIssues(plan.open_issues, plan.held_back, plan.muted, max_new)
        body = dashboard_body(report, state)
        if existing is None:
            tally.dashboard = "create"
        elif plan.creates or not same_body(existing.body, body):
            tally.dashboard = "update"
        else:
            tally.dashboard = "unchanged"
        out.write(f"dashboard: {tally.dashboard}\n")


def _carry_out(plan: SyncPlan, client: GitHubClient, out: TextIO, tally: _Tally) -> dict[str, int]:
    """Each action in turn; the issue numbers of every open problem afterwards."""
    numbers = dict(plan.open_issues)
    for action in plan.actions:
        if isinstance(action, CreateIssue):
            issue = client.create_issue(title=action.title, body=action.body, labels=action.labels)
            numbers[action.fingerprint] = issue.number
            tally.created += 1
            out.write(f"created #{issue.number}: {action.title}\n")
        else:
            _update(action, client)
            title = one_line(action.title, TITLE_LIMIT)
            if action.change is IssueChange.EVIDENCE:
                tally.commented += 1
                out.write(f"commented on #{action.number}: {title} ({action.change})\n")
            elif action.change is IssueChange.REOPEN:
                tally.reopened += 1
                out.write(f"reopened #{action.number}: {title} ({action.change})\n")
            else:
                tally.closed += 1
                out.write(f"closed #{action.number}: {title} ({action.change})\n")
    return numbers


def _update(action: UpdateIssue, client: GitHubClient) -> None:
    def edit() -> None:
        fields = action.edit
        client.edit_issue(
            action.number,
            title=fields.title,
            body=fields.body,
            state=fields.state,
            state_reason=fields.state_reason,
        )

    if action.edit_first:
        edit()
        client.add_comment(action.number, action.comment)
    else:
        client.add_comment(action.number, action.comment)
        edit()


def _sync_dashboard(
    client: GitHubClient, existing: GitHubIssue | None, body: str, tally: _Tally
) -> None:
    """Create the dashboard, or edit it in place when its text changed; a closed one is
    reopened when it changes, as a dashboard is read open."""
    if existing is None:
        client.create_issue(title=DASHBOARD_TITLE, body=body, labels=DASHBOARD_LABELS)
        tally.dashboard = "created"
    elif same_body(existing.body, body):
        tally.dashboard = "unchanged"
    else:
        state = "open" if existing.state != "open" else None
        client.edit_issue(existing.number, body=body, state=state)
        tally.dashboard = "updated"
