"""The Wayback Machine's three public addresses: the copy closest to a moment (availability),
every distinct copy since a year (CDX), and a copy as the site served it (`id_`).

The addresses are the archive's own, so that `--remap` points them at a mirror or a test
server like any other URL. Parsing is pure and apart from the I/O; the I/O goes through the
project's one fetcher, whose per-host limit keeps it polite to the archive (one host).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from optout_watch.errors import OptoutWatchError
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.model import FetchRequest, FetchResult, FetchSettings
from optout_watch.fetching.remap import Remap, apply_remaps, remapped_hosts
from optout_watch.settings import Settings

AVAILABILITY_ENDPOINT = "https://archive.org/wayback/available"
CDX_ENDPOINT = "https://web.archive.org/cdx/search/cdx"
COPY_PREFIX = "https://web.archive.org/web/"
_TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"
#: Query values keep the URL readable (scheme and path) but never split the query.
_URL_SAFE = ":/"


class ArchiveError(OptoutWatchError):
    """The archive could not be asked, or answered something that cannot be read; the
    message names the address asked."""


@dataclass(frozen=True, slots=True)
class ArchivedCopy:
    """One copy the archive keeps of a page."""

    #: When the archive took it, as the archive writes it: `YYYYMMDDhhmmss`, UTC.
    timestamp: str
    #: The page's URL as the archive recorded it.
    original: str
    #: The archive's hash of the copy's content (CDX only): equal digests, equal copies.
    digest: str | None = None
    #: The status the site answered when the copy was taken (availability only; CDX is
    #: asked for 200s alone). A copy of a bot wall is read and judged like the wall itself.
    status: int | None = None

    @property
    def moment(self) -> dt.datetime:
        return moment_of(self.timestamp)

    @property
    def iso(self) -> str:
        """`2026-11-30T04:15:12Z`, the form the run's timestamps take."""
        return self.moment.isoformat().replace("+00:00", "Z")

    @property
    def day(self) -> str:
        return self.moment.date().isoformat()

    @property
    def long_day(self) -> str:
        """`30 November 2026`, as sentences for people write it."""
        day = self.moment.date()
        return f"{day.day} {day:%B %Y}"

    @property
    def raw_url(self) -> str:
        return raw_copy_url(self.timestamp, self.original)

    @property
    def view_url(self) -> str:
        """The copy as people browse it, with the archive's toolbar."""
        return f"{COPY_PREFIX}{self.timestamp}/{self.original}"

    @property
    def usable_status(self) -> bool:
        """The site answered the archive's crawler with the page, not an error."""
        return self.status is None or self.status < 400


# --- addresses and parsing (pure) --------------------------------------------------------------


def timestamp_of(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime(_TIMESTAMP_FORMAT)


def moment_of(timestamp: str) -> dt.datetime:
    """Raises ValueError for anything but 14 digits of a real moment."""
    if len(timestamp) != 14 or not timestamp.isdigit():
        raise ValueError(f"not an archive timestamp (YYYYMMDDhhmmss): {timestamp!r}")
    return dt.datetime.strptime(timestamp, _TIMESTAMP_FORMAT).replace(tzinfo=dt.UTC)


def availability_url(url: str, at: dt.datetime) -> str:
    return f"{AVAILABILITY_ENDPOINT}?url={quote(url, safe=_URL_SAFE)}&timestamp={timestamp_of(at)}"


def cdx_url(url: str, since_year: int) -> str:
    return (
        f"{CDX_ENDPOINT}?url={quote(url, safe=_URL_SAFE)}&output=json"
        f"&fl=timestamp,original,statuscode,digest&filter=statuscode:200&collapse=digest"
        f"&from={since_year:04d}"
    )


def raw_copy_url(timestamp: str, original: str) -> str:
    """The copy as the site served it: no toolbar, no rewritten links."""
    return f"{COPY_PREFIX}{timestamp}id_/{original}"


def fresh_enough(copy: ArchivedCopy, now: dt.datetime, max_age_days: int) -> bool:
    """Whether `copy` is recent enough to stand for the page as it is `now`."""
    return now - copy.moment <= dt.timedelta(days=max_age_days)


def _json(body: bytes, address: str) -> Any:
    try:
        return json.loads(body.decode("utf-8")) if body.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArchiveError(
            f"{address}: the archive's answer is not JSON ({error}); it may be overloaded, "
            "try again later"
        ) from None


def _malformed(address: str, what: str) -> ArchiveError:
    return ArchiveError(f"{address}: unexpected answer from the archive: {what}")


def _original_of(archive_url: str, timestamp: str, asked: str) -> str:
    """The page's URL inside an archive address (`…/web/<timestamp>/<original>`)."""
    marker = f"/web/{timestamp}/"
    _, found, original = archive_url.partition(marker)
    return original if found and original else asked


def parse_availability(body: bytes, asked: str, address: str) -> ArchivedCopy | None:
    """The closest copy of `asked` in an availability answer, whatever status the site
    answered then; None when the archive has none (an empty `archived_snapshots`, or a copy it
    says is not available)."""
    document = _json(body, address)
    if not isinstance(document, dict) or not isinstance(
        snapshots := document.get("archived_snapshots"), dict
    ):
        raise _malformed(address, 'no "archived_snapshots" object')
    closest = snapshots.get("closest")
    if closest is None:
        return None
    if not isinstance(closest, dict):
        raise _malformed(address, '"closest" is not an object')
    if closest.get("available") is False:
        return None
    status = str(closest.get("status", ""))
    timestamp = closest.get("timestamp")
    if not isinstance(timestamp, str):
        raise _malformed(address, '"closest" has no "timestamp"')
    try:
        moment_of(timestamp)
    except ValueError as error:
        raise _malformed(address, str(error)) from None
    archive_url = closest.get("url")
    original = (
        _original_of(archive_url, timestamp, asked) if isinstance(archive_url, str) else asked
    )
    return ArchivedCopy(timestamp, original, status=int(status) if status.isdigit() else None)


def parse_cdx(body: bytes, address: str) -> tuple[ArchivedCopy, ...]:
    """The copies of a CDX answer (`output=json`: a first row naming the fields), oldest first.
    An empty answer, or a header alone, means none."""
    rows = _json(body, address)
    if rows is None or rows == []:
        return ()
    if not isinstance(rows, list) or not all(
        isinstance(row, list) and all(isinstance(cell, str) for cell in row) for row in rows
    ):
        raise _malformed(address, "expected a JSON array of arrays of strings")
    header = rows[0]
    if "timestamp" not in header or "original" not in header:
        raise _malformed(address, f'the first row names no "timestamp" and "original": {header}')
    at = {name: index for index, name in enumerate(header)}
    copies = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise _malformed(address, f"row {number} has {len(row)} fields, not {len(header)}")
        try:
            moment_of(row[at["timestamp"]])
        except ValueError as error:
            raise _malformed(address, f"row {number}: {error}") from None
        digest = row[at["digest"]] if "digest" in at else None
        copies.append(ArchivedCopy(row[at["timestamp"]], row[at["original"]], digest))
    return tuple(sorted(copies, key=lambda copy: copy.timestamp))


# --- I/O --------------------------------------------------------------------------------------


def archive_fetch_settings(settings: Settings) -> FetchSettings:
    """The fetcher's settings for the archive: the user's, with the archive's longer timeout
    (and a deadline that leaves room for retries at that pace)."""
    return FetchSettings(
        timeout=settings.archive_timeout,
        deadline=3 * settings.archive_timeout,
        retries=settings.retries,
        max_concurrency=settings.max_concurrency,
        per_host=settings.per_host,
        user_agent=settings.user_agent,
    )


def archive_hosts(remaps: Sequence[Remap]) -> frozenset[str]:
    """The hosts `--remap` sends the archive's addresses to (for the address policy)."""
    return remapped_hosts((AVAILABILITY_ENDPOINT, CDX_ENDPOINT, COPY_PREFIX), remaps)


class Wayback:
    """Asks the archive through `fetcher`, each address remapped by `remaps`."""

    def __init__(self, fetcher: Fetcher, remaps: Sequence[Remap] = ()) -> None:
        self._fetcher = fetcher
        self._remaps = remaps

    async def closest(self, url: str, at: dt.datetime) -> ArchivedCopy | None:
        """The copy of `url` closest to `at`, or None when the archive has none."""
        address = availability_url(url, at)
        return parse_availability(await self._answer(address), url, address)

    async def copies(self, url: str, since: dt.date) -> tuple[ArchivedCopy, ...]:
        """Every distinct copy of `url` taken on `since` or later, oldest first."""
        address = cdx_url(url, since.year)
        found = parse_cdx(await self._answer(address), address)
        return tuple(copy for copy in found if copy.moment.date() >= since)

    async def read(
        self,
        copies: Sequence[ArchivedCopy],
        on_result: Callable[[FetchResult], None] | None = None,
    ) -> list[FetchResult]:
        """Each copy as the site served it, in order; a failure is the result's `error`."""
        requests = [FetchRequest(apply_remaps(copy.raw_url, self._remaps)) for copy in copies]
        return await self._fetcher.fetch_all(requests, on_result=on_result)

    async def _answer(self, address: str) -> bytes:
        result = await self._fetcher.fetch(FetchRequest(apply_remaps(address, self._remaps)))
        if result.error is not None:
            raise ArchiveError(f"{address}: the archive could not be asked: {result.error.message}")
        if result.status != 200:
            raise ArchiveError(f"{address}: the archive answered {result.status}; try again later")
        return result.body
