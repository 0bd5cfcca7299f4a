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

from optout_watch.fetching.failures import FAILURES, FetchErrorKind
from optout_watch.kinds import LINK_CODES, Code
from optout_watch.report.annotations import annotation
from optout_watch.report.model import DiagnosticReport, Finding, Report
from optout_watch.report.people import (
    ReportView,
    archived_copies_section,
    finding_title,
    proposed_selectors_section,
    reading_section,
    remapped_links,
    services,
)
from optout_watch.report.plural import plural
from optout_watch.report.safe_markdown import (
    CODE_BLOCK_LIMIT,
    autolink,
    code_block,
    code_span,
    html_text,
    inline,
    one_line,
)
from optout_watch.severity import Severity, severity_rank

#: A job summary is capped by GitHub and read in a hurry: diffs are cut shorter there.
STEP_SUMMARY_DIFF_LIMIT = 2_000

_NOTHING_CHANGED = "nothing was changed (no issue, streak or snapshot)"
#: A failure that makes an outage, in the words of a person who reads the outage's one line.
_FAILURE_WORDS = {
    FetchErrorKind.TIMEOUT: "timed out",
    FetchErrorKind.CONNECT: "could not connect",
    FetchErrorKind.NETWORK: "connection broke",
    FetchErrorKind.DNS: "unknown host",
    FetchErrorKind.TLS: "TLS failure",
    FetchErrorKind.DEADLINE: "too slow",
}
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
#: Platforms' name for the row of the catalogue's sources in the platform table.
_SOURCES = "\x00sources"
#: Evidence the Markdown already shows in the reason, the title or the catalogue line.
_SAID_ELSEWHERE = frozenset(
    {"outcome", "reason", "attempts", "used_by", "new_url", "lines_added", "lines_removed"}
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


def _network_failures(report: Report) -> str:
    """What failed in an outage: `18 of 20 URLs failed at the network level (unknown host: 18)`."""
    kinds = Counter(
        link.failure
        for link in report.links
        if link.failure is not None and FAILURES[link.failure].counts_towards_outage
    )
    failed = sum(kinds.values()) or "most"
    what = ", ".join(
        f"{_FAILURE_WORDS.get(kind, str(kind))}: {count}" for kind, count in kinds.most_common()
    )
    return f"{failed} of {plural(len(report.links), 'URL')} failed at the network level" + (
        f" ({what})" if what else ""
    )


def outage_line(report: Report) -> str:
    """An outage, said in one line: what failed, and that nothing changed."""
    return f"{_network_failures(report)}: an outage, so {_NOTHING_CHANGED}"


def _verdict(report: Report) -> str:
    """What the run asks of a maintainer, in one sentence (an outage has `outage_line`)."""
    summary = report.summary
    errors, warnings = summary.confirmed_errors, summary.confirmed_warnings
    if errors:
        verdict = plural(errors, "confirmed error")
        if warnings:
            verdict += f", {plural(warnings, 'confirmed warning')}"
    elif warnings:
        verdict = f"No confirmed errors; {plural(warnings, 'confirmed warning')}"
    else:
        verdict = "Nothing to act on"
    pending = sum(not finding.confirmed for finding in report.findings)
    if pending:
        verdict += f"; {plural(pending, 'finding')} awaiting confirmation"
    return verdict + "."


def _scope(report: Report) -> str:
    summary = report.summary
    return (
        f"{plural(summary.links, 'link')}, {plural(summary.pages, 'watched page')} "
        f"({summary.pages_changed} changed), {plural(summary.findings, 'finding')}"
    )


def _streak(finding: Finding) -> str:
    """How sure the run is of a finding: seen in N runs, confirmed at M."""
    if finding.confirmed:
        return f"confirmed, {plural(finding.streak, 'run')}"
    return f"unconfirmed, {finding.streak}/{finding.runs_needed} runs"


def _by_severity(findings: Sequence[Finding]) -> list[Finding]:
    """Errors first, then warnings, then information; stable within each."""
    return sorted(findings, key=lambda finding: severity_rank(finding.severity))


class JsonFormat:
    """The report itself, for the alerts and other tools."""

    def render(self, report: Report) -> str:
        return report.model_dump_json(indent=2) + "\n"


class TextFormat:
    """One greppable line per finding, `file:line: [severity] code message`, then a summary.
    An outage is one line, its findings (the network's, not the pages') only when `verbose`."""

    def __init__(self, *, verbose: bool = False) -> None:
        self._verbose = verbose

    def render(self, report: Report) -> str:
        if report.summary.outage:
            findings = self._findings(report) if self._verbose else []
            hint = "" if self._verbose else " (-v lists each URL)"
            return "\n".join([*findings, outage_line(report) + hint]) + "\n"
        return "\n".join([*self._findings(report), f"{_scope(report)}: {_verdict(report)}"]) + "\n"

    @staticmethod
    def _findings(report: Report) -> list[str]:
        return [
            f"{finding.file}:{finding.line}: [{finding.severity}] {finding.code} "
            + ("" if finding.confirmed else f"({_streak(finding)}) ")
            + one_line(finding.message)
            for finding in _by_severity(report.findings)
        ]


class MarkdownFormat:
    """The report for people: the verdict, a table of platforms by name, what needs action
    (one entry per problem, however many platforms share its URL, the reason said once and
    the evidence folded), what awaits confirmation, and the diffs of changed pages."""

    def __init__(self, diff_limit: int = CODE_BLOCK_LIMIT) -> None:
        self._diff_limit = diff_limit

    def render(self, report: Report) -> str:
        view = ReportView(report)
        sections = [
            _heading(view),
            _platform_table(view),
            _needs_action_section(view),
            _awaiting_section(view),
            _changed_pages_section(view, self._diff_limit),
            "\n".join(archived_copies_section(view)),
            "\n".join(reading_section(view)),
            "\n".join(proposed_selectors_section(view)),
            _validation_section(report.validation),
        ]
        return "\n\n".join(section for section in sections if section) + "\n"


def _heading(view: ReportView) -> str:
    report = view.report
    lines = [f"# optout-watch report, {inline(report.started_at)}", ""]
    if report.summary.outage:
        outage = f"{_network_failures(report)}: {_NOTHING_CHANGED}"
        lines += ["> [!CAUTION]", f"> **Outage:** {inline(outage)}.", ""]
    else:
        lines += [f"**{_verdict(report)}**", ""]
    lines.append(
        f"{_scope(report)}. Run by {inline(report.generator)} from {inline(report.started_at)} "
        f"to {inline(report.finished_at)}."
    )
    elsewhere = remapped_links(view)
    if elsewhere:
        # Where they were fetched is in the JSON report: a mirror's address is not the page's.
        lines += [
            "",
            f"{plural(elsewhere, 'link')} fetched elsewhere through `--remap`; the addresses "
            "below are the catalogue's.",
        ]
    return "\n".join(lines)


def _platform_table(view: ReportView) -> str:
    """One row per platform, by name: its own links by outcome (sources, which many platforms
    cite, get a row of their own rather than a count in each), its expected labels by state."""
    outcomes: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for link in view.links:
        owners = {use.platform for use in link.uses if use.kind != "source"}
        for platform in owners or {_SOURCES}:
            outcomes[platform][link.outcome] += 1
    labels: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for page in view.pages:
        for platform in set(page.platforms):
            labels[platform].update(label.state for label in page.labels)
    platforms = sorted(
        (outcomes.keys() | labels.keys()) - {_SOURCES},
        key=lambda platform: view.service(platform).lower(),
    )
    if _SOURCES in outcomes:
        platforms.append(_SOURCES)
    if not platforms:
        return ""
    titles = ["Platform", *(title for _, title in _LINK_COLUMNS + _LABEL_COLUMNS)]
    rows = [
        [
            "Sources" if platform == _SOURCES else inline(view.service(platform)),
            *(str(outcomes[platform][outcome]) for outcome, _ in _LINK_COLUMNS),
            *(str(labels[platform][state]) for state, _ in _LABEL_COLUMNS),
        ]
        for platform in platforms
    ]
    lines = [titles, ["---", *("--:" for _ in titles[1:])], *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def _acts_on(finding: Finding) -> bool:
    return finding.confirmed and finding.severity is not Severity.INFO


def _needs_action_section(view: ReportView) -> str:
    findings = [finding for finding in _by_severity(view.findings) if _acts_on(finding)]
    if not findings:
        return ""
    return "\n\n".join(["## Needs action", *(_finding(view, finding) for finding in findings)])


def _reason(view: ReportView, finding: Finding) -> str:
    """Why the finding was raised, said once: the link's own reason for a link, else the
    finding's message."""
    link = view.link(finding.url) if finding.url and finding.code in LINK_CODES else None
    if link is None:
        return finding.message
    reason = link.reason
    if link.new_url:
        reason += f"; the catalogue should take {link.new_url}"
    return reason


def _finding(view: ReportView, finding: Finding) -> str:
    lines = [
        f"### {inline(finding_title(finding, view))}",
        "",
        f"{inline(_reason(view, finding))} ({finding.severity}, {_streak(finding)})",
        "",
        f"- Catalogue: {code_span(f'{finding.file}:{finding.line}')}",
    ]
    if finding.url is not None:
        lines.append(f"- URL: {autolink(finding.url)}")
    if finding.label is not None:
        lines.append(f"- Label: {code_span(finding.label)}")
    names = services(finding, view)
    if len(names) > 1:
        lines.append(f"- Used by: {inline(', '.join(names))}")
    evidence = _evidence(view, finding)
    if evidence:
        lines += ["", "<details><summary>Evidence</summary>", "", *evidence, "", "</details>"]
    return "\n".join(lines)


def _evidence(view: ReportView, finding: Finding) -> list[str]:
    link = view.link(finding.url) if finding.url else None
    lines = []
    for key, value in finding.evidence.items():
        if value is None or value == [] or key in _SAID_ELSEWHERE:
            continue
        if key == "final_url" and (link is None or value == link.url):
            continue
        title = _EVIDENCE_TITLES.get(key, key.replace("_", " ").capitalize())
        if isinstance(value, list):
            lines.append(f"- {inline(title)}:")
            lines += [f"  {number}. {inline(item)}" for number, item in enumerate(value, 1)]
        else:
            lines.append(f"- {inline(title)}: {_evidence_value(value)}")
    return lines


def _evidence_value(value: str | int | float) -> str:
    if isinstance(value, str):
        return autolink(value) if value.startswith(("https://", "http://")) else inline(value)
    return inline(f"{value:g}" if isinstance(value, float) else str(value))


def _awaiting_section(view: ReportView) -> str:
    waiting = [
        finding
        for finding in _by_severity(view.findings)
        if not finding.confirmed and finding.severity is not Severity.INFO
    ]
    if not waiting:
        return ""
    items = [
        f"- {inline(finding_title(finding, view))}: {inline(_reason(view, finding))} "
        f"({finding.severity}, {_streak(finding)})"
        for finding in waiting
    ]
    return "\n".join(["## Awaiting confirmation", "", *items])


def _line_counts(finding: Finding) -> str:
    """How much a page changed, from the finding's evidence."""
    added, removed = finding.evidence.get("lines_added"), finding.evidence.get("lines_removed")
    if not isinstance(added, int) or not isinstance(removed, int):
        return ""
    return f"{plural(added, 'line')} added, {plural(removed, 'line')} removed"


def _changed_pages_section(view: ReportView, diff_limit: int) -> str:
    changed = [page for page in view.pages if page.changed]
    if not changed:
        return ""
    counts = {
        finding.url: _line_counts(finding)
        for finding in view.findings
        if finding.code == Code.PAGE_CHANGED
    }
    blocks = []
    for page in changed:
        names = ", ".join(dict.fromkeys(view.service(p) for p in page.platforms))
        what = f": {counts[page.url]}" if counts.get(page.url) else ""
        blocks.append(
            f"<details><summary>{html_text(names)}: {html_text(page.url)}{html_text(what)} "
            f"({html_text(page.file)}:{page.line})</summary>\n\n"
            f"{code_block(page.diff, 'diff', limit=diff_limit)}\n</details>"
        )
    return "\n\n".join(["## Changed pages", *blocks])


def _validation_section(problems: Sequence[DiagnosticReport]) -> str:
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


def report_format(name: str, *, verbose: bool = False) -> ReportFormat:
    """The format called `name`; `verbose` (`-v`) lists an outage's findings in the text."""
    return TextFormat(verbose=True) if verbose and name == "text" else REPORT_FORMATS[name]


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
