"""Watch: a fetched page → its text, what changed since the last snapshot, and the state of
each expected label. Pure: the caller reads the previous snapshot and stores the new one."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import partial

from optout_watch.catalogue.targets import ExpectedLabel, Target
from optout_watch.fetching.browser import Rendered
from optout_watch.fetching.failures import Outcome
from optout_watch.pages.diff import TextChange, compare
from optout_watch.pages.extract import (
    EXTRACTOR_VERSION,
    SelectorMatchedNothing,
    extract_text,
    inline_texts,
)
from optout_watch.pages.labels import LabelResult, LabelSighting, assess_labels
from optout_watch.run.probe import Probed
from optout_watch.settings import RenderSetting
from optout_watch.storage.snapshots import Snapshot, SnapshotMeta, text_sha256

_READABLE = frozenset({Outcome.OK, Outcome.REDIRECTED})


@dataclass(frozen=True, slots=True)
class LabelCheck:
    """One expected label on one page: where the catalogue expects it, and what was seen."""

    expected: ExpectedLabel
    result: LabelResult


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

    @property
    def changed(self) -> bool:
        return self.change is not None


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
) -> PageResult:
    """Assess one watched page (`probed.target.watch` must be set). `rendered` is the page as
    the browser showed it, for a page whose text scripts write: its text is read from there,
    the probe's answer saying only whether the page is there.

    `rebaseline`: `previous` was extracted by another extractor, so a difference may be the
    extractor's, not the page's: the new text replaces it without being compared (even when
    equal, so that the snapshot records `extractor`), and the labels are judged on the new
    text and the sightings alone."""
    target, result = probed.target, probed.result
    spec = target.watch
    assert spec is not None, "watch_page is only called for watched targets"
    not_modified = rendered is None and result.status == 304 and previous is not None
    if not not_modified and not readable(probed):
        return PageResult(target, checked=False, error=probed.verdict.reason)
    final_url = result.final_url
    inline: Callable[[], Collection[str]] | None = None
    if not_modified:
        assert previous is not None
        text = previous.text
    else:
        if rendered is not None:
            if (problem := _browser_problem(rendered)) is not None:
                return PageResult(target, checked=False, error=problem)
            html, final_url = rendered.html, rendered.final_url
        else:
            html = result.text()
        try:
            text = extract_text(html, select=spec.select, remove=spec.remove, ignore=spec.ignore)
        except SelectorMatchedNothing as error:
            return PageResult(target, checked=False, error=str(error), selector_failed=True)
        # Parsed again only if a label's line was replaced (see `assess_labels`).
        inline = partial(inline_texts, html, select=spec.select, remove=spec.remove)
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
    )


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
