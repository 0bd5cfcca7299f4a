"""`backtest`: a watched page's history replayed through the nightly's steps, from the web
archive (a loopback fake reached through --remap) and from an Open Terms Archive snapshots
repository (a git repository made here)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from optout_watch.cli import main
from tests.support.catalogue import WriteFile, valid_platform
from tests.support.fake_archive import FakeArchive
from tests.support.loopback import Loopback

URL = "https://help.example.com/articles/1-privacy"
OTA_PATH = "Example Chat/Privacy Policy.html"


def _copy(month: int) -> str:
    """The page in month `month` of 2026: « Data Controls » renamed « Data & Privacy
    Controls » in August, a layout without the article in October, a date that changes every
    month."""
    label = "Data Controls" if month < 8 else "Data &amp; Privacy Controls"
    body = (
        f"<h1>Your data</h1><p>Open Settings, then:</p><h2>{label}</h2><p>How we train.</p>"
        "<p>Turn off Chat history.</p><p>More about training.</p>"
        f"<p>Last updated: 2026-{month:02d}-01</p>"
    )
    container = "div" if month == 10 else "article"
    return f"<html><body><nav>Data Controls</nav><{container}>{body}</{container}></body></html>"


@pytest.fixture
def catalogue(run_folder: Path, write_catalogue_file: WriteFile) -> Path:
    data = valid_platform()
    data["links"][0]["watch"] = {"select": "article", "expect": ["Data Controls", "Chat history"]}
    write_catalogue_file(data)
    return run_folder


def _check_history(page: dict[str, Any]) -> None:
    assert page["url"] == URL
    assert page["copies"] == 12
    assert (page["first_copy"], page["last_copy"]) == (
        "2026-01-01T00:00:00Z",
        "2026-12-01T00:00:00Z",
    )
    assert (page["read"], page["selector_matched"]) == (12, 11)
    assert page["unchecked"] == [
        {
            "date": "2026-10-01T00:00:00Z",
            "why": "the page's layout changed: selector 'article' matched nothing",
        }
    ]
    # Every copy read after the first changed (its date), October's was not read.
    assert page["text_changes"] == 10
    assert page["labels"] == [
        {
            "label": "Data Controls",
            "first_seen": "2026-01-01T00:00:00Z",
            "last_seen": "2026-07-01T00:00:00Z",
        },
        {
            "label": "Chat history",
            "first_seen": "2026-01-01T00:00:00Z",
            "last_seen": "2026-12-01T00:00:00Z",
        },
    ]
    [rename] = page["renames"]
    assert (rename["label"], rename["date"]) == ("Data Controls", "2026-08-01T00:00:00Z")
    assert rename["suggestions"][0]["text"] == "Data & Privacy Controls"
    assert rename["suggestions"][0]["why"] == "replaced the label's line"


def test_twelve_archived_copies_with_a_label_renamed_at_the_eighth(
    catalogue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Loopback() as net:
        archive = FakeArchive(net)
        archive.add(URL, "20251201000000", _copy(1))  # before --since: not replayed
        for month in range(1, 13):
            archive.add(URL, f"2026{month:02d}01000000", _copy(month))
        since = ["--since", "2026-01-01"]
        code = main(
            ["backtest", "example-chat", *since, "--remap", archive.remap, "--format", "json"]
        )
        most_at_once = archive.server.max_in_flight
        copies_fetched = archive.requests_to("/web.archive.org/web/")

    assert code == 0
    [page] = json.loads(capsys.readouterr().out)
    _check_history(page)
    assert page["source"] == "the web archive"
    assert copies_fetched == 12
    assert most_at_once <= 2  # the fetcher's per-host limit, to the one archive host


def test_the_text_report(catalogue: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Loopback() as net:
        archive = FakeArchive(net)
        for month in range(1, 13):
            archive.add(URL, f"2026{month:02d}01000000", _copy(month))
        code = main(["backtest", URL, "--since", "2026-01-01", "--remap", archive.remap, "-q"])

    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[:7] == [
        f"{URL} (example-chat)",
        "  12 copies in the web archive from 2026-01-01 to 2026-12-01; 12 read",
        "  select 'article' matched on 11 of 12 (92%)",
        "  text changed 10 times",
        "  « Data Controls »: first seen 2026-01-01, last seen 2026-07-01",
        "  « Chat history »: first seen 2026-01-01, last seen 2026-12-01",
        "  renamed on 2026-08-01: « Data Controls » → « Data & Privacy Controls » (0.72, "
        "replaced the label's line)",
    ]


def _git(repository: Path, *arguments: str, date: str = "2026-01-01T00:00:00Z") -> None:
    environment = {
        **os.environ,
        "GIT_AUTHOR_NAME": "OTA",
        "GIT_AUTHOR_EMAIL": "ota@example.org",
        "GIT_COMMITTER_NAME": "OTA",
        "GIT_COMMITTER_EMAIL": "ota@example.org",
        "GIT_AUTHOR_DATE": date,
        # The crawl's commits are made later than the snapshots were taken.
        "GIT_COMMITTER_DATE": "2027-01-15T00:00:00Z",
    }
    subprocess.run(
        ["git", "-C", str(repository), *arguments], check=True, capture_output=True,
        env=environment,
    )  # fmt: skip


def _ota_repository(folder: Path) -> Path:
    repository = folder / "genai-snapshots"
    repository.mkdir()
    _git(repository, "init", "-q")
    page = repository / OTA_PATH
    page.parent.mkdir()
    other = repository / "Example Chat" / "Terms of Service.html"
    for month in range(1, 13):
        date = f"2026-{month:02d}-01T00:00:00+00:00"
        page.write_text(_copy(month), encoding="utf-8")
        _git(repository, "add", ".")
        _git(repository, "commit", "-q", "-m", f"Record Privacy Policy {month}", date=date)
        other.write_text(f"<p>terms {month}</p>", encoding="utf-8")
        _git(repository, "add", ".")
        _git(repository, "commit", "-q", "-m", "Record Terms of Service", date=date)
    return repository


def test_twelve_copies_in_an_open_terms_archive_repository(
    catalogue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repository = _ota_repository(catalogue)

    source = ["--source", f"ota:{repository}", "--ota-path", OTA_PATH]
    code = main(["backtest", "example-chat", *source, "--format", "json", "--since", "2026-01-01"])

    assert code == 0
    [page] = json.loads(capsys.readouterr().out)
    _check_history(page)
    assert page["source"] == str(repository)


def test_an_ota_path_without_history_is_a_usage_error(
    catalogue: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repository = _ota_repository(catalogue)

    code = main(
        ["backtest", "example-chat", "--source", f"ota:{repository}", "--ota-path", "x.html"]
    )

    assert code == 2
    assert f"{repository}: no history of x.html; check --ota-path" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["nobody"], "nobody: no watched page of that platform or URL in catalogue"),
        (["--since", "last year"], "--since 'last year': expected a date such as 2026-01-31"),
        (["--source", "svn"], "--source 'svn': expected wayback or ota:PATH"),
        (["--source", "ota:x"], "--source ota:PATH replays one page: name it"),
    ],
)
def test_usage_errors_say_what_to_write(
    catalogue: Path, capsys: pytest.CaptureFixture[str], arguments: list[str], fragment: str
) -> None:
    assert main(["backtest", *arguments, "--remap", "^https://(.*) http://127.0.0.1:9/"]) == 2
    assert fragment in capsys.readouterr().err
