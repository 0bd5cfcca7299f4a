"""A new extractor (our rules or selectolax) re-baselines the snapshots instead of reporting
every watched page as changed; the next run compares as usual."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from optout_watch.catalogue.loader import parse_document
from optout_watch.catalogue.targets import ExpectedLabel, Target, Use, WatchSpec
from optout_watch.fetching.judge import judge
from optout_watch.fetching.model import FetchResult, Validators
from optout_watch.pages import extract
from optout_watch.pages.labels import LabelSighting, LabelState
from optout_watch.run import watch
from optout_watch.run.findings import page_drafts
from optout_watch.run.probe import Probed
from optout_watch.run.watch import watch_page
from optout_watch.storage.snapshots import Snapshot, SnapshotMeta, SnapshotStore, text_sha256
from optout_watch.storage.state import STATE_FORMAT_VERSION, load_state
from tests.support.catalogue import platform_yaml
from tests.support.loopback import Loopback, Reply
from tests.support.nightly import help_page, run_check

OLD = "1+selectolax-0.0.0"
PAGE_URL = "https://help.example.org/privacy"
ETAG = {"etag": '"v1"', "content-type": "text/html; charset=utf-8"}


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
    nightly_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Loopback() as net:
        server = net.server("127.0.0.1")
        url = server.base_url
        page = Reply(200, ETAG, help_page().body)
        _serve(server, page)

        # The old extractor takes the baseline.
        with monkeypatch.context() as patch:
            _old_extractor(patch)
            code, report, _ = run_check(capsys, nightly_root, url)
        assert code == 0
        assert _codes(report) == []
        assert load_state(nightly_root / "state").extractor == OLD
        assert "Text the old extractor kept" in _snapshot_text(nightly_root)

        # The upgraded one reads the same page differently: re-baselined, nothing changed.
        code, report, output = run_check(capsys, nightly_root, url)
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
        assert "Text the old extractor kept" not in _snapshot_text(nightly_root)
        state = load_state(nightly_root / "state")
        assert state.extractor == extract.EXTRACTOR_VERSION
        assert state.format_version == STATE_FORMAT_VERSION

        # Same extractor, unchanged page: asked conditionally again, nothing to say.
        code, report, output = run_check(capsys, nightly_root, url)
        page_requests = [r for r in server.requests if r.target == "/privacy"]
        assert page_requests[-1].headers.get("if-none-match") == '"v1"'
        assert _codes(report) == []
        assert "extractor changed" not in output

        # Same extractor, a real change: reported as before.
        changed = help_page(label="Improve the model for all users").body
        _serve(server, Reply(200, {**ETAG, "etag": '"v2"'}, changed))
        code, report, output = run_check(capsys, nightly_root, url)
        assert "page-changed" in _codes(report)
        assert "label-missing" in _codes(report)
        assert report["pages"][0]["changed"] is True
        assert "extractor changed" not in output


def test_a_state_without_an_extractor_and_with_snapshots_is_rebaselined(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A state written before the extractor was recorded (format 1): its version is unknown."""
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, Reply(200, ETAG, help_page().body))
        assert run_check(capsys, nightly_root, server.base_url)[0] == 0
        state_file = nightly_root / "state" / "state.json"
        raw = json.loads(state_file.read_text())
        del raw["extractor"]
        raw["format_version"] = 1
        state_file.write_text(json.dumps(raw))
        text_file = SnapshotStore(nightly_root / "state" / "snapshots").path_for(PAGE_URL)
        text_file.write_text(text_file.read_text() + "Text the old extractor kept\n")

        code, report, output = run_check(capsys, nightly_root, server.base_url)
    assert code == 0
    assert "page-changed" not in _codes(report)
    assert f"the extractor changed (unknown → {extract.EXTRACTOR_VERSION})" in output
    assert "Text the old extractor kept" not in _snapshot_text(nightly_root)
    assert load_state(nightly_root / "state").extractor == extract.EXTRACTOR_VERSION


def test_a_first_run_records_the_extractor_without_rebaselining(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, Reply(200, ETAG, help_page().body))
        code, _, output = run_check(capsys, nightly_root, server.base_url)
    assert code == 0
    assert "extractor changed" not in output
    assert load_state(nightly_root / "state").extractor == extract.EXTRACTOR_VERSION


def test_a_page_unread_while_rebaselining_is_named(
    nightly_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, Reply(200, ETAG, help_page().body))
        with monkeypatch.context() as patch:
            _old_extractor(patch)
            run_check(capsys, nightly_root, server.base_url)
        server.route("/privacy", Reply(500, {"content-type": "text/html"}, b"oops"))
        _, report, output = run_check(capsys, nightly_root, server.base_url)
    assert "page-changed" not in _codes(report)
    assert "snapshots re-baselined" in output
    assert "1 watched page could not be read and keeps the old extractor's snapshot" in output
    assert PAGE_URL in output
    assert "Text the old extractor kept" in _snapshot_text(nightly_root)  # the last good one


WALL_URL = "https://help.example.org/wall"


def _watch_the_wall_too(root: Path) -> None:
    """A second watched page, read from the same loopback server as the first."""
    path = root / "catalogue" / "example-chat.yaml"
    data = parse_document(path.read_bytes(), path).data
    data["links"][2]["watch"] = {"select": "article", "expect": ["Privacy"]}
    path.write_text(platform_yaml(data), encoding="utf-8")


def _meta_path(root: Path, url: str) -> Path:
    return SnapshotStore(root / "state" / "snapshots").path_for(url).with_suffix(".meta.json")


def _snapshot_of(root: Path, url: str) -> Snapshot:
    snapshot = SnapshotStore(root / "state" / "snapshots").read(url)
    assert snapshot is not None
    return snapshot


@pytest.mark.parametrize("recorded", [True, False], ids=["per-snapshot", "state-only"])
def test_a_page_unread_on_the_night_of_the_upgrade_is_rebaselined_when_next_read(
    nightly_root: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    recorded: bool,
) -> None:
    """`state-only`: the snapshots were written before they recorded their extractor, and
    have the state's."""
    _watch_the_wall_too(nightly_root)
    with Loopback() as net:
        server = net.server("127.0.0.1")
        _serve(server, Reply(200, ETAG, help_page().body))
        server.route("/wall", help_page())

        # Night 1: the old extractor reads both pages.
        with monkeypatch.context() as patch:
            _old_extractor(patch)
            code, report, _ = run_check(capsys, nightly_root, server.base_url)
        assert (code, _codes(report)) == (0, [])
        for url in (PAGE_URL, WALL_URL):
            assert _snapshot_of(nightly_root, url).meta.extractor == OLD
            if not recorded:
                meta = json.loads(_meta_path(nightly_root, url).read_text())
                del meta["extractor"]
                _meta_path(nightly_root, url).write_text(json.dumps(meta))
                assert _snapshot_of(nightly_root, url).meta.extractor is None

        # Night 2: the new extractor reads the first page; the second fails.
        server.route("/wall", Reply(500, {"content-type": "text/html"}, b"oops"))
        _, report, output = run_check(capsys, nightly_root, server.base_url)
        assert "page-changed" not in _codes(report)
        assert f"the extractor changed ({OLD} → {extract.EXTRACTOR_VERSION})" in output
        assert f"keeps the old extractor's snapshot, re-baselined when read: {WALL_URL}" in output
        assert _snapshot_of(nightly_root, PAGE_URL).meta.extractor == extract.EXTRACTOR_VERSION
        wall = _snapshot_of(nightly_root, WALL_URL)
        assert "Text the old extractor kept" in wall.text  # the last good snapshot, kept
        assert wall.meta.extractor == (OLD if recorded else None)
        # The state's extractor stays that of the snapshots that record none, while one is left.
        expected = extract.EXTRACTOR_VERSION if recorded else OLD
        assert load_state(nightly_root / "state").extractor == expected

        # Night 3: both read. The first is compared, the second re-baselined: neither changed.
        server.route("/wall", help_page())
        _, report, output = run_check(capsys, nightly_root, server.base_url)
        assert "page-changed" not in _codes(report)
        assert [page["changed"] for page in report["pages"]] == [False, False]
        assert f"the extractor changed ({OLD} → {extract.EXTRACTOR_VERSION})" in output
        assert "could not be read" not in output
        wall = _snapshot_of(nightly_root, WALL_URL)
        assert "Text the old extractor kept" not in wall.text
        assert wall.meta.extractor == extract.EXTRACTOR_VERSION
        assert load_state(nightly_root / "state").extractor == extract.EXTRACTOR_VERSION

        # Night 4: nothing left to re-baseline; both pages are asked conditionally.
        _, report, output = run_check(capsys, nightly_root, server.base_url)
        assert _codes(report) == []
        assert "extractor changed" not in output
        page_requests = [r for r in server.requests if r.target == "/privacy"]
        assert page_requests[-1].headers.get("if-none-match") == '"v1"'


def test_an_extractor_that_reads_a_page_alike_still_records_itself_in_its_snapshot() -> None:
    text = "Privacy\nOpt out of model training\n"
    previous = _snapshot(text)
    probed = _probed(b"<p>Privacy</p><p>Opt out of model training</p>", ["Privacy"])

    watched = watch_page(probed, previous, {}, now="t1", rebaseline=True, extractor="9+new")

    assert watched.change is None
    assert watched.snapshot is not None
    assert watched.snapshot.text == text
    assert watched.snapshot.meta.extractor == "9+new"
    # Without a re-baseline an unchanged text leaves the snapshot files alone.
    assert watch_page(probed, previous, {}, now="t1", extractor="9+new").snapshot is None


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
