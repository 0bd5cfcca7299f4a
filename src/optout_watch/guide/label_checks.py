"""Beside each label, the guide says whether it is checked automatically and when the official
page last showed it: the catalogue's decision (`catalogue.coverage`) and the report's
sightings, looked up by label."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from optout_watch.catalogue.coverage import label_decisions
from optout_watch.catalogue.models import Platform
from optout_watch.guide.words import WORDS, Lang, long_date
from optout_watch.pages.extract import match_key
from optout_watch.report.people import ReportView


@dataclass(frozen=True, slots=True)
class LabelStatus:
    #: A watched page of the label's language expects it.
    watched: bool = False
    #: When such a page last showed it; None when never, or without a report.
    last_seen: dt.date | None = None
    #: The guide was built with a report (so "not seen yet" can be said).
    reported: bool = False


NOT_WATCHED = LabelStatus()
LabelStatuses = Mapping[tuple[str, str], LabelStatus]


def label_checks(
    platform: Platform, report: ReportView | None
) -> dict[tuple[str, str], LabelStatus]:
    """(language, match key of the label) -> how the label is checked."""
    urls = {link.id: link.url for link in platform.links}
    checks: dict[tuple[str, str], LabelStatus] = {}
    for decision in label_decisions(platform):
        key = match_key(decision.label)
        pages = [report.page(urls[i]) for i in decision.watched_by] if report is not None else []
        sightings = [
            label.last_seen
            for page in pages
            if page is not None
            for label in page.labels
            if label.last_seen and match_key(label.label) == key
        ]
        last = dt.date.fromisoformat(max(sightings)[:10]) if sightings else None
        checks[(decision.lang, key)] = LabelStatus(decision.watched, last, report is not None)
    return checks


def check_of(checks: LabelStatuses, lang: str, label: str) -> LabelStatus:
    return checks.get((lang, match_key(label)), NOT_WATCHED)


def check_text(check: LabelStatus, lang: Lang) -> str:
    """`checked every night, seen on 6 December 2026`, or `not checked automatically`."""
    w = WORDS[lang]
    if not check.watched:
        return w["label_unchecked"]
    if check.last_seen is not None:
        return w["label_seen"].format(date=long_date(check.last_seen, lang))
    return w["label_unseen"] if check.reported else w["label_checked"]
