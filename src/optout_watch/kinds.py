"""Every kind of finding, in one table: what it is about, how much it asks of a maintainer,
how many runs confirm it, its title for people, its issue label, and whether `fix` can mend
it. Every other module reads what it needs from here (a test keeps the codes out of the rest
of the package)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from optout_watch.severity import Severity


class Code(StrEnum):
    CATALOGUE_INVALID = "catalogue-invalid"
    REVIEW_STALE = "review-stale"
    LINK_BROKEN = "link-broken"
    LINK_ERROR = "link-error"
    LINK_MOVED = "link-moved"
    LINK_BLOCKED = "link-blocked"
    LABEL_MISSING = "label-missing"
    LABEL_NEVER_SEEN = "label-never-seen"
    PAGE_SELECTOR_EMPTY = "page-selector-empty"
    PAGE_CHANGED = "page-changed"


class Group(StrEnum):
    """What a finding is about, which decides what its issue and its report line show."""

    LINK = "link"  # a catalogue URL and how it answered
    LABEL = "label"  # an expected label on a watched page
    PAGE = "page"  # a watched page as a whole
    CATALOGUE = "catalogue"  # a catalogue file


class Threshold(StrEnum):
    """How many consecutive runs a code needs before it is confirmed."""

    AT_ONCE = "at_once"  # a fact of this run alone: the catalogue says so, or the page changed
    CONFIRM_AFTER = "confirm_after"
    BLOCKED_AFTER = "blocked_after"


@dataclass(frozen=True, slots=True)
class FindingKind:
    code: Code
    group: Group
    severity: Severity
    threshold: Threshold
    summary: str
    #: The start of its title in issues and reports.
    title: str
    #: The issue label that lets a maintainer filter by what to do (None: never an issue).
    issue_label: str | None
    #: `fix` can write what a confirmed finding of this kind proposes into the catalogue.
    fixable: bool = False


_LINK, _LABEL, _PAGE, _CATALOGUE = Group.LINK, Group.LABEL, Group.PAGE, Group.CATALOGUE
_ERROR, _WARNING, _INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
_AT_ONCE, _CONFIRM, _BLOCKED = Threshold.AT_ONCE, Threshold.CONFIRM_AFTER, Threshold.BLOCKED_AFTER

FINDING_KINDS: dict[str, FindingKind] = {
    kind.code: kind
    for kind in (
        FindingKind(Code.CATALOGUE_INVALID, _CATALOGUE, _ERROR, _AT_ONCE,
                    "a catalogue file fails validation",
                    "Catalogue invalid", "catalogue"),
        FindingKind(Code.REVIEW_STALE, _CATALOGUE, _WARNING, _AT_ONCE,
                    "a platform has not been reviewed for too long",
                    "Review overdue", "catalogue"),
        FindingKind(Code.LINK_BROKEN, _LINK, _ERROR, _CONFIRM,
                    "a link is broken (404, 410, unknown host, soft 404)",
                    "Broken link", "broken-link"),
        FindingKind(Code.LINK_ERROR, _LINK, _ERROR, _CONFIRM,
                    "a link fails (timeouts, server errors, TLS)",
                    "Link fails", "broken-link"),
        FindingKind(Code.LINK_MOVED, _LINK, _WARNING, _CONFIRM,
                    "a link moved permanently: the catalogue should take the new URL",
                    "Moved link", "moved-link", fixable=True),
        FindingKind(Code.LINK_BLOCKED, _LINK, _WARNING, _BLOCKED,
                    "a link has been blocked by bot protection for many runs: check it by hand",
                    "Blocked link", "broken-link"),
        FindingKind(Code.LABEL_MISSING, _LABEL, _ERROR, _CONFIRM,
                    "an interface label the catalogue relies on is gone from its page",
                    "Label gone", "label-gone", fixable=True),
        FindingKind(Code.LABEL_NEVER_SEEN, _LABEL, _WARNING, _CONFIRM,
                    "an expected label has never been seen on its page",
                    "Label never seen", "label-gone"),
        FindingKind(Code.PAGE_SELECTOR_EMPTY, _PAGE, _ERROR, _CONFIRM,
                    "a watched page's selector matched nothing: its layout changed",
                    "Layout changed", "layout-changed"),
        FindingKind(Code.PAGE_CHANGED, _PAGE, _INFO, _AT_ONCE,
                    "a watched page's text changed",
                    "Page changed", None),
    )
}  # fmt: skip


def codes_of(group: Group) -> frozenset[str]:
    return frozenset(code for code, kind in FINDING_KINDS.items() if kind.group is group)


LINK_CODES = codes_of(Group.LINK)
LABEL_CODES = codes_of(Group.LABEL)
#: The page codes an issue can be about (a changed page is only reported).
PAGE_CODES = frozenset(code for code in codes_of(Group.PAGE) if FINDING_KINDS[code].issue_label)
CATALOGUE_CODES = codes_of(Group.CATALOGUE)
FIXABLE_CODES = frozenset(code for code, kind in FINDING_KINDS.items() if kind.fixable)
