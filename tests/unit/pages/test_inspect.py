"""`inspect`: a page's watch: block proposed from the page itself, decoys and generated class
names left out; through `main` over loopback, live and from the archive's copies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from optout_watch.cli import main
from optout_watch.pages.extract import extract_text
from optout_watch.pages.inspect import Decoy, inspect_page, is_generated_name
from optout_watch.pages.labels import labels_in
from tests.support.fake_archive import FakeArchive
from tests.support.loopback import Loopback, Reply

URL = "https://help.example.com/articles/1-privacy"
LABELS = ["Data Controls", "Improve the model for everyone"]
HTML = {"Content-Type": "text/html; charset=utf-8"}

DECOYS = """<!doctype html><html><head><title>Privacy</title>
<script>window.__DATA__ = {"labels": ["Data Controls", "Improve the model for everyone"]}</script>
</head><body>
<div id="cookie-banner" class="consent-x8f3k2">We use cookies. <button>Accept</button></div>
<header class="site-header"><nav><ul><li><a href="/dc">Data Controls</a></li>
<li><a href="/">Home</a></li></ul></nav></header>
<div class="layout_abc12 css-1x2y3z">
<main class="content-x8f3k2">
<nav class="breadcrumb"><a>Help</a> › <a>Data Controls</a></nav>
<article class="Article_root__9fA2c">
<h1>How your data is used</h1>
<section class="sc-bdVaJa"><p>Open <b>Settings</b>, then <b>Data Controls</b>.</p></section>
<section class="Article_steps__3xK9a"><p>Turn off “Improve the model for everyone”.</p></section>
<aside class="related-articles"><h2>Related articles</h2><ul><li>Data Controls FAQ</li>
<li>Improve the model for everyone, explained</li></ul></aside>
<div class="feedback-widget">Was this helpful? <button>Yes</button><button>No</button></div>
</article>
</main>
</div>
<footer><p>Data Controls</p><p>© 2026 Example</p></footer>
</body></html>
"""


def test_a_page_full_of_decoys_gets_a_selector_keeping_the_labels_and_nothing_else() -> None:
    proposal = inspect_page(DECOYS, LABELS).proposal

    assert proposal is not None
    assert (proposal.select, proposal.remove) == (
        "article",
        (".related-articles", ".feedback-widget"),
    )
    kept = extract_text(DECOYS, select=proposal.select, remove=proposal.remove)
    assert kept == (
        "How your data is used\nOpen Settings, then Data Controls.\n"
        "Turn off “Improve the model for everyone”.\n"
    )
    for decoy in ("cookies", "Home", "Help", "Related articles", "FAQ", "helpful", "©"):
        assert decoy not in kept
    assert set(proposal.decoys) == {
        Decoy("Data Controls", "script"),
        Decoy("Improve the model for everyone", "script"),
        Decoy("Data Controls", "header.site-header"),
        Decoy("Data Controls", "nav.breadcrumb"),
        Decoy("Data Controls", "aside.related-articles", removed=True),
        Decoy("Improve the model for everyone", "aside.related-articles", removed=True),
        Decoy("Data Controls", "footer"),
    }
    assert proposal.share == pytest.approx(len(kept) / len(extract_text(DECOYS)))


@pytest.mark.parametrize(
    ("name", "generated"),
    [
        ("css-1x2y3z", True),
        ("Article_steps__3xK9a", True),
        ("layout_abc12", True),
        ("content-x8f3k2", True),
        ("sc-bdVaJa", True),
        (":r1:", True),
        ("section-48213", True),
        ("help-article", False),
        ("related-articles", False),
        ("col-12", False),
        ("h2", False),
        ("article-body", False),
    ],
)
def test_generated_names_are_told_from_written_ones(name: str, generated: bool) -> None:
    assert is_generated_name(name) is generated


def test_the_smallest_stably_named_container_wins() -> None:
    page = (
        '<main><div class="article-body"><p>Data Controls</p>'
        "<p>Improve the model for everyone</p></div><p>Other text of the page</p></main>"
    )
    proposal = inspect_page(page, LABELS).proposal
    assert proposal is not None
    assert proposal.select == ".article-body"


def test_a_label_only_a_script_holds_is_missing() -> None:
    inspection = inspect_page(
        '<main><p>Data Controls</p></main><script>"Improve the model for everyone"</script>',
        LABELS,
    )
    assert inspection.proposal is None
    assert inspection.missing == ("Improve the model for everyone",)


def test_labels_only_in_the_frame_have_no_container() -> None:
    inspection = inspect_page(
        "<nav><p>Data Controls</p></nav><main><p>Text</p></main>"
        "<footer><p>Improve the model for everyone</p></footer>",
        LABELS,
    )
    assert inspection.proposal is None
    assert inspection.missing == ()
    assert inspection.reason is not None
    assert "holds every label" in inspection.reason


def test_without_labels_the_smallest_landmark() -> None:
    proposal = inspect_page("<main><nav>x</nav><article><p>Body</p></article></main>", []).proposal
    assert proposal is not None
    assert proposal.select == "article"


@pytest.fixture
def site(run_folder: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A run folder, on 6 December 2026."""
    monkeypatch.setattr(
        "optout_watch.cli.inspect._now", lambda: dt.datetime(2026, 12, 6, tzinfo=dt.UTC)
    )
    return run_folder


def _remap(server_url: str) -> str:
    return rf"^https://help\.example\.com/ {server_url}/"


def test_inspect_reads_the_live_page_and_prints_a_block_to_paste(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        server = net.server("127.0.0.2")
        server.route("/articles/1-privacy", Reply(200, HTML, DECOYS.encode()))
        arguments = ["inspect", URL, "--remap", _remap(server.base_url), "--lang", "fr"]
        code = main([*arguments, "--expect", LABELS[0], "--expect", LABELS[1]])
        sent_language = server.requests[0].headers["accept-language"]

    out = capsys.readouterr().out
    assert code == 0
    assert sent_language == "fr"
    assert yaml.safe_load(out) == {
        "watch": {
            "select": "article",
            "remove": [".related-articles", ".feedback-widget"],
            "expect": LABELS,
        }
    }
    assert "# read live; keeps " in out
    assert "# left out: « Data Controls » in aside.related-articles (removed)\n" in out


def test_inspect_in_json(site: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Loopback() as net:
        server = net.server("127.0.0.2")
        server.route("/articles/1-privacy", Reply(200, HTML, DECOYS.encode()))
        arguments = ["inspect", URL, "--remap", _remap(server.base_url), "--format", "json"]
        code = main([*arguments, "--expect", LABELS[0]])

    document = json.loads(capsys.readouterr().out)
    assert code == 0
    assert document["watch"]["select"] == "article"
    assert document["read"] == "live"
    assert {"label": "Data Controls", "where": "footer", "removed": False} in document["decoys"]
    assert 0 < document["share"] < 1


def test_no_container_is_exit_1_and_says_why(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        server = net.server("127.0.0.2")
        server.route("/articles/1-privacy", Reply(200, HTML, b"<main><p>Settings</p></main>"))
        code = main(["inspect", URL, "--remap", _remap(server.base_url), "--expect", "Gone"])

    err = capsys.readouterr().err
    assert code == 1
    assert f"{URL} (read live): some labels are not visible anywhere" in err
    assert "not on the page: « Gone »" in err


def test_a_blocked_page_is_exit_2_pointing_to_the_archive(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wall = b"<title>Just a moment...</title><div class='cf-turnstile'></div>"
    with Loopback() as net:
        server = net.server("127.0.0.2")
        server.route("/articles/1-privacy", Reply(403, HTML, wall))
        code = main(["inspect", URL, "--remap", _remap(server.base_url), "--expect", "X"])

    err = capsys.readouterr().err
    assert code == 2
    assert f"optout-watch: {URL}: cannot be read (blocked)" in err
    assert "try `--archive`" in err


def test_from_the_archive_a_selector_that_changed_between_copies_is_not_proposed(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = (
        '<main><div class="help-body"><p>Data Controls</p></div>'
        '<aside class="related"><p>More on Data Controls</p></aside></main>'
    )
    before = '<main><div class="article-content"><p>Data Controls</p></div></main>'
    with Loopback() as net:
        archive = FakeArchive(net)
        for month in ("01", "03", "06"):
            archive.add(URL, f"2026{month}01000000", before)
        archive.add(URL, "20261201000000", now)
        code = main(
            ["inspect", URL, "--archive", "--remap", archive.remap, "--expect", "Data Controls"]
        )

    out = capsys.readouterr().out
    assert code == 0
    assert yaml.safe_load(out)["watch"] == {
        "select": "main",
        "remove": [".related"],
        "expect": ["Data Controls"],
    }
    assert "# read archive of 2026-12-01; " in out
    assert "# holds on 3 of 3 older archived copies; 2026-01-01: 1/1 labels" in out
    tightest = inspect_page(now, ["Data Controls"]).proposal
    assert tightest is not None
    assert tightest.select == ".help-body"  # what the live page alone would give


def test_a_page_the_archive_never_kept_is_exit_2(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        archive = FakeArchive(net)
        code = main(["inspect", URL, "--archive", "--remap", archive.remap])

    assert code == 2
    assert f"optout-watch: {URL}: the web archive keeps no copy of this page" in (
        capsys.readouterr().err
    )


def test_a_landmark_barely_larger_than_a_class_inside_it_wins() -> None:
    long_text = "Open Data Controls to choose what is kept. " * 5
    page = (
        f'<div class="article-survey-wrapper"><article><div class="cc"><p>{long_text}</p></div>'
        "<p>Fin</p></article></div>"
    )
    proposal = inspect_page(page, ["Data Controls"]).proposal
    assert proposal is not None
    assert proposal.select == "article"
    # The wrapper around the container holds the label too, and is no decoy.
    assert proposal.decoys == ()


def test_labels_in_finds_each_label_once_in_order() -> None:
    assert labels_in(
        "Open  DATA controls, then “Chat History”.", ["Chat history", "Data Controls", "Memory"]
    ) == (
        "Chat history",
        "Data Controls",
    )
