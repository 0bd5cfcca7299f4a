"""Probe: fetch every catalogue URL once (remapped if asked) and judge each response."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from optout_watch.catalogue.targets import Target
from optout_watch.fetch import Fetcher, FetchErrorKind, FetchRequest, FetchResult, Validators
from optout_watch.judge import Outcome, Verdict, judge
from optout_watch.remap import Remap, apply_remaps
from optout_watch.report.model import Hop, LinkReport, Location

#: Failures that say nothing about the page, only that the network (ours or theirs) is down.
NETWORK_FAILURES = frozenset(
    {FetchErrorKind.CONNECT, FetchErrorKind.DNS, FetchErrorKind.TIMEOUT, FetchErrorKind.NETWORK,
     FetchErrorKind.TLS, FetchErrorKind.DEADLINE}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Probed:
    target: Target
    fetched_url: str
    result: FetchResult
    verdict: Verdict

    @property
    def network_failure(self) -> bool:
        return self.result.error is not None and self.result.error.kind in NETWORK_FAILURES


async def probe_targets(
    targets: Sequence[Target],
    fetcher: Fetcher,
    *,
    remaps: Sequence[Remap] = (),
    validators: Mapping[str, Validators] | None = None,
    on_result: Callable[[FetchResult], None] | None = None,
) -> list[Probed]:
    """Fetch and judge every target; `validators` (by catalogue URL) make requests
    conditional."""
    known = validators or {}
    fetched_urls = [apply_remaps(target.url, remaps) for target in targets]
    requests = [
        FetchRequest(url=fetched, accept_language=target.lang, validators=known.get(target.url))
        for target, fetched in zip(targets, fetched_urls, strict=True)
    ]
    results = await fetcher.fetch_all(requests, on_result=on_result)
    return [
        Probed(target, fetched, result, judge(result, sign_in_expected=target.sign_in_expected))
        for target, fetched, result in zip(targets, fetched_urls, results, strict=True)
    ]


def link_report(probed: Probed) -> LinkReport:
    result, verdict = probed.result, probed.verdict
    return LinkReport(
        url=probed.target.url,
        fetched_url=probed.fetched_url,
        outcome=str(verdict.outcome),
        reason=verdict.reason,
        status=result.status,
        final_url=result.final_url,
        new_url=verdict.new_url if verdict.outcome is Outcome.REDIRECTED else None,
        redirects=[Hop(url=h.url, status=h.status, location=h.location) for h in result.redirects],
        attempts=result.attempts,
        elapsed_ms=result.elapsed_ms,
        uses=[
            Location(platform=u.platform, file=u.file, line=u.line, entry=u.entry, kind=u.kind)
            for u in probed.target.uses
        ],
    )
