"""The fix pull request: one pull request from one branch, kept in step with the catalogue
edits that `optout-watch fix` made from a check's report.

    optout-watch propose --report report.json --branch optout-watch/fixes --diff fixes.diff \\
        [--ci-workflow ci.yml] [--base main] [--repo O/N] [--dry-run]

`--diff` is the catalogue's diff after `optout-watch fix` (`git diff -- catalogue`), which the
workflow has pushed to `--branch`. Like the issue sync, this reads the report and nothing of the
run: a change is described when the report has a confirmed finding whose fix the diff shows
(the old URL or label on a removed line, the new one on an added line).

- a non-empty diff: the open pull request from the branch is given the new title and
  description, or one is opened into `--base` (default `$GITHUB_REF_NAME`, else `main`);
- an empty diff: an open pull request from the branch no longer applies; it is closed with a
  comment saying so.

A pull request opened with the workflow's own token starts no workflow, so its CI would never
run: with `--ci-workflow`, that workflow is dispatched on the branch first (the one event such a
token may start), and the description says so with a link to its runs, or says that it could
not be dispatched and why.

Exit codes: 0 done (or nothing to do), 2 a report, a setting or GitHub failing (a failed
dispatch too, once the description says it). The GitHub calls are those of `GitHubClient`:
list, create and edit pull requests, comment, dispatch a workflow.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO
from urllib.parse import urlencode

import httpx

from optout_watch.alerts.github import GitHubClient, GitHubError
from optout_watch.alerts.issues import TRACKING_LABEL, read_markers
from optout_watch.alerts.sync import read_settings
from optout_watch.errors import ExitCode, UsageError
from optout_watch.fixes.propose import proposed
from optout_watch.kinds import Code
from optout_watch.report.people import finding_title, how_read
from optout_watch.report.plural import plural
from optout_watch.report.read import (
    ReportedFinding,
    ReportedPage,
    ReportView,
    load_report,
)
from optout_watch.report.safe_markdown import code_block, code_span, inline, one_line
from optout_watch.settings import DEFAULTS

MARKER = "<!-- optout-watch:fix-pull-request -->"
#: How many lines of a page's diff show around a renamed label.
PAGE_EXCERPT_LINES = 8
CATALOGUE_DIFF_LIMIT = 12_000
TITLE_LIMIT = 120
#: A workflow's file name under .github/workflows, as the dispatch endpoint takes it.
_WORKFLOW_FILE = re.compile(r"[A-Za-z0-9_.-]+\.ya?ml")


@dataclass(frozen=True, slots=True)
class CiDispatch:
    """What became of CI on the fixes' branch: `workflow` None when none was asked for;
    `error` set when its dispatch failed."""

    workflow: str | None
    branch: str
    runs_url: str = ""
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Change:
    """A confirmed finding of the report whose fix the diff shows."""

    finding: ReportedFinding
    old: str
    new: str
    evidence: str
    page_excerpt: str | None = None


def _changed_lines(diff: str) -> tuple[list[str], list[str]]:
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++"))]
    removed = [line[1:] for line in lines if line.startswith("-")]
    added = [line[1:] for line in lines if line.startswith("+")]
    return removed, added


def changes(report: ReportView, diff: str) -> list[Change]:
    """The report's confirmed moved links and renamed labels that `diff` carries out."""
    removed, added = _changed_lines(diff)

    def shown(old: str, new: str) -> bool:
        return any(old in line for line in removed) and any(new in line for line in added)

    found: list[Change] = []
    for finding in report.findings:
        proposal = proposed(finding, report) if finding.confirmed else None
        if proposal is None or not shown(proposal.old, proposal.new):
            continue
        if finding.code == Code.LINK_MOVED:
            link = report.link(proposal.old)
            found.append(Change(finding, proposal.old, proposal.new, link.reason if link else ""))
        elif (best := proposal.suggestion) is not None:
            page = report.page(finding.url or "")
            evidence = f"score {best.score}, {best.why}, on {finding.url}"
            excerpt = _excerpt(page.diff, (proposal.old, proposal.new)) if page else None
            found.append(Change(finding, proposal.old, proposal.new, evidence, excerpt))
    return found


def proposed_selectors(report: ReportView, diff: str) -> list[ReportedPage]:
    """The report's pages whose proposed `select` the diff writes."""
    _, added = _changed_lines(diff)
    return [
        page
        for page in report.pages
        if page.proposed_watch is not None
        and any("select:" in line and page.proposed_watch.select in line for line in added)
    ]


def _selector_text(page: ReportedPage) -> list[str]:
    """A proposed selector, with the evidence a reviewer weighs it by."""
    proposal = page.proposed_watch
    assert proposal is not None
    share = proposal.kept_chars / proposal.page_chars if proposal.page_chars else 0.0
    lines = [
        f"### Proposed selector: {inline(page.url)}",
        "",
        f"- **select:** {code_span(proposal.select)}",
    ]
    if proposal.remove:
        lines.append(f"- **remove:** {', '.join(code_span(r) for r in proposal.remove)}")
    lines.append(
        f"- **evidence:** the page as the check of this night {inline(how_read(page))} "
        f"(`optout-watch inspect`): it keeps {share:.0%} of the page's text "
        f"({proposal.kept_chars} of {proposal.page_chars} characters) and every expected "
        "label"
        + (f" ({inline(', '.join(label.label for label in page.labels))})" if page.labels else "")
    )
    lines += [f"- left out: {inline(decoy)}" for decoy in proposal.decoys]
    return [*lines, ""]


def _excerpt(diff: str, words: Sequence[str]) -> str | None:
    """The lines of a page's diff around the first line naming one of `words`."""
    lines = [line for line in diff.splitlines() if not line.startswith(("---", "+++", "@@"))]
    hits = [index for index, line in enumerate(lines) if any(word in line for word in words)]
    if not hits:
        return None
    start = max(0, hits[0] - 2)
    return "\n".join(lines[start : start + PAGE_EXCERPT_LINES])


def _ci_text(ci: CiDispatch) -> str:
    branch = code_span(ci.branch)
    if ci.workflow is None:
        return (
            f"**CI has not run on {branch}:** a pull request opened by a workflow's token starts "
            "no workflow. Run CI on the branch before merging."
        )
    workflow = code_span(ci.workflow)
    if ci.error is not None:
        return (
            f"**CI has not run on {branch}:** dispatching {workflow} failed ({inline(ci.error)}). "
            f"Run {workflow} on the branch from the Actions tab before merging."
        )
    return (
        f"**CI:** {workflow} was dispatched on {branch} for this push, as a pull request opened "
        f"by a workflow's token starts no workflow: [its runs on the branch]({ci.runs_url}). "
        "Merge once it passes."
    )


def pull_request_text(
    report: ReportView,
    found: Sequence[Change],
    diff: str,
    issues: Mapping[str, int],
    ci: CiDispatch,
    *,
    selectors: Sequence[ReportedPage] = (),
) -> tuple[str, str]:
    """The title and the description of the fix pull request, for a reviewer."""
    labels = sum(change.finding.code == Code.LABEL_MISSING for change in found)
    links = len(found) - labels
    parts = [plural(labels, "renamed label")] * bool(labels)
    parts += [plural(links, "moved link")] * bool(links)
    parts += [plural(len(selectors), "proposed selector")] * bool(selectors)
    title = one_line("Catalogue fixes: " + (", ".join(parts) or "catalogue edits"), TITLE_LIMIT)
    lines = [
        f"The nightly check of {inline(report.started_at)} confirmed these problems; this pull "
        "request carries the catalogue edits made by `optout-watch fix`. Check each new wording "
        "or address on its page before merging. Every other line of the files is unchanged; "
        "each renamed label is recorded in its link's `watch.renamed`.",
        "",
        _ci_text(ci),
        "",
    ]
    for change in found:
        finding = change.finding
        lines += [
            f"### {inline(finding_title(finding, report))}",
            "",
            f"- **old → new:** {code_span(change.old)} → {code_span(change.new)}",
            f"- **evidence:** {inline(change.evidence)}",
        ]
        number = issues.get(finding.fingerprint)
        if number is not None:
            lines.append(f"- resolves #{number}")
        if change.page_excerpt:
            lines += ["", "The page's diff:", "", code_block(change.page_excerpt, "diff")]
        lines.append("")
    for page in selectors:
        lines += _selector_text(page)
    if not found and not selectors:
        lines += ["No confirmed finding of the report matches these edits.", ""]
    lines += [
        "<details><summary>The catalogue's diff</summary>",
        "",
        code_block(diff, "diff", limit=CATALOGUE_DIFF_LIMIT),
        "",
        "</details>",
        "",
        MARKER,
    ]
    return title, "\n".join(lines) + "\n"


def closing_comment(report: ReportView) -> str:
    return (
        f"The nightly check of {inline(report.started_at)} leaves nothing for `optout-watch fix` "
        "to change: these edits no longer apply (the catalogue was fixed another way, or the "
        "problems healed). Closing; a new pull request opens if a fix is needed again.\n"
    )


def _issue_numbers(client: GitHubClient) -> dict[str, int]:
    """The open findings' issues by fingerprint."""
    numbers: dict[str, int] = {}
    for issue in client.list_issues(TRACKING_LABEL):
        markers = read_markers(issue.body)
        if markers is not None and issue.state == "open":
            numbers[markers.fingerprint] = issue.number
    return numbers


def sync_pull_request(
    report_path: Path,
    diff_path: Path,
    *,
    branch: str,
    base: str | None,
    repo: str | None,
    dry_run: bool,
    environ: Mapping[str, str],
    out: TextIO,
    transport: httpx.BaseTransport | None = None,
    write_interval: float = DEFAULTS.github_write_interval,
    ci_workflow: str | None = None,
) -> int:
    """`ci_workflow`: the workflow to dispatch on `branch` (a file name, `ci.yml`), which the
    caller has just pushed; None to dispatch none."""
    if ci_workflow is not None and not _WORKFLOW_FILE.fullmatch(ci_workflow):
        raise UsageError(
            f"--ci-workflow {one_line(ci_workflow, 100)!r} is not a workflow's file name; "
            "give the name of a file of .github/workflows, such as ci.yml"
        )
    report = load_report(report_path)
    settings = read_settings(environ, repo)
    try:
        diff = diff_path.read_text(encoding="utf-8") if diff_path.exists() else ""
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{diff_path}: cannot read the diff: {error}") from None
    target = base or environ.get("GITHUB_REF_NAME", "").strip() or "main"
    owner = settings.repo.split("/")[0]
    ci = CiDispatch(ci_workflow, branch)
    if ci_workflow is not None:
        runs = f"{settings.server_url}/{settings.repo}/actions/workflows/{ci_workflow}"
        ci = CiDispatch(ci_workflow, branch, f"{runs}?{urlencode({'query': f'branch:{branch}'})}")
    with GitHubClient(
        api_url=settings.api_url,
        token=settings.token,
        repo=settings.repo,
        transport=transport,
        write_interval=write_interval,
    ) as client:
        pulls = client.list_pulls(head=f"{owner}:{branch}")
        if not diff.strip():
            for pull in pulls:
                out.write(f"{'would close' if dry_run else 'closed'} #{pull.number}\n")
                if not dry_run:
                    client.add_comment(pull.number, closing_comment(report))
                    client.edit_pull(pull.number, state="closed")
            if not pulls:
                out.write("nothing to fix and no fix pull request open\n")
            return ExitCode.OK
        if ci.workflow is not None:
            if dry_run:
                out.write(f"would dispatch {ci.workflow} on {branch}\n")
            else:
                ci = _dispatch(client, ci)
        title, body = pull_request_text(report, changes(report, diff), diff,
                                        _issue_numbers(client), ci,
                                        selectors=proposed_selectors(report, diff))  # fmt: skip
        if dry_run:
            out.write(f"{title}\n\n{body}")
        elif pulls:
            pull = pulls[0]
            if (pull.title, pull.body) == (title, body):
                out.write(f"#{pull.number} is up to date\n")
            else:
                client.edit_pull(pull.number, title=title, body=body)
                out.write(f"updated #{pull.number}: {title}\n")
        else:
            pull = client.create_pull(title=title, body=body, head=branch, base=target)
            out.write(f"opened #{pull.number}: {title}\n")
    if ci.error is not None:
        raise GitHubError(
            f"{ci.error}; CI has not run on {branch} (the pull request says so): "
            f"the job needs the actions: write permission, and {ci.workflow} "
            "`on: workflow_dispatch`"
        )
    return ExitCode.OK


def _dispatch(client: GitHubClient, ci: CiDispatch) -> CiDispatch:
    """Start CI on the branch; a failure is kept, for the description to say."""
    assert ci.workflow is not None, "only a workflow asked for is dispatched"
    try:
        client.dispatch_workflow(ci.workflow, ref=ci.branch)
    except GitHubError as error:
        return replace(ci, error=error.message)
    return ci
