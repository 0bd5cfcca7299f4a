"""The check's JSON report as the issue sync reads it: the report's own model (the documented
interface, `schema/report.schema.json`), validated on reading, with lookups by URL and
platform. A report that does not match the model is refused with the field at fault: issues
opened or closed on a misread report would be worse than none."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from optout_watch.errors import OptoutWatchError
from optout_watch.report.model import Finding as ReportedFinding
from optout_watch.report.model import LabelReport as ReportedLabel
from optout_watch.report.model import LinkReport as ReportedLink
from optout_watch.report.model import Location as ReportedUse
from optout_watch.report.model import PageReport as ReportedPage
from optout_watch.report.model import PlatformInfo as ReportedPlatform
from optout_watch.report.model import Report
from optout_watch.severity import Severity

__all__ = [
    "ReportError",
    "ReportView",
    "ReportedFinding",
    "ReportedLabel",
    "ReportedLink",
    "ReportedPage",
    "ReportedPlatform",
    "ReportedUse",
    "alerts",
    "label_on",
    "load_report",
    "parse_report",
    "platforms_of",
]

#: The severities that open an issue once confirmed; `info` never does.
ALERTING_SEVERITIES = frozenset({Severity.ERROR, Severity.WARNING})


class ReportError(OptoutWatchError):
    """The report cannot be read, or does not match its schema."""


def alerts(finding: ReportedFinding) -> bool:
    """Whether the finding calls for an issue: confirmed, and an error or a warning."""
    return finding.confirmed and finding.severity in ALERTING_SEVERITIES


def label_on(page: ReportedPage, text: str) -> ReportedLabel | None:
    return next((label for label in page.labels if label.label == text), None)


@dataclass(frozen=True, slots=True)
class ReportView:
    report: Report
    _links_by_url: dict[str, ReportedLink] = field(init=False, repr=False, compare=False)
    _pages_by_url: dict[str, ReportedPage] = field(init=False, repr=False, compare=False)
    _services: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # First one wins: a URL appears once in a well-formed report.
        links: dict[str, ReportedLink] = {}
        for link in self.report.links:
            links.setdefault(link.url, link)
        pages: dict[str, ReportedPage] = {}
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
    def findings(self) -> tuple[ReportedFinding, ...]:
        return tuple(self.report.findings)

    @property
    def links(self) -> tuple[ReportedLink, ...]:
        return tuple(self.report.links)

    @property
    def pages(self) -> tuple[ReportedPage, ...]:
        return tuple(self.report.pages)

    @property
    def platforms(self) -> tuple[ReportedPlatform, ...]:
        return tuple(self.report.platforms)

    @property
    def skipped_files(self) -> tuple[str, ...]:
        return tuple(self.report.skipped_files)

    def link(self, url: str) -> ReportedLink | None:
        return self._links_by_url.get(url)

    def page(self, url: str) -> ReportedPage | None:
        return self._pages_by_url.get(url)

    def service(self, platform_id: str) -> str:
        """The platform's service name; the id itself for a platform the report does not list
        (better an id than nothing in a title)."""
        return self._services.get(platform_id, platform_id)

    def is_checked_file(self, file: str) -> bool:
        return any(platform.file == file for platform in self.report.platforms)


def load_report(path: Path) -> ReportView:
    """The report at `path`; `ReportError` naming the file when it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReportError(f"{path}: cannot read the report: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise ReportError(f"{path}: the report is not UTF-8 text") from None
    try:
        return parse_report(text)
    except ReportError as error:
        raise ReportError(f"{path}: {error}") from None


def parse_report(text: str) -> ReportView:
    try:
        return ReportView(Report.model_validate_json(text))
    except ValidationError as error:
        first = error.errors()[0]
        if first["type"] == "json_invalid":
            raise ReportError(f"not JSON: {first['msg']}") from None
        where = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
        )
        raise ReportError(
            f"report{where}: {first['msg'].lower()}; is it a report of this optout-watch "
            "version (see schema/report.schema.json)?"
        ) from None


def platforms_of(finding: ReportedFinding, report: ReportView) -> Sequence[str]:
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
