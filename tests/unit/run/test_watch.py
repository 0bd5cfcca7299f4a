"""`optout-watch watch` end to end over loopback, and the watch stage on its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from optout_watch.catalogue.targets import ExpectedLabel, Target, Use, WatchSpec
from optout_watch.cli import main
from optout_watch.fetching.judge import judge
from optout_watch.fetching.model import FetchResult, Validators
from optout_watch.report.build import MAX_DIFF_CHARS, page_report
from optout_watch.run.findings import page_drafts
from optout_watch.run.probe import Probed
from optout_watch.run.watch import watch_page
from optout_watch.storage.snapshots import Snapshot, SnapshotMeta, text_sha256
from tests.support.loopback import Loopback, Reply
from tests.support.nightly import help_page


def _watch(
    capsys: pytest.CaptureFixture[str], nightly_root: Path, url: str
) -> tuple[int, dict[str, Any]]:
    code = main(
        [
            "watch",
            "--catalogue", str(nightly_root / "catalogue"), "--state", str(nightly_root / "state"),
            "--remap", rf"^https://help\.example\.org/ {url}/", "--retries", "0",
            "--format", "json", "-q",
        ]
    )  # fmt: skip
    return code, json.loads(capsys.readouterr().out)


def _snapshot_files(nightly_root: Path) -> dict[str, bytes]:
    folder = nightly_root / "state" / "snapshots"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_baseline_rename_restore(nightly_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Loopback() as net:
        server = net.server()
        server.route("/privacy", help_page())
        code, report = _watch(capsys, nightly_root, server.base_url)
        assert code == 0
        assert [link["url"] for link in report["links"]] == ["https://help.example.org/privacy"]
        page = report["pages"][0]
        assert (page["checked"], page["changed"]) == (True, False)
        assert [lab["state"] for lab in page["labels"]] == ["present", "present"]
        baseline = _snapshot_files(nightly_root)
        assert len(baseline) == 2  # the text and its metadata
        text = next(v for k, v in baseline.items() if k.endswith(".txt")).decode()
        assert "Turn off “Improve the model for everyone”." in text
        assert "Home" not in text  # outside the selected <article>

        server.route("/privacy", help_page(label="Improve the model for all users"))
        _, report = _watch(capsys, nightly_root, server.base_url)
        page = report["pages"][0]
        label = page["labels"][1]
        assert page["changed"] is True
        assert "+Turn off “Improve the model for all users”." in page["diff"]
        assert label["state"] == "missing"
        assert label["suggestions"][0]["text"] == "Improve the model for all users"
        assert 0 < label["suggestions"][0]["score"] <= 1

        server.route("/privacy", help_page())
        _, report = _watch(capsys, nightly_root, server.base_url)
        assert [lab["state"] for lab in report["pages"][0]["labels"]] == ["present", "present"]


@pytest.mark.parametrize(
    "failure",
    [
        Reply(500, body=b"oops"),
        Reply(200, {"content-type": "text/html"}, b"<main>No article here</main>"),
    ],
    ids=["failed fetch", "selector matches nothing"],
)
def test_a_failure_keeps_the_snapshot_byte_identical(
    nightly_root: Path, capsys: pytest.CaptureFixture[str], failure: Reply
) -> None:
    with Loopback() as net:
        server = net.server()
        server.route("/privacy", help_page())
        _watch(capsys, nightly_root, server.base_url)
        before = _snapshot_files(nightly_root)
        server.route("/privacy", failure)
        code, report = _watch(capsys, nightly_root, server.base_url)
    assert _snapshot_files(nightly_root) == before
    page = report["pages"][0]
    assert page["checked"] is False
    if failure.status == 200:
        assert page["selector_failed"] is True
        assert "selector 'article' matched nothing" in page["error"]
        assert code == 1
    else:
        assert page["selector_failed"] is False


def _probed(status: int, body: bytes = b"", label: str = "Privacy") -> Probed:
    target = Target(
        url="https://help.example.org/p",
        lang="en",
        uses=(Use("p", "catalogue/p.yaml", 4, "help", "help"),),
        watch=WatchSpec(None, (), (), (ExpectedLabel(label, "p", "catalogue/p.yaml", 9),)),
        sign_in_expected=False,
    )
    result = FetchResult(
        url=target.url, final_url=target.url, status=status,
        headers={"content-type": "text/html"}, body=body, truncated=False, redirects=(),
        attempts=1, elapsed_ms=1, error=None, validators=Validators(etag='"v1"'),
    )  # fmt: skip
    return Probed(target, target.url, result, judge(result))


def test_not_modified_reuses_the_previous_snapshot() -> None:
    text = "Privacy\n"
    meta = SnapshotMeta("https://help.example.org/p", "x", "t0", '"v1"', None, text_sha256(text))
    watched = watch_page(_probed(304), Snapshot(text, meta), {}, now="t1")
    assert watched.checked is True
    assert watched.changed is False
    assert watched.snapshot is None  # nothing to rewrite
    assert [check.result.state for check in watched.labels] == ["present"]
    assert watched.labels[0].expected.line == 9


def test_first_sight_of_a_page_stores_its_snapshot() -> None:
    watched = watch_page(_probed(200, b"<p>Privacy</p>"), None, {}, now="t1")
    assert watched.snapshot is not None
    assert watched.snapshot.text == "Privacy\n"
    assert watched.snapshot.meta.etag == '"v1"'
    assert watched.sightings["Privacy"].first_seen == "t1"


def test_a_lost_snapshot_is_fetched_whole_despite_known_validators(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    etag = {"etag": '"v1"', "content-type": "text/html; charset=utf-8"}
    with Loopback() as net:
        server = net.server()
        body = help_page().body
        server.route("/privacy", Reply(200, etag, body))
        _watch(capsys, nightly_root, server.base_url)
        server.route("/privacy", Reply(304, etag))
        _, report = _watch(capsys, nightly_root, server.base_url)
        assert server.requests[-1].headers["if-none-match"] == '"v1"'
        assert report["pages"][0]["checked"] is True
        for path in (nightly_root / "state" / "snapshots").rglob("*"):
            if path.is_file():
                path.unlink()
        server.handle(
            "/privacy",
            lambda request: (
                Reply(304, etag) if "if-none-match" in request.headers else Reply(200, etag, body)
            ),
        )
        _, report = _watch(capsys, nightly_root, server.base_url)
    assert "if-none-match" not in server.requests[-1].headers
    assert report["pages"][0]["checked"] is True
    assert [lab["state"] for lab in report["pages"][0]["labels"]] == ["present", "present"]


def test_a_page_rewritten_by_2000_lines_says_so_though_its_shown_diff_is_cut() -> None:
    old = "".join(f"<p>Privacy rule {n}</p>" for n in range(2_000)).encode()
    new = "".join(f"<p>Privacy clause {n}</p>" for n in range(2_000)).encode()
    previous = watch_page(_probed(200, old), None, {}, now="t0").snapshot
    assert previous is not None

    watched = watch_page(_probed(200, new), previous, {}, now="t1")

    (changed,) = [d for d in page_drafts([watched]) if d.code == "page-changed"]
    assert changed.message.endswith("changed: 2000 lines added, 2000 lines removed")
    assert (changed.evidence["lines_added"], changed.evidence["lines_removed"]) == (2000, 2000)
    report = page_report(watched)
    assert len(report.diff) == MAX_DIFF_CHARS  # the report shows a cut diff, counted whole


def test_a_rename_in_bold_ends_where_the_bold_does_though_the_sentence_goes_on() -> None:
    old_label, new_label = "Améliorer le modèle pour tous", "Améliorer le modèle pour tout le monde"
    before = f"<p>Allez à <strong>{old_label}</strong>.</p>".encode()
    after = (
        f"<p>Allez à <strong>{new_label}</strong> dans les réglages de votre compte.</p>".encode()
    )
    previous = watch_page(_probed(200, before, old_label), None, {}, now="t0")
    assert previous.snapshot is not None

    watched = watch_page(
        _probed(200, after, old_label), previous.snapshot, previous.sightings, now="t1"
    )

    (check,) = watched.labels
    assert check.result.suggestions[0].text == new_label
    evidence = watched.sightings[old_label].evidence
    assert evidence is not None
    assert (evidence.url, evidence.seen_at) == ("https://help.example.org/p", "t1")
