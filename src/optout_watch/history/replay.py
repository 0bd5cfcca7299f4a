"""Copies of a watched page, oldest first → what the nightly would have seen on each: the
same judge, extraction, diff and label logic (`run.watch.watch_page`), one copy standing for
one night. Pure: the copies are fetched or read by the caller."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from optout_watch.catalogue.targets import Target
from optout_watch.fetching.fetch import FetchResult, Validators
from optout_watch.fetching.judge import judge
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


def replay(target: Target, copies: Iterable[PageCopy]) -> PageHistory:
    """Each copy in turn, as the nightly would have read it after the one before; `target`
    must be watched. A label is reported renamed on the first copy where the nightly would have
    said it is missing (with that copy's suggestions), and again only after it came back."""
    assert target.watch is not None, "only a watched page has a history to replay"
    previous: Snapshot | None = None
    sightings: Mapping[str, LabelSighting] = {}
    missing: set[str] = set()
    renames: list[ReportedRename] = []
    unchecked: list[Unchecked] = []
    count = read = matched = changes = 0
    first = last = None
    for copy in copies:
        count += 1
        first = first or copy.taken_at
        last = copy.taken_at
        verdict = judge(copy.result, sign_in_expected=target.sign_in_expected)
        probed = Probed(target, copy.source, copy.result, verdict)
        page = watch_page(probed, previous, sightings, now=copy.taken_at)
        if not page.checked:
            read += page.selector_failed
            unchecked.append(Unchecked(copy.taken_at, page.error or verdict.reason))
            continue
        read += 1
        matched += 1
        changes += page.changed
        previous = page.snapshot or previous
        sightings = page.sightings
        for check in page.labels:
            result = check.result
            if result.state is LabelState.MISSING and result.label not in missing:
                missing.add(result.label)
                renames.append(ReportedRename(result.label, copy.taken_at, result.suggestions))
            elif result.state is LabelState.PRESENT:
                missing.discard(result.label)
    labels = tuple(
        sightings.get(label.text) or LabelSighting(label.text, None, None)
        for label in target.watch.expect
    )
    return PageHistory(
        url=target.url,
        copies=count,
        read=read,
        selector_matched=matched,
        text_changes=changes,
        labels=labels,
        renames=tuple(renames),
        unchecked=tuple(unchecked),
        first_copy=first,
        last_copy=last,
    )
