"""The report for people: platforms by their service names, links by their titles, one title
per finding. Shared by the Markdown report, the job summary, the issues and the dashboard, so
that each names a problem the same way."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from optout_watch.fetching.link_shape import is_deep_link, is_sign_in_url
from optout_watch.kinds import FINDING_KINDS, LABEL_CODES, LINK_CODES, Code
from optout_watch.report.model import (
    Finding,
    LinkReport,
    Location,
    PageReport,
    PlatformInfo,
    Report,
)
from optout_watch.report.safe_markdown import autolink, code_span, inline, one_line

#: Titles stay short enough to scan in a list of issues.
TITLE_LIMIT = 120


@dataclass(frozen=True, slots=True)
class ReportView:
    report: Report
    _links_by_url: dict[str, LinkReport] = field(init=False, repr=False, compare=False)
    _pages_by_url: dict[str, PageReport] = field(init=False, repr=False, compare=False)
    _services: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # First one wins: a URL appears once in a well-formed report.
        links: dict[str, LinkReport] = {}
        for link in self.report.links:
            links.setdefault(link.url, link)
        pages: dict[str, PageReport] = {}
        for page in self.report.pages:
            pages.setdefault(page.url, page)
        object.__setattr__(self, "_links_by_url", links)
        object.__setattr__(self, "_pages_by_url", pages)
        object.__setattr__(self, "_services", {p.id: p.service for p in self.report.platforms})

    @property
    def started_at(self) -> str:
        return self.report.started_at

    @property
    def outage(self) -> bool:
        return self.report.summary.outage

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(self.report.findings)

    @property
    def links(self) -> tuple[LinkReport, ...]:
        return tuple(self.report.links)

    @property
    def pages(self) -> tuple[PageReport, ...]:
        return tuple(self.report.pages)

    @property
    def platforms(self) -> tuple[PlatformInfo, ...]:
        return tuple(self.report.platforms)

    @property
    def skipped_files(self) -> tuple[str, ...]:
        return tuple(self.report.skipped_files)

    def link(self, url: str) -> LinkReport | None:
        return self._links_by_url.get(url)

    def page(self, url: str) -> PageReport | None:
        return self._pages_by_url.get(url)

    def service(self, platform_id: str) -> str:
        """The platform's service name; the id itself for a platform the report does not list
        (better an id than nothing in a title)."""
        return self._services.get(platform_id, platform_id)

    def is_checked_file(self, file: str) -> bool:
        return any(platform.file == file for platform in self.report.platforms)


def platforms_of(finding: Finding, report: ReportView) -> Sequence[str]:
    """Every platform concerned by a finding, by id, first the one the finding names: a link
    can be used by several platforms, a watched page can serve several."""
    ids = [finding.platform]
    if finding.url is not None:
        link = report.link(finding.url)
        if link is not None:
            ids += [use.platform for use in link.uses]
        page = report.page(finding.url)
        if page is not None:
            ids += list(page.platforms)
    return list(dict.fromkeys(ids))


def humanise(entry: str) -> str:
    """A catalogue id as words: `objection-form` → "objection form"."""
    return re.sub(r"[-_]+", " ", entry).strip() or entry


def use_name(use: Location) -> str:
    """How the catalogue names a link at one of its uses: its title, else its id in words."""
    return use.title or humanise(use.entry)


def _use_for(finding: Finding, link: LinkReport | None) -> Location | None:
    if link is None or not link.uses:
        return None
    return next((use for use in link.uses if use.platform == finding.platform), link.uses[0])


def link_name(finding: Finding, report: ReportView) -> str:
    """How the catalogue names the finding's link or page: its title, else its id in words,
    else the URL itself."""
    if finding.url is None:
        return finding.file
    use = _use_for(finding, report.link(finding.url))
    if use is None:
        return one_line(finding.url, 80)
    return use_name(use)


def services(finding: Finding, report: ReportView) -> list[str]:
    return list(dict.fromkeys(report.service(p) for p in platforms_of(finding, report)))


def _status_note(link: LinkReport | None) -> str:
    """What a broken or failing link answered, in a few words: its status when the status is
    the failure; what happened when the answer looked fine but was not the page (a soft 404:
    a 200, or the 304 of a conditional request, is no news)."""
    if link is None or link.status is None:
        return ""
    if not (200 <= link.status < 300 or link.status == 304):
        return f" ({link.status})"
    if link.outcome != "broken":  # a body that could not be read: the status says nothing
        return ""
    if is_sign_in_url(link.final_url) and not is_sign_in_url(link.url):
        return " (sent to a sign-in page)"
    if is_deep_link(link.url) and not is_deep_link(link.final_url):
        return " (sent to the home page)"
    return " (a “not found” page)"


def finding_title(finding: Finding, report: ReportView) -> str:
    """A title a person can scan in a list: what broke, on which service, which link."""
    kind = FINDING_KINDS.get(finding.code)
    prefix = finding.code if kind is None else kind.title
    service = report.service(finding.platform)
    code = finding.code
    if code in LINK_CODES:
        link = report.link(finding.url) if finding.url else None
        note = _status_note(link) if code in {Code.LINK_BROKEN, Code.LINK_ERROR} else ""
        title = f"{prefix}: {service} › {link_name(finding, report)}{note}"
    elif code in LABEL_CODES:
        title = f"{prefix}: {service} › « {finding.label or ''} »"
    elif code == Code.CATALOGUE_INVALID:
        rule = finding.evidence.get("rule")
        rule_note = f" ({rule})" if isinstance(rule, str) and rule else ""
        title = f"{prefix}: {finding.file}, line {finding.line}{rule_note}"
    elif code == Code.REVIEW_STALE:
        title = f"{prefix}: {service}"
    else:
        title = f"{prefix}: {service} › {link_name(finding, report)}"
    return one_line(title, TITLE_LIMIT)


def remapped_links(report: ReportView) -> int:
    """How many of the report's links were fetched somewhere else (`--remap`)."""
    return sum(link.fetched_url != link.url for link in report.links)


# --- how a page was read, and where a broken link went ------------------------------------------

_READ_WORDS = {"live": "read live", "browser": "read in the browser"}


def how_read(page: PageReport) -> str:
    """How a watched page was read by the check, in a few words: `read live`, `read in the
    browser`, `seen in the web archive's copy of 3 December 2026`, or `not read (blocked)`
    (with why the archive's copy could not stand in, when one was asked)."""
    archive = page.archive
    if page.read_from == "archive" and archive is not None:
        return archive.note
    if page.read_from in _READ_WORDS:
        return _READ_WORDS[page.read_from]
    words = f"not read ({page.not_read_because})" if page.not_read_because else "not read"
    return f"{words}; {archive.note}" if archive is not None else words


def label_states(page: PageReport) -> str:
    """`« Privacy » present, « Data controls » missing`."""
    return ", ".join(f"« {label.label} » {label.state.replace('_', ' ')}" for label in page.labels)


def last_archived_copy(link: LinkReport) -> tuple[str, str | None] | None:
    """For a broken link the web archive was asked about: its copy closest to the last night
    the link worked, in words with its date, and its address; or why there is none."""
    last = link.last_archived_copy
    if last is None:
        return None
    when = (
        f"the last check that found the link working ({last.last_worked[:10]})"
        if last.last_worked
        else "tonight (no check is known to have found the link working)"
    )
    if last.archived is None:
        return f"none to show: {last.note or 'the web archive keeps none'}", None
    words = f"the web archive's copy of {last.archived.date}, the closest to {when}"
    return words, last.archived.url


def reading_totals(report: ReportView) -> str:
    """`3 read live, 1 in the browser, 1 from the web archive, 1 not read (blocked)`."""
    summary = report.report.summary
    words = {"live": "read live", "browser": "in the browser", "archive": "from the web archive"}
    parts = [f"{count} {words.get(how, how)}" for how, count in summary.pages_read.items()]
    parts += [f"{count} not read ({why})" for why, count in summary.pages_not_read.items()]
    return ", ".join(parts)


def reading_section(report: ReportView) -> list[str]:
    """Markdown: how the watched pages were read, and each one not read live (a report of a
    version that did not count them says nothing)."""
    summary = report.report.summary
    if not summary.pages_read and not summary.pages_not_read:
        return []
    items = [
        f"- {autolink(page.url)}: {inline(how_read(page))}"
        for page in report.pages
        if page.read_from not in (None, "live", "browser")
    ]
    return [
        "## How the watched pages were read",
        "",
        f"{inline(reading_totals(report))}.",
        *(["", *items] if items else []),
    ]


def archived_copies_section(report: ReportView) -> list[str]:
    """Markdown: where each broken link's page went, as the web archive last kept it."""
    items = []
    for link in report.links:
        if link.outcome != "broken" or (last := last_archived_copy(link)) is None:
            continue
        words, url = last
        items.append(
            f"- {autolink(link.url)}: {inline(words)}" + (f": {autolink(url)}" if url else "")
        )
    if not items:
        return []
    return ["## Where the broken links went", "", *items]


def proposed_selectors_section(report: ReportView) -> list[str]:
    """Markdown: for each page watched without `select`, the block `inspect` proposes from
    the page as read tonight (`optout-watch fix` writes it)."""
    items = []
    for page in report.pages:
        proposal = page.proposed_watch
        if proposal is None:
            continue
        share = proposal.kept_chars / proposal.page_chars if proposal.page_chars else 0.0
        remove = f", remove {', '.join(map(code_span, proposal.remove))}" if proposal.remove else ""
        left_out = f"; leaves out {inline('; '.join(proposal.decoys))}" if proposal.decoys else ""
        items.append(
            f"- {autolink(page.url)}: select {code_span(proposal.select)}{remove} "
            f"(keeps {share:.0%} of the page's text{left_out}; {inline(how_read(page))})"
        )
    if not items:
        return []
    return [
        "## Proposed selectors",
        "",
        "These pages are watched without `select`; `optout-watch fix` writes the proposal.",
        "",
        *items,
    ]
