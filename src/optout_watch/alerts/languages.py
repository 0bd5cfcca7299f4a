"""The two languages of one help article: a label renamed on one language's page while the
other language's page of the same platform still shows all its labels is worth a line of its
own in the issue, since help centres translate with a lag of weeks."""

from __future__ import annotations

from optout_watch.kinds import Code
from optout_watch.report.read import ReportedFinding, ReportedPage, ReportView
from optout_watch.report.safe_markdown import autolink

LANGUAGE_NAMES = {"fr": "French", "en": "English"}


def _language(page: ReportedPage) -> str | None:
    return page.lang.split("-", 1)[0] if page.lang else None


def _name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, f"“{lang}”")


def _shows_all_its_labels(page: ReportedPage) -> bool:
    return page.checked and bool(page.labels) and all(x.state == "present" for x in page.labels)


def language_lag_line(finding: ReportedFinding, report: ReportView) -> str | None:
    """`- The French page … still shows all its labels …` for a label gone from a page whose
    platform has a page in another language that lost none; None otherwise."""
    if finding.code != Code.LABEL_MISSING or finding.url is None:
        return None
    page = report.page(finding.url)
    lang = _language(page) if page is not None else None
    if page is None or lang is None:
        return None
    for other in report.pages:
        other_lang = _language(other)
        if (
            other_lang is not None
            and other_lang != lang
            and set(other.platforms) & set(page.platforms)
            and _shows_all_its_labels(other)
        ):
            return (
                f"- The {_name(other_lang)} page of this platform still shows all its labels "
                f"({autolink(other.url)}): the rename has reached the {_name(lang)} page only. "
                f"One language's page may lag the other by weeks: expect the {_name(other_lang)} "
                "page to follow, or check whether only the translation changed."
            )
    return None
