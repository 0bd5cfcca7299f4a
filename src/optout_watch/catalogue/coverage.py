"""Which interface labels of the catalogue a watched page checks, per platform and language.

A label named in a step's `ui` is *watched* when a watched link of the same platform and
language expects it, *not watchable* when the platform's `unwatched_labels` give the reason no
page can check it, and *undecided* otherwise (the content rule OW508 reports those). Pure
functions over the models: `validate`, the rules, the report and the guide all count the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from optout_watch.pages.extract import match_key

if TYPE_CHECKING:  # annotations only: the rule registry imports this without the models
    from optout_watch.catalogue.models import Platform

#: Languages in the order people read the guide; others follow alphabetically.
LANGUAGE_ORDER = ("fr", "en")


def primary_language(tag: str) -> str:
    """`en` for `en-US`: a page in American English watches the English steps."""
    return tag.split("-", 1)[0]


@dataclass(frozen=True, slots=True)
class LabelDecision:
    """One distinct label of one platform's steps in one language, and how it is checked."""

    platform: str
    lang: str
    label: str
    #: Ids of the watched links whose `expect` holds the label.
    watched_by: tuple[str, ...]
    #: Why no watched page can check it (from `unwatched_labels`), when none does.
    reason: str | None

    @property
    def watched(self) -> bool:
        return bool(self.watched_by)

    @property
    def decided(self) -> bool:
        return self.watched or self.reason is not None


@dataclass(frozen=True, slots=True)
class LanguageCoverage:
    lang: str
    watched: int
    not_watchable: int
    total: int

    @property
    def undecided(self) -> int:
        return self.total - self.watched - self.not_watchable


def expected_labels(platform: Platform) -> dict[tuple[str, str], tuple[str, ...]]:
    """(language, match key) of every label a watched link expects -> the links' ids."""
    expected: dict[tuple[str, str], tuple[str, ...]] = {}
    for link in platform.links:
        if link.watch is None:
            continue
        lang = primary_language(link.lang)
        for label in link.watch.expect:
            key = (lang, match_key(label))
            if link.id not in expected.get(key, ()):
                expected[key] = (*expected.get(key, ()), link.id)
    return expected


def label_decisions(platform: Platform) -> list[LabelDecision]:
    """Every distinct step label of `platform`, per language, in the order the steps name
    them, with the links that watch it or the reason none can."""
    expected = expected_labels(platform)
    reasons = {
        (primary_language(entry.lang), match_key(entry.label)): entry.reason
        for entry in platform.unwatched_labels
    }
    decisions: dict[tuple[str, str], LabelDecision] = {}
    for procedure in platform.procedures:
        for lang, steps in (("fr", procedure.steps.fr), ("en", procedure.steps.en)):
            for step in steps:
                for label in step.ui:
                    key = (lang, match_key(label))
                    if key in decisions:
                        continue
                    watched_by = expected.get(key, ())
                    reason = None if watched_by else reasons.get(key)
                    decisions[key] = LabelDecision(platform.id, lang, label, watched_by, reason)
    return list(decisions.values())


def _language_rank(lang: str) -> tuple[int, str]:
    known = LANGUAGE_ORDER.index(lang) if lang in LANGUAGE_ORDER else len(LANGUAGE_ORDER)
    return known, lang


def coverage_by_language(decisions: Iterable[LabelDecision]) -> list[LanguageCoverage]:
    """Watched, not watchable and total labels per language, French first."""
    by_language: dict[str, list[LabelDecision]] = {}
    for decision in decisions:
        by_language.setdefault(decision.lang, []).append(decision)
    return [
        LanguageCoverage(
            lang,
            watched=sum(d.watched for d in by_language[lang]),
            not_watchable=sum(d.decided and not d.watched for d in by_language[lang]),
            total=len(by_language[lang]),
        )
        for lang in sorted(by_language, key=_language_rank)
    ]


def coverage_line(decisions: Sequence[LabelDecision]) -> str:
    """`labels watched: fr 38/46, en 22/24; 6 not watchable, each with its reason`."""
    by_language = coverage_by_language(decisions)
    shares = ", ".join(f"{c.lang} {c.watched}/{c.total}" for c in by_language) or "none"
    not_watchable = sum(c.not_watchable for c in by_language)
    undecided = sum(c.undecided for c in by_language)
    line = f"labels watched: {shares}; {not_watchable} not watchable, each with its reason"
    if undecided:
        line += f"; {undecided} undecided (OW508)"
    return line
