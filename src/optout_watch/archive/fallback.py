"""The archive's copy standing in for a page the run could not read live: the freshest copy
no older than the settings allow, read and judged like the live page (a copy that is a bot
wall is no more readable than the wall itself)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from optout_watch.archive.wayback import ArchivedCopy, Wayback, fresh_enough
from optout_watch.fetching.failures import Outcome
from optout_watch.fetching.judge import Verdict, judge
from optout_watch.fetching.model import FetchResult

_READABLE = frozenset({Outcome.OK, Outcome.REDIRECTED})


@dataclass(frozen=True, slots=True)
class ArchivedPage:
    """An archived copy as read, and the judge's verdict on it."""

    copy: ArchivedCopy
    result: FetchResult
    verdict: Verdict

    @property
    def usable(self) -> bool:
        return self.verdict.outcome in _READABLE


@dataclass(frozen=True, slots=True)
class Fallback:
    """What the archive offers for one page: a copy (usable or not), or why there is none."""

    page: ArchivedPage | None
    #: One sentence for the report: which copy was read, or why none could stand in.
    note: str


async def archived_stand_in(
    wayback: Wayback,
    url: str,
    *,
    now: dt.datetime,
    max_age_days: int,
    sign_in_expected: bool = False,
) -> Fallback:
    """The freshest copy of `url` no older than `max_age_days`, read and judged. Raises
    ArchiveError when the archive cannot be asked (the caller reports the page as not read)."""
    copy = await wayback.closest(url, now)
    if copy is None:
        return Fallback(None, "the web archive keeps no copy of the page")
    if not fresh_enough(copy, now, max_age_days):
        return Fallback(
            None,
            f"the web archive's freshest copy is of {copy.long_day}, "
            f"older than {max_age_days} days",
        )
    [result] = await wayback.read([copy])
    verdict = judge(result, sign_in_expected=sign_in_expected)
    page = ArchivedPage(copy, result, verdict)
    if not page.usable:
        return Fallback(
            page, f"the web archive's copy of {copy.long_day} cannot be read: {verdict.reason}"
        )
    return Fallback(page, f"seen in the web archive's copy of {copy.long_day}")
