"""Watch: a fetched page → its text, what changed since the last snapshot, and the state of
each expected label. Pure: the caller reads the previous snapshot and stores the new one."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import partial

from optout_watch.archive.wayback import ArchivedCopy
from optout_watch.catalogue.targets import ExpectedLabel, Target, WatchSpec
from optout_watch.fetching.browser_model import Rendered
from optout_watch.fetching.failures import Outcome
from optout_watch.pages.diff import TextChange, compare
from optout_watch.pages.extract import (
    EXTRACTOR_VERSION,
    SelectorMatchedNothing,
    extract_text,
    inline_texts,
)
from optout_watch.pages.inspect import Proposal, inspect_page
from optout_watch.pages.labels import LabelResult, LabelSighting, LabelState, assess_labels
from optout_watch.run.probe import Probed
from optout_watch.settings import RenderSetting
from optout_watch.storage.snapshots import Snapshot, SnapshotMeta, text_sha256

_READABLE = frozenset({Outcome.OK, Outcome.REDIRECTED})


@dataclass(frozen=True, slots=True)
class LabelCheck:
    """One expected label on one page: where the catalogue expects it, and what was seen."""

    expected: ExpectedLabel
    result: LabelResult


class ReadFrom(StrEnum):
    """How a watched page's text was read this run."""

    LIVE = "live"
    BROWSER = "browser"
    #: The web archive's copy stood in for the page, which could not be read live.
    ARCHIVE = "archive"
    NOT_READ = "not_read"


#: Why a page was not read live, besides the probe's outcome (`blocked`, `broken`, `error`).
UNREAD_BY_BROWSER = "browser"
UNREAD_BY_SELECTOR = "selector"
#: The reasons for which the archive's copy may stand in for the page (a broken page is
#: gone: its copy says nothing of the page today; a selector matching nothing is news).
ARCHIVE_STANDS_IN_FOR = frozenset({"blocked", "error", UNREAD_BY_BROWSER})


@dataclass(frozen=True, slots=True)
class ArchiveReading:
    """The web archive's copy asked to stand in for a page not read live."""

    #: The copy found (None: none fresh enough, or the archive could not be asked).
    copy: ArchivedCopy | None
    #: The copy was read and the page's labels judged on it.
    used: bool
    #: One sentence for people: which copy was read, or why none could stand in.
    note: str


@dataclass(frozen=True, slots=True)
class PageResult:
    target: Target
    #: False when the page could not be fetched or read (then `error` says why).
    checked: bool
    error: str | None = None
    #: The `select` selector matched nothing: the page's layout changed.
    selector_failed: bool = False
    #: What changed since the last snapshot; None when nothing did or there was none.
    change: TextChange | None = None
    labels: tuple[LabelCheck, ...] = ()
    #: The snapshot to store, or None to keep the previous one: the page failed, or its text
    #: is unchanged and was not re-baselined (so the snapshot files, committed to git, change
    #: only with the page or the extractor).
    snapshot: Snapshot | None = None
    #: Label sightings to keep for the next run (only for a page that was read).
    sightings: Mapping[str, LabelSighting] = field(default_factory=dict)
    #: The text replaced a snapshot taken by another extractor without being compared to it
    #: (`change` is None, and label suggestions come without the diff's evidence).
    rebaselined: bool = False
    #: The text came from the browser.
    by_browser: bool = False
    #: Why the page was not read live (the probe's outcome, `UNREAD_BY_BROWSER` or
    #: `UNREAD_BY_SELECTOR`); None when it was.
    unread_because: str | None = None
    #: The web archive's copy, when one was asked to stand in for the page.
    archive: ArchiveReading | None = None
    #: For a page watched without `select`: the `watch:` block `inspect` proposes from the
    #: page as read tonight (None when it proposes none, or the page was not read whole).
    proposal: Proposal | None = None

    @property
    def changed(self) -> bool:
        return self.change is not None

    @property
    def read_from(self) -> ReadFrom:
        if not self.checked:
            return ReadFrom.NOT_READ
        if self.archive is not None and self.archive.used:
            return ReadFrom.ARCHIVE
        return ReadFrom.BROWSER if self.by_browser else ReadFrom.LIVE

    @property
    def archive_may_stand_in(self) -> bool:
        return not self.checked and self.unread_because in ARCHIVE_STANDS_IN_FOR


def shown_by_browser(target: Target, mode: RenderSetting) -> bool:
    """Whether the page's text comes from the browser: the link says `render: browser` (and
    `--render` is `auto`), or `--render always`; never with `--render never`."""
    if target.watch is None or mode == "never":
        return False
    return mode == "always" or target.watch.render == "browser"


def readable(probed: Probed) -> bool:
    """The probe reached the page itself (a browser is sent only there)."""
    return probed.verdict.outcome in _READABLE


def watch_page(
    probed: Probed,
    previous: Snapshot | None,
    history: Mapping[str, LabelSighting],
    *,
    now: str,
    rendered: Rendered | None = None,
    rebaseline: bool = False,
    extractor: str = EXTRACTOR_VERSION,
    propose: bool = True,
) -> PageResult:
    """Assess one watched page (`probed.target.watch` must be set). `rendered` is the page as
    the browser showed it, for a page whose text scripts write: its text is read from there,
    the probe's answer saying only whether the page is there.

    `rebaseline`: `previous` was extracted by another extractor, so a difference may be the
    extractor's, not the page's: the new text replaces it without being compared (even when
    equal, so that the snapshot records `extractor`), and the labels are judged on the new
    text and the sightings alone.

    `propose`: for a page without `select`, propose its `watch:` block from tonight's page
    (the nightly's report carries it; a replay of old copies has no use for it)."""
    target, result = probed.target, probed.result
    spec = target.watch
    assert spec is not None, "watch_page is only called for watched targets"
    not_modified = rendered is None and result.status == 304 and previous is not None
    if not not_modified and not readable(probed):
        return PageResult(
            target,
            checked=False,
            error=probed.verdict.reason,
            unread_because=str(probed.verdict.outcome),
        )
    final_url = result.final_url
    inline: Callable[[], Collection[str]] | None = None
    proposal: Proposal | None = None
    if not_modified:
        assert previous is not None
        text = previous.text
    else:
        if rendered is not None:
            if (problem := _browser_problem(rendered)) is not None:
                return PageResult(
                    target, checked=False, error=problem, unread_because=UNREAD_BY_BROWSER
                )
            html, final_url = rendered.html, rendered.final_url
        else:
            html = result.text()
        try:
            text = extract_text(html, select=spec.select, remove=spec.remove, ignore=spec.ignore)
        except SelectorMatchedNothing as error:
            return PageResult(
                target,
                checked=False,
                error=str(error),
                selector_failed=True,
                unread_because=UNREAD_BY_SELECTOR,
            )
        # Parsed again only if a label's line was replaced (see `assess_labels`).
        inline = partial(inline_texts, html, select=spec.select, remove=spec.remove)
        proposal = _proposal(html, spec) if propose else None
    old = previous.text if previous is not None else None
    change = None
    if old is not None and old != text and not rebaseline:
        change = compare(old, text, old_label=f"{target.url} (before)", new_label=target.url)
    expected = spec.expect
    results = assess_labels(
        [label.text for label in expected],
        text,
        history,
        now=now,
        change=change,
        url=target.url,
        inline_texts=inline,
    )
    meta = SnapshotMeta(
        url=target.url,
        final_url=final_url,
        fetched_at=now,
        etag=result.validators.etag,
        last_modified=result.validators.last_modified,
        sha256=text_sha256(text),
        extractor=extractor,
    )
    rebaselined = rebaseline and old is not None
    return PageResult(
        target,
        checked=True,
        change=change,
        labels=tuple(LabelCheck(e, r) for e, r in zip(expected, results, strict=True)),
        snapshot=Snapshot(text=text, meta=meta) if old != text or rebaselined else None,
        sightings={r.label: r.sighting for r in results},
        rebaselined=rebaselined,
        by_browser=rendered is not None,
        proposal=proposal,
    )


def watch_archived_copy(
    unread: PageResult,
    copy: ArchivedCopy,
    html: str,
    history: Mapping[str, LabelSighting],
) -> PageResult:
    """The labels of a page not read live (`unread`), judged on the web archive's copy
    `html`, taken at `copy.moment`, by the same selector and label rules as the live page.

    The copy is no reading of the page tonight: it changes no snapshot and shows no diff, a
    label it shows was seen at the copy's date (never later than the live sighting), and a
    label it lacks is not judged when the live page showed it after the copy was taken.
    A copy whose text the selector or the scripts hide is reported unusable."""
    target, spec = unread.target, unread.target.watch
    assert spec is not None, "only watched pages are read from the archive"

    def unusable(why: str) -> PageResult:
        note = f"the web archive's copy of {copy.long_day} cannot be used: {why}"
        return replace(unread, archive=ArchiveReading(copy, used=False, note=note))

    try:
        text = extract_text(html, select=spec.select, remove=spec.remove, ignore=spec.ignore)
    except SelectorMatchedNothing as error:
        return unusable(str(error))
    expected = spec.expect
    results = assess_labels(
        [label.text for label in expected],
        text,
        history,
        now=copy.iso,
        url=target.url,
        inline_texts=partial(inline_texts, html, select=spec.select, remove=spec.remove),
    )
    if not text.strip() or (
        spec.render == "browser" and all(r.state is not LabelState.PRESENT for r in results)
    ):
        return unusable("its text is written by scripts the copy does not run")
    checks, sightings, left_out = [], {}, []
    for label, result in zip(expected, results, strict=True):
        before = history.get(result.label)
        if before is not None and before.last_seen is not None and before.last_seen > copy.iso:
            # The live page showed the label after the copy was taken: the copy is older news.
            sightings[result.label] = before
            if result.state is not LabelState.PRESENT:
                left_out.append(result.label)
                continue
        else:
            sightings[result.label] = result.sighting
        checks.append(LabelCheck(label, result))
    note = f"seen in the web archive's copy of {copy.long_day}"
    if left_out:
        note += "; not judged there, as the live page showed them later: " + ", ".join(
            f"« {label} »" for label in left_out
        )
    return replace(
        unread,
        checked=True,
        labels=tuple(checks),
        sightings=sightings,
        archive=ArchiveReading(copy, used=True, note=note),
        proposal=_proposal(html, spec),
    )


def _proposal(html: str, spec: WatchSpec) -> Proposal | None:
    """For a page watched without `select`, the block `inspect` proposes from `html`."""
    if spec.select is not None:
        return None
    return inspect_page(html, [label.text for label in spec.expect]).proposal


def _browser_problem(rendered: Rendered) -> str | None:
    """Why the browser's page cannot be read, if it cannot."""
    if rendered.error is not None:
        return rendered.error
    if rendered.status is not None and not 200 <= rendered.status < 300:
        return (
            f"the browser was answered {rendered.status} at {rendered.final_url}, "
            "where the plain fetch read the page"
        )
    return None
