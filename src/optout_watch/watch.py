"""Watch: a fetched page → its text, what changed since the last snapshot, and the state of
each expected label. Pure: the caller reads the previous snapshot and stores the new one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from optout_watch.catalogue.targets import Target
from optout_watch.extract import SelectorMatchedNothing, extract_text
from optout_watch.judge import Outcome
from optout_watch.labels import LabelSighting, assess_labels
from optout_watch.probe import Probed
from optout_watch.report.model import LabelReport, PageReport, Suggestion
from optout_watch.snapshots import (
    Snapshot,
    SnapshotMeta,
    added_lines,
    text_sha256,
    unified_diff,
)

_READABLE = frozenset({Outcome.OK, Outcome.REDIRECTED})
#: A diff longer than this is cut in the report (the snapshot history keeps it whole).
MAX_DIFF_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class PageWatch:
    report: PageReport
    #: The snapshot to store, or None to keep the previous one: the page failed, or its text
    #: is unchanged (so the snapshot files, committed to git, change only with the page).
    snapshot: Snapshot | None
    #: Label sightings to keep for the next run (only for a page that was read).
    sightings: Mapping[str, LabelSighting]


def _page_report(target: Target, **outcome: Any) -> PageReport:
    """The report of a page, located at the first catalogue entry that names it."""
    first = target.uses[0]
    return PageReport(
        url=target.url,
        platforms=list(target.platforms),
        file=first.file,
        line=first.line,
        **outcome,
    )


def _unchecked(target: Target, error: str, *, selector_failed: bool) -> PageWatch:
    report = _page_report(
        target,
        checked=False,
        error=error,
        selector_failed=selector_failed,
        changed=False,
        diff="",
        labels=[],
    )
    return PageWatch(report, None, {})


def watch_page(
    probed: Probed,
    previous: Snapshot | None,
    history: Mapping[str, LabelSighting],
    *,
    now: str,
) -> PageWatch:
    """Assess one watched page (`probed.target.watch` must be set)."""
    target, result = probed.target, probed.result
    spec = target.watch
    assert spec is not None, "watch_page is only called for watched targets"
    not_modified = result.status == 304 and previous is not None
    if not not_modified and probed.verdict.outcome not in _READABLE:
        return _unchecked(target, probed.verdict.reason, selector_failed=False)
    if not_modified:
        assert previous is not None
        text = previous.text
    else:
        try:
            text = extract_text(
                result.text(), select=spec.select, remove=spec.remove, ignore=spec.ignore
            )
        except SelectorMatchedNothing as error:
            return _unchecked(target, str(error), selector_failed=True)
    old = previous.text if previous is not None else None
    changed = old is not None and old != text
    diff = ""
    if changed and old is not None:
        diff = unified_diff(old, text, old_label=f"{target.url} (before)", new_label=target.url)
    results = assess_labels(
        spec.expect,
        text,
        history,
        now=now,
        added_lines=added_lines(old, text) if changed and old is not None else (),
    )
    report = _page_report(
        target,
        checked=True,
        error=None,
        selector_failed=False,
        changed=changed,
        diff=diff[:MAX_DIFF_CHARS],
        labels=[
            LabelReport(
                label=item.label,
                state=str(item.state),
                suggestions=[Suggestion(text=s.text, score=s.score) for s in item.suggestions],
                line=line,
            )
            for item, line in zip(results, spec.expect_lines, strict=True)
        ],
    )
    meta = SnapshotMeta(
        url=target.url,
        final_url=result.final_url,
        fetched_at=now,
        etag=result.validators.etag,
        last_modified=result.validators.last_modified,
        sha256=text_sha256(text),
    )
    snapshot = Snapshot(text=text, meta=meta) if old != text else None
    return PageWatch(report, snapshot, {r.label: r.sighting for r in results})
