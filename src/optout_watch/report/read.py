"""The check's JSON report as the issue sync reads it: the report's own model (the documented
interface, `schema/report.schema.json`), validated on reading, with lookups by URL and
platform. A report that does not match the model is refused with the field at fault: issues
opened or closed on a misread report would be worse than none."""

from __future__ import annotations

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
from optout_watch.report.model import SuggestionReport as ReportedSuggestion
from optout_watch.report.people import ReportView, platforms_of
from optout_watch.severity import Severity

__all__ = [
    "ReportError",
    "ReportView",
    "ReportedFinding",
    "ReportedLabel",
    "ReportedLink",
    "ReportedPage",
    "ReportedPlatform",
    "ReportedSuggestion",
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
