"""A new extractor (our rules or selectolax) re-baselines the snapshots instead of reporting
every watched page as changed; the next run compares as usual."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from optout_watch.catalogue.targets import ExpectedLabel, Target, Use, WatchSpec
from optout_watch.fetching.fetch import FetchResult, Validators
from optout_watch.fetching.judge import judge
from optout_watch.pages import extract
from optout_watch.pages.labels import LabelSighting, LabelState
from optout_watch.run import watch
from optout_watch.run.findings import page_drafts
from optout_watch.run.probe import Probed
from optout_watch.run.watch import watch_page
from optout_watch.storage.snapshots import Snapshot, SnapshotMeta, SnapshotStore, text_sha256
from optout_watch.storage.state import STATE_FORMAT_VERSION, load_state
from tests.loopback import Loopback, Reply
from tests.test_check import _catalogue, _page, _run

OLD = "1+selectolax-0.0.0"
PAGE_URL = "https://help.example.org/privacy"
ETAG = {"etag": '"v1"', "content-type": "text/html; charset=utf-8"}


@pytest.fixture
def isolated(run_folder: Path) -> Path:
    _catalogue(run_folder)
    return run_folder


def _old_extractor(monkeypatch: pytest.MonkeyPatch) -> None:
    """The extractor as a past version was: another version, and text that differs."""
    real = extract.extract_text

    def old(html: str, **options: Any) -> str:
        return real(html, **options) + "Text the old extractor kept\n"

    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", OLD)
    monkeypatch.setattr(watch, "extract_text", old)


def _codes(report: dict[str, Any]) -> list[str]:
    return sorted(finding["code"] for finding in report["findings"])


def _snapshot_text(root: Path) -> str:
    snapshot = SnapshotStore(root / "state" / "snapshots").read(PAGE_URL)
    assert snapshot is not None
    return snapshot.text


def _serve(server: Any, page: Reply) -> None:
    """`page`, answered 304 to a request naming its ETag (which would keep the old
    extractor's text)."""
    etag = page.headers.get("etag")
    server.handle(
        "/privacy",
        lambda request: (
            Reply(304, {"etag": etag}) if etag and request.headers.get("if-none-match") == etag
            else page
        ),
    )  # fmt: skip
    for path in ("/form", "/wall", "/source"):
        server.route(path, Reply(200, {"content-type": "text/html"}, b"<title>Ok</title>"))


def test_an_upgraded_extractor_rebaselines_then_the_next_run_compares(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Loopback() as net:
        server = net.server("127.0.0.1")
        url = server.base_url
        page = Reply(200, ETAG, _page().body)
        _serve(server, page)

        # The old extractor takes the baseline.
        with monkeypatch.context() as patch:
            _old_extractor(patch)
            code, report, _ = _run(capsys, isolated, url)
        assert code == 0
        assert _codes(report) == []
        assert load_state(isolated / "state").extractor == OLD
        assert "Text the old extractor kept" in _snapshot_text(isolated)

        # The upgraded one reads the same page differently: re-baselined, nothing changed.
        code, report, output = _run(capsys, isolated, url)
        assert code == 0
        assert "page-changed" not in _codes(report)
        assert report["pages"][0]["changed"] is False
        assert [lab["state"] for lab in report["pages"][0]["labels"]] == ["present", "present"]
        assert (
            f"the extractor changed ({OLD} → {extract.EXTRACTOR_VERSION}): snapshots "
            "re-baselined, no page reported as changed"
        ) in output
        # Fetched whole despite the known validators: a 304 would keep the old text.
        page_requests = [r for r in server.requests if r.target == "/privacy"]
        assert "if-none-match" not in page_requests[-1].headers
        assert "Text the old extractor kept" not in _snapshot_text(isolated)
        state = load_state(isolated / "state")
        assert state.extractor == extract.EXTRACTOR_VERSION
        assert state.format_version == STATE_FORMAT_VERSION

        # Same extractor, unchanged page: asked conditionally again, nothing to say.
        code, report, output = _run(capsys, isolated, url)
        page_requests = [r for r in server.requests if r.target == "/privacy"]
        assert page_requests[-1].headers.get("if-none-match") == '"v1"'
        assert _codes(report) == []
        assert "extractor changed" not in output

        # Same extractor, a real change: reported as before.
        changed = _page(label="Improve the model for all users").body
        _serve(server, Reply(200, {**ETAG, "etag": '"v2"'}, changed))
        code, report, output = _run(capsys, isolated, url)
        assert "page-changed" in _codes(report)
        assert "label-missing" in _codes(report)
        assert report["pages"][0]["changed"] is True
        assert "extractor changed" not in output


def test_a_state_without_an_extractor_and_with_snapshots_is_rebaselined(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A state written before the extractor was recorded (format 1): its version is unknown."""
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, Reply(200, ETAG, _page().body))
        assert _run(capsys, isolated, server.base_url)[0] == 0
        state_file = isolated / "state" / "state.json"
        raw = json.loads(state_file.read_text())
        del raw["extractor"]
        raw["format_version"] = 1
        state_file.write_text(json.dumps(raw))
        text_file = SnapshotStore(isolated / "state" / "snapshots").path_for(PAGE_URL)
        text_file.write_text(text_file.read_text() + "Text the old extractor kept\n")

        code, report, output = _run(capsys, isolated, server.base_url)
    assert code == 0
    assert "page-changed" not in _codes(report)
    assert f"the extractor changed (unknown → {extract.EXTRACTOR_VERSION})" in output
    assert "Text the old extractor kept" not in _snapshot_text(isolated)
    assert load_state(isolated / "state").extractor == extract.EXTRACTOR_VERSION


def test_a_first_run_records_the_extractor_without_rebaselining(
    isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, Reply(200, ETAG, _page().body))
        code, _, output = _run(capsys, isolated, server.base_url)
    assert code == 0
    assert "extractor changed" not in output
    assert load_state(isolated / "state").extractor == extract.EXTRACTOR_VERSION


def test_a_page_unread_while_rebaselining_is_named(
    isolated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, Reply(200, ETAG, _page().body))
        with monkeypatch.context() as patch:
            _old_extractor(patch)
            _run(capsys, isolated, server.base_url)
        server.route("/privacy", Reply(500, {"content-type": "text/html"}, b"oops"))
        _, report, output = _run(capsys, isolated, server.base_url)
    assert "page-changed" not in _codes(report)
    assert "snapshots re-baselined" in output
    assert "1 watched page could not be read and keeps the old extractor's snapshot" in output
    assert PAGE_URL in output
    assert "Text the old extractor kept" in _snapshot_text(isolated)  # the last good one


# --- the watch stage on its own ------------------------------------------------------------


def _probed(body: bytes, expect: Sequence[str]) -> Probed:
    labels = tuple(ExpectedLabel(text, "p", "catalogue/p.yaml", 9) for text in expect)
    target = Target(
        PAGE_URL, "en", (Use("p", "catalogue/p.yaml", 3, "help", "help"),),
        WatchSpec(None, (), (), labels), False,
    )  # fmt: skip
    result = FetchResult(
        url=PAGE_URL, final_url=PAGE_URL, status=200,
        headers={"content-type": "text/html; charset=utf-8"}, body=body, truncated=False,
        redirects=(), attempts=1, elapsed_ms=1, error=None, validators=Validators(),
    )  # fmt: skip
    return Probed(target, PAGE_URL, result, judge(result))


def _snapshot(text: str) -> Snapshot:
    return Snapshot(text, SnapshotMeta(PAGE_URL, PAGE_URL, "t0", None, None, text_sha256(text)))


def test_watch_page_rebaselining_replaces_the_snapshot_without_a_change() -> None:
    previous = _snapshot("Privacy\nOpt out of training\n")
    history = {"Opt out of training": LabelSighting("Opt out of training", "t0", "t0")}
    probed = _probed(b"<p>Privacy</p><p>Opt out of model training</p>", ["Opt out of training"])

    compared = watch_page(probed, previous, history, now="t1")
    rebaselined = watch_page(probed, previous, history, now="t1", rebaseline=True)

    assert compared.change is not None
    assert not compared.rebaselined
    assert rebaselined.change is None
    assert rebaselined.rebaselined
    assert rebaselined.snapshot is not None
    assert rebaselined.snapshot.text == "Privacy\nOpt out of model training\n"
    # Labels are judged on the new text and the sightings; the suggestion has no diff evidence.
    label = rebaselined.labels[0].result
    assert label.state is LabelState.MISSING
    assert [s.text for s in label.suggestions] == ["Opt out of model training"]
    assert [d.code for d in page_drafts([rebaselined])] == ["label-missing"]


def test_watch_page_rebaselining_a_page_without_a_snapshot_is_a_first_sight() -> None:
    probed = _probed(b"<p>Privacy</p>", ["Privacy"])
    watched = watch_page(probed, None, {}, now="t1", rebaseline=True)
    assert watched.rebaselined is False
    assert watched.snapshot is not None
