"""The web archive in the nightly, end to end over loopback (the archive's three addresses
faked by `tests.fake_archive`, reached through `--remap`): a blocked page judged on its
archived copy, and a broken link given its last archived copy, in the report, the issues and
the dashboard."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from optout_watch.alerts.pull_request import CiDispatch, proposed_selectors, pull_request_text
from optout_watch.archive.wayback import ArchivedCopy, timestamp_of
from optout_watch.catalogue.models import RenderMode
from optout_watch.catalogue.targets import ExpectedLabel, Target, Use, WatchSpec
from optout_watch.cli import main
from optout_watch.pages.labels import LabelSighting
from optout_watch.report.read import parse_report
from optout_watch.run.findings import page_drafts
from optout_watch.run.watch import PageResult, ReadFrom, watch_archived_copy
from tests.support.fake_archive import FakeArchive
from tests.support.fake_github import REPO, FakeGitHub
from tests.support.loopback import Loopback, Reply
from tests.support.nightly import (
    CHALLENGE,
    HELP_PAGE,
    NOT_FOUND,
    OK,
    help_page,
    run_check,
    write_catalogue,
)

PAGE = "https://help.example.org/privacy"
FORM = "https://help.example.org/form"

# The commands reach the fake as the nightly reaches GitHub.
pytestmark = pytest.mark.usefixtures("github_env")


def _days_ago(days: int) -> str:
    """An archive timestamp `days` before now (the check reads the clock)."""
    return timestamp_of(
        dt.datetime.now(dt.UTC).replace(hour=4, minute=0, second=0) - dt.timedelta(days=days)
    )


def _long_day(timestamp: str) -> str:
    day = dt.date(int(timestamp[:4]), int(timestamp[4:6]), int(timestamp[6:8]))
    return f"{day.day} {day:%B %Y}"


def _archived_check(
    capsys: pytest.CaptureFixture[str], root: Path, net_url: str, archive: FakeArchive, *extra: str
) -> tuple[int, dict[str, Any], str]:
    return run_check(
        capsys, root, net_url, "--archive", "fallback", "--remap", archive.remap,
        "--confirm-after", "1", "--blocked-after", "1", *extra,
    )  # fmt: skip


def test_a_blocked_page_is_judged_on_its_archived_copy_and_says_so(
    run_folder: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    write_catalogue(run_folder)
    taken = _days_ago(3)
    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/privacy", CHALLENGE)
        archive = FakeArchive(net)
        archive.add(PAGE, taken, HELP_PAGE.format(label="Improve the model for everyone", date="x"))
        code, report, _ = _archived_check(capsys, run_folder, server.base_url, archive)

    assert code == 0  # a blocked link is a warning
    assert archive.requests_to("/web.archive.org/web/") == 1
    (page,) = report["pages"]
    assert page["read_from"] == "archive"
    assert page["not_read_because"] == "blocked"
    seen = f"seen in the web archive's copy of {_long_day(taken)}"
    assert page["archive"]["used"] is True
    assert page["archive"]["note"] == seen
    assert page["archive"]["archived"]["url"] == f"https://web.archive.org/web/{taken}/{PAGE}"
    assert [(x["label"], x["state"], x["archive_copy"]) for x in page["labels"]] == [
        ("Privacy", "present", page["archive"]["archived"]["date"]),
        ("Improve the model for everyone", "present", page["archive"]["archived"]["date"]),
    ]
    assert report["summary"]["pages_read"] == {"archive": 1}
    assert report["summary"]["pages_not_read"] == {}
    (blocked,) = [f for f in report["findings"] if f["code"] == "link-blocked"]
    judged = f"its labels were judged on the web archive's copy of {_long_day(taken)}: 2 of 2"
    assert judged in blocked["message"]
    # No snapshot of the page: the copy is not tonight's page.
    assert not (run_folder / "state" / "snapshots").exists() or not list(
        (run_folder / "state" / "snapshots").rglob("*.txt")
    )

    assert main(["issues", "sync", "--report", "report.json", "--repo", REPO]) == 0
    issues = {issue.title: issue.body or "" for issue in github.ours()}
    (body,) = [body for title, body in issues.items() if title.startswith("Blocked")]
    assert f"- Watched page: {seen}\n" in body
    assert (
        "- Its labels there: « Privacy » present, « Improve the model for everyone » present\n"
        in body
    )
    assert f"- Archived copy: <https://web.archive.org/web/{taken}/{PAGE}>\n" in body
    dashboard = github.issues[max(github.issues)].body or ""
    assert "## How the watched pages were read\n\n1 from the web archive.\n" in dashboard
    assert f"- <{PAGE}>: {seen}\n" in dashboard
    assert "127.0.0" not in body + dashboard

    render = ["render", "--report", "report.json", "--format", "markdown", "--lang", "en"]
    assert main([*render, "-o", "guide"]) == 0
    guide = "".join(p.read_text() for p in (run_folder / "guide").rglob("*.md"))
    assert f"were checked on the Wayback Machine's copy of {_long_day(taken)}" in guide


def test_a_broken_link_names_its_last_archived_copy_and_its_date(
    run_folder: Path, github: FakeGitHub, capsys: pytest.CaptureFixture[str]
) -> None:
    write_catalogue(run_folder)
    worked = _days_ago(10)
    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/privacy", help_page())
        archive = FakeArchive(net)
        archive.add(FORM, worked, "<title>Form</title><p>Send a request</p>")
        _, first, _ = _archived_check(capsys, run_folder, server.base_url, archive)
        assert [link["last_archived_copy"] for link in first["links"]] == [None] * 4
        server.route("/form", NOT_FOUND)
        code, report, _ = _archived_check(capsys, run_folder, server.base_url, archive)
        (run_folder / "night-2.json").write_text(json.dumps(report), encoding="utf-8")
        # The site's error page, archived since, is the copy closest to that night: none shown.
        archive.add(FORM, _days_ago(0), NOT_FOUND.body, status=404)
        _, later, _ = _archived_check(capsys, run_folder, server.base_url, archive)

    assert code == 1
    (form,) = [link for link in report["links"] if link["url"] == FORM]
    view = f"https://web.archive.org/web/{worked}/{FORM}"
    day = f"{worked[:4]}-{worked[4:6]}-{worked[6:8]}"
    assert form["last_archived_copy"] == {
        "last_worked": first["started_at"],
        "archived": {"date": day, "timestamp": worked, "url": view},
        "note": None,
    }
    (still,) = [link for link in later["links"] if link["url"] == FORM]
    assert still["last_archived_copy"]["last_worked"] == first["started_at"]
    assert still["last_archived_copy"]["archived"] is None
    assert "is of an error page (HTTP 404)" in still["last_archived_copy"]["note"]

    assert main(["issues", "sync", "--report", "night-2.json", "--repo", REPO]) == 0
    (issue,) = [issue for issue in github.ours() if issue.title.startswith("Broken link")]
    line = (
        f"- Last archived copy: the web archive's copy of {day}, the closest to the last check "
        f"that found the link working ({first['started_at'][:10]}): <{view}>\n"
    )
    assert line in (issue.body or "")
    dashboard = github.issues[max(github.issues)].body or ""
    assert "## Where the broken links went" in dashboard
    assert f"- <{FORM}>: the web archive's copy of {day}" in dashboard


def test_a_page_without_select_gets_the_proposed_selector_and_fix_writes_it(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = write_catalogue(run_folder)
    path = folder / "example-chat.yaml"
    path.write_text(path.read_text().replace("    select: article\n", ""), encoding="utf-8")
    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/privacy", help_page())
        _, report, _ = run_check(capsys, run_folder, server.base_url)

    (page,) = report["pages"]
    assert page["read_from"] == "live"
    assert report["summary"]["pages_read"] == {"live": 1}
    proposal = page["proposed_watch"]
    assert proposal["select"] == "article"
    assert 0 < proposal["kept_chars"] < proposal["page_chars"]

    assert main(["fix", "--report", "report.json"]) == 0
    assert "fixed: selector for https://help.example.org/privacy: select article" in (
        capsys.readouterr().err
    )
    watch = yaml.safe_load(path.read_text())["links"][0]["watch"]
    assert watch["select"] == "article"
    assert next(iter(watch)) == "select"
    assert main(["validate"]) == 0

    diff = "+++ b/catalogue/example-chat.yaml\n+    select: article\n"
    view = parse_report(json.dumps(report))
    title, body = pull_request_text(
        view, [], diff, {}, CiDispatch(None, "fixes"), selectors=proposed_selectors(view, diff)
    )
    assert title == "Catalogue fixes: 1 proposed selector"
    assert "- **select:** `article`\n" in body
    assert "the page as the check of this night read live (`optout-watch inspect`)" in body


# --- the copy judged like the live page (pure) ------------------------------------------------

COPY = ArchivedCopy("20261130041512", PAGE, status=200)


def _unread(render: RenderMode = "plain", select: str | None = "article") -> PageResult:
    labels = tuple(
        ExpectedLabel(label, "p", "catalogue/p.yaml", 9 + n)
        for n, label in enumerate(("Privacy", "Improve the model for everyone"))
    )
    target = Target(
        url=PAGE,
        lang="en",
        uses=(Use("p", "catalogue/p.yaml", 4, "help", "help"),),
        watch=WatchSpec(select, (), (), labels, render),
        sign_in_expected=False,
    )
    return PageResult(target, checked=False, error="a bot wall", unread_because="blocked")


def test_a_label_the_copy_lacks_is_not_judged_when_the_live_page_showed_it_later() -> None:
    html = HELP_PAGE.format(label="Something else", date="x")
    history = {
        "Improve the model for everyone": LabelSighting(
            "Improve the model for everyone", "2026-11-01T03:00:00Z", "2026-12-02T03:00:00Z"
        )
    }
    page = watch_archived_copy(_unread(), COPY, html, history)

    assert page.read_from is ReadFrom.ARCHIVE
    assert [(c.result.label, str(c.result.state)) for c in page.labels] == [("Privacy", "present")]
    assert (
        page.sightings["Improve the model for everyone"]
        == history["Improve the model for everyone"]
    )
    assert page.sightings["Privacy"].last_seen == "2026-11-30T04:15:12Z"
    assert page.archive is not None
    assert "not judged there, as the live page showed them later: « Improve" in page.archive.note
    assert [d.code for d in page_drafts([page])] == []
    assert page.snapshot is None
    assert page.change is None
    # Older live evidence than the copy: the copy's word counts.
    history_before = {
        "Improve the model for everyone": LabelSighting(
            "Improve the model for everyone", "2026-11-01T03:00:00Z", "2026-11-20T03:00:00Z"
        )
    }
    later = watch_archived_copy(_unread(), COPY, html, history_before)
    (missing,) = page_drafts([later])
    assert missing.code == "label-missing"
    assert "(in the web archive's copy of 30 November 2026)" in missing.message


@pytest.mark.parametrize(
    ("unread", "html", "why"),
    [
        (_unread(), "<html><body><div>Privacy</div></body></html>", "selector 'article'"),
        (
            _unread(render="browser", select=None),
            "<html><body><div id='root'>Loading…</div><script>x()</script></body></html>",
            "its text is written by scripts the copy does not run",
        ),
    ],
)
def test_a_copy_the_selector_or_the_scripts_hide_is_unusable(
    unread: PageResult, html: str, why: str
) -> None:
    page = watch_archived_copy(unread, COPY, html, {})
    assert page.checked is False
    assert page.read_from is ReadFrom.NOT_READ
    assert page.archive is not None
    assert page.archive.used is False
    assert page.archive.note.startswith("the web archive's copy of 30 November 2026 cannot be used")
    assert why in page.archive.note


def test_a_copy_of_a_bot_wall_is_reported_unusable_and_never_archive_asks_nothing(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_catalogue(run_folder)
    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/privacy", CHALLENGE)
        archive = FakeArchive(net)
        archive.add(PAGE, _days_ago(2), CHALLENGE.body, status=403)
        _, never, _ = run_check(capsys, run_folder, server.base_url, "--remap", archive.remap)
        assert archive.server.requests == []
        _, report, _ = _archived_check(capsys, run_folder, server.base_url, archive)

    assert never["pages"][0]["read_from"] == "not_read"
    assert never["pages"][0]["archive"] is None
    assert never["summary"]["pages_not_read"] == {"blocked": 1}
    (page,) = report["pages"]
    assert page["read_from"] == "not_read"
    assert page["archive"]["used"] is False
    assert "cannot be read" in page["archive"]["note"]
    assert report["summary"]["pages_not_read"] == {"blocked": 1}


@pytest.mark.parametrize("command", ["check", "watch"])
def test_a_link_that_works_again_forgets_when_it_failed(
    run_folder: Path, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_catalogue(run_folder)

    def night() -> dict[str, Any]:
        remap = rf"^https://help\.example\.org/ {server.base_url}/"
        main([command, "-q", "--retries", "0", "--remap", remap])
        state = json.loads((run_folder / "state" / "state.json").read_text())
        return dict(state["links"].get(PAGE, {}))

    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/privacy", NOT_FOUND)
        first = night()
        assert first["failing_since"] is not None
        assert night()["failing_since"] == first["failing_since"]
        server.route("/privacy", help_page())
        assert night().get("failing_since") is None


def test_a_state_from_before_the_links_kept_their_failure_takes_it_from_the_findings(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A link already failing when the state was written without `failing_since`: it began to
    fail when its finding was first seen, and when it last worked is unknown (not the last
    run, when it failed too)."""
    write_catalogue(run_folder)
    path = run_folder / "state" / "state.json"
    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/privacy", help_page())
        server.route("/form", NOT_FOUND)
        run_check(capsys, run_folder, server.base_url)
        run_check(capsys, run_folder, server.base_url)
        older = json.loads(path.read_text())
        older["format_version"] = 3
        for memory in older["links"].values():
            memory.pop("failing_since", None)
            memory.pop("last_worked", None)
        # The runs of a test share their second: the finding is made older to tell them apart.
        first = "2026-11-01T04:00:00Z"
        for finding in older["findings"].values():
            if finding["url"] == FORM:
                finding["first_seen"] = first
        path.write_text(json.dumps(older), encoding="utf-8")
        _, report, _ = run_check(capsys, run_folder, server.base_url)
        # A link that fails for the first time still gets the last run as when it worked.
        server.route("/privacy", NOT_FOUND)
        run_check(capsys, run_folder, server.base_url)
    links = json.loads(path.read_text())["links"]
    assert (links[FORM]["failing_since"], links[FORM]["last_worked"]) == (first, None)
    (form,) = [link for link in report["links"] if link["url"] == FORM]
    assert form["last_archived_copy"] is None  # the archive is not asked in this test
    assert links[PAGE]["last_worked"] == report["started_at"]


def test_the_archives_addresses_in_a_copys_note_are_the_archives_not_the_mirrors(
    run_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_catalogue(run_folder)
    taken = _days_ago(2)
    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/privacy", CHALLENGE)
        archive = FakeArchive(net)
        archive.add(PAGE, taken, "unused")
        raw = f"/web.archive.org/web/{taken}id_/{PAGE}"
        archive.server.route(raw, Reply(302, {"location": "/web.archive.org/account/login"}, b""))
        archive.server.route("/web.archive.org/account/login", Reply(200, {}, b"<p>Sign in</p>"))
        _, report, _ = _archived_check(capsys, run_folder, server.base_url, archive)

    note = report["pages"][0]["archive"]["note"]
    assert "redirected to a sign-in page (https://web.archive.org/account/login)" in note
    assert "127.0.0" not in json.dumps(report["pages"])
