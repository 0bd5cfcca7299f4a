"""Probe: fetch every catalogue URL once (remapped if asked) and judge each response."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from optout_watch.catalogue.targets import Target
from optout_watch.fetching.fetch import Fetcher
from optout_watch.fetching.judge import Verdict, judge
from optout_watch.fetching.model import FetchRequest, FetchResult, Validators
from optout_watch.fetching.remap import Remap, apply_remaps


@dataclass(frozen=True, slots=True)
class Probed:
    """A catalogue URL's verdict, with what was fetched to reach it."""

    target: Target
    fetched_url: str
    result: FetchResult
    verdict: Verdict


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
        _probed(target, fetched, result)
        for target, fetched, result in zip(targets, fetched_urls, results, strict=True)
    ]


def _probed(target: Target, fetched_url: str, result: FetchResult) -> Probed:
    """The verdict; the body is kept only for a page to watch, so that memory does not grow
    with the number of links (up to 5 MB each)."""
    verdict = judge(result, sign_in_expected=target.sign_in_expected)
    if target.watch is None:
        result = replace(result, body=b"")
    return Probed(target, fetched_url, result, verdict)
