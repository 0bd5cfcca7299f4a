"""Beside each label, the guide says whether it is checked automatically and when the official
page last showed it: the catalogue's decision (`catalogue.coverage`) and the report's
sightings, looked up by label."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from optout_watch.catalogue.coverage import label_decisions
from optout_watch.catalogue.models import Platform
from optout_watch.guide.words import WORDS, Lang, long_date, quoted
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
    #: The day of the report's check in which a watched page no longer showed it.
    missing_on: dt.date | None = None
    #: The wording the check found in its place, if any.
    suggestion: str | None = None
    #: A watched page showed it at the report's check.
    present: bool = False

    @property
    def seen(self) -> bool:
        """Verified: a watched page showed it and the last check did not miss it."""
        return (self.present or self.last_seen is not None) and self.missing_on is None


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
        states = [
            label
            for page in pages
            if page is not None and page.checked
            for label in page.labels
            if match_key(label.label) == key
        ]
        missing = [label for label in states if label.state == "missing"]
        suggestion = next((m.suggestions[0].text for m in missing if m.suggestions), None)
        checks[(decision.lang, key)] = LabelStatus(
            decision.watched,
            last,
            report is not None,
            report_date(report) if missing and report is not None else None,
            suggestion,
            any(label.state == "present" for label in states),
        )
    return checks


def report_date(report: ReportView) -> dt.date | None:
    """The day of the report's check; None when its timestamp does not parse."""
    try:
        return dt.datetime.fromisoformat(report.started_at).date()
    except ValueError:
        return None


def check_of(checks: LabelStatuses, lang: str, label: str) -> LabelStatus:
    return checks.get((lang, match_key(label)), NOT_WATCHED)


def check_text(check: LabelStatus, lang: Lang) -> str:
    """`seen on the official page`, `not found on the help page when checked on …`, or
    `not checked automatically`: a label is called verified only when a page showed it."""
    w = WORDS[lang]
    if not check.watched:
        return w["label_unchecked"]
    if check.missing_on is not None:
        date = long_date(check.missing_on, lang)
        if check.suggestion:
            return w["label_gone_suggestion"].format(
                date=date, suggestion=quoted(check.suggestion, lang)
            )
        return w["label_gone"].format(date=date)
    if check.seen:
        return w["label_seen_plain"]
    return w["label_unseen"] if check.reported else w["label_checked"]
