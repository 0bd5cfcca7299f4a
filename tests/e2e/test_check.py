"""`optout-watch check` end to end over loopback: streaks, confirmation, healing, outages,
and the state directory left whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from optout_watch.catalogue.targets import Target, Use
from optout_watch.fetching.failures import FetchErrorKind, Outcome
from optout_watch.fetching.judge import judge
from optout_watch.fetching.model import FetchError, FetchResult, Validators
from optout_watch.run.check import is_outage
from optout_watch.run.findings import link_drafts
from optout_watch.run.probe import Probed
from tests.support.loopback import Loopback, Server
from tests.support.nightly import (
    CHALLENGE,
    NOT_FOUND,
    OK,
    help_page,
    run_check,
)


def _serve_healthy(server: Server, **page: str) -> None:
    server.route("/privacy", help_page(**page))
    server.route("/form", OK)
    server.route("/wall", OK)
    server.route("/source", OK)


def _actionable(document: dict[str, Any]) -> list[tuple[str, bool]]:
    return [
        (f["code"], f["confirmed"])
        for f in document["findings"]
        if f["severity"] in ("error", "warning")
    ]


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_four_nights(
    nightly_root: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = nightly_root
    with Loopback() as net:
        server = net.server("127.0.0.1")
        url = server.base_url

        # Night 1: all healthy. The page's text becomes the baseline.
        _serve_healthy(server)
        code, report, _ = run_check(capsys, tmp_path, url)
        assert code == 0
        assert report["findings"] == []
        assert report["summary"]["outcomes"] == {"ok": 4}
        assert [lab["state"] for lab in report["pages"][0]["labels"]] == ["present", "present"]
        assert (tmp_path / "state" / "state.json").is_file()

        # Night 2: a 404, a renamed label (and a new date, which is ignored), a bot wall.
        server.route("/privacy", help_page(label="Improve the model for all users", date="2 May"))
        server.route("/form", NOT_FOUND)
        server.route("/wall", CHALLENGE)
        code, report, _ = run_check(capsys, tmp_path, url)
        assert code == 0
        assert sorted(_actionable(report)) == [
            ("label-missing", False),
            ("link-blocked", False),
            ("link-broken", False),
        ]
        label = report["pages"][0]["labels"][1]
        assert label["state"] == "missing"
        assert label["suggestions"][0]["text"] == "Improve the model for all users"
        assert "Last updated" not in report["pages"][0]["diff"]

        # Night 3: the same. The 404 and the label are confirmed; the wall is only blocked.
        summary_file = tmp_path / "summary.md"
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary_file))
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        code, report, output = run_check(capsys, tmp_path, url)
        assert code == 1
        assert sorted(_actionable(report)) == [
            ("label-missing", True),
            ("link-blocked", False),
            ("link-broken", True),
        ]
        wall = next(link for link in report["links"] if link["url"].endswith("/wall"))
        assert wall["outcome"] == "blocked"
        broken = next(f for f in report["findings"] if f["code"] == "link-broken")
        assert broken["streak"] == 2
        assert broken["file"] == "catalogue/example-chat.yaml"
        assert "::error file=catalogue/example-chat.yaml,line=" in output
        assert summary_file.read_text().strip()
        monkeypatch.delenv("GITHUB_STEP_SUMMARY")
        monkeypatch.delenv("GITHUB_ACTIONS")

        # Night 4: healed.
        _serve_healthy(server)
        code, report, _ = run_check(capsys, tmp_path, url)
        assert code == 0
        assert _actionable(report) == []
        assert [lab["state"] for lab in report["pages"][0]["labels"]] == ["present", "present"]


def test_an_outage_changes_nothing(nightly_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tmp_path = nightly_root
    with Loopback() as net:
        server = net.server("127.0.0.1")
        url = server.base_url
        _serve_healthy(server)
        assert run_check(capsys, tmp_path, url)[0] == 0
        server.route("/form", NOT_FOUND)
        assert run_check(capsys, tmp_path, url)[0] == 0  # a streak is under way
    before = _tree(tmp_path / "state")
    code, report, output = run_check(capsys, tmp_path, url)  # the servers are gone
    assert code == 2
    assert report["summary"]["outage"] is True
    assert "outage" in output
    assert _tree(tmp_path / "state") == before


def test_a_state_from_a_newer_version_is_refused(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = nightly_root / "state"
    state.mkdir()
    (state / "state.json").write_text('{"format_version": 99}\n')
    code, _, output = run_check(capsys, nightly_root, "http://127.0.0.1:9")
    assert code == 2
    assert "newer optout-watch" in output
    assert (state / "state.json").read_text() == '{"format_version": 99}\n'


def _probed_unknown_host(url: str, *, resolves: bool) -> Probed:
    target = Target(url, "en", (Use("p", "catalogue/p.yaml", 3, "help", "help"),), None, False)
    error = None if resolves else FetchError(FetchErrorKind.DNS, f"unknown host {url}")
    result = FetchResult(
        url=url, final_url=url, status=200 if resolves else None, headers={}, body=b"",
        truncated=False, redirects=(), attempts=1, elapsed_ms=1, error=error,
        validators=Validators(),
    )  # fmt: skip
    return Probed(target, url, result, judge(result))


def test_one_unknown_host_among_working_ones_is_a_broken_link_not_an_outage() -> None:
    probed = [_probed_unknown_host(f"https://h{n}.example.org/", resolves=n > 0) for n in range(5)]
    assert probed[0].verdict.outcome is Outcome.BROKEN
    assert is_outage(probed, 0.5) is False
    assert [d.code for d in link_drafts(probed)] == ["link-broken"]


def test_a_machine_without_dns_is_an_outage_not_every_link_broken() -> None:
    probed = [_probed_unknown_host(f"https://h{n}.example.org/", resolves=False) for n in range(5)]
    assert is_outage(probed, 0.5) is True
