"""The web archive's client: its answers parsed (empty, malformed), and its three addresses
asked over loopback through a remap rule."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import replace
from pathlib import Path

import pytest

from optout_watch.archive.fallback import Fallback, archived_stand_in
from optout_watch.archive.wayback import (
    ArchivedCopy,
    ArchiveError,
    Wayback,
    archive_fetch_settings,
    archive_hosts,
    availability_url,
    cdx_url,
    fresh_enough,
    parse_availability,
    parse_cdx,
    raw_copy_url,
)
from optout_watch.fetching.addresses import AddressPolicy
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.remap import parse_remap
from optout_watch.settings import load_settings
from tests.support.fake_archive import FakeArchive
from tests.support.loopback import Loopback, Reply

PAGE = "https://help.example.com/articles/1-privacy"
ASKED = "https://archive.org/wayback/available?url=x"


def test_the_addresses_are_the_archives_own() -> None:
    at = dt.datetime(2026, 11, 30, 4, 15, 12, tzinfo=dt.UTC)
    assert availability_url(PAGE + "?hl=fr", at) == (
        "https://archive.org/wayback/available?url=https://help.example.com/articles/"
        "1-privacy%3Fhl%3Dfr&timestamp=20261130041512"
    )
    assert cdx_url(PAGE, 2025) == (
        "https://web.archive.org/cdx/search/cdx?url=https://help.example.com/articles/1-privacy"
        "&output=json&fl=timestamp,original,statuscode,digest&filter=statuscode:200"
        "&collapse=digest&from=2025"
    )
    assert raw_copy_url("20261130041512", PAGE) == (
        "https://web.archive.org/web/20261130041512id_/" + PAGE
    )


def test_availability_gives_the_closest_copy_and_its_date() -> None:
    body = json.dumps(
        {
            "archived_snapshots": {
                "closest": {
                    "available": True,
                    "status": "200",
                    "timestamp": "20261130041512",
                    "url": f"http://web.archive.org/web/20261130041512/{PAGE}",
                }
            }
        }
    ).encode()
    copy = parse_availability(body, "https://other.example/", ASKED)
    assert copy == ArchivedCopy("20261130041512", PAGE, status=200)
    assert copy.iso == "2026-11-30T04:15:12Z"
    assert copy.day == "2026-11-30"


@pytest.mark.parametrize(
    "body",
    [
        b'{"url": "x", "archived_snapshots": {}}',
        b'{"archived_snapshots": {"closest": {"available": false, "timestamp": "20261130041512"}}}',
    ],
)
def test_no_copy_is_none(body: bytes) -> None:
    assert parse_availability(body, PAGE, ASKED) is None


def test_a_copy_of_a_wall_is_a_copy_with_its_status() -> None:
    body = b'{"archived_snapshots": {"closest": {"status": "403", "timestamp": "20261130041512"}}}'
    assert parse_availability(body, PAGE, ASKED) == ArchivedCopy("20261130041512", PAGE, status=403)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"<html>Service Unavailable</html>", "the archive's answer is not JSON"),
        (b'{"archived_snapshots": [] }', 'no "archived_snapshots" object'),
        (b'{"archived_snapshots": {"closest": {"timestamp": "yesterday"}}}', "not an archive"),
        (b"\xff\xfe", "not JSON"),
    ],
)
def test_a_malformed_availability_answer_is_a_clean_error(body: bytes, fragment: str) -> None:
    with pytest.raises(ArchiveError) as raised:
        parse_availability(body, PAGE, ASKED)
    assert fragment in str(raised.value)
    assert str(raised.value).startswith(ASKED + ": ")


def test_cdx_rows_are_named_by_the_first_and_sorted_oldest_first() -> None:
    body = json.dumps(
        [
            ["timestamp", "original", "statuscode", "digest"],
            ["20260301000000", PAGE, "200", "BBB"],
            ["20260101000000", PAGE, "200", "AAA"],
        ]
    ).encode()
    assert parse_cdx(body, "cdx") == (
        ArchivedCopy("20260101000000", PAGE, "AAA"),
        ArchivedCopy("20260301000000", PAGE, "BBB"),
    )


@pytest.mark.parametrize("body", [b"", b"  \n", b"[]", b'[["timestamp", "original"]]'])
def test_an_empty_cdx_answer_means_no_copy(body: bytes) -> None:
    assert parse_cdx(body, "cdx") == ()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"[[", "not JSON"),
        (b'{"rows": []}', "expected a JSON array of arrays of strings"),
        (b'[["digest"], ["AAA"]]', 'names no "timestamp" and "original"'),
        (b'[["timestamp", "original"], ["20260101000000"]]', "row 2 has 1 fields, not 2"),
        (b'[["timestamp", "original"], ["2026", "x"]]', "row 2: not an archive timestamp"),
    ],
)
def test_a_malformed_cdx_answer_is_a_clean_error(body: bytes, fragment: str) -> None:
    with pytest.raises(ArchiveError) as raised:
        parse_cdx(body, "https://web.archive.org/cdx/search/cdx?url=x")
    assert fragment in str(raised.value)


def test_a_copy_is_fresh_for_the_settings_days() -> None:
    copy = ArchivedCopy("20261101000000", PAGE)
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert fresh_enough(copy, now, 30)
    assert not fresh_enough(copy, now, 29)


def test_the_archive_has_its_own_timeout_and_age_settings(tmp_path: Path) -> None:
    settings = load_settings(
        None,
        cwd=tmp_path,
        environ={"OPTOUT_WATCH_ARCHIVE_TIMEOUT": "90", "OPTOUT_WATCH_ARCHIVE_MAX_AGE_DAYS": "7"},
    )
    assert archive_fetch_settings(settings).timeout == 90.0
    assert settings.archive_max_age_days == 7
    defaults = load_settings(None, cwd=tmp_path, environ={})
    assert (defaults.archive_timeout, defaults.archive_max_age_days) == (60.0, 30)


Copies = tuple[tuple[ArchivedCopy, ...], list[bytes]]


def _wayback(
    archive: FakeArchive, *, retries: int = 3
) -> Callable[[], AbstractAsyncContextManager[Wayback]]:
    remaps = (parse_remap(archive.remap),)
    settings = load_settings(None, cwd=Path("/"), environ={})
    fetch_settings = replace(
        archive_fetch_settings(settings), timeout=5, retries=retries, backoff_base=0
    )

    @asynccontextmanager
    async def open_wayback() -> AsyncIterator[Wayback]:
        policy = AddressPolicy(archive_hosts(remaps))
        async with Fetcher(fetch_settings, address_policy=policy) as fetcher:
            yield Wayback(fetcher, remaps)

    return open_wayback


def _closest(archive: FakeArchive, *, retries: int = 3) -> ArchivedCopy | None:
    async def go() -> ArchivedCopy | None:
        async with _wayback(archive, retries=retries)() as wayback:
            return await wayback.closest(PAGE, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))

    return asyncio.run(go())


def _copies(archive: FakeArchive) -> Copies:
    async def go() -> Copies:
        async with _wayback(archive)() as wayback:
            copies = await wayback.copies(PAGE, dt.date(2026, 2, 1))
            return copies, [result.body for result in await wayback.read(copies)]

    return asyncio.run(go())


def test_the_three_addresses_over_loopback_through_a_remap() -> None:
    with Loopback() as net:
        archive = FakeArchive(net)
        for month in (1, 3, 11):
            archive.add(PAGE, f"2026{month:02d}15000000", f"<p>copy of month {month}</p>")
        closest = _closest(archive)
        copies, bodies = _copies(archive)

    assert closest == ArchivedCopy("20261115000000", PAGE, status=200)
    assert [copy.day for copy in copies] == ["2026-03-15", "2026-11-15"]
    assert bodies == [b"<p>copy of month 3</p>", b"<p>copy of month 11</p>"]


def test_a_page_the_archive_never_kept() -> None:
    with Loopback() as net:
        archive = FakeArchive(net)
        assert _closest(archive) is None
        assert _copies(archive) == ((), [])


def test_an_archive_that_fails_is_an_error_naming_the_address() -> None:
    with Loopback() as net:
        archive = FakeArchive(net)
        archive.server.route("/archive.org/wayback/available", Reply(503))
        with pytest.raises(ArchiveError) as raised:
            _closest(archive, retries=0)
    assert str(raised.value).startswith("https://archive.org/wayback/available?url=")
    assert "the archive answered 503; try again later" in str(raised.value)


def _stand_in(archive: FakeArchive, max_age_days: int = 30) -> Fallback:
    async def go() -> Fallback:
        async with _wayback(archive)() as wayback:
            return await archived_stand_in(
                wayback,
                PAGE,
                now=dt.datetime(2026, 12, 6, tzinfo=dt.UTC),
                max_age_days=max_age_days,
            )

    return asyncio.run(go())


def test_the_freshest_copy_stands_in_for_a_page_not_read_live() -> None:
    with Loopback() as net:
        archive = FakeArchive(net)
        archive.add(PAGE, "20261001000000", "<p>October</p>")
        archive.add(PAGE, "20261130041512", "<p>November</p>")
        fallback = _stand_in(archive)
        too_old = _stand_in(archive, max_age_days=5)

    assert fallback.page is not None
    assert fallback.page.usable
    assert fallback.page.result.body == b"<p>November</p>"
    assert fallback.note == "seen in the web archive's copy of 30 November 2026"
    assert too_old.page is None
    assert too_old.note == (
        "the web archive's freshest copy is of 30 November 2026, older than 5 days"
    )


def test_an_archived_bot_wall_is_judged_like_a_live_one() -> None:
    wall = "<title>Just a moment...</title><div class='cf-turnstile'></div>"
    with Loopback() as net:
        archive = FakeArchive(net)
        archive.add(PAGE, "20261201000000", wall, status=403)
        fallback = _stand_in(archive)
        nothing = _stand_in(FakeArchive(net, "127.0.0.4"))

    assert fallback.page is not None
    assert not fallback.page.usable
    assert fallback.note.startswith("the web archive's copy of 1 December 2026 cannot be read: ")
    assert (nothing.page, nothing.note) == (None, "the web archive keeps no copy of the page")
