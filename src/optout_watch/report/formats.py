"""Formats of a report: small classes behind one protocol, chosen by name, plus GitHub's job
summary and annotations.

Text that comes from the web (reasons, diffs, labels, suggestions, URLs, messages) goes
through `safe_markdown` on its way into Markdown, and through `one_line` on its way to a
terminal or a workflow command.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Protocol

from optout_watch.lint.diagnostics import Diagnostic
from optout_watch.report.annotations import annotation
from optout_watch.report.model import Finding, PageReport, Report
from optout_watch.report.safe_markdown import (
    CODE_BLOCK_LIMIT,
    autolink,
    code_block,
    code_span,
    html_text,
    inline,
    one_line,
)
from optout_watch.severity import Severity

#: A job summary is capped by GitHub and read in a hurry: diffs are cut shorter there.
STEP_SUMMARY_DIFF_LIMIT = 2_000

_OUTAGE = "most URLs failed with network errors: nothing was changed (no issue, streak, snapshot)"
_LINK_COLUMNS = (
    ("ok", "Links fine"),
    ("redirected", "Moved"),
    ("broken", "Broken"),
    ("blocked", "Blocked"),
    ("error", "Error"),
)
_LABEL_COLUMNS = (
    ("present", "Labels present"),
    ("missing", "Missing"),
    ("never_seen", "Never seen"),
)
_EVIDENCE_TITLES = {
    "status": "HTTP status",
    "final_url": "Final URL",
    "new_url": "Suggested new URL",
    "redirects": "Redirect chain",
    "suggestions": "Suggested new labels",
    "used_by": "Used by",
}


class ReportFormat(Protocol):
    def render(self, report: Report) -> str: ...


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _verdict(report: Report) -> str:
    """What the run asks of a maintainer, in one sentence."""
    summary = report.summary
    if summary.outage:
        return f"Outage: {_OUTAGE}."
    errors, warnings = summary.confirmed_errors, summary.confirmed_warnings
    if errors:
        verdict = _plural(errors, "confirmed error")
        if warnings:
            verdict += f", {_plural(warnings, 'confirmed warning')}"
    elif warnings:
        verdict = f"No confirmed errors; {_plural(warnings, 'confirmed warning')}"
    else:
        verdict = "Nothing to act on"
    pending = sum(not finding.confirmed for finding in report.findings)
    if pending:
        verdict += f"; {_plural(pending, 'finding')} awaiting confirmation"
    return verdict + "."


def _scope(report: Report) -> str:
    summary = report.summary
    return (
        f"{_plural(summary.links, 'link')}, {_plural(summary.pages, 'watched page')} "
        f"({summary.pages_changed} changed), {_plural(summary.findings, 'finding')}"
    )


def _streak(finding: Finding) -> str:
    """How sure the run is of a finding: seen in N runs, confirmed at M."""
    if finding.confirmed:
        return f"confirmed, {_plural(finding.streak, 'run')}"
    return f"unconfirmed, {finding.streak}/{finding.runs_needed} runs"


def _by_severity(findings: Sequence[Finding]) -> list[Finding]:
    """Errors first, then warnings, then information; stable within each."""
    order = tuple(Severity)
    return sorted(findings, key=lambda finding: order.index(finding.severity))


class JsonFormat:
    """The report itself, for the alerts and other tools."""

    def render(self, report: Report) -> str:
        return report.model_dump_json(indent=2) + "\n"


class TextFormat:
    """One greppable line per finding, `file:line: [severity] code message`, then a summary."""

    def render(self, report: Report) -> str:
        lines = [
            f"{finding.file}:{finding.line}: [{finding.severity}] {finding.code} "
            + ("" if finding.confirmed else f"({_streak(finding)}) ")
            + one_line(finding.message)
            for finding in _by_severity(report.findings)
        ]
        return "\n".join([*lines, f"{_scope(report)}: {_verdict(report)}"]) + "\n"


class MarkdownFormat:
    """The report for people: the verdict, a table per platform, each finding with its
    evidence, and the diffs of changed pages."""

    def __init__(self, diff_limit: int = CODE_BLOCK_LIMIT) -> None:
        self._diff_limit = diff_limit

    def render(self, report: Report) -> str:
        sections = [
            _heading(report),
            _platform_table(report),
            _findings_section(report.findings),
            _changed_pages_section(report.pages, self._diff_limit),
            _validation_section(report.validation),
        ]
        return "\n\n".join(section for section in sections if section) + "\n"


def _heading(report: Report) -> str:
    lines = [f"# optout-watch report, {inline(report.started_at)}", ""]
    if report.summary.outage:
        lines += ["> [!CAUTION]", f"> **Outage:** {_OUTAGE}.", ""]
    else:
        lines += [f"**{_verdict(report)}**", ""]
    lines.append(
        f"{_scope(report)}. Run by {inline(report.generator)} from {inline(report.started_at)} "
        f"to {inline(report.finished_at)}."
    )
    return "\n".join(lines)


def _platform_table(report: Report) -> str:
    """One row per platform: its links by outcome, its expected labels by state."""
    outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for link in report.links:
        for platform in {use.platform for use in link.uses}:
            outcomes[platform][link.outcome] += 1
    labels: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for page in report.pages:
        for platform in set(page.platforms):
            labels[platform].update(label.state for label in page.labels)
    platforms = sorted(outcomes.keys() | labels.keys())
    if not platforms:
        return ""
    titles = ["Platform", *(title for _, title in _LINK_COLUMNS + _LABEL_COLUMNS)]
    rows = [
        [
            inline(platform),
            *(str(outcomes[platform][outcome]) for outcome, _ in _LINK_COLUMNS),
            *(str(labels[platform][state]) for state, _ in _LABEL_COLUMNS),
        ]
        for platform in platforms
    ]
    lines = [titles, ["---", *("--:" for _ in titles[1:])], *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _findings_section(findings: Sequence[Finding]) -> str:
    if not findings:
        return ""
    return "\n\n".join(["## Findings", *(_finding(finding) for finding in _by_severity(findings))])


def _finding(finding: Finding) -> str:
    lines = [
        f"### {finding.severity}: {inline(finding.code)} ({inline(finding.platform)}), "
        f"{_streak(finding)}",
        "",
        f"- Catalogue: {code_span(f'{finding.file}:{finding.line}')}",
    ]
    if finding.url is not None:
        lines.append(f"- URL: {autolink(finding.url)}")
    if finding.label is not None:
        lines.append(f"- Label: {code_span(finding.label)}")
    lines.append(f"- Message: {inline(finding.message)}")
    for key, value in finding.evidence.items():
        if value is None or value == []:
            continue
        title = _EVIDENCE_TITLES.get(key, key.replace("_", " ").capitalize())
        if isinstance(value, list):
            lines.append(f"- {inline(title)}:")
            lines += [f"  {number}. {inline(item)}" for number, item in enumerate(value, 1)]
        else:
            lines.append(f"- {inline(title)}: {_evidence_value(value)}")
    return "\n".join(lines)


def _evidence_value(value: str | int | float) -> str:
    if isinstance(value, str):
        return autolink(value) if value.startswith(("https://", "http://")) else inline(value)
    return inline(f"{value:g}" if isinstance(value, float) else str(value))


def _changed_pages_section(pages: Sequence[PageReport], diff_limit: int) -> str:
    changed = [page for page in pages if page.changed]
    if not changed:
        return ""
    blocks = [
        f"<details><summary>{html_text(', '.join(page.platforms))}: {html_text(page.url)} "
        f"({html_text(page.file)}:{page.line})</summary>\n\n"
        f"{code_block(page.diff, 'diff', limit=diff_limit)}\n</details>"
        for page in changed
    ]
    return "\n\n".join(["## Changed pages", *blocks])


def _validation_section(problems: Sequence[Diagnostic]) -> str:
    if not problems:
        return ""
    items = [
        f"- {code_span(f'{problem.path}:{problem.line}:{problem.column}')} "
        f"{inline(problem.code)} ({inline(problem.severity)}): {inline(problem.message)}"
        for problem in problems
    ]
    return "\n".join(["## Catalogue validation", "", *items])


REPORT_FORMATS: dict[str, ReportFormat] = {
    "json": JsonFormat(),
    "markdown": MarkdownFormat(),
    "text": TextFormat(),
}


def step_summary(report: Report) -> str:
    """The Markdown appended to `$GITHUB_STEP_SUMMARY`: the report, with shorter diffs."""
    return MarkdownFormat(diff_limit=STEP_SUMMARY_DIFF_LIMIT).render(report)


def _annotation_level(finding: Finding, outage: bool) -> str:
    """Only what a person should act on looks like a failure: confirmed errors and warnings,
    in a run that was not an outage."""
    if finding.confirmed and not outage and finding.severity is not Severity.INFO:
        return str(finding.severity)
    return "notice"


def github_annotations(report: Report) -> list[str]:
    """One workflow command per finding, shown by GitHub on its catalogue line."""
    return [
        annotation(
            _annotation_level(finding, report.summary.outage),
            one_line(finding.message),
            file=finding.file,
            line=finding.line,
            title=f"{finding.code} ({finding.platform}, {_streak(finding)})",
        )
        for finding in _by_severity(report.findings)
    ]
