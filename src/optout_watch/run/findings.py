"""Findings: what a run found that a person may have to act on, and how sure we are of it.

A finding's fingerprint names the problem (its code, the URL, the label), never when or how it
was seen, so the same problem has the same fingerprint in every run and every order. Its streak
counts the consecutive runs that saw it; it is *confirmed* once the streak reaches the code's
threshold, so that one bad night does not open an issue.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from optout_watch.fetching.failures import Outcome
from optout_watch.kinds import FINDING_KINDS, Code, Threshold
from optout_watch.lint.diagnostics import Diagnostic
from optout_watch.pages.labels import LabelSighting, LabelState
from optout_watch.report.plural import plural
from optout_watch.run.probe import Probed
from optout_watch.run.watch import PageResult, ReadFrom
from optout_watch.settings import DEFAULTS
from optout_watch.severity import Severity, severity_rank
from optout_watch.storage.state import FindingMemory


@dataclass(frozen=True, slots=True)
class Draft:
    """A finding before the state says how long it has been seen."""

    code: str
    platform: str
    file: str
    line: int
    url: str | None
    label: str | None
    message: str
    evidence: Evidence = field(default_factory=dict)
    #: Extra words that tell two problems of one code, URL and label apart.
    identity: tuple[str, ...] = ()

    @property
    def fingerprint(self) -> str:
        return fingerprint_of(self.code, self.url, self.label, self.identity)


def fingerprint_of(
    code: str, url: str | None, label: str | None, identity: tuple[str, ...] = ()
) -> str:
    """What finds a finding again from one run to the next."""
    parts = (code, url or "", label or "", *identity)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


Evidence = Mapping[str, str | int | float | list[str] | None]


@dataclass(frozen=True, slots=True)
class Thresholds:
    confirm_after: int = DEFAULTS.confirm_after
    blocked_after: int = DEFAULTS.blocked_after

    def runs_needed(self, code: str) -> int:
        threshold = FINDING_KINDS[code].threshold
        if threshold is Threshold.AT_ONCE:
            return 1
        if threshold is Threshold.BLOCKED_AFTER:
            return max(self.blocked_after, self.confirm_after)
        return self.confirm_after


@dataclass(frozen=True, slots=True)
class TrackedFinding:
    """A problem of this run, with how sure the run is of it."""

    draft: Draft
    severity: Severity
    #: Consecutive runs that have seen the problem, this one included.
    streak: int
    #: The streak at which it is confirmed.
    runs_needed: int

    @property
    def confirmed(self) -> bool:
        return self.streak >= self.runs_needed

    @property
    def fingerprint(self) -> str:
        return self.draft.fingerprint


def confirm(
    drafts: Iterable[Draft],
    memory: Mapping[str, FindingMemory],
    *,
    thresholds: Thresholds,
    now: str,
    unchecked_urls: frozenset[str] = frozenset(),
) -> tuple[list[TrackedFinding], dict[str, FindingMemory]]:
    """Findings with streaks, and the memory to keep for the next run.

    A problem not seen this run is forgotten (its streak ends), unless its URL was not
    checked this run: then it is kept as it was, neither advanced nor reset.
    """
    findings: dict[str, TrackedFinding] = {}
    kept: dict[str, FindingMemory] = {}
    for draft in drafts:
        fingerprint = draft.fingerprint
        if fingerprint in findings:
            continue
        before = memory.get(fingerprint)
        streak = before.streak + 1 if before else 1
        kept[fingerprint] = FindingMemory(
            streak=streak,
            first_seen=before.first_seen if before else now,
            last_seen=now,
            url=draft.url,
        )
        findings[fingerprint] = TrackedFinding(
            draft, FINDING_KINDS[draft.code].severity, streak, thresholds.runs_needed(draft.code)
        )
    for fingerprint, before in memory.items():
        if fingerprint not in kept and before.url is not None and before.url in unchecked_urls:
            kept[fingerprint] = before
    ordered = sorted(findings.values(), key=_order)
    return ordered, kept


def _order(finding: TrackedFinding) -> tuple[int, str, str, int, str]:
    draft = finding.draft
    return (
        severity_rank(finding.severity),
        draft.platform,
        draft.file,
        draft.line,
        finding.fingerprint,
    )


def count_confirmed(findings: Sequence[TrackedFinding], severity: Severity) -> int:
    return sum(f.confirmed and f.severity is severity for f in findings)


# --- drafts from the stages' results --------------------------------------------------------

_LINK_CODES = {
    Outcome.BROKEN: Code.LINK_BROKEN,
    Outcome.ERROR: Code.LINK_ERROR,
    Outcome.REDIRECTED: Code.LINK_MOVED,
    Outcome.BLOCKED: Code.LINK_BLOCKED,
}


def failing_since_remembered(
    memory: Mapping[str, FindingMemory], url: str, last_run: str | None
) -> str | None:
    """When a link that failed at the last run began to fail, as its findings remember it; None
    when it did not fail then. For a state written before the links kept it themselves."""
    # A moved link works, at its new address.
    failing = (code for code in _LINK_CODES.values() if code != Code.LINK_MOVED)
    seen = [memory.get(fingerprint_of(code, url, None)) for code in failing]
    return min(
        (m.first_seen for m in seen if m is not None and m.last_seen == last_run), default=None
    )


def _archive_words(page: PageResult) -> str:
    """For a page judged on the web archive's copy: which copy, and what its labels were."""
    archive = page.archive
    if page.read_from is not ReadFrom.ARCHIVE or archive is None or archive.copy is None:
        return ""
    present = sum(check.result.state is LabelState.PRESENT for check in page.labels)
    return f"; its labels were judged on the web archive's copy of {archive.copy.long_day}" + (
        f": {present} of {len(page.labels)} present" if page.labels else ""
    )


def link_drafts(links: Iterable[Probed], pages: Iterable[PageResult] = ()) -> list[Draft]:
    """One draft per failing, moved or blocked URL, however many entries use it; a watched
    page judged on the web archive's copy says so."""
    by_url = {page.target.url: page for page in pages}
    drafts = []
    for link in links:
        verdict, result, target = link.verdict, link.result, link.target
        code = _LINK_CODES.get(verdict.outcome)
        if code is None:
            continue
        first = target.uses[0]
        message = f"{target.url}: {verdict.reason}"
        if verdict.new_url:
            message += f"; the catalogue should take {verdict.new_url}"
        page = by_url.get(target.url)
        if page is not None:
            message += _archive_words(page)
        evidence: Evidence = {
            "outcome": str(verdict.outcome),
            "reason": verdict.reason,
            "status": result.status,
            "final_url": result.final_url,
            "new_url": verdict.new_url,
            "attempts": result.attempts,
            "redirects": [f"{hop.status} {hop.url} → {hop.location}" for hop in result.redirects],
            "used_by": [f"{use.file}:{use.line} ({use.entry})" for use in target.uses],
        }
        drafts.append(
            Draft(code, first.platform, first.file, first.line, target.url, None, message, evidence)
        )
    return drafts


def page_drafts(pages: Iterable[PageResult]) -> list[Draft]:
    """Labels missing or never seen, selectors matching nothing, changed pages."""
    drafts = []
    for page in pages:
        url, first = page.target.url, page.target.uses[0]
        if page.selector_failed:
            drafts.append(
                Draft(Code.PAGE_SELECTOR_EMPTY, first.platform, first.file, first.line, url, None,
                      f"{url}: {page.error}")
            )  # fmt: skip
        for check in page.labels:
            label, expected = check.result, check.expected
            where = (expected.platform, expected.file, expected.line, url, label.label)
            copy = (
                f" (in the web archive's copy of {page.archive.copy.long_day})"
                if page.read_from is ReadFrom.ARCHIVE and page.archive and page.archive.copy
                else ""
            )
            if label.state is LabelState.MISSING:
                suggestions = [f"{s.text} ({s.score:.2f}, {s.why})" for s in label.suggestions]
                best = (
                    f"; most likely renamed to “{label.suggestions[0].text}” "
                    f"({label.suggestions[0].why})"
                    if label.suggestions
                    else "; no likely new wording on the page"
                )
                drafts.append(
                    Draft(Code.LABEL_MISSING, *where,
                          f"label “{label.label}” is gone from {url}{copy}{best}",
                          {"suggestions": suggestions, **_kept_evidence(label.sighting)})
                )  # fmt: skip
            elif label.state is LabelState.NEVER_SEEN:
                drafts.append(
                    Draft(Code.LABEL_NEVER_SEEN, *where,
                          f"label “{label.label}” has never been seen on {url}{copy}; check "
                          "that the catalogue expects the page's exact wording")
                )  # fmt: skip
        if page.change is not None:
            added, removed = page.change.lines_added, page.change.lines_removed
            drafts.append(
                Draft(Code.PAGE_CHANGED, first.platform, first.file, first.line, url, None,
                      f"{url} changed: {plural(added, 'line')} added, "
                      f"{plural(removed, 'line')} removed",
                      {"lines_added": added, "lines_removed": removed})
            )  # fmt: skip
    return drafts


def _kept_evidence(sighting: LabelSighting) -> Evidence:
    """Where and when the best suggestion was seen, and the lines of the diff that showed it:
    kept from the run that saw the page change (see `pages.labels.LastingEvidence`)."""
    kept = sighting.evidence
    if kept is None:
        return {}
    return {
        "evidence_seen_at": kept.seen_at,
        "evidence_url": kept.url,
        "line_before": kept.old_line,
        "line_after": kept.new_line,
    }


def validation_drafts(problems: Iterable[Diagnostic]) -> list[Draft]:
    """Catalogue errors, and stale reviews (whose message changes daily, so the file alone
    identifies them)."""
    drafts = []
    for problem in problems:
        platform = problem.path.rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml")
        if problem.code == "OW601":
            drafts.append(
                Draft(Code.REVIEW_STALE, platform, problem.path, problem.line, None, None,
                      problem.message, identity=(problem.path,))
            )  # fmt: skip
        elif problem.severity is Severity.ERROR:
            drafts.append(
                Draft(Code.CATALOGUE_INVALID, platform, problem.path, problem.line, None, None,
                      f"{problem.code} {problem.message}", {"rule": problem.code},
                      identity=(problem.path, problem.code, problem.message))
            )  # fmt: skip
    return drafts
