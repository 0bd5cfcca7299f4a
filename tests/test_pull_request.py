"""The fix pull request against a fake GitHub over real HTTP: opened once, updated in place,
closed with a comment when nothing is left to fix; its description names each change with its
evidence and the issue it resolves."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from optout_watch._cli import main
from optout_watch.alerts.issues import IssueSubject, render_markers
from optout_watch.alerts.pull_request import MARKER, changes, sync_pull_request
from tests.alerts_reports import failing_link, finding, label, page, report, view, write_report
from tests.fake_github import FakeGitHub

TOKEN = "ghs_PR-t0ken-never-shown"
REPO = "octo/guide"
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


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with FakeGitHub(token=TOKEN, repo=REPO) as server:
        yield server


def run(github: FakeGitHub, tmp_path: Path, diff: str, *, dry_run: bool = False) -> tuple[int, str]:
    report_path = write_report(tmp_path / "report.json", report_data())
    diff_path = tmp_path / "fixes.diff"
    diff_path.write_text(diff, encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    code = sync_pull_request(
        report_path, diff_path, branch=BRANCH, base=None, repo=None, dry_run=dry_run,
        environ={"GITHUB_TOKEN": TOKEN, "GITHUB_REPOSITORY": REPO, "GITHUB_API_URL": github.url,
                 "GITHUB_REF_NAME": "main"},
        out=out, err=err, write_interval=0,
    )  # fmt: skip
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
