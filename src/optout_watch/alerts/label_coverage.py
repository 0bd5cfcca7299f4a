"""The dashboard's view of the labels: per platform and language, how many of the steps'
labels a watched page checks, and when the pages last showed them. Pure: report in, Markdown
lines out."""

from __future__ import annotations

from optout_watch.report.read import ReportedLabel, ReportView
from optout_watch.report.safe_markdown import inline


def _sightings(report: ReportView, platform: str, lang: str) -> dict[str, ReportedLabel]:
    """The labels the platform's watched pages in `lang` expect, first page's report first."""
    found: dict[str, ReportedLabel] = {}
    for page in report.pages:
        page_lang = page.lang.split("-", 1)[0] if page.lang else None
        if platform in page.platforms and page_lang == lang:
            for label in page.labels:
                found.setdefault(label.label, label)
    return found


def _last_seen(labels: dict[str, ReportedLabel]) -> str:
    days = sorted(x.last_seen[:10] for x in labels.values() if x.last_seen)
    never = len(labels) - len(days)
    parts = []
    if days:
        parts.append(
            f"all on {days[0]}" if days[0] == days[-1] and not never else f"oldest {days[0]}"
        )
    if never:
        parts.append(f"{never} never seen")
    return "; ".join(parts) or "not checked"


def label_coverage_section(report: ReportView) -> list[str]:
    """`## Labels watched`: one row per platform and language; empty for a report without
    the figures (older reports)."""
    coverage = report.report.summary.label_coverage
    if not coverage:
        return []
    services = {p.id: p.service for p in report.platforms}
    rows = []
    details = []
    for share in coverage:
        service = inline(services.get(share.platform, share.platform))
        labels = _sightings(report, share.platform, share.lang)
        rows.append(
            f"| {service} | {share.lang} | {share.watched}/{share.total} | "
            f"{share.not_watchable} | {_last_seen(labels) if labels else '—'} |"
        )
        details += [
            f"- {service} ({share.lang}): {inline(name)}, "
            + (f"last seen {x.last_seen[:10]}" if x.last_seen else "never seen")
            for name, x in labels.items()
        ]
    return [
        "## Labels watched",
        "",
        "Step labels checked on a watched page of their language; the catalogue gives the "
        "reason for each one that is not watchable.",
        "",
        "| Platform | Language | Watched | Not watchable | Last seen on the page |",
        "| --- | --- | --- | --- | --- |",
        *rows,
        *(
            ["", "<details><summary>Each watched label</summary>", "", *details, "", "</details>"]
            if details
            else []
        ),
    ]
