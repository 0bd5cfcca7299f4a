"""`optout-watch probe` as a user runs it, over loopback."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from optout_watch.cli import main
from optout_watch.cli.progress import progress
from tests.support.loopback import Loopback
from tests.support.nightly import CHALLENGE, NOT_FOUND, OK, help_page


def _probe(nightly_root: Path, url: str, *extra: str) -> int:
    return main(
        [
            "probe", "--catalogue", str(nightly_root / "catalogue"), "--retries", "0",
            "--remap", rf"^https://help\.example\.org/ {url}/", *extra,
        ]
    )  # fmt: skip


def test_a_broken_link_exits_1_and_reports_the_catalogue_url(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        server = net.server()
        server.route("/privacy", help_page())
        server.route("/form", NOT_FOUND)
        server.route("/wall", OK)
        server.route("/source", OK)
        code = _probe(nightly_root, server.base_url, "--format", "json", "-o", "probe.json", "-q")
    assert code == 1
    report = json.loads((nightly_root / "probe.json").read_text())
    broken = [link for link in report["links"] if link["outcome"] == "broken"]
    assert [link["url"] for link in broken] == ["https://help.example.org/form"]
    assert broken[0]["fetched_url"] == f"{server.base_url}/form"
    assert broken[0]["uses"][0]["file"] == "catalogue/example-chat.yaml"
    assert report["pages"] == []  # probing does not watch
    assert not (nightly_root / "state").exists()  # and remembers nothing
    assert capsys.readouterr().out == ""


def test_a_blocked_link_alone_exits_0(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        server = net.server(default=OK)
        server.route("/wall", CHALLENGE)
        code = _probe(nightly_root, server.base_url, "--format", "text", "-q")
    assert code == 0
    out = capsys.readouterr().out
    assert "link-blocked" in out
    assert "help.example.org/wall" in out


def test_verbose_prints_each_url(nightly_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Loopback() as net:
        server = net.server(default=OK)
        code = _probe(nightly_root, server.base_url, "-v", "--format", "markdown")
    captured = capsys.readouterr()
    assert code == 0
    assert f"200 {server.base_url}/form (" in captured.err
    assert captured.out.startswith("# optout-watch report")


def test_bad_remap_is_a_usage_error(nightly_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _probe(nightly_root, "http://127.0.0.1:9", "--remap", "([ x") == 2
    assert "invalid regular expression" in capsys.readouterr().err


def test_connection_refused_everywhere_is_an_outage(
    nightly_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        url = net.server().base_url
    assert _probe(nightly_root, url, "-q") == 2


def test_plain_progress_prints_a_few_lines() -> None:
    stream = io.StringIO()
    with progress(20, stream, label="fetching") as advance:
        for _ in range(20):
            advance()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "fetching: 2/20"
    assert lines[-1] == "fetching: 20/20"
    assert len(lines) == 10
