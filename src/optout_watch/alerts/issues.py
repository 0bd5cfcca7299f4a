"""What one finding's issue says: its title, labels, body and comments, and the hidden markers
by which a later run finds it again. Pure: text in, text out.

Markers. An issue body starts with a block of HTML comments, one a line, invisible once
rendered:

    <!-- optout-watch:fingerprint=0123456789abcdef -->
    <!-- optout-watch:evidence=89abcdef01234567 -->
    <!-- optout-watch:subject=code=link-broken&file=catalogue%2Fmeta-ai.yaml&url=https%3A... -->

- `fingerprint` names the problem (the report's finding fingerprint): the issue is found by it,
  never by its title, which a person may edit.
- `evidence` digests what a person would act on (outcome, status, suggested URL, top suggested
  label); a comment is added, and the body rewritten, only when it changes. Only the four
  issue endpoints are used, comments are never read, so the digest lives in the body.
- `subject` says what the finding is about (code, catalogue file, URL, label), percent-encoded
  so it can hold no `-->`: when a later report no longer has the finding, it tells whether the
  problem healed, was removed from the catalogue, or was not checked.

Only a block that starts the raw body, in exactly this form, is trusted. Text from web pages
and from the report goes through `safe_markdown`, which never lets `<!--` through, so a page
cannot forge a marker anywhere in a body; and a marker quoted by a person in the middle of a
body does not count either.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode

from optout_watch.alerts.languages import language_lag_line
from optout_watch.fixes.propose import proposed
from optout_watch.kinds import (
    FINDING_KINDS,
    LABEL_CODES,
    LINK_CODES,
    PAGE_CODES,
    Code,
)
from optout_watch.report.people import (
    ReportView,
    how_read,
    label_states,
    last_archived_copy,
    link_name,
    services,
    use_name,
)
from optout_watch.report.read import (
    ReportedFinding,
    ReportedLink,
    ReportedPage,
    label_on,
)
from optout_watch.report.safe_markdown import autolink, code_block, code_span, inline

#: Every issue of ours carries it; the sync lists issues by it.
TRACKING_LABEL = "optout-watch"
DASHBOARD_MARKER = "<!-- optout-watch:dashboard -->"
#: A diff in an issue is an excerpt: the report and the state keep the whole of it.
DIFF_EXCERPT_LIMIT = 3_000
SUGGESTIONS_SHOWN = 3

#: One label per kind of problem, so that a maintainer can filter the list by what to do.
KIND_LABELS = {
    code: kind.issue_label for code, kind in FINDING_KINDS.items() if kind.issue_label is not None
}

_MARKER_LINE = re.compile(r"<!-- optout-watch:([a-z]+)=([A-Za-z0-9%=&._~-]+) -->")
_FINGERPRINT = re.compile(r"[0-9a-f]{16}")


# --- markers --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssueSubject:
    """What an issue is about, enough to judge it against a report without its finding."""

    code: str
    file: str
    url: str | None = None
    label: str | None = None

    @classmethod
    def of(cls, finding: ReportedFinding) -> IssueSubject:
        return cls(finding.code, finding.file, finding.url, finding.label)

    def encode(self) -> str:
        fields = {"code": self.code, "file": self.file, "url": self.url, "label": self.label}
        present = {key: value for key, value in fields.items() if value is not None}
        return urlencode(present, quote_via=quote, safe="")

    @classmethod
    def decode(cls, text: str) -> IssueSubject | None:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=False)
        if any(len(values) != 1 for values in fields.values()):
            return None
        value = {key: values[0] for key, values in fields.items()}
        if not value.get("code") or not value.get("file"):
            return None
        return cls(value["code"], value["file"], value.get("url"), value.get("label"))


@dataclass(frozen=True, slots=True)
class IssueMarkers:
    """The hidden markers of one of our issues."""

    fingerprint: str
    evidence: str | None
    subject: IssueSubject | None


def render_markers(fingerprint: str, evidence: str, subject: IssueSubject) -> str:
    return (
        f"<!-- optout-watch:fingerprint={fingerprint} -->\n"
        f"<!-- optout-watch:evidence={evidence} -->\n"
        f"<!-- optout-watch:subject={subject.encode()} -->\n"
    )


def read_markers(body: str | None) -> IssueMarkers | None:
    """The markers of the block that starts `body`; None for a body that is not one of ours
    (no such block, or no valid fingerprint in it)."""
    values: dict[str, str] = {}
    for line in (body or "").splitlines():
        match = _MARKER_LINE.fullmatch(line.rstrip())
        if match is None:
            break
        values.setdefault(match[1], match[2])
    fingerprint = values.get("fingerprint", "")
    if not _FINGERPRINT.fullmatch(fingerprint):
        return None
    evidence = values.get("evidence")
    subject = values.get("subject")
    return IssueMarkers(
        fingerprint=fingerprint,
        evidence=evidence if evidence and _FINGERPRINT.fullmatch(evidence) else None,
        subject=IssueSubject.decode(subject) if subject else None,
    )


def is_dashboard(body: str | None) -> bool:
    """Whether `body` is our dashboard's: its first line is the dashboard marker."""
    first_line = (body or "").partition("\n")[0]
    return first_line.rstrip() == DASHBOARD_MARKER


# --- what a finding is about ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RepositoryFiles:
    """Where the catalogue's files can be read, to link an issue to the line at fault."""

    server_url: str
    name: str

    def file_url(self, file: str, line: int | None = None) -> str:
        """The file on the default branch (`HEAD` names it whatever it is called)."""
        anchor = f"#L{line}" if line else ""
        return f"{self.server_url.rstrip('/')}/{self.name}/blob/HEAD/{quote(file)}{anchor}"


def issue_labels(finding: ReportedFinding) -> tuple[str, ...]:
    kind = KIND_LABELS.get(finding.code)
    return (TRACKING_LABEL, kind) if kind else (TRACKING_LABEL,)


def _new_text(finding: ReportedFinding, report: ReportView) -> str | None:
    """The new address or wording the finding proposes, if any."""
    proposal = proposed(finding, report)
    return proposal.new if proposal is not None else None


def evidence_digest(finding: ReportedFinding, report: ReportView) -> str:
    """What a person would act on, digested: the link's outcome, status and suggested URL, the
    top suggested label. Never when or how often it was seen (timestamps, streaks, attempts,
    durations): those change every run and would comment every night."""
    facts: list[object] = [finding.code]
    if finding.code in LINK_CODES:
        link = report.link(finding.url) if finding.url else None
        if link is not None:
            facts += [link.outcome, link.status, link.new_url]
        else:
            facts += [finding.evidence.get(key) for key in ("outcome", "status", "new_url")]
    elif finding.code == Code.LABEL_MISSING:
        facts.append(_new_text(finding, report))
    encoded = json.dumps(facts, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:16]


# --- bodies ---------------------------------------------------------------------------------


def _sentence_end(text: str) -> str:
    return text.rstrip().rstrip(".")


def _quoted_label(label: str | None) -> str:
    return f"« {inline(label or '')} »"


def _people_list(names: Sequence[str]) -> str:
    quoted = [inline(name) for name in names]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def what_broke(finding: ReportedFinding, report: ReportView) -> str:
    """One sentence: what broke, where, for whom."""
    name = f"“{inline(link_name(finding, report))}”"
    who = _people_list(services(finding, report))
    link = report.link(finding.url) if finding.url else None
    page = report.page(finding.url) if finding.url else None
    reason = inline(_sentence_end(link.reason if link else finding.message))
    match finding.code:
        case Code.LINK_BROKEN:
            return f"The link {name} of {who} is broken: {reason}."
        case Code.LINK_ERROR:
            return f"The link {name} of {who} fails: {reason}."
        case Code.LINK_MOVED:
            new_url = _new_text(finding, report)
            target = autolink(new_url) if new_url else "its new address"
            return (
                f"The link {name} of {who} has moved for good: the catalogue should take {target}."
            )
        case Code.LINK_BLOCKED:
            return (
                f"The link {name} of {who} keeps being turned away by bot protection: only a "
                "person can tell whether it still works."
            )
        case Code.LABEL_MISSING:
            return (
                f"The label {_quoted_label(finding.label)}, which the steps of {who} tell people "
                f"to look for, is gone from the page {name}."
            )
        case Code.LABEL_NEVER_SEEN:
            return (
                f"The label {_quoted_label(finding.label)}, which the steps of {who} tell people "
                f"to look for, has never been seen on the page {name}."
            )
        case Code.PAGE_SELECTOR_EMPTY:
            error = f": {inline(_sentence_end(page.error))}" if page and page.error else ""
            return (
                f"The layout of the page {name} of {who} changed: the part of it that is watched "
                f"is no longer found{error}."
            )
        case Code.CATALOGUE_INVALID:
            return (
                f"The catalogue file {code_span(finding.file)} fails validation: "
                f"{inline(_sentence_end(finding.message))}."
            )
        case Code.REVIEW_STALE:
            return (
                f"The procedures of {who} have not been reviewed for too long: "
                f"{inline(_sentence_end(finding.message))}."
            )
        case _:
            return f"{inline(finding.code)}: {inline(_sentence_end(finding.message))}."


def _where(finding: ReportedFinding, report: ReportView, repository: RepositoryFiles) -> list[str]:
    """The catalogue line at fault, linked, and the platforms that use the link or page."""
    link = report.link(finding.url) if finding.url else None
    uses = link.uses if link is not None else ()
    lines = []
    if finding.code not in LINK_CODES or not uses:
        place = f"{inline(finding.file)}, line {finding.line}"
        url = repository.file_url(finding.file, finding.line)
        lines.append(f"- In the catalogue: [{place}]({url})")
    if uses:
        lines.append("- Used by:")
        for use in uses:
            place = f"{inline(use.file)}, line {use.line}"
            lines.append(
                f"  - {inline(report.service(use.platform))}: {inline(use_name(use))} "
                f"([{place}]({repository.file_url(use.file, use.line)}))"
            )
    elif finding.url is not None:
        lines.append(f"- Used by: {_people_list(services(finding, report))}")
    if finding.url is not None:
        lines.append(f"- URL: {autolink(finding.url)}")
    if finding.label is not None:
        lines.append(f"- Label: {_quoted_label(finding.label)}")
    return lines


def _link_evidence(link: ReportedLink) -> list[str]:
    """The link's evidence (its addresses are the catalogue's, even where `--remap` fetched a
    mirror: see `report.build`)."""
    lines = [f"- Outcome: {code_span(link.outcome)}: {inline(link.reason)}"]
    if link.status is not None:
        lines.append(f"- HTTP status: {link.status}")
    if link.redirects:
        lines.append("- Redirects:")
        lines += [
            f"  {number}. {hop.status} {autolink(hop.url)} → {autolink(hop.location)}"
            for number, hop in enumerate(link.redirects, 1)
        ]
    if link.final_url and link.final_url != link.url:
        lines.append(f"- Final URL: {autolink(link.final_url)}")
    if link.new_url:
        lines.append(f"- Suggested new URL: {autolink(link.new_url)}")
    return lines


def _archive_evidence(link: ReportedLink, page: ReportedPage | None) -> list[str]:
    """What the web archive says of a link the check could not use: the page as its copy
    shows it, or where a broken link's page went."""
    lines = []
    if page is not None and page.archive is not None:
        lines.append(f"- Watched page: {inline(how_read(page))}")
        if page.read_from == "archive" and page.labels:
            lines.append(f"- Its labels there: {inline(label_states(page))}")
        if page.archive.archived is not None:
            lines.append(f"- Archived copy: {autolink(page.archive.archived.url)}")
    if (last := last_archived_copy(link)) is not None:
        words, url = last
        lines.append(
            f"- Last archived copy: {inline(words)}" + (f": {autolink(url)}" if url else "")
        )
    return lines


def _page_evidence(finding: ReportedFinding, page: ReportedPage) -> list[str]:
    lines = []
    if page.read_from == "archive":
        lines.append(f"- Read: {inline(how_read(page))}")
    if not page.checked and page.error:
        lines.append(f"- Page error: {inline(page.error)}")
    label = label_on(page, finding.label) if finding.label else None
    if label is not None:
        lines.append(f"- Label state: {code_span(label.state)}")
        if label.suggestions:
            lines.append("- Most likely new wording:")
            lines += [
                f"  {number}. {_quoted_label(suggestion.text)} "
                f"(score {suggestion.score:.2f}, {suggestion.why})"
                for number, suggestion in enumerate(label.suggestions[:SUGGESTIONS_SHOWN], 1)
            ]
    lines += _kept_change(finding)
    if page.diff.strip():
        lines += [
            "",
            "<details><summary>What changed on the page (excerpt)</summary>",
            "",
            code_block(page.diff, "diff", limit=DIFF_EXCERPT_LIMIT).rstrip("\n"),
            "",
            "</details>",
        ]
    return lines


def _kept_change(finding: ReportedFinding) -> list[str]:
    """The line that replaced a missing label's line, as the run that saw it recorded it: the
    page's own diff is empty on the nights after the change, but the evidence is kept."""
    before, after = finding.evidence.get("line_before"), finding.evidence.get("line_after")
    seen_at = finding.evidence.get("evidence_seen_at")
    if not (isinstance(before, str) and isinstance(after, str) and isinstance(seen_at, str)):
        return []
    return [
        f"- The label's line was replaced, as seen by the check of {inline(seen_at)}:",
        "",
        code_block(f"- {before}\n+ {after}\n", "diff", limit=DIFF_EXCERPT_LIMIT).rstrip("\n"),
    ]


def _evidence(finding: ReportedFinding, report: ReportView) -> list[str]:
    link = report.link(finding.url) if finding.url else None
    page = report.page(finding.url) if finding.url else None
    lines = []
    if finding.code in LINK_CODES and link is not None:
        lines += _link_evidence(link)
        lines += _archive_evidence(link, page)
    else:
        lines.append(f"- The check says: {inline(finding.message)}")
    if finding.code in LABEL_CODES | PAGE_CODES and page is not None:
        lines += _page_evidence(finding, page)
    if lag := language_lag_line(finding, report):
        lines.append(lag)
    rule = finding.evidence.get("rule")
    if isinstance(rule, str):
        lines.append(f"- Rule: {code_span(rule)}")
    return lines


def _checklist(finding: ReportedFinding, report: ReportView) -> list[str]:
    where = f"{code_span(finding.file)} line {finding.line}"
    new = _new_text(finding, report)
    match finding.code:
        case Code.LINK_BROKEN | Code.LINK_ERROR:
            steps = [
                "Open the URL in a browser: if it works there, the failure may be passing",
                "Find where the page went (the provider's help centre, a web archive)",
                f"Update or remove the link at {where}",
                "Check that the steps using it still read right",
            ]
        case Code.LINK_MOVED:
            target = autolink(new) if new else "the new address"
            steps = [
                f"Check that {target} is the same page",
                f"Replace the URL at {where} with the new one",
            ]
        case Code.LINK_BLOCKED:
            steps = [
                "Open the URL in a browser: robots are turned away, a person is not",
                "If it is broken or moved, fix the link at " + where,
                "If it works, close this issue as *not planned*: it stays closed while the link "
                "is blocked",
            ]
        case Code.LABEL_MISSING:
            hint = f" (most likely {_quoted_label(new)})" if new else ""
            steps = [
                f"Open the page and find the label's new wording{hint}",
                f"Update the label at {where}, and the steps quoting it in every language",
                "Walk through the procedure to check it still works",
            ]
        case Code.LABEL_NEVER_SEEN:
            steps = [
                "Open the page and copy the label's exact wording",
                f"Fix the expected label at {where}, or stop expecting it on this page",
            ]
        case Code.PAGE_SELECTOR_EMPTY:
            steps = [
                "Open the page and look at its new layout",
                f"Update the `watch.select` selector of the link at {where}",
                "Check that the labels expected on the page are still there",
            ]
        case Code.CATALOGUE_INVALID:
            steps = [
                f"Run {code_span('optout-watch validate ' + finding.file)}",
                f"Fix the problem at {where}",
            ]
        case Code.REVIEW_STALE:
            steps = [
                "Walk through each procedure of the platform again",
                f"Update `last_reviewed` in {code_span(finding.file)}",
            ]
        case _:
            steps = [f"Look at {where}"]
    return [f"- [ ] {step}" for step in steps]


def issue_body(finding: ReportedFinding, report: ReportView, repository: RepositoryFiles) -> str:
    """The whole body: markers, what broke, where, the evidence, who uses it, what to do."""
    markers = render_markers(
        finding.fingerprint, evidence_digest(finding, report), IssueSubject.of(finding)
    )
    sections = [
        markers.rstrip("\n"),
        f"**{what_broke(finding, report)}**",
        "### Where",
        "\n".join(_where(finding, report, repository)),
        f"### Evidence, as of the check of {inline(report.started_at)}",
        "\n".join(_evidence(finding, report)),
        "### To fix it",
        "\n".join(_checklist(finding, report)),
        "<sub>Opened by optout-watch. It closes this issue when a check finds the problem gone "
        "and reopens it if the problem comes back; it rewrites the text above when the evidence "
        "changes, so please comment rather than edit it.</sub>",
    ]
    return "\n\n".join(sections) + "\n"


# --- comments -------------------------------------------------------------------------------


def evidence_comment(finding: ReportedFinding, report: ReportView) -> str:
    return "\n\n".join(
        [
            f"The evidence changed in the check of {inline(report.started_at)}; the issue's "
            "text now shows it.",
            "\n".join(_evidence(finding, report)),
        ]
    )


def reopen_comment(finding: ReportedFinding, report: ReportView) -> str:
    return "\n\n".join(
        [
            f"The problem is back, confirmed by the check of {inline(report.started_at)}: "
            f"{what_broke(finding, report)}",
            "\n".join(_evidence(finding, report)),
        ]
    )


def _subject_words(subject: IssueSubject) -> str:
    if subject.code in LABEL_CODES:
        return f"the label {_quoted_label(subject.label)} on {autolink(subject.url or '')}"
    if subject.url is not None:
        return autolink(subject.url)
    return code_span(subject.file)


def resolved_comment(subject: IssueSubject, report: ReportView) -> str:
    """Why the issue is closed as resolved, in the words of the check that found it so."""
    when = f"the check of {inline(report.started_at)}"
    if subject.code in LINK_CODES:
        link = report.link(subject.url) if subject.url else None
        outcome = f" ({code_span(link.outcome)}: {inline(link.reason)})" if link else ""
        return f"Resolved: {when} found {_subject_words(subject)} working{outcome}. Closing."
    if subject.code in LABEL_CODES:
        return f"Resolved: {when} found {_subject_words(subject)} again. Closing."
    if subject.code in PAGE_CODES:
        return (
            f"Resolved: {when} found the watched part of {_subject_words(subject)} again. Closing."
        )
    return f"Resolved: {when} no longer reports this problem in {code_span(subject.file)}. Closing."


def removed_comment(subject: IssueSubject, report: ReportView) -> str:
    """Why the issue is closed: what it is about left the catalogue."""
    when = f"the check of {inline(report.started_at)}"
    if subject.code in LABEL_CODES:
        what = f"The label {_quoted_label(subject.label)} is no longer expected on that page"
    elif subject.url is not None:
        what = f"{_subject_words(subject)} is no longer in the catalogue"
    else:
        what = f"{code_span(subject.file)} is no longer in the catalogue"
    return f"{what} ({when}): this issue no longer applies. Closing."
