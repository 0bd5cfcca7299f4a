"""The fix pull request against a fake GitHub over real HTTP: opened once, updated in place,
closed with a comment when nothing is left to fix; its description names each change with its
evidence and the issue it resolves."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from optout_watch.alerts.issues import IssueSubject, render_markers
from optout_watch.alerts.pull_request import MARKER, changes, sync_pull_request
from optout_watch.cli import main
from optout_watch.errors import OptoutWatchError
from tests.support.alerts_reports import (
    failing_link,
    finding,
    label,
    page,
    report,
    view,
    write_report,
)
from tests.support.fake_github import REPO, TOKEN, FakeGitHub

BRANCH = "optout-watch/fixes"
HELP = "https://help.openai.com/en/articles/7730893-data-controls-faq"
OLD = "Improve the model for everyone"
NEW = "Improve the model for all users"
MOVED = "https://privacy.anthropic.com/en/articles/12109829-settings"
MOVED_TO = "https://support.claude.com/en/articles/12109829-settings"
PAGE_DIFF = f"--- before\n+++ after\n@@ -1,3 +1,3 @@\n Data Controls\n-{OLD}\n+{NEW}\n More\n"
CATALOGUE_DIFF = f"""\
--- a/catalogue/openai-chatgpt.yaml
+++ b/catalogue/openai-chatgpt.yaml
@@ -53,4 +53,4 @@
-      expect: ["Data Controls", "{OLD}"]
+      expect: ["Data Controls", "{NEW}"]
--- a/catalogue/meta-ai.yaml
+++ b/catalogue/meta-ai.yaml
@@ -1,1 +1,1 @@
-    url: {MOVED}
+    url: {MOVED_TO}
"""
LABEL_ONLY = CATALOGUE_DIFF.split("--- a/catalogue/meta", maxsplit=1)[0]


def report_data() -> dict[str, Any]:
    entry = label(OLD, "missing", suggestions=[(NEW, 0.912)])
    reported = page(HELP, ("openai-chatgpt",), labels=[entry], changed=True, diff=PAGE_DIFF)
    gone = finding("label-missing", platform="openai-chatgpt", url=HELP, label=OLD)
    link_entry, link_found = failing_link(MOVED, "link-moved", status=200, new_url=MOVED_TO)
    unconfirmed = finding(
        "label-missing", platform="openai-chatgpt", url=HELP, label="Data Controls", streak=1
    )
    return report(findings=[gone, link_found, unconfirmed], links=[link_entry], pages=[reported])


def run(
    github: FakeGitHub,
    tmp_path: Path,
    diff: str,
    *,
    dry_run: bool = False,
    ci_workflow: str | None = None,
) -> tuple[int, str]:
    report_path = write_report(tmp_path / "report.json", report_data())
    diff_path = tmp_path / "fixes.diff"
    diff_path.write_text(diff, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    try:
        code = sync_pull_request(
            report_path, diff_path, branch=BRANCH, base=None, repo=None, dry_run=dry_run,
            environ={"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.url,
                     "GITHUB_REF_NAME": "main"},
            out=out, write_interval=0, ci_workflow=ci_workflow,
        )  # fmt: skip
    except OptoutWatchError as error:  # as `main` says it
        err.write(f"optout-watch: {error}\n")
        code = error.exit_code
    assert TOKEN not in out.getvalue() + err.getvalue()
    return code, out.getvalue() + err.getvalue()


def test_the_changes_are_the_confirmed_fixes_the_diff_shows() -> None:
    found = changes(view(report_data()), CATALOGUE_DIFF)
    assert [(c.finding.code, c.old, c.new) for c in found] == [
        ("label-missing", OLD, NEW),
        ("link-moved", MOVED, MOVED_TO),
    ]
    assert changes(view(report_data()), LABEL_ONLY)[1:] == []


def test_a_pull_request_is_opened_once_then_updated(github: FakeGitHub, tmp_path: Path) -> None:
    gone = finding("label-missing", platform="openai-chatgpt", url=HELP, label=OLD)
    subject = IssueSubject("label-missing", gone["file"], HELP, OLD)
    markers = render_markers(gone["fingerprint"], "0" * 16, subject)
    issue = github.add_issue("Label gone", markers + "\nbody\n", labels=["optout-watch"])
    code, out = run(github, tmp_path, CATALOGUE_DIFF)
    assert code == 0, out
    (pull,) = github.pulls()
    assert (pull.head, pull.base, pull.state) == (BRANCH, "main", "open")
    assert pull.title == "Catalogue fixes: 1 renamed label, 1 moved link"
    body = pull.body or ""
    assert f"`{OLD}` → `{NEW}`" in body
    assert "score 0.912, replaced the label's line" in body
    assert f"- resolves #{issue.number}" in body
    assert f"-{OLD}\n+{NEW}" in body  # the page's diff
    assert f"`{MOVED}` → `{MOVED_TO}`" in body
    assert "Data Controls”" not in body.split("### ")[0]  # the unconfirmed finding is not listed
    assert body.rstrip().endswith(MARKER)
    # Same diff: nothing written; another diff: the one pull request is edited in place.
    writes = len(github.writes)
    code, out = run(github, tmp_path, CATALOGUE_DIFF)
    assert "up to date" in out
    assert len(github.writes) == writes
    code, out = run(github, tmp_path, LABEL_ONLY)
    assert code == 0
    assert len(github.pulls()) == 1
    assert github.pulls()[0].title == "Catalogue fixes: 1 renamed label"
    assert [w.method for w in github.writes[writes:]] == ["PATCH"]


def test_no_change_closes_the_open_pull_request_with_a_comment(
    github: FakeGitHub, tmp_path: Path
) -> None:
    pull = github.add_pull("Catalogue fixes: 1 moved link", head=BRANCH)
    other = github.add_pull("Someone's work", head="feature")
    code, out = run(github, tmp_path, "")
    assert code == 0
    assert pull.state == "closed"
    assert "no longer apply" in pull.comments[0]
    assert other.state == "open"
    assert f"closed #{pull.number}" in out
    writes = len(github.writes)
    code, out = run(github, tmp_path, "")
    assert "no fix pull request open" in out
    assert len(github.writes) == writes


def test_a_dry_run_writes_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    code, out = run(github, tmp_path, CATALOGUE_DIFF, dry_run=True)
    assert code == 0
    assert out.startswith("Catalogue fixes: 1 renamed label, 1 moved link\n")
    assert github.writes == []


def test_a_refused_token_exits_2_without_showing_it(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_report(tmp_path / "report.json", report_data())
    (tmp_path / "fixes.diff").write_text(CATALOGUE_DIFF, encoding="utf-8")
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_wrong")
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_API_URL", github.url)
    args = [
        "propose",
        "--report",
        str(tmp_path / "report.json"),
        "--diff",
        str(tmp_path / "fixes.diff"),
    ]
    assert main(args) == 2
    assert "401" in capsys.readouterr().err
    assert github.writes == []


# --- CI on the fixes' branch -------------------------------------------------------------

RUNS = "https://github.com/octo/guide/actions/workflows/ci.yml?query=branch%3Aoptout-watch%2Ffixes"


def test_ci_is_dispatched_on_the_branch_and_the_description_links_its_runs(
    github: FakeGitHub, tmp_path: Path
) -> None:
    code, out = run(github, tmp_path, CATALOGUE_DIFF, ci_workflow="ci.yml")
    assert code == 0, out
    assert github.dispatches == [("ci.yml", BRANCH)]
    writes = [(w.method, w.path) for w in github.writes]
    assert writes == [
        ("POST", f"/repos/{REPO}/actions/workflows/ci.yml/dispatches"),
        ("POST", f"/repos/{REPO}/pulls"),
    ]
    assert github.writes[0].body == {"ref": BRANCH}
    body = github.pulls()[0].body or ""
    assert (
        f"**CI:** `ci.yml` was dispatched on `{BRANCH}` for this push, as a pull request opened "
        f"by a workflow's token starts no workflow: [its runs on the branch]({RUNS})."
    ) in body
    # The next night pushes the branch again: CI runs again, the description stays as it is.
    code, out = run(github, tmp_path, CATALOGUE_DIFF, ci_workflow="ci.yml")
    assert code == 0, out
    assert "up to date" in out
    assert github.dispatches == [("ci.yml", BRANCH)] * 2


def test_a_failed_dispatch_is_said_in_the_description_and_exits_2(
    github: FakeGitHub, tmp_path: Path
) -> None:
    github.dispatchable = set()  # ci.yml without `on: workflow_dispatch`: GitHub answers 404
    code, out = run(github, tmp_path, CATALOGUE_DIFF, ci_workflow="ci.yml")
    assert code == 2
    (pull,) = github.pulls()
    body = pull.body or ""
    assert f"**CI has not run on `{BRANCH}`:** dispatching `ci.yml` failed (" in body
    assert "(404)" in body
    assert "Run `ci.yml` on the branch from the Actions tab before merging." in body
    assert RUNS not in body
    assert f"CI has not run on {BRANCH} (the pull request says so)" in out
    assert "actions: write" in out
    assert "`on: workflow_dispatch`" in out


def test_without_a_ci_workflow_the_description_says_ci_has_not_run(
    github: FakeGitHub, tmp_path: Path
) -> None:
    code, _ = run(github, tmp_path, CATALOGUE_DIFF)
    assert code == 0
    assert github.dispatches == []
    body = github.pulls()[0].body or ""
    assert f"**CI has not run on `{BRANCH}`:** a pull request opened by a workflow's token" in body


def test_a_dry_run_dispatches_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    code, out = run(github, tmp_path, CATALOGUE_DIFF, dry_run=True, ci_workflow="ci.yml")
    assert code == 0
    assert out.startswith(f"would dispatch ci.yml on {BRANCH}\n")
    assert f"[its runs on the branch]({RUNS})" in out
    assert github.writes == []


def test_nothing_to_fix_dispatches_nothing(github: FakeGitHub, tmp_path: Path) -> None:
    github.add_pull("Catalogue fixes: 1 moved link", head=BRANCH)
    code, _ = run(github, tmp_path, "", ci_workflow="ci.yml")
    assert code == 0
    assert github.dispatches == []


@pytest.mark.parametrize("workflow", ["../ci.yml", "ci", "ci.yml/../x.yml", "a b.yml", ""])
def test_a_ci_workflow_that_is_not_a_file_name_is_refused(
    github: FakeGitHub, tmp_path: Path, workflow: str
) -> None:
    code, out = run(github, tmp_path, CATALOGUE_DIFF, ci_workflow=workflow)
    assert code == 2
    assert "is not a workflow's file name; give the name of a file of .github/workflows" in out
    assert github.requests == []


def test_propose_dispatches_the_ci_workflow_it_is_given(
    github_env: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_report(tmp_path / "report.json", report_data())
    (tmp_path / "fixes.diff").write_text(CATALOGUE_DIFF, encoding="utf-8")
    monkeypatch.setenv("GITHUB_REPOSITORY", REPO)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    args = ["propose", "--report", str(tmp_path / "report.json"),
            "--diff", str(tmp_path / "fixes.diff"), "--ci-workflow", "ci.yml"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    assert github_env.dispatches == [("ci.yml", BRANCH)]
    assert "https://github.example/octo/guide/actions/workflows/ci.yml?query=" in (
        github_env.pulls()[0].body or ""
    )
