"""Freshness: what the last check found for the links and labels a procedure shows, in one
line, and whether a watched page was read from the web archive's copy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from optout_watch.guide.label_checks import report_date
from optout_watch.guide.model import Freshness, GuideAction, GuideStep
from optout_watch.guide.words import WORDS, Lang, long_date, quoted
from optout_watch.report.people import ReportView


def freshness(
    steps: Sequence[GuideStep],
    action: GuideAction | None,
    report: ReportView | None,
    lang: Lang,
) -> Freshness | None:
    """What the report's check found for the links and labels a procedure shows in `lang`, in
    one line; None without a report. Says "up to date" only of what was checked and found:
    a link that was not checked, was turned away or failed, or a label missed, is named."""
    if report is None:
        return None
    w = WORDS[lang]
    shown = ([action.link] if action else []) + [link for step in steps for link in step.links]
    shown = list({link.url: link for link in shown}.values())
    if not shown:
        return Freshness("info", w["fresh_no_link"])
    day = report_date(report)
    problems: list[str] = []
    warning = False
    for link in shown:
        name = quoted(link.name, lang)
        reported = report.link(link.url)
        outcome = reported.outcome if reported is not None else None
        if reported is None:
            problems.append(w["fresh_p_unchecked"].format(link=name))
        elif outcome == "blocked":
            problems.append(w["fresh_p_blocked"].format(link=name))
        elif outcome == "error":
            problems.append(w["fresh_p_error"].format(link=name))
            warning = True
        elif outcome == "broken":
            status = f" (HTTP {reported.status})" if reported.status else ""
            problems.append(w["fresh_p_broken"].format(link=name, status=status))
            warning = True
        elif outcome == "redirected":
            problems.append(w["fresh_p_moved"].format(link=name))
        if read := archive_reading(report, link.url, name, lang):
            problems.append(read)
    labels = [label for step in steps for label in step.labels]
    gone = [quoted(label.text, lang) for label in labels if label.check.missing_on is not None]
    unseen = [
        quoted(label.text, lang)
        for label in labels
        if label.check.watched and not label.check.seen and label.check.missing_on is None
    ]
    if gone:
        problems.append(w["fresh_p_label"].format(labels=", ".join(dict.fromkeys(gone))))
        warning = True
    if unseen:
        problems.append(w["fresh_p_unseen"].format(labels=", ".join(dict.fromkeys(unseen))))
    seen = [label.check.seen for label in labels]
    if problems:
        what = w["fresh_and"].join(dict.fromkeys(problems))
    elif seen and all(seen):
        what = w["fresh_all"]
    elif any(seen):
        what = w["fresh_some"]
    else:
        what = w["fresh_links_only"]
    when = long_date(day, lang) if day else report.started_at
    text = w["fresh_line"].format(date=when, what=what)
    return Freshness("warning" if warning else "info" if problems else "ok", text)


#: A page read from the web archive's copy (kept beside the one function using it).
_ARCHIVE_READING: dict[Lang, str] = {
    "fr": "les libellés de {link} ont été vérifiés sur la copie qu’en garde la Wayback Machine, "
    "datée du {date}",
    "en": "the labels of {link} were checked on the Wayback Machine's copy of {date}",
}


def archive_reading(report: ReportView, url: str, name: str, lang: Lang) -> str | None:
    """How the last check read the watched page `url` (named `name`), when the guide must say
    it: from the web archive's copy, and of which day. None for a page read live or in the
    browser (a page not read at all has its link's words), or a report that does not say."""
    page = report.page(url)
    archived = page.archive.archived if page is not None and page.archive is not None else None
    if page is None or page.read_from != "archive" or archived is None:
        return None
    day = long_date(dt.date.fromisoformat(archived.date), lang)
    return _ARCHIVE_READING[lang].format(link=name, date=day)
