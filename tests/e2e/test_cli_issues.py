"""From a real check to GitHub issues, through the command line: two nights with a broken
link confirm it, `issues sync` opens one issue for it, a rerun changes nothing, and a dry run
prints its plan and writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from optout_watch.cli import main
from tests.support.fake_github import REPO, TOKEN, FakeGitHub
from tests.support.loopback import Loopback
from tests.support.nightly import NOT_FOUND, OK, help_page, write_catalogue

# The commands reach the fake as the nightly reaches GitHub.
pytestmark = pytest.mark.usefixtures("github_env")


def _two_nights_with_a_broken_form(root: Path) -> Path:
    write_catalogue(root)
    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/privacy", help_page())
        server.route("/form", NOT_FOUND)
        for _ in range(2):
            code = main(
                [
                    "check", "-q", "--retries", "0", "--report", "report.json",
                    "--remap", rf"^https://help\.example\.org/ {server.base_url}/",
                ]
            )  # fmt: skip
    assert code == 1
    return root / "report.json"


def test_a_confirmed_broken_link_opens_one_issue_and_a_rerun_changes_nothing(
    run_folder: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _two_nights_with_a_broken_form(run_folder)
    capsys.readouterr()
    sync = ["issues", "sync", "--report", str(report), "--repo", REPO, "--no-dashboard"]

    assert main(sync) == 0
    (issue,) = github.ours()
    assert issue.title == "Broken link: Chat › form (404)"
    assert "https://help.example.org/form" in (issue.body or "")
    assert sorted(issue.labels) == ["broken-link", "optout-watch"]
    # Fetched through --remap: the issue shows the catalogue's addresses, not the mirror's.
    assert "127.0.0.1" not in (issue.body or "")

    writes = len(github.writes)
    assert main(sync) == 0
    assert len(github.writes) == writes

    assert main([*sync, "--dry-run"]) == 0
    assert len(github.writes) == writes
    captured = capsys.readouterr()
    assert TOKEN not in captured.out + captured.err


def test_a_dry_run_prints_the_plan_and_writes_nothing(
    run_folder: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    report = _two_nights_with_a_broken_form(run_folder)
    capsys.readouterr()
    code = main(["issues", "sync", "--report", str(report), "--repo", REPO, "--dry-run"])
    out = capsys.readouterr().out
    assert code == 0
    assert "create: Broken link: Chat › form (404)" in out
    assert "dashboard: create" in out
    assert github.writes == []


def test_a_missing_token_is_exit_2(
    run_folder: Path, github: FakeGitHub, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    report = _two_nights_with_a_broken_form(run_folder)
    monkeypatch.delenv("GITHUB_TOKEN")
    capsys.readouterr()
    assert main(["issues", "sync", "--report", str(report), "--repo", REPO]) == 2
    assert "GITHUB_TOKEN" in capsys.readouterr().err
    assert github.requests == []
