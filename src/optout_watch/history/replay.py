"""Copies of a watched page, oldest first → what the nightly would have seen on each: the
same judge, extraction, diff and label logic (`run.watch.watch_page`), one copy standing for
one night. Pure: the copies are fetched or read by the caller."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from optout_watch.catalogue.targets import Target
from optout_watch.fetching.judge import judge
from optout_watch.fetching.model import FetchResult, Validators
from optout_watch.pages.labels import LabelSighting, LabelState, Suggestion
from optout_watch.run.probe import Probed
from optout_watch.run.watch import watch_page
from optout_watch.storage.snapshots import Snapshot


@dataclass(frozen=True, slots=True)
class PageCopy:
    """One copy of a page: when it was taken, where it came from, and what it held."""

    #: ISO timestamp, `2026-11-30T04:15:12Z`.
    taken_at: str
    #: The archive's address of the copy, or the commit holding it.
    source: str
    result: FetchResult


@dataclass(frozen=True, slots=True)
class ReportedRename:
    """A label the nightly would have reported missing, on the copy where it went."""

    label: str
    taken_at: str
    #: The likely new wordings, strongest evidence first (as the nightly ranks them).
    suggestions: tuple[Suggestion, ...]


@dataclass(frozen=True, slots=True)
class Unchecked:
    """A copy the nightly would not have checked: unreadable, or `select` matched nothing."""

    taken_at: str
    why: str


@dataclass(frozen=True, slots=True)
class PageHistory:
    url: str
    copies: int
    #: Copies that could be read (the judge let them through).
    read: int
    #: Read copies on which `select` matched (all read copies for a page without `select`).
    selector_matched: int
    text_changes: int
    labels: tuple[LabelSighting, ...]
    renames: tuple[ReportedRename, ...]
    unchecked: tuple[Unchecked, ...]
    first_copy: str | None
    last_copy: str | None

    @property
    def selector_share(self) -> float:
        return self.selector_matched / self.read if self.read else 0.0


def stored_copy(url: str, body: bytes) -> FetchResult:
    """A copy kept as a file (an Open Terms Archive snapshot) as if the site had served it."""
    return FetchResult(
        url=url,
        final_url=url,
        status=200,
        headers={"content-type": "text/html"},
        body=body,
        truncated=False,
        redirects=(),
        attempts=0,
        elapsed_ms=0,
        error=None,
        validators=Validators(),
    )


class Replay:
    """A page's history, one copy at a time (oldest first), so that only the last text is
    held, never every copy: each copy is read as the nightly would have read it after the one
    before. A label is reported renamed on the first copy where the nightly would have said it
    is missing (with that copy's suggestions), and again only after it came back."""

    def __init__(self, target: Target) -> None:
        assert target.watch is not None, "only a watched page has a history to replay"
        self._target = target
        self._previous: Snapshot | None = None
        self._sightings: Mapping[str, LabelSighting] = {}
        self._missing: set[str] = set()
        self._renames: list[ReportedRename] = []
        self._unchecked: list[Unchecked] = []
        self._count = self._read = self._matched = self._changes = 0
        self._first: str | None = None
        self._last: str | None = None

    def add(self, copy: PageCopy) -> None:
        self._count += 1
        self._first = self._first or copy.taken_at
        self._last = copy.taken_at
        verdict = judge(copy.result, sign_in_expected=self._target.sign_in_expected)
        probed = Probed(self._target, copy.source, copy.result, verdict)
        page = watch_page(probed, self._previous, self._sightings, now=copy.taken_at, propose=False)
        if not page.checked:
            self._read += page.selector_failed
            self._unchecked.append(Unchecked(copy.taken_at, page.error or verdict.reason))
            return
        self._read += 1
        self._matched += 1
        self._changes += page.changed
        self._previous = page.snapshot or self._previous
        self._sightings = page.sightings
        for check in page.labels:
            result = check.result
            if result.state is LabelState.MISSING and result.label not in self._missing:
                self._missing.add(result.label)
                self._renames.append(
                    ReportedRename(result.label, copy.taken_at, result.suggestions)
                )
            elif result.state is LabelState.PRESENT:
                self._missing.discard(result.label)

    def history(self) -> PageHistory:
        assert self._target.watch is not None
        labels = tuple(
            self._sightings.get(label.text) or LabelSighting(label.text, None, None)
            for label in self._target.watch.expect
        )
        return PageHistory(
            url=self._target.url,
            copies=self._count,
            read=self._read,
            selector_matched=self._matched,
            text_changes=self._changes,
            labels=labels,
            renames=tuple(self._renames),
            unchecked=tuple(self._unchecked),
            first_copy=self._first,
            last_copy=self._last,
        )


def replay(target: Target, copies: Iterable[PageCopy]) -> PageHistory:
    """The history of `target` (a watched page) over `copies`, oldest first (see `Replay`)."""
    replaying = Replay(target)
    for copy in copies:
        replaying.add(copy)
    return replaying.history()
