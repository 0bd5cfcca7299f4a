"""Fingerprints, streaks and confirmation."""

from __future__ import annotations

from optout_watch.catalogue.targets import ExpectedLabel, Target, Use, WatchSpec
from optout_watch.kinds import FINDING_KINDS
from optout_watch.pages.evidence import Evidence
from optout_watch.pages.labels import (
    LabelResult,
    LabelSighting,
    LabelState,
    LastingEvidence,
    Suggestion,
)
from optout_watch.run.findings import Draft, Thresholds, confirm, page_drafts
from optout_watch.run.watch import LabelCheck, PageResult
from optout_watch.severity import Severity
from optout_watch.storage.state import FindingMemory


def _draft(
    code: str = "link-broken", url: str | None = "https://a.example/x", **extra: object
) -> Draft:
    fields: dict[str, object] = {
        "code": code,
        "platform": "p",
        "file": "catalogue/p.yaml",
        "line": 3,
        "url": url,
        "label": None,
        "message": "HTTP 404",
    }
    fields.update(extra)
    return Draft(**fields)  # type: ignore[arg-type]


def test_fingerprint_ignores_volatile_detail() -> None:
    one = _draft(message="HTTP 404 after 120 ms", evidence={"elapsed_ms": 120}, line=3)
    two = _draft(message="HTTP 404 after 80 ms", evidence={"elapsed_ms": 80}, line=9)
    assert one.fingerprint == two.fingerprint
    assert one.fingerprint != _draft(url="https://a.example/y").fingerprint
    assert one.fingerprint != _draft(code="link-error").fingerprint
    assert len(one.fingerprint) == 16


def test_streak_grows_across_runs_and_confirms_at_the_threshold() -> None:
    thresholds = Thresholds(confirm_after=2)
    first, memory = confirm([_draft()], {}, thresholds=thresholds, now="t1")
    assert (first[0].streak, first[0].confirmed) == (1, False)
    second, memory = confirm([_draft()], memory, thresholds=thresholds, now="t2")
    assert (second[0].streak, second[0].confirmed) == (2, True)
    assert memory[second[0].fingerprint].first_seen == "t1"


def test_a_problem_not_seen_again_is_forgotten() -> None:
    _, memory = confirm([_draft()], {}, thresholds=Thresholds(), now="t1")
    findings, memory = confirm([], memory, thresholds=Thresholds(), now="t2")
    assert findings == []
    assert memory == {}


def test_a_problem_whose_url_went_unchecked_keeps_its_streak() -> None:
    _, memory = confirm([_draft()], {}, thresholds=Thresholds(), now="t1")
    _, kept = confirm(
        [],
        memory,
        thresholds=Thresholds(),
        now="t2",
        unchecked_urls=frozenset({"https://a.example/x"}),
    )
    assert kept == memory


def test_blocked_links_need_many_runs_and_validation_none() -> None:
    thresholds = Thresholds(confirm_after=2, blocked_after=3)
    memory: dict[str, FindingMemory] = {}
    for run in range(2):
        findings, memory = confirm(
            [_draft(code="link-blocked")], memory, thresholds=thresholds, now=f"t{run}"
        )
    assert findings[0].confirmed is False
    findings, _ = confirm([_draft(code="link-blocked")], memory, thresholds=thresholds, now="t3")
    assert findings[0].confirmed is True
    assert findings[0].severity is Severity.WARNING
    invalid, _ = confirm(
        [_draft(code="catalogue-invalid", url=None)], {}, thresholds=thresholds, now="t"
    )
    assert invalid[0].confirmed is True


def test_findings_are_ordered_errors_first_and_deduplicated() -> None:
    drafts = [_draft(code="link-moved"), _draft(), _draft()]
    findings, _ = confirm(drafts, {}, thresholds=Thresholds(), now="t")
    assert [f.draft.code for f in findings] == ["link-broken", "link-moved"]


def test_every_kind_has_a_summary() -> None:
    assert all(kind.summary for kind in FINDING_KINDS.values())


def test_a_missing_label_carries_the_evidence_kept_since_the_page_changed() -> None:
    url = "https://a.example/privacy"
    suggestion = Suggestion("Improve the model for all users", 0.787, Evidence.REPLACED)
    kept = LastingEvidence(
        suggestion, url, "2026-12-02T02:00:00Z",
        "Go to Improve the model for everyone.", "Go to Improve the model for all users.",
    )  # fmt: skip
    label = "Improve the model for everyone"
    sighting = LabelSighting(label, "t0", "t0", kept)
    expected = ExpectedLabel(label, "p", "catalogue/p.yaml", 9)
    target = Target(
        url, "en", (Use("p", "catalogue/p.yaml", 3, "help", "help"),),
        WatchSpec(None, (), (), (expected,)), False,
    )  # fmt: skip
    result = LabelResult(label, LabelState.MISSING, (suggestion,), sighting)
    page = PageResult(target, checked=True, labels=(LabelCheck(expected, result),))

    (draft,) = page_drafts([page])

    assert "most likely renamed to “Improve the model for all users”" in draft.message
    assert draft.evidence == {
        "suggestions": ["Improve the model for all users (0.79, replaced the label's line)"],
        "evidence_seen_at": "2026-12-02T02:00:00Z",
        "evidence_url": url,
        "line_before": "Go to Improve the model for everyone.",
        "line_after": "Go to Improve the model for all users.",
    }
